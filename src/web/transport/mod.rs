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
//!
//! Layout: `server` starts the runtime, accepts and serves connections; `connections`
//! keeps the per-address and pressure accounting; `body` applies the body policy, rate and
//! budget while reading a request's body; `bridge` turns hyper requests into rouille ones
//! and rouille responses back.

mod body;
mod bridge;
mod connections;
mod server;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

pub use bridge::ChannelBody;
pub use server::{ServerHandle, serve};

use body::BUDGET_UNIT;

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
}
