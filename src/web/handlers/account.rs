//! A signed-in volunteer's own account page and password.

use super::{html, rejected};
use crate::domain::account::password_problem;
use crate::domain::people::OrgStatus;
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::views::account::{self as view, AccountView};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash, region_label};
use rouille::Response;

fn status_label(s: OrgStatus) -> &'static str {
    match s {
        OrgStatus::Active => "正常",
        OrgStatus::WaitingForAdmin => "等待管理员注册",
        OrgStatus::Suspended => "已暂停",
    }
}

pub fn show(ctx: &Ctx) -> Result<Response, AppError> {
    match &ctx.viewer {
        Viewer::Volunteer {
            volunteer: v,
            teams,
        } => {
            let data = AccountView {
                real_name: v.real_name.clone(),
                masked_phone: validate::mask_phone(&v.phone),
                masked_id: validate::mask_id_number(&v.id_number),
                region: region_label(
                    &v.region.province,
                    &v.region.city,
                    v.region.county.as_deref(),
                ),
                has_password: v.password_hash.is_some(),
                teams: teams
                    .iter()
                    .map(|t| (t.name.clone(), status_label(t.status)))
                    .collect(),
            };
            Ok(html(view::account(&ctx.page(), &data)))
        }
        Viewer::VerifiedPhone(p) => Ok(html(view::unregistered(
            &ctx.page(),
            &validate::mask_phone(p),
        ))),
        Viewer::Admin(_) => Ok(Response::redirect_303("/admin")),
        Viewer::Anonymous => Ok(Response::redirect_303("/login")),
    }
}

pub fn password_form(ctx: &Ctx) -> Result<Response, AppError> {
    match &ctx.viewer {
        Viewer::Volunteer { .. } => Ok(html(view::password_form(
            &ctx.page(),
            &FormState::default(),
        ))),
        Viewer::Anonymous => Ok(Response::redirect_303("/login")),
        _ => Err(AppError::forbidden()),
    }
}

pub fn set_password(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let Viewer::Volunteer { volunteer, .. } = &ctx.viewer else {
        return Err(AppError::forbidden());
    };
    if let Some(m) = password_problem(ctx.field("password"), ctx.field("confirm")) {
        let mut form = FormState::default();
        form.fail("password", m);
        return Ok(rejected(view::password_form(&ctx.page(), &form), 422));
    }
    let hash = secret::hash_password(ctx.field("password")).map_err(AppError::Internal)?;
    app.store.set_volunteer_password(volunteer.id, Some(hash))?;
    Ok(redirect_with_flash("/me", "password_set"))
}
