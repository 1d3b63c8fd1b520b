//! The HTTP transport under rouille's handlers. rouille's own engine (tiny_http 0.12)
//! stalls keep-alive responses (no TCP_NODELAY), aborts the process on a request that
//! declares an absurd Content-Length, and loses wake-ups under connection bursts
//! (DESIGN.md §9). Here hyper (HTTP/1.1) on a small tokio runtime does the wire work:
//! every accepted socket gets TCP_NODELAY, slow or idle clients only cost a task, and the
//! rouille handler runs on the blocking pool with a `rouille::Request` built through its
//! public `fake_http_from`.
//!
//! One client must not be able to take the server (issue 10): a hotspot visitor once held
//! every slot with 800 connections trickling a byte every 5 s, and 16 anonymous 60 MB
//! POSTs tripled memory. So, before a handler sees anything:
//! - each client address may hold only a few connections at once;
//! - when the server nears its connection limit, idle and half-sent connections are
//!   closed after a short idle time, so new clients get a slot;
//! - the web layer's [`BodyPolicy`] decides from the request head alone how large the
//!   body may be; a larger declared body is refused with 413 without reading it;
//! - a body must keep up a minimum rate after a short grace period, or it is cut (408);
//! - all bodies in flight share one byte budget; a request that cannot get its share
//!   soon is answered 503.
//!
//! The transport knows no routes: the policy is handed in by the web layer.

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};

/// A rouille handler, shared by every connection.
pub type Handler = Arc<dyn Fn(&rouille::Request) -> rouille::Response + Send + Sync + 'static>;

/// How many body bytes a request may send, decided from its head alone — method, path
/// (without the query) and `Cookie` header — before any of the body is read. It runs on
/// the blocking pool, so it may look a session up in the store. The answer is further
/// capped by [`Limits::max_body_bytes`].
pub type BodyPolicy = Arc<dyn Fn(&str, &str, Option<&str>) -> usize + Send + Sync + 'static>;

/// Limits of the transport.
#[derive(Clone)]
pub struct Limits {
    /// Largest request body accepted on any route; the policy can only lower it.
    pub max_body_bytes: usize,
    /// Per-request body limit; see [`BodyPolicy`]. The default allows `max_body_bytes`.
    pub body_policy: BodyPolicy,
    /// Time allowed for a client to send a request's headers (idle keep-alive included)
    /// while the server is not under pressure.
    pub header_timeout: Duration,
    /// Longest time a body may take, however fast it flows.
    pub body_timeout: Duration,
    /// A body may be slower than `min_body_rate` for this long (radio wake-up, TCP slow
    /// start); after it, its average rate must keep up.
    pub body_grace: Duration,
    /// Bytes per second a body must average once `body_grace` is over; 0 turns it off.
    pub min_body_rate: usize,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections one client address may hold at once; more are refused at once.
    pub max_connections_per_address: usize,
    /// Whether loopback clients are exempt from `max_connections_per_address`.
    pub exempt_loopback: bool,
    /// Open connections above which the server is under pressure (until they fall to
    /// three quarters of it): connections that sit idle (keep-alive, or headers not yet
    /// complete) longer than `pressure_idle_timeout` are then closed.
    pub pressure_connections: usize,
    /// How long a connection may sit idle while the server is under pressure.
    pub pressure_idle_timeout: Duration,
    /// Bytes of request bodies held in memory at once, across all requests.
    pub body_budget_bytes: usize,
    /// How long a request may wait for its share of the budget before it gets 503.
    pub body_budget_wait: Duration,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("body_grace", &self.body_grace)
            .field("min_body_rate", &self.min_body_rate)
            .field("max_connections", &self.max_connections)
            .field(
                "max_connections_per_address",
                &self.max_connections_per_address,
            )
            .field("exempt_loopback", &self.exempt_loopback)
            .field("pressure_connections", &self.pressure_connections)
            .field("pressure_idle_timeout", &self.pressure_idle_timeout)
            .field("body_budget_bytes", &self.body_budget_bytes)
            .field("body_budget_wait", &self.body_budget_wait)
            .finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024 * 1024,
            body_policy: Arc::new(|_, _, _| usize::MAX),
            header_timeout: Duration::from_secs(15),
            // The minimum rate now stops trickling clients, so the total only has to
            // bound an honest upload: 64 MB over a weak hotspot at ~250 KB/s.
            body_timeout: Duration::from_secs(300),
            // Long enough for a phone's radio to wake up and for a form to arrive in one
            // go; far shorter than the 50 s lock-out measured with trickling bodies.
            body_grace: Duration::from_secs(10),
            // 4 KB/s is 32 kbit/s: slower than any link a photo upload could finish on,
            // and about 20,000 times faster than the measured attack (a byte every 5 s).
            min_body_rate: 4 * 1024,
            max_connections: 768,
            // A browser opens about 6 connections per host; a few tabs and a phone that
            // reconnects stay well under 32, while one visitor can hold at most 1/24 of
            // the slots. Addresses on a hotspot or office LAN are not shared behind NAT.
            max_connections_per_address: 32,
            // Loopback is the laptop itself: the operator's own browser, which a remote
            // visitor cannot impersonate. Tests turn this off to attack from 127.0.0.x.
            exempt_loopback: true,
            // Two thirds of the slots: enough room that new clients never find the server
            // full while idle connections are being closed.
            pressure_connections: 512,
            // A browser sends its headers right after connecting and reuses an idle
            // keep-alive connection within a second or reconnects cheaply.
            pressure_idle_timeout: Duration::from_secs(1),
            // Well under a cheap 4 GB laptop's memory even with the handler's own copies
            // of an upload, and still four 60 MB uploads at once.
            body_budget_bytes: 256 * 1024 * 1024,
            body_budget_wait: Duration::from_secs(3),
        }
    }
}

