//! Activities over HTTP: publishing, bad input, phases, signup with waitlist, the
//! concurrency guarantee, 我参加的活动, rosters, check-in, hours, reports, records and
//! certificates. Time moves through the app's clock skew, never by sleeping.

mod common;

use chrono::{Duration, Utc};
use common::{Client, TestApp, post, valid_id, with};
use kezhi::domain::activity::SignupState;
use kezhi::domain::ids::Gid;
use kezhi::domain::people::Team;
use std::sync::Arc;

fn local(offset_minutes: i64) -> String {
    let t = Utc::now().with_timezone(&kezhi::config::default_offset())
        + Duration::minutes(offset_minutes);
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// A valid activity form relative to now: signup open now for 2 days, the activity
/// starts in 3 days for 3 hours.
fn activity_form(title: &str, capacity: &str) -> Vec<(String, String)> {
    [
        ("title", title.to_string()),
        ("service_category", "农技服务".into()),
        ("province", "220000".into()),
        ("city", "220300".into()),
        ("county", "220302".into()),
        ("address", "铁西区某某村村委会".into()),
        ("description", "玉米病虫害防治现场讲解".into()),
        ("contact_name", "孙强".into()),
        ("contact_phone", "13900000001".into()),
        ("signup_opens", local(-60)),
        ("signup_closes", local(2 * 24 * 60)),
        ("starts_at", local(3 * 24 * 60)),
        ("ends_at", local(3 * 24 * 60 + 180)),
        ("capacity", capacity.to_string()),
        ("publish", "yes".into()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

struct Setup {
    t: TestApp,
    admin: Client,
    org: Team,
}

fn setup() -> Setup {
    let t = TestApp::start();
    let org = t.add_team(
        "13900000001",
        &valid_id("22030219750328020"),
        "铁西农技志愿服务队",
    );
    let admin = t.sign_in_by_code("13900000001");
    Setup { t, admin, org }
}

fn publish(s: &mut Setup, title: &str, capacity: &str) -> Gid {
    let r = post(
        &mut s.admin,
        &format!("/team/{}/activities/new", s.org.id),
        &activity_form(title, capacity),
    );
    assert_eq!(r.status, 303, "{}", &r.body[..r.body.len().min(3000)]);
    let loc = r.header("location").unwrap().to_string();
    loc.trim_start_matches("/activities/").parse().unwrap()
}

fn volunteer(t: &TestApp, n: u32) -> Client {
    let phone = format!("1370000{n:04}");
    t.add_volunteer(&phone, &valid_id(&format!("110101198001{:05}", n)));
    t.sign_in_by_code(&phone)
}

/// Whether the field's block (up to the next field) shows an error.
fn error_at(body: &str, field: &str) -> bool {
    let marker = format!("id=\"f-{field}\"");
    let Some(i) = body.find(&marker) else {
        return false;
    };
    let rest = &body[i + marker.len()..];
    let end = rest.find("id=\"f-").unwrap_or(rest.len());
    rest[..end].contains("class=\"error\"")
}

#[test]
fn publish_browse_by_region_and_sign_up() {
    let mut s = setup();
    let id = publish(&mut s, "玉米病虫害防治", "30");
    let draft = post(
        &mut s.admin,
        &format!("/team/{}/activities/new", s.org.id),
        &with(activity_form("草稿活动", "0"), "publish", "no"),
    );
    assert_eq!(draft.status, 303);

    let mut v = volunteer(&s.t, 1);
    let list = v.get("/activities?province=220000&city=220300");
    assert!(list.body.contains("玉米病虫害防治"));
    assert!(!list.body.contains("草稿活动"), "drafts are not public");
    assert!(
        !v.get("/activities?province=110000")
            .body
            .contains("玉米病虫害防治")
    );
    assert!(
        v.get("/activities?phase=%E6%8A%A5%E5%90%8D%E4%B8%AD")
            .body
            .contains("玉米病虫害防治")
    );
    assert!(
        !v.get("/activities?phase=%E6%B4%BB%E5%8A%A8%E7%BB%93%E6%9D%9F")
            .body
            .contains("玉米病虫害防治")
    );

    let page = v.get(&format!("/activities/{id}"));
    assert!(page.body.contains("剩余 30 个名额") && page.body.contains("报名中"));
    let r = v.post_form(&format!("/activities/{id}/signup"), &[]);
    assert_eq!(r.status, 303);
    assert!(
        v.get(&format!("/activities/{id}"))
            .body
            .contains("剩余 29 个名额")
    );
    let twice = v.post_form(&format!("/activities/{id}/signup"), &[]);
    assert_eq!(twice.status, 422);
    assert!(twice.body.contains("不需要重复报名"));

    let mine = v.get("/me/activities?tab=pending");
    assert!(mine.body.contains("玉米病虫害防治"));
    assert!(
        !v.get("/me/activities?tab=ended")
            .body
            .contains("玉米病虫害防治")
    );
    assert!(
        !v.get("/me/activities?q=%E5%B0%8F%E9%BA%A6")
            .body
            .contains("玉米病虫害防治")
    );
    assert!(
        v.get("/me/activities?q=%E7%8E%89%E7%B1%B3")
            .body
            .contains("玉米病虫害防治")
    );

    assert_eq!(
        v.post_form(&format!("/activities/{id}/cancel-signup"), &[])
            .status,
        303
    );
    assert!(
        v.get(&format!("/activities/{id}"))
            .body
            .contains("剩余 30 个名额")
    );
}

#[test]
fn bad_activity_input_is_refused_at_the_field() {
    let mut s = setup();
    let path = format!("/team/{}/activities/new", s.org.id);
    let ok = activity_form("好活动", "10");
    let cases = [
        (
            with(ok.clone(), "ends_at", &local(3 * 24 * 60 - 60)),
            "ends_at",
        ),
        (
            with(ok.clone(), "signup_closes", &local(4 * 24 * 60)),
            "signup_closes",
        ),
        (with(ok.clone(), "capacity", "-1"), "capacity"),
        (with(ok.clone(), "capacity", "99999999"), "capacity"),
        (with(ok.clone(), "title", "    "), "title"),
    ];
    for (form, field) in cases {
        let r = post(&mut s.admin, &path, &form);
        assert_eq!(r.status, 422, "{field}");
        assert!(error_at(&r.body, field), "no error at {field}");
    }
    // An activity outside the platform's county.
    s.t.app
        .store
        .set_setting("platform.region", "220302")
        .unwrap();
    s.t.app.reload_settings();
    let r = post(
        &mut s.admin,
        &path,
        &with(
            with(with(ok.clone(), "province", "110000"), "city", "110100"),
            "county",
            "110101",
        ),
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("铁西区"), "names the platform's county");
    assert!(
        s.t.app.store.activities().unwrap().is_empty(),
        "nothing stored"
    );
    // Another team's admin cannot publish for this team or edit its activities.
    let id = publish(&mut s, "本队活动", "10");
    s.t.add_team("13900000002", &valid_id("22030219800101001"), "别的队");
    let mut other = s.t.sign_in_by_code("13900000002");
    assert_eq!(post(&mut other, &path, &ok).status, 403);
    assert_eq!(
        post(&mut other, &format!("/activities/{id}/edit"), &ok).status,
        403
    );
    assert_eq!(other.get(&format!("/activities/{id}/roster")).status, 403);
}

#[test]
fn photos_are_checked_by_content() {
    let mut s = setup();
    let path = format!("/team/{}/activities/new", s.org.id);
    let form = activity_form("带封面的活动", "10");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    let r = s
        .admin
        .post_multipart(&path, &fields, &[("cover", "photo.jpg", &exe)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("只能上传 JPEG、PNG 或 WebP"));
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    jpeg.extend(std::iter::repeat_n(5u8, 2000));
    let truncated = jpeg.clone();
    let r = s
        .admin
        .post_multipart(&path, &fields, &[("cover", "cut.jpg", &truncated)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("不完整"));
    let huge = vec![0xFFu8; 50 * 1024 * 1024];
    let r = s
        .admin
        .post_multipart(&path, &fields, &[("cover", "big.jpg", &huge)]);
    assert_eq!(r.status, 422, "a 50 MB photo");
    assert!(r.body.contains("5 MB"));
    assert!(s.t.app.store.activities().unwrap().is_empty());
    jpeg.extend([0xFF, 0xD9]);
    let r = s
        .admin
        .post_multipart(&path, &fields, &[("cover", "ok.jpg", &jpeg)]);
    assert_eq!(r.status, 303);
    let a = &s.t.app.store.activities().unwrap()[0];
    let cover = a.cover_photo.unwrap();
    let img = s.admin.get(&format!("/photos/{cover}"));
    assert_eq!(img.header("content-type"), Some("image/jpeg"));
}

#[test]
fn waitlist_and_promotion_and_cancelled_activities() {
    let mut s = setup();
    let id = publish(&mut s, "两人小活动", "2");
    let mut a = volunteer(&s.t, 1);
    let mut b = volunteer(&s.t, 2);
    let mut c = volunteer(&s.t, 3);
    assert_eq!(
        a.post_form(&format!("/activities/{id}/signup"), &[]).status,
        303
    );
    assert_eq!(
        b.post_form(&format!("/activities/{id}/signup"), &[]).status,
        303
    );
    let full = c.get(&format!("/activities/{id}"));
    assert!(full.body.contains("加入候补"));
    let refused = c.post_form(&format!("/activities/{id}/signup"), &[]);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("名额已满"));
    assert_eq!(
        c.post_form(&format!("/activities/{id}/signup"), &[("waitlist", "yes")])
            .status,
        303
    );
    assert!(c.get(&format!("/activities/{id}")).body.contains("候补中"));
    assert_eq!(
        a.post_form(&format!("/activities/{id}/cancel-signup"), &[])
            .status,
        303
    );
    let promoted = c.get(&format!("/activities/{id}"));
    assert!(
        promoted.body.contains("已从候补转为已报名"),
        "the first waiting person sees it"
    );

    // Cancelling the activity: signed-up people see it as cancelled; no new signups.
    assert_eq!(
        s.admin
            .post_form(&format!("/activities/{id}/cancel"), &[])
            .status,
        422,
        "needs the confirmation box"
    );
    assert_eq!(
        s.admin
            .post_form(&format!("/activities/{id}/cancel"), &[("confirm", "yes")])
            .status,
        303
    );
    assert!(b.get("/me/activities").body.contains("活动已取消"));
    let late = a.post_form(&format!("/activities/{id}/signup"), &[]);
    assert_eq!(late.status, 422);
    assert!(late.body.contains("已取消"));
}

#[test]
fn signing_up_after_the_window_is_refused() {
    let mut s = setup();
    let id = publish(&mut s, "即将截止", "0");
    let mut v = volunteer(&s.t, 1);
    s.t.app
        .set_clock_skew(Duration::days(2) + Duration::minutes(5));
    let r = v.post_form(&format!("/activities/{id}/signup"), &[]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("报名已经截止"));
    assert!(
        v.get(&format!("/activities/{id}"))
            .body
            .contains("报名结束")
    );
}

#[test]
fn two_hundred_threads_for_fifty_seats() {
    let mut s = setup();
    let id = publish(&mut s, "抢名额", "50");
    let ids: Vec<Gid> = (0..200)
        .map(|n| {
            let v = s.t.add_volunteer(
                &format!("1360000{n:04}"),
                &valid_id(&format!("110101198002{n:05}")),
            );
            v.id
        })
        .collect();
    let app = s.t.app.clone();
    let barrier = Arc::new(std::sync::Barrier::new(200));
    let handles: Vec<_> = ids
        .iter()
        .map(|vid| {
            let (app, barrier, vid) = (app.clone(), barrier.clone(), *vid);
            std::thread::spawn(move || {
                barrier.wait();
                let now = app.now();
                let local = now
                    .with_timezone(&kezhi::config::default_offset())
                    .naive_local();
                app.store.sign_up(id, vid, now, local, true).unwrap()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let roster = s.t.app.store.roster(id).unwrap();
    assert_eq!(roster.len(), 200, "no duplicates, nobody lost");
    let signed: Vec<_> = roster
        .iter()
        .filter(|r| r.signup.state == SignupState::SignedUp)
        .collect();
    assert_eq!(signed.len(), 50, "exactly 50 seats taken");
    assert_eq!(
        roster
            .iter()
            .filter(|r| r.signup.state == SignupState::Waitlisted)
            .count(),
        150
    );
    let now = s.t.app.now();
    let local = now
        .with_timezone(&kezhi::config::default_offset())
        .naive_local();
    let mut promoted = Vec::new();
    for r in signed.iter().take(10) {
        let c =
            s.t.app
                .store
                .cancel_signup(id, r.volunteer.id, now, local)
                .unwrap();
        promoted.push(c.promoted.expect("a waiting person is promoted"));
    }
    promoted.sort();
    promoted.dedup();
    assert_eq!(promoted.len(), 10, "exactly 10 promoted");
    let after = s.t.app.store.roster(id).unwrap();
    assert_eq!(
        after
            .iter()
            .filter(|r| r.signup.state == SignupState::SignedUp)
            .count(),
        50
    );
    assert_eq!(
        after
            .iter()
            .filter(|r| r.signup.state == SignupState::Waitlisted)
            .count(),
        140
    );
}

#[test]
fn lowering_capacity_below_signups_asks_first_and_drops_nobody() {
    let mut s = setup();
    let id = publish(&mut s, "改人数", "5");
    for n in 1..=3 {
        let mut v = volunteer(&s.t, n);
        assert_eq!(
            v.post_form(&format!("/activities/{id}/signup"), &[]).status,
            303
        );
    }
    let form = with(activity_form("改人数", "2"), "publish", "yes");
    let ask = post(&mut s.admin, &format!("/activities/{id}/edit"), &form);
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("confirm-box") && ask.body.contains("不会被取消"));
    assert_eq!(
        s.t.app.store.activity(id).unwrap().unwrap().capacity,
        5,
        "nothing changed yet"
    );
    let ok = post(
        &mut s.admin,
        &format!("/activities/{id}/edit"),
        &with(form, "confirm", "yes"),
    );
    assert_eq!(ok.status, 303);
    assert_eq!(s.t.app.store.activity(id).unwrap().unwrap().capacity, 2);
    assert_eq!(
        s.t.app.store.signup_counts(id).unwrap().0,
        3,
        "everyone stays signed up"
    );
}

#[test]
fn roster_sheet_checkin_hours_and_overdue_flag() {
    let mut s = setup();
    let id = publish(&mut s, "签到活动", "0");
    let mut v = volunteer(&s.t, 1);
    let mut w = volunteer(&s.t, 2);
    for c in [&mut v, &mut w] {
        assert_eq!(
            c.post_form(&format!("/activities/{id}/signup"), &[]).status,
            303
        );
    }
    let roster = s.admin.get(&format!("/activities/{id}/roster"));
    assert!(roster.body.contains("13700000001") && roster.body.contains("已报名"));
    let xlsx = s.admin.get(&format!("/activities/{id}/roster.xlsx"));
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.header("content-disposition")
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let sheet = s.admin.get(&format!("/activities/{id}/sign-sheet"));
    assert!(sheet.body.contains("本人签名") && sheet.body.contains("张三"));

    // The QR code carries a token; the volunteer cannot check in before the window.
    let qr = s.admin.get(&format!("/activities/{id}/checkin-qr"));
    assert!(qr.body.contains("<svg"));
    let token = s.t.app.store.checkin_token(id).unwrap();
    let early = v.post_form(&format!("/activities/{id}/checkin"), &[("t", &token)]);
    assert_eq!(early.status, 422);
    assert!(early.body.contains("不在签到时间内"));
    let forged = v.post_form(&format!("/activities/{id}/checkin"), &[("t", "0000")]);
    assert_eq!(forged.status, 403);

    // At the activity: check in, and out 2 h 40 min later.
    s.t.app
        .set_clock_skew(Duration::days(3) + Duration::minutes(5));
    let page = v.get(&format!("/activities/{id}/checkin?t={token}"));
    assert!(page.body.contains("id=\"check-in\""));
    assert_eq!(
        v.post_form(&format!("/activities/{id}/checkin"), &[("t", &token)])
            .status,
        303
    );
    s.t.app
        .set_clock_skew(Duration::days(3) + Duration::minutes(165));
    assert_eq!(
        v.post_form(&format!("/activities/{id}/checkout"), &[("t", &token)])
            .status,
        303
    );
    // The other is marked absent by hand, then attended.
    let wid =
        s.t.app
            .store
            .volunteer_by_phone("13700000002")
            .unwrap()
            .unwrap()
            .id;
    let r = s.admin.post_form(
        &format!("/activities/{id}/attendance"),
        &[("volunteer", &wid.to_string()), ("attended", "yes")],
    );
    assert_eq!(r.status, 303);

    // Hours: bad values refused, good ones stored; corrections keep who and when.
    let vid =
        s.t.app
            .store
            .volunteer_by_phone("13700000001")
            .unwrap()
            .unwrap()
            .id;
    let hv = format!("hours_{vid}");
    let hw = format!("hours_{wid}");
    // 49 h is over the limit even when the three-hour activity crosses local midnight
    // (two calendar days, 48 h), which it does when the tests run late in the evening.
    for bad in ["-1", "49", "2.3"] {
        let r = s.admin.post_form(
            &format!("/activities/{id}/hours"),
            &[(&hv, bad), (&hw, "3")],
        );
        assert_eq!(r.status, 422, "{bad}");
    }
    assert!(
        s.t.app
            .store
            .signup(id, wid)
            .unwrap()
            .unwrap()
            .half_hours
            .is_none(),
        "nothing stored from a rejected form"
    );
    let roster = s.admin.get(&format!("/activities/{id}/roster"));
    assert!(
        roster.body.contains("value=\"2.5\""),
        "default from check-in/out (2 h 40 min → 2.5 h)"
    );
    assert_eq!(
        s.admin
            .post_form(
                &format!("/activities/{id}/hours"),
                &[(&hv, "2.5"), (&hw, "3")]
            )
            .status,
        303
    );
    assert_eq!(
        s.admin
            .post_form(
                &format!("/activities/{id}/hours"),
                &[(&hv, "2"), (&hw, "3")]
            )
            .status,
        303
    );
    let sv = s.t.app.store.signup(id, vid).unwrap().unwrap();
    assert_eq!(sv.half_hours, Some(4));
    assert_eq!(sv.corrections.len(), 1);
    assert!(sv.corrections[0].by.contains("139****0001"));

    // Overdue: another activity ends with nobody's hours recorded.
    s.t.app.set_clock_skew(Duration::zero());
    let late = publish(&mut s, "没记时长的活动", "0");
    let mut x = volunteer(&s.t, 3);
    x.post_form(&format!("/activities/{late}/signup"), &[]);
    s.t.app.set_clock_skew(Duration::days(25));
    // Sessions last 7 days: sign in again in the future.
    let mut admin = s.t.sign_in_by_code("13900000001");
    let list = admin.get(&format!("/team/{}/activities", s.org.id));
    assert!(list.body.contains("overdue-warning") && list.body.contains("时长未记录"));
}

#[test]
fn report_record_certificate_and_verification() {
    let mut s = setup();
    let id = publish(&mut s, "科普讲座", "0");
    let mut v = volunteer(&s.t, 1);
    v.post_form(&format!("/activities/{id}/signup"), &[]);
    s.t.app
        .set_clock_skew(Duration::days(3) + Duration::minutes(200));
    let vid =
        s.t.app
            .store
            .volunteer_by_phone("13700000001")
            .unwrap()
            .unwrap()
            .id;
    s.admin.post_form(
        &format!("/activities/{id}/attendance"),
        &[("volunteer", &vid.to_string()), ("attended", "yes")],
    );
    s.admin.post_form(
        &format!("/activities/{id}/hours"),
        &[(&format!("hours_{vid}"), "3")],
    );

    let png = {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(std::iter::repeat_n(1u8, 40));
        p.extend([0, 0, 0, 0]);
        p.extend(b"IEND");
        p.extend([0xAE, 0x42, 0x60, 0x82]);
        p
    };
    let many: Vec<(&str, &str, &[u8])> = (0..10)
        .map(|_| ("photos", "p.png", png.as_slice()))
        .collect();
    let r = s.admin.post_multipart(
        &format!("/activities/{id}/report"),
        &[("text", "讲座很成功")],
        &many,
    );
    assert_eq!(r.status, 422, "ten photos are too many");
    let r = s.admin.post_multipart(
        &format!("/activities/{id}/report"),
        &[("text", "讲座很成功，村民提问踊跃。")],
        &many[..2],
    );
    assert_eq!(r.status, 303);
    let page = v.get(&format!("/activities/{id}"));
    assert!(
        page.body.contains("活动报道")
            && page.body.contains("村民提问踊跃")
            && page.body.contains("/photos/")
    );
    assert_eq!(
        v.post_multipart(&format!("/activities/{id}/report"), &[("text", "x")], &[])
            .status,
        403
    );

    let record = v.get("/me/record");
    assert!(record.body.contains("科普讲座") && record.body.contains("<strong>3</strong>"));
    let issued = v.post_form("/me/certificate", &[]);
    assert_eq!(issued.status, 303);
    let cert_path = issued.header("location").unwrap().to_string();
    let cert = v.get(&cert_path);
    assert!(cert.body.contains("志愿服务记录证明") && cert.body.contains("记录单位"));
    assert!(cert.body.contains("110***"), "masked ID number");
    let number = cert_path.trim_start_matches("/certificates/");
    let mut anyone = s.t.client();
    let ok = anyone.get(&format!("/verify/{number}"));
    assert!(ok.body.contains("真实有效") && ok.body.contains("张三") && ok.body.contains("3 小时"));
    assert!(
        !ok.body.contains("110101"),
        "no ID number on the verification page"
    );
    assert_eq!(anyone.get("/verify/KZ000").status, 404);
    assert_eq!(
        anyone.get(&cert_path).status,
        403,
        "certificates are private"
    );
}
