//! An uploaded 附件1 / 附件2 as the web job and `kezhi import` handle it: the row count
//! for the progress bar, the check against both forms, then the preview's first page and
//! the error report. Any input must give a report or a `FileProblem` with a message.
//!
//! Seeds: `tests/fixtures` and `data-example` (xlsx, xls, GBK and UTF-8 CSV).
//!
//! The readers call calamine behind `catch_unwind` (`src/exchange/read/xlsx.rs`, `xls.rs`):
//! a panic inside calamine becomes the 文件已损坏 message, by design. libFuzzer's panic hook
//! aborts on every panic, caught or not, so the hook below lets panics raised in calamine's
//! own source through (printed once per place) and aborts on any other.

#![no_main]

use chrono::NaiveDate;
use kezhi::domain::ids::Gid;
use kezhi::exchange::columns::Form;
use kezhi::exchange::import::{self, Existing, Progress};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::sync::{Mutex, Once};

/// A store that knows nobody: matching is the importer's business, not the reader's.
struct Nobody;

impl Existing for Nobody {
    fn volunteer_by_phone(&self, _: &str) -> Option<Gid> {
        None
    }
    fn volunteer_by_id_number(&self, _: &str) -> Option<Gid> {
        None
    }
    fn team_by_name(&self, _: &str) -> Option<Gid> {
        None
    }
}

/// Installs the hook on top of libFuzzer's (which is in place before the first input).
fn contain_calamine_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        let seen = Mutex::new(HashSet::new());
        std::panic::set_hook(Box::new(move |info| {
            let Some(at) = info.location().filter(|l| l.file().contains("/calamine-")) else {
                abort(info);
                return;
            };
            let place = format!("{}:{}", at.file(), at.line());
            if seen.lock().is_ok_and(|mut s| s.insert(place.clone())) {
                eprintln!("contained calamine panic at {place}: {info}");
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    contain_calamine_panics();
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    match import::count_rows(data) {
        Ok(_) => {}
        Err(problem) => {
            assert!(!problem.message().is_empty());
            return;
        }
    }
    for form in [Form::Volunteers, Form::Teams] {
        let progress = Progress::default();
        match import::check_file(form, data, today, &Nobody, &progress) {
            Ok(report) => {
                assert!(report.valid() + report.invalid() == report.rows_read());
                let page = import::preview_rows(data, &report, 0, 20).expect("read once already");
                assert!(page.len() <= 20);
                // A file past Excel's limits gives a message instead of a report.
                if let Err(problem) = import::error_report(form, data, &report) {
                    assert!(!problem.message().is_empty());
                }
            }
            Err(problem) => assert!(!problem.message().is_empty()),
        }
    }
});
