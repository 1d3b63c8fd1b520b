//! The route table and one small module per area. Each handler is
//! load → validate → write → redirect (or re-render the form with 422).

mod account;
mod admin;
mod login;
mod public;
mod setup;

use super::App;
use super::auth::Ctx;
use crate::error::AppError;
use rouille::{Request, Response};

/// Dispatch on method and path.
pub fn route(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let path = req.url();
    match (req.method(), path.as_str()) {
        ("GET", "/") => public::home(app, ctx),
        ("GET", "/join") => public::join(app, ctx),
        ("GET", "/join/qr.svg") => public::join_qr(app),
        ("GET", "/api/regions") => public::regions(req),
        ("GET", "/setup") => setup::show(app, ctx),
        ("POST", "/setup") => setup::create(app, ctx),
        ("GET", "/admin/login") => admin::login_form(ctx),
        ("POST", "/admin/login") => admin::login(app, ctx),
        ("POST", "/logout") => login::logout(app, ctx),
        ("GET", "/admin") => admin::dashboard(app, ctx),
        ("GET", "/admin/outbox") => admin::outbox(app, ctx, req),
        ("GET", "/admin/admins") => admin::admins(app, ctx),
        ("POST", "/admin/admins") => admin::create_admin(app, ctx),
        ("POST", "/admin/password") => admin::change_password(app, ctx),
        ("GET", "/admin/settings") => admin::settings(app, ctx),
        ("POST", "/admin/settings") => admin::save_settings(app, ctx),
        ("GET", "/login") => login::phone_form(ctx),
        ("POST", "/login/code") => login::request_code(app, ctx),
        ("GET", "/login/verify") => login::verify_form(ctx, req),
        ("POST", "/login/verify") => login::verify(app, ctx),
        ("GET", "/login/password") => login::password_form(ctx),
        ("POST", "/login/password") => login::password_login(app, ctx),
        ("GET", "/me") => account::show(ctx),
        ("GET", "/me/password") => account::password_form(ctx),
        ("POST", "/me/password") => account::set_password(app, ctx),
        _ => Err(AppError::NotFound),
    }
}

/// A page as a 200 response.
fn html(markup: maud::Markup) -> Response {
    Response::html(markup.into_string())
}

/// A form shown again with what went wrong (422 unless told otherwise).
fn rejected(markup: maud::Markup, status: u16) -> Response {
    Response::html(markup.into_string()).with_status_code(status)
}
