//! County-scale benchmark (issue 13): builds a seeded county (100,000 volunteers, 2,000
//! teams, 5,000 activities, 200,000 signups) in a temporary data file, starts the real
//! server on 127.0.0.1:0 and measures, each beside a baseline measured in the same run:
//! list pages, the home page, an activity page and the statistics under 50 concurrent
//! keep-alive clients against a bare handler on the same transport; 500 concurrent
//! signups for a 100-seat activity against one signup alone; start-up to the first
//! served page; peak memory. Prints a Markdown table and writes it to
//! `target/bench/report.md`.
//!
//! Run: `cargo bench --bench county` (release). `KEZHI_BENCH_SCALE=0.05` makes a small
//! county for a quick check; `KEZHI_BENCH_SECONDS` sets each load's length (default 2).

use kezhi::app::synth::{self, Sizes};
use kezhi::domain::account::{Admin, Session, Subject};
use kezhi::domain::activity::{Activity, ActivityState};
use kezhi::domain::ids::Gid;
use kezhi::store::{DB_FILE, Store};
use kezhi::web::{self, App, transport};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;

/// The allocator of the `kezhi` binary (src/main.rs), so the server measured here runs as
/// it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let all = Instant::now();
    let scale: f64 = env_or("KEZHI_BENCH_SCALE", 1.0);
    let seconds: f64 = env_or("KEZHI_BENCH_SECONDS", 2.0);
    let load_time = Duration::from_secs_f64(seconds);
    let sizes = Sizes {
        volunteers: (Sizes::COUNTY.volunteers as f64 * scale) as usize,
        teams: ((Sizes::COUNTY.teams as f64 * scale) as usize).max(10),
        activities: ((Sizes::COUNTY.activities as f64 * scale) as usize).max(20),
        signups: (Sizes::COUNTY.signups as f64 * scale) as usize,
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(DB_FILE);
    let mut rows: Vec<Row> = Vec::new();

    // --- Build the county.
    let t = Instant::now();
    let now = chrono::Utc::now();
    let county = synth::county(42, sizes, now);
    let generated = t.elapsed();
    let store = Store::open(&path).expect("open store");
    let t = Instant::now();
    let written = store.bulk_load(&county).expect("bulk load");
    let loaded = t.elapsed();
    eprintln!(
        "built {sizes:?}: generated in {generated:?}, {written} records stored in {loaded:?}"
    );

    // Sign-ins made directly in the store: a platform admin, a team admin, 501 volunteers.
    let admin = Admin {
        id: Gid::new(),
        username: "bench".into(),
        display_name: "压测".into(),
        password_hash: "unused".into(),
        created_at: now,
        updated_at: now,
    };
    store.insert_admin(&admin).expect("admin");
    let session = |subject: Subject| {
        let token = kezhi::domain::secret::token();
        store
            .insert_session(
                &token,
                &Session {
                    subject,
                    created_at: now,
                    expires_at: now + chrono::Duration::days(1),
                },
            )
            .expect("session");
        token
    };
    let admin_token = session(Subject::Admin(admin.id));
    let team = county
        .teams
        .iter()
        .position(|o| o.status == kezhi::domain::people::TeamStatus::Active)
        .unwrap_or(0);
    let team_token = session(Subject::Volunteer(county.volunteers[team].id));
    let team_id = county.teams[team].id;
    let signers: Vec<String> = county.volunteers[county.volunteers.len() / 2..]
        .iter()
        .take(501)
        .map(|v| session(Subject::Volunteer(v.id)))
        .collect();
    // Two open 100-seat activities: one for the crowd, one for the lone signup.
    let local = now.naive_utc() + chrono::Duration::hours(8);
    let open = |title: &str| {
        let mut a: Activity = county
            .activities
            .iter()
            .find(|a| county.teams[team].id == a.team)
            .cloned()
            .unwrap_or_else(|| county.activities[0].clone());
        a.id = Gid::new();
        a.team = team_id;
        a.title = title.into();
        a.capacity = 100;
        a.state = ActivityState::Published;
        a.signup_opens = local - chrono::Duration::days(1);
        a.signup_closes = local + chrono::Duration::days(1);
        a.starts_at = local + chrono::Duration::days(2);
        a.ends_at = local + chrono::Duration::days(2) + chrono::Duration::hours(3);
        store.save_activity(&a, now).expect("activity");
        a.id
    };
    let crowd = open("压测：500人抢100个名额");
    let alone = open("压测：单人报名");
    let shown = county
        .activities
        .iter()
        .rev()
        .find(|a| a.state == ActivityState::Published)
        .map(|a| a.id)
        .unwrap_or(crowd);
    let someone = county.volunteers[county.volunteers.len() / 3].clone();
    drop(store);

    // --- Start-up to the first served page (open, migrations, app, listener, GET /).
    let t = Instant::now();
    let store = Store::open(&path).expect("reopen");
    let app = Arc::new(App::new(store, None, Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = web::serve_on(app.clone(), listener).expect("serve");
    let addr = server.local_addr();
    let first = get_once(addr, "/", "");
    let startup = t.elapsed();
    assert_eq!(first, 200, "home page");
    rows.push(Row::new(
        "start-up to first page",
        ms(startup),
        None,
        "< 200 ms",
        startup < Duration::from_millis(200),
    ));

    // --- Baseline: a bare handler returning a fixed page on the same transport.
    let fixed: Arc<Vec<u8>> = Arc::new(fixed_page(8 * 1024));
    let page = fixed.clone();
    let bare = transport::serve(
        TcpListener::bind("127.0.0.1:0").expect("bind"),
        Arc::new(move |_req: &rouille::Request| {
            rouille::Response::from_data("text/html; charset=utf-8", page.as_ref().clone())
        }),
        transport::Limits::default(),
    )
    .expect("bare server");
    let base = load(bare.local_addr(), "/", "", load_time);
    eprintln!("baseline: {base:?}");

    let admin_cookie = format!("kz_session={admin_token}");
    let team_cookie = format!("kz_session={team_token}");
    let tail = &someone.phone[someone.phone.len() - 4..];
    let pages: Vec<(String, String, &str)> = vec![
        (
            "/admin/volunteers".into(),
            admin_cookie.clone(),
            "admin list, first page",
        ),
        (
            format!("/admin/volunteers?q={}", enc(&someone.real_name)),
            admin_cookie.clone(),
            "admin list, name search",
        ),
        (
            format!("/admin/volunteers?q={}", enc("王")),
            admin_cookie.clone(),
            "admin list, one-character name",
        ),
        (
            format!("/admin/volunteers?q={tail}"),
            admin_cookie.clone(),
            "admin list, phone 尾号",
        ),
        (
            "/admin/volunteers?page=500".into(),
            admin_cookie.clone(),
            "admin list, page 500",
        ),
        (
            format!(
                "/admin/volunteers?province=220000&county={}",
                someone.region.county.clone().unwrap_or_default()
            ),
            admin_cookie.clone(),
            "admin list, by county",
        ),
        (
            format!("/admin/volunteers?sanzhang={}", enc("农技站站长")),
            admin_cookie.clone(),
            "admin list, by 三长",
        ),
        (
            format!("/admin/volunteers?team={team_id}"),
            admin_cookie.clone(),
            "admin list, by team",
        ),
        ("/activities".into(), String::new(), "public activities"),
        ("/teams".into(), String::new(), "public teams"),
        (
            format!("/team/{team_id}/members"),
            team_cookie.clone(),
            "a team's members",
        ),
        ("/".into(), String::new(), "home page"),
        (format!("/activities/{shown}"), String::new(), "an activity"),
        ("/stats".into(), String::new(), "statistics"),
        (
            "/admin/stats".into(),
            admin_cookie.clone(),
            "admin statistics",
        ),
    ];
    for (path, cookie, what) in &pages {
        let status = get_once(addr, path, cookie);
        assert_eq!(status, 200, "{path}");
        let r = load(addr, path, cookie, load_time);
        eprintln!("{what}: {r:?}");
        let ratio = r.rps / base.rps;
        rows.push(Row {
            measure: format!("{what} `{}` (req/s, p99)", short(path)),
            ours: format!("{:.0} req/s, p99 {}", r.rps, ms(r.p99)),
            baseline: format!("{:.0} req/s, p99 {}", base.rps, ms(base.p99)),
            ratio: format!("{:.0}%", ratio * 100.0),
            target: "≥ 60%".into(),
            pass: ratio >= 0.6,
        });
    }

    // --- 500 signups at once for 100 seats, against one signup alone.
    let single = {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).ok();
        let t = Instant::now();
        let status = post_signup(&mut s, alone, &signers[500]);
        assert_eq!(status, 303, "lone signup");
        t.elapsed()
    };
    let barrier = Arc::new(Barrier::new(500));
    let handles: Vec<_> = signers[..500]
        .iter()
        .cloned()
        .map(|token| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                b.wait();
                let t = Instant::now();
                let status = post_signup(&mut s, crowd, &token);
                (status, t.elapsed())
            })
        })
        .collect();
    let mut accepted = 0;
    let mut times = Vec::new();
    for h in handles {
        let (status, d) = h.join().expect("signup thread");
        if status == 303 {
            accepted += 1;
        }
        times.push(d);
    }
    times.sort();
    let p99 = times[times.len() * 99 / 100];
    let (seats, _) = app.store.signup_counts(crowd).expect("counts");
    rows.push(Row {
        measure: "500 concurrent signups, 100 seats: accepted".into(),
        ours: format!("{accepted} (store: {seats})"),
        baseline: "100".into(),
        ratio: "—".into(),
        target: "exactly 100".into(),
        pass: accepted == 100 && seats == 100,
    });
    let ratio = p99.as_secs_f64() / single.as_secs_f64();
    rows.push(Row {
        measure: "500 concurrent signups: p99 vs one signup alone".into(),
        ours: ms(p99),
        baseline: ms(single),
        ratio: format!("{ratio:.1}×"),
        target: "≤ 10×".into(),
        pass: ratio <= 10.0,
    });

    // --- Peak memory of this process (store, server, load generator).
    let peak = vm_hwm_kb();
    rows.push(Row::new(
        "peak memory (VmHWM, whole process)",
        format!("{} MB", peak / 1024),
        None,
        "≤ 300 MB",
        peak / 1024 <= 300,
    ));

    drop(server);
    drop(bare);
    let table = render(&rows, sizes, all.elapsed());
    println!("{table}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("report.md"), &table);
        eprintln!("written to {}", out.join("report.md").display());
    }
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Row {
    measure: String,
    ours: String,
    baseline: String,
    ratio: String,
    target: String,
    pass: bool,
}

