//! Hostile text in the fields people type: a volunteer's name, a team's name, an activity's
//! title and a demand's text carry a script and a formula. Every page that shows them must
//! escape the script; every spreadsheet Kezhi writes must keep the formula as text (quote
//! prefix, see `exchange::cell`) and read back unchanged.

mod common;

use common::{TestApp, valid_id};
use kezhi::domain::demand::{Demand, DemandState};
use kezhi::domain::ids::Gid;
use kezhi::domain::regions::RegionPath;
use kezhi::exchange::columns::Form;
use kezhi::exchange::import::Progress;
use kezhi::exchange::read::{self, Cell};
use std::io::Read;

/// A script for the pages and a formula (with a DDE call) for the spreadsheets.
const SCRIPT: &str = "<script>alert(1)</script>";
fn payload(what: &str) -> String {
    format!("=cmd|' /C calc'!A0+\"{what}{SCRIPT}\"")
}

/// The text of every member of a zip archive whose name starts with `prefix`.
fn zip_texts(bytes: &[u8], prefix: &str) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        if name.starts_with(prefix) {
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            out.push((name, s));
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `<tag …>…</tag>` elements of `xml`, as (attributes, inner text).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with([' ', '>', '/']) {
            rest = after;
            continue;
        }
        let end = after.find('>').unwrap();
        let attrs = &after[..end];
        if attrs.ends_with('/') {
            out.push((attrs, ""));
            rest = &after[end + 1..];
        } else {
            let body = &after[end + 1..];
            let stop = body.find(&close).unwrap();
            out.push((attrs, &body[..stop]));
            rest = &body[stop + close.len()..];
        }
    }
    out
}

fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = attrs.find(&key)? + key.len();
    Some(&attrs[i..i + attrs[i..].find('"')?])
}

