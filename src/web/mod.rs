//! The web side: the transport, the request pipeline (session, CSRF, security headers,
//! logging, error pages) and the routes. Handlers are thin: parse → domain/store → view.

pub mod assets;
pub mod auth;
mod handlers;
pub use handlers::ROUTES;
pub mod jobs;
pub mod page_cache;
pub mod ratelimit;
pub mod transport;

use crate::config::{DataDir, Settings};
use crate::error::AppError;
use crate::store::Store;
use crate::views;
use auth::Ctx;
use rouille::{Request, Response};
use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// The running application, shared by every request.
pub struct App {
    /// Shared with background jobs (imports) that outlive a request.
    pub store: Arc<Store>,
    pub data: Option<DataDir>,
    pub limiter: ratelimit::RateLimiter,
    /// How phones reach this laptop (the join page, printed QR codes).
    reach: Reach,
    /// Background imports.
    pub jobs: jobs::Jobs,
    /// The showcase's figures, recomputed in the background after each change.
    pub stats: crate::app::stats::StatsCache,
    /// Phones proven at the registration desk.
    pub desk: jobs::DeskGrants,
    /// Bundles waiting for the admin to confirm the team admin changes they bring.
    pub pending_merges: jobs::PendingMerges,
    /// Team registrations in progress, so an interruption does not lose the typing.
    pub team_drafts: jobs::TeamDrafts,
    /// The pairing code shown on 数据同步 (laptop sync).
    pub pairing: crate::app::sync::PairingDesk,
    /// Syncs started from the web page, with their progress.
    pub sync_runs: crate::app::sync::Runs,
    /// Rendered pages kept while they are exact.
    pub pages: page_cache::PageCache,
    settings: RwLock<Settings>,
    /// Added to the system clock: zero in service; tests move time with it instead of
    /// sleeping.
    clock_skew: RwLock<chrono::Duration>,
}

/// How phones reach this laptop.
enum Reach {
    /// Given addresses (tests, or a server bound to one address).
    Fixed(Vec<String>),
    /// Looked up on every use: a laptop often starts before its hotspot, and addresses
    /// change with each network.
    Live { bind: String, port: u16 },
}

/// The URLs phones can use for a server bound to `bind` on `port`: every non-loopback IPv4
/// address, private ones first, when bound to all interfaces; none when bound to loopback
/// only (phones cannot reach 127.0.0.1).
pub fn lan_urls(bind: &str, port: u16) -> Vec<String> {
    let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("0.0.0.0");
    if is_loopback_bind(bind) {
        return Vec::new();
    }
    if host != "0.0.0.0" && host != "[::]" {
        return vec![format!("http://{host}:{port}/")];
    }
    let mut addrs: Vec<std::net::Ipv4Addr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            std::net::IpAddr::V4(v4) if !v4.is_link_local() => Some(v4),
            _ => None,
        })
        .collect();
    // Private addresses first: the hotspot's address is what phones can reach.
    addrs.sort_by_key(|a| (!a.is_private(), *a));
    addrs.dedup();
    addrs
        .into_iter()
        .map(|a| format!("http://{a}:{port}/"))
        .collect()
}

