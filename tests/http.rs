//! The server driven over HTTP: first-run setup, sign-in flows, CSRF, roles, rate limits,
//! error pages, static assets and the regions endpoint.

mod common;

use common::{TestApp, valid_id};
use kezhi::web;
use std::net::SocketAddr;

#[test]
fn setup_is_refused_from_a_lan_address() {
    let t = TestApp::start();
    let lan: SocketAddr = "192.168.1.10:50123".parse().unwrap();
    let req = rouille::Request::fake_http_from(lan, "GET", "/setup", vec![], vec![]);
    let resp = web::handle(&t.app, &req);
    assert_eq!(resp.status_code, 403);

    // Even with a valid CSRF pair, a POST from the LAN creates nothing.
    let token = "a".repeat(64);
    let body = format!(
        "csrf={token}&site_name=x&username=evil&display_name=x&password=longpassword&confirm=longpassword"
    );
    let req = rouille::Request::fake_http_from(
        lan,
        "POST",
        "/setup",
        vec![
            ("Cookie".into(), format!("kz_csrf={token}")),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body.into_bytes(),
    );
    let resp = web::handle(&t.app, &req);
    assert_eq!(resp.status_code, 403);
    assert!(!t.app.store.has_admin().unwrap());

    // Over the wire the page explains where to do it.
    let lan_page = {
        let req = rouille::Request::fake_http_from(lan, "GET", "/setup", vec![], vec![]);
        let (mut r, _) = web::handle(&t.app, &req).data.into_reader_and_size();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut r, &mut s).unwrap();
        s
    };
    assert!(
        lan_page.contains("请在运行科志的电脑上完成初始设置"),
        "{lan_page}"
    );
}

#[test]
fn setup_from_loopback_then_admin_login_and_logout() {
    let t = TestApp::start();
    let mut c = t.client();
    let home = c.get("/");
    assert!(home.body.contains("尚未完成初始设置"));
    let page = c.get("/setup");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("创建平台管理员"));

    // Bad input: the form comes back with messages at the fields and nothing is stored.
    let bad = c.post_form(
        "/setup",
        &[
            ("site_name", "测试县科协"),
            ("username", "管理员账号"),
            ("display_name", "王"),
            ("password", "short"),
            ("confirm", "short"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("用户名只能包含"));
    assert!(bad.body.contains("密码至少需要 8 位"));
    assert!(!t.app.store.has_admin().unwrap());

    let mut admin = t.admin();
    let dash = admin.get("/admin");
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("管理首页"));
    assert!(dash.body.contains("测试县科协"));
    assert!(
        dash.body.contains("服务器时间"),
        "admin pages show the server time"
    );
    assert!(dash.body.contains("初始设置完成"), "flash shown once");
    assert!(
        !admin.get("/admin").body.contains("初始设置完成"),
        "flash gone after one page"
    );

    // Setup is closed once an admin exists.
    assert_eq!(c.get("/setup").status, 303);

    // Logout ends the session.
    let out = admin.post_form("/logout", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(admin.get("/admin").status, 403);

    // Wrong password, then the right one.
    let mut c = t.client();
    let wrong = c.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", "nope-nope")],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("用户名或密码不正确"));
    let ok = c.post_form(
        "/admin/login",
        &[("username", "admin"), ("password", "s3cret-pass")],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/admin"));
    assert_eq!(c.get("/admin").status, 200);
    let audit = t.app.store.audit_entries(0, 10).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "admin.login" && e.address == "127.0.0.1")
    );
}

#[test]
fn code_request_outbox_and_sign_in() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let phone = "13912345678";
    let v = t.add_volunteer(phone, &valid_id("22030219750328020"));

    let mut c = t.client();
    let r = c.post_form("/login/code", &[("phone", "139 1234 5678")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().starts_with("/login/verify"));

    let outbox = admin.get("/admin/outbox");
    assert_eq!(outbox.status, 200);
    assert!(
        outbox.body.contains("尾号 5678"),
        "outbox shows the phone's tail"
    );
    assert!(!outbox.body.contains(phone), "never the whole phone");
    let code = t.last_code(phone);
    assert!(
        outbox.body.contains(&code),
        "outbox shows the code for staff to read out"
    );

    let r = c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303);
    let me = c.get("/me");
    assert_eq!(me.status, 200);
    assert!(me.body.contains("志愿者信息"));
    assert!(me.body.contains("139****5678"), "phone masked");
    assert!(
        !me.body.contains(&v.id_number),
        "ID number never shown in full"
    );
    assert!(me.body.contains("四平市"));

    // The code cannot be used twice.
    let mut other = t.client();
    let again = other.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(again.status, 422);
}

