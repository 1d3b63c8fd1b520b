//! Lockouts must not become a weapon: each test is an attack from other devices on the
//! hotspot and the refusal that must (or must not) follow. Test traffic over the wire
//! comes from 127.0.0.1, the laptop itself; other client addresses are presented by
//! handing requests to `web::handle` with `rouille::Request::fake_http_from`, exactly
//! as the transport does, so no header is ever trusted for the client address.

mod common;

use common::{Resp, TestApp, valid_id};
use kezhi::web;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;

/// A browser on another device of the hotspot.
struct Device<'a> {
    t: &'a TestApp,
    addr: SocketAddr,
    cookies: BTreeMap<String, String>,
}

impl<'a> Device<'a> {
    fn new(t: &'a TestApp, addr: &str) -> Device<'a> {
        let mut cookies = BTreeMap::new();
        // Any well-formed token works as long as the form carries the same one.
        cookies.insert("kz_csrf".to_string(), "c".repeat(64));
        Device {
            t,
            addr: addr.parse().unwrap(),
            cookies,
        }
    }

    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut body = format!("csrf={}", self.cookies["kz_csrf"]);
        for (k, v) in fields {
            body.push_str(&format!("&{k}={v}"));
        }
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = rouille::Request::fake_http_from(
            self.addr,
            "POST",
            path,
            vec![
                ("Cookie".into(), cookie),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body.into_bytes(),
        );
        let response = web::handle(&self.t.app, &req);
        let status = response.status_code;
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (mut reader, _) = response.data.into_reader_and_size();
        let mut body = String::new();
        reader.read_to_string(&mut body).unwrap();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie")
                && let Some((name, value)) = v.split(';').next().unwrap_or("").split_once('=')
            {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        Resp {
            status,
            headers,
            bytes: body.clone().into_bytes(),
            body,
        }
    }

    fn signed_in(&self) -> bool {
        self.cookies.contains_key("kz_session")
    }
}

const RIGHT: &str = "s3cret-pass";
const WRONG: &str = "wrong-wrong";

fn admin_login(d: &mut Device, password: &str) -> Resp {
    d.post(
        "/admin/login",
        &[("username", "admin"), ("password", password)],
    )
}

/// Put the app's clock at 10:00 local time today, so a test that moves the clock forward
/// by minutes never crosses midnight (the daily code counts reset then).
fn morning(t: &TestApp) {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let now = chrono::Utc::now();
    let ten = now
        .with_timezone(&offset)
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_local_timezone(offset)
        .unwrap()
        .with_timezone(&chrono::Utc);
    t.app.set_clock_skew(ten - now);
}

/// Move the app's clock past the one-code-per-minute rule.
fn next_minute(t: &TestApp, minutes: &mut i64) {
    *minutes += 1;
    morning(t);
    let skew = t.app.now() - chrono::Utc::now();
    t.app
        .set_clock_skew(skew + chrono::Duration::seconds(61 * *minutes));
}

#[test]
fn wrong_admin_passwords_from_a_stranger_lock_out_neither_the_laptop_nor_others() {
    let t = TestApp::start();
    t.admin();
    let mut stranger = Device::new(&t, "10.0.0.7:50000");

    // Three wrong passwords are answered as such; then the stranger must wait.
    for _ in 0..3 {
        let r = admin_login(&mut stranger, WRONG);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("用户名或密码不正确"));
    }
    for _ in 0..5 {
        let r = admin_login(&mut stranger, WRONG);
        assert_eq!(r.status, 429);
        assert!(
            r.body.contains("登录失败次数过多，请在 1 秒后再试"),
            "{}",
            r.body
        );
        assert_eq!(r.header("Retry-After"), Some("1"));
    }
    // Refusals while waiting are not failures, and even the right password waits there.
    let r = admin_login(&mut stranger, RIGHT);
    assert_eq!(r.status, 429);
    assert!(!stranger.signed_in());

    // The laptop signs in at once.
    let mut laptop = t.client();
    let r = laptop.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", RIGHT)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(laptop.get("/admin").status, 200);

    // So does a third device on the hotspot.
    let mut colleague = Device::new(&t, "10.0.0.9:50001");
    let r = admin_login(&mut colleague, RIGHT);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(colleague.signed_in());

    // The stranger's delay grows: after the wait, one more wrong try costs two seconds.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(admin_login(&mut stranger, WRONG).status, 422);
    let r = admin_login(&mut stranger, WRONG);
    assert_eq!(r.status, 429);
    assert!(r.body.contains("请在 2 秒后再试"), "{}", r.body);
}

#[test]
fn the_laptop_is_never_made_to_wait_for_its_own_typos() {
    let t = TestApp::start();
    t.admin();
    let mut laptop = t.client();
    for _ in 0..12 {
        let r = laptop.post_form(
            "/admin/login",
            &[("username", "admin"), ("password", WRONG)],
        );
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = laptop.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", RIGHT)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

#[test]
fn a_flood_from_many_addresses_slows_lan_sign_ins_but_never_the_laptop() {
    let t = TestApp::start();
    t.admin();
    // Thirty devices, one wrong password each: no single device is slowed…
    for i in 1..=30 {
        let mut d = Device::new(&t, &format!("10.0.1.{i}:40000"));
        let r = admin_login(&mut d, WRONG);
        assert_eq!(r.status, 422, "device {i}: {}", r.body);
    }
    // …but together they slow the account for every other device on the hotspot.
    let mut colleague = Device::new(&t, "10.0.2.1:40000");
    let r = admin_login(&mut colleague, RIGHT);
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("登录失败次数过多，请在"), "{}", r.body);
    // Other accounts are not affected.
    t.app
        .store
        .insert_admin(&kezhi::domain::account::Admin {
            id: kezhi::domain::ids::Gid::new(),
            username: "second".into(),
            display_name: "李管理".into(),
            password_hash: kezhi::domain::secret::hash_password(RIGHT).unwrap(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        })
        .unwrap();
    let r = colleague.post(
        "/admin/login",
        &[("username", "second"), ("password", RIGHT)],
    );
    assert_eq!(r.status, 303, "{}", r.body);

    // The laptop still signs in with the right password.
    let mut laptop = t.client();
    let r = laptop.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", RIGHT)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

#[test]
fn wrong_volunteer_passwords_from_a_stranger_do_not_lock_out_the_owner() {
    let t = TestApp::start();
    let phone = "13611112222";
    let v = t.add_volunteer(phone, &valid_id("11010119900307123"));
    let hash = kezhi::domain::secret::hash_password("phone-pass-1").unwrap();
    t.app
        .store
        .set_volunteer_password(v.id, Some(hash))
        .unwrap();
    let mut stranger = Device::new(&t, "10.0.0.7:50000");
    for _ in 0..3 {
        let r = stranger.post(
            "/login/password",
            &[("phone", phone), ("password", "nope-nope")],
        );
        assert_eq!(r.status, 422);
    }
    let r = stranger.post(
        "/login/password",
        &[("phone", phone), ("password", "nope-nope")],
    );
    assert_eq!(r.status, 429);
    assert!(r.body.contains("请在 1 秒后再试"), "{}", r.body);

    let mut owner = Device::new(&t, "10.0.0.5:50000");
    let r = owner.post(
        "/login/password",
        &[("phone", phone), ("password", "phone-pass-1")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(owner.signed_in());
}

#[test]
fn wrong_codes_from_another_device_do_not_burn_the_owners_code() {
    let t = TestApp::start();
    let phone = "13912345678";
    t.add_volunteer(phone, &valid_id("22030219750328020"));
    let mut owner = Device::new(&t, "10.0.0.5:50000");
    let r = owner.post("/login/code", &[("phone", phone)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let code = t.last_code(phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // A stranger guesses: told the code is wrong, never how many tries the owner has
    // left, then made to wait; the code's own counter is not touched.
    let mut stranger = Device::new(&t, "10.0.0.66:50000");
    for _ in 0..3 {
        let r = stranger.post("/login/verify", &[("phone", phone), ("code", wrong)]);
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains("验证码不正确，请核对后重新输入"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("还可以再试"), "{}", r.body);
    }
    for _ in 0..10 {
        let r = stranger.post("/login/verify", &[("phone", phone), ("code", wrong)]);
        assert_eq!(r.status, 429);
        assert!(
            r.body.contains("验证码错误次数过多，请在 1 秒后再试"),
            "{}",
            r.body
        );
    }
    // While waiting, even the right code is not checked for the stranger.
    let r = stranger.post("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 429);
    assert!(!stranger.signed_in());

    // The owner's code still has all five tries, and signs in.
    let r = owner.post("/login/verify", &[("phone", phone), ("code", wrong)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("还可以再试 4 次"), "{}", r.body);
    let r = owner.post("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(owner.signed_in());
}

#[test]
fn the_requesting_device_still_burns_its_own_code() {
    let t = TestApp::start();
    let phone = "13800138000";
    let mut owner = Device::new(&t, "10.0.0.5:50000");
    assert_eq!(owner.post("/login/code", &[("phone", phone)]).status, 303);
    let code = t.last_code(phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            owner
                .post("/login/verify", &[("phone", phone), ("code", wrong)])
                .status,
            422
        );
    }
    let r = owner.post("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("已过期或已失效"), "{}", r.body);
}

#[test]
fn code_requests_from_one_address_cannot_exhaust_a_phone_for_others() {
    let t = TestApp::start();
    morning(&t);
    let mut minutes = 0;
    let phone = "13912340077";
    t.add_volunteer(phone, &valid_id("22030219750328020"));

    // One stranger asks for the phone's codes, a minute apart: five, then no more.
    let mut stranger = Device::new(&t, "10.0.0.66:50000");
    for i in 1..=5 {
        let r = stranger.post("/login/code", &[("phone", phone)]);
        assert_eq!(r.status, 303, "request {i}: {}", r.body);
        next_minute(&t, &mut minutes);
    }
    let r = stranger.post("/login/code", &[("phone", phone)]);
    assert_eq!(r.status, 429);
    assert!(
        r.body.contains("这台设备今天已为该手机号获取 5 次验证码"),
        "{}",
        r.body
    );

    // The owner's phone still gets a code and signs in with it.
    let mut owner = Device::new(&t, "10.0.0.5:50000");
    let r = owner.post("/login/code", &[("phone", phone)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let code = t.last_code(phone);
    let r = owner.post("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    next_minute(&t, &mut minutes);

    // Several strangers together can reach the phone-wide cap of twenty…
    for n in 1..=3 {
        let mut d = Device::new(&t, &format!("10.0.0.{}:50000", 100 + n));
        for i in 1..=5 {
            let r = d.post("/login/code", &[("phone", phone)]);
            if n == 3 && i == 5 {
                // 5 + 1 + 5 + 5 + 4 = 20 codes so far; this one is the 21st.
                assert_eq!(r.status, 429, "{}", r.body);
                assert!(
                    r.body.contains("该手机号今天已获取 20 次验证码"),
                    "{}",
                    r.body
                );
            } else {
                assert_eq!(r.status, 303, "device {n} request {i}: {}", r.body);
            }
            next_minute(&t, &mut minutes);
        }
    }
    let r = owner.post("/login/code", &[("phone", phone)]);
    assert_eq!(r.status, 429, "{}", r.body);

    // …but the desk at the laptop can still help the person in front of it.
    let mut laptop = t.client();
    let r = laptop.post_form("/login/code", &[("phone", phone)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let code = t.last_code(phone);
    let r = laptop.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
}
