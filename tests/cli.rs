//! The `kezhi` binary: version and help, first admin from the terminal, settings, check,
//! and clear errors (not panics) for a port in use, an unwritable data folder and a
//! database written by a newer Kezhi.

mod common;

use common::{kezhi, text};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn version_and_help() {
    let v = kezhi(&["--version"], None);
    assert!(v.status.success());
    assert!(text(&v).contains(env!("CARGO_PKG_VERSION")));
    let h = kezhi(&["--help"], None);
    assert!(h.status.success());
    let out = text(&h);
    for word in ["serve", "admin", "settings", "check", "--data"] {
        assert!(out.contains(word), "help lacks {word}: {out}");
    }
}

#[test]
fn admin_create_from_the_terminal_then_check() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let data = data.to_str().unwrap();
    let o = kezhi(
        &[
            "--data",
            data,
            "admin",
            "create",
            "--username",
            "staff",
            "--name",
            "李四",
            "--password-stdin",
        ],
        Some("long-password\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已创建平台管理员 staff"));
    let again = kezhi(
        &[
            "--data",
            data,
            "admin",
            "create",
            "--username",
            "staff",
            "--password-stdin",
        ],
        Some("long-password\n"),
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("已存在"));
    let short = kezhi(
        &[
            "--data",
            data,
            "admin",
            "create",
            "--username",
            "other",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(text(&short).contains("至少需要 8 位"));
    let list = kezhi(&["--data", data, "admin", "list"], None);
    assert!(text(&list).contains("staff"));
    let check = kezhi(&["--data", data, "check"], None);
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("检查通过"));
}

#[test]
fn admin_create_refuses_the_display_names_the_web_refuses() {
    let message = "请填写姓名（不超过 20 个字）";
    let too_long = "名".repeat(21);
    // The web's admins page refuses a 21-character name…
    let t = common::TestApp::start();
    let mut web_admin = t.admin();
    let r = web_admin.post_form(
        "/admin/admins",
        &[
            ("username", "staff"),
            ("display_name", &too_long),
            ("password", "long-password"),
            ("confirm", "long-password"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains(message), "{}", r.body);

    // …and so does the terminal, which used to store it; a blank name likewise.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let data = data.to_str().unwrap();
    let create = |username: &str, name: Option<&str>| {
        let mut args = vec!["--data", data, "admin", "create", "--username", username];
        if let Some(name) = name {
            args.extend(["--name", name]);
        }
        args.push("--password-stdin");
        kezhi(&args, Some("long-password\n"))
    };
    for name in [too_long.as_str(), "   "] {
        let o = create("staff", Some(name));
        assert!(!o.status.success(), "{name:?}: {}", text(&o));
        assert!(text(&o).contains(message), "{}", text(&o));
    }
    // Without --name the username stands in for the name, under the same rule.
    let o = create("county_staff_member_1", None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(message), "{}", text(&o));
    let list = kezhi(&["--data", data, "admin", "list"], None);
    assert!(!text(&list).contains("staff"), "{}", text(&list));

    // The name is trimmed as the web trims it.
    let o = create("staff", Some(" 李四 "));
    assert!(o.status.success(), "{}", text(&o));
    let list = kezhi(&["--data", data, "admin", "list"], None);
    assert!(text(&list).contains("staff\t李四\t"), "{}", text(&list));
}

#[test]
fn settings_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let ok = kezhi(
        &[
            "--data",
            data,
            "settings",
            "set",
            "time.utc_offset",
            "+08:00",
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let bad = kezhi(
        &["--data", data, "settings", "set", "code.sender", "pigeon"],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("outbox 或 command"));
    let list = kezhi(&["--data", data, "settings", "list"], None);
    assert!(text(&list).contains("time.utc_offset = +08:00"));
}

#[test]
fn port_in_use_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = kezhi(
        &[
            "--data",
            dir.path().to_str().unwrap(),
            "serve",
            "--bind",
            &addr,
        ],
        None,
    );
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("端口已被占用"), "{out}");
    assert!(!out.contains("panicked"));
}

#[test]
fn unwritable_data_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let data = file.join("data");
    let o = kezhi(&["--data", data.to_str().unwrap(), "check"], None);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("数据文件夹") && out.contains("--data"),
        "{out}"
    );
    assert!(!out.contains("panicked"));
}

