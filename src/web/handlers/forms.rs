//! Turning posted forms into domain inputs and records, and records back into forms.
//! Shared by registration, profile editing, team pages and the admin.

use crate::domain::people::{Team, Volunteer};
use crate::domain::regions;
use crate::domain::registration::{FieldErrors, TeamInput, VolunteerInput};
use crate::views::components::{FormState, RegionOptions};
use crate::web::auth::Ctx;

/// The volunteer form's field names (the 附件2 field keys).
pub const VOLUNTEER_FIELDS: &[&str] = &[
    "real_name",
    "phone",
    "gender",
    "id_number",
    "political_status",
    "ethnicity",
    "employer",
    "title_level",
    "education",
    "occupation",
    "province",
    "city",
    "county",
    "sanzhang",
    "guardian_name",
    "guardian_phone",
    "agree",
];
/// The team form's field names (the 附件1 field keys plus a description).
pub const ORG_FIELDS: &[&str] = &[
    "org_name",
    "admin_phone",
    "mca_registered",
    "supervisor_type",
    "supervisor_name",
    "founded_on",
    "province",
    "city",
    "county",
    "leader_name",
    "leader_title",
    "leader_org",
    "leader_phone",
    "description",
];
const MULTI: &[&str] = &["service_categories", "service_fields"];

/// Longest value kept from any single form field; longer input is cut before validation
/// so a crafted request cannot make us store or echo megabytes.
const MAX_FIELD_CHARS: usize = 20_000;

fn clip(s: &str) -> String {
    s.chars().take(MAX_FIELD_CHARS).collect()
}

/// What was typed, for showing the form again. `prefix` reads fields carried from an
/// earlier step (e.g. "team.").
pub fn form_state(ctx: &Ctx, names: &[&str], prefix: &str) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, clip(ctx.field(&format!("{prefix}{n}"))));
    }
    for n in MULTI {
        let key = format!("{prefix}{n}");
        let values: Vec<String> = ctx.fields(&key).iter().map(|v| clip(v)).collect();
        f.set(n, values.join("、"));
    }
    f
}

/// Put domain errors onto the form.
pub fn apply_errors(form: &mut FormState, errors: FieldErrors) {
    for (field, message) in errors {
        if form.error(field).is_none() {
            form.fail(field, message);
        }
    }
}

fn multi(form: &FormState, name: &str) -> Vec<String> {
    form.value(name)
        .split('、')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The domain input of a volunteer form.
pub fn volunteer_input(form: &FormState) -> VolunteerInput {
    VolunteerInput::read(|k| form.value(k).into(), |k| multi(form, k))
}

/// The domain input of a team form.
pub fn team_input(form: &FormState) -> TeamInput {
    TeamInput::read(|k| form.value(k).into(), |k| multi(form, k))
}

/// The region lists a form needs for its current province and city.
pub struct RegionLists {
    provinces: Vec<(String, String)>,
    cities: Vec<(String, String)>,
    counties: Vec<(String, String)>,
}

impl RegionLists {
    /// Lists for the codes chosen in `form` (unknown codes give empty lists).
    pub fn for_form(form: &FormState) -> RegionLists {
        let pairs = |parent: Option<&str>| -> Vec<(String, String)> {
            regions::children(parent)
                .into_iter()
                .map(|r| (r.code.to_string(), r.name.to_string()))
                .collect()
        };
        let province = form.value("province");
        let city = form.value("city");
        let city_ok =
            !city.is_empty() && regions::by_code(city).is_some_and(|c| c.parent == Some(province));
        RegionLists {
            provinces: pairs(None),
            cities: if province.is_empty() || regions::by_code(province).is_none() {
                Vec::new()
            } else {
                pairs(Some(province))
            },
            counties: if city_ok {
                pairs(Some(city))
            } else {
                Vec::new()
            },
        }
    }

    /// Borrow as the view's options.
    pub fn options(&self) -> RegionOptions<'_> {
        RegionOptions {
            provinces: &self.provinces,
            cities: &self.cities,
            counties: &self.counties,
        }
    }
}

/// Whether the POST only asked to refresh the region lists (no-JavaScript step).
pub fn is_region_step(ctx: &Ctx) -> bool {
    ctx.field("_step") == "region"
}

/// A stored volunteer as form values.
pub fn volunteer_form(v: &Volunteer) -> FormState {
    form_of(crate::domain::fields::form_values(
        crate::domain::fields::VOLUNTEER,
        v,
    ))
}

/// A stored team as form values.
pub fn team_form(o: &Team) -> FormState {
    form_of(crate::domain::fields::form_values(
        crate::domain::fields::TEAM,
        o,
    ))
}

fn form_of(values: Vec<(&'static str, String)>) -> FormState {
    let mut f = FormState::default();
    for (name, value) in values {
        f.set(name, value);
    }
    f
}

/// A region path for display.
pub fn region_text(r: &crate::domain::regions::RegionPath) -> String {
    regions::full_name(r.county.as_deref().unwrap_or(&r.city))
}

/// The region and category a list's filter form chose, for the store's term indexes.
pub fn list_filter(form: &FormState) -> crate::store::ListFilter {
    crate::store::ListFilter {
        province: form.value("province").to_string(),
        city: form.value("city").to_string(),
        county: form.value("county").to_string(),
        category: form.value("category").to_string(),
    }
}

/// The local date today, for ID-number and date checks.
pub fn today(ctx: &Ctx) -> chrono::NaiveDate {
    ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive()
}

/// GET filter values as a form (for region selects and search boxes).
pub fn query_form(req: &rouille::Request, names: &[&str]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, clip(req.get_param(n).unwrap_or_default().trim()));
    }
    f
}

/// The requested page number (1-based); an unreadable one, or one past 100,000, is page 1,
/// so page arithmetic never overflows.
pub fn page_number(req: &rouille::Request) -> usize {
    req.get_param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1)
}

/// Whether `haystack` contains the search text, ignoring width and spaces.
pub fn matches_text(haystack: &str, q: &str) -> bool {
    let q = crate::domain::validate::normalize(q).to_lowercase();
    q.is_empty()
        || crate::domain::validate::normalize(haystack)
            .to_lowercase()
            .contains(&q)
}
