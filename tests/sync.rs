//! Laptop sync over the network (issue 15): two real servers on 127.0.0.1, each with its
//! own data folder, paired through the 数据同步 page and synced both ways.
//!
//! - `paired_laptops_hold_the_union_and_a_second_sync_changes_nothing`
//! - `the_same_person_on_both_is_one_conflict_on_each_and_resolves`
//! - `a_record_changed_on_both_sides_keeps_the_newer_on_both`
//! - `an_activity_travels_with_its_cover_photo_and_signups`
//! - `a_region_scoped_pair_sends_only_that_region`
//! - `strangers_wrong_keys_replays_and_bad_codes_are_refused`
//! - `a_sync_killed_halfway_leaves_both_stores_consistent_and_the_next_completes`
//!   (the real binary: `kezhi sync` and `kezhi serve` killed by their own handles)
//! - `county_scale_sync` (ignored; the measurement in the README)

mod common;

use common::{TestApp, valid_id, volunteer_record};
use kezhi::app::sync::{self, Summary};
use kezhi::store::Store;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pairing code shown on a laptop's 数据同步 page.
fn shown_code(page: &str) -> String {
    let start = page
        .find("id=\"pair-code\">")
        .expect("the page shows a pairing code")
        + 15;
    page[start..][..page[start..].find('<').unwrap()].to_string()
}

/// Pair `b` with `a` the way the admins do: a shows the code, b types a's address and it.
fn pair(a: &TestApp, b: &TestApp) {
    let page = a.admin().get("/admin/sync");
    assert_eq!(page.status, 200);
    let code = shown_code(&page.body);
    let r = b.admin().post_form(
        "/admin/sync/pair",
        &[("address", &a.addr.to_string()), ("code", &code)],
    );
    assert_eq!(r.status, 303, "pairing failed: {}", r.body);
}