/// What the transport has done, for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections being served now.
    pub open_connections: usize,
    /// Connections refused because their address already held its share.
    pub refused_per_address: u64,
    /// Idle connections closed because the server was under pressure.
    pub closed_idle_under_pressure: u64,
    /// Bodies cut because they fell below the minimum rate or overran the body timeout.
    pub slow_bodies_cut: u64,
    /// Bodies refused with 413 (by declared length before reading, or as they grew).
    pub bodies_too_large: u64,
    /// Requests answered 503 because the body budget stayed exhausted.
    pub budget_refused: u64,
    /// Bytes of the body budget reserved now.
    pub body_bytes_reserved: usize,
}

/// Responses up to this size are read into memory in one go; larger ones stream.
const INLINE_BODY_MAX: usize = 256 * 1024;
const STREAM_CHUNK: usize = 64 * 1024;
/// The body budget is counted in KiB so that any single request fits a `u32` of permits.
const BUDGET_UNIT: usize = 1024;
/// Bodies of unknown length reserve budget in steps, not per frame.
const BUDGET_STEP: usize = 64 * 1024;
/// Bodies up to this size take no budget: the connection limit already bounds them
/// (768 × 64 KB = 48 MB), and a few large uploads must not make sign-ins and ordinary
/// forms wait.
const BUDGET_FREE: usize = 64 * 1024;

/// State shared by the accept loop and every connection.
struct Shared {
    handler: Handler,
    limits: Limits,
    open: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    budget: Arc<Semaphore>,
    budget_units: usize,
    /// Whether open connections are above the high-water mark.
    pressure: watch::Sender<bool>,
    refused_per_address: AtomicU64,
    closed_idle_under_pressure: AtomicU64,
    slow_bodies_cut: AtomicU64,
    bodies_too_large: AtomicU64,
    budget_refused: AtomicU64,
}

