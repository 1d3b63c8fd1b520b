//! The authorisation matrix: every route of the router (`handlers::ROUTES`) asked by each
//! kind of visitor, against the status written down for it below. A route added to the
//! router without a row here fails, and so does a row whose statuses change.
//!
//! The kinds of visitor (the columns, in this order):
//! visitor (not signed in), volunteer (in no team), another team's admin, the team's own
//! admin, the admin of a team still 待审核 (acting on that team), the admin of a suspended
//! team (acting on that team), platform admin.
//!
//! Every request comes from a fresh session, so a sign-out or a role change in one cell
//! cannot leak into the next; POSTs carry a valid CSRF token and an empty form, and any
//! answer other than a success (2xx/3xx away from the sign-in page) must leave the
//! changes log exactly as it was. A 303 to a sign-in page is written as 401 (the
//! transport never sends 401), so that "sent to sign in" differs from "done, 303". Set `KEZHI_AUTHZ_PRINT=1` to print the observed table
//! in the format below, to copy rows from after checking every cell by hand.

mod common;

use common::{Client, TestApp, valid_id};
use kezhi::domain::account::{Session, Subject};
use kezhi::domain::demand::{Demand, DemandState};
use kezhi::domain::ids::Gid;
use kezhi::domain::people::TeamStatus;
use kezhi::domain::record::Photo;
use kezhi::domain::regions::RegionPath;
use kezhi::web::ROUTES;

const PERSONAS: [&str; 7] = [
    "visitor",
    "volunteer",
    "other team admin",
    "own team admin",
    "pending team admin",
    "suspended team admin",
    "platform admin",
];

