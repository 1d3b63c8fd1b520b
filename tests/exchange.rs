//! Export for upload, bundles and merging, backups, and the audit log.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, valid_id};
use kezhi::app::export::{self, ExportRequest, Scope};
use kezhi::app::import::{self, CommitChoice};
use kezhi::domain::activity::{Activity, ActivityState};
use kezhi::domain::ids::Gid;
use kezhi::exchange::columns::Form;
use kezhi::exchange::export::IdNumbers;
use kezhi::exchange::import::Progress;
use kezhi::store::Store;
use kezhi::store::merge::Resolution;

fn activity(t: &TestApp, org: Gid, title: &str) -> Activity {
    let now = Utc::now()
        .with_timezone(&kezhi::config::default_offset())
        .naive_local();
    let a = Activity {
        id: Gid::new(),
        origin: t.app.store.installation_id(),
        team: org,
        title: title.into(),
        service_category: "农技服务".into(),
        region: kezhi::domain::regions::path_of("220302").unwrap(),
        address: "村委会".into(),
        description: "讲解".into(),
        contact_name: "孙强".into(),
        contact_phone: "13900000001".into(),
        signup_opens: now - Duration::hours(1),
        signup_closes: now + Duration::days(1),
        starts_at: now + Duration::days(2),
        ends_at: now + Duration::days(2) + Duration::hours(3),
        capacity: 0,
        risk_note: String::new(),
        cover_photo: None,
        demand: None,
        state: ActivityState::Published,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    t.app.store.save_activity(&a, Utc::now()).unwrap();
    a
}

/// A laptop with a team, members, an activity with signups and recorded hours.
fn populated(prefix: &str) -> TestApp {
    let t = TestApp::start();
    let org = t.add_team(
        &format!("{prefix}0000001"),
        &valid_id(&format!("22030219750328{}01", &prefix[3..4])),
        &format!("{prefix}服务队"),
    );
    let a = activity(&t, org.id, "玉米讲座");
    let now = Utc::now();
    let local = now
        .with_timezone(&kezhi::config::default_offset())
        .naive_local();
    for n in 1..=3u32 {
        let v = t.add_volunteer(
            &format!("{prefix}000001{n}"),
            &valid_id(&format!("110101198{}0{n}0{n}00{n}", &prefix[3..4])),
        );
        t.app.store.add_member(org.id, v.id, now).unwrap();
        t.app.store.sign_up(a.id, v.id, now, local, false).unwrap();
    }
    let first = t.app.store.roster(a.id).unwrap()[0].volunteer.id;
    t.app
        .store
        .update_signup(a.id, first, |_, mut s| {
            s.state = kezhi::domain::activity::SignupState::Attended;
            Ok(s)
        })
        .unwrap();
    t.app
        .store
        .record_hours(a.id, &[(first, 6)], "test", now)
        .unwrap();
    t
}

fn everything(s: &Store) -> String {
    let mut v = s.volunteers().unwrap();
    v.sort_by_key(|x| x.id);
    let mut o = s.teams().unwrap();
    o.sort_by_key(|x| x.id);
    let mut m = s.all_memberships().unwrap();
    m.sort_by_key(|x| x.id);
    let mut a = s.activities().unwrap();
    a.sort_by_key(|x| x.id);
    let mut g = s.all_signups().unwrap();
    g.sort_by_key(|x| x.id);
    format!("{v:?}\n{o:?}\n{m:?}\n{a:?}\n{g:?}")
}

fn bundle_of(t: &TestApp, since_last: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zip");
    kezhi::app::merge::export_bundle(
        &t.app.store,
        "测试县科协",
        since_last,
        ("test", "x"),
        Utc::now(),
        &path,
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn a_bundle_is_stamped_with_its_records_version_so_an_older_laptop_reads_it() {
    use kezhi::exchange::bundle::Bundle;
    use kezhi::store::migrate::RECORDS_VERSION;
    let source = populated("1391");
    let bytes = bundle_of(&source, false);
    // A laptop whose store is at the records' version (indexes from later migrations
    // missing) opens it; one older than the records refuses it.
    let b = Bundle::open(std::io::Cursor::new(bytes.clone()), RECORDS_VERSION).unwrap();
    assert_eq!(b.manifest().schema_version, RECORDS_VERSION);
    assert!(Bundle::open(std::io::Cursor::new(bytes), RECORDS_VERSION - 1).is_err());
}

#[test]
fn official_forms_export_and_import_back_the_same() {
    let source = populated("1390");
    let req = |form, ids| ExportRequest {
        form,
        scope: Scope::All,
        ids,
        site: "测试县科协",
        today: Utc::now().date_naive(),
        actor: ("test", "x"),
        now: Utc::now(),
    };
    let vols = export::export(&source.app.store, &req(Form::Volunteers, IdNumbers::Full)).unwrap();
    let teams = export::export(&source.app.store, &req(Form::Teams, IdNumbers::Full)).unwrap();
    assert!(vols.file_name.contains("测试县科协-科技志愿者-"));
    let target = TestApp::start();
    for (form, bytes) in [(Form::Volunteers, &vols.bytes), (Form::Teams, &teams.bytes)] {
        let r = import::check(
            &target.app.store,
            form,
            bytes,
            Utc::now().date_naive(),
            &Progress::default(),
        )
        .unwrap();
        assert_eq!(r.invalid(), 0, "{:?}", r.issues);
        import::commit(
            &target.app.store,
            form,
            &r,
            None,
            CommitChoice::default(),
            ("t", "x"),
            Utc::now(),
        )
        .unwrap();
    }
    let key = |s: &Store| {
        let mut v: Vec<_> = s
            .volunteers()
            .unwrap()
            .into_iter()
            .map(|v| {
                format!(
                    "{:?}",
                    (
                        v.phone,
                        v.id_number,
                        v.real_name,
                        v.gender,
                        v.region,
                        v.service_categories,
                        v.sanzhang,
                        v.employer
                    )
                )
            })
            .collect();
        v.sort();
        let mut o: Vec<_> = s
            .teams()
            .unwrap()
            .into_iter()
            .map(|o| {
                format!(
                    "{:?}",
                    (
                        o.name,
                        o.admin_phone,
                        o.founded_on,
                        o.region,
                        o.service_categories,
                        o.supervisor_type
                    )
                )
            })
            .collect();
        o.sort();
        format!("{v:?}{o:?}")
    };
    assert_eq!(key(&source.app.store), key(&target.app.store));
    // Team admin exports mask ID numbers.
    let masked = kezhi::exchange::export::volunteer_row(
        &source.app.store.volunteers().unwrap()[0],
        IdNumbers::Masked,
    );
    assert!(masked["id_number"].contains("****"));
}

#[test]
fn since_last_export_holds_exactly_what_changed() {
    let t = populated("1391");
    let req = |scope| ExportRequest {
        form: Form::Volunteers,
        scope,
        ids: IdNumbers::Full,
        site: "x",
        today: Utc::now().date_naive(),
        actor: ("test", "x"),
        now: Utc::now(),
    };
    assert_eq!(export::pending(&t.app.store, Form::Volunteers).unwrap(), 4);
    assert_eq!(
        export::export(&t.app.store, &req(Scope::All))
            .unwrap()
            .count,
        4
    );
    assert_eq!(export::pending(&t.app.store, Form::Volunteers).unwrap(), 0);
    let mut v = t
        .app
        .store
        .volunteer_by_phone("13910000011")
        .unwrap()
        .unwrap();
    v.employer = "新单位".into();
    t.app.store.update_volunteer(&v).unwrap();
    t.add_volunteer("13910000099", &valid_id("11010119900909009"));
    assert_eq!(export::pending(&t.app.store, Form::Volunteers).unwrap(), 2);
    let since = export::export(&t.app.store, &req(Scope::SinceLast)).unwrap();
    assert_eq!(since.count, 2);
    assert_eq!(
        export::export(&t.app.store, &req(Scope::SinceLast))
            .unwrap()
            .count,
        0
    );
    let actions: Vec<String> = t
        .app
        .store
        .audit_entries(0, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().filter(|a| *a == "export.volunteers").count() >= 3);
}

#[test]
fn a_bundle_merged_into_a_fresh_store_is_identical_and_merging_twice_changes_nothing() {
    let source = populated("1392");
    let bytes = bundle_of(&source, false);
    let target = TestApp::start();
    let (_, first) = kezhi::app::merge::merge_bundle(
        &target.app.store,
        bytes.clone(),
        ("t", "x"),
        Utc::now(),
        false,
    )
    .unwrap();
    assert_eq!(first["volunteers"].added, 4);
    assert_eq!(first["signups"].added, 3);
    assert_eq!(everything(&source.app.store), everything(&target.app.store));
    let before = everything(&target.app.store);
    let (_, second) =
        kezhi::app::merge::merge_bundle(&target.app.store, bytes, ("t", "x"), Utc::now(), false)
            .unwrap();
    assert!(
        second
            .values()
            .all(|c| c.added == 0 && c.updated == 0 && c.conflicts == 0),
        "{second:?}"
    );
    assert_eq!(before, everything(&target.app.store));
    // A newer version of a record wins on the next merge.
    let mut v = source
        .app
        .store
        .volunteer_by_phone("13920000011")
        .unwrap()
        .unwrap();
    v.employer = "改过的单位".into();
    v.updated_at = Utc::now();
    source.app.store.update_volunteer(&v).unwrap();
    let (_, third) = kezhi::app::merge::merge_bundle(
        &target.app.store,
        bundle_of(&source, true),
        ("t", "x"),
        Utc::now(),
        false,
    )
    .unwrap();
    assert_eq!(third["volunteers"].updated, 1);
    assert_eq!(
        target.app.store.volunteer(v.id).unwrap().unwrap().employer,
        "改过的单位"
    );
}

#[test]
fn the_same_phone_under_two_ids_is_one_conflict_resolvable_both_ways() {
    for how in [
        Resolution::KeepMine,
        Resolution::KeepTheirs,
        Resolution::Combine(vec!["employer".into()]),
    ] {
        let a = populated("1393");
        let b = TestApp::start();
        // Laptop B registered the same phone for its own volunteer, with other details.
        let mut mine = b.add_volunteer("13930000011", &valid_id("11010119700101001"));
        mine.employer = "本机单位".into();
        b.app.store.update_volunteer(&mine).unwrap();
        let (_, s) = kezhi::app::merge::merge_bundle(
            &b.app.store,
            bundle_of(&a, false),
            ("t", "x"),
            Utc::now(),
            false,
        )
        .unwrap();
        assert_eq!(s["volunteers"].conflicts, 1, "{s:?}");
        let conflicts = b.app.store.open_conflicts().unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(
            conflicts[0].signups.len(),
            1,
            "their signup waits with the conflict"
        );
        // Merging again does not add a second conflict.
        kezhi::app::merge::merge_bundle(
            &b.app.store,
            bundle_of(&a, false),
            ("t", "x"),
            Utc::now(),
            false,
        )
        .unwrap();
        assert_eq!(b.app.store.open_conflicts().unwrap().len(), 1);
        b.app
            .store
            .resolve_conflict(conflicts[0].id, &how, Utc::now())
            .unwrap();
        assert!(b.app.store.open_conflicts().unwrap().is_empty());
        let merged = b.app.store.volunteer(mine.id).unwrap().unwrap();
        let theirs = &conflicts[0].incoming;
        match how {
            Resolution::KeepMine => assert_eq!(merged.employer, "本机单位"),
            Resolution::KeepTheirs => {
                assert_eq!(merged.employer, theirs.employer);
                assert_eq!(merged.id_number, theirs.id_number);
            }
            Resolution::Combine(_) => {
                assert_eq!(merged.employer, theirs.employer);
                assert_eq!(
                    merged.id_number, mine.id_number,
                    "only the ticked field is taken"
                );
            }
        }
        // Their signup now belongs to the local volunteer: no hours lost.
        let signups = b.app.store.my_activities(mine.id).unwrap();
        assert_eq!(signups.len(), 1, "{how:?}");
        // And a later merge maps the incoming id to the local record.
        let (_, again) = kezhi::app::merge::merge_bundle(
            &b.app.store,
            bundle_of(&a, false),
            ("t", "x"),
            Utc::now(),
            false,
        )
        .unwrap();
        assert_eq!(again["volunteers"].conflicts, 0);
        assert!(b.app.store.open_conflicts().unwrap().is_empty());
        // The list indexes followed the merge and the resolution.
        assert_eq!(
            b.app.store.check().unwrap().problems,
            Vec::<String>::new(),
            "{how:?}"
        );
    }
}

#[test]
fn tampered_truncated_and_foreign_bundles_are_refused_whole() {
    let source = populated("1394");
    let bytes = bundle_of(&source, false);
    let target = TestApp::start();
    let truncated = bytes[..bytes.len() / 2].to_vec();
    assert!(
        kezhi::app::merge::merge_bundle(
            &target.app.store,
            truncated,
            ("t", "x"),
            Utc::now(),
            false
        )
        .is_err()
    );
    // Rewrite one part with a changed line, keeping the original manifest.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        if name == "volunteers.jsonl" {
            data = String::from_utf8(data)
                .unwrap()
                .replacen("张三", "李四", 1)
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, &data).unwrap();
    }
    let tampered = out.finish().unwrap().into_inner();
    let err =
        kezhi::app::merge::merge_bundle(&target.app.store, tampered, ("t", "x"), Utc::now(), false)
            .unwrap_err();
    assert!(
        err.message().contains("volunteers.jsonl"),
        "{}",
        err.message()
    );
    let not_bundle = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, b"hi").unwrap();
        w.finish().unwrap().into_inner()
    };
    assert!(
        kezhi::app::merge::merge_bundle(
            &target.app.store,
            not_bundle,
            ("t", "x"),
            Utc::now(),
            false
        )
        .is_err()
    );
    assert_eq!(
        target.app.store.people_counts().unwrap().volunteers,
        0,
        "nothing half-done"
    );
}

