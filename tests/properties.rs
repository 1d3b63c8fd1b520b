//! Property tests (proptest): arbitrary strings into the validators, arbitrary and mangled
//! bytes into the spreadsheet reader, the importer's check and the bundle reader, and
//! arbitrary form fields into POST handlers of the real server. Nothing may panic (a
//! handler panic is a 500), and an input that is refused stores nothing. The case counts
//! are modest so that `cargo test` stays quick; raise them with `PROPTEST_CASES`.

mod common;

use chrono::NaiveDate;
use common::{TestApp, valid_id};
use kezhi::domain::demand::{self, DemandInput};
use kezhi::domain::registration::{self, TeamInput, VolunteerInput};
use kezhi::domain::validate;
use kezhi::exchange::bundle::Bundle;
use kezhi::exchange::columns::Form;
use kezhi::exchange::import::{self, Progress};
use kezhi::exchange::read;
use kezhi::store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
}

/// Text that a hostile or careless person could type: any Unicode, or something close to a
/// real value (digits, Chinese, dashes, dates, full-width forms, control characters).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9Xx\\-＋+ 　]{0,24}",
        "[\\u{4e00}-\\u{4e50}·•．]{0,12}",
        "[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?",
        "[\\x00-\\x1f\\u{202e}\\u{feff}=+@<>\"']{0,8}",
    ]
}

fn list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..4)
}

#[test]
fn validators_never_panic_on_any_text() {
    let mut runner = TestRunner::new(config(256));
    let strategy = (text(), text(), text(), text(), list());
    runner
        .run(&strategy, |(a, b, c, d, many)| {
            let _ = validate::mobile(&a);
            let _ = validate::id_number(&b, today());
            if let Ok(checked) = validate::id_number(&b, today()) {
                // Whatever passed is 18 characters with a valid GB 11643 check character.
                prop_assert_eq!(validate::checksum_char(&b[..17]), b.chars().last());
                let _ = checked;
            }
            let _ = validate::normalize(&c);
            let _ = validate::normalize_text(&c);
            let _ = validate::normalize_multiline(&c);
            let _ = validate::mask_phone(&a);
            let _ = validate::mask_name(&c);
            let _ = validate::mask_id_number(&b);
            let _ = validate::checksum_char(&d);
            let _ = registration::parse_date(&d);
            let _ = registration::parse_yes_no(&d);
            let _ = registration::check_guardian(&c, &a);
            let _ = registration::check_volunteer(
                &VolunteerInput {
                    real_name: c.clone(),
                    phone: a.clone(),
                    gender: d.clone(),
                    id_number: b.clone(),
                    political_status: d.clone(),
                    ethnicity: c.clone(),
                    employer: c.clone(),
                    title_level: d.clone(),
                    education: d.clone(),
                    occupation: d.clone(),
                    province: a.clone(),
                    city: b.clone(),
                    county: c.clone(),
                    service_categories: many.clone(),
                    service_fields: many.clone(),
                    sanzhang: d.clone(),
                },
                today(),
            );
            let _ = registration::check_team(
                &TeamInput {
                    org_name: c.clone(),
                    admin_phone: a.clone(),
                    mca_registered: d.clone(),
                    supervisor_type: d.clone(),
                    supervisor_name: c.clone(),
                    founded_on: d.clone(),
                    service_categories: many.clone(),
                    province: a.clone(),
                    city: b.clone(),
                    county: c.clone(),
                    leader_name: c.clone(),
                    leader_title: d.clone(),
                    leader_org: c.clone(),
                    leader_phone: a.clone(),
                    description: c.clone(),
                },
                today(),
            );
            let _ = demand::check_demand(&DemandInput {
                requester_kind: d.clone(),
                requester_name: c.clone(),
                contact_name: c.clone(),
                contact_phone: a.clone(),
                province: a.clone(),
                city: b.clone(),
                county: c.clone(),
                categories: many.clone(),
                text: c.clone(),
                wanted_when: d.clone(),
            });
            Ok(())
        })
        .unwrap();
}

/// A valid 附件2 workbook with a few rows, and the same rows as UTF-8 CSV.
fn sample_files() -> Vec<Vec<u8>> {
    let rows: Vec<kezhi::exchange::template::RowValues> = (0..3u32)
        .map(|n| {
            let pairs: Vec<(&'static str, String)> = vec![
                ("real_name", "王建国".into()),
                ("phone", format!("1370000000{n}")),
                ("gender", "男".into()),
                ("id_number", valid_id(&format!("22032219400615{n:03}"))),
                ("province", "吉林省".into()),
                ("city", "四平市".into()),
                ("county", "梨树县".into()),
            ];
            pairs.into_iter().collect()
        })
        .collect();
    let xlsx = kezhi::exchange::template::workbook(Form::Volunteers, &rows).unwrap();
    let csv = "序号,姓名,手机号,性别,身份证号\n1,王建国,13700000000,男,220322194006150013\n"
        .as_bytes()
        .to_vec();
    vec![xlsx, csv]
}

/// Bytes: arbitrary, or a real file with some bytes changed, cut short or extended.
fn mangled(samples: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = samples.len();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        (
            0..n,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(move |(which, edits, cut, truncate)| {
                let mut b = samples[which].clone();
                for (at, byte) in edits {
                    let i = at.index(b.len());
                    b[i] = byte;
                }
                if truncate {
                    b.truncate(cut.index(b.len() + 1));
                }
                b
            }),
    ]
}

