//! The bridge between hyper and rouille: a hyper request becomes a `rouille::Request`
//! (through its public `fake_http_from`) for the handler, which runs on the blocking pool
//! behind `catch_unwind`; its `rouille::Response` becomes a hyper response, small bodies
//! in one piece and large ones streamed from a blocking reader.

use std::io::Read;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use tokio::sync::{mpsc, oneshot};

use super::Shared;
use super::body::read_body;
use super::connections::Busy;

/// Responses up to this size are read into memory in one go; larger ones stream.
const INLINE_BODY_MAX: usize = 256 * 1024;
const STREAM_CHUNK: usize = 64 * 1024;

pub(super) type InnerBody = Either<Full<Bytes>, ChannelBody>;

/// A response body that keeps its connection marked busy until it is fully written.
pub(super) struct ResponseBody {
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

pub(super) async fn respond(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    shared: Arc<Shared>,
    busy: Busy,
) -> hyper::Response<ResponseBody> {
    handle_request(req, remote, &shared)
        .await
        .map(|inner| ResponseBody { inner, _busy: busy })
}
async fn handle_request(
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
    shared: &Arc<Shared>,
) -> hyper::Response<InnerBody> {
    let (parts, body) = req.into_parts();
    let (body, reservation) = match read_body(&parts, body, remote, shared).await {
        Ok(read) => read,
        Err(refused) => return refused,
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
pub(super) fn plain(status: u16, text: &'static str) -> hyper::Response<InnerBody> {
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
pub(super) fn refusal(status: u16, text: &'static str) -> hyper::Response<InnerBody> {
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