#[test]
fn web_export_merge_and_audit() {
    let t = populated("1395");
    let mut admin = t.admin();
    let page = admin.get("/export");
    assert!(page.body.contains("privacy-note") && page.body.contains("pending-volunteers"));
    let r = admin.post_form("/admin/export", &[("form", "volunteers"), ("scope", "all")]);
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let bundle = admin.post_form("/admin/export/bundle", &[]);
    assert_eq!(bundle.header("content-type"), Some("application/zip"));
    // A team admin exports only their own team, masked; not the platform export.
    let mut team_admin = t.sign_in_by_code("13950000001");
    assert_eq!(
        team_admin
            .post_form("/admin/export", &[("form", "volunteers"), ("scope", "all")])
            .status,
        403
    );
    let org = t.app.store.team_id_by_name("1395服务队").unwrap();
    assert_eq!(
        team_admin
            .post_form(&format!("/team/{org}/export"), &[])
            .status,
        200
    );
    // Merge page and settings page.
    assert!(admin.get("/admin/merge").body.contains("merge-upload"));
    let settings = admin.get("/admin/settings");
    assert!(settings.body.contains("data-size") && settings.body.contains("还没有备份"));
    assert_eq!(admin.post_form("/admin/backup", &[]).status, 303);
    assert!(!admin.get("/admin/settings").body.contains("还没有备份"));
    let audit = admin.get("/admin/audit");
    for words in ["导出", "备份", "管理员登录"] {
        assert!(audit.body.contains(words), "audit lacks {words}");
    }
    let xlsx = admin.get("/admin/audit.xlsx");
    assert_eq!(xlsx.status, 200);
    assert_eq!(team_admin.get("/admin/audit").status, 403);
    // Filtered by action (through its index) and by text (newest first, stopping at the
    // page): only matching lines, the count where it is known.
    let backups = admin.get("/admin/audit?action=备份");
    assert!(backups.body.contains("共 1 条"), "{}", backups.body);
    assert!(backups.body.contains("备份") && !backups.body.contains("管理员登录</td>"));
    let none = admin.get("/admin/audit?action=恢复");
    assert!(none.body.contains("共 0 条"));
    let by_text = admin.get("/admin/audit?q=127.0.0.1");
    assert!(by_text.body.contains("第 1 页") && by_text.body.contains("管理员登录"));
    // Page numbers from the address bar are clamped, never overflowed.
    for page in [
        "18446744073709551615",
        "99999999999999999999999",
        "0",
        "-3",
        "x",
    ] {
        for list in [
            "/admin/audit",
            "/admin/audit?q=a&",
            "/admin/outbox",
            "/demands",
        ] {
            let sep = if list.contains('?') { "" } else { "?" };
            let r = admin.get(&format!("{list}{sep}page={page}"));
            assert_eq!(r.status, 200, "{list} page={page}");
        }
    }
    let nothing = admin.get("/admin/audit?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E4%BA%BA");
    assert!(!nothing.body.contains("<td data-label=\"时间\">"));
}

