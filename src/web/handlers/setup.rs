//! First run: create the first platform admin, only from the laptop itself.

use super::respond::{html, rejected};
use crate::domain::account::{
    ADMIN_SESSION_LIFETIME, Admin, Subject, password_problem, username_problem,
};
use crate::domain::ids::Gid;
use crate::domain::secret;
use crate::error::AppError;
use crate::store::StoreError;
use crate::views::auth;
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash, sign_in};
use rouille::Response;

fn guard(app: &App, ctx: &Ctx) -> Result<Option<Response>, AppError> {
    if app.store.has_admin()? {
        return Ok(Some(Response::redirect_303("/admin/login")));
    }
    if !ctx.is_loopback() {
        log::warn!("setup refused for a non-loopback client");
        return Ok(Some(rejected(auth::setup_elsewhere(&ctx.page()), 403)));
    }
    Ok(None)
}

pub fn show(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    if let Some(r) = guard(app, ctx)? {
        return Ok(r);
    }
    let mut form = FormState::default();
    form.set("site_name", ctx.settings.site_name.clone());
    Ok(html(auth::setup(&ctx.page(), &form)))
}

pub fn create(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    if let Some(r) = guard(app, ctx)? {
        return Ok(r);
    }
    let mut form = FormState::default();
    for f in ["site_name", "username", "display_name"] {
        form.set(f, ctx.field(f));
    }
    let site_name = ctx.field("site_name");
    if let Err(m) = crate::config::validate_setting("site.name", site_name) {
        form.fail("site_name", m);
    }
    if let Some(m) = username_problem(ctx.field("username")) {
        form.fail("username", m);
    }
    if let Some(m) = crate::domain::account::display_name_problem(ctx.field("display_name")) {
        form.fail("display_name", m);
    }
    if let Some(m) = password_problem(ctx.field("password"), ctx.field("confirm")) {
        form.fail("password", m);
    }
    if !form.is_ok() {
        return Ok(rejected(auth::setup(&ctx.page(), &form), 422));
    }
    let hash = secret::hash_password(ctx.field("password")).map_err(AppError::Internal)?;
    let admin = Admin {
        id: Gid::new(),
        username: ctx.field("username").to_string(),
        display_name: ctx.field("display_name").to_string(),
        password_hash: hash,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    match app.store.insert_first_admin(&admin) {
        Ok(()) => {}
        // Someone finished setup a moment earlier.
        Err(StoreError::Taken(_)) => return Ok(Response::redirect_303("/admin/login")),
        Err(e) => return Err(e.into()),
    }
    app.store.set_setting("site.name", site_name)?;
    app.reload_settings();
    ctx.audit_as(
        app,
        &format!("admin:{}", admin.username),
        "admin.setup",
        "首次设置，创建平台管理员",
        1,
    )?;
    log::info!("first platform admin created");
    sign_in(
        app,
        ctx,
        Subject::Admin(admin.id),
        ADMIN_SESSION_LIFETIME,
        redirect_with_flash("/admin", "setup_done"),
    )
}
