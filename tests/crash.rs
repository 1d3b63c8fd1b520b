//! Crash safety: the real binary is killed with SIGKILL (`Child::kill`) at random moments
//! while clients send writes and record each one the server acknowledged (a 303 after the
//! POST). After every kill the data file must hold every acknowledged write exactly once,
//! and `kezhi check` must pass. 20 rounds here; `KEZHI_CRASH_ROUNDS=100` for the long run
//! described in the README.
//!
//! - `acknowledged_writes_survive_sigkill`: public demand submissions (需求), which need
//!   no sign-in. The server allows five per address per ten minutes in memory, so each
//!   round acknowledges at most five before it is killed.
//! - `registrations_signups_and_edits_survive_sigkill`: volunteer registrations (code →
//!   sign-in → form), signups to an activity and profile edits (/me/edit), three clients
//!   at once. A code can only be read from the data file while the server is down, so
//!   before each start the test opens the store itself and issues the codes, creates the
//!   volunteers who will sign up with their sessions, and checks the previous round.
//! - `an_import_killed_midway_is_all_or_nothing`: `kezhi import volunteers` of 3,000 rows
//!   killed while it commits.

mod common;

use kezhi::domain::account::{Requester, Session, Subject};
use kezhi::domain::ids::Gid;
use kezhi::store::Store;
use std::collections::BTreeMap;
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

/// Percent-encode a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
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

