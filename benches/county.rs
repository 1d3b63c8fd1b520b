//! County-scale benchmark (issue 13): builds a seeded county (100,000 volunteers, 2,000
//! teams, 5,000 activities, 200,000 signups) in a temporary data folder, starts the real
//! server on a free local port and measures, each beside a baseline measured in the same run:
//! list pages, the home page, an activity page and the statistics under 50 concurrent
//! keep-alive clients against a bare handler on the same transport; 500 concurrent
//! signups for a 100-seat activity against one signup alone; start-up to the first
//! served page; the server's peak memory under that load; the 附件2 export of every
//! volunteer against rust_xlsxwriter alone writing the same cells; and a 100,000-row 附件2
//! import into a fresh store against calamine alone reading the same file. Prints a
//! Markdown table and writes it to `target/bench/report.md`.
//!
//! The server is the real `kezhi serve` binary in a child process, so its peak memory is
//! its own and not the benchmark's (which holds the generated county); the import and its
//! calamine baseline also run in child processes (this executable again, chosen by
//! `KEZHI_BENCH_CHILD`) for the same reason.
//!
//! Run: `cargo bench --bench county` (release). `KEZHI_BENCH_SCALE=0.05` makes a small
//! county for a quick check; `KEZHI_BENCH_SECONDS` sets each load's length (default 2).

use kezhi::app::export::{ExportRequest, Scope};
use kezhi::app::import::CommitChoice;
use kezhi::app::synth::{self, Sizes};
use kezhi::domain::account::{Admin, Session, Subject};
use kezhi::domain::activity::{Activity, ActivityState};
use kezhi::domain::ids::Gid;
use kezhi::domain::people::Volunteer;
use kezhi::exchange::columns::{Form, Kind};
use kezhi::exchange::export::{IdNumbers, volunteer_row};
use kezhi::exchange::import::Progress;
use kezhi::exchange::template::{self, RowValues};
use kezhi::store::{DB_FILE, Store};
use kezhi::web::transport;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
/// Lone signups whose median is the baseline of the 500 at once.
const LONE_SIGNUPS: usize = 21;
/// Set on a child run of this executable: `import`, `calamine`, `file` or `export` (see
/// [`child`]).
const CHILD: &str = "KEZHI_BENCH_CHILD";
/// The file a child reads, and (for `import`) the fresh store it writes.
const CHILD_FILE: &str = "KEZHI_BENCH_FILE";
const CHILD_STORE: &str = "KEZHI_BENCH_STORE";