impl Shared {
    fn new(handler: Handler, limits: Limits) -> Shared {
        let budget_units = (limits.body_budget_bytes / BUDGET_UNIT)
            .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        Shared {
            handler,
            limits,
            open: AtomicUsize::new(0),
            per_address: Mutex::new(HashMap::new()),
            budget: Arc::new(Semaphore::new(budget_units)),
            budget_units,
            pressure: watch::Sender::new(false),
            refused_per_address: AtomicU64::new(0),
            closed_idle_under_pressure: AtomicU64::new(0),
            slow_bodies_cut: AtomicU64::new(0),
            bodies_too_large: AtomicU64::new(0),
            budget_refused: AtomicU64::new(0),
        }
    }

    fn stats(&self) -> Stats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            open_connections: self.open.load(Ordering::Relaxed),
            refused_per_address: load(&self.refused_per_address),
            closed_idle_under_pressure: load(&self.closed_idle_under_pressure),
            slow_bodies_cut: load(&self.slow_bodies_cut),
            bodies_too_large: load(&self.bodies_too_large),
            budget_refused: load(&self.budget_refused),
            body_bytes_reserved: self
                .budget_units
                .saturating_sub(self.budget.available_permits())
                * BUDGET_UNIT,
        }
    }

    /// Take a slot for `ip`, or None when it already holds its share.
    fn claim_address(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        if self.limits.exempt_loopback && ip.is_loopback() {
            return Some(AddressSlot { shared: None, ip });
        }
        let mut map = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        let held = map.entry(ip).or_insert(0);
        if *held >= self.limits.max_connections_per_address {
            return None;
        }
        *held += 1;
        Some(AddressSlot {
            shared: Some(self.clone()),
            ip,
        })
    }

    fn opened(self: &Arc<Self>) -> OpenConnection {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.update_pressure();
        OpenConnection {
            shared: self.clone(),
        }
    }

    /// Pressure starts above the mark and ends only well below it, so that a server hovering
    /// at the mark does not flip (and log) on every connection.
    fn update_pressure(&self) {
        let mark = self.limits.pressure_connections;
        self.pressure.send_if_modified(|under| {
            // Read under the watch's lock: concurrent opens and closes cannot leave a stale
            // flag behind.
            let open = self.open.load(Ordering::Relaxed);
            let now = if *under {
                open > mark * 3 / 4
            } else {
                open > mark
            };
            if *under == now {
                return false;
            }
            *under = now;
            if now {
                log::warn!("{open} connections open: closing idle connections early");
            } else {
                log::info!("connection pressure over ({open} open)");
            }
            true
        });
    }
}

/// A client address's hold on one of its connection slots.
struct AddressSlot {
    shared: Option<Arc<Shared>>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            let mut map = shared.per_address.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(held) = map.get_mut(&self.ip) {
                *held = held.saturating_sub(1);
                if *held == 0 {
                    map.remove(&self.ip);
                }
            }
        }
    }
}

struct OpenConnection {
    shared: Arc<Shared>,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
        self.shared.update_pressure();
    }
}

/// Whether a connection is serving a request, and since when it has been idle.
struct Activity {
    busy: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// How long the connection has been idle, or None while it serves a request.
    fn idle_for(&self) -> Option<Duration> {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return None;
        }
        Some(
            self.idle_since
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .elapsed(),
        )
    }
}