/// Sync from `b`'s page with `a` and wait for the summary page.
fn sync_from_page(b: &TestApp, a: &TestApp) -> String {
    let mut admin = b.admin();
    let r = admin.post_form("/admin/sync/run", &[("address", &a.addr.to_string())]);
    assert_eq!(r.status, 303, "{}", r.body);
    let run = r.header("location").unwrap().to_string();
    let started = Instant::now();
    loop {
        let page = admin.get(&run);
        assert_eq!(page.status, 200);
        if page.body.contains("id=\"sync-done\"") {
            return page.body;
        }
        assert!(!page.body.contains("id=\"sync-failed\""), "{}", page.body);
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "sync never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sync from `b` with `a` through the use case (as the button does), for the counts.
fn sync_direct(b: &TestApp, a: &TestApp) -> sync::SyncOutcome {
    sync::sync_with(
        &b.app.store,
        "乙县科协",
        &a.addr.to_string(),
        ("test", "127.0.0.1"),
        b.app.now(),
        &|_| {},
    )
    .expect("sync completes")
}

fn changed(s: &Summary) -> usize {
    s.values().map(|c| c.added + c.updated + c.conflicts).sum()
}

fn phones(store: &Store) -> Vec<String> {
    let mut p: Vec<String> = store
        .volunteers()
        .unwrap()
        .into_iter()
        .map(|v| v.phone)
        .collect();
    p.sort();
    p
}

#[test]
fn paired_laptops_hold_the_union_and_a_second_sync_changes_nothing() {
    let a = TestApp::start();
    let b = TestApp::start();
    pair(&a, &b);
    for i in 0..5 {
        a.add_volunteer(
            &format!("1380000000{i}"),
            &valid_id(&format!("11010519800101{i:03}")),
        );
        b.add_volunteer(
            &format!("1390000000{i}"),
            &valid_id(&format!("22010519800101{i:03}")),
        );
    }
    let team = a.add_team("13800000000", &valid_id("11010519800101000"), "甲县农技协");
    let summary = sync_from_page(&b, &a);
    assert!(
        summary.contains("新增") && summary.contains("未变"),
        "{summary}"
    );
    assert_eq!(phones(&a.app.store), phones(&b.app.store));
    assert_eq!(phones(&a.app.store).len(), 10);
    assert!(
        b.app.store.team(team.id).unwrap().is_some(),
        "the team travelled"
    );
    // Records travel back once at most and count as 未变; after that nothing moves.
    for _ in 0..2 {
        let again = sync_direct(&b, &a);
        assert_eq!(changed(&again.received), 0, "{:?}", again.received);
        assert_eq!(changed(&again.sent), 0, "{:?}", again.sent);
    }
    let third = sync_direct(&b, &a);
    let moved: usize = third
        .received
        .values()
        .chain(third.sent.values())
        .map(|c| c.unchanged)
        .sum();
    assert_eq!(moved, 0, "a third sync carries nothing: {third:?}");
    // The other direction, from a's side, agrees.
    let from_a = sync_direct(&a, &b);
    assert_eq!(changed(&from_a.received) + changed(&from_a.sent), 0);
    assert_eq!(phones(&a.app.store), phones(&b.app.store));
}

#[test]
fn the_same_person_on_both_is_one_conflict_on_each_and_resolves() {
    let a = TestApp::start();
    let b = TestApp::start();
    pair(&a, &b);
    let id = valid_id("11010519800101123");
    let mine = a.add_volunteer("13800000001", &id);
    let theirs = b.add_volunteer("13800000001", &id);
    assert_ne!(mine.id, theirs.id);
    let first = sync_direct(&b, &a);
    assert_eq!(first.received["volunteers"].conflicts, 1);
    assert_eq!(first.sent["volunteers"].conflicts, 1);
    assert_eq!(a.app.store.open_conflicts().unwrap().len(), 1);
    assert_eq!(b.app.store.open_conflicts().unwrap().len(), 1);
    // Syncing again does not make a second conflict.
    sync_direct(&b, &a);
    assert_eq!(a.app.store.open_conflicts().unwrap().len(), 1);
    assert_eq!(b.app.store.open_conflicts().unwrap().len(), 1);
    // Each admin resolves it on their page.
    for app in [&a, &b] {
        let c = app.app.store.open_conflicts().unwrap()[0].id;
        let r = app
            .admin()
            .post_form(&format!("/admin/merge/conflicts/{c}"), &[("how", "mine")]);
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(app.app.store.open_conflicts().unwrap().is_empty());
    }
    sync_direct(&b, &a);
    assert!(a.app.store.open_conflicts().unwrap().is_empty());
    assert!(b.app.store.open_conflicts().unwrap().is_empty());
    assert_eq!(a.app.store.volunteers().unwrap().len(), 1);
    assert_eq!(b.app.store.volunteers().unwrap().len(), 1);
}

#[test]
fn a_record_changed_on_both_sides_keeps_the_newer_on_both() {
    let a = TestApp::start();
    let b = TestApp::start();
    pair(&a, &b);
    let v = a.add_volunteer("13800000002", &valid_id("11010519800101222"));
    sync_direct(&b, &a);
    let mut on_a = a.app.store.volunteer(v.id).unwrap().unwrap();
    let mut on_b = b.app.store.volunteer(v.id).unwrap().unwrap();
    on_a.employer = "甲县农技站".into();
    on_a.updated_at = v.updated_at + chrono::Duration::minutes(1);
    on_b.employer = "乙县农科所".into();
    on_b.updated_at = v.updated_at + chrono::Duration::minutes(2);
    a.app.store.update_volunteer(&on_a).unwrap();
    b.app.store.update_volunteer(&on_b).unwrap();
    // Either laptop may start it; a starts this one.
    let outcome = sync_direct(&a, &b);
    assert_eq!(outcome.received["volunteers"].updated, 1);
    for app in [&a, &b] {
        let now = app.app.store.volunteer(v.id).unwrap().unwrap();
        assert_eq!(now.employer, "乙县农科所");
    }
    let again = sync_direct(&a, &b);
    assert_eq!(changed(&again.received) + changed(&again.sent), 0);
}

#[test]
fn an_activity_travels_with_its_cover_photo_and_signups() {
    use kezhi::domain::activity::{Activity, ActivityState};
    let a = TestApp::start();
    let b = TestApp::start();
    pair(&a, &b);
    let team = a.add_team("13800000010", &valid_id("22030219750328010"), "铁西服务队");
    let v = a.add_volunteer("13800000011", &valid_id("22030219800101011"));
    let now = chrono::Utc::now();
    let local = now
        .with_timezone(&kezhi::config::default_offset())
        .naive_local();
    // The smallest complete JPEG the photo check accepts: start and end markers.
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend_from_slice(&[0u8; 32]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    let photo = kezhi::domain::record::Photo {
        id: kezhi::domain::ids::Gid::new(),
        mime: "image/jpeg".into(),
        bytes: jpeg.clone(),
        created_at: now,
    };
    a.app.store.insert_photo(&photo).unwrap();
    let activity = Activity {
        id: kezhi::domain::ids::Gid::new(),
        origin: a.app.store.installation_id(),
        team: team.id,
        title: "玉米讲座".into(),
        service_category: "农技服务".into(),
        region: kezhi::domain::regions::path_of("220302").unwrap(),
        address: "村委会".into(),
        description: "讲解".into(),
        contact_name: "孙强".into(),
        contact_phone: "13800000010".into(),
        signup_opens: local - chrono::Duration::hours(1),
        signup_closes: local + chrono::Duration::days(1),
        starts_at: local + chrono::Duration::days(2),
        ends_at: local + chrono::Duration::days(2) + chrono::Duration::hours(3),
        capacity: 0,
        risk_note: String::new(),
        cover_photo: Some(photo.id),
        demand: None,
        state: ActivityState::Published,
        created_at: now,
        updated_at: now,
    };
    a.app.store.save_activity(&activity, now).unwrap();
    a.app
        .store
        .sign_up(activity.id, v.id, now, local, false)
        .unwrap();
    let outcome = sync_direct(&b, &a);
    assert_eq!(
        outcome.received["photos"].added, 1,
        "{:?}",
        outcome.received
    );
    assert_eq!(b.app.store.photo(photo.id).unwrap().unwrap().bytes, jpeg);
    assert!(b.app.store.signup(activity.id, v.id).unwrap().is_some());
    let again = sync_direct(&b, &a);
    assert_eq!(changed(&again.received) + changed(&again.sent), 0);
}

#[test]
fn a_region_scoped_pair_sends_only_that_region() {
    let a = TestApp::start();
    let b = TestApp::start();
    // a's admin limits the new pair to county 220302.
    let mut admin = a.admin();
    let r = admin.post_form("/admin/sync/code", &[("region", "220302")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let code = shown_code(&admin.get("/admin/sync").body);
    let r = b.admin().post_form(
        "/admin/sync/pair",
        &[("address", &a.addr.to_string()), ("code", &code)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    a.add_volunteer("13800000003", &valid_id("22030219800101333"));
    let mut elsewhere = volunteer_record(
        a.app.store.installation_id(),
        "13800000004",
        &valid_id("37010219800101444"),
    );
    elsewhere.region.province = "370000".into();
    elsewhere.region.city = "370100".into();
    elsewhere.region.county = Some("370102".into());
    a.app.store.insert_volunteer(&elsewhere).unwrap();
    sync_direct(&b, &a);
    assert_eq!(phones(&b.app.store), vec!["13800000003".to_string()]);
}

fn post_raw(addr: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut resp = req.send(body).unwrap();
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_vec().unwrap();
    (status, body)
}

#[test]
fn strangers_wrong_keys_replays_and_bad_codes_are_refused() {
    let a = TestApp::start();
    let b = TestApp::start();
    let stranger = TestApp::start();
    a.add_volunteer("13800000005", &valid_id("11010519800101555"));
    let addr = a.addr.to_string();
    let pull = br#"{"since":0}"#;

    // A wrong pairing code is refused, and the right one still works afterwards.
    let code = shown_code(&a.admin().get("/admin/sync").body);
    let wrong = if code.starts_with('A') {
        "BBBB-BBBB"
    } else {
        "AAAA-AAAA"
    };
    let r = b
        .admin()
        .post_form("/admin/sync/pair", &[("address", &addr), ("code", wrong)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("配对码错误或已过期"), "{}", r.body);
    assert!(b.app.store.peers().unwrap().is_empty());
    // An expired code is refused.
    a.app.set_clock_skew(chrono::Duration::minutes(11));
    let r = b
        .admin()
        .post_form("/admin/sync/pair", &[("address", &addr), ("code", &code)]);
    assert_eq!(r.status, 422, "{}", r.body);
    a.app.set_clock_skew(chrono::Duration::zero());
    assert!(a.app.store.peers().unwrap().is_empty());
    pair(&a, &b);

    // An unpaired laptop (and a visitor who sends nothing signed) gets the same refusal
    // and no data.
    let err = sync::sync_with(
        &stranger.app.store,
        "丙",
        &addr,
        ("test", "127.0.0.1"),
        stranger.app.now(),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.contains("没有与其他电脑配对"), "{err}");
    let (status, body) = post_raw(
        &addr,
        "/sync/v1/pull",
        &[(sync::H_VERSION, "1".into())],
        pull,
    );
    assert_eq!((status, body.as_slice()), (401, sync::REFUSED.as_bytes()));
    let unpaired = sync::request_headers(
        &[9; 32],
        stranger.app.store.installation_id(),
        1,
        "/sync/v1/pull",
        pull,
    );
    let (status, body) = post_raw(&addr, "/sync/v1/pull", &unpaired, pull);
    assert_eq!((status, body.as_slice()), (401, sync::REFUSED.as_bytes()));

    // A paired laptop's id with a wrong key.
    let b_id = b.app.store.installation_id();
    let forged = sync::request_headers(&[9; 32], b_id, u64::MAX - 1, "/sync/v1/pull", pull);
    let (status, body) = post_raw(&addr, "/sync/v1/pull", &forged, pull);
    assert_eq!((status, body.as_slice()), (401, sync::REFUSED.as_bytes()));

    // The right key: served once; the same request again is a replay.
    let key = b
        .app
        .store
        .peer(a.app.store.installation_id())
        .unwrap()
        .unwrap()
        .key;
    let seq = 10;
    let signed = sync::request_headers(&key, b_id, seq, "/sync/v1/pull", pull);
    let (status, body) = post_raw(&addr, "/sync/v1/pull", &signed, pull);
    assert_eq!(status, 200);
    assert!(body.starts_with(b"PK"), "a bundle");
    let (status, body) = post_raw(&addr, "/sync/v1/pull", &signed, pull);
    assert_eq!((status, body.as_slice()), (401, sync::REFUSED.as_bytes()));
    // A signature does not carry over to another body or path.
    let other = sync::request_headers(&key, b_id, seq + 1, "/sync/v1/pull", pull);
    let (status, _) = post_raw(&addr, "/sync/v1/pull", &other, br#"{"since":1}"#);
    assert_eq!(status, 401);

    // A newer wire format is refused in words.
    let (status, body) = post_raw(
        &addr,
        "/sync/v1/pull",
        &[(sync::H_VERSION, "2".into())],
        pull,
    );
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("更新的同步格式"));

    // Removing the pair on a ends b's access.
    let r = a
        .admin()
        .post_form(&format!("/admin/sync/peers/{b_id}/remove"), &[]);
    assert_eq!(r.status, 303);
    let err = sync::sync_with(
        &b.app.store,
        "乙",
        &addr,
        ("test", "127.0.0.1"),
        b.app.now(),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.contains("没有与本机配对"), "{err}");
}

#[test]
fn pairing_attempts_are_limited_and_five_wrong_codes_burn_the_code() {
    let a = TestApp::start();
    let b = TestApp::start();
    let addr = a.addr.to_string();
    let code = shown_code(&a.admin().get("/admin/sync").body);
    let wrong = if code.starts_with('A') {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    for _ in 0..5 {
        let r = b
            .admin()
            .post_form("/admin/sync/pair", &[("address", &addr), ("code", wrong)]);
        assert_eq!(r.status, 422);
    }
    let r = b
        .admin()
        .post_form("/admin/sync/pair", &[("address", &addr), ("code", &code)]);
    assert_eq!(r.status, 422, "the code was burned by five wrong tries");
    let mut last = 0;
    for _ in 0..10 {
        let r = b
            .admin()
            .post_form("/admin/sync/pair", &[("address", &addr), ("code", wrong)]);
        last = r.status;
        if r.body.contains("操作太频繁") {
            break;
        }
    }
    assert_eq!(last, 422);
    let r = b
        .admin()
        .post_form("/admin/sync/pair", &[("address", &addr), ("code", wrong)]);
    assert!(r.body.contains("操作太频繁"), "{}", r.body);
}

// ---------------------------------------------------------------------------------------
// The real binary, killed halfway.

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &std::path::Path, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

fn kezhi_check(data: &std::path::Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kezhi check failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kezhi sync` from `data`, its progress read until a line contains `until`; then the
/// child is handed back still running (or finished).
fn sync_until(data: &std::path::Path, port: u16, extra: &[&str], until: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(data)
        .args(["sync", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        if line.map(|l| l.contains(until)).unwrap_or(true) {
            break;
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

/// A store with `n` volunteers of its own (one transaction): phones from `prefix`, ID
/// numbers from the county code `county`.
fn seed(data: &std::path::Path, prefix: &str, county: &str, n: usize) {
    let dir = kezhi::config::DataDir::prepare(data).unwrap();
    let store = Store::open(&dir.db_path()).unwrap();
    let mut c = kezhi::app::synth::county(
        n as u64,
        kezhi::app::synth::Sizes {
            volunteers: n,
            teams: 0,
            activities: 0,
            signups: 0,
        },
        chrono::Utc::now(),
    );
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    for (i, v) in c.volunteers.iter_mut().enumerate() {
        v.phone = format!("{prefix}{i:07}");
        let day = born + chrono::Duration::days((i / 500) as i64);
        v.id_number = valid_id(&format!("{county}{}{:03}", day.format("%Y%m%d"), i % 500));
        v.birth_date = day;
    }
    store.bulk_load(&c).unwrap();
}

fn count(data: &std::path::Path) -> (usize, usize) {
    let dir = kezhi::config::DataDir::prepare(data).unwrap();
    let store = Store::open(&dir.db_path()).unwrap();
    (
        store.volunteers().unwrap().len(),
        store.open_conflicts().unwrap().len(),
    )
}

fn admin_client(port: u16) -> common::Client {
    let mut c = common::Client {
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        cookies: Default::default(),
    };
    let r = c.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", "s3cret-pass-long")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    c
}

#[test]
fn a_sync_killed_halfway_leaves_both_stores_consistent_and_the_next_completes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    seed(a.path(), "1330", "110105", 3000);
    seed(b.path(), "1590", "220302", 3000);
    let mut admin = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(b.path())
        .args([
            "admin",
            "create",
            "--username",
            "admin",
            "--name",
            "王管理",
            "--password-stdin",
        ])
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
    let port = free_port();
    let mut server = serve(b.path(), port);
    let code = shown_code(&admin_client(port).get("/admin/sync").body);

    // 1. The client is killed while it sends (a has merged b's records by then).
    let mut client = sync_until(a.path(), port, &["--pair", &code], "正在发送");
    // It may have finished already; either way it is stopped by its own handle.
    let _ = client.kill();
    client.wait().unwrap();
    kezhi_check(a.path());
    kezhi_check(b.path());

    // 2. The server is killed while the client sends.
    let mut client = sync_until(a.path(), port, &[], "正在发送");
    server.kill().unwrap();
    server.wait().unwrap();
    // The client ends with an error message; nothing is half-merged on either side.
    client.wait().unwrap();
    kezhi_check(a.path());
    kezhi_check(b.path());

    // 3. The next sync completes, and the one after moves nothing.
    let mut server = serve(b.path(), port);
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_kezhi"))
            .arg("--data")
            .arg(a.path())
            .args(["sync", &format!("127.0.0.1:{port}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .arg("--data")
        .arg(a.path())
        .args(["sync", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let zero = |word: &str| {
        text.matches(word).count() > 0
            && text.split(word).skip(1).all(|rest| rest.starts_with("0，"))
    };
    assert!(zero("新增 ") && zero("更新 ") && zero("冲突 "), "{text}");
    server.kill().unwrap();
    server.wait().unwrap();
    kezhi_check(a.path());
    kezhi_check(b.path());
    assert_eq!(count(a.path()), (6000, 0));
    assert_eq!(count(b.path()), (6000, 0));
}

/// The measurement of the README: `cargo test --release --test sync -- --ignored
/// --nocapture county_scale_sync`. A store with a county (100,000 volunteers, 2,000 teams,
/// 5,000 activities, 200,000 signups) syncs with an empty one over 127.0.0.1.
#[test]
#[ignore]
fn county_scale_sync() {
    let sizes = std::env::var("KEZHI_SYNC_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    let scale = |n: usize| ((n as f64) * sizes) as usize;
    let big = kezhi::app::synth::Sizes {
        volunteers: scale(100_000),
        teams: scale(2_000),
        activities: scale(5_000),
        signups: scale(200_000),
    };
    let a = TestApp::start();
    let b = TestApp::start();
    pair(&a, &b);
    let county = kezhi::app::synth::county(42, big, chrono::Utc::now());
    a.app.store.bulk_load(&county).unwrap();
    let started = Instant::now();
    let first = sync_direct(&b, &a);
    let first_time = started.elapsed();
    let started = Instant::now();
    let second = sync_direct(&b, &a);
    let second_time = started.elapsed();
    let started = Instant::now();
    let third = sync_direct(&b, &a);
    let third_time = started.elapsed();
    println!(
        "county sync: {} volunteers; first {:.1} s (received {:?}), second {:.1} s (received {:?}), third {:.1} s",
        big.volunteers,
        first_time.as_secs_f64(),
        first.received.get("volunteers"),
        second_time.as_secs_f64(),
        second.received.get("volunteers"),
        third_time.as_secs_f64(),
    );
    let _ = third;
    let whole = kezhi::app::merge::write_bundle(
        &a.app.store,
        "甲",
        kezhi::app::merge::BundleScope::default(),
        chrono::Utc::now(),
        std::io::Cursor::new(Vec::new()),
    )
    .unwrap();
    println!(
        "county sync: the first pull carried {} records in a {:.1} MB bundle",
        whole.records,
        whole.out.into_inner().len() as f64 / 1e6
    );
    assert_eq!(b.app.store.volunteers().unwrap().len(), big.volunteers);
}
