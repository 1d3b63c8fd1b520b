//! Kept pages (`web::page_cache`) are exactly what rendering would give: a change shows at
//! once, a page never reaches another viewer or outlives its session, each browser sees
//! its own CSRF token, and a one-shot message is shown once.

mod common;
use common::*;

use chrono::{Duration, Utc};
use kezhi::domain::activity::{Activity, ActivityState};
use kezhi::domain::ids::Gid;

fn published(t: &TestApp, team: Gid, title: &str, capacity: u32) -> Activity {
    let now = Utc::now()
        .with_timezone(&kezhi::config::default_offset())
        .naive_local();
    let a = Activity {
        id: Gid::new(),
        origin: t.app.store.installation_id(),
        team,
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
        capacity,
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

#[test]
fn a_change_shows_at_once_on_every_kept_page() {
    let t = TestApp::start();
    let mut admin = t.admin();
    admin.get("/admin"); // shows and clears the one-shot "set up" message
    let first = admin.get("/admin/volunteers");
    assert_eq!(first.status, 200);
    let hits = t.app.pages.hits();
    let again = admin.get("/admin/volunteers");
    assert_eq!(
        again.body, first.body,
        "the same page while nothing changed"
    );
    assert_eq!(t.app.pages.hits(), hits + 1, "served from the kept page");

    // A write through the store (as an import or another phone's registration would).
    let mut v = t.add_volunteer("13912345678", &valid_id("22030219800101001"));
    let after = admin.get("/admin/volunteers");
    assert!(after.body.contains("张三"), "the new volunteer is listed");
    assert_ne!(after.body, first.body);

    // An edit of that volunteer, then the public lists and the home page.
    v.real_name = "李四".into();
    t.app.store.update_volunteer(&v).unwrap();
    assert!(admin.get("/admin/volunteers").body.contains("李四"));

    let mut visitor = t.client();
    let teams = visitor.get("/teams");
    assert_eq!(teams.status, 200);
    assert!(!teams.body.contains("红星服务队"));
    let team = t.add_team("13900000009", &valid_id("22030219750328001"), "红星服务队");
    assert!(visitor.get("/teams").body.contains("红星服务队"));

    let list = visitor.get("/activities");
    assert!(!list.body.contains("玉米讲座"));
    let a = published(&t, team.id, "玉米讲座", 2);
    assert!(visitor.get("/activities").body.contains("玉米讲座"));
    let page = visitor.get(&format!("/activities/{}", a.id));
    assert!(page.body.contains("玉米讲座"));
}

#[test]
fn a_kept_page_never_reaches_another_viewer() {
    let t = TestApp::start();
    let mut admin = t.admin();
    t.add_volunteer("13912345678", &valid_id("22030219800101001"));
    let page = admin.get("/admin/volunteers");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("王管理"),
        "the admin's name in the frame"
    );

    let mut visitor = t.client();
    let theirs = visitor.get("/admin/volunteers");
    assert_ne!(theirs.status, 200, "{}", theirs.body);
    assert!(!theirs.body.contains("王管理"));

    let mut volunteer = t.sign_in_by_code("13912345678");
    let theirs = volunteer.get("/admin/volunteers");
    assert_ne!(theirs.status, 200);

    // Signed out: the old session cookie gets nothing kept for it.
    let token = admin.cookies.get("kz_session").cloned().unwrap();
    assert_eq!(admin.post_form("/logout", &[]).status, 303);
    let mut replay = t.client();
    replay.cookies.insert("kz_session".into(), token);
    let r = replay.get("/admin/volunteers");
    assert_ne!(r.status, 200, "a signed-out session sees no admin page");
    assert!(!r.body.contains("王管理"));
}

#[test]
fn each_browser_gets_its_own_csrf_token_on_a_kept_page() {
    let t = TestApp::start();
    let team = t.add_team("13900000009", &valid_id("22030219750328001"), "红星服务队");
    let a = published(&t, team.id, "玉米讲座", 5);
    t.add_volunteer("13912345678", &valid_id("22030219800101001"));
    let mut one = t.sign_in_by_code("13912345678");
    let path = format!("/activities/{}", a.id);
    one.get("/me"); // shows and clears the one-shot "signed in" message
    let page = one.get(&path);
    let mine = one.cookies.get("kz_csrf").cloned().unwrap();
    assert!(
        page.body.contains(&mine),
        "the signup form carries my token"
    );

    // The same session from a browser with another CSRF cookie (a second tab after the
    // cookie was cleared, or someone who copied the session).
    let mut other = t.client();
    other.cookies = one.cookies.clone();
    let theirs = "c".repeat(64);
    other.cookies.insert("kz_csrf".into(), theirs.clone());
    let hits = t.app.pages.hits();
    let their_page = other.get(&path);
    assert_eq!(t.app.pages.hits(), hits + 1, "served from the kept page");
    assert_eq!(their_page.status, 200);
    assert!(their_page.body.contains(&theirs));
    assert!(
        !their_page.body.contains(&mine),
        "never another browser's token"
    );
    assert_eq!(their_page.body.replace(&theirs, &mine), page.body);

    // Without a CSRF cookie a fresh one is issued and used in the page.
    let mut bare = t.client();
    bare.cookies.insert(
        "kz_session".into(),
        one.cookies.get("kz_session").cloned().unwrap(),
    );
    let r = bare.get(&path);
    let issued = bare.cookies.get("kz_csrf").cloned().expect("a CSRF cookie");
    assert!(r.body.contains(&issued));
    assert!(!r.body.contains(&mine));

    // And the token in a kept page works: sign up with it.
    let r = other.post_form(&format!("{path}/signup"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        one.get(&path).body.contains("my-signup"),
        "the page follows the signup"
    );
}

#[test]
fn a_one_shot_message_is_shown_once() {
    let t = TestApp::start();
    t.add_volunteer("13912345678", &valid_id("22030219800101001"));
    let mut c = t.sign_in_by_code("13912345678");
    c.get("/");
    let r = c.post_form("/logout", &[]);
    assert_eq!(r.status, 303);
    let shown = c.get("/");
    assert!(shown.body.contains("已退出登录"), "{}", shown.body);
    assert!(!c.get("/").body.contains("已退出登录"));
    assert!(!c.get("/").body.contains("已退出登录"));
}

#[test]
fn pages_follow_the_clock() {
    let t = TestApp::start();
    let team = t.add_team("13900000009", &valid_id("22030219750328001"), "红星服务队");
    let a = published(&t, team.id, "玉米讲座", 5);
    let mut visitor = t.client();
    let path = format!("/activities/{}", a.id);
    let before = visitor.get(&path);
    assert!(before.body.contains("报名中"), "{}", before.body);
    // Two days later the activity has started: the kept page must not say 报名中.
    t.app.set_clock_skew(Duration::days(2) + Duration::hours(1));
    let later = visitor.get(&path);
    assert!(!later.body.contains("报名中"));
}

#[test]
fn a_hard_reload_is_rendered_afresh() {
    let t = TestApp::start();
    let mut visitor = t.client();
    visitor.get("/teams");
    let hits = t.app.pages.hits();
    let r = visitor.get_with("/teams", &[("Cache-Control", "no-cache")]);
    assert_eq!(r.status, 200);
    let r2 = visitor.get_with("/teams", &[("Pragma", "no-cache")]);
    assert_eq!(r2.body, r.body);
    assert_eq!(
        t.app.pages.hits(),
        hits,
        "nothing served from the kept pages"
    );
    visitor.get("/teams");
    assert_eq!(t.app.pages.hits(), hits + 1);
}
