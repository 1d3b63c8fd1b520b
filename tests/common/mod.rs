//! The shared test harness: a real Kezhi server on 127.0.0.1:0 with a fresh data folder,
//! and a small HTTP client that keeps cookies and fills in the CSRF token like a browser.
#![allow(dead_code)]

use kezhi::domain::ids::Gid;
use kezhi::domain::people::{Consent, Source, Volunteer};
use kezhi::domain::regions::RegionPath;
use kezhi::domain::validate::Gender;
use kezhi::store::Store;
use kezhi::web::{self, App};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A running server with its own data folder.
pub struct TestApp {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub server: web::transport::ServerHandle,
    _dir: tempfile::TempDir,
}

/// Every test store is checked as `kezhi check` would when the test is done: whatever a
/// test did through the app, the indexes, uniqueness, capacities and the changes log must
/// still agree. (A test that already failed, or a store made unavailable on purpose, is
/// left alone.)
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Ok(report) = self.app.store.check() {
            assert!(
                report.problems.is_empty(),
                "kezhi check on the test store: {:?}",
                report.problems
            );
        }
    }
}

impl TestApp {
    pub fn start() -> TestApp {
        Self::start_with(web::transport::Limits::default())
    }

    /// The real app on a transport with other limits (the app's body policy is kept).
    pub fn start_with(limits: web::transport::Limits) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let data = kezhi::config::DataDir::prepare(dir.path()).unwrap();
        let store = Store::open(&data.db_path()).unwrap();
        let app = Arc::new(App::new(
            store,
            Some(data),
            vec!["http://192.168.43.1:8080/".into()],
        ));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = web::serve_with(app.clone(), listener, limits).unwrap();
        TestApp {
            addr: server.local_addr(),
            app,
            server,
            _dir: dir,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            addr: self.addr,
            cookies: BTreeMap::new(),
        }
    }

    /// A client signed in as a freshly created platform admin (through the setup page).
    pub fn admin(&self) -> Client {
        let mut c = self.client();
        if self.app.store.has_admin().unwrap() {
            // Set up already: sign in as the same admin.
            let r = c.post_form(
                "/admin/login",
                &[("username", "admin"), ("password", "s3cret-pass")],
            );
            assert_eq!(r.status, 303, "admin sign-in failed: {}", r.body);
            return c;
        }
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
        assert_eq!(r.status, 303, "setup failed: {}", r.body);
        c
    }

    /// Put a registered volunteer into the store directly.
    pub fn add_volunteer(&self, phone: &str, id_number: &str) -> Volunteer {
        let v = volunteer_record(self.app.store.installation_id(), phone, id_number);
        self.app.store.insert_volunteer(&v).unwrap();
        v
    }

    /// A team whose admin (a registered volunteer with `admin_phone`) exists.
    pub fn add_team(
        &self,
        admin_phone: &str,
        admin_id_number: &str,
        name: &str,
    ) -> kezhi::domain::people::Team {
        if self
            .app
            .store
            .volunteer_by_phone(admin_phone)
            .unwrap()
            .is_none()
        {
            self.add_volunteer(admin_phone, admin_id_number);
        }
        let org = team_record(self.app.store.installation_id(), admin_phone, name);
        self.app.store.register_team(&org, None).unwrap();
        org
    }

    /// The code of the newest outbox message for `phone`.
    pub fn last_code(&self, phone: &str) -> String {
        let msgs = self.app.store.outbox(0, 100).unwrap();
        let m = msgs
            .iter()
            .find(|m| m.phone == phone)
            .expect("a message for the phone");
        m.text
            .split(|c: char| !c.is_ascii_digit())
            .find(|s| s.len() == 6)
            .expect("a 6-digit code in the message")
            .to_string()
    }

    /// Sign a client in by phone + code.
    pub fn sign_in_by_code(&self, phone: &str) -> Client {
        let mut c = self.client();
        let r = c.post_form("/login/code", &[("phone", phone)]);
        assert_eq!(r.status, 303, "{}", r.body);
        let code = self.last_code(phone);
        let r = c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
        assert_eq!(r.status, 303, "{}", r.body);
        c
    }
}

/// A registered, confirmed volunteer (张三, 吉林省 四平市 铁西区) as the store keeps one.
pub fn volunteer_record(origin: Gid, phone: &str, id_number: &str) -> Volunteer {
    let now = chrono::Utc::now();
    // Gender and birth date as the ID number says, so exports re-import cleanly.
    let checked = kezhi::domain::validate::id_number(id_number, now.date_naive()).ok();
    Volunteer {
        id: Gid::new(),
        origin,
        real_name: "张三".into(),
        phone: phone.into(),
        gender: checked.as_ref().map(|c| c.gender).unwrap_or(Gender::Female),
        id_number: id_number.into(),
        birth_date: checked
            .as_ref()
            .map(|c| c.birth_date)
            .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(1975, 3, 28).unwrap()),
        political_status: "群众".into(),
        ethnicity: "汉族".into(),
        employer: "某某农技站".into(),
        title_level: "副高".into(),
        education: "本科".into(),
        occupation: "企业".into(),
        region: RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220302".into()),
        },
        service_categories: vec!["科技培训".into()],
        service_fields: vec!["科技培训类".into()],
        sanzhang: "否".into(),
        password_hash: None,
        consent: Some(Consent {
            accepted_at: now,
            how: "self".into(),
            guardian_name: None,
            guardian_phone: None,
        }),
        source: Source::SelfRegistered,
        legacy: false,
        confirmed: true,
        created_at: now,
        updated_at: now,
    }
}

