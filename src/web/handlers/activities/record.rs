//! The volunteer's side after the fact: 我参加的活动, the service record, certificates and their public verification.

use super::{card, local_now, roster::base_url};
use crate::app::certificate;
use crate::domain::activity::{
    self as rules, ActivityState, Phase, SignupState, phase_filter_matches,
};
use crate::error::AppError;
use crate::views::activity::{self as view, MyLine};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer};
use crate::web::handlers::forms::{matches_text, query_form, region_text};
use crate::web::handlers::respond::{html, rejected};
use rouille::{Request, Response};

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

pub fn service_record(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let v = ctx.volunteer().ok_or_else(AppError::forbidden)?;
    let lines = certificate::service_record(&app.store, v.id, region_text)?;
    let total: u32 = lines.iter().map(|l| l.half_hours).sum();
    let rows: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l.date.to_string(),
                l.title.clone(),
                l.place.clone(),
                l.team.clone(),
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
    let lines = certificate::service_record(&app.store, v.id, region_text)?;
    let today = local_now(ctx).date();
    let c = certificate::issue(
        &app.store,
        v,
        lines,
        &ctx.settings.site_name,
        today,
        ctx.now,
    )?;
    let number = c.number;
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
                l.team.clone(),
                rules::format_half_hours(l.half_hours),
            )
        })
        .collect();
    let verify_url = format!("{}/verify/{}", base_url(app), c.number);
    let qr = crate::web::handlers::respond::qr_svg(&verify_url);
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
    let (number, found) = certificate::verify(&app.store, number)?;
    let Some(found) = found else {
        return Ok(rejected(view::verify(&ctx.page(), &number, None), 404));
    };
    let c = &found.certificate;
    let total = rules::format_half_hours(c.total_half_hours);
    let date = c.issued_on.to_string();
    let shown = (
        found.shown_name.as_str(),
        total.as_str(),
        c.issuer.as_str(),
        date.as_str(),
    );
    Ok(rejected(
        view::verify(&ctx.page(), &number, Some(shown)),
        200,
    ))
}
