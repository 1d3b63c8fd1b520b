//! 数据同步 on the web: the admin page (pairing code, paired laptops, pairing form), a
//! sync run with its progress, and the machine endpoints `/sync/v1/...` that other
//! laptops call (answered by `app::sync::serve`, outside the browser pipeline: no session,
//! no CSRF, every request signed by the key of the pair).

use super::respond::{html, qr_svg, rejected};
use crate::app::sync::{self as usecase, PairCode};
use crate::domain::ids::Gid;
use crate::error::AppError;
use crate::views::merge::CountLine;
use crate::views::sync::{self as view, CodeView, PeerLine};
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash};
use crate::web::ratelimit::{self, Limit};
use rouille::{Request, Response};
use std::io::Read;
use std::time::Duration;

/// Pairing attempts from one address: a code has 40 bits, and five wrong proofs burn it.
const PAIR_PER_ADDRESS: Limit = Limit {
    name: "sync-pair-address",
    max: 10,
    window: Duration::from_secs(600),
};

fn when(ctx: &Ctx, t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&ctx.settings.utc_offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn region_field(ctx: &Ctx) -> Result<Option<String>, String> {
    let r = ctx.field("region").trim();
    if r.is_empty() {
        return Ok(None);
    }
    if r.len() == 6 && r.chars().all(|c| c.is_ascii_digit()) {
        Ok(Some(r.to_string()))
    } else {
        Err("地区代码是 6 位数字（省、市或县的行政区划代码），例如 370102。".into())
    }
}

fn code_now(app: &App, ctx: &Ctx) -> Result<PairCode, AppError> {
    if let Some(c) = app.pairing.current(ctx.now) {
        return Ok(c);
    }
    let c = app.pairing.issue(ctx.now, None);
    ctx.audit(app, "sync.code", "显示新的配对码", 0)?;
    Ok(c)
}

fn render(
    app: &App,
    ctx: &Ctx,
    message: Option<&str>,
    typed: (&str, &str),
) -> Result<maud::Markup, AppError> {
    let code = code_now(app, ctx)?;
    let addresses: Vec<String> = app
        .lan_urls()
        .iter()
        .map(|u| {
            u.trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    let shown = code.shown();
    let qr = addresses
        .first()
        .and_then(|a| qr_svg(&format!("kezhi-sync://{a}/?code={shown}")));
    let peers: Vec<PeerLine> = app
        .store
        .peers()?
        .into_iter()
        .map(|p| PeerLine {
            id: p.id.to_string(),
            name: p.name,
            address: p.address,
            region: p.region,
            paired_at: when(ctx, p.paired_at),
            last_sync: p.last_sync.map(|t| when(ctx, t)),
        })
        .collect();
    let conflicts = app.store.open_conflicts()?.len();
    let expires = when(ctx, code.expires);
    Ok(view::page_view(
        &ctx.page(),
        message,
        &CodeView {
            code: &shown,
            expires: &expires,
            addresses: &addresses,
            qr_svg: qr.as_deref(),
            region: code.region.as_deref(),
        },
        &peers,
        conflicts,
        typed,
    ))
}

pub fn page(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    Ok(html(render(app, ctx, None, ("", ""))?))
}

pub fn new_code(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let region = match region_field(ctx) {
        Ok(r) => r,
        Err(e) => return Ok(rejected(render(app, ctx, Some(&e), ("", ""))?, 422)),
    };
    app.pairing.issue(ctx.now, region.clone());
    ctx.audit(
        app,
        "sync.code",
        match &region {
            Some(r) => format!("生成新的配对码（只发送地区 {r} 的志愿者）"),
            None => "生成新的配对码".into(),
        },
        0,
    )?;
    Ok(redirect_with_flash("/admin/sync", "new_pair_code"))
}

pub fn pair(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let typed = (ctx.field("address"), ctx.field("code"));
    let region = match region_field(ctx) {
        Ok(r) => r,
        Err(e) => return Ok(rejected(render(app, ctx, Some(&e), typed)?, 422)),
    };
    match usecase::pair_with(
        &app.store,
        &ctx.settings.site_name,
        typed.0,
        typed.1,
        region,
        (&ctx.actor(), &ctx.remote.ip().to_string()),
        ctx.now,
    ) {
        Ok(_) => Ok(redirect_with_flash("/admin/sync", "paired")),
        Err(e) => Ok(rejected(render(app, ctx, Some(&e), typed)?, 422)),
    }
}

pub fn run(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let address = ctx.field("address").trim();
    if let Err(e) = usecase::base_url(address) {
        return Ok(rejected(render(app, ctx, Some(&e), ("", ""))?, 422));
    }
    let id = app.sync_runs.start(
        app.store.clone(),
        ctx.settings.site_name.clone(),
        address.to_string(),
        (ctx.actor(), ctx.remote.ip().to_string()),
        ctx.now,
    );
    Ok(Response::redirect_303(format!("/admin/sync/runs/{id}")))
}

fn lines(s: &usecase::Summary) -> Vec<CountLine> {
    s.iter()
        .map(|(e, c)| CountLine {
            entity: crate::app::merge::entity_label(e),
            added: c.added,
            updated: c.updated,
            unchanged: c.unchanged,
            conflicts: c.conflicts,
            skipped: c.skipped,
        })
        .collect()
}

pub fn show_run(app: &App, ctx: &Ctx, id: &str) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let run = app.sync_runs.get(id).ok_or(AppError::NotFound)?;
    let (step, outcome) = run.state();
    let mut page = ctx.page();
    let markup = match &outcome {
        None => {
            page.refresh = Some(1);
            view::run_view(&page, &run.address, &step, None)
        }
        Some(Err(e)) => view::run_view(&page, &run.address, &step, Some(Err(e))),
        Some(Ok(o)) => {
            let (received, sent) = (lines(&o.received), lines(&o.sent));
            view::run_view(
                &page,
                &run.address,
                &step,
                Some(Ok((&o.peer, &received, &sent))),
            )
        }
    };
    Ok(html(markup))
}

pub fn remove(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let removed = usecase::unpair(
        &app.store,
        id,
        (&ctx.actor(), &ctx.remote.ip().to_string()),
        ctx.now,
    )
    .map_err(AppError::BadRequest)?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with_flash("/admin/sync", "unpaired"))
}

/// The machine endpoints: read the body (its size was bounded by the transport), hand the
/// request to the use case, and send its answer as it is.
pub fn api(app: &App, req: &Request) -> Response {
    if req.method() != "POST" {
        return Response::text("同步接口只接受 POST。").with_status_code(405);
    }
    let ip = ratelimit::canonical(req.remote_addr().ip()).to_string();
    let path = req.url();
    if path == "/sync/v1/pair"
        && let Err(secs) = app.limiter.take(PAIR_PER_ADDRESS, &ip)
    {
        return Response::text(ratelimit::wait_message(secs))
            .with_status_code(429)
            .with_additional_header("Retry-After", secs.to_string());
    }
    let mut body = Vec::new();
    if let Some(mut data) = req.data()
        && data.read_to_end(&mut body).is_err()
    {
        return Response::text("请求内容没有收完整。").with_status_code(400);
    }
    let settings = app.settings();
    let reply = usecase::serve(
        &app.store,
        &app.pairing,
        &settings.site_name,
        app.now(),
        usecase::Incoming {
            path: &path,
            version: req.header(usecase::H_VERSION),
            peer: req.header(usecase::H_PEER),
            seq: req.header(usecase::H_SEQ),
            signature: req.header(usecase::H_SIG),
            remote: &ip,
            body,
        },
    );
    let mut r = Response::from_data(reply.content_type, reply.body).with_status_code(reply.status);
    for (k, v) in reply.headers {
        r = r.with_additional_header(k, v);
    }
    r.with_additional_header("Cache-Control", "no-store")
}