#[test]
fn cli_backup_beside_a_running_server_and_restore_checks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        && started.elapsed().as_secs() < 20
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kezhi"))
            .arg("--data")
            .arg(&data)
            .args(args)
            .output()
            .unwrap()
    };
    let target = dir.path().join("b.redb");
    let out = run(&["backup", "-o", target.to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    let refused = run(&["restore", target.to_str().unwrap()]);
    assert!(
        !refused.status.success(),
        "restore refuses while the server runs"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"not a database").unwrap();
    let bad = run(&["restore", junk.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("没有做任何更改"));
    let ok = run(&["restore", target.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let unwritable = run(&["backup", "-o", file.join("b.redb").to_str().unwrap()]);
    assert!(!unwritable.status.success());
    assert!(String::from_utf8_lossy(&unwritable.stderr).contains("无法写入"));
}

#[test]
fn a_merge_killed_halfway_leaves_nothing_half_done_and_a_rerun_completes() {
    use kezhi::exchange::template::{self, RowValues};
    let source = TestApp::start();
    let rows: Vec<RowValues> = (0..4000u32)
        .map(|n| {
            let id = valid_id(&format!("220322{}0615{:03}", 1940 + n / 1000, n % 1000));
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
    let bytes = template::workbook(Form::Volunteers, &rows).unwrap();
    let r = import::check(
        &source.app.store,
        Form::Volunteers,
        &bytes,
        Utc::now().date_naive(),
        &Progress::default(),
    )
    .unwrap();
    import::commit(
        &source.app.store,
        Form::Volunteers,
        &r,
        None,
        CommitChoice::default(),
        ("t", "x"),
        Utc::now(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.zip");
    kezhi::app::merge::export_bundle(
        &source.app.store,
        "x",
        false,
        ("t", "x"),
        Utc::now(),
        &bundle,
    )
    .unwrap();
    let data = dir.path().join("target");
    let merge = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kezhi"))
            .arg("--data")
            .arg(&data)
            .arg("merge")
            .arg(&bundle)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = merge();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = first.kill();
    let _ = first.wait();
    let count = || {
        Store::open(&data.join("kezhi.redb"))
            .unwrap()
            .people_counts()
            .unwrap()
            .volunteers
    };
    let after_kill = count();
    assert!(
        after_kill == 0 || after_kill == 4000,
        "all or nothing, got {after_kill}"
    );
    assert!(merge().wait().unwrap().success());
    assert_eq!(count(), 4000, "the re-run completes");
    assert!(merge().wait().unwrap().success());
    assert_eq!(count(), 4000, "and nothing is doubled");
}
