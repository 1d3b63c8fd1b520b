//! 提需求 and 供需对接: anyone submits a demand (rate-limited per address) and gets a
//! number to look it up; platform and team admins see open demands with matching
//! volunteers and teams, take them, create an activity from them, and finish them.

use super::forms::{
    RegionLists, apply_errors, form_state, is_region_step, list_filter, page_number, query_form,
    region_text,
};
use super::respond::{html, rejected};
use crate::app::demand;
use crate::domain::demand::{Demand, DemandInput, DemandState, check_demand};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::validate;
use crate::error::AppError;
use crate::store::DemandFilter;
use crate::views::demand::{self as view, DemandLine, DemandPage, MatchLine};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash, teams_allowing};
use crate::web::ratelimit::{DEMAND_PER_ADDRESS, wait_message};
use rouille::{Request, Response};

const FIELDS: &[&str] = &[
    "requester_kind",
    "requester_name",
    "contact_name",
    "contact_phone",
    "province",
    "city",
    "county",
    "text",
    "wanted_when",
];

fn render_form(ctx: &Ctx, form: &crate::views::components::FormState, status: u16) -> Response {
    let lists = RegionLists::for_form(form);
    rejected(view::form(&ctx.page(), form, &lists.options()), status)
}

pub fn new_form(ctx: &Ctx) -> Result<Response, AppError> {
    let mut f = crate::views::components::FormState::default();
    // Start from the platform's own county when one is set.
    if let Some(path) = ctx
        .settings
        .region_scope
        .as_deref()
        .and_then(crate::domain::regions::path_of)
    {
        f.set("province", path.province);
        f.set("city", path.city);
        f.set("county", path.county.unwrap_or_default());
    }
    Ok(render_form(ctx, &f, 200))
}

fn new_number() -> String {
    // Eight digits are enough for a county and easy to read out over the phone.
    let code = crate::domain::secret::six_digit_code();
    let more = crate::domain::secret::six_digit_code();
    format!("XQ{}{}", &code, &more[..2])
}

