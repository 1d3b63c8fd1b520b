//! Activities: 活动报名 (list, page, signup, waitlist), 活动发布 and editing,
//! 我发布的活动 with rosters, the sign-in sheet and the xlsx roster, check-in by QR code,
//! attendance and hours, the report with photos, 我参加的活动, the service record and
//! certificates.

use super::forms::region_text;
use crate::domain::activity::{self as rules, Activity, ActivityState, Phase, phase};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::record::{Photo, sniff_image};
use crate::error::AppError;

use crate::views::activity::ActivityCard;
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, require_team};
use chrono::{DateTime, NaiveDateTime, Utc};

mod attendance;
mod browse;
mod publish;
mod record;
mod report;
mod roster;

pub use attendance::*;
pub use browse::*;
pub use publish::*;
pub use record::*;
pub use report::*;
pub use roster::*;

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
    let (counts, team) = app
        .store
        .activity_card_facts(&[(a.id, a.team)])?
        .pop()
        .unwrap_or_default();
    Ok(card_from(ctx, a, counts, team))
}

/// The cards of a list, their counters and team names read in one transaction.
fn cards(app: &App, ctx: &Ctx, acts: &[Activity]) -> Result<Vec<ActivityCard>, AppError> {
    let keys: Vec<(Gid, Gid)> = acts.iter().map(|a| (a.id, a.team)).collect();
    let facts = app.store.activity_card_facts(&keys)?;
    Ok(acts
        .iter()
        .zip(facts)
        .map(|(a, (counts, team))| card_from(ctx, a, counts, team).1)
        .collect())
}

fn card_from(
    ctx: &Ctx,
    a: &Activity,
    (seats, waiting): (u32, u32),
    team: String,
) -> (Phase, ActivityCard) {
    let p = phase(a, local_now(ctx), seats);
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
    (
        p,
        ActivityCard {
            id: a.id.to_string(),
            title: a.title.clone(),
            team,
            when: when(a),
            region: format!("{} {}", region_text(&a.region), a.address),
            phase: p.label(),
            phase_css: p.css(),
            seats: seat_text,
        },
    )
}

/// Whether the viewer manages this activity: its team's admin, or a platform admin.
fn manages(ctx: &Ctx, a: &Activity) -> bool {
    match &ctx.viewer {
        Viewer::Admin(_) => true,
        Viewer::Volunteer { teams, .. } => teams.iter().any(|t| t.id == a.team),
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
        require_team(app, ctx, a.team, power)?;
    }
    Ok(a)
}

/// Whether the public sees this activity: published by a team in good standing.
fn is_public(app: &App, a: &Activity) -> Result<bool, AppError> {
    Ok(a.state != ActivityState::Draft && team_is_public(app, a.team)?)
}

fn team_is_public(app: &App, org: Gid) -> Result<bool, AppError> {
    Ok(app.store.team(org)?.is_some_and(|o| o.status.is_public()))
}

/// The team's id if the viewer administers it.
/// The platform admin, or the team's admin when its status allows `power`.
fn my_team(app: &App, ctx: &Ctx, org: Gid, power: TeamPower) -> Result<(), AppError> {
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
