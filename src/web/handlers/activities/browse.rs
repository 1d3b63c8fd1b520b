//! Finding and joining activities: the public list (default 未结束, filters), an activity page, signup, waitlist and cancelling a signup.

use super::{PER_PAGE, card, cards, is_public, load, local_now, manages, team_is_public, when};
use crate::domain::activity::{self as rules, Activity, Phase, SignupState, phase_filter_matches};
use crate::domain::ids::Gid;
use crate::error::AppError;
use crate::store::{SignupOutcome, StoreError};
use crate::views::activity::{self as view, ActivityFilter, ActivityPage, SignupAction};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash};
use crate::web::handlers::forms::{
    RegionLists, list_filter, matches_text, page_number, query_form, region_text,
};
use crate::web::handlers::respond::{html, rejected};
use rouille::{Request, Response};

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
    // Published activities of public teams, newest first, the region and category through
    // `term_activities`; the phase comes from the seat counters, and cards are built for
    // the page only.
    let (acts, has_more) = app.store.published_activity_page(
        &list_filter(&form),
        |a, seats| {
            matches_text(&a.title, form.value("q"))
                && phase_filter_matches(phase, crate::domain::activity::phase(a, now, seats))
        },
        page,
        PER_PAGE,
    )?;
    let cards = cards(app, ctx, &acts)?;
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

pub(super) fn render_show(
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
    if !team_is_public(app, a.team)? {
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
        Err(StoreError::Refused(m)) => render_show(app, ctx, &a, Some(&m.to_string())),
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
        Err(StoreError::Refused(m)) => render_show(app, ctx, &a, Some(&m.to_string())),
        Err(e) => Err(e.into()),
    }
}