#[test]
fn unregistered_phone_is_verified_but_not_a_volunteer() {
    let t = TestApp::start();
    let mut c = t.sign_in_by_code("13700001111");
    let me = c.get("/me");
    assert_eq!(me.status, 303);
    assert_eq!(me.header("location"), Some("/register/volunteer"));
    let form = c.get("/register/volunteer");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("志愿者注册"));
    assert!(form.body.contains("137****1111") || form.body.contains("13700001111"));
    assert_eq!(c.get("/admin").status, 403);
}

#[test]
fn volunteer_sets_a_password_and_signs_in_with_it() {
    let t = TestApp::start();
    t.add_volunteer("13611112222", &valid_id("11010119900307123"));
    let mut c = t.sign_in_by_code("13611112222");
    let short = c.post_form("/me/password", &[("password", "abc"), ("confirm", "abc")]);
    assert_eq!(short.status, 422);
    let ok = c.post_form(
        "/me/password",
        &[("password", "phone-pass-1"), ("confirm", "phone-pass-1")],
    );
    assert_eq!(ok.status, 303);

    let mut fresh = t.client();
    let wrong = fresh.post_form(
        "/login/password",
        &[("phone", "13611112222"), ("password", "nope-nope")],
    );
    assert_eq!(wrong.status, 422);
    let r = fresh.post_form(
        "/login/password",
        &[("phone", "13611112222"), ("password", "phone-pass-1")],
    );
    assert_eq!(r.status, 303);
    assert!(fresh.get("/me").body.contains("已设置密码"));
}

#[test]
fn wrong_code_five_times_burns_it() {
    let t = TestApp::start();
    let phone = "13800138000";
    let mut c = t.client();
    assert_eq!(c.post_form("/login/code", &[("phone", phone)]).status, 303);
    let code = t.last_code(phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let r = c.post_form("/login/verify", &[("phone", phone), ("code", wrong)]);
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains(&format!("还可以再试 {left} 次")),
            "{}",
            r.body
        );
    }
    let fifth = c.post_form("/login/verify", &[("phone", phone), ("code", wrong)]);
    assert_eq!(fifth.status, 422);
    assert!(fifth.body.contains("错误次数过多"));
    let right = c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(right.status, 422, "a burnt code no longer signs in");
    assert!(right.body.contains("已过期或已失效"));
    assert!(!c.cookies.contains_key("kz_session"));
}

