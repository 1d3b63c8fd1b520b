//! The HTTP transport under the rouille handlers, against the faults measured in rouille's
//! own engine (DESIGN.md §9): keep-alive stalls, an absurd Content-Length aborting the
//! process, an idle half request blocking others, and bursts of new connections — and
//! against one client taking the server (issue 10): trickling bodies, idle and half-open
//! connections, anonymous huge POSTs and too many uploads at once.

mod common;

use common::{Resp, TestApp, read_response, valid_id};
use kezhi::web::transport::{self, Handler, Limits};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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

// ---------------------------------------------------------------------------------------
// One client cannot take the server (issue 10).

/// Connect from another loopback address (127.0.0.2, …), so that the per-address cap sees
/// the attacker and the bystander as different clients. std cannot bind before connecting;
/// tokio, already a dependency, can.
fn connect_from(src: &str, addr: SocketAddr) -> TcpStream {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
    });
    let src: IpAddr = src.parse().unwrap();
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(src, 0)).unwrap();
        socket.connect(addr).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// What a connection got back: a status, or None when it was closed or reset without one.
fn status_of(stream: TcpStream) -> Option<u16> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One GET from a bystander on 127.0.0.1: its status, and how long it took (with the
/// time to connect, for a failure message).
fn bystander_get(addr: SocketAddr, path: &str) -> (u16, Duration, Duration) {
    let started = Instant::now();
    let mut s = connect(addr);
    let connected = started.elapsed();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let r = read_response(&mut BufReader::new(s));
    (r.status, started.elapsed(), connected)
}

/// The attack tests each open hundreds of connections and some bound a bystander's wait;
/// run them one at a time so that they do not starve each other on a 2-core machine.
fn one_attack_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ATTACKS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ATTACKS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Poll `cond` until it holds or `within` is over.
fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// A handler that counts the requests it was given.
fn counting() -> (Handler, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let inner = page_20k();
    let handler: Handler = Arc::new(move |req: &rouille::Request| {
        seen.fetch_add(1, Ordering::SeqCst);
        inner(req)
    });
    (handler, calls)
}

/// Measured: 800 connections each sending a body one byte every 5 s made the server refuse
/// everyone for 50 s. Here 300 connections from one address (the server holds 256, so
/// without the per-address cap they would fill it) trickle bodies to the real app while a
/// bystander keeps loading the home page: every page comes in under a second, 268 of the
/// attacker's connections are refused at once, and the 32 it may hold are cut with 408
/// once the grace period is over.
#[test]
fn trickling_bodies_from_one_address_cannot_take_the_server() {
    let _attack = one_attack_at_a_time();
    let t = TestApp::start_with(Limits {
        max_connections: 256,
        exempt_loopback: false,
        body_grace: Duration::from_secs(2),
        ..Limits::default()
    });
    let head = "POST /login/code HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\np";
    let mut attack: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = connect_from("127.0.0.2", t.addr);
            let _ = s.write_all(head.as_bytes());
            s
        })
        .collect();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut pages = 0;
    while started.elapsed() < Duration::from_secs(4) {
        for s in &mut attack {
            let _ = s.write_all(b"h");
        }
        let (status, took, connected) = bystander_get(t.addr, "/");
        assert_eq!(status, 200);
        assert!(
            took < Duration::from_secs(1),
            "page {pages} took {took:?} (connected after {connected:?})"
        );
        slowest = slowest.max(took);
        pages += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("{pages} pages during the attack, slowest {slowest:?}");
    assert!(eventually(Duration::from_secs(10), || t
        .server
        .stats()
        .slow_bodies_cut
        == 32));
    let stats = t.server.stats();
    assert_eq!(stats.refused_per_address, 268, "{stats:?}");
    assert_eq!(stats.slow_bodies_cut, 32, "{stats:?}");
    let answers: Vec<Option<u16>> = attack.into_iter().map(status_of).collect();
    assert_eq!(answers.iter().filter(|a| **a == Some(408)).count(), 32);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Some(408) | Some(503) | None))
    );
    // The attacker's address gets its slots back once its connections are gone.
    assert!(eventually(Duration::from_secs(5), || t
        .server
        .stats()
        .open_connections
        == 0));
    let mut s = connect_from("127.0.0.2", t.addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(status_of(s), Some(200));
}

