//! The route table and one small module per area. Each handler is
//! load → validate → write → redirect (or re-render the form with 422).
//!
//! Adding a route takes three edits, and tests catch each one forgotten:
//! 1. an arm in the `match` of [`route`];
//! 2. its (method, pattern) in [`ROUTES`], in the same place — `route_list_matches_the_match`
//!    reads this file's arms and fails on any arm missing from the list (or the reverse),
//!    and `every_listed_route_is_served` sends each pattern (with sample ids) through
//!    `route` and fails if it falls through to the 404 arm;
//! 3. a row in `tests/authz.rs` with the status each kind of visitor gets; that test
//!    walks [`ROUTES`] and fails on a route without a row.

mod account;
mod activities;
mod admin;
mod admin_people;
mod codes;
mod demands;
mod desk;
mod export;
mod forms;
mod import;
mod login;
mod merge;
mod public;
mod register;
mod respond;
mod setup;
pub mod sync;
mod teams;

use super::App;
use super::auth::{Ctx, Viewer};
use crate::domain::attendance::Scan;
use crate::domain::ids::Gid;
use crate::error::AppError;

use rouille::{Request, Response};

/// Paths a volunteer whose record was entered by others may use before confirming it.
const BEFORE_CONFIRMATION: &[&str] = &["/me/confirm", "/logout", "/agreement", "/api/regions"];

/// Who may send a body larger than an ordinary form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploader {
    PlatformAdmin,
    /// A platform admin, or a volunteer who administers a team in good standing.
    Manager,
    /// A platform admin, or the admin of a team that may at least prepare drafts (a team
    /// under review drafts activities with their cover photos).
    Preparer,
}

/// Uploads: nine 5 MB report photos, or a 40 MB spreadsheet or bundle, with room to spare
/// so that a somewhat larger file still reaches the handler, which drains it and explains
/// the limit in words (the tests send 45 MB and 50 MB files for that).
pub const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// The hours form lists every attendee (~50 bytes each) and an activity may take 10,000.
pub const ROSTER_BODY_LIMIT: usize = 1024 * 1024;

