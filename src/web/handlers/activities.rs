//! Activities: 活动报名 (list, page, signup, waitlist), 活动发布 and editing,
//! 我发布的活动 with rosters, the sign-in sheet and the xlsx roster, check-in by QR code,
//! attendance and hours, the report with photos, 我参加的活动, the service record and
//! certificates.

use super::forms::{
    RegionLists, apply_errors, form_state, is_region_step, matches_text, page_number, query_form,
    region_matches, region_text,
};
use super::{html, rejected};
use crate::domain::activity::{
    self as rules, Activity, ActivityInput, ActivityState, Phase, SignupState, phase,
    phase_filter_matches,
};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::record::{
    Certificate, CertificateLine, MAX_REPORT_PHOTOS, Photo, Report, sniff_image,
};
use crate::domain::validate;
use crate::error::AppError;
use crate::exchange::roster;
use crate::store::{AuditEntry, SignupOutcome, StoreError};
use crate::views::activity::{
    self as view, ActivityCard, ActivityFilter, ActivityFormSpec, ActivityPage, CheckinPage,
    MyLine, PublishedLine, RosterLine, SignupAction,
};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash, require_team};
use chrono::{DateTime, NaiveDateTime, Utc};
use rouille::{Request, Response};

const PER_PAGE: usize = 20;
const ACTIVITY_FIELDS: &[&str] = rules::FORM_ORDER;

fn local_now(ctx: &Ctx) -> NaiveDateTime {
    ctx.now
        .with_timezone(&ctx.settings.utc_offset)
        .naive_local()
}

fn local(ctx: &Ctx, t: DateTime<Utc>) -> String {
    t.with_timezone(&ctx.settings.utc_offset)
        .format("%m-%d %H:%M")
        .to_string()
}