/// The minimum rate on its own, with loopback exempt from the per-address cap: 100
/// bodies trickling a byte every half second are all cut with 408 shortly after the grace
/// period and never reach the handler, while an honest upload that stays above the rate
/// for longer than the grace period completes.
#[test]
fn bodies_below_the_minimum_rate_are_cut_with_408() {
    let _attack = one_attack_at_a_time();
    let (handler, calls) = counting();
    let server = transport::serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        handler,
        Limits {
            body_grace: Duration::from_secs(2),
            ..Limits::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    let honest = std::thread::spawn(move || {
        let mut s = connect(addr);
        let piece = vec![b'x'; 32 * 1024];
        s.write_all(
            format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                piece.len() * 8
            )
            .as_bytes(),
        )
        .unwrap();
        // 64 KB/s for 4 s: well over the grace period, well above 4 KB/s.
        for _ in 0..8 {
            s.write_all(&piece).unwrap();
            std::thread::sleep(Duration::from_millis(500));
        }
        read_response(&mut BufReader::new(s))
    });
    let mut trickling: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    while server.stats().slow_bodies_cut < 100 && started.elapsed() < Duration::from_secs(8) {
        for s in &mut trickling {
            let _ = s.write_all(b"x");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let cut_after = started.elapsed();
    assert_eq!(
        server.stats().slow_bodies_cut,
        100,
        "cut after {cut_after:?}"
    );
    assert!(
        cut_after >= Duration::from_secs(2),
        "not before the grace period"
    );
    let answers: Vec<Option<u16>> = trickling.into_iter().map(status_of).collect();
    assert!(answers.iter().all(|a| *a == Some(408)), "{answers:?}");
    let r = honest.join().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, format!("{} bytes", 8 * 32 * 1024));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the honest upload reached the handler"
    );
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .open_connections
        == 0));
}

/// Measured: 800 one-address connections that never finish their headers blocked every
/// new client for 15 s. Here 100 connections from 127.0.0.2 just sit there: 32 are served
/// (and wait for their headers), the other 68 are told 503 and closed at once, and a
/// client from another address is answered at once. Loopback itself stays exempt by
/// default: 100 connections from 127.0.0.1 are all served.
#[test]
fn one_address_holds_at_most_its_share_of_connections() {
    let _attack = one_attack_at_a_time();
    let server = transport::serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        page_20k(),
        Limits {
            exempt_loopback: false,
            ..Limits::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    let mut idle: Vec<TcpStream> = (0..100).map(|_| connect_from("127.0.0.2", addr)).collect();
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .refused_per_address
        == 68));
    assert_eq!(server.stats().open_connections, 32);
    let (status, took) = {
        let started = Instant::now();
        let mut s = connect_from("127.0.0.3", addr);
        s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        (status_of(s), started.elapsed())
    };
    assert_eq!(status, Some(200));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    // The refused ones were told why; the served ones still wait for their headers.
    let refused: Vec<TcpStream> = idle.drain(32..).collect();
    for mut s in refused {
        let mut text = String::new();
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let _ = s.read_to_string(&mut text);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 503"),
            "{text}"
        );
    }
    // Closing some gives their slots back.
    idle.truncate(22);
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .open_connections
        == 22));
    let mut s = connect_from("127.0.0.2", addr);
    s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(status_of(s), Some(200));

    // With the default limits, the laptop itself is not capped.
    let local = start(page_20k());
    let many: Vec<TcpStream> = (0..100).map(|_| connect(local.local_addr())).collect();
    assert!(eventually(Duration::from_secs(5), || local
        .stats()
        .open_connections
        == 100));
    assert_eq!(local.stats().refused_per_address, 0);
    drop(many);
}

/// Measured: 800 half-open or idle keep-alive connections blocked new clients for ~15 s.
/// Here the server holds 200 connections and is under pressure above 150. Loopback is
/// exempt from the per-address cap, so only the pressure rule can help: 150 idle
/// keep-alive connections are left alone while below the mark, but once 150 half-open
/// connections pile on, idle ones are closed and a new client is answered in under a
/// second instead of after the 15 s header timeout.
#[test]
fn idle_and_half_open_connections_give_way_under_pressure() {
    let _attack = one_attack_at_a_time();
    let server = transport::serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        page_20k(),
        Limits {
            max_connections: 200,
            pressure_connections: 150,
            ..Limits::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    let mut keep_alive: Vec<(TcpStream, BufReader<TcpStream>)> = (0..150)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut reader = BufReader::new(s.try_clone().unwrap());
            assert_eq!(read_response(&mut reader).status, 200);
            (s, reader)
        })
        .collect();
    // Below the mark, idle keep-alive connections live on and can be reused.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.stats().closed_idle_under_pressure, 0);
    for (s, reader) in keep_alive.iter_mut().take(5) {
        s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(reader).status, 200);
    }
    std::thread::sleep(Duration::from_millis(1100));
    let half_open: Vec<TcpStream> = (0..150)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let (status, took, connected) = bystander_get(addr, "/page");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(1),
        "took {took:?} (connected after {connected:?})"
    );
    let stats = server.stats();
    assert!(
        stats.closed_idle_under_pressure >= 100,
        "idle connections were closed: {stats:?}"
    );
    // The keep-alive clients see their connections closed, not answered.
    let closed = keep_alive
        .into_iter()
        .filter(|(_, reader)| {
            reader
                .get_ref()
                .set_read_timeout(Some(Duration::from_secs(3)))
                .unwrap();
            let mut buf = [0u8; 1];
            matches!(reader.get_ref().read(&mut buf), Ok(0) | Err(_))
        })
        .count();
    assert!(closed >= 100, "{closed} closed");
    drop(half_open);
}

