//! Connection accounting: the slots each client address holds, the count of open
//! connections and the pressure flag it drives, and whether a connection is busy or idle
//! (so that idle ones can be closed first when the server is under pressure).

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Shared;

impl Shared {
    /// Take a slot for `ip`, or None when it already holds its share.
    pub(super) fn claim_address(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
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

    pub(super) fn opened(self: &Arc<Self>) -> OpenConnection {
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
pub(super) struct AddressSlot {
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

pub(super) struct OpenConnection {
    shared: Arc<Shared>,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
        self.shared.update_pressure();
    }
}

/// Whether a connection is serving a request, and since when it has been idle.
pub(super) struct Activity {
    busy: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    pub(super) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        })
    }

    pub(super) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// How long the connection has been idle, or None while it serves a request.
    pub(super) fn idle_for(&self) -> Option<Duration> {
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
pub(super) struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}
