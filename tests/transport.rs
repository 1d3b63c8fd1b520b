//! The HTTP transport under the rouille handlers, against the faults measured in rouille's
//! own engine (DESIGN.md §9): keep-alive stalls, an absurd Content-Length aborting the
//! process, an idle half request blocking others, and bursts of new connections.

mod common;

use common::{TestApp, read_response};
use kezhi::web::transport::{self, Handler, Limits};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn start(handler: Handler) -> transport::ServerHandle {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    transport::serve(listener, handler, Limits::default()).unwrap()
}

fn page_20k() -> Handler {
    let body = "科".repeat(20 * 1024 / 3 + 1);
    Arc::new(move |req: &rouille::Request| match req.url().as_str() {
        "/panic" => panic!("handler bug"),
        "/echo" => {
            let mut data = Vec::new();
            if let Some(mut d) = req.data() {
                std::io::Read::read_to_end(&mut d, &mut data).unwrap();
            }
            rouille::Response::text(format!("{} bytes", data.len()))
        }
        _ => rouille::Response::html(body.clone()),
    })
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn twenty_keep_alive_requests_for_a_20kb_page_under_300ms() {
    let server = start(page_20k());
    let stream = connect(server.local_addr());
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let request = format!(
        "GET /page HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.local_addr()
    );
    // Warm up the connection and the handler once.
    writer.write_all(request.as_bytes()).unwrap();
    assert_eq!(read_response(&mut reader).status, 200);
    let started = Instant::now();
    for _ in 0..20 {
        // One write per request: several small writes would recreate Nagle on the client.
        writer.write_all(request.as_bytes()).unwrap();
        let r = read_response(&mut reader);
        assert_eq!(r.status, 200);
        assert!(r.body.len() >= 20 * 1024);
    }
    let elapsed = started.elapsed();
    eprintln!("20 keep-alive requests of 20 KB: {elapsed:?}");
    assert!(elapsed < Duration::from_millis(300), "took {elapsed:?}");
}

#[test]
fn the_real_app_serves_keep_alive_pages_fast() {
    let t = TestApp::start();
    let stream = connect(t.addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let request = format!(
        "GET /api/regions?parent=370000 HTTP/1.1\r\nHost: {}\r\n\r\n",
        t.addr
    );
    writer.write_all(request.as_bytes()).unwrap();
    assert_eq!(read_response(&mut reader).status, 200);
    let started = Instant::now();
    for _ in 0..20 {
        writer.write_all(request.as_bytes()).unwrap();
        assert_eq!(read_response(&mut reader).status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn absurd_content_length_gets_an_error_and_the_server_lives_on() {
    let server = start(page_20k());
    let addr = server.local_addr();
    let mut s = connect(addr);
    s.write_all(
        format!("POST /echo HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100000000000\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let r = read_response(&mut BufReader::new(s));
    assert_eq!(r.status, 413);
    // A body that grows past the limit without declaring it is refused too.
    let small_limit = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    let limited = transport::serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        page_20k(),
        small_limit,
    )
    .unwrap();
    let mut s = connect(limited.local_addr());
    let mut req = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        4096
    )
    .into_bytes();
    req.extend(std::iter::repeat_n(b'a', 4096));
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    s.write_all(&req).unwrap();
    assert_eq!(read_response(&mut BufReader::new(s)).status, 413);

    // Others are still served, and a normal upload works.
    let mut s = connect(addr);
    s.write_all(
        format!("POST /echo HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            .as_bytes(),
    )
    .unwrap();
    let r = read_response(&mut BufReader::new(s));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "5 bytes");
}

#[test]
fn a_half_request_that_idles_does_not_block_others() {
    let server = start(page_20k());
    let addr = server.local_addr();
    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut s = connect(addr);
        s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        idle.push(s);
    }
    let started = Instant::now();
    for _ in 0..5 {
        let mut s = connect(addr);
        s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut BufReader::new(s)).status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    drop(idle);
}

#[test]
fn two_hundred_connections_at_once_are_all_answered() {
    let server = start(page_20k());
    let addr = server.local_addr();
    let streams: Vec<TcpStream> = (0..200).map(|_| connect(addr)).collect();
    for s in &streams {
        (&*s)
            .write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
    }
    let started = Instant::now();
    let mut ok = 0;
    for s in streams {
        if read_response(&mut BufReader::new(s)).status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_panicking_handler_gives_500_and_the_server_goes_on() {
    let server = start(page_20k());
    let addr = server.local_addr();
    let mut s = connect(addr);
    s.write_all(b"GET /panic HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut BufReader::new(s));
    assert_eq!(r.status, 500);
    assert!(!r.body.contains("handler bug"), "no internals leak");
    let mut s = connect(addr);
    s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut BufReader::new(s)).status, 200);
}

#[test]
fn large_responses_stream() {
    let big = Arc::new(|_: &rouille::Request| {
        let data = vec![b'x'; 3 * 1024 * 1024];
        rouille::Response::from_data("application/octet-stream", data)
    });
    let server = start(big);
    let mut s = connect(server.local_addr());
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut BufReader::new(s));
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 3 * 1024 * 1024);
}

#[test]
fn expect_100_continue_uploads_work() {
    let server = start(page_20k());
    let mut s = connect(server.local_addr());
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let interim = read_response(&mut reader);
    assert_eq!(interim.status, 100);
    s.write_all(b"abc").unwrap();
    let r = read_response(&mut reader);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "3 bytes");
}