pub fn create(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let mut form = form_state(ctx, FIELDS, "");
    let cats: Vec<String> = ctx
        .fields("categories")
        .into_iter()
        .map(str::to_string)
        .collect();
    form.set("categories", cats.join("、"));
    if is_region_step(ctx) {
        return Ok(render_form(ctx, &form, 200));
    }
    let input = DemandInput {
        requester_kind: form.value("requester_kind").into(),
        requester_name: form.value("requester_name").into(),
        contact_name: form.value("contact_name").into(),
        contact_phone: form.value("contact_phone").into(),
        province: form.value("province").into(),
        city: form.value("city").into(),
        county: form.value("county").into(),
        categories: cats,
        text: ctx.field("text").into(),
        wanted_when: form.value("wanted_when").into(),
    };
    let fields = match check_demand(&input) {
        Ok(f) => f,
        Err(errors) => {
            apply_errors(&mut form, errors);
            return Ok(render_form(ctx, &form, 422));
        }
    };
    if let Err(wait) = app
        .limiter
        .take(DEMAND_PER_ADDRESS, &ctx.remote.ip().to_string())
    {
        form.message = Some(format!("提交太频繁。{}", wait_message(wait)));
        return Ok(render_form(ctx, &form, 429));
    }
    let mut d = Demand {
        id: Gid::new(),
        origin: app.store.installation_id(),
        number: new_number(),
        requester_kind: fields.requester_kind,
        requester_name: fields.requester_name,
        contact_name: fields.contact_name,
        contact_phone: fields.contact_phone,
        region: fields.region,
        categories: fields.categories,
        text: fields.text,
        wanted_when: fields.wanted_when,
        state: DemandState::Open,
        taken_by: None,
        activity: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    // A clash of numbers is unlikely; try again with a fresh one.
    for _ in 0..5 {
        match app.store.save_demand(&d) {
            Ok(()) => {
                log::info!("demand submitted");
                // Redirect so a reload cannot submit the demand twice.
                return Ok(Response::redirect_303(format!(
                    "/demands/submitted?n={}",
                    d.number
                )));
            }
            Err(crate::store::StoreError::Taken(_)) => d.number = new_number(),
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(
        "could not find a free demand number".into(),
    ))
}

pub fn submitted(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let n = req.get_param("n").unwrap_or_default();
    let d = app
        .store
        .demand_by_number(n.trim())?
        .ok_or(AppError::NotFound)?;
    Ok(html(view::submitted(&ctx.page(), &d.number)))
}

pub fn status(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let n: String = req
        .get_param("n")
        .unwrap_or_default()
        .trim()
        .to_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    let d = if n.is_empty() {
        None
    } else {
        app.store.demand_by_number(&n)?
    };
    let team = match d.as_ref().and_then(|d| d.taken_by) {
        Some(t) => app.store.team(t)?.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let cats = d
        .as_ref()
        .map(|d| d.categories.join("、"))
        .unwrap_or_default();
    let found = d
        .as_ref()
        .map(|d| (d.state.label(), cats.as_str(), team.as_str()));
    let status = if !n.is_empty() && found.is_none() {
        404
    } else {
        200
    };
    Ok(rejected(view::status(&ctx.page(), &n, found), status))
}

/// Platform admins see every demand; admins of teams in good standing too (to take
/// them). A team under review or suspended sees none: demands carry people's contacts.
fn admin_teams(ctx: &Ctx) -> Result<Vec<(Gid, String)>, AppError> {
    match &ctx.viewer {
        Viewer::Admin(_) => Ok(Vec::new()),
        Viewer::Volunteer { teams, .. } if !teams.is_empty() => {
            let acting: Vec<(Gid, String)> = teams_allowing(ctx, TeamPower::Act)
                .into_iter()
                .map(|t| (t.id, t.name.clone()))
                .collect();
            if acting.is_empty() {
                return Err(AppError::Forbidden(teams[0].status.refusal().into()));
            }
            Ok(acting)
        }
        _ => Err(AppError::forbidden()),
    }
}

pub fn list(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    admin_teams(ctx)?;
    let filter = query_form(req, &["province", "city", "county", "category", "state"]);
    let offset = ctx.settings.utc_offset;
    let page_no = page_number(req);
    let state = filter.value("state");
    let known_state = DemandState::ALL.into_iter().find(|s| s.label() == state);
    let (found, has_more) = if !state.is_empty() && known_state.is_none() {
        (Vec::new(), false) // a state no demand can be in
    } else {
        app.store.demand_page(
            &DemandFilter {
                list: list_filter(&filter),
                state: known_state,
            },
            page_no,
            DEMANDS_PER_PAGE,
        )?
    };
    let lines: Vec<DemandLine> = found
        .into_iter()
        .map(|d| DemandLine {
            id: d.id.to_string(),
            number: d.number.clone(),
            who: if d.requester_name.is_empty() {
                d.requester_kind.clone()
            } else {
                format!("{}（{}）", d.requester_name, d.requester_kind)
            },
            region: region_text(&d.region),
            categories: d.categories.join("、"),
            state: d.state.label(),
            created: d
                .created_at
                .with_timezone(&offset)
                .format("%m-%d %H:%M")
                .to_string(),
        })
        .collect();
    let lists = RegionLists::for_form(&filter);
    Ok(html(view::list(
        &ctx.page(),
        &filter,
        &lists.options(),
        &lines,
        crate::views::team::pager("/demands", page_no, has_more, req.raw_query_string()),
    )))
}

/// Demands on one page of the list.
const DEMANDS_PER_PAGE: usize = 50;

fn near_label(n: u8) -> &'static str {
    match n {
        3 => "同县",
        2 => "同市",
        1 => "同省",
        _ => "外省",
    }
}

pub fn show(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let mine = admin_teams(ctx)?;
    let platform = matches!(ctx.viewer, Viewer::Admin(_));
    let d = app.store.demand(id)?.ok_or(AppError::NotFound)?;
    let volunteers: Vec<MatchLine> = demand::matching_volunteers(&app.store, &d)?
        .into_iter()
        .map(|m| {
            let v = m.volunteer;
            MatchLine {
                id: v.id.to_string(),
                name: v.real_name.clone(),
                // Only the person and platform admins see a full phone; a team admin
                // invites instead of calling a stranger.
                phone: if platform {
                    v.phone.clone()
                } else {
                    validate::mask_phone(&v.phone)
                },
                region: region_text(&v.region),
                categories: v.service_categories.join("、"),
                sanzhang: (v.sanzhang != "否").then(|| v.sanzhang.clone()),
                nearness: near_label(m.fit.0),
            }
        })
        .collect();
    let teams: Vec<(String, String, &'static str)> = demand::matching_teams(&app.store, &d)?
        .into_iter()
        .map(|m| (m.team.id.to_string(), m.team.name, near_label(m.nearness)))
        .collect();
    let taken_by = match d.taken_by {
        Some(t) => app.store.team(t)?.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let facts = vec![
        (
            "提出方",
            format!("{} {}", d.requester_kind, d.requester_name),
        ),
        ("联系人", format!("{} {}", d.contact_name, d.contact_phone)),
        ("地点", region_text(&d.region)),
        ("服务类别", d.categories.join("、")),
        ("希望时间", d.wanted_when.clone()),
        (
            "承接组织",
            if taken_by.is_empty() {
                "—".to_string()
            } else {
                taken_by
            },
        ),
    ];
    let my_teams: Vec<(String, String)> = if d.state == DemandState::Open {
        mine.iter()
            .map(|(i, n)| (i.to_string(), n.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let can_finish = d.state == DemandState::Taken
        && (matches!(ctx.viewer, Viewer::Admin(_))
            || d.taken_by
                .is_some_and(|t| mine.iter().any(|(i, _)| *i == t)));
    let activity = d.activity.map(|a| a.to_string());
    Ok(html(view::detail(
        &ctx.page(),
        &DemandPage {
            id: &d.id.to_string(),
            number: &d.number,
            facts: &facts,
            text: &d.text,
            state: d.state.label(),
            volunteers: &volunteers,
            teams: &teams,
            my_teams: &my_teams,
            inviting_teams: &mine
                .iter()
                .map(|(i, n)| (i.to_string(), n.clone()))
                .collect::<Vec<_>>(),
            activity: activity.as_deref(),
            can_finish,
        },
    )))
}

pub fn take(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let mine = admin_teams(ctx)?;
    let team: Gid = ctx
        .field("team")
        .parse()
        .map_err(|_| AppError::BadRequest("请选择承接的组织。".into()))?;
    if !mine.iter().any(|(t, _)| *t == team) {
        return Err(AppError::forbidden());
    }
    demand::take(&app.store, id, team, ctx.now)?;
    Ok(redirect_with_flash(
        &format!("/demands/{id}"),
        "demand_taken",
    ))
}

pub fn done(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let mine = admin_teams(ctx)?;
    let d = app.store.demand(id)?.ok_or(AppError::NotFound)?;
    let allowed = matches!(ctx.viewer, Viewer::Admin(_))
        || d.taken_by
            .is_some_and(|t| mine.iter().any(|(i, _)| *i == t));
    // Only the team that holds a taken demand can close it; anything else is not theirs.
    if !allowed || d.state != DemandState::Taken {
        return Err(AppError::forbidden());
    }
    demand::finish(&app.store, id, ctx.now)?;
    Ok(redirect_with_flash(
        &format!("/demands/{id}"),
        "demand_done",
    ))
}
