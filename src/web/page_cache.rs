//! Rendered pages kept for the next identical request, while they are still exact.
//!
//! A list page at county scale reads its index and decodes only its rows, yet rendering
//! fifty rows still costs several times what the transport costs to answer. Most views
//! repeat: an office browsing the same lists, a crowd opening the same activity from a
//! QR code. A page is kept with a stamp of everything it was made from — the store's
//! generation (moves after every commit), the statistics' version, the minute of the
//! clock (pages show the time and the phase of activities, whose times are whole
//! minutes) — and served again only while the stamp is unchanged, so a kept page is
//! byte for byte what rendering would give, except its CSRF token, which is replaced by
//! the asking browser's own.
//!
//! Only GET pages listed in [`cacheable`] are kept: their content follows from the store,
//! the viewer, the settings and the clock alone (no in-memory job state, no audit entry
//! written on viewing). Each viewer has their own copies (keyed by the session cookie).

use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// At most this many bytes of kept pages; the oldest go first.
const MAX_BYTES: usize = 16 * 1024 * 1024;
/// At most this many kept pages.
const MAX_PAGES: usize = 2048;

/// Whether GET `path` is a page this cache may keep.
pub fn cacheable(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        [""] | ["stats"]
            | ["admin", "stats"]
            | ["teams"]
            | ["teams", _]
            | ["activities"]
            | ["activities", _]
            | ["activities", _, "roster"]
            | ["team", _, "members"]
            | ["team", _, "activities"]
            | ["demands"]
            | ["demands", _]
            | ["admin", "volunteers"]
            | ["admin", "teams"]
            | ["admin", "audit"]
    )
}

/// Who asks for what: pages differ by viewer and by whether the request came from this
/// machine (first-run setup is offered only there).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Key {
    /// Path and query, as sent.
    pub url: String,
    /// The session cookie, when it has the shape of one.
    pub session: Option<String>,
    pub loopback: bool,
}

/// What a page was made from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stamp {
    pub generation: u64,
    pub stats: u64,
    /// Minutes since the epoch, by the app's clock.
    pub minute: i64,
}

impl Stamp {
    pub fn minute_of(now: DateTime<Utc>) -> i64 {
        now.timestamp().div_euclid(60)
    }
}

/// A kept page.
pub struct Page {
    stamp: Stamp,
    /// The end of the session it was rendered for.
    session_expires: Option<DateTime<Utc>>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The CSRF token rendered into `body`, and where it appears.
    csrf: String,
    csrf_at: Vec<usize>,
}

impl Page {
    /// Keep `body`, rendered with the CSRF token `csrf`.
    pub fn new(
        stamp: Stamp,
        session_expires: Option<DateTime<Utc>>,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        csrf: &str,
    ) -> Page {
        let csrf_at = occurrences(&body, csrf.as_bytes());
        Page {
            stamp,
            session_expires,
            status,
            headers,
            body,
            csrf: csrf.to_string(),
            csrf_at,
        }
    }

    /// The body for a browser whose CSRF token is `csrf`.
    pub fn body_for(&self, csrf: &str) -> Vec<u8> {
        if csrf == self.csrf || csrf.len() != self.csrf.len() {
            // Tokens all have one length; another length is never rendered (see auth).
            return self.body.clone();
        }
        let mut body = self.body.clone();
        for &at in &self.csrf_at {
            body[at..at + csrf.len()].copy_from_slice(csrf.as_bytes());
        }
        body
    }

    fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

/// Where `needle` starts in `hay`, not overlapping.
fn occurrences(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    if needle.is_empty() {
        return found;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == *needle {
            found.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    found
}

#[derive(Default)]
struct Kept {
    pages: HashMap<Key, Arc<Page>>,
    /// Insertion order, for dropping the oldest; may name keys replaced or gone since.
    order: VecDeque<Key>,
    bytes: usize,
}

/// The kept pages of the running server.
#[derive(Default)]
pub struct PageCache {
    kept: Mutex<Kept>,
    hits: AtomicU64,
}

impl PageCache {
    /// The page kept for `key`, if it was made from exactly `stamp` and its session has
    /// not ended.
    pub fn get(&self, key: &Key, stamp: Stamp, now: DateTime<Utc>) -> Option<Arc<Page>> {
        let kept = self.lock();
        let page = kept.pages.get(key)?;
        let exact = page.stamp == stamp && page.session_expires.is_none_or(|end| now < end);
        if exact {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        exact.then(|| page.clone())
    }

    /// How many requests were answered with a kept page.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Keep `page` for `key`, dropping the oldest pages past the bounds.
    pub fn put(&self, key: Key, page: Page) {
        let size = page.size();
        if size > MAX_BYTES / 8 {
            return;
        }
        let mut kept = self.lock();
        if let Some(old) = kept.pages.insert(key.clone(), Arc::new(page)) {
            kept.bytes -= old.size();
        }
        kept.bytes += size;
        kept.order.push_back(key);
        while kept.bytes > MAX_BYTES || kept.pages.len() > MAX_PAGES {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            // A key put again later sits further back in the order too: keep it until then.
            if kept.order.contains(&oldest) {
                continue;
            }
            if let Some(gone) = kept.pages.remove(&oldest) {
                kept.bytes -= gone.size();
            }
        }
        // Replaced keys leave stale entries in the order: compact it now and then.
        if kept.order.len() > 4 * MAX_PAGES {
            let Kept { pages, order, .. } = &mut *kept;
            let mut seen = std::collections::HashSet::new();
            let mut compact: VecDeque<Key> = order
                .iter()
                .rev()
                .filter(|k| pages.contains_key(*k) && seen.insert((*k).clone()))
                .cloned()
                .collect();
            compact.make_contiguous().reverse();
            *order = compact;
        }
    }

    /// Forget every kept page (settings changed, the clock was moved).
    pub fn clear(&self) {
        *self.lock() = Kept::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const TOKEN_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn key(url: &str) -> Key {
        Key {
            url: url.into(),
            session: None,
            loopback: false,
        }
    }

    fn stamp(generation: u64) -> Stamp {
        Stamp {
            generation,
            stats: 0,
            minute: 100,
        }
    }

    fn page(stamp: Stamp, body: &str) -> Page {
        Page::new(stamp, None, 200, Vec::new(), body.into(), TOKEN_A)
    }

    #[test]
    fn a_page_is_served_only_while_its_stamp_holds() {
        let cache = PageCache::default();
        let now = Utc::now();
        cache.put(key("/teams"), page(stamp(1), "teams"));
        assert!(cache.get(&key("/teams"), stamp(1), now).is_some());
        assert!(
            cache.get(&key("/teams"), stamp(2), now).is_none(),
            "a commit"
        );
        let next_minute = Stamp {
            minute: 101,
            ..stamp(1)
        };
        assert!(cache.get(&key("/teams"), next_minute, now).is_none());
        let new_figures = Stamp {
            stats: 1,
            ..stamp(1)
        };
        assert!(cache.get(&key("/teams"), new_figures, now).is_none());
        assert!(cache.get(&key("/teams?page=2"), stamp(1), now).is_none());
        let signed_in = Key {
            session: Some(TOKEN_B.into()),
            ..key("/teams")
        };
        assert!(
            cache.get(&signed_in, stamp(1), now).is_none(),
            "another viewer"
        );
    }

    #[test]
    fn a_page_ends_with_its_session() {
        let cache = PageCache::default();
        let now = Utc::now();
        let end = now + chrono::Duration::seconds(30);
        let p = Page::new(stamp(1), Some(end), 200, Vec::new(), b"x".to_vec(), TOKEN_A);
        cache.put(key("/admin/volunteers"), p);
        assert!(
            cache
                .get(&key("/admin/volunteers"), stamp(1), now)
                .is_some()
        );
        assert!(
            cache
                .get(&key("/admin/volunteers"), stamp(1), end)
                .is_none()
        );
    }

    #[test]
    fn each_browser_gets_its_own_csrf_token() {
        let body = format!("<input name=csrf value={TOKEN_A}>…<meta content={TOKEN_A}>");
        let p = page(stamp(1), &body);
        assert_eq!(p.body_for(TOKEN_A), body.as_bytes());
        let theirs = String::from_utf8(p.body_for(TOKEN_B)).unwrap();
        assert_eq!(theirs, body.replace(TOKEN_A, TOKEN_B));
        assert!(!theirs.contains(TOKEN_A));
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        let cache = PageCache::default();
        let big = "x".repeat(MAX_BYTES / 10);
        for i in 0..40 {
            cache.put(key(&format!("/teams?page={i}")), page(stamp(1), &big));
        }
        let kept = cache.lock();
        assert!(kept.bytes <= MAX_BYTES);
        assert!(kept.pages.len() < 40);
        assert!(
            kept.pages.contains_key(&key("/teams?page=39")),
            "newest kept"
        );
        assert!(
            !kept.pages.contains_key(&key("/teams?page=0")),
            "oldest gone"
        );
        drop(kept);
        for _ in 0..3 * MAX_PAGES {
            cache.put(key("/teams"), page(stamp(1), "same key again"));
        }
        let kept = cache.lock();
        assert!(kept.order.len() <= 4 * MAX_PAGES + 1);
        assert!(kept.pages.contains_key(&key("/teams")));
    }

    #[test]
    fn only_pages_made_from_the_store_alone_are_kept() {
        for path in [
            "/",
            "/activities",
            "/admin/volunteers",
            "/team/x/members",
            "/teams/x",
        ] {
            assert!(cacheable(path), "{path}");
        }
        for path in [
            "/join",
            "/import/x",
            "/admin/sync",
            "/me",
            "/login",
            "/admin/volunteers/x",
        ] {
            assert!(!cacheable(path), "{path}");
        }
    }
}