#[test]
fn the_spreadsheet_reader_and_importer_never_panic_on_any_bytes() {
    let store = Store::in_memory().unwrap();
    let before = store.last_change().unwrap();
    let mut runner = TestRunner::new(config(192));
    runner
        .run(&mangled(sample_files()), |bytes| {
            let _ = read::detect(&bytes);
            let mut rows = 0usize;
            let _ = read::for_each_row::<read::ReadError>(&bytes, |_| {
                rows += 1;
                Ok(())
            });
            let _ = import::count_rows(&bytes);
            for form in [Form::Volunteers, Form::Teams] {
                let _ = import::check_file(form, &bytes, today(), &store, &Progress::default());
            }
            Ok(())
        })
        .unwrap();
    // Checking a file is read-only: it never stores anything.
    assert_eq!(store.last_change().unwrap(), before);
}

#[test]
fn the_bundle_reader_never_panics_on_any_bytes() {
    let t = TestApp::start();
    t.add_team("13900000011", &valid_id("22030219800101002"), "甲队");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zip");
    kezhi::app::merge::export_bundle(
        &t.app.store,
        "x",
        false,
        ("t", "x"),
        chrono::Utc::now(),
        &path,
    )
    .unwrap();
    let good = std::fs::read(&path).unwrap();
    assert!(Bundle::open(std::io::Cursor::new(good.clone()), 99).is_ok());
    let mut runner = TestRunner::new(config(192));
    runner
        .run(&mangled(vec![good]), |bytes| {
            let _ = Bundle::open(std::io::Cursor::new(bytes), 99);
            Ok(())
        })
        .unwrap();
}

/// A form with every field of `names` either as a valid value or as arbitrary text.
fn form(
    valid: &'static [(&'static str, &'static str)],
) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(prop::option::of(text()), valid.len()).prop_map(move |picks| {
        valid
            .iter()
            .zip(picks)
            .map(|((k, v), pick)| (k.to_string(), pick.unwrap_or_else(|| v.to_string())))
            .collect()
    })
}

#[test]
fn post_handlers_answer_arbitrary_forms_without_500_and_store_nothing_when_refusing() {
    let t = TestApp::start();
    let v = t.add_volunteer("13900000015", &valid_id("22030219800101001"));
    // The runner takes a `Fn`: the clients keep cookies, so they sit in cells.
    let volunteer = std::cell::RefCell::new(t.sign_in_by_code("13900000015"));
    let visitor = std::cell::RefCell::new(t.client());
    const DEMAND: &[(&str, &str)] = &[
        ("requester_kind", "村（居）委会"),
        ("requester_name", "某某村村委会"),
        ("contact_name", "王主任"),
        ("contact_phone", "13904341234"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("categories", "农技服务"),
        ("text", "请来讲玉米病虫害防治"),
        ("wanted_when", "12月上旬"),
    ];
    const PROFILE: &[(&str, &str)] = &[
        ("real_name", "张三"),
        ("gender", "女"),
        ("political_status", "群众"),
        ("ethnicity", "汉族"),
        ("employer", "某某农技站"),
        ("title_level", "副高"),
        ("education", "本科"),
        ("occupation", "企业"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("service_categories", "科技培训"),
        ("service_fields", "科技培训类"),
        ("sanzhang", "否"),
    ];
    let mut runner = TestRunner::new(config(96));
    let strategy = (form(DEMAND), form(PROFILE), text());
    let tried = std::cell::Cell::new(0);
    runner
        .run(&strategy, |(demand_form, profile_form, phone)| {
            tried.set(tried.get() + 1);
            let pairs = |f: &[(String, String)]| -> Vec<(String, String)> { f.to_vec() };
            let send = |c: &mut common::Client, path: &str, f: &[(String, String)]| {
                let f: Vec<(&str, &str)> =
                    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                c.post_form(path, &f)
            };
            let demands = t.app.store.demands().unwrap().len();
            let r = send(
                &mut visitor.borrow_mut(),
                "/demands/new",
                &pairs(&demand_form),
            );
            prop_assert!(r.status < 500, "demand form: {} {}", r.status, r.body);
            if r.status != 303 {
                prop_assert_eq!(t.app.store.demands().unwrap().len(), demands);
            }

            let stored = t.app.store.volunteer(v.id).unwrap();
            let r = send(
                &mut volunteer.borrow_mut(),
                "/me/edit",
                &pairs(&profile_form),
            );
            prop_assert!(r.status < 500, "profile form: {} {}", r.status, r.body);
            if r.status != 303 {
                prop_assert_eq!(&t.app.store.volunteer(v.id).unwrap(), &stored);
            }

            let codes = t.app.store.outbox_len().unwrap();
            let r = visitor
                .borrow_mut()
                .post_form("/login/code", &[("phone", &phone)]);
            prop_assert!(r.status < 500, "code form: {} {}", r.status, r.body);
            if r.status != 303 {
                prop_assert_eq!(t.app.store.outbox_len().unwrap(), codes);
            }
            Ok(())
        })
        .unwrap();
    assert!(tried.get() >= 32);
}
