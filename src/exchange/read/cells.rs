//! Turning calamine's cell values into `Cell`s the way Excel shows them: integral numbers
//! as integers, dates rounded to the second, floats in Excel's General format.

use calamine::{Data, DataRef, ExcelDateTime};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use super::Cell;

/// Serial numbers Excel can show as dates: 0 up to 9999-12-31.
const MAX_DATE_SERIAL: f64 = 2_958_466.0;

/// Integers are exact in an f64 below 2^53.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

pub(super) fn from_data_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(x) => number(*x),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => date(d),
        DataRef::DateTimeIso(s) => iso_date(s),
        DataRef::DurationIso(s) => text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

pub(super) fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(x) => number(*x),
        Data::String(s) => text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => date(d),
        Data::DateTimeIso(s) => iso_date(s),
        Data::DurationIso(s) => text(s),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

/// Integral values that an f64 holds exactly become `Int`; the rest stay `Float`.
fn number(x: f64) -> Cell {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < EXACT_INTEGER_LIMIT {
        // Exact: |x| < 2^53 and integral.
        Cell::Int(x as i64)
    } else {
        Cell::Float(x)
    }
}

/// A number in a date format. Durations ([h]:mm) and serials outside Excel's date range
/// (which Excel shows as ####) stay numbers; the rest round to the second.
fn date(d: &ExcelDateTime) -> Cell {
    let serial = d.as_f64();
    // Checked first: calamine's conversion goes through i64 milliseconds.
    if d.is_duration() || !(serial.is_finite() && (0.0..MAX_DATE_SERIAL).contains(&serial)) {
        return number(serial);
    }
    match d.as_datetime() {
        Some(dt) => Cell::DateTime(round_to_second(dt)),
        None => number(serial),
    }
}

fn round_to_second(dt: NaiveDateTime) -> NaiveDateTime {
    let nanos = dt.nanosecond();
    let floor = dt.with_nanosecond(0).unwrap_or(dt);
    if nanos >= 500_000_000 {
        floor
            .checked_add_signed(TimeDelta::seconds(1))
            .unwrap_or(floor)
    } else {
        floor
    }
}

/// An ISO 8601 date cell (`t="d"`, written by some tools instead of serial numbers).
fn iso_date(s: &str) -> Cell {
    let s = s.trim();
    if let Ok(dt) = s.parse::<NaiveDateTime>() {
        return Cell::DateTime(round_to_second(dt));
    }
    if let Ok(d) = s.parse::<NaiveDate>() {
        return Cell::DateTime(d.and_time(NaiveTime::MIN));
    }
    text(s)
}

/// A float as Excel's General format shows it: 15 significant digits, positional for
/// magnitudes from 1E-05 up to (not including) 1E+11, otherwise six significant digits in
/// exponent form ("4.20323E+17", "1E-06").
pub(super) fn general_number(x: f64) -> String {
    if !x.is_finite() {
        return "#NUM!".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let fifteen = format!("{x:.14e}");
    let exponent: i32 = fifteen
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let rounded: f64 = fifteen.parse().unwrap_or(x);
    if (-4..=10).contains(&exponent) {
        format!("{rounded}")
    } else {
        let six = format!("{rounded:.5e}");
        let (mantissa, exponent) = six.split_once('e').unwrap_or((six.as_str(), "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
    }
}

pub(super) fn trim_trailing_empty(cells: &mut Vec<Cell>) {
    while cells.last() == Some(&Cell::Empty) {
        cells.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::t;
    use super::*;

    #[test]
    fn display_like_excel() {
        assert_eq!(Cell::Empty.display(), "");
        assert_eq!(Cell::Int(13812345678).display(), "13812345678");
        assert_eq!(Cell::Float(420323199001011000.0).display(), "4.20323E+17");
        assert_eq!(Cell::Float(110101199003074514.0).display(), "1.10101E+17");
        assert_eq!(Cell::Float(-4.2e17).display(), "-4.2E+17");
        assert_eq!(Cell::Float(1e11).display(), "1E+11");
        assert_eq!(Cell::Float(99999999999.5).display(), "99999999999.5");
        assert_eq!(Cell::Float(3.5).display(), "3.5");
        assert_eq!(Cell::Float(0.1 + 0.2).display(), "0.3");
        assert_eq!(Cell::Float(0.0001).display(), "0.0001");
        assert_eq!(Cell::Float(0.00001234).display(), "1.234E-05");
        assert_eq!(Cell::Float(1.0 / 3.0).display(), "0.333333333333333");
        assert_eq!(Cell::Float(9.999999e20).display(), "1E+21");
        assert_eq!(Cell::Float(1e100).display(), "1E+100");
        assert_eq!(Cell::Float(f64::NAN).display(), "#NUM!");
        let dt = NaiveDate::from_ymd_opt(2019, 8, 8)
            .unwrap()
            .and_hms_opt(9, 5, 0)
            .unwrap();
        assert_eq!(Cell::DateTime(dt).display(), "2019-08-08 09:05:00");
        assert_eq!(Cell::Bool(true).display(), "TRUE");
        assert!(Cell::Text(" \u{3000}\n".into()).is_empty());
        assert!(!Cell::Int(0).is_empty());
        // Every float display of a damaged ID is what the validator calls Excel damage.
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for x in [420323199001011000.0, 110101199003074500.0, 4.2e17] {
            let err =
                crate::domain::validate::id_number(&Cell::Float(x).display(), today).unwrap_err();
            assert!(err.contains("Excel"), "{x}: {err}");
        }
    }

    #[test]
    fn numbers_and_dates_from_calamine_values() {
        assert_eq!(number(3.0), Cell::Int(3));
        assert_eq!(number(-0.0), Cell::Int(0));
        assert_eq!(
            number(9_007_199_254_740_991.0),
            Cell::Int(9_007_199_254_740_991)
        );
        assert_eq!(
            number(9_007_199_254_740_992.0),
            Cell::Float(9_007_199_254_740_992.0)
        );
        assert_eq!(number(2.5), Cell::Float(2.5));
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta as Duration};
        let d = |v: f64| date(&ExcelDateTime::new(v, DateTime, false));
        assert_eq!(d(43685.0).display(), "2019-08-08");
        assert_eq!(d(43685.5).display(), "2019-08-08 12:00:00");
        // 1 ms short of midnight rounds up to the day.
        assert_eq!(d(43685.0 + 86_399.999_5 / 86_400.0).display(), "2019-08-09");
        // Out of Excel's range (Excel shows ####): stays a number, never panics.
        assert_eq!(d(-1.0), Cell::Int(-1));
        assert_eq!(d(1e300), Cell::Float(1e300));
        assert_eq!(d(f64::NEG_INFINITY), Cell::Float(f64::NEG_INFINITY));
        assert_eq!(d(f64::NAN).display(), "#NUM!");
        assert_eq!(
            date(&ExcelDateTime::new(1.5, Duration, false)),
            Cell::Float(1.5)
        );
        assert_eq!(
            date(&ExcelDateTime::new(42223.0, DateTime, true)).display(),
            "2019-08-08"
        );
        assert_eq!(iso_date("not a date"), t("not a date"));
    }
}