/// A set-up installation: before the first admin exists every page leads to /setup.
fn create_admin(data: &std::path::Path) {
    let mut admin = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
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
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `kezhi check` on the data folder must pass.
fn kezhi_check(data: &std::path::Path) {
    let check = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "kezhi check failed: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
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
    create_admin(&data);
    for round in 0..rounds {
        let port = free_port();
        let mut child = start(&data, port);
        wait_for_port(port);
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
    kezhi_check(&data);
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

/// A POST of a form with the given cookies: the status and headers, or an error when the
/// server went away.
fn post_form(
    port: u16,
    path: &str,
    cookies: &str,
    fields: &[(&str, String)],
) -> std::io::Result<(u16, Vec<String>)> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    exchange(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {cookies}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The value a `Set-Cookie` header gives cookie `name`.
fn set_cookie(headers: &[String], name: &str) -> Option<String> {
    let key = format!("{name}=");
    headers.iter().find_map(|h| {
        h.split_once(key.as_str())
            .map(|(_, v)| v.split(';').next().unwrap().to_string())
    })
}

fn debug_status(what: &str, status: u16) {
    if status != 303 && std::env::var_os("KEZHI_CRASH_DEBUG").is_some() {
        eprintln!("{what} answered {status}");
    }
}

/// The volunteer form (registration and /me/edit) for a person with this ID number.
fn profile_form(id_number: &str, employer: &str) -> Vec<(&'static str, String)> {
    // The gender the ID number says (17th digit odd = male).
    let male = id_number
        .chars()
        .nth(16)
        .and_then(|c| c.to_digit(10))
        .unwrap()
        % 2
        == 1;
    [
        ("real_name", "李秀兰"),
        ("gender", if male { "男" } else { "女" }),
        ("id_number", id_number),
        ("political_status", "群众"),
        ("ethnicity", "汉族"),
        ("employer", employer),
        ("title_level", "副高"),
        ("education", "本科"),
        ("occupation", "农技推广机构"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("service_categories", "科技培训"),
        ("service_categories", "农技服务"),
        ("service_fields", "农技服务类"),
        ("sanzhang", "否"),
        ("agree", "yes"),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .collect()
}

/// The `n`th ID number of a series (a birth date per series, 1,000 people per year).
fn nth_id(mmdd: &str, n: usize) -> String {
    common::valid_id(&format!("220302{}{mmdd}{:03}", 1950 + n / 1000, n % 1000))
}

/// The employer edits of one volunteer: every value sent, in order, and which of them the
/// server acknowledged last.
#[derive(Clone)]
struct Edits {
    token: String,
    id_number: String,
    original: String,
    sent: Vec<String>,
    last_acked: Option<usize>,
}

impl Edits {
    /// What the stored employer may be. A 303 says the edit was committed; a later edit
    /// that was sent but not acknowledged may or may not have been committed (the server
    /// can die after the commit and before the answer), so the stored value is the last
    /// acknowledged one or one sent after it, never an earlier one.
    fn allowed(&self) -> Vec<&str> {
        match self.last_acked {
            Some(k) => self.sent[k..].iter().map(String::as_str).collect(),
            None => std::iter::once(self.original.as_str())
                .chain(self.sent.iter().map(String::as_str))
                .collect(),
        }
    }
}

/// Every write the server acknowledged.
#[derive(Default)]
struct Ledger {
    /// Registrations: (phone, ID number).
    registered: Vec<(String, String)>,
    /// Sessions from acknowledged code sign-ins.
    sessions: Vec<String>,
    /// Volunteers whose signup was acknowledged.
    signed_up: Vec<Gid>,
    /// Profile edits, per volunteer.
    edits: BTreeMap<Gid, Edits>,
    /// Write requests sent (acknowledged or not).
    sent: usize,
}

impl Ledger {
    fn acknowledged(&self) -> usize {
        self.registered.len()
            + self.sessions.len()
            + self.signed_up.len()
            + self
                .edits
                .values()
                .filter_map(|e| e.last_acked.map(|k| k + 1))
                .sum::<usize>()
    }
}

/// What one round's clients will use, prepared in the store while the server is down.
struct RoundPlan {
    /// (phone, code, ID number) for registrations.
    codes: Vec<(String, String, String)>,
    /// (volunteer, session token) for signups.
    signers: Vec<(Gid, String)>,
}

fn session_for(store: &Store, volunteer: Gid) -> String {
    let token = kezhi::domain::secret::token();
    let now = chrono::Utc::now();
    store
        .insert_session(
            &token,
            &Session {
                subject: Subject::Volunteer(volunteer),
                created_at: now,
                expires_at: now + chrono::Duration::days(1),
            },
        )
        .unwrap();
    token
}

const PER_ROUND: usize = 8;

fn plan_round(store: &Store, round: usize) -> RoundPlan {
    let now = chrono::Utc::now();
    let today = now
        .with_timezone(&kezhi::config::Settings::load(store).utc_offset)
        .date_naive();
    let origin = store.installation_id();
    let mut plan = RoundPlan {
        codes: Vec::new(),
        signers: Vec::new(),
    };
    for i in 0..PER_ROUND {
        let n = round * PER_ROUND + i;
        let phone = format!("135{n:08}");
        let code = kezhi::domain::secret::six_digit_code();
        let issued = store
            .issue_code(
                &phone,
                &code,
                Requester {
                    address: "127.0.0.1",
                    loopback: true,
                },
                now,
                today,
            )
            .unwrap();
        assert_eq!(issued, kezhi::store::CodeIssue::Issued);
        plan.codes.push((phone, code, nth_id("0328", n)));
        let v = common::volunteer_record(origin, &format!("136{n:08}"), &nth_id("0101", n));
        store.insert_volunteer(&v).unwrap();
        plan.signers.push((v.id, session_for(store, v.id)));
    }
    plan
}

/// A published activity of an active team, open for signup for a month, and three
/// volunteers (with sessions) whose profiles the test edits.
fn set_up_activity_and_editors(store: &Store, ledger: &mut Ledger) -> Gid {
    use kezhi::domain::activity::{Activity, ActivityState};
    let origin = store.installation_id();
    let admin_phone = "13800000000";
    store
        .insert_volunteer(&common::volunteer_record(
            origin,
            admin_phone,
            &common::valid_id("22030219700707001"),
        ))
        .unwrap();
    let team = common::team_record(origin, admin_phone, "铁西区农技服务队");
    store.register_team(&team, None).unwrap();
    let now = chrono::Utc::now();
    let local = now
        .with_timezone(&kezhi::config::Settings::load(store).utc_offset)
        .naive_local()
        .date()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let a = Activity {
        id: Gid::new(),
        origin,
        team: team.id,
        title: "玉米病虫害防治讲座".into(),
        service_category: "农技服务".into(),
        region: team.region.clone(),
        address: "铁西区某某村村委会".into(),
        description: "讲解玉米常见病虫害的识别与防治。".into(),
        contact_name: "王主任".into(),
        contact_phone: "13904341234".into(),
        signup_opens: local - chrono::Duration::days(2),
        signup_closes: local + chrono::Duration::days(30),
        starts_at: local + chrono::Duration::days(31),
        ends_at: local + chrono::Duration::days(31) + chrono::Duration::hours(3),
        capacity: 10_000,
        risk_note: String::new(),
        cover_photo: None,
        demand: None,
        state: ActivityState::Published,
        created_at: now,
        updated_at: now,
    };
    store.save_activity(&a, now).unwrap();
    for e in 0..3 {
        let id_number = nth_id("0505", e);
        let v = common::volunteer_record(origin, &format!("137{e:08}"), &id_number);
        store.insert_volunteer(&v).unwrap();
        ledger.edits.insert(
            v.id,
            Edits {
                token: session_for(store, v.id),
                id_number,
                original: v.employer.clone(),
                sent: Vec::new(),
                last_acked: None,
            },
        );
    }
    a.id
}

/// Every acknowledged write is in the store exactly once; returns how many were checked.
fn verify(store: &Store, ledger: &Ledger, activity: Gid) -> usize {
    let volunteers = store.volunteers().unwrap();
    let mut phones: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &volunteers {
        *phones.entry(&v.phone).or_default() += 1;
        *ids.entry(&v.id_number).or_default() += 1;
    }
    for (phone, n) in &phones {
        assert_eq!(*n, 1, "phone {phone} stored {n} times");
    }
    for (id, n) in &ids {
        assert_eq!(*n, 1, "ID number {id} stored {n} times");
    }
    for (phone, id_number) in &ledger.registered {
        let v = store
            .volunteer_by_phone(phone)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged registration of {phone} is lost"));
        assert_eq!(&v.id_number, id_number, "{phone}");
        assert!(v.confirmed);
    }
    let now = chrono::Utc::now();
    for token in &ledger.sessions {
        assert!(
            store.session(token, now).unwrap().is_some(),
            "acknowledged sign-in session is lost"
        );
    }
    let roster = store.roster(activity).unwrap();
    for v in &ledger.signed_up {
        let s = store
            .signup(activity, *v)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged signup of {v} is lost"));
        assert_eq!(s.state, kezhi::domain::activity::SignupState::SignedUp);
        let rows = roster.iter().filter(|r| r.volunteer.id == *v).count();
        assert_eq!(rows, 1, "signup of {v} on the roster {rows} times");
    }
    let signed_up = roster
        .iter()
        .filter(|r| r.signup.state == kezhi::domain::activity::SignupState::SignedUp)
        .count();
    assert_eq!(
        store.signup_counts(activity).unwrap().0 as usize,
        signed_up,
        "the seat counter agrees with the signups"
    );
    for (id, e) in &ledger.edits {
        let stored = store.volunteer(*id).unwrap().unwrap().employer;
        assert!(
            e.allowed().contains(&stored.as_str()),
            "volunteer {id} has employer {stored:?}; acknowledged or later: {:?}",
            e.allowed()
        );
    }
    ledger.acknowledged()
}

/// One round's clients: registrations, signups and edits at once, each recording what
/// the server acknowledged until the server goes away.
fn drive(
    port: u16,
    round: usize,
    plan: RoundPlan,
    activity: Gid,
    ledger: &Arc<Mutex<Ledger>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let registrations = {
        let ledger = ledger.clone();
        let codes = plan.codes;
        std::thread::spawn(move || {
            for (phone, code, id_number) in codes {
                let csrf = kezhi::domain::secret::token();
                ledger.lock().unwrap().sent += 1;
                let Ok((status, headers)) = post_form(
                    port,
                    "/login/verify",
                    &format!("kz_csrf={csrf}"),
                    &[
                        ("csrf", csrf.clone()),
                        ("phone", phone.clone()),
                        ("code", code),
                    ],
                ) else {
                    return;
                };
                debug_status("code sign-in", status);
                let (Some(session), Some(csrf), 303) = (
                    set_cookie(&headers, "kz_session"),
                    set_cookie(&headers, "kz_csrf"),
                    status,
                ) else {
                    continue;
                };
                ledger.lock().unwrap().sessions.push(session.clone());
                let mut form = profile_form(&id_number, "四平市农业技术推广站");
                form.push(("csrf", csrf.clone()));
                ledger.lock().unwrap().sent += 1;
                let Ok((status, _)) = post_form(
                    port,
                    "/register/volunteer",
                    &format!("kz_session={session}; kz_csrf={csrf}"),
                    &form,
                ) else {
                    return;
                };
                debug_status("registration", status);
                if status == 303 {
                    ledger.lock().unwrap().registered.push((phone, id_number));
                }
            }
        })
    };
    let signups = {
        let ledger = ledger.clone();
        std::thread::spawn(move || {
            for (volunteer, session) in plan.signers {
                let csrf = kezhi::domain::secret::token();
                ledger.lock().unwrap().sent += 1;
                let Ok((status, _)) = post_form(
                    port,
                    &format!("/activities/{activity}/signup"),
                    &format!("kz_session={session}; kz_csrf={csrf}"),
                    &[("csrf", csrf.clone())],
                ) else {
                    return;
                };
                debug_status("signup", status);
                if status == 303 {
                    ledger.lock().unwrap().signed_up.push(volunteer);
                }
            }
        })
    };
    let edits = {
        let ledger = ledger.clone();
        let editors: Vec<(Gid, Edits)> = ledger
            .lock()
            .unwrap()
            .edits
            .iter()
            .map(|(id, e)| (*id, e.clone()))
            .collect();
        std::thread::spawn(move || {
            for n in 0..30 {
                let (volunteer, e) = &editors[n % editors.len()];
                let employer = format!("铁西区农技站（第 {round} 轮第 {n} 次修改）");
                // Recorded as sent before it is sent: it may be committed from now on.
                let index = {
                    let mut l = ledger.lock().unwrap();
                    l.sent += 1;
                    let sent = &mut l.edits.get_mut(volunteer).unwrap().sent;
                    sent.push(employer.clone());
                    sent.len() - 1
                };
                let csrf = kezhi::domain::secret::token();
                let mut form = profile_form(&e.id_number, &employer);
                form.push(("csrf", csrf.clone()));
                let Ok((status, _)) = post_form(
                    port,
                    "/me/edit",
                    &format!("kz_session={}; kz_csrf={csrf}", e.token),
                    &form,
                ) else {
                    return;
                };
                debug_status("profile edit", status);
                if status == 303 {
                    ledger
                        .lock()
                        .unwrap()
                        .edits
                        .get_mut(volunteer)
                        .unwrap()
                        .last_acked = Some(index);
                }
            }
        })
    };
    vec![registrations, signups, edits]
}

#[test]
fn registrations_signups_and_edits_survive_sigkill() {
    let rounds: usize = std::env::var("KEZHI_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_admin(&data);
    let db = data.join(kezhi::store::DB_FILE);
    let ledger: Arc<Mutex<Ledger>> = Arc::default();
    let started = Instant::now();
    let activity = {
        let store = Store::open(&db).unwrap();
        set_up_activity_and_editors(&store, &mut ledger.lock().unwrap())
    };
    let mut checked = 0;
    for round in 0..rounds {
        let plan = {
            let store = Store::open(&db).unwrap();
            checked += verify(&store, &ledger.lock().unwrap(), activity);
            plan_round(&store, round)
        };
        if round % 5 == 4 {
            kezhi_check(&data);
        }
        let port = free_port();
        let mut child = start(&data, port);
        wait_for_port(port);
        let clients = drive(port, round, plan, activity, &ledger);
        // Kill at a random moment within the writes (each takes a few ms).
        std::thread::sleep(Duration::from_millis(random_below(400)));
        child.kill().unwrap();
        child.wait().unwrap();
        for c in clients {
            c.join().unwrap();
        }
    }
    let store = Store::open(&db).unwrap();
    let ledger = ledger.lock().unwrap();
    checked += verify(&store, &ledger, activity);
    drop(store);
    kezhi_check(&data);
    println!(
        "crash test (people): {rounds} rounds killed, {} writes sent, {} acknowledged \
         ({} registrations, {} sign-ins, {} signups, {} edits), {checked} acknowledged-write \
         checks over the rounds, {:.1} s",
        ledger.sent,
        ledger.acknowledged(),
        ledger.registered.len(),
        ledger.sessions.len(),
        ledger.signed_up.len(),
        ledger.acknowledged()
            - ledger.registered.len()
            - ledger.sessions.len()
            - ledger.signed_up.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        ledger.registered.len() >= rounds / 2
            && ledger.signed_up.len() >= rounds / 2
            && ledger.acknowledged() >= 4 * rounds,
        "too few writes acknowledged to mean much"
    );
}

/// The 3,000-row 附件2 the import test feeds `kezhi import volunteers`.
fn three_thousand_volunteers() -> Vec<u8> {
    use kezhi::exchange::template::{self, RowValues};
    let rows: Vec<RowValues> = (0..3000usize)
        .map(|n| {
            let id = common::valid_id(&format!("220322{}0615{:03}", 1940 + n / 1000, n % 1000));
            let male = id.chars().nth(16).unwrap().to_digit(10).unwrap() % 2 == 1;
            let pairs: Vec<(&'static str, String)> = vec![
                ("real_name", "王建国".into()),
                ("phone", format!("137{:08}", n)),
                ("gender", if male { "男" } else { "女" }.into()),
                ("id_number", id),
                ("political_status", "群众".into()),
                ("ethnicity", "汉族".into()),
                ("employer", "某村".into()),
                ("title_level", "无".into()),
                ("education", "高中".into()),
                ("occupation", "农民".into()),
                ("province", "吉林省".into()),
                ("city", "四平市".into()),
                ("county", "梨树县".into()),
                ("service_categories", "农技服务".into()),
                ("service_fields", "农技服务类".into()),
                ("sanzhang", "否".into()),
            ];
            pairs.into_iter().collect()
        })
        .collect();
    template::workbook(kezhi::exchange::columns::Form::Volunteers, &rows).unwrap()
}

/// `kezhi import volunteers FILE` on `data`, its output piped.
fn import(data: &std::path::Path, file: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .args(["import", "volunteers"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Read the import's output up to the line that ends the check and comes just before the
/// commit ("共 N 行：…"); false if the output ended first.
fn until_commit(child: &mut Child) -> (bool, BufReader<std::process::ChildStdout>) {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            return (false, out);
        }
        if line.starts_with("共 ") {
            return (true, out);
        }
    }
}

fn volunteer_count(data: &std::path::Path) -> u64 {
    Store::open(&data.join(kezhi::store::DB_FILE))
        .unwrap()
        .people_counts()
        .unwrap()
        .volunteers
}

#[test]
fn an_import_killed_midway_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("附件2.xlsx");
    std::fs::write(&file, three_thousand_volunteers()).unwrap();

    // How long the commit takes here: from the check's summary line to the exit.
    let whole = dir.path().join("whole");
    let mut child = import(&whole, &file);
    let (reached, mut out) = until_commit(&mut child);
    assert!(reached, "the import printed its summary");
    let commit_started = Instant::now();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let commit_ms = commit_started.elapsed().as_millis() as u64;
    assert!(rest.contains("新增 3000"), "{rest}");
    assert_eq!(volunteer_count(&whole), 3000);

    // Killed at a random moment of the commit, twice: all or nothing each time (the file
    // still passes `kezhi check`); then a re-run completes and a third run adds nothing.
    let data = dir.path().join("killed");
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let mut child = import(&data, &file);
        let (reached, out) = until_commit(&mut child);
        assert!(reached, "the import printed its summary");
        let delay = random_below(commit_ms.max(1));
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        drop(out);
        let after_kill = volunteer_count(&data);
        assert!(
            after_kill == 0 || after_kill == 3000,
            "all or nothing, got {after_kill}"
        );
        outcomes.push((delay, after_kill));
        kezhi_check(&data);
        if after_kill == 3000 {
            break;
        }
    }
    let rerun = import(&data, &file).wait_with_output().unwrap();
    assert!(rerun.status.success());
    assert_eq!(volunteer_count(&data), 3000, "the re-run completes");
    let again = import(&data, &file).wait_with_output().unwrap();
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("新增 0"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(volunteer_count(&data), 3000, "and nothing is doubled");
    kezhi_check(&data);
    println!(
        "import crash test: commit of 3,000 rows takes {commit_ms} ms; killed after \
         (ms, volunteers stored): {outcomes:?}"
    );
}