fn when(a: &Activity) -> String {
    if a.starts_at.date() == a.ends_at.date() {
        format!(
            "{} – {}",
            a.starts_at.format("%Y-%m-%d %H:%M"),
            a.ends_at.format("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            a.starts_at.format("%Y-%m-%d %H:%M"),
            a.ends_at.format("%Y-%m-%d %H:%M")
        )
    }
}

fn load(app: &App, id: Gid) -> Result<Activity, AppError> {
    app.store.activity(id)?.ok_or(AppError::NotFound)
}

/// The activity's phase now and its card.
fn card(app: &App, ctx: &Ctx, a: &Activity) -> Result<(Phase, ActivityCard), AppError> {
    let (seats, waiting) = app.store.signup_counts(a.id)?;
    let p = phase(a, local_now(ctx), seats);
    let organization = app
        .store
        .organization(a.organization)?
        .map(|o| o.name)
        .unwrap_or_default();
    let seat_text = match a.capacity {
        0 => format!("已报名 {seats} 人 · 不限人数"),
        c if seats >= c => format!(
            "已报名 {seats} 人 · 名额已满{}",
            if waiting > 0 {
                format!("，候补 {waiting} 人")
            } else {
                String::new()
            }
        ),
        c => format!("已报名 {seats} 人 · 剩余 {} 个名额", c - seats),
    };
    Ok((
        p,
        ActivityCard {
            id: a.id.to_string(),
            title: a.title.clone(),
            organization,
            when: when(a),
            region: format!("{} {}", region_text(&a.region), a.address),
            phase: p.label(),
            phase_css: p.css(),
            seats: seat_text,
        },
    ))
}

/// Whether the viewer manages this activity: its team's admin, or a platform admin.
fn manages(ctx: &Ctx, a: &Activity) -> bool {
    match &ctx.viewer {
        Viewer::Admin(_) => true,
        Viewer::Volunteer { teams, .. } => teams.iter().any(|t| t.id == a.organization),
        _ => false,
    }
}

/// The activity, if the viewer manages it and (for a team admin) the team's status allows
/// `power`; a suspended team's admin manages nothing.
fn managed(app: &App, ctx: &Ctx, id: Gid, power: TeamPower) -> Result<Activity, AppError> {
    let a = load(app, id)?;
    if !manages(ctx, &a) {
        return Err(AppError::forbidden());
    }
    if !matches!(ctx.viewer, Viewer::Admin(_)) {
        require_team(app, ctx, a.organization, power)?;
    }
    Ok(a)
}

/// Whether the public sees this activity: published by a team in good standing.
fn is_public(app: &App, a: &Activity) -> Result<bool, AppError> {
    Ok(a.state != ActivityState::Draft && team_is_public(app, a.organization)?)
}

fn team_is_public(app: &App, org: Gid) -> Result<bool, AppError> {
    Ok(app
        .store
        .organization(org)?
        .is_some_and(|o| o.status.is_public()))
}

fn audit(app: &App, ctx: &Ctx, action: &str, detail: String, records: u64) -> Result<(), AppError> {
    app.store.audit(&AuditEntry {
        at: ctx.now,
        actor: ctx.actor(),
        address: ctx.remote.ip().to_string(),
        action: action.into(),
        detail,
        records,
    })?;
    Ok(())
}

pub fn list(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let form = query_form(
        req,
        &["q", "category", "phase", "province", "city", "county"],
    );
    // No choice yet: what 活动报名 lists, the activities not ended; 全部 and 活动结束 are one
    // tap away.
    let phase = match form.value("phase") {
        "" => rules::NOT_ENDED,
        chosen => chosen,
    };
    let page = page_number(req);
    let now = local_now(ctx);
    // Published activities of public teams, newest first, through `state_activities`;
    // the phase comes from the seat counters, and cards are built for the page only.
    let (acts, has_more) = app.store.published_activity_page(
        |a, seats| {
            matches_text(&a.title, form.value("q"))
                && (form.value("category").is_empty()
                    || a.service_category == form.value("category"))
                && region_matches(&a.region, &form)
                && phase_filter_matches(phase, crate::domain::activity::phase(a, now, seats))
        },
        page,
        PER_PAGE,
    )?;
    let cards = acts
        .iter()
        .map(|a| card(app, ctx, a).map(|(_, c)| c))
        .collect::<Result<Vec<_>, _>>()?;
    let lists = RegionLists::for_form(&form);
    let options = lists.options();
    let f = ActivityFilter {
        q: form.value("q"),
        category: form.value("category"),
        phase,
        form: &form,
        regions: &options,
        query: req.raw_query_string(),
    };
    Ok(html(view::list(&ctx.page(), &f, &cards, page, has_more)))
}

fn render_show(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    message: Option<&str>,
) -> Result<Response, AppError> {
    let (p, c) = card(app, ctx, a)?;
    let action = if manages(ctx, a) {
        SignupAction::Manage
    } else if let Some(v) = ctx.volunteer() {
        let mine = app.store.signup(a.id, v.id)?;
        match mine.as_ref().map(|s| s.state) {
            Some(
                s @ (SignupState::SignedUp
                | SignupState::Waitlisted
                | SignupState::Attended
                | SignupState::Absent),
            ) => SignupAction::Registered {
                state: if p == Phase::Cancelled {
                    "活动已取消"
                } else {
                    s.label()
                },
                promoted: mine.as_ref().is_some_and(|m| m.promoted_at.is_some())
                    && s == SignupState::SignedUp,
                can_cancel: matches!(s, SignupState::SignedUp | SignupState::Waitlisted)
                    && local_now(ctx) < a.starts_at
                    && p != Phase::Cancelled,
            },
            _ => match p {
                Phase::SignupOpen => SignupAction::SignUp,
                Phase::SignupClosed
                    if a.capacity != 0
                        && local_now(ctx) >= a.signup_opens
                        && local_now(ctx) < a.signup_closes =>
                {
                    SignupAction::JoinWaitlist
                }
                Phase::NotYetOpen => SignupAction::Closed("报名尚未开始"),
                Phase::Cancelled => SignupAction::Closed("活动已取消"),
                Phase::Ended => SignupAction::Closed("活动已结束"),
                Phase::InProgress => SignupAction::Closed("活动进行中，报名已截止"),
                _ => SignupAction::Closed("报名已截止"),
            },
        }
    } else {
        match p {
            Phase::Cancelled => SignupAction::Closed("活动已取消"),
            Phase::Ended => SignupAction::Closed("活动已结束"),
            _ => SignupAction::SignIn,
        }
    };
    let facts = vec![
        ("服务类别", a.service_category.clone()),
        ("活动时间", when(a)),
        (
            "报名时间",
            format!(
                "{} – {}",
                a.signup_opens.format("%Y-%m-%d %H:%M"),
                a.signup_closes.format("%Y-%m-%d %H:%M")
            ),
        ),
        (
            "活动地点",
            format!("{} {}", region_text(&a.region), a.address),
        ),
        ("联系人", format!("{} {}", a.contact_name, a.contact_phone)),
    ];
    let mut facts = facts;
    if manages(ctx, a)
        && let Some(d) = a.demand.map(|d| app.store.demand(d)).transpose()?.flatten()
    {
        facts.push(("对接需求", format!("{}（{}）", d.number, d.state.label())));
    }
    let report = app.store.report(a.id)?;
    let photo_urls: Vec<String> = report
        .as_ref()
        .map(|r| r.photos.iter().map(|p| format!("/photos/{p}")).collect())
        .unwrap_or_default();
    let data = ActivityPage {
        card: &c,
        facts: &facts,
        description: &a.description,
        risk_note: &a.risk_note,
        cover: a.cover_photo.map(|p| format!("/photos/{p}")),
        action,
        report: report
            .as_ref()
            .map(|r| (r.text.as_str(), photo_urls.as_slice())),
        message,
        featured: if matches!(ctx.viewer, Viewer::Admin(_)) {
            Some(app.store.featured()?.iter().any(|f| f.id == a.id))
        } else {
            None
        },
    };
    let status = if message.is_some() { 422 } else { 200 };
    Ok(rejected(view::show(&ctx.page(), &data), status))
}

pub fn show(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = load(app, id)?;
    if !manages(ctx, &a) && !is_public(app, &a)? {
        return Err(AppError::NotFound);
    }
    render_show(app, ctx, &a, None)
}

pub fn sign_up(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let Some(v) = ctx.volunteer() else {
        return Ok(Response::redirect_303(format!(
            "/login?next=/activities/{id}"
        )));
    };
    let a = load(app, id)?;
    if !team_is_public(app, a.organization)? {
        return Err(AppError::NotFound);
    }
    let waitlist = ctx.field("waitlist") == "yes";
    match app
        .store
        .sign_up(id, v.id, ctx.now, local_now(ctx), waitlist)
    {
        Ok(SignupOutcome::SignedUp) => Ok(redirect_with_flash(
            &format!("/activities/{id}"),
            "signed_up",
        )),
        Ok(SignupOutcome::Waitlisted) => Ok(redirect_with_flash(
            &format!("/activities/{id}"),
            "waitlisted",
        )),
        Err(StoreError::Rejected(m)) => render_show(app, ctx, &a, Some(&m)),
        Err(e) => Err(e.into()),
    }
}

pub fn cancel_signup(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let Some(v) = ctx.volunteer() else {
        return Err(AppError::forbidden());
    };
    let a = load(app, id)?;
    match app.store.cancel_signup(id, v.id, ctx.now, local_now(ctx)) {
        Ok(c) => {
            if c.promoted.is_some() {
                log::info!("a waiting volunteer was promoted");
            }
            Ok(redirect_with_flash(
                &format!("/activities/{id}"),
                "signup_cancelled",
            ))
        }
        Err(StoreError::Rejected(m)) => render_show(app, ctx, &a, Some(&m)),
        Err(e) => Err(e.into()),
    }
}

/// The team's id if the viewer administers it.
/// The platform admin, or the team's admin when its status allows `power`.
fn my_org(app: &App, ctx: &Ctx, org: Gid, power: TeamPower) -> Result<(), AppError> {
    match &ctx.viewer {
        Viewer::Admin(_) => Ok(()),
        _ => require_team(app, ctx, org, power).map(|_| ()),
    }
}

/// Whether the viewer may publish for `org` now (a team under review may only save drafts).
fn may_publish(app: &App, ctx: &Ctx, org: Gid) -> Result<bool, AppError> {
    Ok(match &ctx.viewer {
        Viewer::Admin(_) => true,
        _ => require_team(app, ctx, org, TeamPower::Act).is_ok(),
    })
}

pub fn my_org_activities(ctx: &Ctx) -> Result<Response, AppError> {
    match &ctx.viewer {
        Viewer::Volunteer { teams, .. } if !teams.is_empty() => Ok(Response::redirect_303(
            format!("/org/{}/activities", teams[0].id),
        )),
        _ => Err(AppError::forbidden()),
    }
}

/// The menu's 活动发布 (the manual's 组织-活动发布): the form of the admin's first team that
/// may publish (or prepare drafts, while under review).
pub fn my_org_new_activity(ctx: &Ctx) -> Result<Response, AppError> {
    let Viewer::Volunteer { teams, .. } = &ctx.viewer else {
        return Err(AppError::forbidden());
    };
    let team = crate::web::auth::teams_allowing(ctx, TeamPower::Act)
        .first()
        .map(|t| t.id)
        .or_else(|| {
            crate::web::auth::teams_allowing(ctx, TeamPower::Prepare)
                .first()
                .map(|t| t.id)
        });
    match team {
        Some(id) => Ok(Response::redirect_303(format!("/org/{id}/activities/new"))),
        None if !teams.is_empty() => Err(AppError::Forbidden(teams[0].status.refusal().into())),
        None => Err(AppError::forbidden()),
    }
}

/// Whether hours are overdue under the 10-working-day rule.
fn overdue(app: &App, ctx: &Ctx, a: &Activity, p: Phase) -> Result<Option<String>, AppError> {
    if p != Phase::Ended {
        return Ok(None);
    }
    let deadline = rules::record_deadline(a.ends_at.date());
    if local_now(ctx).date() <= deadline {
        return Ok(None);
    }
    let roster = app.store.roster(a.id)?;
    let missing = roster.iter().any(|r| {
        r.signup.state == SignupState::SignedUp
            || (r.signup.state == SignupState::Attended && r.signup.half_hours.is_none())
    });
    Ok(missing.then(|| format!("时长未记录（应于 {} 前记录）", deadline.format("%m-%d"))))
}

pub fn published(app: &App, ctx: &Ctx, req: &Request, org: Gid) -> Result<Response, AppError> {
    my_org(app, ctx, org, TeamPower::Prepare)?;
    let o = app.store.organization(org)?.ok_or(AppError::NotFound)?;
    let current = req.get_param("phase").unwrap_or_else(|| "全部".into());
    let mut acts = app.store.activities_of(org)?;
    acts.reverse();
    let mut tabs: Vec<(&'static str, usize)> =
        rules::PHASE_FILTERS.iter().map(|f| (*f, 0)).collect();
    let mut lines = Vec::new();
    for a in &acts {
        let (seats, waiting) = app.store.signup_counts(a.id)?;
        let p = phase(a, local_now(ctx), seats);
        for t in tabs.iter_mut() {
            if phase_filter_matches(t.0, p) {
                t.1 += 1;
            }
        }
        if !phase_filter_matches(&current, p) {
            continue;
        }
        let cap = if a.capacity == 0 {
            "不限".to_string()
        } else {
            a.capacity.to_string()
        };
        lines.push(PublishedLine {
            id: a.id.to_string(),
            title: a.title.clone(),
            when: when(a),
            phase: p.label(),
            phase_css: p.css(),
            signed: if waiting > 0 {
                format!("{seats}/{cap}（候补 {waiting}）")
            } else {
                format!("{seats}/{cap}")
            },
            overdue: overdue(app, ctx, a, p)?,
        });
    }
    Ok(html(view::published(
        &ctx.page(),
        &org.to_string(),
        &o.name,
        &tabs,
        &current,
        &lines,
    )))
}

fn activity_form_values(a: &Activity) -> FormState {
    let mut f = FormState::default();
    let dt = |t: NaiveDateTime| t.format("%Y-%m-%dT%H:%M").to_string();
    f.set("title", a.title.clone());
    f.set("service_category", a.service_category.clone());
    f.set("province", a.region.province.clone());
    f.set("city", a.region.city.clone());
    f.set("county", a.region.county.clone().unwrap_or_default());
    f.set("address", a.address.clone());
    f.set("description", a.description.clone());
    f.set("contact_name", a.contact_name.clone());
    f.set("contact_phone", a.contact_phone.clone());
    f.set("signup_opens", dt(a.signup_opens));
    f.set("signup_closes", dt(a.signup_closes));
    f.set("starts_at", dt(a.starts_at));
    f.set("ends_at", dt(a.ends_at));
    f.set("capacity", a.capacity.to_string());
    f.set("risk_note", a.risk_note.clone());
    f
}

fn render_form(
    ctx: &Ctx,
    form: &FormState,
    action: &str,
    heading: &str,
    confirm: Option<&str>,
    draft_allowed: bool,
    status: u16,
) -> Response {
    let lists = RegionLists::for_form(form);
    let demand = form.value("demand");
    let spec = ActivityFormSpec {
        heading,
        action,
        confirm,
        draft_allowed,
        demand: (!demand.is_empty()).then_some(demand),
    };
    rejected(
        view::form(&ctx.page(), form, &lists.options(), &spec),
        status,
    )
}

pub fn new_form(app: &App, ctx: &Ctx, req: &Request, org: Gid) -> Result<Response, AppError> {
    my_org(app, ctx, org, TeamPower::Prepare)?;
    let o = app.store.organization(org)?.ok_or(AppError::NotFound)?;
    let mut f = FormState::default();
    f.set("province", o.region.province.clone());
    f.set("city", o.region.city.clone());
    f.set("county", o.region.county.clone().unwrap_or_default());
    if let Some(v) = ctx.volunteer() {
        f.set("contact_name", v.real_name.clone());
        f.set("contact_phone", v.phone.clone());
    }
    f.set("capacity", "0");
    // Answering a demand: start from what was asked.
    if let Some(d) = req.get_param("demand").and_then(|d| d.parse::<Gid>().ok())
        && let Some(d) = app.store.demand(d)?
    {
        f.set("demand", d.id.to_string());
        f.set("title", format!("需求对接：{}", d.categories.join("、")));
        f.set(
            "service_category",
            d.categories.first().cloned().unwrap_or_default(),
        );
        f.set("description", d.text.clone());
        f.set("province", d.region.province.clone());
        f.set("city", d.region.city.clone());
        f.set("county", d.region.county.clone().unwrap_or_default());
    }
    Ok(render_form(
        ctx,
        &f,
        &format!("/org/{org}/activities/new"),
        "活动发布",
        None,
        true,
        200,
    ))
}

/// Check the posted form and the cover photo; errors land on `form`.
fn check_form(
    app: &App,
    ctx: &Ctx,
    form: &mut FormState,
) -> Option<(rules::ActivityFields, Option<Photo>)> {
    let input = ActivityInput {
        title: form.value("title").into(),
        service_category: form.value("service_category").into(),
        province: form.value("province").into(),
        city: form.value("city").into(),
        county: form.value("county").into(),
        address: form.value("address").into(),
        description: form.value("description").into(),
        contact_name: form.value("contact_name").into(),
        contact_phone: form.value("contact_phone").into(),
        signup_opens: form.value("signup_opens").into(),
        signup_closes: form.value("signup_closes").into(),
        starts_at: form.value("starts_at").into(),
        ends_at: form.value("ends_at").into(),
        capacity: form.value("capacity").into(),
        risk_note: form.value("risk_note").into(),
    };
    let fields = match rules::check_activity(&input, ctx.settings.region_scope.as_deref()) {
        Ok(f) => Some(f),
        Err(errors) => {
            apply_errors(form, errors);
            None
        }
    };
    let mut cover = None;
    if let Some(upload) = ctx
        .files
        .iter()
        .find(|f| f.field == "cover" && !f.bytes.is_empty())
    {
        match photo_from(ctx, upload) {
            Ok(p) => cover = Some(p),
            Err(m) => form.fail("cover", m),
        }
    }
    let _ = app;
    fields.filter(|_| form.is_ok()).map(|f| (f, cover))
}

fn photo_from(ctx: &Ctx, upload: &crate::web::auth::Upload) -> Result<Photo, String> {
    if upload.too_large {
        return Err(format!("“{}”超过 5 MB，请压缩后再上传", upload.filename));
    }
    let mime = sniff_image(&upload.bytes).map_err(|m| format!("“{}”：{m}", upload.filename))?;
    Ok(Photo {
        id: Gid::new(),
        mime: mime.into(),
        bytes: upload.bytes.clone(),
        created_at: ctx.now,
    })
}

fn apply_fields(a: &mut Activity, f: rules::ActivityFields) {
    a.title = f.title;
    a.service_category = f.service_category;
    a.region = f.region;
    a.address = f.address;
    a.description = f.description;
    a.contact_name = f.contact_name;
    a.contact_phone = f.contact_phone;
    a.signup_opens = f.signup_opens;
    a.signup_closes = f.signup_closes;
    a.starts_at = f.starts_at;
    a.ends_at = f.ends_at;
    a.capacity = f.capacity;
    a.risk_note = f.risk_note;
}

pub fn create(app: &App, ctx: &Ctx, org: Gid) -> Result<Response, AppError> {
    my_org(app, ctx, org, TeamPower::Prepare)?;
    let action = format!("/org/{org}/activities/new");
    let mut form = form_state(ctx, ACTIVITY_FIELDS, "");
    let demand: Option<Gid> = ctx.field("demand").parse().ok();
    if let Some(d) = demand {
        form.set("demand", d.to_string());
    }
    if is_region_step(ctx) {
        return Ok(render_form(
            ctx,
            &form,
            &action,
            "活动发布",
            None,
            true,
            200,
        ));
    }
    let Some((fields, cover)) = check_form(app, ctx, &mut form) else {
        return Ok(render_form(
            ctx,
            &form,
            &action,
            "活动发布",
            None,
            true,
            422,
        ));
    };
    let wants_publish = ctx.field("publish") != "no";
    // A team under review prepares drafts; the draft is kept rather than the typing lost.
    let publish = wants_publish && may_publish(app, ctx, org)?;
    let mut a = Activity {
        id: Gid::new(),
        origin: app.store.installation_id(),
        organization: org,
        title: String::new(),
        service_category: String::new(),
        region: fields.region.clone(),
        address: String::new(),
        description: String::new(),
        contact_name: String::new(),
        contact_phone: String::new(),
        signup_opens: fields.signup_opens,
        signup_closes: fields.signup_closes,
        starts_at: fields.starts_at,
        ends_at: fields.ends_at,
        capacity: 0,
        risk_note: String::new(),
        cover_photo: cover.as_ref().map(|p| p.id),
        demand: match demand {
            Some(d) if app.store.demand(d)?.is_some() => Some(d),
            _ => None,
        },
        state: if publish {
            ActivityState::Published
        } else {
            ActivityState::Draft
        },
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    apply_fields(&mut a, fields);
    if let Some(p) = &cover {
        app.store.insert_photo(p)?;
    }
    app.store.save_activity(&a, ctx.now)?;
    if let Some(d) = a.demand {
        super::demands::link_activity(app, ctx, d, org, a.id)?;
    }
    Ok(redirect_with_flash(
        &format!("/activities/{}", a.id),
        match (publish, wants_publish) {
            (true, _) => "published",
            (false, true) => "draft_not_published",
            (false, false) => "draft_saved",
        },
    ))
}

pub fn edit_form(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Prepare)?;
    if a.state == ActivityState::Cancelled {
        return Err(AppError::Unprocessable("活动已取消，不能再编辑。".into()));
    }
    let draft = a.state == ActivityState::Draft;
    Ok(render_form(
        ctx,
        &activity_form_values(&a),
        &format!("/activities/{id}/edit"),
        "编辑活动",
        None,
        draft,
        200,
    ))
}

pub fn edit(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Prepare)?;
    if a.state == ActivityState::Cancelled {
        return Err(AppError::Unprocessable("活动已取消，不能再编辑。".into()));
    }
    let action = format!("/activities/{id}/edit");
    let draft = a.state == ActivityState::Draft;
    let mut form = form_state(ctx, ACTIVITY_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_form(
            ctx,
            &form,
            &action,
            "编辑活动",
            None,
            draft,
            200,
        ));
    }
    let Some((fields, cover)) = check_form(app, ctx, &mut form) else {
        return Ok(render_form(
            ctx,
            &form,
            &action,
            "编辑活动",
            None,
            draft,
            422,
        ));
    };
    let (seats, _) = app.store.signup_counts(id)?;
    let times_moved = fields.starts_at != a.starts_at
        || fields.ends_at != a.ends_at
        || fields.signup_closes != a.signup_closes;
    let below = fields.capacity != 0 && fields.capacity < seats;
    if seats > 0 && (times_moved || below) && ctx.field("confirm") != "yes" {
        let mut warning = format!("已有 {seats} 人报名。");
        if below {
            warning.push_str(&format!("新的人数上限 {} 少于已报名人数：已报名的人都会保留，不会被取消，但不再接受新的报名。", fields.capacity));
        }
        if times_moved {
            warning.push_str(
                "活动时间有变动，已报名的志愿者会在“我参加的活动”中看到新的时间，请另行通知他们。",
            );
        }
        return Ok(render_form(
            ctx,
            &form,
            &action,
            "编辑活动",
            Some(&warning),
            draft,
            200,
        ));
    }
    let mut updated = a.clone();
    apply_fields(&mut updated, fields);
    if let Some(p) = &cover {
        app.store.insert_photo(p)?;
        updated.cover_photo = Some(p.id);
    }
    let mut flash = "saved";
    if draft && ctx.field("publish") != "no" {
        if may_publish(app, ctx, a.organization)? {
            updated.state = ActivityState::Published;
        } else {
            flash = "draft_not_published";
        }
    }
    updated.updated_at = ctx.now;
    app.store.save_activity(&updated, ctx.now)?;
    Ok(redirect_with_flash(&format!("/activities/{id}"), flash))
}