/// Measured: 16 anonymous 60 MB POSTs without a CSRF token pushed memory from 600 MB to
/// 2 GB. Now the real app answers 413 to each as soon as their headers arrive — before a
/// single byte of body was sent — and what the clients push afterwards is not kept.
#[test]
fn anonymous_60mb_posts_get_413_unread_and_memory_stays_flat() {
    let _attack = one_attack_at_a_time();
    let t = TestApp::start();
    let addr = t.addr;
    // Warm up the allocator and the page cache of the store before measuring.
    assert_eq!(bystander_get(addr, "/").0, 200);
    let before = rss_kb();
    let clients: Vec<_> = (0..16)
        .map(|i| {
            std::thread::spawn(move || {
                let path = if i % 2 == 0 { "/import" } else { "/register/volunteer" };
                let mut s = connect(addr);
                let started = Instant::now();
                s.write_all(
                    format!(
                        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
                        60 * 1024 * 1024
                    )
                    .as_bytes(),
                )
                .unwrap();
                let r = read_response(&mut BufReader::new(s.try_clone().unwrap()));
                let took = started.elapsed();
                // Push the body anyway: the server has closed, so little of it goes anywhere.
                let chunk = vec![b'a'; 256 * 1024];
                let mut pushed = 0usize;
                while pushed < 60 * 1024 * 1024 {
                    match s.write(&chunk) {
                        Ok(n) if n > 0 => pushed += n,
                        _ => break,
                    }
                }
                (r, took, pushed)
            })
        })
        .collect();
    for c in clients {
        let (r, took, pushed) = c.join().unwrap();
        assert_eq!(r.status, 413);
        assert!(r.body.contains("内容太大"), "{}", r.body);
        assert_eq!(r.header("connection"), Some("close"));
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert!(pushed < 60 * 1024 * 1024, "the server kept reading");
    }
    // A body without a declared length is cut at the form limit as it grows.
    let mut s = connect(addr);
    let mut req =
        b"POST /import HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        req.extend(format!("{:x}\r\n", 32 * 1024).as_bytes());
        req.extend(std::iter::repeat_n(b'a', 32 * 1024));
        req.extend(b"\r\n");
    }
    s.write_all(&req).unwrap();
    assert_eq!(status_of(s), Some(413));
    let stats = t.server.stats();
    assert_eq!(stats.bodies_too_large, 17, "{stats:?}");
    assert_eq!(stats.body_bytes_reserved, 0);
    let after = rss_kb();
    eprintln!("RSS {before} kB -> {after} kB");
    // Before, each request alone kept 60 MB; 16 of them ~1 GB.
    assert!(
        after.saturating_sub(before) < 200 * 1024,
        "RSS {before} kB -> {after} kB"
    );
    // And the server answers as usual.
    assert_eq!(bystander_get(addr, "/").0, 200);
}

fn rss_kb() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Send only a request's head and read the answer: a refusal must come without the body.
fn head_only(addr: SocketAddr, path: &str, cookies: &str, content_type: &str, len: usize) -> Resp {
    let mut s = connect(addr);
    s.write_all(
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookies}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    read_response(&mut BufReader::new(s))
}