/// An active team (农技服务, 铁西区) whose admin has `admin_phone`, as the store keeps one.
pub fn team_record(origin: Gid, admin_phone: &str, name: &str) -> kezhi::domain::people::Team {
    let now = chrono::Utc::now();
    kezhi::domain::people::Team {
        id: Gid::new(),
        origin,
        name: name.into(),
        admin_phone: admin_phone.into(),
        mca_registered: false,
        supervisor_type: "地方科协".into(),
        supervisor_name: "铁西区科协".into(),
        founded_on: chrono::NaiveDate::from_ymd_opt(2019, 8, 8).unwrap(),
        service_categories: vec!["农技服务".into()],
        region: RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220302".into()),
        },
        leader_name: None,
        leader_title: None,
        leader_org: None,
        leader_phone: None,
        description: String::new(),
        status: kezhi::domain::people::TeamStatus::Active,
        source: Source::SelfRegistered,
        created_at: now,
        updated_at: now,
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent (downloads are not text).
    pub bytes: Vec<u8>,
}

impl Resp {
    /// The body's bytes (for xlsx and zip downloads).
    pub fn body_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A browser-like client: one connection per request, cookies kept.
pub struct Client {
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, &[], None)
    }

    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.request("GET", path, headers, None)
    }

    /// POST a form with this browser's CSRF token added.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        if !self.cookies.contains_key("kz_csrf") {
            self.get("/");
        }
        let token = self.cookies.get("kz_csrf").cloned().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        self.post_form_raw(path, &all)
    }

    /// POST a form exactly as given (no CSRF token added).
    pub fn post_form_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )
    }

    /// POST a multipart form (with this browser's CSRF token) carrying files:
    /// (field, file name, bytes).
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Resp {
        if !self.cookies.contains_key("kz_csrf") {
            self.get("/");
        }
        let token = self.cookies.get("kz_csrf").cloned().unwrap_or_default();
        let boundary = "----kezhitestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token)];
        all.extend_from_slice(fields);
        for (k, v) in all {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.request("POST", path, &[("Content-Type", &ct)], Some(&body))
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or(&[]);
        if method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(&bytes).unwrap();
        let resp = read_response(&mut BufReader::new(stream));
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    if v.contains("Max-Age=0") || value.is_empty() {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        resp
    }
}

/// Read one HTTP/1.1 response (Content-Length, chunked, or to EOF).
pub fn read_response<R: BufRead>(r: &mut R) -> Resp {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("bad status line {line:?}"))
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if status == 304 || status == 204 || status < 200 {
    } else if let Some(len) = get("content-length") {
        body.resize(len.parse().unwrap(), 0);
        r.read_exact(&mut body).unwrap();
    } else if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        r.read_to_end(&mut body).unwrap();
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An 18-digit ID number with a valid checksum for the given first 17 digits.
pub fn valid_id(first17: &str) -> String {
    let c = kezhi::domain::validate::checksum_char(first17).unwrap();
    format!("{first17}{c}")
}

/// A form as the tests write it: (field, value) pairs, repeated fields allowed.
pub type FormFields = Vec<(String, String)>;

/// A form from string pairs.
pub fn pairs(list: &[(&str, &str)]) -> FormFields {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The form with `key` set to `value` (replacing what it had).
pub fn with(mut f: FormFields, key: &str, value: &str) -> FormFields {
    f.retain(|(k, _)| k != key);
    f.push((key.to_string(), value.to_string()));
    f
}

/// The form without `key`.
pub fn without(mut f: FormFields, key: &str) -> FormFields {
    f.retain(|(k, _)| k != key);
    f
}

/// POST a form (with the browser's CSRF token).
pub fn post(c: &mut Client, path: &str, f: &[(String, String)]) -> Resp {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.post_form(path, &pairs)
}

/// The team registration form (附件1 fields) for `name`.
pub fn team_form(name: &str) -> Vec<(String, String)> {
    pairs(&[
        ("org_name", name),
        ("mca_registered", "否"),
        ("supervisor_type", "地方科协"),
        ("supervisor_name", "铁西区科协"),
        ("founded_on", "2019-08-08"),
        ("service_categories", "农技服务"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("description", "服务乡村的农技志愿者队伍"),
    ])
}

/// A `datetime-local` value `offset_minutes` from now on the server's wall clock.
pub fn local(offset_minutes: i64) -> String {
    let t = chrono::Utc::now().with_timezone(&kezhi::config::default_offset())
        + chrono::Duration::minutes(offset_minutes);
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// Poll an import job's page until it is no longer checking or committing.
pub fn wait_for_job(c: &mut Client, path: &str) -> Resp {
    let started = std::time::Instant::now();
    loop {
        let r = c.get(path);
        if !r.body.contains("import-progress")
            || started.elapsed() > std::time::Duration::from_secs(60)
        {
            return r;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Run the `kezhi` binary with `args` (and `stdin`), stopped by its own handle after 30 s.
pub fn kezhi(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kezhi"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("kezhi {args:?} did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What a command printed, stdout then stderr.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
