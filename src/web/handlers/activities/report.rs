//! The activity report with photos, and serving photos.

use super::{managed, photo_from};
use crate::domain::ids::Gid;
use crate::domain::people::TeamPower;
use crate::domain::record::{Report, report_photo_room, report_text};
use crate::error::AppError;
use crate::views::activity::{self as view};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash};
use crate::web::handlers::respond::{html, rejected};
use rouille::{Request, Response};

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
    form.set("text", ctx.field("text"));
    let text = match report_text(ctx.field("text")) {
        Ok(t) => t,
        Err(m) => {
            form.fail("text", m);
            String::new()
        }
    };
    let uploads: Vec<_> = ctx
        .files
        .iter()
        .filter(|f| f.field == "photos" && !f.bytes.is_empty())
        .collect();
    if let Err(m) = report_photo_room(old_photos.len(), uploads.len()) {
        form.fail("photos", m);
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