/// Held from the moment a request's head is read until its response is fully written.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A running server. Dropping it stops accepting and shuts the runtime down.
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the transport has done so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Block until the server stops (it only stops when the handle is dropped elsewhere or
    /// the process ends).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serve `handler` on an already bound listener until the returned handle is dropped.
pub fn serve(
    listener: TcpListener,
    handler: Handler,
    limits: Limits,
) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(64)
        .thread_name("kezhi-http")
        .enable_all()
        .build()?;
    let shared = Arc::new(Shared::new(handler, limits));
    let (stop_tx, stop_rx) = oneshot::channel();
    let loop_shared = shared.clone();
    let thread = std::thread::Builder::new()
        .name("kezhi-accept".into())
        .spawn(move || {
            let result = runtime.block_on(accept_loop(listener, loop_shared, stop_rx));
            if let Err(e) = result {
                log::error!("HTTP accept loop ended: {e}");
            }
            runtime.shutdown_timeout(Duration::from_secs(5));
        })?;
    Ok(ServerHandle {
        addr,
        shared,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return Ok(()),
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return Ok(()),
            },
        };
        let (stream, remote) = tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends are transient: back off instead of spinning or quitting.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(address_slot) = shared.claim_address(remote.ip().to_canonical()) else {
            shared.refused_per_address.fetch_add(1, Ordering::Relaxed);
            // Debug only: an attacker reconnecting in a loop must not flood the log.
            log::debug!("refused a connection from {}: too many open", remote.ip());
            refuse_connection(stream);
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            log::warn!("could not set TCP_NODELAY: {e}");
        }
        let open = shared.opened();
        let shared = shared.clone();
        tokio::spawn(async move {
            serve_connection(stream, remote, &shared).await;
            drop((open, address_slot, permit));
        });
    }
}