/// Routes whose bodies may exceed an ordinary form, with who may send them and how much.
/// The transport asks before any of the body is read (see `web::body_policy`), so this
/// looks at the method and path alone; keep it in step with the route table below.
pub fn large_body(method: &str, path: &str) -> Option<(Uploader, usize)> {
    if method != "POST" {
        return None;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let upload = |who| Some((who, UPLOAD_BODY_LIMIT));
    match segments.as_slice() {
        ["import"] => upload(Uploader::Manager),
        ["admin", "merge"] => upload(Uploader::PlatformAdmin),
        ["activities", _, "report"] => upload(Uploader::Manager),
        // `/org/...` is the address before the rename, still posted by an open old page.
        ["activities", _, "edit"] | ["team" | "org", _, "activities", "new"] => {
            upload(Uploader::Preparer)
        }
        ["activities", _, "hours"] => Some((Uploader::Manager, ROSTER_BODY_LIMIT)),
        _ => None,
    }
}

/// Every route of [`route`], as (method, pattern); a `{name}` segment stands for one path
/// segment (an id, a slug or a number). Keep it in step with the `match` below, one entry
/// per arm in the same order: the unit tests fail on an arm missing here or an entry that
/// no arm serves, and `tests/authz.rs` fails on an entry without an expected status for
/// each kind of visitor.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/join"),
    ("GET", "/links"),
    ("GET", "/links/{slug}"),
    ("GET", "/stats"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/desk"),
    ("POST", "/admin/desk"),
    ("POST", "/admin/desk/verify"),
    ("POST", "/admin/desk/register"),
    ("GET", "/stats.xlsx"),
    ("GET", "/join/qr.svg"),
    ("GET", "/api/regions"),
    ("GET", "/agreement"),
    ("GET", "/setup"),
    ("POST", "/setup"),
    ("POST", "/logout"),
    ("GET", "/login"),
    ("POST", "/login/code"),
    ("GET", "/login/verify"),
    ("POST", "/login/verify"),
    ("GET", "/login/password"),
    ("POST", "/login/password"),
    ("GET", "/register/volunteer"),
    ("POST", "/register/volunteer"),
    ("GET", "/register/team"),
    ("POST", "/register/team"),
    ("POST", "/register/team/admin"),
    ("GET", "/me"),
    ("GET", "/me/edit"),
    ("POST", "/me/edit"),
    ("GET", "/me/confirm"),
    ("POST", "/me/confirm"),
    ("GET", "/me/phone"),
    ("POST", "/me/phone"),
    ("POST", "/me/phone/verify"),
    ("GET", "/me/password"),
    ("POST", "/me/password"),
    ("POST", "/me/showcase-consent"),
    ("POST", "/admin/featured"),
    ("POST", "/me/teams/{team}/leave"),
    ("POST", "/me/teams/{team}/accept"),
    ("POST", "/me/teams/{team}/decline"),
    ("GET", "/teams"),
    ("GET", "/teams/{team}"),
    ("POST", "/teams/{team}/apply"),
    ("GET", "/team"),
    ("GET", "/team/activities"),
    ("GET", "/team/activities/new"),
    ("GET", "/team/{team}"),
    ("GET", "/team/{team}/edit"),
    ("POST", "/team/{team}/edit"),
    ("GET", "/team/{team}/members"),
    ("POST", "/team/{team}/members/add"),
    ("POST", "/team/{team}/members/invite"),
    ("GET", "/team/{team}/members/new"),
    ("POST", "/team/{team}/members/new"),
    ("POST", "/team/{team}/members/{volunteer}/approve"),
    ("POST", "/team/{team}/members/{volunteer}/reject"),
    ("GET", "/activities"),
    ("GET", "/activities/{activity}"),
    ("POST", "/activities/{activity}/signup"),
    ("POST", "/activities/{activity}/cancel-signup"),
    ("GET", "/activities/{activity}/edit"),
    ("POST", "/activities/{activity}/edit"),
    ("POST", "/activities/{activity}/cancel"),
    ("GET", "/activities/{activity}/roster"),
    ("GET", "/activities/{activity}/roster.xlsx"),
    ("GET", "/activities/{activity}/sign-sheet"),
    ("GET", "/activities/{activity}/checkin-qr"),
    ("GET", "/activities/{activity}/checkin"),
    ("POST", "/activities/{activity}/checkin"),
    ("POST", "/activities/{activity}/checkout"),
    ("POST", "/activities/{activity}/attendance"),
    ("POST", "/activities/{activity}/hours"),
    ("GET", "/activities/{activity}/report"),
    ("POST", "/activities/{activity}/report"),
    ("GET", "/photos/{photo}"),
    ("GET", "/team/{team}/activities"),
    ("GET", "/team/{team}/activities/new"),
    ("POST", "/team/{team}/activities/new"),
    ("GET", "/me/activities"),
    ("GET", "/me/record"),
    ("POST", "/me/certificate"),
    ("GET", "/certificates/{number}"),
    ("GET", "/verify/{number}"),
    ("GET", "/templates/teams.xlsx"),
    ("GET", "/templates/volunteers.xlsx"),
    ("GET", "/demands/new"),
    ("POST", "/demands/new"),
    ("GET", "/demands/status"),
    ("GET", "/demands/submitted"),
    ("GET", "/demands"),
    ("GET", "/demands/{demand}"),
    ("POST", "/demands/{demand}/take"),
    ("POST", "/demands/{demand}/done"),
    ("GET", "/export"),
    ("POST", "/admin/export"),
    ("POST", "/admin/export/bundle"),
    ("GET", "/admin/merge"),
    ("POST", "/admin/merge"),
    ("POST", "/admin/merge/confirm"),
    ("GET", "/admin/merge/conflicts/{conflict}"),
    ("POST", "/admin/merge/conflicts/{conflict}"),
    ("GET", "/admin/sync"),
    ("POST", "/admin/sync/code"),
    ("POST", "/admin/sync/pair"),
    ("POST", "/admin/sync/run"),
    ("GET", "/admin/sync/runs/{job}"),
    ("POST", "/admin/sync/peers/{peer}/remove"),
    ("POST", "/team/{team}/export"),
    ("GET", "/import"),
    ("POST", "/import"),
    ("GET", "/import/{job}"),
    ("POST", "/import/{job}/commit"),
    ("GET", "/import/{job}/errors.xlsx"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/admin"),
    ("GET", "/admin/outbox"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/audit.xlsx"),
    ("GET", "/admin/admins"),
    ("POST", "/admin/admins"),
    ("POST", "/admin/password"),
    ("GET", "/admin/settings"),
    ("POST", "/admin/settings"),
    ("POST", "/admin/backup"),
    ("GET", "/admin/volunteers"),
    ("GET", "/admin/volunteers/{volunteer}"),
    ("POST", "/admin/volunteers/{volunteer}/unmask"),
    ("POST", "/admin/volunteers/{volunteer}/id-number"),
    ("GET", "/admin/teams"),
    ("GET", "/admin/teams/{team}"),
    ("POST", "/admin/teams/{team}/status"),
];

/// Addresses that moved when the team area got one name: `/org/...` is now `/team/...`
/// and `/register/org` is `/register/team`. Printed QR codes and bookmarks keep working;
/// 308 keeps the method and body, so a form posted from a page loaded before an update
/// still lands.
fn renamed(path: &str, query: &str) -> Option<Response> {
    let rest = path
        .strip_prefix("/org")
        .map(|rest| ("/team", rest))
        .or_else(|| {
            path.strip_prefix("/register/org")
                .map(|rest| ("/register/team", rest))
        })
        .filter(|(_, rest)| rest.is_empty() || rest.starts_with('/'));
    let (base, rest) = rest?;
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Some(Response::redirect_308(format!("{base}{rest}{query}")))
}

/// Dispatch on method and path.
pub fn route(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let path = req.url();
    if let Viewer::Volunteer { volunteer, .. } = &ctx.viewer
        && !volunteer.confirmed
        && !BEFORE_CONFIRMATION.contains(&path.as_str())
    {
        return Ok(Response::redirect_303("/me/confirm"));
    }
    if let Some(to) = renamed(&path, req.raw_query_string()) {
        return Ok(to);
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let id = |s: &str| s.parse::<Gid>().map_err(|_| AppError::NotFound);
    match (req.method(), segments.as_slice()) {
        ("GET", [""]) => public::home(app, ctx),
        ("GET", ["join"]) => public::join(app, ctx, req),
        ("GET", ["links"]) => public::links(ctx),
        ("GET", ["links", slug]) => public::policy_section(ctx, slug),
        ("GET", ["stats"]) => public::stats(app, ctx, false),
        ("GET", ["admin", "stats"]) => public::stats(app, ctx, true),
        ("GET", ["admin", "desk"]) => desk::start(ctx),
        ("POST", ["admin", "desk"]) => desk::send_code(app, ctx),
        ("POST", ["admin", "desk", "verify"]) => desk::verify(app, ctx),
        ("POST", ["admin", "desk", "register"]) => desk::register(app, ctx),
        ("GET", ["stats.xlsx"]) => public::stats_xlsx(app, ctx),
        ("GET", ["join", "qr.svg"]) => public::join_qr(app),
        ("GET", ["api", "regions"]) => public::regions(req),
        ("GET", ["agreement"]) => register::agreement(ctx),
        ("GET", ["setup"]) => setup::show(app, ctx),
        ("POST", ["setup"]) => setup::create(app, ctx),
        ("POST", ["logout"]) => login::logout(app, ctx),

        ("GET", ["login"]) => login::phone_form(ctx, req),
        ("POST", ["login", "code"]) => login::request_code(app, ctx),
        ("GET", ["login", "verify"]) => login::verify_form(ctx, req),
        ("POST", ["login", "verify"]) => login::verify(app, ctx),
        ("GET", ["login", "password"]) => login::password_form(ctx),
        ("POST", ["login", "password"]) => login::password_login(app, ctx),

        ("GET", ["register", "volunteer"]) => register::volunteer_form(ctx),
        ("POST", ["register", "volunteer"]) => register::volunteer_create(app, ctx),
        ("GET", ["register", "team"]) => register::team_form(app, ctx, req),
        ("POST", ["register", "team"]) => register::team_create(app, ctx),
        ("POST", ["register", "team", "admin"]) => register::team_admin_create(app, ctx),

        ("GET", ["me"]) => account::show(app, ctx),
        ("GET", ["me", "edit"]) => account::edit_form(ctx, false),
        ("POST", ["me", "edit"]) => account::edit(app, ctx, false),
        ("GET", ["me", "confirm"]) => account::edit_form(ctx, true),
        ("POST", ["me", "confirm"]) => account::edit(app, ctx, true),
        ("GET", ["me", "phone"]) => account::phone_form(ctx),
        ("POST", ["me", "phone"]) => account::phone_request(app, ctx),
        ("POST", ["me", "phone", "verify"]) => account::phone_verify(app, ctx),
        ("GET", ["me", "password"]) => account::password_form(ctx),
        ("POST", ["me", "password"]) => account::set_password(app, ctx),
        ("POST", ["me", "showcase-consent"]) => account::showcase_consent(app, ctx),
        ("POST", ["admin", "featured"]) => admin_people::feature(app, ctx),
        ("POST", ["me", "teams", org, "leave"]) => account::leave_team(app, ctx, id(org)?),
        ("POST", ["me", "teams", org, "accept"]) => {
            account::answer_invitation(app, ctx, id(org)?, true)
        }
        ("POST", ["me", "teams", org, "decline"]) => {
            account::answer_invitation(app, ctx, id(org)?, false)
        }

        ("GET", ["teams"]) => teams::list(app, ctx, req),
        ("GET", ["teams", t]) => teams::show(app, ctx, id(t)?),
        ("POST", ["teams", t, "apply"]) => teams::apply(app, ctx, id(t)?),
        ("GET", ["team"]) => teams::admin_home(ctx),
        ("GET", ["team", "activities"]) => activities::my_team_activities(ctx),
        ("GET", ["team", "activities", "new"]) => activities::my_team_new_activity(ctx),
        ("GET", ["team", t]) => teams::admin_show(app, ctx, id(t)?),
        ("GET", ["team", t, "edit"]) => teams::edit_form(app, ctx, id(t)?),
        ("POST", ["team", t, "edit"]) => teams::edit(app, ctx, id(t)?),
        ("GET", ["team", t, "members"]) => teams::members(app, ctx, req, id(t)?),
        ("POST", ["team", t, "members", "add"]) => teams::add_member(app, ctx, req, id(t)?),
        ("POST", ["team", t, "members", "invite"]) => teams::invite(app, ctx, id(t)?),
        ("GET", ["team", t, "members", "new"]) => teams::enter_form(app, ctx, id(t)?),
        ("POST", ["team", t, "members", "new"]) => teams::enter(app, ctx, id(t)?),
        ("POST", ["team", t, "members", v, "approve"]) => {
            teams::decide(app, ctx, id(t)?, id(v)?, true)
        }
        ("POST", ["team", t, "members", v, "reject"]) => {
            teams::decide(app, ctx, id(t)?, id(v)?, false)
        }

        ("GET", ["activities"]) => activities::list(app, ctx, req),
        ("GET", ["activities", a]) => activities::show(app, ctx, id(a)?),
        ("POST", ["activities", a, "signup"]) => activities::sign_up(app, ctx, id(a)?),
        ("POST", ["activities", a, "cancel-signup"]) => activities::cancel_signup(app, ctx, id(a)?),
        ("GET", ["activities", a, "edit"]) => activities::edit_form(app, ctx, id(a)?),
        ("POST", ["activities", a, "edit"]) => activities::edit(app, ctx, id(a)?),
        ("POST", ["activities", a, "cancel"]) => activities::cancel(app, ctx, id(a)?),
        ("GET", ["activities", a, "roster"]) => activities::roster(app, ctx, id(a)?),
        ("GET", ["activities", a, "roster.xlsx"]) => activities::roster_xlsx(app, ctx, id(a)?),
        ("GET", ["activities", a, "sign-sheet"]) => activities::sign_sheet(app, ctx, id(a)?),
        ("GET", ["activities", a, "checkin-qr"]) => activities::checkin_qr(app, ctx, id(a)?),
        ("GET", ["activities", a, "checkin"]) => activities::checkin_page(app, ctx, req, id(a)?),
        ("POST", ["activities", a, "checkin"]) => {
            activities::check_in_out(app, ctx, id(a)?, Scan::CheckIn)
        }
        ("POST", ["activities", a, "checkout"]) => {
            activities::check_in_out(app, ctx, id(a)?, Scan::CheckOut)
        }
        ("POST", ["activities", a, "attendance"]) => activities::attendance(app, ctx, id(a)?),
        ("POST", ["activities", a, "hours"]) => activities::hours(app, ctx, id(a)?),
        ("GET", ["activities", a, "report"]) => activities::report_form(app, ctx, id(a)?),
        ("POST", ["activities", a, "report"]) => activities::save_report(app, ctx, id(a)?),
        ("GET", ["photos", p]) => activities::photo(app, req, id(p)?),
        ("GET", ["team", t, "activities"]) => activities::published(app, ctx, req, id(t)?),
        ("GET", ["team", t, "activities", "new"]) => activities::new_form(app, ctx, req, id(t)?),
        ("POST", ["team", t, "activities", "new"]) => activities::create(app, ctx, id(t)?),
        ("GET", ["me", "activities"]) => activities::mine(app, ctx, req),
        ("GET", ["me", "record"]) => activities::service_record(app, ctx),
        ("POST", ["me", "certificate"]) => activities::issue_certificate(app, ctx),
        ("GET", ["certificates", n]) => activities::certificate(app, ctx, n),
        ("GET", ["verify", n]) => activities::verify(app, ctx, n),

        ("GET", ["templates", "teams.xlsx"]) => {
            import::template_file(crate::exchange::columns::Form::Teams)
        }
        ("GET", ["templates", "volunteers.xlsx"]) => {
            import::template_file(crate::exchange::columns::Form::Volunteers)
        }
        ("GET", ["demands", "new"]) => demands::new_form(ctx),
        ("POST", ["demands", "new"]) => demands::create(app, ctx),
        ("GET", ["demands", "status"]) => demands::status(app, ctx, req),
        ("GET", ["demands", "submitted"]) => demands::submitted(app, ctx, req),
        ("GET", ["demands"]) => demands::list(app, ctx, req),
        ("GET", ["demands", d]) => demands::show(app, ctx, id(d)?),
        ("POST", ["demands", d, "take"]) => demands::take(app, ctx, id(d)?),
        ("POST", ["demands", d, "done"]) => demands::done(app, ctx, id(d)?),
        ("GET", ["export"]) => export::page(app, ctx),
        ("POST", ["admin", "export"]) => export::platform_export(app, ctx),
        ("POST", ["admin", "export", "bundle"]) => merge::export_bundle(app, ctx),
        ("GET", ["admin", "merge"]) => merge::page(app, ctx),
        ("POST", ["admin", "merge"]) => merge::upload(app, ctx),
        ("POST", ["admin", "merge", "confirm"]) => merge::confirm(app, ctx),
        ("GET", ["admin", "merge", "conflicts", c]) => merge::conflict(app, ctx, id(c)?),
        ("POST", ["admin", "merge", "conflicts", c]) => merge::resolve(app, ctx, id(c)?),
        ("GET", ["admin", "sync"]) => sync::page(app, ctx),
        ("POST", ["admin", "sync", "code"]) => sync::new_code(app, ctx),
        ("POST", ["admin", "sync", "pair"]) => sync::pair(app, ctx),
        ("POST", ["admin", "sync", "run"]) => sync::run(app, ctx),
        ("GET", ["admin", "sync", "runs", r]) => sync::show_run(app, ctx, r),
        ("POST", ["admin", "sync", "peers", p, "remove"]) => sync::remove(app, ctx, id(p)?),
        ("POST", ["team", t, "export"]) => export::team_export(app, ctx, id(t)?),
        ("GET", ["import"]) => import::upload_page(app, ctx),
        ("POST", ["import"]) => import::upload(app, ctx),
        ("GET", ["import", j]) => import::show(app, ctx, req, j),
        ("POST", ["import", j, "commit"]) => import::commit(app, ctx, j),
        ("GET", ["import", j, "errors.xlsx"]) => import::errors_xlsx(app, ctx, j),

        ("GET", ["admin", "login"]) => admin::login_form(ctx),
        ("POST", ["admin", "login"]) => admin::login(app, ctx),
        ("GET", ["admin"]) => admin::dashboard(app, ctx),
        ("GET", ["admin", "outbox"]) => admin::outbox(app, ctx, req),
        ("GET", ["admin", "audit"]) => admin::audit_page(app, ctx, req),
        ("GET", ["admin", "audit.xlsx"]) => admin::audit_xlsx(app, ctx, req),
        ("GET", ["admin", "admins"]) => admin::admins(app, ctx),
        ("POST", ["admin", "admins"]) => admin::create_admin(app, ctx),
        ("POST", ["admin", "password"]) => admin::change_password(app, ctx),
        ("GET", ["admin", "settings"]) => admin::settings(app, ctx),
        ("POST", ["admin", "settings"]) => admin::save_settings(app, ctx),
        ("POST", ["admin", "backup"]) => admin::backup_now(app, ctx),
        ("GET", ["admin", "volunteers"]) => admin_people::volunteers(app, ctx, req),
        ("GET", ["admin", "volunteers", v]) => admin_people::volunteer(app, ctx, id(v)?),
        ("POST", ["admin", "volunteers", v, "unmask"]) => admin_people::unmask(app, ctx, id(v)?),
        ("POST", ["admin", "volunteers", v, "id-number"]) => {
            admin_people::fix_id_number(app, ctx, id(v)?)
        }
        ("GET", ["admin", "teams"]) => admin_people::teams(app, ctx, req),
        ("GET", ["admin", "teams", t]) => admin_people::team(app, ctx, id(t)?),
        ("POST", ["admin", "teams", t, "status"]) => {
            admin_people::set_team_status(app, ctx, id(t)?)
        }
        _ => no_route(),
    }
}

#[cfg(test)]
thread_local! {
    /// Set when a request fell through to the 404 arm, so the tests can tell "no such
    /// route" from a handler's own 404 for a record that does not exist.
    static FELL_THROUGH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The fallback arm: no route has this method and path.
fn no_route() -> Result<Response, AppError> {
    #[cfg(test)]
    FELL_THROUGH.with(|f| f.set(true));
    Err(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_team_addresses_move_with_their_method_and_query() {
        let to = |p: &str, q: &str| {
            renamed(p, q).map(|r| {
                let location = r
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("Location"))
                    .map(|(_, v)| v.to_string());
                (r.status_code, location.unwrap_or_default())
            })
        };
        assert_eq!(to("/org", ""), Some((308, "/team".to_string())));
        assert_eq!(
            to("/org/123/activities/new", "demand=9"),
            Some((308, "/team/123/activities/new?demand=9".to_string()))
        );
        assert_eq!(
            to("/register/org", ""),
            Some((308, "/register/team".to_string()))
        );
        assert_eq!(to("/organic", ""), None);
        assert_eq!(to("/team/1", ""), None);
    }

    /// A route as `METHOD /a/{}/b`: literal segments (quoted, as in the source) kept,
    /// bindings and `{name}` placeholders written as `{}`.
    fn shape(method: &str, segments: &[&str]) -> String {
        let segs: Vec<&str> = segments
            .iter()
            .map(|s| {
                s.strip_prefix('"')
                    .map_or("{}", |s| s.trim_end_matches('"'))
            })
            .collect();
        format!("{method} /{}", segs.join("/"))
    }

    /// The arms of `route`'s match, read from this file's source: a test cannot enumerate
    /// a `match`, and the source is what a newcomer edits.
    fn match_arms() -> Vec<String> {
        let src = include_str!("mod.rs");
        let body = &src[src
            .find("match (req.method(), segments.as_slice())")
            .unwrap()..];
        let body = &body[..body.find("_ => no_route()").unwrap()];
        let mut arms = Vec::new();
        for line in body.lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("(\"") else {
                continue;
            };
            let (method, rest) = rest.split_once('"').unwrap();
            let list = rest.split_once('[').unwrap().1.split_once(']').unwrap().0;
            let segments: Vec<&str> = list.split(',').map(str::trim).collect();
            arms.push(shape(method, &segments));
        }
        arms
    }

    #[test]
    fn route_list_matches_the_match() {
        let listed: Vec<String> = ROUTES
            .iter()
            .map(|(m, p)| {
                let segments: Vec<String> = p
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            s.to_string()
                        } else {
                            format!("\"{s}\"")
                        }
                    })
                    .collect();
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                shape(m, &segments)
            })
            .collect();
        let arms = match_arms();
        assert!(
            arms.len() > 100,
            "the source reader found only {} arms",
            arms.len()
        );
        for arm in &arms {
            assert!(
                listed.contains(arm),
                "the match serves {arm}, which ROUTES lacks"
            );
        }
        for entry in &listed {
            assert!(
                arms.contains(entry),
                "ROUTES lists {entry}, which no arm serves"
            );
        }
        assert_eq!(arms.len(), listed.len(), "ROUTES lists a route twice");
    }

    /// A path for a pattern, with a well-formed sample in each `{name}` segment.
    fn sample_path(pattern: &str) -> String {
        let id = "0190f3a2-7b1c-7d2e-8f00-123456789abc";
        pattern
            .split('/')
            .map(|s| match s {
                "{slug}" => "zhinan",
                "{number}" => "KZ0000000000",
                "{job}" => "0190f3a27b1c",
                s if s.starts_with('{') => id,
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_listed_route_is_served() {
        let app = App::new(crate::store::Store::in_memory().unwrap(), None, Vec::new());
        for (method, pattern) in ROUTES {
            let path = sample_path(pattern);
            let req = Request::fake_http(*method, path.clone(), Vec::new(), Vec::new());
            let ctx = Ctx::load(&app, &req).unwrap();
            FELL_THROUGH.with(|f| f.set(false));
            let _ = route(&app, &ctx, &req);
            assert!(
                !FELL_THROUGH.with(|f| f.get()),
                "{method} {path} (from {pattern}) reaches no handler"
            );
        }
        // And the fallback is what the flag reports.
        let req = Request::fake_http("GET", "/no/such/page", Vec::new(), Vec::new());
        let ctx = Ctx::load(&app, &req).unwrap();
        let _ = route(&app, &ctx, &req);
        assert!(FELL_THROUGH.with(|f| f.get()));
    }

    #[test]
    fn only_upload_routes_take_large_bodies() {
        let id = "0190f3a2-7b1c-7d2e-8f00-123456789abc";
        for (path, who) in [
            ("/import".to_string(), Uploader::Manager),
            ("/admin/merge".to_string(), Uploader::PlatformAdmin),
            (format!("/activities/{id}/report"), Uploader::Manager),
            (format!("/activities/{id}/edit"), Uploader::Preparer),
            (format!("/team/{id}/activities/new"), Uploader::Preparer),
        ] {
            assert_eq!(
                large_body("POST", &path),
                Some((who, UPLOAD_BODY_LIMIT)),
                "{path}"
            );
            assert_eq!(large_body("GET", &path), None, "{path}");
        }
        assert_eq!(
            large_body("POST", &format!("/activities/{id}/hours")),
            Some((Uploader::Manager, ROSTER_BODY_LIMIT))
        );
        for path in [
            "/",
            "/register/volunteer",
            "/login/code",
            "/import/x/commit",
            "/admin/merge/conflicts/x",
            "/activities/x/signup",
            "/setup",
        ] {
            assert_eq!(large_body("POST", path), None, "{path}");
        }
    }
}