pub fn cancel(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let mut a = managed(app, ctx, id, TeamPower::Act)?;
    if ctx.field("confirm") != "yes" {
        return render_show(app, ctx, &a, Some("请勾选“确认取消这个活动”后再提交。"));
    }
    if local_now(ctx) >= a.ends_at {
        return Err(AppError::Unprocessable("活动已经结束，不能取消。".into()));
    }
    a.state = ActivityState::Cancelled;
    a.updated_at = ctx.now;
    app.store.save_activity(&a, ctx.now)?;
    audit(app, ctx, "activity.cancel", format!("取消活动 {}", a.id), 1)?;
    Ok(redirect_with_flash(
        &format!("/activities/{id}"),
        "activity_cancelled",
    ))
}

fn roster_lines(app: &App, ctx: &Ctx, a: &Activity) -> Result<Vec<RosterLine>, AppError> {
    let now = local_now(ctx);
    let can_mark = now >= a.starts_at - chrono::Duration::minutes(60);
    Ok(app
        .store
        .roster(a.id)?
        .into_iter()
        .filter(|r| r.signup.state != SignupState::Cancelled)
        .map(|r| {
            let s = &r.signup;
            RosterLine {
                volunteer_id: r.volunteer.id.to_string(),
                name: r.volunteer.real_name.clone(),
                phone: r.volunteer.phone.clone(),
                signed_up_at: local(ctx, s.signed_up_at),
                state: s.state.label(),
                check_in: s.check_in.map(|t| local(ctx, t)).unwrap_or_default(),
                check_out: s.check_out.map(|t| local(ctx, t)).unwrap_or_default(),
                hours: s
                    .half_hours
                    .map(rules::format_half_hours)
                    .unwrap_or_default(),
                default_hours: rules::format_half_hours(
                    s.half_hours.unwrap_or_else(|| {
                        rules::default_half_hours(a, s, ctx.settings.utc_offset)
                    }),
                ),
                attended: s.state == SignupState::Attended,
                can_mark: can_mark && s.state != SignupState::Waitlisted,
                corrections: s
                    .corrections
                    .iter()
                    .map(|c| {
                        format!(
                            "{} 改为 {} 小时（{}）",
                            local(ctx, c.at),
                            rules::format_half_hours(c.half_hours),
                            c.by
                        )
                    })
                    .collect(),
            }
        })
        .collect())
}