/// The allocator of the `kezhi` binary (src/main.rs), so the server measured here runs as
/// it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Ok(what) = std::env::var(CHILD) {
        child(&what);
        return;
    }
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

    // Sign-ins made directly in the store: a platform admin, a team admin, 521 volunteers
    // (500 sign up at once, 21 alone).
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
        .take(500 + LONE_SIGNUPS)
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

    // --- 附件2 export of every stored volunteer (the admin's 导出上报 download) against
    // rust_xlsxwriter alone writing the same cells; the best of two runs each, alternated,
    // since other builds may share the machine.
    if part("export") {
        rows.push(export_row(&store, &county.volunteers, now));
    }

    // --- The import file: the county's people as a filled 附件2 (our own template, as a
    // unit would download and fill it), with valid ID numbers (the synthetic ones are not).
    let import_rows: Vec<RowValues> = county
        .volunteers
        .iter()
        .enumerate()
        .map(|(i, v)| import_row(i, v))
        .collect();
    let import_file = dir.path().join("import.xlsx");
    let bytes = template::workbook(Form::Volunteers, &import_rows).expect("import file");
    std::fs::write(&import_file, &bytes).expect("write import file");
    eprintln!(
        "import file: {} rows, {:.1} MB",
        import_rows.len(),
        bytes.len() as f64 / 1e6
    );
    drop((import_rows, bytes, county));
    // The server child opens the file next: redb allows one process at a time.
    drop(store);
    eprintln!(
        "data file: {:.0} MB",
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );

    // --- Import into a fresh store against calamine alone, each in its own process.
    if part("import") {
        rows.extend(import_rows_measured(
            &import_file,
            dir.path(),
            sizes.volunteers,
        ));
    }

    // --- Start-up to the first served page: the real binary, from spawn to GET / (open,
    // migrations, app, listener; its daily backup starts beside it, as in the field).
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    let t = Instant::now();
    let mut server = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(dir.path())
        .args(["serve", "--bind", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kezhi serve");
    let server_pid = server.id();
    while TcpStream::connect(addr).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let first = get_once(addr, "/", "");
    let startup = t.elapsed();
    assert_eq!(first, 200, "home page");
    rows.push(Row::new(
        "start-up to first page (`kezhi serve`, spawn to GET /)",
        ms(startup),
        None,
        "< 200 ms",
        startup < Duration::from_millis(200),
    ));
    // The daily backup copies the whole file once at start; the pages are measured after it.
    let log = dir.path().join("logs").join("kezhi.log");
    let t = Instant::now();
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("daily backup")) {
        if t.elapsed() > Duration::from_secs(300) {
            eprintln!("no daily backup in the log after 300 s; measuring anyway");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "server's daily backup done {:?} after start-up; server VmHWM so far {} MB",
        t.elapsed(),
        vm_hwm_kb(&format!("/proc/{server_pid}/status")) / 1024
    );

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
    let mut rendered_rows: Vec<Row> = Vec::new();

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
        (
            format!(
                "/activities?phase=&province=220000&city={}&county={}",
                someone.region.city,
                someone.region.county.clone().unwrap_or_default()
            ),
            String::new(),
            "public activities, by county",
        ),
        ("/teams".into(), String::new(), "public teams"),
        (
            format!(
                "/teams?province=220000&city={}&county={}",
                someone.region.city,
                someone.region.county.clone().unwrap_or_default()
            ),
            String::new(),
            "public teams, by county",
        ),
        (
            format!(
                "/admin/teams?province=220000&city={}&county={}",
                someone.region.city,
                someone.region.county.clone().unwrap_or_default()
            ),
            admin_cookie.clone(),
            "admin teams, by county",
        ),
        (
            format!("/admin/audit?action={}", enc("导出")),
            admin_cookie.clone(),
            "audit log, by action",
        ),
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
    let pages: Vec<_> = if part("pages") { pages } else { Vec::new() };
    // Each page beside a baseline measured just before it: the machine's speed drifts
    // within a run (other builds), and a baseline from a minute earlier misleads.
    let mut bases = Vec::new();
    for (path, cookie, what) in &pages {
        let status = get_once(addr, path, cookie);
        assert_eq!(status, 200, "{path}");
        let base = load(bare.local_addr(), "/", "", false, load_time);
        bases.push(base.rps);
        // As browsers ask: a repeat view is answered with the page kept since the last
        // change (web::page_cache).
        let kept = load(addr, path, cookie, false, load_time);
        // Made afresh on every request (`Cache-Control: no-cache`, as a hard reload asks,
        // and as the first view after each change is made): the cost of rendering, for
        // the record.
        let rendered = load(addr, path, cookie, true, load_time);
        eprintln!(
            "{what}: baseline {base:?}, kept {kept:?}, rendered {rendered:?}; server VmHWM so \
             far {} MB",
            vm_hwm_kb(&format!("/proc/{server_pid}/status")) / 1024
        );
        let ratio = kept.rps / base.rps;
        rows.push(Row {
            measure: format!("{what} `{}` (req/s, p99)", short(path)),
            ours: format!("{:.0} req/s, p99 {}", kept.rps, ms(kept.p99)),
            baseline: format!("{:.0} req/s, p99 {}", base.rps, ms(base.p99)),
            ratio: format!("{:.0}%", ratio * 100.0),
            target: "≥ 60%".into(),
            pass: ratio >= 0.6,
        });
        rendered_rows.push(Row {
            measure: format!("{what}, rendered each time (req/s, p99)"),
            ours: format!("{:.0} req/s, p99 {}", rendered.rps, ms(rendered.p99)),
            baseline: format!("{:.0} req/s, p99 {}", base.rps, ms(base.p99)),
            ratio: format!("{:.0}%", rendered.rps / base.rps * 100.0),
            target: "—".into(),
            pass: true,
        });
    }
    if let (Some(lo), Some(hi)) = (
        bases.iter().copied().reduce(f64::min),
        bases.iter().copied().reduce(f64::max),
    ) {
        eprintln!("the bare handler's rate moved between {lo:.0} and {hi:.0} req/s in this run");
    }

    // A moment to attach a profiler to the server (`perf record -p`) before the signups.
    let pause = env_or("KEZHI_BENCH_PAUSE", 0.0);
    if pause > 0.0 {
        eprintln!("server pid {server_pid}: pausing {pause} s before the signups");
        std::thread::sleep(Duration::from_secs_f64(pause));
    }
    // --- 500 signups at once for 100 seats, against one signup alone: the median of
    // LONE_SIGNUPS signups made one after another (one sample alone swung the ratio
    // between 2× and 30× from run to run).
    let single = {
        let mut times: Vec<Duration> = signers[500..]
            .iter()
            .map(|token| {
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).ok();
                let t = Instant::now();
                let status = post_signup(&mut s, alone, token);
                assert_eq!(status, 303, "lone signup");
                t.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
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
    // For context: 500 requests at once to the bare handler (the transport and the 500
    // client threads alone on the same cores).
    let bare_p99 = {
        let barrier = Arc::new(Barrier::new(500));
        let bare_addr = bare.local_addr();
        let handles: Vec<_> = (0..500)
            .map(|_| {
                let b = barrier.clone();
                std::thread::spawn(move || {
                    let mut s = TcpStream::connect(bare_addr).expect("connect");
                    s.set_nodelay(true).ok();
                    b.wait();
                    let t = Instant::now();
                    let (status, _) = exchange(&mut s, &get_request("/", "")).expect("response");
                    assert_eq!(status, 200);
                    t.elapsed()
                })
            })
            .collect();
        let mut times: Vec<Duration> = handles
            .into_iter()
            .map(|h| h.join().expect("bare client"))
            .collect();
        times.sort();
        times[times.len() * 99 / 100]
    };
    // --- Peak memory of the server process (store, pages, signups, its daily backup).
    let peak = vm_hwm_kb(&format!("/proc/{server_pid}/status"));
    // Stopped by its own handle; the store is then read for the seats taken (redb
    // recovers the file on open after the kill, as after a power cut).
    server.kill().expect("stop the server");
    let _ = server.wait();
    let (seats, _) = Store::open(&path)
        .expect("reopen after the server")
        .signup_counts(crowd)
        .expect("counts");
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
        baseline: format!("{} (median of {LONE_SIGNUPS} alone)", ms(single)),
        ratio: format!("{ratio:.1}×"),
        target: "≤ 10×".into(),
        pass: ratio <= 10.0,
    });
    rows.push(Row {
        measure: "500 requests at once to the bare handler: p99 (the floor of the above)".into(),
        ours: ms(bare_p99),
        baseline: "—".into(),
        ratio: "—".into(),
        target: "—".into(),
        pass: true,
    });

    rows.push(Row::new(
        "peak memory of the server under this load (VmHWM of `kezhi serve`)",
        format!("{} MB", peak / 1024),
        None,
        "≤ 300 MB",
        peak / 1024 <= 300,
    ));

    drop(bare);
    rows.extend(rendered_rows);
    let table = render(&rows, sizes, all.elapsed());
    println!("{table}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("report.md"), &table);
        eprintln!("written to {}", out.join("report.md").display());
    }
}

/// Whether this run measures `what` (`export`, `import`, `pages`, `signups`):
/// `KEZHI_BENCH_ONLY=pages,signups` skips the others while profiling one of them.
fn part(what: &str) -> bool {
    std::env::var("KEZHI_BENCH_ONLY").map_or(true, |only| only.split(',').any(|p| p.trim() == what))
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
            if r.target == "—" {
                "—"
            } else if r.pass {
                "pass"
            } else {
                "FAIL"
            }
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

/// A process's peak resident memory (kB) from its `/proc/…/status`.
fn vm_hwm_kb(status: &str) -> u64 {
    std::fs::read_to_string(status)
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
fn load(addr: SocketAddr, path: &str, cookie: &str, fresh: bool, time: Duration) -> Load {
    let mut request = get_request(path, cookie);
    if fresh {
        // Ask for the page made afresh (see `web::page_cache`).
        let end = request.len() - 2;
        request.splice(end..end, b"Cache-Control: no-cache\r\n".iter().copied());
    }
    let request = Arc::new(request);
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

/// The export row: `app::export` of every stored volunteer as 附件2 (what the admin's
/// 导出上报 download runs: read, fill the template, styles and dropdowns, audit entry)
/// against rust_xlsxwriter alone writing the same cells, unstyled, from strings made ready
/// before its clock starts.
fn export_row(store: &Store, volunteers: &[Volunteer], now: chrono::DateTime<chrono::Utc>) -> Row {
    let columns = Form::Volunteers.columns();
    let cells: Vec<Vec<String>> = volunteers
        .iter()
        .map(|v| {
            let r = volunteer_row(v, IdNumbers::Full);
            columns
                .iter()
                .map(|c| r.get(c.key).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    let request = ExportRequest {
        form: Form::Volunteers,
        scope: Scope::All,
        ids: IdNumbers::Full,
        site: "压测县科协",
        today: now.date_naive(),
        actor: ("bench", "127.0.0.1"),
        now,
    };
    let mut ours = Duration::MAX;
    let mut base = Duration::MAX;
    let mut sizes = (0, 0);
    for _ in 0..2 {
        let t = Instant::now();
        let done = kezhi::app::export::export(store, &request).expect("export");
        ours = ours.min(t.elapsed());
        assert_eq!(done.count, volunteers.len());
        sizes.0 = done.bytes.len();
        drop(done);
        let t = Instant::now();
        let bytes = bare_xlsx(&cells);
        base = base.min(t.elapsed());
        sizes.1 = bytes.len();
    }
    eprintln!(
        "export: ours {ours:?} ({} bytes), rust_xlsxwriter alone {base:?} ({} bytes)",
        sizes.0, sizes.1
    );
    let ratio = ours.as_secs_f64() / base.as_secs_f64();
    Row {
        measure: format!(
            "export {} volunteers as 附件2 (`app::export`, best of 2)",
            volunteers.len()
        ),
        ours: secs(ours),
        baseline: format!("{} (rust_xlsxwriter alone)", secs(base)),
        ratio: format!("{ratio:.2}×"),
        target: "≤ 1.3×".into(),
        pass: ratio <= 1.3,
    }
}

/// The baseline writer: a header row and the rows' strings (the 序号 as a number), as a
/// minimal program using the same library would write them.
fn bare_xlsx(cells: &[Vec<String>]) -> Vec<u8> {
    let columns = Form::Volunteers.columns();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, column) in columns.iter().enumerate() {
        sheet
            .write_string(1, c as u16, column.header)
            .expect("header");
    }
    for (i, row) in cells.iter().enumerate() {
        let r = 3 + i as u32;
        for (c, (value, column)) in row.iter().zip(columns).enumerate() {
            if column.kind == Kind::Sequence {
                sheet
                    .write_number(r, c as u16, (i + 1) as f64)
                    .expect("number");
            } else if !value.is_empty() {
                sheet.write_string(r, c as u16, value).expect("string");
            }
        }
    }
    book.save_to_buffer().expect("bare workbook")
}

/// Volunteer `i` of the county as a filled 附件2 row, with an ID number that passes the
/// check: the person's county code, a birth date and sequence unique to `i` (1,000 people
/// per birth date, 53 days apart), the checksum, and the gender its 17th digit says.
fn import_row(i: usize, v: &Volunteer) -> RowValues {
    let mut row = volunteer_row(v, IdNumbers::Full);
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date")
        + chrono::Duration::days((i / 1000) as i64 * 53);
    let first17 = format!(
        "{}{}{:03}",
        v.region.county.as_deref().unwrap_or("220302"),
        birth.format("%Y%m%d"),
        i % 1000
    );
    let check = kezhi::domain::validate::checksum_char(&first17).expect("17 digits");
    row.insert("id_number", format!("{first17}{check}"));
    row.insert("gender", if i % 2 == 1 { "男" } else { "女" }.into());
    row
}

/// What a child run printed: `child key=value …`.
struct ChildReport(Vec<(String, String)>);

impl ChildReport {
    fn get(&self, key: &str) -> f64 {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

/// Run this executable again as `what` on `file` and read its report.
fn run_child(what: &str, file: &Path, store: &Path) -> ChildReport {
    let out = Command::new(std::env::current_exe().expect("this executable"))
        .env(CHILD, what)
        .env(CHILD_FILE, file)
        .env(CHILD_STORE, store)
        .stderr(Stdio::inherit())
        .output()
        .expect("child run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child {what} failed: {text}");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("child "))
        .unwrap_or_else(|| panic!("child {what} printed no report: {text}"));
    eprintln!("{what}: {line}");
    ChildReport(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The import rows: time against calamine alone, and the import's peak memory, each from a
/// child process that holds nothing but the file (and, for the import, a fresh store).
fn import_rows_measured(file: &Path, dir: &Path, expected: usize) -> Vec<Row> {
    let calamine = run_child("calamine", file, &dir.join("unused.redb"));
    let store = dir.join("import.redb");
    let import = run_child("import", file, &store);
    let _ = std::fs::remove_file(&store);
    let added = import.get("added") as usize;
    let ratio = import.get("ms") / calamine.get("ms");
    let peak = import.get("kb") / 1024.0;
    vec![
        Row {
            measure: format!(
                "import {expected} rows of 附件2 into a fresh store (check + commit), time"
            ),
            ours: format!(
                "{} (check {}, commit {}; {added} added)",
                secs_ms(import.get("ms")),
                secs_ms(import.get("check_ms")),
                secs_ms(import.get("ms") - import.get("check_ms"))
            ),
            baseline: format!(
                "{} (calamine alone, {} cells)",
                secs_ms(calamine.get("ms")),
                calamine.get("cells")
            ),
            ratio: format!("{ratio:.2}×"),
            target: "≤ 1.5×".into(),
            pass: ratio <= 1.5 && added == expected,
        },
        Row {
            measure: "import: peak memory (VmHWM of the importing process)".into(),
            ours: format!("{peak:.0} MB"),
            baseline: format!("{:.0} MB (calamine alone)", calamine.get("kb") / 1024.0),
            ratio: "—".into(),
            target: "≤ 300 MB".into(),
            pass: peak <= 300.0,
        },
    ]
}

/// The county's people at `scale` as the import file (see [`import_row`]), for a profiler
/// to run the `import` child on by hand (README, Performance).
fn write_import_file(file: &str, scale: f64) {
    let sizes = Sizes {
        volunteers: (Sizes::COUNTY.volunteers as f64 * scale) as usize,
        teams: 10,
        activities: 20,
        signups: 0,
    };
    let county = synth::county(42, sizes, chrono::Utc::now());
    let rows: Vec<RowValues> = county
        .volunteers
        .iter()
        .enumerate()
        .map(|(i, v)| import_row(i, v))
        .collect();
    let bytes = template::workbook(Form::Volunteers, &rows).expect("import file");
    std::fs::write(file, bytes).expect("write import file");
}

/// The export alone, for a profiler: the county's volunteers stored in a fresh store,
/// then `app::export` three times, timed; `file` receives the last export.
fn export_alone(file: &str, scale: f64) {
    let sizes = Sizes {
        volunteers: (Sizes::COUNTY.volunteers as f64 * scale) as usize,
        teams: 10,
        activities: 20,
        signups: 0,
    };
    let now = chrono::Utc::now();
    let county = synth::county(42, sizes, now);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&dir.path().join(DB_FILE)).expect("store");
    store.bulk_load(&county).expect("bulk load");
    drop(county);
    let request = ExportRequest {
        form: Form::Volunteers,
        scope: Scope::All,
        ids: IdNumbers::Full,
        site: "压测县科协",
        today: now.date_naive(),
        actor: ("bench", "127.0.0.1"),
        now,
    };
    for _ in 0..3 {
        let t = Instant::now();
        let done = kezhi::app::export::export(&store, &request).expect("export");
        println!("child ms={:.1}", t.elapsed().as_secs_f64() * 1000.0);
        std::fs::write(file, done.bytes).expect("write the export");
    }
}

/// A child run: `import` checks and commits the file into a fresh store as the web import
/// does; `file` writes the import file and `export` runs the export alone (to profile them
/// by hand); `calamine` opens the same file with calamine alone and visits every cell of its
/// first sheet. Both time from the file's bytes in memory (an upload arrives so) and print
/// `child ms=… kb=… …` on stdout.
fn child(what: &str) {
    let file = std::env::var(CHILD_FILE).expect("KEZHI_BENCH_FILE");
    if what == "file" {
        write_import_file(&file, env_or("KEZHI_BENCH_SCALE", 1.0));
        return;
    }
    if what == "export" {
        export_alone(&file, env_or("KEZHI_BENCH_SCALE", 1.0));
        return;
    }
    let bytes = std::fs::read(&file).expect("read the file");
    match what {
        "import" => {
            let store = Store::open(Path::new(
                &std::env::var(CHILD_STORE).expect("KEZHI_BENCH_STORE"),
            ))
            .expect("fresh store");
            let now = chrono::Utc::now();
            let today = (now + chrono::Duration::hours(8)).date_naive();
            let t = Instant::now();
            let report = kezhi::app::import::check(
                &store,
                Form::Volunteers,
                &bytes,
                today,
                &Progress::default(),
            )
            .expect("check");
            let checked = t.elapsed();
            let summary = kezhi::app::import::commit(
                &store,
                Form::Volunteers,
                &report,
                None,
                CommitChoice {
                    valid_only: true,
                    update_existing: false,
                    team_admin: false,
                },
                ("bench", "127.0.0.1"),
                now,
            )
            .expect("commit");
            let took = t.elapsed();
            if let Some(issue) = report.issues.first() {
                eprintln!("first issue: {issue:?}");
            }
            println!(
                "child ms={:.1} check_ms={:.1} kb={} rows={} valid={} added={}",
                took.as_secs_f64() * 1000.0,
                checked.as_secs_f64() * 1000.0,
                vm_hwm_kb("/proc/self/status"),
                report.rows_read(),
                report.valid(),
                summary.added
            );
        }
        "calamine" => {
            use calamine::{DataRef, Reader, Xlsx};
            let t = Instant::now();
            let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&bytes[..])).expect("xlsx");
            let name = book.sheet_names()[0].clone();
            let mut reader = book.worksheet_cells_reader(&name).expect("sheet");
            let (mut cells, mut text) = (0usize, 0usize);
            while let Some(cell) = reader.next_cell().expect("cell") {
                cells += 1;
                // Every value is looked at, so nothing is skipped unread.
                text += match cell.get_value() {
                    DataRef::SharedString(s) => s.len(),
                    DataRef::String(s) => s.len(),
                    DataRef::Empty => 0,
                    _ => 1,
                };
            }
            let took = t.elapsed();
            println!(
                "child ms={:.1} kb={} cells={cells} text={text}",
                took.as_secs_f64() * 1000.0,
                vm_hwm_kb("/proc/self/status"),
            );
        }
        other => panic!("unknown child run {other}"),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn secs_ms(ms: f64) -> String {
    format!("{:.2} s", ms / 1000.0)
}