/// Whether `bind` listens on this machine only.
pub fn is_loopback_bind(bind: &str) -> bool {
    let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl App {
    /// Look the LAN addresses up on every use (the running server), for `bind` / `port`.
    pub fn with_live_addresses(mut self, bind: &str, port: u16) -> App {
        self.reach = Reach::Live {
            bind: bind.to_string(),
            port,
        };
        self
    }

    /// The URLs phones can use now, best first.
    pub fn lan_urls(&self) -> Vec<String> {
        match &self.reach {
            Reach::Fixed(urls) => urls.clone(),
            Reach::Live { bind, port } => lan_urls(bind, *port),
        }
    }

    /// Whether the server listens on loopback only, so no phone can reach it.
    pub fn loopback_only(&self) -> bool {
        matches!(&self.reach, Reach::Live { bind, .. } if is_loopback_bind(bind))
    }

    /// Wrap an open store.
    pub fn new(store: Store, data: Option<DataDir>, lan_urls: Vec<String>) -> App {
        let settings = Settings::load(&store);
        let store = Arc::new(store);
        let today = chrono::Utc::now()
            .with_timezone(&settings.utc_offset)
            .date_naive();
        App {
            stats: crate::app::stats::StatsCache::start(Arc::downgrade(&store), today),
            store,
            data,
            limiter: ratelimit::RateLimiter::default(),
            reach: Reach::Fixed(lan_urls),
            jobs: jobs::Jobs::default(),
            desk: jobs::DeskGrants::default(),
            pending_merges: jobs::PendingMerges::default(),
            team_drafts: jobs::TeamDrafts::default(),
            pairing: Default::default(),
            sync_runs: Default::default(),
            pages: Default::default(),
            settings: RwLock::new(settings),
            clock_skew: RwLock::new(chrono::Duration::zero()),
        }
    }

    /// The current time as the app sees it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.clock_skew.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Move the app's clock (tests).
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        *self.clock_skew.write().unwrap_or_else(|p| p.into_inner()) = skew;
        self.pages.clear();
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-read the settings after one changed.
    pub fn reload_settings(&self) {
        let fresh = Settings::load(&self.store);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        self.pages.clear();
    }

    /// What a page rendered now is made from: read before the store is.
    fn page_stamp(&self) -> page_cache::Stamp {
        page_cache::Stamp {
            generation: self.store.generation(),
            stats: self.stats.version(),
            minute: page_cache::Stamp::minute_of(self.now()),
        }
    }
}

/// Bind `addr` and serve the app on it. The error says what to do (port in use, …).
pub fn start(app: Arc<App>, addr: &str) -> Result<transport::ServerHandle, String> {
    let listener = TcpListener::bind(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "端口已被占用（{addr}）：可能已有一个科志或其他程序在使用它。请关闭它，或用 --bind 0.0.0.0:8081 换一个端口。"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "没有权限监听 {addr}。请换一个 1024 以上的端口，例如 --bind 0.0.0.0:8080。"
        ),
        _ => format!("无法监听 {addr}：{e}"),
    })?;
    serve_on(app, listener).map_err(|e| format!("无法启动网络服务：{e}"))
}

/// Serve the app on an already bound listener (tests bind 127.0.0.1:0).
pub fn serve_on(app: Arc<App>, listener: TcpListener) -> std::io::Result<transport::ServerHandle> {
    serve_with(app, listener, transport::Limits::default())
}

/// Serve the app with other transport limits (tests tighten them); the app's own body
/// policy always replaces `limits.body_policy`.
pub fn serve_with(
    app: Arc<App>,
    listener: TcpListener,
    mut limits: transport::Limits,
) -> std::io::Result<transport::ServerHandle> {
    limits.body_policy = body_policy(app.clone());
    let handler: transport::Handler = Arc::new(move |req: &Request| handle(&app, req));
    transport::serve(listener, handler, limits)
}

/// Every body that is not an upload. The largest ordinary forms are a 2,000-character
/// demand or team description sent urlencoded (~9 bytes a Chinese character, ~18 KB) and
/// the volunteer registration form with every box ticked (a few KB): 64 KB leaves room,
/// while 768 connections can then hold at most 48 MB of such bodies.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// A sync push: another laptop's changes as a bundle (JSON Lines compressed, photos).
pub const SYNC_BODY_LIMIT: usize = 128 * 1024 * 1024;

/// How large a request's body may be, decided before it is read: uploads only on the
/// upload routes and only from a session whose role may upload; everything else, and
/// anyone not signed in, gets `FORM_BODY_LIMIT`. Only requests to those routes that carry a
/// well-formed session cookie cost a store read.
pub fn body_policy(app: Arc<App>) -> transport::BodyPolicy {
    Arc::new(move |method: &str, path: &str, cookies: Option<&str>| {
        // A paired laptop's push is a bundle; it has no session, and its signature can
        // only be checked once the body is read (`app::sync::serve`).
        if method == "POST" && path == "/sync/v1/push" {
            return SYNC_BODY_LIMIT;
        }
        match handlers::large_body(method, path) {
            Some((who, limit)) if auth::may_upload(&app, cookies, who) => limit,
            _ => FORM_BODY_LIMIT,
        }
    })
}

/// A request answered more slowly than this is logged as a warning.
const SLOW_REQUEST: std::time::Duration = std::time::Duration::from_secs(1);

/// Answer one request: the whole pipeline around the routes.
pub fn handle(app: &App, req: &Request) -> Response {
    let started = Instant::now();
    let path = req.url();
    let response = match path.strip_prefix("/assets/") {
        Some(asset) => assets::serve(req, asset),
        None if path.starts_with("/sync/v1/") => handlers::sync::api(app, req),
        None => dynamic(app, req),
    };
    let response = with_security_headers(response);
    // Every request was an INFO line, written to the terminal and the log file under a
    // lock: a fifth of a busy server's time. Failures and slow answers stay visible; the
    // rest is there at DEBUG, and admin actions are in the audit log anyway.
    let elapsed = started.elapsed();
    let level = if response.status_code >= 500 || elapsed >= SLOW_REQUEST {
        log::Level::Warn
    } else {
        log::Level::Debug
    };
    log::log!(
        level,
        "{} {} {} {}ms",
        req.method(),
        path,
        response.status_code,
        elapsed.as_millis()
    );
    response
}

