//! Pages anyone may see: the front page, the join QR code, and the region lists for
//! cascading selects.

use super::html;
use crate::domain::regions;
use crate::error::AppError;
use crate::views::home::{self, HomeData};
use crate::web::App;
use crate::web::auth::Ctx;
use rouille::{Request, Response};

pub fn home(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let counts = app.store.people_counts()?;
    let data = HomeData {
        needs_setup: !app.store.has_admin()?,
        volunteers: counts.volunteers,
        organizations: counts.organizations,
    };
    Ok(html(home::home(&ctx.page(), &data)))
}

pub fn join(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let svg = app.lan_urls.first().and_then(|u| qr_svg(u));
    Ok(html(home::join(&ctx.page(), &app.lan_urls, svg.as_deref())))
}

/// The join QR code alone, for printing or a second screen.
pub fn join_qr(app: &App) -> Result<Response, AppError> {
    let url = app.lan_urls.first().ok_or(AppError::NotFound)?;
    let svg = qr_svg(url).ok_or(AppError::NotFound)?;
    Ok(Response::from_data("image/svg+xml", svg))
}

/// An SVG QR code of `text`.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(280, 280)
            .quiet_zone(true)
            .build(),
    )
}

/// `GET /api/regions?parent=CODE`: the children of a region (provinces without `parent`),
/// as `[{"code": "...", "name": "..."}]`, for cascading province → city → county selects.
pub fn regions(req: &Request) -> Result<Response, AppError> {
    let parent = req.get_param("parent").filter(|p| !p.is_empty());
    if let Some(p) = &parent
        && regions::by_code(p).is_none()
    {
        return Err(AppError::NotFound);
    }
    let json = regions::tree_json(parent.as_deref());
    Ok(Response::from_data("application/json; charset=utf-8", json)
        .with_unique_header("Cache-Control", "public, max-age=86400"))
}