fn render_roster(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    form: &FormState,
    status: u16,
) -> Result<Response, AppError> {
    let lines = roster_lines(app, ctx, a)?;
    Ok(rejected(
        view::roster(&ctx.page(), &a.id.to_string(), &a.title, &lines, form),
        status,
    ))
}

pub fn roster(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    render_roster(app, ctx, &a, &FormState::default(), 200)
}

pub fn roster_xlsx(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let rows: Vec<roster::RosterRow> = roster_lines(app, ctx, &a)?
        .into_iter()
        .map(|l| roster::RosterRow {
            name: l.name,
            phone: l.phone,
            signed_up_at: l.signed_up_at,
            state: l.state.into(),
            check_in: l.check_in,
            check_out: l.check_out,
            hours: l.hours,
        })
        .collect();
    let bytes = roster::roster_xlsx(&a.title, &rows).map_err(AppError::Internal)?;
    audit(
        app,
        ctx,
        "activity.roster_export",
        format!("下载活动 {} 的报名名单", a.id),
        rows.len() as u64,
    )?;
    let filename = format!("{}-报名名单.xlsx", a.title);
    Ok(Response::from_data(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .with_unique_header("Content-Disposition", content_disposition(&filename)))
}

/// An attachment header that keeps a Chinese file name (RFC 6266 / 5987).
pub fn content_disposition(filename: &str) -> String {
    let encoded: String = filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"download.xlsx\"; filename*=UTF-8''{encoded}")
}