/// (method, pattern, status for each persona in `PERSONAS` order).
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, [u16; 7])] = &[
    // visitor, volunteer, other team's admin, own team's admin, pending team's admin,
    // suspended team's admin, platform admin. 401 = sent to a sign-in page.
    ("GET", "/", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/join", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/links", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/links/{slug}", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/stats", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/admin/stats", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/desk", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/desk", [403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/desk/verify", [403, 403, 403, 403, 403, 403, 400]),
    ("POST", "/admin/desk/register", [403, 403, 403, 403, 403, 403, 422]),
    ("GET", "/stats.xlsx", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/join/qr.svg", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/regions", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/agreement", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/setup", [401, 401, 401, 401, 401, 401, 401]),
    ("POST", "/setup", [401, 401, 401, 401, 401, 401, 401]),
    ("POST", "/logout", [303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/login", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/login/code", [422, 422, 422, 422, 422, 422, 422]),
    ("GET", "/login/verify", [400, 400, 400, 400, 400, 400, 400]),
    ("POST", "/login/verify", [400, 400, 400, 400, 400, 400, 400]),
    ("GET", "/login/password", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/login/password", [422, 422, 422, 422, 422, 422, 422]),
    ("GET", "/register/volunteer", [401, 303, 303, 303, 303, 303, 403]),
    ("POST", "/register/volunteer", [401, 303, 303, 303, 303, 303, 403]),
    ("GET", "/register/team", [401, 200, 200, 200, 200, 200, 403]),
    ("POST", "/register/team", [401, 422, 422, 422, 422, 422, 403]),
    ("POST", "/register/team/admin", [401, 303, 303, 303, 303, 303, 403]),
    ("GET", "/me", [401, 200, 200, 200, 200, 200, 303]),
    ("GET", "/me/edit", [401, 200, 200, 200, 200, 200, 303]),
    ("POST", "/me/edit", [401, 422, 422, 422, 422, 422, 303]),
    ("GET", "/me/confirm", [401, 303, 303, 303, 303, 303, 303]),
    ("POST", "/me/confirm", [401, 303, 303, 303, 303, 303, 303]),
    ("GET", "/me/phone", [401, 200, 200, 200, 200, 200, 303]),
    ("POST", "/me/phone", [401, 422, 422, 422, 422, 422, 303]),
    ("POST", "/me/phone/verify", [401, 400, 400, 400, 400, 400, 303]),
    ("GET", "/me/password", [401, 200, 200, 200, 200, 200, 303]),
    ("POST", "/me/password", [401, 422, 422, 422, 422, 422, 303]),
    ("POST", "/me/showcase-consent", [401, 303, 303, 303, 303, 303, 303]),
    ("POST", "/admin/featured", [403, 403, 403, 403, 403, 403, 400]),
    ("POST", "/me/teams/{team}/leave", [401, 303, 404, 422, 422, 422, 303]),
    ("POST", "/me/teams/{team}/accept", [401, 422, 404, 422, 422, 422, 303]),
    ("POST", "/me/teams/{team}/decline", [401, 422, 404, 422, 422, 422, 303]),
    ("GET", "/teams", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/teams/{team}", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/teams/{team}/apply", [401, 303, 303, 422, 422, 422, 401]),
    ("GET", "/team", [403, 303, 303, 303, 303, 303, 403]),
    ("GET", "/team/activities", [403, 403, 303, 303, 303, 303, 403]),
    ("GET", "/team/activities/new", [403, 403, 303, 303, 303, 403, 403]),
    ("GET", "/team/{team}", [403, 403, 403, 200, 200, 403, 403]),
    ("GET", "/team/{team}/edit", [403, 403, 403, 200, 200, 403, 403]),
    ("POST", "/team/{team}/edit", [403, 403, 403, 422, 422, 403, 403]),
    ("GET", "/team/{team}/members", [403, 403, 403, 200, 403, 403, 403]),
    ("POST", "/team/{team}/members/add", [403, 403, 403, 422, 403, 403, 403]),
    ("POST", "/team/{team}/members/invite", [403, 403, 403, 400, 403, 403, 403]),
    ("GET", "/team/{team}/members/new", [403, 403, 403, 200, 403, 403, 403]),
    ("POST", "/team/{team}/members/new", [403, 403, 403, 422, 403, 403, 403]),
    ("POST", "/team/{team}/members/{volunteer}/approve", [403, 403, 403, 303, 403, 403, 403]),
    ("POST", "/team/{team}/members/{volunteer}/reject", [403, 403, 403, 422, 403, 403, 403]),
    ("GET", "/activities", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/activities/{activity}", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/activities/{activity}/signup", [401, 303, 303, 303, 404, 404, 401]),
    ("POST", "/activities/{activity}/cancel-signup", [403, 303, 303, 303, 404, 404, 403]),
    ("GET", "/activities/{activity}/edit", [403, 403, 403, 200, 200, 403, 200]),
    ("POST", "/activities/{activity}/edit", [403, 403, 403, 422, 422, 403, 422]),
    ("POST", "/activities/{activity}/cancel", [403, 403, 403, 422, 403, 403, 422]),
    ("GET", "/activities/{activity}/roster", [403, 403, 403, 200, 403, 403, 200]),
    ("GET", "/activities/{activity}/roster.xlsx", [403, 403, 403, 200, 403, 403, 200]),
    ("GET", "/activities/{activity}/sign-sheet", [403, 403, 403, 200, 403, 403, 200]),
    ("GET", "/activities/{activity}/checkin-qr", [403, 403, 403, 200, 403, 403, 200]),
    ("GET", "/activities/{activity}/checkin", [401, 403, 403, 403, 403, 403, 401]),
    ("POST", "/activities/{activity}/checkin", [403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/activities/{activity}/checkout", [403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/activities/{activity}/attendance", [403, 403, 403, 400, 403, 403, 400]),
    ("POST", "/activities/{activity}/hours", [403, 403, 403, 303, 403, 403, 303]),
    ("GET", "/activities/{activity}/report", [403, 403, 403, 200, 403, 403, 200]),
    ("POST", "/activities/{activity}/report", [403, 403, 403, 422, 403, 403, 422]),
    ("GET", "/photos/{photo}", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/team/{team}/activities", [403, 403, 403, 200, 200, 403, 200]),
    ("GET", "/team/{team}/activities/new", [403, 403, 403, 200, 200, 403, 200]),
    ("POST", "/team/{team}/activities/new", [403, 403, 403, 422, 422, 403, 422]),
    ("GET", "/me/activities", [403, 200, 200, 200, 200, 200, 403]),
    ("GET", "/me/record", [403, 200, 200, 200, 200, 200, 403]),
    ("POST", "/me/certificate", [403, 422, 422, 422, 422, 422, 403]),
    ("GET", "/certificates/{number}", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/verify/{number}", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/templates/teams.xlsx", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/templates/volunteers.xlsx", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/demands/new", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/demands/new", [422, 422, 422, 422, 422, 422, 422]),
    ("GET", "/demands/status", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/demands/submitted", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/demands", [403, 403, 200, 200, 403, 403, 200]),
    ("GET", "/demands/{demand}", [403, 403, 200, 200, 403, 403, 200]),
    ("POST", "/demands/{demand}/take", [403, 403, 400, 400, 403, 403, 400]),
    ("POST", "/demands/{demand}/done", [403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/export", [403, 403, 200, 200, 403, 403, 200]),
    ("POST", "/admin/export", [403, 403, 403, 403, 403, 403, 400]),
    ("POST", "/admin/export/bundle", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/merge", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/merge", [403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/merge/confirm", [403, 403, 403, 403, 403, 403, 422]),
    ("GET", "/admin/merge/conflicts/{conflict}", [403, 403, 403, 403, 403, 403, 404]),
    ("POST", "/admin/merge/conflicts/{conflict}", [403, 403, 403, 403, 403, 403, 400]),
    ("GET", "/admin/sync", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/sync/code", [403, 403, 403, 403, 403, 403, 303]),
    ("POST", "/admin/sync/pair", [403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/sync/run", [403, 403, 403, 403, 403, 403, 422]),
    ("GET", "/admin/sync/runs/{job}", [403, 403, 403, 403, 403, 403, 404]),
    ("POST", "/admin/sync/peers/{peer}/remove", [403, 403, 403, 403, 403, 403, 404]),
    ("POST", "/team/{team}/export", [403, 403, 403, 200, 403, 403, 403]),
    ("GET", "/import", [403, 403, 200, 200, 403, 403, 200]),
    ("POST", "/import", [403, 403, 400, 400, 403, 403, 400]),
    ("GET", "/import/{job}", [404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/import/{job}/commit", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/import/{job}/errors.xlsx", [404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/admin/login", [200, 200, 200, 200, 200, 200, 303]),
    ("POST", "/admin/login", [422, 422, 422, 422, 422, 422, 422]),
    ("GET", "/admin", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/outbox", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/audit", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/audit.xlsx", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/admins", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/admins", [403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/password", [403, 403, 403, 403, 403, 403, 422]),
    ("GET", "/admin/settings", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/settings", [403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/backup", [403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/admin/volunteers", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/volunteers/{volunteer}", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/volunteers/{volunteer}/unmask", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/volunteers/{volunteer}/id-number", [403, 403, 403, 403, 403, 403, 422]),
    ("GET", "/admin/teams", [403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/teams/{team}", [403, 403, 403, 403, 403, 403, 200]),
    ("POST", "/admin/teams/{team}/status", [403, 403, 403, 403, 403, 403, 400]),
];

/// The store as seen from the ids a path can name, for one persona.
struct Subjects {
    team: Gid,
    activity: Gid,
    volunteer: Gid,
}

struct World {
    t: TestApp,
    /// The session subject of each persona (`None`: not signed in).
    subjects: [Option<Subject>; 7],
    /// What `{team}`, `{activity}` and `{volunteer}` name for each persona.
    targets: Vec<Subjects>,
    photo: Gid,
    demand: Gid,
}

fn local(offset_minutes: i64) -> String {
    let t = chrono::Utc::now().with_timezone(&kezhi::config::default_offset())
        + chrono::Duration::minutes(offset_minutes);
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// A team's admin creates an activity through the page; its id.
fn activity(t: &TestApp, admin: &mut Client, team: Gid, publish: bool) -> Gid {
    let (opens, closes, starts, ends) = (
        local(-60),
        local(2 * 24 * 60),
        local(3 * 24 * 60),
        local(3 * 24 * 60 + 180),
    );
    let mut form = vec![
        ("title", "玉米病虫害防治讲座"),
        ("service_category", "农技服务"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("address", "铁西区某某村村委会"),
        ("description", "玉米病虫害防治现场讲解"),
        ("contact_name", "孙强"),
        ("contact_phone", "13900000001"),
        ("capacity", "10"),
        ("signup_opens", &opens),
        ("signup_closes", &closes),
        ("starts_at", &starts),
        ("ends_at", &ends),
    ];
    if publish {
        form.push(("publish", "yes"));
    }
    let r = admin.post_form(&format!("/team/{team}/activities/new"), &form);
    assert_eq!(r.status, 303, "{}", r.body);
    t.app.store.activities_of(team).unwrap()[0].id
}

fn world() -> World {
    let t = TestApp::start();
    t.admin();
    let admin = t.app.store.admin_by_username("admin").unwrap().unwrap();
    let volunteer = t.add_volunteer("13900000015", &valid_id("22030219800101001"));
    let a = t.add_team("13900000011", &valid_id("22030219800101002"), "甲队");
    let b = t.add_team("13900000012", &valid_id("22030219800101003"), "乙队");
    let p = t.add_team("13900000013", &valid_id("22030219800101004"), "丙队");
    let s = t.add_team("13900000014", &valid_id("22030219800101005"), "丁队");
    let admin_of = |phone: &str| t.app.store.volunteer_by_phone(phone).unwrap().unwrap().id;
    let mut acts = Vec::new();
    for (team, phone) in [
        (a.id, "13900000011"),
        (p.id, "13900000013"),
        (s.id, "13900000014"),
    ] {
        let mut c = t.sign_in_by_code(phone);
        acts.push(activity(&t, &mut c, team, true));
        t.app
            .store
            .apply_to_team(volunteer.id, team, chrono::Utc::now())
            .unwrap();
    }
    for (org, status) in [(&p, TeamStatus::PendingReview), (&s, TeamStatus::Suspended)] {
        let mut o = org.clone();
        o.status = status;
        t.app.store.update_team(&o).unwrap();
    }
    let photo = Photo {
        id: Gid::new(),
        mime: "image/png".into(),
        bytes: b"\x89PNG\r\n\x1a\n".to_vec(),
        created_at: chrono::Utc::now(),
    };
    t.app.store.insert_photo(&photo).unwrap();
    let now = chrono::Utc::now();
    let demand = Demand {
        id: Gid::new(),
        origin: t.app.store.installation_id(),
        number: "XQ12345678".into(),
        requester_kind: "村委会".into(),
        requester_name: "某某村村委会".into(),
        contact_name: "王主任".into(),
        contact_phone: "13904341234".into(),
        region: RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220302".into()),
        },
        categories: vec!["农技服务".into()],
        text: "请来讲玉米病虫害防治".into(),
        wanted_when: "12月上旬".into(),
        state: DemandState::Open,
        taken_by: None,
        activity: None,
        created_at: now,
        updated_at: now,
    };
    t.app.store.save_demand(&demand).unwrap();
    let on = |team: Gid, activity: Gid| Subjects {
        team,
        activity,
        volunteer: volunteer.id,
    };
    let targets = vec![
        on(a.id, acts[0]),
        on(a.id, acts[0]),
        on(a.id, acts[0]),
        on(a.id, acts[0]),
        on(p.id, acts[1]),
        on(s.id, acts[2]),
        on(a.id, acts[0]),
    ];
    let subjects = [
        None,
        Some(Subject::Volunteer(volunteer.id)),
        Some(Subject::Volunteer(admin_of("13900000012"))),
        Some(Subject::Volunteer(admin_of("13900000011"))),
        Some(Subject::Volunteer(admin_of("13900000013"))),
        Some(Subject::Volunteer(admin_of("13900000014"))),
        Some(Subject::Admin(admin.id)),
    ];
    let _ = b;
    World {
        t,
        subjects,
        targets,
        photo: photo.id,
        demand: demand.id,
    }
}

impl World {
    /// A browser with its own new session for persona `n` and a CSRF cookie.
    fn client(&self, n: usize) -> Client {
        let mut c = self.t.client();
        let csrf = kezhi::domain::secret::token();
        c.cookies.insert("kz_csrf".into(), csrf);
        if let Some(subject) = &self.subjects[n] {
            let token = kezhi::domain::secret::token();
            let now = chrono::Utc::now();
            self.t
                .app
                .store
                .insert_session(
                    &token,
                    &Session {
                        subject: subject.clone(),
                        created_at: now,
                        expires_at: now + chrono::Duration::hours(1),
                    },
                )
                .unwrap();
            c.cookies.insert("kz_session".into(), token);
        }
        c
    }

    fn path(&self, pattern: &str, n: usize) -> String {
        let s = &self.targets[n];
        pattern
            .split('/')
            .map(|seg| match seg {
                "{team}" => s.team.to_string(),
                "{activity}" => s.activity.to_string(),
                "{volunteer}" => s.volunteer.to_string(),
                "{photo}" => self.photo.to_string(),
                "{demand}" => self.demand.to_string(),
                "{conflict}" | "{peer}" => Gid::new().to_string(),
                "{job}" => "0190f3a27b1c".into(),
                "{slug}" => "zhinan".into(),
                "{number}" => "KZ0000000000".into(),
                other => {
                    assert!(!other.starts_with('{'), "no sample for {other}: add one");
                    other.into()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[test]
fn every_route_answers_each_kind_of_visitor_as_written_down() {
    let w = world();
    let mut observed = Vec::new();
    let mut problems = Vec::new();
    for (method, pattern) in ROUTES {
        let mut row = [0u16; 7];
        for (n, status) in row.iter_mut().enumerate() {
            let path = w.path(pattern, n);
            let mut c = w.client(n);
            let before = w.t.app.store.last_change().unwrap();
            let r = if *method == "POST" {
                c.post_form(&path, &[])
            } else {
                c.get(&path)
            };
            let to_sign_in = r.status == 303
                && r.header("location")
                    .is_some_and(|l| l.starts_with("/login") || l.starts_with("/admin/login"));
            // Sent to sign in is written 401, to tell it apart from a 303 after a write.
            *status = if to_sign_in { 401 } else { r.status };
            let accepted = (200..400).contains(status);
            let after = w.t.app.store.last_change().unwrap();
            if !accepted && after != before {
                problems.push(format!(
                    "{method} {pattern} as {}: refused with {} but the store changed",
                    PERSONAS[n], r.status
                ));
            }
        }
        observed.push(format!("    (\"{method}\", \"{pattern}\", {row:?}),"));
        match EXPECTED
            .iter()
            .find(|(m, p, _)| m == method && p == pattern)
        {
            None => problems.push(format!(
                "{method} {pattern} has no row in EXPECTED; observed {row:?} \
                 (columns: {PERSONAS:?})"
            )),
            Some((_, _, want)) if *want != row => {
                for n in 0..7 {
                    if want[n] != row[n] {
                        problems.push(format!(
                            "{method} {pattern} as {}: expected {}, got {}",
                            PERSONAS[n], want[n], row[n]
                        ));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for (m, p, _) in EXPECTED {
        if !ROUTES.contains(&(*m, *p)) {
            problems.push(format!("EXPECTED has {m} {p}, which the router lacks"));
        }
    }
    if std::env::var_os("KEZHI_AUTHZ_PRINT").is_some() {
        println!("{}", observed.join("\n"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let check = w.t.app.store.check().unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}