/// Check one xlsx file: it holds no formula at all, every text cell that starts like a
/// formula has a quote-prefixed style, and the payloads in it are returned.
fn guarded_texts(name: &str, bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with(b"PK"), "{name} is not an xlsx file");
    let shared: Vec<String> = zip_texts(bytes, "xl/sharedStrings.xml")
        .first()
        .map(|(_, xml)| {
            elements(xml, "si")
                .into_iter()
                .map(|(_, si)| {
                    elements(si, "t")
                        .into_iter()
                        .map(|(_, t)| unescape(t))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let styles = &zip_texts(bytes, "xl/styles.xml")[0].1;
    let xfs_xml = elements(styles, "cellXfs")[0].1;
    let xfs: Vec<bool> = elements(xfs_xml, "xf")
        .into_iter()
        .map(|(a, _)| attr(a, "quotePrefix") == Some("1"))
        .collect();
    let mut found = Vec::new();
    for (sheet, xml) in zip_texts(bytes, "xl/worksheets/sheet") {
        assert!(
            elements(&xml, "f").is_empty(),
            "{name}/{sheet} has a formula"
        );
        for (attrs, inner) in elements(&xml, "c") {
            let text = match attr(attrs, "t") {
                Some("s") => {
                    let v = elements(inner, "v")[0].1;
                    shared[v.parse::<usize>().unwrap()].clone()
                }
                Some("inlineStr") | Some("str") => unescape(elements(inner, "t")[0].1),
                _ => continue,
            };
            if kezhi::exchange::cell::looks_like_formula(&text) {
                let style: usize = attr(attrs, "s").unwrap_or("0").parse().unwrap();
                assert!(
                    xfs[style],
                    "{name}/{sheet}: {text:?} is not quote-prefixed (style {style})"
                );
            }
            if text.contains(SCRIPT) {
                found.push(text);
            }
        }
    }
    found
}

#[test]
fn hostile_text_is_escaped_on_pages_and_kept_as_text_in_every_spreadsheet() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let store = &t.app.store;

    let team = t.add_team(
        "13900000011",
        &valid_id("22030219800101002"),
        &payload("team"),
    );
    let mut vol = t.add_volunteer("13900000015", &valid_id("22030219800101001"));
    vol.real_name = payload("name");
    store.update_volunteer(&vol).unwrap();
    store
        .add_member(team.id, vol.id, chrono::Utc::now())
        .unwrap();
    let mut team_admin = t.sign_in_by_code("13900000011");
    let now = chrono::Utc::now().with_timezone(&kezhi::config::default_offset());
    let at = |minutes: i64| {
        (now + chrono::Duration::minutes(minutes))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (opens, closes, starts, ends) = (at(-60), at(2880), at(4320), at(4500));
    let r = team_admin.post_form(
        &format!("/team/{}/activities/new", team.id),
        &[
            ("title", "玉米病虫害防治讲座"),
            ("service_category", "农技服务"),
            ("province", "220000"),
            ("city", "220300"),
            ("county", "220302"),
            ("address", "铁西区某某村村委会"),
            ("description", "现场讲解"),
            ("contact_name", "孙强"),
            ("contact_phone", "13900000001"),
            ("capacity", "10"),
            ("signup_opens", &opens),
            ("signup_closes", &closes),
            ("starts_at", &starts),
            ("ends_at", &ends),
            ("publish", "yes"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // The title as an import or another laptop's bundle could bring it.
    let mut act = store.activities_of(team.id).unwrap().remove(0);
    act.title = payload("title");
    store.save_activity(&act, chrono::Utc::now()).unwrap();
    let mut volunteer = t.sign_in_by_code("13900000015");
    let r = volunteer.post_form(&format!("/activities/{}/signup", act.id), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let stamp = chrono::Utc::now();
    store
        .save_demand(&Demand {
            id: Gid::new(),
            origin: store.installation_id(),
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
            text: payload("demand"),
            wanted_when: "12月上旬".into(),
            state: DemandState::Open,
            taken_by: None,
            activity: None,
            created_at: stamp,
            updated_at: stamp,
        })
        .unwrap();
    let demand = store.demands().unwrap().remove(0);

    // Pages: the script never arrives as markup, and each page does show the text.
    let pages = [
        ("/teams".to_string(), "team"),
        (format!("/teams/{}", team.id), "team"),
        ("/activities".to_string(), "title"),
        (format!("/activities/{}", act.id), "title"),
        (format!("/activities/{}/roster", act.id), "name"),
        (format!("/activities/{}/sign-sheet", act.id), "name"),
        ("/admin/volunteers".to_string(), "name"),
        (format!("/admin/volunteers/{}", vol.id), "name"),
        ("/admin/teams".to_string(), "team"),
        (format!("/admin/teams/{}", team.id), "team"),
        // The list shows the first words only.
        ("/demands".to_string(), ""),
        (format!("/demands/{}", demand.id), "demand"),
    ];
    for (path, what) in &pages {
        let r = admin.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            !r.body.contains(SCRIPT),
            "{path} sends the script as markup"
        );
        assert!(
            what.is_empty() || r.body.contains(&format!("{what}&lt;script&gt;")),
            "{path} does not show the {what} at all"
        );
    }
    let r = team_admin.get(&format!("/team/{}/members", team.id));
    assert!(!r.body.contains(SCRIPT));

    // Spreadsheets: every file Kezhi writes.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    // The test client decodes bodies as text; a spreadsheet needs its raw bytes.
    let raw = |path: &str, form: Option<&[(&str, &str)]>, who: &mut common::Client| {
        raw_body(who, path, form)
    };
    files.push((
        "roster.xlsx".into(),
        raw(
            &format!("/activities/{}/roster.xlsx", act.id),
            None,
            &mut admin,
        ),
    ));
    files.push((
        "附件2".into(),
        raw(
            "/admin/export",
            Some(&[("form", "volunteers"), ("scope", "all")]),
            &mut admin,
        ),
    ));
    files.push((
        "附件1".into(),
        raw(
            "/admin/export",
            Some(&[("form", "teams"), ("scope", "all")]),
            &mut admin,
        ),
    ));
    files.push((
        "team export".into(),
        raw(
            &format!("/team/{}/export", team.id),
            Some(&[]),
            &mut team_admin,
        ),
    ));
    store
        .audit(&kezhi::store::audit::AuditEntry {
            at: chrono::Utc::now(),
            actor: "cli".into(),
            address: "cli".into(),
            action: "test".into(),
            detail: payload("audit"),
            records: 1,
        })
        .unwrap();
    files.push((
        "audit.xlsx".into(),
        raw("/admin/audit.xlsx", None, &mut admin),
    ));
    files.push(("stats.xlsx".into(), raw("/stats.xlsx", None, &mut admin)));

    let mut seen = Vec::new();
    for (name, bytes) in &files {
        let found = guarded_texts(name, bytes);
        seen.extend(found.iter().map(|f| format!("{name}: {f}")));
    }
    for (file, what) in [
        ("roster.xlsx", "name"),
        ("roster.xlsx", "title"),
        ("附件2", "name"),
        ("附件1", "team"),
        ("team export", "name"),
        ("audit.xlsx", "audit"),
    ] {
        assert!(
            seen.iter()
                .any(|s| s.starts_with(&format!("{file}: ")) && s.contains(&payload(what))),
            "{file} lacks the {what}: {seen:#?}"
        );
    }

    // Re-import: the exported 附件2 reads back with the name exactly as stored, and its
    // error report (the name is refused by the validators) keeps it, guarded, too.
    let export = &files[1].1;
    let mut names = Vec::new();
    read::for_each_row(export, |row| {
        for c in row.cells {
            if let Cell::Text(s) = c
                && s.contains(SCRIPT)
            {
                names.push(s);
            }
        }
        Ok::<_, read::ReadError>(())
    })
    .unwrap();
    assert_eq!(names, vec![payload("name")]);
    let report = kezhi::app::import::check(
        store,
        Form::Volunteers,
        export,
        chrono::Utc::now().date_naive(),
        &Progress::default(),
    )
    .unwrap();
    let errors = kezhi::exchange::import::error_report(Form::Volunteers, export, &report).unwrap();
    let found = guarded_texts("error report", &errors);
    assert!(found.contains(&payload("name")), "{found:?}");
    let check = store.check().unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

/// The raw bytes of a GET (or a POST with `form`) answered 200.
fn raw_body(c: &mut common::Client, path: &str, form: Option<&[(&str, &str)]>) -> Vec<u8> {
    use std::io::{BufRead, BufReader, Write};
    let csrf = c.cookies.get("kz_csrf").cloned().unwrap_or_default();
    let cookies = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let (method, body) = match form {
        None => ("GET", String::new()),
        Some(fields) => {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend_from_slice(fields);
            (
                "POST",
                all.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
        }
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {cookies}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = std::net::TcpStream::connect(c.addr).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.contains(" 200 "), "{path}: {line}");
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end().to_ascii_lowercase();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>().unwrap());
        }
        chunked |= h.starts_with("transfer-encoding:") && h.contains("chunked");
    }
    let mut out = Vec::new();
    if let Some(n) = length {
        out.resize(n, 0);
        r.read_exact(&mut out).unwrap();
    } else if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
    } else {
        r.read_to_end(&mut out).unwrap();
    }
    out
}