pub fn sign_sheet(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let rows: Vec<(String, String)> = app
        .store
        .roster(id)?
        .into_iter()
        .filter(|r| r.signup.state.holds_seat())
        .map(|r| (r.volunteer.real_name, r.volunteer.phone))
        .collect();
    let facts = [
        ("时间", when(&a)),
        ("地点", format!("{} {}", region_text(&a.region), a.address)),
    ];
    Ok(html(view::sign_sheet(
        &ctx.settings.site_name,
        &a.title,
        &facts,
        &rows,
    )))
}

fn base_url(app: &App) -> String {
    app.lan_urls()
        .first()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

pub fn checkin_qr(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let token = app.store.checkin_token(id)?;
    let url = format!("{}/activities/{id}/checkin?t={token}", base_url(app));
    let svg = super::public::qr_svg(&url);
    let window = format!(
        "{} 至 {}",
        (a.starts_at - chrono::Duration::minutes(60)).format("%m-%d %H:%M"),
        a.ends_at.format("%m-%d %H:%M")
    );
    Ok(html(view::checkin_qr(
        &ctx.page(),
        &a.title,
        &url,
        svg.as_deref(),
        &window,
    )))
}

fn render_checkin(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    token: &str,
    message: Option<&str>,
) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let s = app.store.signup(a.id, v.id)?;
    let now = local_now(ctx);
    let (status, can_in, can_out) = match &s {
        Some(s) if s.state.holds_seat() || s.state == SignupState::Absent => {
            let status = match (s.check_in, s.check_out) {
                (Some(i), Some(o)) => format!("已签到 {}，已签退 {}", local(ctx, i), local(ctx, o)),
                (Some(i), None) => format!("已签到 {}", local(ctx, i)),
                _ => "您已报名，请签到".to_string(),
            };
            (
                status,
                s.check_in.is_none() && rules::checkin_open(a, now),
                s.check_in.is_some() && s.check_out.is_none() && rules::checkout_open(a, now),
            )
        }
        _ => (
            "您没有报名这个活动，不能签到。如有疑问请联系活动负责人。".to_string(),
            false,
            false,
        ),
    };
    let page = CheckinPage {
        id: &a.id.to_string(),
        token,
        title: &a.title,
        status: &status,
        can_in,
        can_out,
        message,
    };
    let code = if message.is_some() { 422 } else { 200 };
    Ok(rejected(view::checkin(&ctx.page(), &page), code))
}