fn cookie_header(c: &common::Client) -> String {
    c.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Only the upload routes take megabytes, and only from a session whose role may upload
/// (decided from the session cookie before the body is read); every other body is capped
/// at 64 KB, which the largest ordinary form fits with room to spare.
#[test]
fn uploads_take_megabytes_only_from_people_who_may_upload() {
    let _attack = one_attack_at_a_time();
    let t = TestApp::start();
    let multipart = "multipart/form-data; boundary=b";
    let mut admin = t.admin();
    let junk = vec![b'z'; 5 * 1024 * 1024];
    // A platform admin's multi-MB import (a job starts) and bundle (its handler explains
    // it is no bundle) reach their handlers.
    let r = admin.post_multipart(
        "/import",
        &[("form", "volunteers"), ("team", "")],
        &[("file", "big.csv", &junk)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("location")
            .is_some_and(|l| l.starts_with("/import/"))
    );
    let r = admin.post_multipart("/admin/merge", &[], &[("file", "b.zip", &junk[..2 << 20])]);
    assert_eq!(r.status, 422, "{}", r.body);
    // A team admin may upload on the team routes but not merge bundles.
    let org = t.add_team("13900000001", &valid_id("22030219750328020"), "农技服务队");
    let mut team_admin = t.sign_in_by_code("13900000001");
    let r = team_admin.post_multipart(
        "/import",
        &[("form", "volunteers"), ("team", &org.id.to_string())],
        &[("file", "big.csv", &junk[..3 << 20])],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = head_only(
        t.addr,
        "/admin/merge",
        &cookie_header(&team_admin),
        multipart,
        2 << 20,
    );
    assert_eq!(r.status, 413);
    // A volunteer who runs no team, and anyone not signed in, get 413 unread.
    t.add_volunteer("13900000002", &valid_id("22030219800101001"));
    let volunteer = t.sign_in_by_code("13900000002");
    let r = head_only(
        t.addr,
        "/import",
        &cookie_header(&volunteer),
        multipart,
        1 << 20,
    );
    assert_eq!(r.status, 413);
    assert!(r.body.contains("请先登录有上传权限的账号"), "{}", r.body);
    let path = format!("/team/{}/activities/new", org.id);
    assert_eq!(head_only(t.addr, &path, "", multipart, 1 << 20).status, 413);
    let forged = format!("kz_session={}", "ab".repeat(32));
    assert_eq!(
        head_only(t.addr, "/import", &forged, multipart, 1 << 20).status,
        413
    );
    // Ordinary forms: 60 KB still reaches the handler, 70 KB does not.
    let mut anon = t.client();
    let filler = "a".repeat(60 * 1024);
    let r = anon.post_form("/register/volunteer", &[("real_name", &filler)]);
    assert_ne!(r.status, 413);
    let urlencoded = "application/x-www-form-urlencoded";
    let r = head_only(t.addr, "/register/volunteer", "", urlencoded, 70 * 1024);
    assert_eq!(r.status, 413);
    assert_eq!(t.server.stats().body_bytes_reserved, 0);
}

/// All bodies in flight share one budget (4 MB here, 256 MB by default): two 2 MB uploads
/// hold it, a third upload waits briefly and gets 503 with a Chinese message, a body of
/// unknown length is refused as soon as it outgrows the free allowance, small forms still
/// pass, and the budget is whole again once the uploads are done.
#[test]
fn the_body_budget_bounds_uploads_in_flight() {
    let _attack = one_attack_at_a_time();
    let (handler, calls) = counting();
    let server = transport::serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        handler,
        Limits {
            body_budget_bytes: 4 * 1024 * 1024,
            body_budget_wait: Duration::from_millis(500),
            ..Limits::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    let two_mb = 2 * 1024 * 1024;
    let holders: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(
                format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {two_mb}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
            s.write_all(&vec![b'x'; 100 * 1024]).unwrap();
            s
        })
        .collect();
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .body_bytes_reserved
        == 4 * 1024 * 1024));
    // A third upload with a declared length.
    let started = Instant::now();
    let mut s = connect(addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
        .unwrap();
    let r = read_response(&mut BufReader::new(s));
    assert_eq!(r.status, 503);
    assert!(r.body.contains("服务器正忙"), "{}", r.body);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "it waited first"
    );
    // One of unknown length, once it grows past 64 KB.
    let mut s = connect(addr);
    let mut req = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        req.extend(format!("{:x}\r\n", 32 * 1024).as_bytes());
        req.extend(std::iter::repeat_n(b'a', 32 * 1024));
        req.extend(b"\r\n");
    }
    s.write_all(&req).unwrap();
    assert_eq!(status_of(s), Some(503));
    // Small forms need no budget.
    let mut s = connect(addr);
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .unwrap();
    assert_eq!(read_response(&mut BufReader::new(s)).body, "5 bytes");
    assert_eq!(server.stats().budget_refused, 2);
    // The holders finish and are served; their budget is released.
    let rest = vec![b'x'; two_mb - 100 * 1024];
    for mut s in holders {
        s.write_all(&rest).unwrap();
        let r = read_response(&mut BufReader::new(s));
        assert_eq!(r.status, 200);
        assert_eq!(r.body, format!("{two_mb} bytes"));
    }
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .body_bytes_reserved
        == 0));
    let mut s = connect(addr);
    let mut req =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3145728\r\nConnection: close\r\n\r\n"
            .to_vec();
    req.extend(std::iter::repeat_n(b'y', 3 * 1024 * 1024));
    s.write_all(&req).unwrap();
    assert_eq!(read_response(&mut BufReader::new(s)).body, "3145728 bytes");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}
