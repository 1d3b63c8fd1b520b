//! Starting and stopping the server: the tokio runtime, the accept loop that applies the
//! connection limits, and each connection's hyper loop that closes idle connections early
//! under pressure.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, oneshot};

use super::bridge::respond;
use super::connections::Activity;
use super::{Handler, Limits, Shared, Stats};

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
        // Handlers are CPU work on a 2-core laptop (long jobs run on their own threads):
        // 16 is plenty in flight, and each blocking thread keeps its own allocator heap —
        // at 64 the county benchmark's server grew from 146 to ~400 MB under 50 clients.
        .max_blocking_threads(16)
        // A thread that ends takes its allocator heap with it, and the next burst (a
        // crowd signing up after a quiet minute) pays for fresh zeroed memory on each new
        // thread: keep them for a while.
        .thread_keep_alive(std::time::Duration::from_secs(600))
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
    let activity = Activity::new();
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