impl Row {
    fn new(measure: &str, ours: String, baseline: Option<String>, target: &str, pass: bool) -> Row {
        Row {
            measure: measure.into(),
            ours,
            baseline: baseline.unwrap_or_else(|| "—".into()),
            ratio: "—".into(),
            target: target.into(),
            pass,
        }
    }
}

fn render(rows: &[Row], sizes: Sizes, took: Duration) -> String {
    let mut s = format!(
        "County benchmark: {} volunteers, {} teams, {} activities, {} signups; {} keep-alive \
         clients; run took {:.0} s.\n\n| measure | ours | baseline | ratio | target | pass |\n\
         |---|---|---|---|---|---|\n",
        sizes.volunteers,
        sizes.teams,
        sizes.activities,
        sizes.signups,
        CLIENTS,
        took.as_secs_f64()
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.measure,
            r.ours,
            r.baseline,
            r.ratio,
            r.target,
            if r.pass { "pass" } else { "FAIL" }
        );
    }
    s
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn short(path: &str) -> String {
    let p: String = path.chars().take(48).collect();
    if p.len() < path.len() {
        format!("{p}…")
    } else {
        p
    }
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn fixed_page(size: usize) -> Vec<u8> {
    let mut p = b"<!doctype html><html><body><main>".to_vec();
    while p.len() < size {
        p.extend_from_slice("<p>科技志愿服务 bare page</p>".as_bytes());
    }
    p.extend_from_slice(b"</main></body></html>");
    p
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[derive(Debug)]
struct Load {
    rps: f64,
    p99: Duration,
}

/// 50 keep-alive clients requesting `path` for `time`.
fn load(addr: SocketAddr, path: &str, cookie: &str, time: Duration) -> Load {
    let request = Arc::new(get_request(path, cookie));
    let start = Arc::new(Barrier::new(CLIENTS));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let request = request.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                let mut times = Vec::new();
                start.wait();
                let began = Instant::now();
                while began.elapsed() < time {
                    let t = Instant::now();
                    let (status, _) = exchange(&mut s, &request).expect("response");
                    assert_eq!(status, 200);
                    times.push(t.elapsed());
                }
                (times, began.elapsed())
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut longest = Duration::ZERO;
    for h in handles {
        let (t, d) = h.join().expect("client");
        all.extend(t);
        longest = longest.max(d);
    }
    all.sort();
    Load {
        rps: all.len() as f64 / longest.as_secs_f64(),
        p99: all.get(all.len() * 99 / 100).copied().unwrap_or_default(),
    }
}

fn get_request(path: &str, cookie: &str) -> Vec<u8> {
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}Connection: keep-alive\r\n\r\n")
        .into_bytes()
}

fn get_once(addr: SocketAddr, path: &str, cookie: &str) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).ok();
    exchange(&mut s, &get_request(path, cookie))
        .expect("response")
        .0
}

fn post_signup(s: &mut TcpStream, activity: Gid, session: &str) -> u16 {
    let csrf = "ab".repeat(32);
    let body = format!("csrf={csrf}");
    let req = format!(
        "POST /activities/{activity}/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \
         kz_session={session}; kz_csrf={csrf}\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    exchange(s, req.as_bytes()).expect("signup response").0
}

/// Send one request in one write (see DESIGN §9) and read one response: status, body size.
fn exchange(s: &mut TcpStream, request: &[u8]) -> std::io::Result<(u16, usize)> {
    s.write_all(request)?;
    let mut buf = Vec::with_capacity(32 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(len) = length {
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return Ok((status, len));
    }
    if head.contains("transfer-encoding: chunked") {
        // Read until the last chunk's terminator.
        while find(&buf[head_end..], b"\r\n0\r\n\r\n").is_none()
            && !buf[head_end..].starts_with(b"0\r\n\r\n")
        {
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return Ok((status, buf.len() - head_end));
    }
    Ok((status, 0))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
