//! In-memory limits for clients on the hotspot: sliding windows per client address, and
//! growing delays after failed sign-ins and code guesses. Per-phone code limits live in
//! the store, since they must survive a restart; these only have to slow down a
//! misbehaving client.
//!
//! Failures are counted per (account, client address), so a stranger's wrong guesses
//! slow the stranger, not the account's owner on another device. The per-account
//! backoffs exist only against a flood from many addresses, start much later, and are
//! never applied to the laptop itself (loopback): whoever sits at it already holds the
//! data file and `kezhi admin create`, so slowing them protects nothing.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
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

/// A growing delay: once `after` failures are counted for a key, the next attempt must
/// wait `base`, then twice that after each further failure, at most `cap`. The count is
/// forgotten once no failure has been recorded for `forget`. Refusing early (instead of
/// sleeping a thread) keeps a flood from tying up the server's workers.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub name: &'static str,
    pub after: u32,
    pub base: Duration,
    pub cap: Duration,
    pub forget: Duration,
}

impl Backoff {
    /// The wait owed after `failures` failures.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures < self.after {
            return Duration::ZERO;
        }
        // 2^20 seconds is already far beyond any cap; stop doubling there.
        let doublings = (failures - self.after).min(20);
        (self.base * 2u32.pow(doublings)).min(self.cap)
    }
}

/// Failed sign-ins for one account from one address. Three typos cost nothing; a guesser
/// from one device then waits 1, 2, 4 … seconds, at most five minutes per try.
pub const SIGN_IN_PER_ACCOUNT_ADDRESS: Backoff = Backoff {
    name: "sign-in-account-address",
    after: 3,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(300),
    forget: Duration::from_secs(900),
};
/// Failed sign-ins for one account from all non-loopback addresses together. One
/// address reaches at most `LOGIN_FAIL_PER_ADDRESS.max` failures per window, so this
/// needs several devices working together; then the account's LAN sign-ins are slowed
/// (at most a minute per try), never refused for good, and the laptop is not affected.
pub const SIGN_IN_PER_ACCOUNT: Backoff = Backoff {
    name: "sign-in-account",
    after: 30,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(60),
    forget: Duration::from_secs(900),
};
/// Wrong codes for one phone typed on a device other than the one that asked for the
/// code. Such tries never touch the code's own counter (that would let anyone burn a
/// stranger's code), so this delay is what bounds guessing from one address.
pub const CODE_GUESS_PER_PHONE_ADDRESS: Backoff = Backoff {
    name: "code-guess-phone-address",
    after: 3,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(300),
    forget: Duration::from_secs(900),
};
/// Wrong codes for one phone from all other devices together: bounds guessing by many
/// addresses at once (about 20 free tries, then about one a minute), while the device
/// that asked for the code keeps its own five tries.
pub const CODE_GUESS_PER_PHONE: Backoff = Backoff {
    name: "code-guess-phone",
    after: 20,
    base: Duration::from_secs(1),
    cap: Duration::from_secs(60),
    forget: Duration::from_secs(900),
};

