//! Publishing: a team's activity list (我发布的活动), the new/edit form with its region step and cover photo, and cancelling an activity.

use super::{
    ACTIVITY_FIELDS, browse::render_show, local_now, managed, may_publish, my_team, photo_from,
    when,
};
use crate::domain::activity::{
    self as rules, Activity, ActivityInput, ActivityState, Phase, SignupState, phase,
    phase_filter_matches,
};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::record::Photo;
use crate::error::AppError;
use crate::views::activity::{self as view, ActivityFormSpec, PublishedLine};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash};
use crate::web::handlers::forms::{RegionLists, apply_errors, form_state, is_region_step};
use crate::web::handlers::respond::{html, rejected};
use chrono::NaiveDateTime;
use rouille::{Request, Response};

pub fn my_team_activities(ctx: &Ctx) -> Result<Response, AppError> {
    match &ctx.viewer {
        Viewer::Volunteer { teams, .. } if !teams.is_empty() => Ok(Response::redirect_303(
            format!("/team/{}/activities", teams[0].id),
        )),
        _ => Err(AppError::forbidden()),
    }
}

/// The menu's 活动发布 (the manual's 组织-活动发布): the form of the admin's first team that
/// may publish (or prepare drafts, while under review).
pub fn my_team_new_activity(ctx: &Ctx) -> Result<Response, AppError> {
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
        Some(id) => Ok(Response::redirect_303(format!("/team/{id}/activities/new"))),
        None if !teams.is_empty() => Err(AppError::Forbidden(teams[0].status.refusal().into())),
        None => Err(AppError::forbidden()),
    }
}

/// Whether hours are overdue under the 10-working-day rule.
pub(super) fn overdue(
    app: &App,
    ctx: &Ctx,
    a: &Activity,
    p: Phase,
) -> Result<Option<String>, AppError> {
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
    my_team(app, ctx, org, TeamPower::Prepare)?;
    let o = app.store.team(org)?.ok_or(AppError::NotFound)?;
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

pub(super) fn activity_form_values(a: &Activity) -> FormState {
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

pub(super) fn render_form(
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
    my_team(app, ctx, org, TeamPower::Prepare)?;
    let o = app.store.team(org)?.ok_or(AppError::NotFound)?;
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
        &format!("/team/{org}/activities/new"),
        "活动发布",
        None,
        true,
        200,
    ))
}

/// Check the posted form and the cover photo; errors land on `form`.
pub(super) fn check_form(
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

pub(super) fn apply_fields(a: &mut Activity, f: rules::ActivityFields) {
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
    my_team(app, ctx, org, TeamPower::Prepare)?;
    let action = format!("/team/{org}/activities/new");
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
        team: org,
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
    app.store
        .save_activity_with_cover(&a, cover.as_ref(), ctx.now)?;
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
        updated.cover_photo = Some(p.id);
    }
    let mut flash = "saved";
    if draft && ctx.field("publish") != "no" {
        if may_publish(app, ctx, a.team)? {
            updated.state = ActivityState::Published;
        } else {
            flash = "draft_not_published";
        }
    }
    updated.updated_at = ctx.now;
    app.store
        .save_activity_with_cover(&updated, cover.as_ref(), ctx.now)?;
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
    ctx.audit(app, "activity.cancel", format!("取消活动 {}", a.id), 1)?;
    Ok(redirect_with_flash(
        &format!("/activities/{id}"),
        "activity_cancelled",
    ))
}