#[test]
fn a_database_from_a_newer_kezhi_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(
        !kezhi(&["--data", data, "check"], None).status.success(),
        "check never creates a data file"
    );
    assert!(
        kezhi(&["--data", data, "settings", "list"], None)
            .status
            .success()
    );
    assert!(kezhi(&["--data", data, "check"], None).status.success());
    // Pretend a newer Kezhi wrote the file: bump the schema version in `meta`.
    {
        let db = redb::Database::open(dir.path().join("kezhi.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let mut t = tx.open_table(meta).unwrap();
            t.insert("schema_version", 999u32.to_le_bytes().as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let o = kezhi(&["--data", data, "check"], None);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("更新版本的 Kezhi"), "{out}");
    assert!(!out.contains("panicked"));
}

#[test]
fn check_reads_only_and_works_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(
        kezhi(&["--data", data, "settings", "list"], None)
            .status
            .success()
    );
    let file = dir.path().join("kezhi.redb");
    let before = std::fs::read(&file).unwrap();
    let o = kezhi(&["--data", data, "check"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&file).unwrap(), before, "check wrote nothing");
    // A server holds the file: check still reads it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .args(["--data", data, "serve", "--bind", &bind])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(&bind).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = kezhi(&["--data", data, "check"], None);
    server.kill().unwrap();
    let _ = server.wait();
    let out = text(&o);
    assert!(o.status.success() && out.contains("检查通过"), "{out}");
}

#[test]
fn demo_honours_data_but_never_uses_a_folder_with_real_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // Real data: an admin created from the terminal.
    let o = kezhi(
        &[
            "--data",
            data,
            "admin",
            "create",
            "--username",
            "boss",
            "--name",
            "王",
            "--password-stdin",
        ],
        Some("s3cret-pass\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kezhi(
        &["--data", data, "serve", "--demo", "--bind", "127.0.0.1:0"],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("真实数据") && out.contains("演示"), "{out}");
    assert!(!out.contains("panicked"));
}

/// `kezhi check` names a removed index entry and fails; `--repair` keeps a copy of the
/// file, rebuilds the index in one transaction, and the check then passes with the
/// record findable again.
#[test]
fn check_finds_a_removed_index_entry_and_repair_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let file = dir.path().join("kezhi.redb");
    {
        let store = kezhi::store::Store::open(&file).unwrap();
        let v = common::volunteer_record(
            store.installation_id(),
            "13812345678",
            &common::valid_id("11010119800101009"),
        );
        store.insert_volunteer(&v).unwrap();
    }
    {
        // Damage the file the way a bug or a bad disk would: the phone index loses a row.
        let db = redb::Database::open(&file).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let table: redb::TableDefinition<&str, u128> =
                redb::TableDefinition::new("phone_volunteer");
            let mut t = tx.open_table(table).unwrap();
            assert!(t.remove("13812345678").unwrap().is_some());
        }
        tx.commit().unwrap();
    }
    let check = kezhi(&["--data", data, "check"], None);
    assert!(!check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("手机号索引"), "{}", text(&check));

    let repair = kezhi(&["--data", data, "check", "--repair"], None);
    let out = text(&repair);
    assert!(repair.status.success(), "{out}");
    assert!(
        out.contains("修复前的数据已复制到") && out.contains("检查通过"),
        "{out}"
    );
    let copies: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("before-repair-")
        })
        .collect();
    assert_eq!(copies.len(), 1, "one copy of the file before the repair");
    let store = kezhi::store::Store::open(&file).unwrap();
    assert!(store.volunteer_by_phone("13812345678").unwrap().is_some());
}