#[test]
fn bad_phone_gets_a_message_at_the_field() {
    let t = TestApp::start();
    let mut c = t.client();
    let r = c.post_form("/login/code", &[("phone", "1440123456789")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("物联网"), "{}", r.body);
    assert!(r.body.contains("aria-invalid"));
    assert_eq!(t.app.store.outbox_len().unwrap(), 0);
}

#[test]
fn rate_limits_answer_429_in_chinese() {
    let t = TestApp::start();
    let mut c = t.client();
    // One code per minute per phone.
    assert_eq!(
        c.post_form("/login/code", &[("phone", "13500000001")])
            .status,
        303
    );
    let again = c.post_form("/login/code", &[("phone", "13500000001")]);
    assert_eq!(again.status, 429);
    assert!(again.body.contains("秒后再重新获取"), "{}", again.body);

    // Per client address: ten requests, then no more, whatever the phone.
    for i in 2..=9 {
        let r = c.post_form("/login/code", &[("phone", &format!("1350000000{i}"))]);
        assert_eq!(r.status, 303, "request {i}");
    }
    let blocked = c.post_form("/login/code", &[("phone", "13500000010")]);
    assert_eq!(blocked.status, 429);
    assert!(blocked.body.contains("操作太频繁"));

    // Admin login failures from a device on the hotspot: three, then a growing wait,
    // even for the right password (tests/lockout.rs covers who else is spared).
    t.admin();
    let lan: SocketAddr = "192.168.43.20:50123".parse().unwrap();
    let token = "d".repeat(64);
    let login = |password: &str| {
        let req = rouille::Request::fake_http_from(
            lan,
            "POST",
            "/admin/login",
            vec![
                ("Cookie".into(), format!("kz_csrf={token}")),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            format!("csrf={token}&username=admin&password={password}").into_bytes(),
        );
        let resp = web::handle(&t.app, &req);
        let status = resp.status_code;
        let (mut r, _) = resp.data.into_reader_and_size();
        let mut body = String::new();
        std::io::Read::read_to_string(&mut r, &mut body).unwrap();
        (status, body)
    };
    for _ in 0..3 {
        assert_eq!(login("wrong-wrong").0, 422);
    }
    let (status, body) = login("s3cret-pass");
    assert_eq!(
        status, 429,
        "even the right password waits once the limit is hit"
    );
    assert!(body.contains("登录失败次数过多，请在 1 秒后再试"), "{body}");
}

#[test]
fn post_without_csrf_is_403_and_changes_nothing() {
    let t = TestApp::start();
    let mut c = t.client();
    c.get("/");
    let fields = [
        ("site_name", "测试县科协"),
        ("username", "admin"),
        ("display_name", "王管理"),
        ("password", "s3cret-pass"),
        ("confirm", "s3cret-pass"),
    ];
    let r = c.post_form_raw("/setup", &fields);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("页面已过期"));
    assert!(!t.app.store.has_admin().unwrap());

    let mut with_wrong = fields.to_vec();
    let wrong = "b".repeat(64);
    with_wrong.push(("csrf", &wrong));
    assert_eq!(c.post_form_raw("/setup", &with_wrong).status, 403);
    assert!(!t.app.store.has_admin().unwrap());

    let r = c.post_form_raw("/login/code", &[("phone", "13812345678")]);
    assert_eq!(r.status, 403);
    assert_eq!(t.app.store.outbox_len().unwrap(), 0);
}

#[test]
fn pages_for_a_missing_role_are_403_without_data() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let mut c = t.client();
    c.post_form("/login/code", &[("phone", "13312345678")]);
    assert!(admin.get("/admin/outbox").body.contains("尾号 5678"));

    let mut anon = t.client();
    for path in [
        "/admin",
        "/admin/outbox",
        "/admin/admins",
        "/admin/settings",
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 403, "{path}");
        assert!(r.body.contains("没有权限"));
        assert!(!r.body.contains("13312345678"), "{path} leaked data");
    }
    t.add_volunteer("13312340001", &valid_id("11010119800101001"));
    let mut vol = t.sign_in_by_code("13312340001");
    let r = vol.get("/admin/outbox");
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("您的验证码是"));
    // A volunteer cannot add admins either.
    let r = vol.post_form(
        "/admin/admins",
        &[
            ("username", "x123"),
            ("display_name", "x"),
            ("password", "12345678"),
            ("confirm", "12345678"),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(t.app.store.admins().unwrap().len(), 1);
}

#[test]
fn static_assets_have_etags_and_revalidate() {
    let t = TestApp::start();
    let mut c = t.client();
    let r = c.get("/assets/app.css");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    let etag = r.header("etag").expect("ETag").to_string();
    assert!(r.header("cache-control").is_some());
    let again = c.get_with("/assets/app.css", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = c.get_with("/assets/app.css", &[("If-None-Match", "\"other\"")]);
    assert_eq!(other.status, 200);
    assert_eq!(c.get("/assets/nope.css").status, 404);
    assert_eq!(
        c.get("/assets/reference/regions.tsv").status,
        404,
        "reference data is compiled in, not served"
    );
}

#[test]
fn security_headers_and_friendly_error_pages() {
    let t = TestApp::start();
    let mut c = t.client();
    let r = c.get("/no/such/page");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("找不到页面"));
    assert!(r.body.contains("lang=\"zh-CN\""));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let home = t.client().get("/");
    assert!(!home.body.contains("<script>"), "no inline scripts");
    assert_eq!(home.header("cache-control"), Some("no-store"));
    let cookie = home
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("kz_csrf"));
    let cookie = cookie.map(|(_, v)| v.as_str()).unwrap_or("");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[test]
fn session_cookie_is_httponly_and_lax() {
    let t = TestApp::start();
    let mut c = t.client();
    c.post_form("/login/code", &[("phone", "13912340000")]);
    let code = t.last_code("13912340000");
    let r = c.post_form(
        "/login/verify",
        &[("phone", "13912340000"), ("code", &code)],
    );
    let s = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("kz_session="))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax"));
    let token = s
        .trim_start_matches("kz_session=")
        .split(';')
        .next()
        .unwrap();
    assert_eq!(token.len(), 64, "256-bit token");
}

