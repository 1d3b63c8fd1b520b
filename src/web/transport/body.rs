//! Reading a request body under the transport's rules: the web layer's policy sets the
//! limit from the request head, a larger declared body is refused unread (413), a body
//! must keep up a minimum rate after a grace period (408), and all bodies in flight share
//! one byte budget (503 when a request cannot get its share soon).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::http::request::Parts;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Shared;
use super::bridge::{InnerBody, plain, refusal};

/// The body budget is counted in KiB so that any single request fits a `u32` of permits.
pub(super) const BUDGET_UNIT: usize = 1024;
/// Bodies of unknown length reserve budget in steps, not per frame.
const BUDGET_STEP: usize = 64 * 1024;
/// Bodies up to this size take no budget: the connection limit already bounds them
/// (768 × 64 KB = 48 MB), and a few large uploads must not make sign-ins and ordinary
/// forms wait.
const BUDGET_FREE: usize = 64 * 1024;

const TOO_LARGE: &str = "提交的内容太大，服务器没有接收。如需上传文件，请先登录有上传权限的账号。";
const TOO_SLOW: &str = "上传太慢，连接已断开。请在网络好一些时重试。";
const BUSY: &str = "服务器正忙，请稍后再试。";

/// The request's body, read within the policy's limit, the minimum rate and the budget,
/// with the share of the budget it holds until the handler is done; a refusal is the
/// response to send instead.
pub(super) async fn read_body(
    parts: &Parts,
    body: Incoming,
    remote: SocketAddr,
    shared: &Arc<Shared>,
) -> Result<(Vec<u8>, Option<Reservation>), hyper::Response<InnerBody>> {
    if body.is_end_stream() {
        return Ok((Vec::new(), None));
    }
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(limit) = body_limit(parts, shared).await else {
        return Err(plain(500, "服务器内部错误。"));
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
        return Err(refusal(413, TOO_LARGE));
    }
    match receive(body, declared, limit, shared).await {
        Ok((bytes, reservation)) => Ok((bytes, Some(reservation))),
        Err(refused) => {
            log::warn!(
                "{} {} from {}: body refused ({})",
                parts.method,
                parts.uri.path(),
                remote.ip(),
                refused.status().as_u16()
            );
            Err(refused)
        }
    }
}

/// Ask the web layer's policy, on the blocking pool because it may read the store.
async fn body_limit(parts: &Parts, shared: &Arc<Shared>) -> Option<usize> {
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
pub(super) struct Reservation {
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
