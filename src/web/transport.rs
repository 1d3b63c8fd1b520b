//! The HTTP transport under rouille's handlers. rouille's own engine (tiny_http 0.12)
//! stalls keep-alive responses (no TCP_NODELAY), aborts the process on a request that
//! declares an absurd Content-Length, and loses wake-ups under connection bursts
//! (DESIGN.md §9). Here hyper (HTTP/1.1) on a small tokio runtime does the wire work:
//! every accepted socket gets TCP_NODELAY, slow or idle clients only cost a task, bodies
//! are size- and time-limited before they are read, and the rouille handler runs on the
//! blocking pool with a `rouille::Request` built through its public `fake_http_from`.

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A rouille handler, shared by every connection.
pub type Handler = Arc<dyn Fn(&rouille::Request) -> rouille::Response + Send + Sync + 'static>;

/// Limits of the transport.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted; a larger declared or actual body gets 413.
    pub max_body_bytes: usize,
    /// Time allowed for a client to send a request's headers (idle keep-alive included).
    pub header_timeout: Duration,
    /// Time allowed to receive a request's body.
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024 * 1024,
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(120),
            max_connections: 768,
        }
    }
}

/// Responses up to this size are read into memory in one go; larger ones stream.
const INLINE_BODY_MAX: usize = 256 * 1024;
const STREAM_CHUNK: usize = 64 * 1024;

/// A running server. Dropping it stops accepting and shuts the runtime down.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
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
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("kezhi-accept".into())
        .spawn(move || {
            let result = runtime.block_on(accept_loop(listener, handler, limits, stop_rx));
            if let Err(e) = result {
                log::error!("HTTP accept loop ended: {e}");
            }
            runtime.shutdown_timeout(Duration::from_secs(5));
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    handler: Handler,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let limits = Arc::new(limits);
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
        if let Err(e) = stream.set_nodelay(true) {
            log::warn!("could not set TCP_NODELAY: {e}");
        }
        let handler = handler.clone();
        let limits = limits.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                let limits = limits.clone();
                async move { Ok::<_, Infallible>(respond(req, remote, handler, &limits).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                log::debug!("connection from client ended with error: {e}");
            }
            drop(permit);
        });
    }
}

type ResponseBody = Either<Full<Bytes>, ChannelBody>;

async fn respond(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    handler: Handler,
    limits: &Limits,
) -> hyper::Response<ResponseBody> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return plain(413, "上传的内容太大。");
    }
    let (parts, body) = req.into_parts();
    let collected = tokio::time::timeout(
        limits.body_timeout,
        Limited::new(body, limits.max_body_bytes).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(c)) => c.to_bytes().to_vec(),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return plain(413, "上传的内容太大。");
            }
            return plain(400, "请求不完整。");
        }
        Err(_) => return plain(408, "上传超时，请重试。"),
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
    let (tx, rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let request = rouille::Request::fake_http_from(remote, method, url, headers, body);
        let response = catch_unwind(AssertUnwindSafe(|| handler(&request))).unwrap_or_else(|_| {
            log::error!("handler panicked");
            rouille::Response::text("服务器内部错误。").with_status_code(500)
        });
        let _ = tx.send(convert(response));
    });
    rx.await.unwrap_or_else(|_| plain(500, "服务器内部错误。"))
}

fn plain(status: u16, text: &'static str) -> hyper::Response<ResponseBody> {
    let mut r = hyper::Response::new(Either::Left(Full::new(Bytes::from_static(text.as_bytes()))));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
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
fn convert(response: rouille::Response) -> hyper::Response<ResponseBody> {
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