#[test]
fn regions_endpoint_cascades() {
    let t = TestApp::start();
    let mut c = t.client();
    let provinces = c.get("/api/regions");
    assert_eq!(provinces.status, 200);
    assert!(
        provinces
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let list: Vec<serde_json::Value> = serde_json::from_str(&provinces.body).unwrap();
    assert!(list.len() >= 31);
    assert!(
        list.iter()
            .any(|r| r["name"] == "北京市" && r["code"] == "110000")
    );
    let bj: Vec<serde_json::Value> =
        serde_json::from_str(&c.get("/api/regions?parent=110000").body).unwrap();
    assert_eq!(bj[0]["code"], "110100");
    let henan: Vec<serde_json::Value> =
        serde_json::from_str(&c.get("/api/regions?parent=419000").body).unwrap();
    assert!(henan.iter().any(|r| r["name"] == "济源市"));
    let dg: Vec<serde_json::Value> =
        serde_json::from_str(&c.get("/api/regions?parent=441900").body).unwrap();
    assert!(dg.is_empty(), "东莞 has no county level");
    assert_eq!(c.get("/api/regions?parent=999999").status, 404);
}

#[test]
fn join_page_shows_the_lan_address_and_qr() {
    let t = TestApp::start();
    let mut c = t.client();
    let r = c.get("/join");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("http://192.168.43.1:8080/"));
    assert!(r.body.contains("<svg"));
    let svg = c.get("/join/qr.svg");
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
}

/// The part of `body` from the element with `id` to the end of that section (for asserting
/// on what one block of a page shows).
fn block<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[test]
fn outbox_reads_the_newest_codes_aloud_by_phone_tail() {
    let t = TestApp::start();
    let mut admin = t.admin();
    // A code from twenty minutes ago has expired: it belongs in the list, not up top.
    t.app
        .store
        .push_outbox(&kezhi::domain::account::OutboxMessage {
            at: chrono::Utc::now() - chrono::Duration::minutes(20),
            phone: "13700001111".into(),
            text: kezhi::domain::account::code_message("111111"),
            delivery: "outbox".into(),
        })
        .unwrap();
    let mut c = t.client();
    assert_eq!(
        c.post_form("/login/code", &[("phone", "13912345678")])
            .status,
        303
    );
    let code = t.last_code("13912345678");

    let page = admin.get("/admin/outbox");
    assert_eq!(page.status, 200);
    let newest = block(&page.body, "outbox-newest");
    assert!(newest.contains("code-big"), "{newest}");
    assert!(
        newest.contains(&code) && newest.contains("尾号 5678"),
        "{newest}"
    );
    assert!(
        !newest.contains("111111"),
        "an expired code is not shown large"
    );
    let older = &page.body[page.body.find("id=\"outbox\"").expect("the older list")..];
    assert!(older.contains("111111") && older.contains("尾号 1111"));
    for phone in ["13912345678", "13700001111", "139****5678", "1391234"] {
        assert!(!page.body.contains(phone), "the outbox shows {phone}");
    }
}

#[test]
fn settings_page_speaks_chinese_not_keys() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let page = admin.get("/admin/settings");
    assert_eq!(page.status, 200);
    let all = block(&page.body, "all-settings");
    for label in [
        "单位名称",
        "时区",
        "本平台所属区域",
        "验证码发送方式",
        "短信发送程序",
        "自动备份保留份数",
    ] {
        assert!(all.contains(&format!("<dt>{label}</dt>")), "{label}: {all}");
    }
    assert!(all.contains("北京时间") && all.contains("7 份"), "{all}");
    assert_eq!(
        all.matches("class=\"help\"").count(),
        6,
        "one help line each"
    );
    for key in [
        "site.name",
        "time.utc_offset",
        "platform.region",
        "code.sender",
        "code.command",
        "backup.keep",
    ] {
        assert!(!page.body.contains(key), "raw key {key} on the page");
    }
}

/// The team area moved from `/org` to `/team`: printed QR codes and bookmarks still land,
/// with their query, and a form posted to an old address keeps its method (308).
#[test]
fn old_team_addresses_redirect_to_the_new_ones() {
    let t = TestApp::start();
    let mut c = t.client();
    let old = c.get("/org/42/activities/new?demand=7");
    assert_eq!(old.status, 308);
    assert_eq!(
        old.header("Location"),
        Some("/team/42/activities/new?demand=7")
    );
    let register = c.get("/register/org");
    assert_eq!(register.status, 308);
    assert_eq!(register.header("Location"), Some("/register/team"));
}