/// Failures counted for one backoff key.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The limiter shared by all requests.
#[derive(Default)]
pub struct RateLimiter {
    events: Mutex<HashMap<(&'static str, String), VecDeque<Instant>>>,
    failures: Mutex<HashMap<(&'static str, String), Failures>>,
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

    /// Seconds `key` must still wait under `backoff`, if any.
    pub fn backoff_wait(&self, backoff: Backoff, key: &str) -> Option<u64> {
        self.backoff_wait_at(backoff, key, Instant::now())
    }

    fn backoff_wait_at(&self, backoff: Backoff, key: &str, now: Instant) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let f = map.get(&(backoff.name, key.to_string()))?;
        let since = now.saturating_duration_since(f.last);
        if since >= backoff.forget {
            return None;
        }
        let wait = backoff.delay(f.count).checked_sub(since)?;
        // Round up, so "wait 1 second" is never answered a moment too early.
        (!wait.is_zero()).then(|| wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }

    /// Count one failure for `key`.
    pub fn backoff_failed(&self, backoff: Backoff, key: &str) {
        self.backoff_failed_at(backoff, key, Instant::now());
    }

    fn backoff_failed_at(&self, backoff: Backoff, key: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            // Many addresses × many made-up accounts: drop what is idle, keep what slows
            // someone down right now.
            map.retain(|_, f| now.saturating_duration_since(f.last) < Duration::from_secs(900));
        }
        let f = map
            .entry((backoff.name, key.to_string()))
            .or_insert(Failures {
                count: 0,
                last: now,
            });
        if now.saturating_duration_since(f.last) >= backoff.forget {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
    }

    /// Forget `key`'s failures (after it signed in).
    pub fn backoff_clear(&self, backoff: Backoff, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(backoff.name, key.to_string()));
    }
}

/// The sign-in and code-guess policies, in one place for every sign-in form.
impl RateLimiter {
    /// Seconds a sign-in to `account` from `address` must wait before it is even
    /// checked; none for the laptop itself.
    pub fn sign_in_wait(&self, account: &str, address: IpAddr) -> Option<u64> {
        if is_loopback(address) {
            return None;
        }
        let address = canonical(address);
        [
            self.blocked(LOGIN_FAIL_PER_ADDRESS, &address.to_string()),
            self.backoff_wait(
                SIGN_IN_PER_ACCOUNT_ADDRESS,
                &account_address(account, address),
            ),
            self.backoff_wait(SIGN_IN_PER_ACCOUNT, account),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Count a wrong password for `account` from `address`.
    pub fn sign_in_failed(&self, account: &str, address: IpAddr) {
        if is_loopback(address) {
            return;
        }
        let address = canonical(address);
        self.record(LOGIN_FAIL_PER_ADDRESS, &address.to_string());
        self.backoff_failed(
            SIGN_IN_PER_ACCOUNT_ADDRESS,
            &account_address(account, address),
        );
        self.backoff_failed(SIGN_IN_PER_ACCOUNT, account);
    }

    /// Forget this device's failures for `account` once it signed in. The account-wide
    /// count stays: one right password must not wipe out a flood still going on.
    pub fn sign_in_succeeded(&self, account: &str, address: IpAddr) {
        self.backoff_clear(
            SIGN_IN_PER_ACCOUNT_ADDRESS,
            &account_address(account, canonical(address)),
        );
    }

    /// Seconds a device that did not ask for `phone`'s code must wait before guessing it.
    pub fn code_guess_wait(&self, phone: &str, address: IpAddr) -> Option<u64> {
        [
            self.backoff_wait(
                CODE_GUESS_PER_PHONE_ADDRESS,
                &account_address(phone, canonical(address)),
            ),
            self.backoff_wait(CODE_GUESS_PER_PHONE, phone),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Count a wrong code for `phone` typed on a device that did not ask for it.
    pub fn code_guess_failed(&self, phone: &str, address: IpAddr) {
        self.backoff_failed(
            CODE_GUESS_PER_PHONE_ADDRESS,
            &account_address(phone, canonical(address)),
        );
        self.backoff_failed(CODE_GUESS_PER_PHONE, phone);
    }
}

/// An IPv4 client seen through a dual-stack socket (`::ffff:a.b.c.d`) as plain IPv4, so
/// one device has one key and 127.0.0.1 is recognised either way.
pub fn canonical(address: IpAddr) -> IpAddr {
    address.to_canonical()
}

/// Whether a request comes from the laptop itself.
pub fn is_loopback(address: IpAddr) -> bool {
    canonical(address).is_loopback()
}

/// The key of a per-account, per-address counter.
fn account_address(account: &str, address: IpAddr) -> String {
    format!("{account} {address}")
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

/// "请在 N 秒后再试" for a wait of `secs` seconds (minutes from one minute on).
pub fn retry_after(secs: u64) -> String {
    if secs >= 60 {
        format!("请在 {} 分钟后再试", secs.div_ceil(60))
    } else {
        format!("请在 {secs} 秒后再试")
    }
}

/// A Chinese message for a wait of `secs` seconds.
pub fn wait_message(secs: u64) -> String {
    format!("操作太频繁，{}。", retry_after(secs))
}

/// The message for a sign-in refused until `secs` have passed.
pub fn sign_in_wait_message(secs: u64) -> String {
    format!("登录失败次数过多，{}。", retry_after(secs))
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
        assert!(wait_message(30).contains("请在 30 秒后再试"));
        assert!(wait_message(61).contains("请在 2 分钟后再试"));
        assert_eq!(
            sign_in_wait_message(4),
            "登录失败次数过多，请在 4 秒后再试。"
        );
    }

    const TEST_BACKOFF: Backoff = Backoff {
        name: "t",
        after: 3,
        base: Duration::from_secs(1),
        cap: Duration::from_secs(300),
        forget: Duration::from_secs(900),
    };

    #[test]
    fn delay_grows_from_the_third_failure_and_is_capped() {
        let b = TEST_BACKOFF;
        let secs: Vec<u64> = (0..=12).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn backoff_refuses_until_the_delay_has_passed() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", t0), None);
            l.backoff_failed_at(
                TEST_BACKOFF,
                "admin 10.0.0.7",
                t0 + Duration::from_millis(i),
            );
        }
        let last = t0 + Duration::from_millis(2);
        // Third failure: one second, rounded up while any part of it is left.
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", last),
            Some(1)
        );
        let half = last + Duration::from_millis(500);
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", half),
            Some(1)
        );
        let after = last + Duration::from_secs(1);
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", after),
            None
        );
        // Fourth failure: two seconds; fifth: four.
        l.backoff_failed_at(TEST_BACKOFF, "admin 10.0.0.7", after);
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", after),
            Some(2)
        );
        let later = after + Duration::from_secs(2);
        l.backoff_failed_at(TEST_BACKOFF, "admin 10.0.0.7", later);
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", later),
            Some(4)
        );
        // Other keys (the same account from another address) are untouched.
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.8", later),
            None
        );
        l.backoff_clear(TEST_BACKOFF, "admin 10.0.0.7");
        assert_eq!(
            l.backoff_wait_at(TEST_BACKOFF, "admin 10.0.0.7", later),
            None
        );
    }

    #[test]
    fn sign_in_failures_slow_the_device_not_the_account_nor_the_laptop() {
        let l = RateLimiter::default();
        let stranger: IpAddr = "10.0.0.7".parse().unwrap();
        let owner: IpAddr = "10.0.0.5".parse().unwrap();
        let laptop: IpAddr = "127.0.0.1".parse().unwrap();
        let laptop_v6: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        for _ in 0..SIGN_IN_PER_ACCOUNT_ADDRESS.after {
            assert_eq!(l.sign_in_wait("admin", stranger), None);
            l.sign_in_failed("admin", stranger);
        }
        assert_eq!(l.sign_in_wait("admin", stranger), Some(1));
        assert_eq!(l.sign_in_wait("admin", owner), None);
        for _ in 0..50 {
            l.sign_in_failed("admin", laptop);
            l.sign_in_failed("admin", laptop_v6);
        }
        assert_eq!(l.sign_in_wait("admin", laptop), None);
        assert_eq!(l.sign_in_wait("admin", laptop_v6), None);
        assert_eq!(
            l.sign_in_wait("admin", owner),
            None,
            "the laptop's own typos count for nobody"
        );
        // A flood from many addresses slows other devices, never the laptop.
        for i in 0..SIGN_IN_PER_ACCOUNT.after {
            l.sign_in_failed("admin", IpAddr::from([10, 0, 1, i as u8]));
        }
        assert!(l.sign_in_wait("admin", owner).is_some());
        assert_eq!(l.sign_in_wait("admin", laptop), None);
        assert_eq!(l.sign_in_wait("other", owner), None);
    }

    #[test]
    fn backoff_is_capped_and_forgotten_when_idle() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..40 {
            l.backoff_failed_at(TEST_BACKOFF, "k", t0);
        }
        assert_eq!(l.backoff_wait_at(TEST_BACKOFF, "k", t0), Some(300));
        let idle = t0 + Duration::from_secs(900);
        assert_eq!(l.backoff_wait_at(TEST_BACKOFF, "k", idle), None);
        // After the idle period the count starts again: three free failures.
        l.backoff_failed_at(TEST_BACKOFF, "k", idle);
        assert_eq!(l.backoff_wait_at(TEST_BACKOFF, "k", idle), None);
    }
}