fn check_token(app: &App, id: Gid, token: &str) -> Result<(), AppError> {
    let real = app.store.checkin_token(id)?;
    if token.is_empty() || token != real {
        return Err(AppError::Forbidden(
            "签到二维码无效，请扫描现场电脑上显示的二维码。".into(),
        ));
    }
    Ok(())
}

pub fn checkin_page(app: &App, ctx: &Ctx, req: &Request, id: Gid) -> Result<Response, AppError> {
    let token = req.get_param("t").unwrap_or_default();
    if ctx.volunteer().is_none() {
        let next = format!("/activities/{id}/checkin?t={token}");
        return Ok(Response::redirect_303(format!(
            "/login?next={}",
            crate::views::components::encode_query(&next)
        )));
    }
    let a = load(app, id)?;
    check_token(app, id, &token)?;
    render_checkin(app, ctx, &a, &token, None)
}

pub fn check_in_out(
    app: &App,
    ctx: &Ctx,
    id: Gid,
    checking_in: bool,
) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let token = ctx.field("t").to_string();
    check_token(app, id, &token)?;
    let a = load(app, id)?;
    let now = local_now(ctx);
    let at = ctx.now;
    let result = app.store.update_signup(id, v.id, |a, mut s| {
        if !(s.state.holds_seat() || s.state == SignupState::Absent) {
            return Err(StoreError::Rejected(
                "您没有报名这个活动，不能签到。".into(),
            ));
        }
        if checking_in {
            if !rules::checkin_open(a, now) {
                return Err(StoreError::Rejected(
                    "现在不在签到时间内（活动开始前1小时至活动结束）。".into(),
                ));
            }
            if s.check_in.is_some() {
                return Err(StoreError::Rejected("您已经签到过了。".into()));
            }
            s.check_in = Some(at);
            s.state = SignupState::Attended;
        } else {
            if !rules::checkout_open(a, now) {
                return Err(StoreError::Rejected(
                    "现在不在签退时间内（活动开始后至结束后3小时）。".into(),
                ));
            }
            if s.check_in.is_none() {
                return Err(StoreError::Rejected("请先签到。".into()));
            }
            if s.check_out.is_some() {
                return Err(StoreError::Rejected("您已经签退过了。".into()));
            }
            s.check_out = Some(at);
        }
        s.updated_at = at;
        Ok(s)
    });
    match result {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/activities/{id}/checkin?t={token}"),
            if checking_in {
                "checked_in"
            } else {
                "checked_out"
            },
        )),
        Err(StoreError::Rejected(m)) => render_checkin(app, ctx, &a, &token, Some(&m)),
        Err(StoreError::NotFound) => {
            render_checkin(app, ctx, &a, &token, Some("您没有报名这个活动，不能签到。"))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn attendance(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let vol: Gid = ctx
        .field("volunteer")
        .parse()
        .map_err(|_| AppError::BadRequest("缺少志愿者。".into()))?;
    let attended = ctx.field("attended") == "yes";
    if local_now(ctx) < a.starts_at - chrono::Duration::minutes(60) {
        let f = FormState {
            message: Some("活动还没有开始，不能登记到场情况。".into()),
            ..Default::default()
        };
        return render_roster(app, ctx, &a, &f, 422);
    }
    let at = ctx.now;
    let result = app.store.update_signup(id, vol, |_, mut s| {
        if !(s.state.holds_seat() || s.state == SignupState::Absent) {
            return Err(StoreError::Rejected(
                "只能为已报名的志愿者登记到场情况。".into(),
            ));
        }
        s.state = if attended {
            SignupState::Attended
        } else {
            SignupState::Absent
        };
        if !attended {
            s.half_hours = None;
        }
        s.updated_at = at;
        Ok(s)
    });
    match result {
        Ok(_) => Ok(Response::redirect_303(format!("/activities/{id}/roster"))),
        Err(StoreError::Rejected(m)) => {
            let f = FormState {
                message: Some(m),
                ..Default::default()
            };
            render_roster(app, ctx, &a, &f, 422)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn hours(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let days = rules::days_spanned(a.starts_at, a.ends_at);
    let mut form = FormState::default();
    let mut entries = Vec::new();
    for r in app
        .store
        .roster(id)?
        .into_iter()
        .filter(|r| r.signup.state == SignupState::Attended)
    {
        let name = format!("hours_{}", r.volunteer.id);
        let raw = ctx.field(&name).to_string();
        if raw.is_empty() {
            continue;
        }
        form.set(&name, raw.clone());
        match rules::parse_hours(&raw, days) {
            Ok(h) => entries.push((r.volunteer.id, h)),
            Err(m) => form.fail(&name, m),
        }
    }
    if !form.is_ok() {
        return render_roster(app, ctx, &a, &form, 422);
    }
    let n = app
        .store
        .record_hours(id, &entries, &ctx.actor(), ctx.now)?;
    audit(
        app,
        ctx,
        "activity.hours",
        format!("记录活动 {} 的服务时长", a.id),
        n as u64,
    )?;
    Ok(redirect_with_flash(
        &format!("/activities/{id}/roster"),
        "hours_saved",
    ))
}

pub fn report_form(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let r = app.store.report(id)?;
    let mut f = FormState::default();
    f.set(
        "text",
        r.as_ref().map(|r| r.text.clone()).unwrap_or_default(),
    );
    let photos: Vec<String> = r
        .map(|r| r.photos.iter().map(|p| format!("/photos/{p}")).collect())
        .unwrap_or_default();
    Ok(html(view::report_form(
        &ctx.page(),
        &id.to_string(),
        &a.title,
        &f,
        &photos,
    )))
}

pub fn save_report(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let a = managed(app, ctx, id, TeamPower::Act)?;
    let existing = app.store.report(id)?;
    let old_photos: Vec<Gid> = existing
        .as_ref()
        .map(|r| r.photos.clone())
        .unwrap_or_default();
    let mut form = FormState::default();
    let text = validate::normalize_multiline(ctx.field("text"));
    form.set("text", ctx.field("text"));
    if text.trim().is_empty() {
        form.fail("text", "请填写活动情况");
    } else if validate::char_count(&text) > 2000 {
        form.fail("text", "活动情况不能超过2000字");
    }
    let uploads: Vec<_> = ctx
        .files
        .iter()
        .filter(|f| f.field == "photos" && !f.bytes.is_empty())
        .collect();
    if old_photos.len() + uploads.len() > MAX_REPORT_PHOTOS {
        form.fail(
            "photos",
            format!(
                "最多 {MAX_REPORT_PHOTOS} 张照片，已有 {} 张，这次选了 {} 张",
                old_photos.len(),
                uploads.len()
            ),
        );
    }
    let mut new_photos = Vec::new();
    let mut problems = Vec::new();
    for u in uploads {
        match photo_from(ctx, u) {
            Ok(p) => new_photos.push(p),
            Err(m) => problems.push(m),
        }
    }
    if !problems.is_empty() {
        form.fail("photos", problems.join("；"));
    }
    if !form.is_ok() {
        let photos: Vec<String> = old_photos.iter().map(|p| format!("/photos/{p}")).collect();
        return Ok(rejected(
            view::report_form(&ctx.page(), &id.to_string(), &a.title, &form, &photos),
            422,
        ));
    }
    let mut photos = old_photos;
    photos.extend(new_photos.iter().map(|p| p.id));
    let r = Report {
        id: existing.as_ref().map(|r| r.id).unwrap_or_default(),
        activity: id,
        text,
        photos,
        author: ctx.actor(),
        created_at: existing.as_ref().map(|r| r.created_at).unwrap_or(ctx.now),
        updated_at: ctx.now,
    };
    app.store.save_report(&r, &new_photos)?;
    Ok(redirect_with_flash(
        &format!("/activities/{id}"),
        "report_saved",
    ))
}

pub fn photo(app: &App, req: &Request, id: Gid) -> Result<Response, AppError> {
    let p = app.store.photo(id)?.ok_or(AppError::NotFound)?;
    let etag = format!("\"{id}\"");
    if req
        .header("If-None-Match")
        .is_some_and(|h| h.contains(&etag))
    {
        return Ok(Response::text("")
            .with_status_code(304)
            .with_unique_header("ETag", etag));
    }
    Ok(Response::from_data(p.mime, p.bytes)
        .with_unique_header("ETag", etag)
        .with_unique_header("Cache-Control", "public, max-age=86400"))
}

pub fn mine(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let form = query_form(req, &["q", "phase", "tab"]);
    let mut lines = Vec::new();
    let mut rows = app.store.my_activities(v.id)?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.activity.starts_at));
    for r in rows {
        if r.signup.state == SignupState::Cancelled || r.activity.state == ActivityState::Draft {
            continue;
        }
        let (p, c) = card(app, ctx, &r.activity)?;
        let pending = matches!(
            r.signup.state,
            SignupState::SignedUp | SignupState::Waitlisted
        ) && !matches!(p, Phase::Ended | Phase::Cancelled);
        let keep = matches_text(&r.activity.title, form.value("q"))
            && phase_filter_matches(form.value("phase"), p)
            && match form.value("tab") {
                "pending" => pending,
                "ended" => p == Phase::Ended,
                _ => true,
            };
        if keep {
            lines.push(MyLine {
                state: if p == Phase::Cancelled {
                    "活动已取消"
                } else {
                    r.signup.state.label()
                },
                hours: r
                    .signup
                    .half_hours
                    .map(rules::format_half_hours)
                    .unwrap_or_default(),
                card: c,
            });
        }
    }
    Ok(html(view::mine(
        &ctx.page(),
        form.value("phase"),
        form.value("tab"),
        form.value("q"),
        &lines,
    )))
}

/// The attended activities with hours: the service record.
fn record_lines(app: &App, volunteer: Gid) -> Result<Vec<CertificateLine>, AppError> {
    let mut lines = Vec::new();
    for r in app.store.my_activities(volunteer)? {
        let (SignupState::Attended, Some(h)) = (r.signup.state, r.signup.half_hours) else {
            continue;
        };
        let a = r.activity;
        lines.push(CertificateLine {
            activity: a.id,
            title: a.title.clone(),
            date: a.starts_at.date(),
            place: format!("{} {}", region_text(&a.region), a.address),
            content: a.service_category.clone(),
            organization: app
                .store
                .organization(a.organization)?
                .map(|o| o.name)
                .unwrap_or_default(),
            half_hours: h,
        });
    }
    lines.sort_by_key(|l| l.date);
    Ok(lines)
}

pub fn service_record(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let lines = record_lines(app, v.id)?;
    let total: u32 = lines.iter().map(|l| l.half_hours).sum();
    let rows: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l.date.to_string(),
                l.title.clone(),
                l.place.clone(),
                l.organization.clone(),
                rules::format_half_hours(l.half_hours),
            )
        })
        .collect();
    let certs: Vec<(String, String)> = app
        .store
        .certificates_of(v.id)?
        .into_iter()
        .map(|c| {
            (
                c.number,
                format!(
                    "{} · {} 小时",
                    c.issued_on,
                    rules::format_half_hours(c.total_half_hours)
                ),
            )
        })
        .collect();
    Ok(html(view::service_record(
        &ctx.page(),
        &rows,
        &rules::format_half_hours(total),
        &certs,
    )))
}

