//! In-memory sliding-window rate limits per client address (and per account name for
//! sign-in failures). Per-phone code limits live in the store, since they must survive a
//! restart; these only have to slow down a misbehaving client on the hotspot.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A named limit: at most `max` events per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: usize,
    pub window: Duration,
}

/// Code requests from one address.
pub const CODE_PER_ADDRESS: Limit = Limit {
    name: "code-address",
    max: 10,
    window: Duration::from_secs(600),
};
/// Failed admin sign-ins from one address.
pub const LOGIN_FAIL_PER_ADDRESS: Limit = Limit {
    name: "login-address",
    max: 10,
    window: Duration::from_secs(900),
};
/// Failed sign-ins for one account name, from anywhere.
pub const LOGIN_FAIL_PER_ACCOUNT: Limit = Limit {
    name: "login-account",
    max: 5,
    window: Duration::from_secs(900),
};
/// Code checks (right or wrong) from one address, so guessing across phones is slow too.
pub const VERIFY_PER_ADDRESS: Limit = Limit {
    name: "verify-address",
    max: 30,
    window: Duration::from_secs(600),
};

/// Demands submitted from one address.
pub const DEMAND_PER_ADDRESS: Limit = Limit {
    name: "demand-address",
    max: 5,
    window: Duration::from_secs(600),
};

/// The limiter shared by all requests.
#[derive(Default)]
pub struct RateLimiter {
    events: Mutex<HashMap<(&'static str, String), VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Seconds to wait if `key` has used up `limit`, without recording anything.
    pub fn blocked(&self, limit: Limit, key: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let q = map.get_mut(&(limit.name, key.to_string()))?;
        prune(q, now, limit.window);
        if q.len() >= limit.max {
            let oldest = *q.front()?;
            Some((limit.window - now.duration_since(oldest)).as_secs().max(1))
        } else {
            None
        }
    }

    /// Record one event for `key`.
    pub fn record(&self, limit: Limit, key: &str) {
        let now = Instant::now();
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(3600))
            });
        }
        let q = map.entry((limit.name, key.to_string())).or_default();
        prune(q, now, limit.window);
        q.push_back(now);
    }

    /// Record an event unless the limit is used up; returns the wait in seconds if it is.
    pub fn take(&self, limit: Limit, key: &str) -> Result<(), u64> {
        if let Some(wait) = self.blocked(limit, key) {
            return Err(wait);
        }
        self.record(limit, key);
        Ok(())
    }

    /// Forget `key`'s events (after a successful sign-in).
    pub fn clear(&self, limit: Limit, key: &str) {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(limit.name, key.to_string()));
    }
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

/// A Chinese message for a wait of `secs` seconds.
pub fn wait_message(secs: u64) -> String {
    if secs >= 60 {
        format!("操作太频繁，请 {} 分钟后再试。", secs.div_ceil(60))
    } else {
        format!("操作太频繁，请 {secs} 秒后再试。")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key() {
        let l = RateLimiter::default();
        let limit = Limit {
            name: "t",
            max: 2,
            window: Duration::from_secs(60),
        };
        assert!(l.take(limit, "a").is_ok());
        assert!(l.take(limit, "a").is_ok());
        assert!(l.take(limit, "a").is_err());
        assert!(l.take(limit, "b").is_ok());
        l.clear(limit, "a");
        assert!(l.take(limit, "a").is_ok());
    }

    #[test]
    fn window_slides() {
        let l = RateLimiter::default();
        let limit = Limit {
            name: "t",
            max: 1,
            window: Duration::from_millis(50),
        };
        assert!(l.take(limit, "a").is_ok());
        assert!(l.take(limit, "a").is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(l.take(limit, "a").is_ok());
    }

    #[test]
    fn messages() {
        assert!(wait_message(30).contains("30 秒"));
        assert!(wait_message(61).contains("2 分钟"));
    }
}
