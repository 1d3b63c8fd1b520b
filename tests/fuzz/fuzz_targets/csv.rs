//! Data rows under a correct header: the fuzzer's bytes follow the 附件1 or 附件2 header line
//! of a CSV, so every input reaches the CSV reader and the row checks (names, phones, ID
//! numbers, dates, code lists, regions, duplicates) instead of stopping at the header search.
//!
//! Seeds: `tests/fuzz/seeds/csv`; dictionary: `tests/fuzz/csv.dict`.

#![no_main]

use chrono::NaiveDate;
use kezhi::domain::ids::Gid;
use kezhi::exchange::columns::Form;
use kezhi::exchange::import::{self, Existing, Progress};
use libfuzzer_sys::fuzz_target;

/// Knows one volunteer and one team, so rows can match stored records.
struct One;

impl Existing for One {
    fn volunteer_by_phone(&self, phone: &str) -> Option<Gid> {
        (phone == "13812345678").then_some(Gid(1))
    }
    fn volunteer_by_id_number(&self, id_number: &str) -> Option<Gid> {
        (id_number == "110101199003074514").then_some(Gid(2))
    }
    fn team_by_name(&self, name: &str) -> Option<Gid> {
        (name == "梨树县科技志愿服务队").then_some(Gid(3))
    }
    fn strict_identity(&self) -> bool {
        true
    }
}

/// The form's header line, each header quoted (some hold line breaks).
fn header_line(form: Form) -> Vec<u8> {
    let headers: Vec<String> = form
        .columns()
        .iter()
        .map(|c| format!("\"{}\"", c.header.replace('"', "\"\"")))
        .collect();
    let mut line = headers.join(",").into_bytes();
    line.push(b'\n');
    line
}

fuzz_target!(|data: &[u8]| {
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    for form in [Form::Volunteers, Form::Teams] {
        let mut bytes = header_line(form);
        bytes.extend_from_slice(data);
        let progress = Progress::default();
        match import::check_file(form, &bytes, today, &One, &progress) {
            Ok(report) => {
                assert!(report.valid() + report.invalid() == report.rows_read());
                for issue in &report.issues {
                    assert!(!issue.message.is_empty());
                }
                let page = import::preview_rows(&bytes, &report, 0, 20).expect("read once already");
                assert!(page.len() <= 20);
            }
            Err(problem) => assert!(!problem.message().is_empty()),
        }
    }
});