pub fn issue_certificate(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let lines = record_lines(app, v.id)?;
    if lines.is_empty() {
        return Err(AppError::Unprocessable(
            "还没有已记录的服务时长，暂时不能开具证明。".into(),
        ));
    }
    let today = local_now(ctx).date();
    let total = lines.iter().map(|l| l.half_hours).sum();
    let number = crate::domain::record::new_certificate_number(today);
    let c = Certificate {
        id: Gid::new(),
        number: number.clone(),
        volunteer: v.id,
        volunteer_name: v.real_name.clone(),
        masked_id_number: validate::mask_id_number(&v.id_number),
        lines,
        total_half_hours: total,
        issuer: ctx.settings.site_name.clone(),
        issued_on: today,
        created_at: ctx.now,
    };
    app.store.insert_certificate(&c)?;
    Ok(Response::redirect_303(format!("/certificates/{number}")))
}

pub fn certificate(app: &App, ctx: &Ctx, number: &str) -> Result<Response, AppError> {
    let c = app.store.certificate(number)?.ok_or(AppError::NotFound)?;
    let allowed = match &ctx.viewer {
        Viewer::Admin(_) => true,
        Viewer::Volunteer { volunteer, .. } => volunteer.id == c.volunteer,
        _ => false,
    };
    if !allowed {
        return Err(AppError::forbidden());
    }
    let lines: Vec<(String, String, String, String)> = c
        .lines
        .iter()
        .map(|l| {
            (
                l.date.to_string(),
                format!("{}（{}）", l.title, l.content),
                l.organization.clone(),
                rules::format_half_hours(l.half_hours),
            )
        })
        .collect();
    let verify_url = format!("{}/verify/{}", base_url(app), c.number);
    let qr = super::public::qr_svg(&verify_url);
    let total = rules::format_half_hours(c.total_half_hours);
    let issued = c.issued_on.format("%Y年%m月%d日").to_string();
    Ok(html(view::certificate(&view::CertificateView {
        number: &c.number,
        name: &c.volunteer_name,
        masked_id: &c.masked_id_number,
        lines: &lines,
        total: &total,
        issuer: &c.issuer,
        issued_on: &issued,
        verify_url: &verify_url,
        qr: qr.as_deref(),
    })))
}

