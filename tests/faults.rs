//! The laptop's own faults, with the real binary: a data file already held by another
//! running Kezhi, a read-only data folder, and a full disk. Each gets a clear message, no
//! panic and no corruption; after space is freed the server carries on. The folder and disk
//! cases mount a small tmpfs, which needs root; without it they print why and are skipped.

mod common;

use common::{Client, kezhi, text};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `kezhi serve`, killed by its own handle when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(data: &Path) -> Server {
        // A port from `free_port` can be taken by a parallel test before the server binds
        // it; then the connect below reaches the other test's server while ours has
        // exited. Only a server whose own process is still running counts.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_kezhi"))
                .arg("--data")
                .arg(data)
                .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let started = Instant::now();
            while std::net::TcpStream::connect(addr).is_err() && child.try_wait().unwrap().is_none()
            {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the server did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            // A server that lost its port exits right after trying to bind it.
            std::thread::sleep(Duration::from_millis(300));
            if child.try_wait().unwrap().is_none() {
                return Server { child, addr };
            }
        }
        panic!("the server did not start on any of five ports");
    }

    fn client(&self) -> Client {
        Client {
            addr: self.addr,
            cookies: BTreeMap::new(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first platform admin, set up from the laptop.
fn set_up(c: &mut Client) {
    let r = c.post_form(
        "/setup",
        &[
            ("site_name", "测试县科协"),
            ("username", "admin"),
            ("display_name", "王管理"),
            ("password", "s3cret-pass"),
            ("confirm", "s3cret-pass"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

/// A small tmpfs mounted for one test and unmounted after it. `None` (with the reason
/// printed) when this process may not mount.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = writeln!(
                std::io::stderr(),
                "{test} skipped: mounting a tmpfs needs root (CI runs as root)"
            );
            return None;
        }
        Some(Tmpfs { path, _dir: dir })
    }

    fn remount(&self, option: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{option}")])
            .arg(&self.path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {option}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_data_file_held_by_another_kezhi_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path());
    let o = kezhi(
        &[
            "--data",
            dir.path().to_str().unwrap(),
            "serve",
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
        ],
        None,
    );
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("另一个"), "{out}");
    assert!(!out.contains("panicked"), "{out}");
    assert_eq!(
        first.client().get("/").status,
        200,
        "the first one carries on"
    );
}

#[test]
fn a_read_only_data_folder_is_a_clear_error_and_check_still_reads_it() {
    let test = "a_read_only_data_folder_is_a_clear_error_and_check_still_reads_it";
    let Some(fs) = Tmpfs::mount("16m", test) else {
        return;
    };
    let data = fs.path.join("data");
    let data_arg = data.to_str().unwrap();
    assert!(
        kezhi(&["--data", data_arg, "settings", "list"], None)
            .status
            .success()
    );
    fs.remount("ro");
    let o = kezhi(
        &[
            "--data",
            data_arg,
            "serve",
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
        ],
        None,
    );
    assert!(!o.status.success());
    let out = text(&o);
    assert!(!out.contains("panicked"), "{out}");
    assert!(
        out.contains("只读") || out.contains("权限") || out.contains("写入"),
        "says it cannot write there: {out}"
    );
    let check = kezhi(&["--data", data_arg, "check"], None);
    assert!(check.status.success(), "{}", text(&check));
    fs.remount("rw");
}

#[test]
fn a_full_disk_refuses_writes_cleanly_and_the_server_carries_on_after_space_is_freed() {
    let test = "a_full_disk_refuses_writes_cleanly_and_the_server_carries_on_after_space_is_freed";
    let Some(fs) = Tmpfs::mount("24m", test) else {
        return;
    };
    let data = fs.path.join("data");
    let server = Server::start(&data);
    let mut admin = server.client();
    set_up(&mut admin);
    let save = |c: &mut Client, name: &str| c.post_form("/admin/settings", &[("site_name", name)]);
    assert_eq!(save(&mut admin, "第一次").status, 303);

    // Fill the disk.
    let filler = fs.path.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let mut refused = 0;
    for i in 0..20 {
        let r = save(&mut admin, &format!("磁盘满时的名称{i}"));
        assert!(!r.body.contains("panicked"));
        if r.status >= 500 {
            refused += 1;
            assert!(
                r.body.contains("磁盘") || r.body.contains("稍后"),
                "a clear message: {}",
                r.body
            );
        }
    }
    assert!(
        refused > 0,
        "some writes were refused while the disk was full"
    );
    assert_eq!(admin.get("/").status, 200, "reading still works");

    // Free the space: the same server writes again.
    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    let status = loop {
        let s = save(&mut admin, "磁盘空出之后").status;
        if s == 303 || started.elapsed() > Duration::from_secs(10) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 303, "writes work again once there is space");
    assert!(admin.get("/admin/settings").body.contains("磁盘空出之后"));
    drop(server);
    let check = kezhi(&["--data", data.to_str().unwrap(), "check"], None);
    assert!(check.status.success(), "{}", text(&check));
}
