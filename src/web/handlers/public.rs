//! Pages anyone may see: the front page, the join QR code, 友情链接 and its documents, and
//! the region lists for cascading selects.

use super::respond::html;
use super::respond::qr_svg;
use crate::domain::{policy, regions};
use crate::error::AppError;
use crate::store::FeaturedKind;
use crate::views::home::{self, HomeData, Showcased};
use crate::web::App;
use crate::web::auth::Ctx;
use rouille::{Request, Response};

pub fn home(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let today = ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive();
    let stats = app.stats.get(&app.store, today)?;
    let mut cases = Vec::new();
    let mut people = Vec::new();
    for f in app.store.featured()?.into_iter().take(12) {
        match f.kind {
            FeaturedKind::Case => {
                if let Some(a) = app.store.activity(f.id)? {
                    let photo = app
                        .store
                        .report(a.id)?
                        .and_then(|r| r.photos.first().map(|p| format!("/photos/{p}")));
                    cases.push(Showcased {
                        title: a.title,
                        text: f.text,
                        href: Some(format!("/activities/{}", f.id)),
                        photo,
                    });
                }
            }
            FeaturedKind::Person => {
                // Only people who agreed to be shown.
                if let Some(v) = app.store.volunteer(f.id)?
                    && app.store.showcase_consent(v.id)?
                {
                    people.push(Showcased {
                        title: v.real_name,
                        text: f.text,
                        href: None,
                        photo: None,
                    });
                }
            }
        }
    }
    let data = HomeData {
        needs_setup: !app.store.has_admin()?,
        volunteers: stats.volunteers,
        teams: stats.teams,
        activities: stats.activities,
        hours: stats.half_hours / 2,
        cases,
        people,
    };
    Ok(html(home::home(&ctx.page(), &data)))
}

pub fn join(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let urls = app.lan_urls();
    let chosen = req
        .get_param("addr")
        .and_then(|a| a.parse::<usize>().ok())
        .filter(|i| *i < urls.len())
        .unwrap_or(0);
    let svg = urls.get(chosen).and_then(|u| qr_svg(u));
    let mut page = ctx.page();
    // No address yet (the hotspot is not on): look again by itself every few seconds.
    if urls.is_empty() {
        page.refresh = Some(10);
    }
    Ok(html(home::join(
        &page,
        &urls,
        chosen,
        svg.as_deref(),
        app.loopback_only(),
    )))
}

/// `/links`: the contents of the policy documents, the templates and the external sites.
pub fn links(ctx: &Ctx) -> Result<Response, AppError> {
    Ok(html(crate::views::policy::contents(
        &ctx.page(),
        policy::sections(),
    )))
}

/// `/links/<slug>`: one document section.
pub fn policy_section(ctx: &Ctx, slug: &str) -> Result<Response, AppError> {
    let all = policy::sections();
    let i = all
        .iter()
        .position(|s| s.slug == slug)
        .ok_or(AppError::NotFound)?;
    Ok(html(crate::views::policy::section(
        &ctx.page(),
        &all[i],
        i.checked_sub(1).map(|p| &all[p]),
        all.get(i + 1),
    )))
}

pub fn stats(app: &App, ctx: &Ctx, full: bool) -> Result<Response, AppError> {
    if full {
        ctx.require_admin()?;
    }
    let today = ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive();
    let s = app.stats.get(&app.store, today)?;
    Ok(html(crate::views::stats::stats(&ctx.page(), &s, full)))
}

pub fn stats_xlsx(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    let today = ctx.now.with_timezone(&ctx.settings.utc_offset).date_naive();
    let s = app.stats.get(&app.store, today)?;
    let mut rows: Vec<Vec<String>> = vec![
        vec!["组织".into(), s.teams.to_string()],
        vec!["志愿者".into(), s.volunteers.to_string()],
        vec!["活动".into(), s.activities.to_string()],
        vec!["服务时长（小时）".into(), (s.half_hours / 2).to_string()],
    ];
    for (title, series) in crate::views::stats::tables(&s) {
        rows.push(Vec::new());
        rows.push(vec![title.to_string()]);
        rows.extend(series.iter().map(|(k, n)| vec![k.clone(), n.to_string()]));
    }
    let bytes = crate::exchange::roster::table_xlsx(
        "数据",
        &format!("{} 科技志愿服务数据 {today}", ctx.settings.site_name),
        &["项目", "数量"],
        &rows,
    )
    .map_err(AppError::Internal)?;
    Ok(super::respond::xlsx(
        bytes,
        &format!(
            "{}-科技志愿服务数据-{}.xlsx",
            ctx.settings.site_name,
            today.format("%Y%m%d")
        ),
    ))
}

/// The join QR code alone, for printing or a second screen.
pub fn join_qr(app: &App) -> Result<Response, AppError> {
    let urls = app.lan_urls();
    let url = urls.first().ok_or(AppError::NotFound)?;
    let svg = qr_svg(url).ok_or(AppError::NotFound)?;
    Ok(Response::from_data("image/svg+xml", svg))
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