/// Best effort: tell the client why in one non-blocking write, then close.
fn refuse_connection(stream: tokio::net::TcpStream) {
    let text = "来自同一地址的连接太多，请关闭一些页面后再试。";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

async fn serve_connection(stream: tokio::net::TcpStream, remote: SocketAddr, shared: &Arc<Shared>) {
    let activity = Arc::new(Activity {
        busy: AtomicUsize::new(0),
        idle_since: Mutex::new(Instant::now()),
    });
    let service = {
        let shared = shared.clone();
        let activity = activity.clone();
        service_fn(move |req| {
            let busy = activity.busy();
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(respond(req, remote, shared, busy).await) }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let mut pressure = shared.pressure.subscribe();
    let idle_limit = shared.limits.pressure_idle_timeout;
    loop {
        let under_pressure = *pressure.borrow_and_update();
        let result = if under_pressure {
            // hyper's header timeout is fixed per connection, so under pressure idle
            // connections (keep-alive, or headers still trickling in) are dropped here.
            let recheck = match activity.idle_for() {
                Some(idle) if idle >= idle_limit => {
                    shared
                        .closed_idle_under_pressure
                        .fetch_add(1, Ordering::Relaxed);
                    log::debug!(
                        "closed an idle connection from {} under pressure",
                        remote.ip()
                    );
                    return;
                }
                Some(idle) => idle_limit - idle,
                None => idle_limit,
            };
            tokio::select! {
                r = conn.as_mut() => r,
                _ = tokio::time::sleep(recheck) => continue,
                _ = pressure.changed() => continue,
            }
        } else {
            tokio::select! {
                r = conn.as_mut() => r,
                _ = pressure.changed() => continue,
            }
        };
        if let Err(e) = result {
            log::debug!("connection from client ended with error: {e}");
        }
        return;
    }
}

type InnerBody = Either<Full<Bytes>, ChannelBody>;

/// A response body that keeps its connection marked busy until it is fully written.
struct ResponseBody {
    inner: InnerBody,
    _busy: Busy,
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map(|o| o.map(|r| r.map_err(std::io::Error::other)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

async fn respond(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    shared: Arc<Shared>,
    busy: Busy,
) -> hyper::Response<ResponseBody> {
    handle_request(req, remote, &shared)
        .await
        .map(|inner| ResponseBody { inner, _busy: busy })
}

const TOO_LARGE: &str = "提交的内容太大，服务器没有接收。如需上传文件，请先登录有上传权限的账号。";
const TOO_SLOW: &str = "上传太慢，连接已断开。请在网络好一些时重试。";
const BUSY: &str = "服务器正忙，请稍后再试。";

async fn handle_request(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    shared: &Arc<Shared>,
) -> hyper::Response<InnerBody> {
    let (parts, body) = req.into_parts();
    let (body, reservation) = if body.is_end_stream() {
        (Vec::new(), None)
    } else {
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let Some(limit) = body_limit(&parts, shared).await else {
            return plain(500, "服务器内部错误。");
        };
        if declared.is_some_and(|n| n > limit as u64) {
            shared.bodies_too_large.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "{} {} from {}: body of {} bytes refused unread (limit {limit})",
                parts.method,
                parts.uri.path(),
                remote.ip(),
                declared.unwrap_or(0)
            );
            return refusal(413, TOO_LARGE);
        }
        match receive(body, declared, limit, shared).await {
            Ok((bytes, reservation)) => (bytes, Some(reservation)),
            Err(refused) => {
                log::warn!(
                    "{} {} from {}: body refused ({})",
                    parts.method,
                    parts.uri.path(),
                    remote.ip(),
                    refused.status().as_u16()
                );
                return refused;
            }
        }
    };
    let method = parts.method.as_str().to_string();
    let url = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let handler = shared.handler.clone();
    let (tx, rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let request = rouille::Request::fake_http_from(remote, method, url, headers, body);
        let response = catch_unwind(AssertUnwindSafe(|| handler(&request))).unwrap_or_else(|_| {
            log::error!("handler panicked");
            rouille::Response::text("服务器内部错误。").with_status_code(500)
        });
        // The handler is done with the body: give its bytes back to the budget.
        drop(request);
        drop(reservation);
        let _ = tx.send(convert(response));
    });
    rx.await.unwrap_or_else(|_| plain(500, "服务器内部错误。"))
}

/// Ask the web layer's policy, on the blocking pool because it may read the store.
async fn body_limit(parts: &hyper::http::request::Parts, shared: &Arc<Shared>) -> Option<usize> {
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let cookies: Vec<&str> = parts
        .headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
    let policy = shared.limits.body_policy.clone();
    let max = shared.limits.max_body_bytes;
    match tokio::task::spawn_blocking(move || policy(&method, &path, cookie.as_deref())).await {
        Ok(limit) => Some(limit.min(max)),
        Err(_) => {
            log::error!("the body policy panicked");
            None
        }
    }
}

/// A share of the body budget, given back on drop.
struct Reservation {
    budget: Arc<Semaphore>,
    total_units: usize,
    permit: Option<OwnedSemaphorePermit>,
    units: usize,
}

impl Reservation {
    fn covers(&self) -> usize {
        self.units * BUDGET_UNIT
    }

    /// Grow the reservation to cover `bytes`, waiting at most `wait`.
    async fn grow_to(&mut self, bytes: usize, wait: Duration) -> Result<(), ()> {
        // A body larger than the whole budget may still have the whole budget.
        let want = bytes.div_ceil(BUDGET_UNIT).min(self.total_units);
        if want <= self.units {
            return Ok(());
        }
        let extra = u32::try_from(want - self.units).map_err(|_| ())?;
        let permit = match self.budget.clone().try_acquire_many_owned(extra) {
            Ok(p) => p,
            Err(_) => {
                match tokio::time::timeout(wait, self.budget.clone().acquire_many_owned(extra))
                    .await
                {
                    Ok(Ok(p)) => p,
                    _ => return Err(()),
                }
            }
        };
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
        self.units = want;
        Ok(())
    }
}

/// Read a body within its limit, its rate and the budget; a refusal is the response.
async fn receive(
    mut body: Incoming,
    declared: Option<u64>,
    limit: usize,
    shared: &Shared,
) -> Result<(Vec<u8>, Reservation), hyper::Response<InnerBody>> {
    let limits = &shared.limits;
    let mut reservation = Reservation {
        budget: shared.budget.clone(),
        total_units: shared.budget_units,
        permit: None,
        units: 0,
    };
    let over_budget = || {
        shared.budget_refused.fetch_add(1, Ordering::Relaxed);
        refusal(503, BUSY)
    };
    // A declared length (already checked against the limit) is reserved up front, so a
    // request either gets all it needs or is refused before it costs anything.
    let declared = declared.map(|n| n as usize);
    if let Some(n) = declared.filter(|n| *n > BUDGET_FREE) {
        reservation
            .grow_to(n, limits.body_budget_wait)
            .await
            .map_err(|_| over_budget())?;
    }
    let mut started = Instant::now();
    let rate = limits.min_body_rate as f64;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    loop {
        let total = started + limits.body_timeout;
        let deadline = if rate > 0.0 {
            total.min(
                started + limits.body_grace + Duration::from_secs_f64(bytes.len() as f64 / rate),
            )
        } else {
            total
        };
        let frame = match tokio::time::timeout_at(deadline.into(), body.frame()).await {
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(_))) => return Err(plain(400, "请求不完整。")),
            Err(_) => {
                shared.slow_bodies_cut.fetch_add(1, Ordering::Relaxed);
                return Err(refusal(408, TOO_SLOW));
            }
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let len = bytes.len() + data.len();
        if len > limit {
            shared.bodies_too_large.fetch_add(1, Ordering::Relaxed);
            return Err(refusal(413, TOO_LARGE));
        }
        if len > BUDGET_FREE && len > reservation.covers() {
            let waiting = Instant::now();
            let step = len.next_multiple_of(BUDGET_STEP).min(limit);
            reservation
                .grow_to(step, limits.body_budget_wait)
                .await
                .map_err(|_| over_budget())?;
            // Waiting for the budget is the server's doing, not the client's.
            started += waiting.elapsed();
        }
        bytes.extend_from_slice(&data);
    }
    Ok((bytes, reservation))
}

fn plain(status: u16, text: &'static str) -> hyper::Response<InnerBody> {
    let mut r = hyper::Response::new(Either::Left(Full::new(Bytes::from_static(text.as_bytes()))));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A refusal that leaves (part of) the body unread: the connection cannot carry another
/// request, so say it will close.
fn refusal(status: u16, text: &'static str) -> hyper::Response<InnerBody> {
    let mut r = plain(status, text);
    r.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    if status == 503 {
        r.headers_mut()
            .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    r
}

/// Headers that the transport owns, as rouille's own engine ignores them.
const TRANSPORT_HEADERS: &[&str] = &[
    "accept-ranges",
    "connection",
    "content-length",
    "content-range",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Runs on the blocking pool: small bodies are read here, large ones stream from a
/// blocking reader thread through a channel.
fn convert(response: rouille::Response) -> hyper::Response<InnerBody> {
    let rouille::Response {
        status_code,
        headers,
        data,
        ..
    } = response;
    let (mut reader, size) = data.into_reader_and_size();
    let body = match size {
        Some(n) if n <= INLINE_BODY_MAX => {
            let mut buf = Vec::with_capacity(n);
            if let Err(e) = reader.read_to_end(&mut buf) {
                log::error!("reading a response body failed: {e}");
                return plain(500, "服务器内部错误。");
            }
            Either::Left(Full::new(Bytes::from(buf)))
        }
        _ => Either::Right(ChannelBody::spawn(reader, size)),
    };
    let mut out = hyper::Response::new(body);
    *out.status_mut() = hyper::StatusCode::from_u16(status_code)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if TRANSPORT_HEADERS
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h))
        {
            continue;
        }
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(n), Ok(v)) => {
                out.headers_mut().append(n, v);
            }
            _ => log::warn!("dropped an invalid response header {name:?}"),
        }
    }
    out
}

/// A response body fed by a blocking reader on another thread.
pub struct ChannelBody {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    size: Option<u64>,
}

impl ChannelBody {
    fn spawn(mut reader: Box<dyn Read + Send>, size: Option<usize>) -> ChannelBody {
        let (tx, rx) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            loop {
                let mut buf = vec![0u8; STREAM_CHUNK];
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                            break; // the client went away
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        break;
                    }
                }
            }
        });
        ChannelBody {
            rx,
            size: size.map(|n| n as u64),
        }
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self.size {
            Some(n) => hyper::body::SizeHint::with_exact(n),
            None => hyper::body::SizeHint::default(),
        }
    }
}