fn dynamic(app: &App, req: &Request) -> Response {
    let kept = page_key(req).map(|key| (key, app.page_stamp()));
    if let Some((key, stamp)) = &kept
        && !asks_fresh(req)
        && let Some(page) = app.pages.get(key, *stamp, app.now())
    {
        let (csrf, csrf_is_new) = auth::csrf_token(req);
        let response = Response {
            status_code: page.status,
            headers: page
                .headers
                .iter()
                .map(|(k, v)| (k.clone().into(), v.clone().into()))
                .collect(),
            data: rouille::ResponseBody::from_data(page.body_for(&csrf)),
            upgrade: None,
        };
        return finish(response, &csrf, csrf_is_new, false);
    }
    let mut ctx = match Ctx::load(app, req) {
        Ok(c) => c,
        Err(e) => {
            log::error!("loading the request context failed: {e}");
            return Response::text("服务器内部错误，请稍后再试。").with_status_code(500);
        }
    };
    let result = check_post(&mut ctx, req).and_then(|_| handlers::route(app, &ctx, req));
    let mut response = match result {
        Ok(r) => r,
        Err(e) => error_response(&ctx, &e),
    };
    if let Some((key, stamp)) = kept {
        response = keep_page(app, &ctx, key, stamp, response);
    }
    finish(response, &ctx.csrf, ctx.csrf_is_new, ctx.flash.is_some())
}

/// The cache key of a GET page the cache may keep, unless a one-shot message waits.
fn page_key(req: &Request) -> Option<page_cache::Key> {
    let path = req.url();
    if req.method() != "GET"
        || !page_cache::cacheable(&path)
        || auth::cookie(req, auth::FLASH_COOKIE).is_some()
    {
        return None;
    }
    Some(page_cache::Key {
        url: req.raw_url().to_string(),
        session: auth::session_cookie(req),
        loopback: ratelimit::is_loopback(req.remote_addr().ip()),
    })
}

/// Whether the browser asks for a page made afresh (a hard reload sends `no-cache`); the
/// page made is kept for the next request all the same.
fn asks_fresh(req: &Request) -> bool {
    ["Cache-Control", "Pragma"]
        .iter()
        .any(|h| req.header(h).is_some_and(|v| v.contains("no-cache")))
}

/// Keep a plain 200 page (no cookie of its own, no message shown) and give it back.
fn keep_page(
    app: &App,
    ctx: &Ctx,
    key: page_cache::Key,
    stamp: page_cache::Stamp,
    response: Response,
) -> Response {
    let sets_cookie = response
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("set-cookie"));
    if response.status_code != 200 || sets_cookie || ctx.flash.is_some() {
        return response;
    }
    let Response {
        status_code,
        headers,
        data,
        upgrade,
    } = response;
    let (mut reader, _) = data.into_reader_and_size();
    let mut body = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut reader, &mut body) {
        log::error!("reading a rendered page failed: {e}");
        return Response::text("服务器内部错误，请稍后再试。").with_status_code(500);
    }
    let kept_headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    app.pages.put(
        key,
        page_cache::Page::new(
            stamp,
            ctx.session_expires,
            status_code,
            kept_headers,
            body.clone(),
            &ctx.csrf,
        ),
    );
    Response {
        status_code,
        headers,
        data: rouille::ResponseBody::from_data(body),
        upgrade,
    }
}

/// What every dynamic answer carries: the CSRF cookie when it is new, the one-shot
/// message cleared once shown, and no caching by browsers or proxies.
fn finish(mut response: Response, csrf: &str, csrf_is_new: bool, flash_shown: bool) -> Response {
    let sets = |response: &Response, name: &str| {
        response.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie") && v.starts_with(&format!("{name}="))
        })
    };
    let issue_csrf = csrf_is_new && !sets(&response, auth::CSRF_COOKIE);
    let clear_flash = flash_shown && !sets(&response, auth::FLASH_COOKIE);
    if issue_csrf {
        response = response.with_additional_header(
            "Set-Cookie",
            auth::set_cookie(auth::CSRF_COOKIE, csrf, 30 * 24 * 3600),
        );
    }
    if clear_flash {
        response = response
            .with_additional_header("Set-Cookie", auth::set_cookie(auth::FLASH_COOKIE, "", 0));
    }
    if !response
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("cache-control"))
    {
        // Pages carry personal data: never keep them in shared or back-button caches.
        response = response.with_additional_header("Cache-Control", "no-store");
    }
    response
}