pub fn verify(app: &App, ctx: &Ctx, number: &str) -> Result<Response, AppError> {
    use crate::domain::record::{is_unguessable_certificate_number, normalize_certificate_number};
    let typed = normalize_certificate_number(number);
    // Old sequential numbers were stored without dashes and before the O/I/L folding.
    let legacy: String = number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    let c = match app.store.certificate(&typed)? {
        Some(c) => Some(c),
        None if !legacy.is_empty() => app.store.certificate(&legacy)?,
        None => None,
    };
    let number = c.as_ref().map(|c| c.number.clone()).unwrap_or(typed);
    // A guessable (sequential) number proves a certificate exists, not whose it is.
    let name = c.as_ref().map(|c| {
        if is_unguessable_certificate_number(&c.number) {
            c.volunteer_name.clone()
        } else {
            validate::mask_name(&c.volunteer_name)
        }
    });
    let total = c
        .as_ref()
        .map(|c| rules::format_half_hours(c.total_half_hours))
        .unwrap_or_default();
    let date = c
        .as_ref()
        .map(|c| c.issued_on.to_string())
        .unwrap_or_default();
    let found = c
        .as_ref()
        .zip(name.as_deref())
        .map(|(c, name)| (name, total.as_str(), c.issuer.as_str(), date.as_str()));
    let status = if found.is_some() { 200 } else { 404 };
    Ok(rejected(view::verify(&ctx.page(), &number, found), status))
}
