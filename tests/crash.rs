//! Crash safety: the real binary is killed with SIGKILL (`Child::kill`) at random moments
//! while a client submits writes and records each one the server acknowledged (a 303 after
//! the POST). After every kill the data file must hold every acknowledged write exactly
//! once, and `kezhi check` must pass. 20 rounds here; `KEZHI_CRASH_ROUNDS=100` for the long
//! run described in the README.
//!
//! The writes are public demand submissions (需求): they need no sign-in, so the writer
//! can start the moment the port opens. The server allows five per address per ten
//! minutes in memory, so each round acknowledges at most five before it is killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn start(data: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP exchange that reports errors instead of panicking (the server may die mid-way):
/// the status line and headers.
fn exchange(port: u16, request: &str) -> std::io::Result<(u16, Vec<String>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request.as_bytes())?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(std::io::Error::other("cut short"));
        }
        if h.trim().is_empty() {
            break;
        }
        headers.push(h.trim().to_string());
    }
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    Ok((status, headers))
}

/// Submit demand `marker`; `Some(number)` when the server acknowledged it.
fn submit(port: u16, marker: &str) -> std::io::Result<Option<String>> {
    let (_, headers) = exchange(
        port,
        "GET /demands/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )?;
    let csrf = headers
        .iter()
        .find_map(|h| {
            h.split_once("kz_csrf=")
                .map(|(_, v)| v.split(';').next().unwrap().to_string())
        })
        .ok_or_else(|| std::io::Error::other("no csrf"))?;
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let body = [
        ("csrf", csrf.as_str()),
        ("requester_kind", "村（居）委会"),
        ("requester_name", "某某村村委会"),
        ("contact_name", "王主任"),
        ("contact_phone", "13904341234"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("categories", "农技服务"),
        ("text", marker),
        ("wanted_when", "12月上旬"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", enc(v)))
    .collect::<Vec<_>>()
    .join("&");
    let (status, headers) = exchange(
        port,
        &format!(
            "POST /demands/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: kz_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )?;
    if status != 303 && std::env::var_os("KEZHI_CRASH_DEBUG").is_some() {
        eprintln!("demand answered {status}: {headers:?}");
    }
    Ok((status == 303)
        .then(|| {
            headers
                .iter()
                .find_map(|h| h.split_once("?n=").map(|(_, n)| n.trim().to_string()))
        })
        .flatten())
}

fn random_below(n: u64) -> u64 {
    kezhi::domain::secret::six_digit_code()
        .parse::<u64>()
        .unwrap()
        % n
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let rounds: usize = std::env::var("KEZHI_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut submitted = 0usize;
    let started = Instant::now();
    // A set-up installation: before the first admin exists every page leads to /setup.
    let mut admin = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(&data)
        .args(["admin", "create", "--username", "admin", "--name", "王管理"])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    admin
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-pass-long\n")
        .unwrap();
    assert!(admin.wait().unwrap().success());
    for round in 0..rounds {
        let port = free_port();
        let mut child = start(&data, port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        let writer = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                let mut sent = 0;
                for i in 0..8 {
                    let marker = format!("请来村里讲玉米病虫害防治（编号 crash-{round}-{i}）");
                    sent += 1;
                    match submit(port, &marker) {
                        Ok(Some(number)) => acked.lock().unwrap().push((marker, number)),
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
                sent
            })
        };
        // Kill at a random moment within the writes (they take a few ms each).
        std::thread::sleep(Duration::from_millis(random_below(150)));
        child.kill().unwrap();
        child.wait().unwrap();
        submitted += writer.join().unwrap();
    }

    let store = kezhi::store::Store::open(&data.join(kezhi::store::DB_FILE)).unwrap();
    let demands = store.demands().unwrap();
    let acked = acked.lock().unwrap();
    for (marker, number) in acked.iter() {
        let d = store
            .demand_by_number(number)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged {marker} ({number}) is lost"));
        assert_eq!(&d.text, marker);
    }
    for d in &demands {
        let same = demands.iter().filter(|e| e.text == d.text).count();
        assert_eq!(same, 1, "{} stored {same} times", d.text);
    }
    drop(store);
    let check = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(&data)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    println!(
        "crash test: {rounds} rounds killed, {submitted} writes sent, {} acknowledged and found, {} stored, {:.1} s",
        acked.len(),
        demands.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.len() >= rounds / 2,
        "too few writes acknowledged to mean much"
    );
}