/// Every POST must carry the CSRF token of this browser (form field `csrf`, query `csrf`
/// for uploads, or header `X-CSRF-Token`); its urlencoded form is read here once.
fn check_post(ctx: &mut Ctx, req: &Request) -> Result<(), AppError> {
    if req.method() != "POST" {
        return Ok(());
    }
    let urlencoded = req
        .header("Content-Type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if urlencoded {
        ctx.form = rouille::input::post::raw_urlencoded_post_input(req)
            .map_err(|_| AppError::BadRequest("表单内容无法识别，请刷新页面后重试。".into()))?;
    } else if req
        .header("Content-Type")
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
    {
        read_multipart(ctx, req)?;
    }
    let sent = ctx
        .form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .or_else(|| req.get_param("csrf"))
        .or_else(|| req.header("X-CSRF-Token").map(str::to_string));
    let valid = !ctx.csrf_is_new && sent.as_deref() == Some(ctx.csrf.as_str());
    if valid {
        Ok(())
    } else {
        log::warn!("POST {} refused: missing or wrong CSRF token", req.url());
        Err(AppError::Forbidden(
            "页面已过期或请求来源不明，操作没有执行。请刷新页面后重试。".into(),
        ))
    }
}

/// Most parts one upload form may send, and the caps on each part.
const MAX_PARTS: usize = 64;
const MAX_TEXT_PART: u64 = 64 * 1024;
/// Photos are capped at their own limit; the spreadsheet part ("file") at the reader's.
fn max_file_part(field: &str) -> u64 {
    if field == "file" {
        crate::exchange::read::MAX_FILE_BYTES
    } else {
        crate::domain::record::MAX_PHOTO_BYTES as u64
    }
}

/// Read a multipart body: text parts into `ctx.form`, files into `ctx.files`. rouille's
/// multipart reader has no limits of its own, so every part is bounded here.
fn read_multipart(ctx: &mut Ctx, req: &Request) -> Result<(), AppError> {
    use std::io::Read;
    let bad = || AppError::BadRequest("上传的内容无法识别，请刷新页面后重试。".into());
    let mut multipart = rouille::input::multipart::get_multipart_input(req).map_err(|_| bad())?;
    let mut parts = 0;
    while let Some(mut field) = multipart.next() {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::Unprocessable(
                "一次上传的内容太多，请分几次上传。".into(),
            ));
        }
        let name = field.headers.name.to_string();
        match field.headers.filename.clone() {
            Some(filename) => {
                let cap = max_file_part(&name);
                let mut bytes = Vec::new();
                (&mut field.data)
                    .take(cap + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|_| bad())?;
                let too_large = bytes.len() as u64 > cap;
                if too_large {
                    // Drain the rest without keeping it.
                    std::io::copy(&mut field.data, &mut std::io::sink()).map_err(|_| bad())?;
                    bytes.truncate(16);
                }
                if !(filename.is_empty() && bytes.is_empty()) {
                    ctx.files.push(auth::Upload {
                        field: name,
                        filename,
                        bytes,
                        too_large,
                    });
                }
            }
            None => {
                let mut text = String::new();
                (&mut field.data)
                    .take(MAX_TEXT_PART)
                    .read_to_string(&mut text)
                    .map_err(|_| bad())?;
                ctx.form.push((name, text));
            }
        }
    }
    Ok(())
}

/// Turn an error into its page; 5xx are logged at error, 4xx at warn.
pub fn error_response(ctx: &Ctx, e: &AppError) -> Response {
    let status = e.status();
    if status >= 500 {
        log::error!("{} failed: {e}", ctx.path);
    } else {
        log::warn!("{} answered {status}", ctx.path);
    }
    let html = views::errors::error_page(&ctx.page(), status, e.title(), &e.user_message());
    Response::html(html.into_string()).with_status_code(status)
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn with_security_headers(r: Response) -> Response {
    r.with_unique_header("Content-Security-Policy", CSP)
        .with_unique_header("X-Content-Type-Options", "nosniff")
        .with_unique_header("X-Frame-Options", "DENY")
        .with_unique_header("Referrer-Policy", "same-origin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_binds_offer_phones_no_address() {
        for bind in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"] {
            assert!(is_loopback_bind(bind), "{bind}");
            assert!(lan_urls(bind, 8080).is_empty(), "{bind}");
        }
        for bind in ["0.0.0.0:8080", "192.168.43.1:8080"] {
            assert!(!is_loopback_bind(bind), "{bind}");
        }
        assert_eq!(
            lan_urls("192.168.43.1:8080", 8080),
            vec!["http://192.168.43.1:8080/".to_string()]
        );
    }
}
