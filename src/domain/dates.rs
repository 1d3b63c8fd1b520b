//! Dates and date-times as people type them and as Excel cells hold them: 2019/8/8,
//! 2019-08-08, 2019年8月8日, 20190808, Excel serials, and times such as 9:30 or 上午9点半.
//!
//! One parser serves the team form, the Excel import and the activity form, so a spelling
//! accepted in one place is accepted in all of them and every form explains a wrong date
//! the same way.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use unicode_normalization::UnicodeNormalization;

use super::validate::normalize_text;

/// Largest Excel serial, 9999-12-31.
const EXCEL_SERIAL_MAX: u32 = 2_958_465;
/// How a date-time should be written, quoted in messages.
const DATETIME_EXAMPLE: &str = "2026-12-01 09:30";

/// Dates as people and Excel write them: 2019/8/8, 2019-08-08, 2019.8.8, 2019年8月8日, 20190808, and an Excel date serial (a plain number 1..=2958465 possibly with a fraction, 1900 date system with the Lotus leap-year bug: serial 60 is the fake 1900-02-29, serial 61 = 1900-03-01, serial 43685 = 2019-08-08). Full-width digits accepted (normalize first).
///
/// A time of day after the date ("2019/8/8 0:00:00", "2019-08-08T00:00:00") is ignored,
/// as is the fraction of a serial. A bare 4-digit year such as "2019" is rejected rather
/// than read as serial 2019 (a day in 1905): it is a year typed without month and day.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    // Dates have no punctuation worth keeping: fold every full-width form (／ － ．) first.
    let text = normalize_text(&raw.nfkc().collect::<String>());
    if text.is_empty() {
        return Err("请填写日期，如 2019/8/8".to_string());
    }
    let compact: String = without_time(&text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some(result) = number_date(&compact) {
        return result;
    }
    if let Some(result) = separated_date(&compact) {
        return result;
    }
    Err(format!(
        "无法识别日期“{text}”，请按 2019/8/8 或 2019-08-08 的格式填写"
    ))
}

/// Parse a local date-time as typed: "2026-12-01T09:30" (HTML datetime-local),
/// "2026-12-01 09:30", "2026/12/1 9:30", "2026.12.1 9:30", "2026年12月1日 9:30",
/// "20261201 9:30" (the date in any form [`written_date`] takes); seconds
/// (and fractions) allowed and dropped (minute precision); full-width digits OK.
///
/// The time may also be written the spoken way, "9点", "9点30分", "9时30分", "9点半",
/// optionally after 上午/下午/晚上/中午, since that is how notices are usually worded.
pub fn parse_local_datetime(raw: &str) -> Result<NaiveDateTime, String> {
    // NFKC folds full-width digits and ：／－． so only ASCII separators remain.
    let text = normalize_text(&raw.nfkc().collect::<String>());
    if text.is_empty() {
        return Err(format!("请填写日期和时间，如 {DATETIME_EXAMPLE}"));
    }
    let (date_part, time_part) = split_date_time(&text);
    let date_part: String = date_part.chars().filter(|c| !c.is_whitespace()).collect();
    let date = written_date(&date_part).ok_or_else(|| unrecognized(&text))??;
    let time_part: String = time_part.chars().filter(|c| !c.is_whitespace()).collect();
    if time_part.is_empty() {
        return Err(format!(
            "请在日期后填写时间（几点几分），如 {DATETIME_EXAMPLE}"
        ));
    }
    let time = parse_time_part(&time_part).ok_or_else(|| unrecognized(&text))??;
    Ok(date.and_time(time))
}

/// Splits after 日/号 when the date is written in Chinese, otherwise at the first space or
/// the `T` of an ISO / datetime-local value.
fn split_date_time(text: &str) -> (&str, &str) {
    if text.contains('年')
        && let Some(i) = text.find(['日', '号'])
    {
        let end = i + '日'.len_utf8();
        return (&text[..end], &text[end..]);
    }
    match text.find([' ', 'T', 't']) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    }
}

fn unrecognized(text: &str) -> String {
    format!("无法识别时间“{text}”，请按 {DATETIME_EXAMPLE} 的格式填写")
}

/// A date written out in full: "2019/8/8", "2019-08-08", "2019.8.8", "2019年8月8日" or the
/// compact "20190808". `None` when the text is not shaped like a date at all. This is the
/// date part of a date-time; Excel serials are left to [`parse_date`], since a serial with
/// a time of day is a fraction, never "43685 9:30".
fn written_date(s: &str) -> Option<Result<NaiveDate, String>> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(ymd(&s[..4], &s[4..6], &s[6..]));
    }
    separated_date(s)
}

/// "9:30", "09:30:00", "09:30:00.000", "9点", "9点30分", "9时30分", "9点半", each
/// optionally after 上午/下午/… . `None` when it does not look like a time.
fn parse_time_part(t: &str) -> Option<Result<NaiveTime, String>> {
    #[derive(PartialEq)]
    enum Half {
        None,
        Morning,
        Noon,
        Afternoon,
    }
    let mut half = Half::None;
    let mut t = t;
    for (prefix, h) in [
        ("上午", Half::Morning),
        ("早上", Half::Morning),
        ("早晨", Half::Morning),
        ("凌晨", Half::Morning),
        ("中午", Half::Noon),
        ("下午", Half::Afternoon),
        ("傍晚", Half::Afternoon),
        ("晚上", Half::Afternoon),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest;
            half = h;
            break;
        }
    }
    let digits = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let (h, m) = if t.contains(':') {
        let mut parts = t.split(':');
        let (h, m) = (parts.next()?, parts.next()?);
        if let Some(sec) = parts.next() {
            // Seconds are dropped, but must still look like seconds.
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, "0"));
            if !digits(whole)
                || frac.is_empty()
                || !frac.bytes().all(|b| b.is_ascii_digit())
                || whole.parse::<u32>().ok()? > 59
            {
                return None;
            }
        }
        if parts.next().is_some() || !digits(h) || !digits(m) {
            return None;
        }
        (h, m)
    } else {
        let (h, rest) = t.split_once(['点', '时'])?;
        let rest = rest.strip_suffix('整').unwrap_or(rest);
        let m = match rest {
            "" => "0",
            "半" => "30",
            _ => rest.strip_suffix('分').unwrap_or(rest),
        };
        if !digits(h) || !digits(m) {
            return None;
        }
        (h, m)
    };
    let (mut hour, minute): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match half {
        Half::Morning if hour > 12 => {
            return Some(Err(format!("“上午{hour}点”有误，请核对时间")));
        }
        Half::Afternoon if hour < 12 => hour += 12,
        // 中午1点 is 13:00, 中午12点 stays 12:00.
        Half::Noon if hour < 11 => hour += 12,
        _ => {}
    }
    Some(
        NaiveTime::from_hms_opt(hour, minute, 0)
            .ok_or_else(|| format!("时间“{h}:{m}”不正确，时应在0–23之间，分应在0–59之间")),
    )
}

/// Day 0 of Excel's 1900 date system for serials from 61 on: the fake 1900-02-29 shifts
/// every later serial by one, so counting from 1899-12-30 absorbs it.
const EXCEL_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1899, 12, 30) {
    Some(d) => d,
    None => panic!("1899-12-30 is a valid date"),
};
/// Day 0 for serials 1–59, which come before the fake leap day.
const EXCEL_EPOCH_EARLY: NaiveDate = match NaiveDate::from_ymd_opt(1899, 12, 31) {
    Some(d) => d,
    None => panic!("1899-12-31 is a valid date"),
};

/// The date part of "2019/8/8 0:00:00" or "2019-08-08T08:00:00", which is what Excel cells
/// formatted as date-time and ISO strings look like as text.
fn without_time(text: &str) -> &str {
    let is_time = |t: &str| {
        t.contains(':')
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
    };
    for sep in [' ', 'T'] {
        if let Some((date, time)) = text.split_once(sep)
            && is_time(time)
        {
            return date;
        }
    }
    text
}

fn serial_range_error(s: &str) -> String {
    format!(
        "“{s}”不是有效的 Excel 日期序列号（应在 1 到 {EXCEL_SERIAL_MAX} 之间），请直接填写日期，如 2019/8/8"
    )
}

/// A plain number: an 8-digit YYYYMMDD or an Excel serial. `None` when `s` is not a number.
fn number_date(s: &str) -> Option<Result<NaiveDate, String>> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || body.ends_with('.') {
        return None;
    }
    if negative {
        return Some(Err(serial_range_error(s)));
    }
    // Serials stop at 7 digits, so 8 digits can only be a compact date.
    if int.len() == 8 && frac.bytes().all(|b| b == b'0') {
        return Some(ymd(&int[..4], &int[4..6], &int[6..]));
    }
    if int.len() > 7 {
        return Some(Err(serial_range_error(s)));
    }
    let n: u32 = int.parse().ok()?;
    if int.len() == 4 && (1900..=2100).contains(&n) {
        if frac.is_empty() {
            return Some(Err(format!(
                "“{s}”只有年份，请填写完整的年月日，如 2019/8/8"
            )));
        }
        // "2019.8" is a year and month; "2019.13" a typo. Real serials in this range are
        // days in 1905 and, when they carry a time, a long fraction.
        if frac.len() <= 2 {
            return Some(Err(
                if frac.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) {
                    format!("“{s}”缺少日，请填写完整的年月日，如 2019/8/8")
                } else {
                    format!("无法识别日期“{s}”，请按 2019/8/8 或 2019-08-08 的格式填写")
                },
            ));
        }
    }
    Some(from_excel_serial(n, s))
}

/// Excel's 1900 date system, including the Lotus 1-2-3 bug that treats 1900 as a leap year.
fn from_excel_serial(n: u32, shown: &str) -> Result<NaiveDate, String> {
    let (epoch, days) = match n {
        0 => return Err(serial_range_error(shown)),
        60 => {
            return Err(
                "Excel 日期序列号 60 对应不存在的 1900年2月29日，请直接填写日期，如 2019/8/8"
                    .to_string(),
            );
        }
        1..=59 => (EXCEL_EPOCH_EARLY, n),
        61..=EXCEL_SERIAL_MAX => (EXCEL_EPOCH, n),
        _ => return Err(serial_range_error(shown)),
    };
    epoch
        .checked_add_days(Days::new(u64::from(days)))
        .ok_or_else(|| serial_range_error(shown))
}

/// "2019/8/8", "2019-08-08", "2019.8.8" and "2019年8月8日"; `None` for anything else.
fn separated_date(s: &str) -> Option<Result<NaiveDate, String>> {
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = if s.contains('年') {
        let body = s.strip_suffix(['日', '号']).unwrap_or(s);
        let (y, rest) = body.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        vec![y, m, d]
    } else {
        s.split(['/', '-', '.']).collect()
    };
    if parts.len() != 3 || !parts.iter().all(|p| all_digits(p)) {
        return None;
    }
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) {
        return Some(ymd(y, m, d));
    }
    if y.len() <= 2 && d.len() == 4 {
        return Some(Err(
            "日期请按“年/月/日”的顺序填写，年份写在最前面，如 2019/8/8".to_string(),
        ));
    }
    if y.len() <= 2 {
        return Some(Err("日期的年份请写全4位，如 2019/8/8".to_string()));
    }
    None
}

/// Builds a date from digit strings already known to be short runs of ASCII digits.
fn ymd(y: &str, m: &str, d: &str) -> Result<NaiveDate, String> {
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>())
    else {
        return Err(format!(
            "无法识别日期“{y}-{m}-{d}”，请按 2019/8/8 的格式填写"
        ));
    };
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{year}年{month}月{day}日不是有效日期，请核对后重新填写"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date, dt};

    #[test]
    fn parse_date_formats() {
        let want = date(2019, 8, 8);
        for raw in [
            "2019/8/8",
            "2019/08/08",
            "2019-08-08",
            "2019-8-8",
            "2019.8.8",
            "2019.08.08",
            "2019年8月8日",
            "2019年08月08日",
            "2019年8月8号",
            "2019年8月8",
            " 2019 年 8 月 8 日 ",
            "20190808",
            "20190808.0",
            "２０１９／８／８",
            "２０１９年８月８日",
            "2019/8/8 0:00:00",
            "2019-08-08 00:00",
            "2019-08-08T10:30:00",
            "43685",
            "43685.0",
            "43685.75",
            "４３６８５",
        ] {
            assert_eq!(parse_date(raw), Ok(want), "{raw}");
        }
    }

    #[test]
    fn parse_date_excel_serials() {
        assert_eq!(parse_date("1"), Ok(date(1900, 1, 1)));
        assert_eq!(parse_date("59"), Ok(date(1900, 2, 28)));
        assert_eq!(parse_date("61"), Ok(date(1900, 3, 1)));
        assert_eq!(parse_date("25569"), Ok(date(1970, 1, 1)));
        assert_eq!(parse_date("45809"), Ok(date(2025, 6, 1)));
        assert_eq!(parse_date("2958465"), Ok(date(9999, 12, 31)));
        assert!(
            parse_date("60")
                .unwrap_err()
                .starts_with("Excel 日期序列号 60 对应不存在的 1900年2月29日")
        );
        for raw in ["0", "-1", "-43685", "2958466", "9999999"] {
            let err = parse_date(raw).unwrap_err();
            assert!(err.contains("不是有效的 Excel 日期序列号"), "{raw}: {err}");
        }
    }

    #[test]
    fn parse_date_errors() {
        assert_eq!(parse_date("  ").unwrap_err(), "请填写日期，如 2019/8/8");
        assert_eq!(
            parse_date("2019/2/30").unwrap_err(),
            "2019年2月30日不是有效日期，请核对后重新填写"
        );
        assert!(
            parse_date("2019年13月1日")
                .unwrap_err()
                .contains("不是有效日期")
        );
        assert!(parse_date("20190230").unwrap_err().contains("不是有效日期"));
        assert!(parse_date("2019").unwrap_err().contains("只有年份"));
        assert!(parse_date("2019.8").unwrap_err().contains("缺少日"));
        assert!(
            parse_date("2019.13")
                .unwrap_err()
                .starts_with("无法识别日期")
        );
        assert_eq!(
            parse_date("2019.5"),
            Err("“2019.5”缺少日，请填写完整的年月日，如 2019/8/8".to_string())
        );
        // With a long fraction (a time of day) it is a serial after all: 1905-07-11 12:00.
        assert_eq!(parse_date("2019.500"), Ok(date(1905, 7, 11)));
        assert!(
            parse_date("8/8/2019")
                .unwrap_err()
                .contains("年份写在最前面")
        );
        assert!(parse_date("19/8/8").unwrap_err().contains("4位"));
        for raw in [
            "2019/8",
            "去年八月",
            "2019/8/8/8",
            "2019-08-08 上午",
            "2019..8",
            "abc",
            "2019年8月",
            "43685.",
            "1e5",
        ] {
            let err = parse_date(raw).unwrap_err();
            assert!(err.starts_with("无法识别日期"), "{raw}: {err}");
        }
        // 2019/2/29 is invalid but 2020/2/29 is a real leap day.
        assert!(parse_date("2019/2/29").is_err());
        assert_eq!(parse_date("2020/2/29"), Ok(date(2020, 2, 29)));
    }

    #[test]
    fn datetime_formats() {
        let want = dt("2026-12-01 09:30");
        for raw in [
            "2026-12-01T09:30",
            "2026-12-01T09:30:00",
            "2026-12-01T09:30:59.999",
            "2026-12-01 09:30",
            "2026-12-01  09:30:15",
            "2026/12/1 9:30",
            "2026.12.1 9:30",
            "2026年12月1日 9:30",
            "2026年12月1日9:30",
            "2026年12月1号 9时30分",
            "2026年12月1日上午9点半",
            "２０２６－１２－０１　０９：３０",
            "２０２６年１２月１日 ９：３０",
            " 2026-12-01 09:30 ",
        ] {
            assert_eq!(parse_local_datetime(raw), Ok(want), "{raw}");
        }
        assert_eq!(
            parse_local_datetime("2026年12月1日 下午2点"),
            Ok(dt("2026-12-01 14:00"))
        );
        assert_eq!(
            parse_local_datetime("2026-12-01 晚上8:00"),
            Ok(dt("2026-12-01 20:00"))
        );
        assert_eq!(
            parse_local_datetime("2026-12-01 中午12:30"),
            Ok(dt("2026-12-01 12:30"))
        );
        assert_eq!(
            parse_local_datetime("2026-12-01 0:00"),
            Ok(dt("2026-12-01 00:00"))
        );

        assert!(
            parse_local_datetime("2026-12-01")
                .unwrap_err()
                .starts_with("请在日期后填写时间")
        );
        assert_eq!(
            parse_local_datetime("2026-02-30 09:00").unwrap_err(),
            "2026年2月30日不是有效日期，请核对后重新填写"
        );
        assert!(
            parse_local_datetime("2026-12-01 24:00")
                .unwrap_err()
                .starts_with("时间“24:00”不正确")
        );
        assert!(
            parse_local_datetime("2026-12-01 9:60")
                .unwrap_err()
                .contains("不正确")
        );
        assert!(
            parse_local_datetime("2026-12-01 上午14:00")
                .unwrap_err()
                .contains("有误")
        );
        assert_eq!(
            parse_local_datetime("  ").unwrap_err(),
            "请填写日期和时间，如 2026-12-01 09:30"
        );
        for raw in [
            "明天上午",
            "2026-12-01 9",
            "2026-12-01 9:30:61",
            "2026-12-01 9:30:00:00",
            "2026-12-01 9:3a",
        ] {
            assert!(
                parse_local_datetime(raw)
                    .unwrap_err()
                    .starts_with("无法识别时间"),
                "{raw}"
            );
        }
    }

    /// The activity form had its own copy of the date rules, which accepted fewer
    /// spellings and explained a misordered date only as "无法识别时间"; it now shares the
    /// team form's and the import's.
    #[test]
    fn datetime_dates_follow_the_date_rules() {
        assert_eq!(
            parse_local_datetime("20261201 09:30"),
            Ok(dt("2026-12-01 09:30"))
        );
        assert_eq!(
            parse_local_datetime("２０２６１２０１ ９:３０"),
            Ok(dt("2026-12-01 09:30"))
        );
        assert_eq!(
            parse_local_datetime("12/1/2026 9:30"),
            Err("日期请按“年/月/日”的顺序填写，年份写在最前面，如 2019/8/8".to_string())
        );
        assert_eq!(
            parse_local_datetime("26-12-01 9:30"),
            Err("日期的年份请写全4位，如 2019/8/8".to_string())
        );
        assert_eq!(
            parse_local_datetime("20260230 09:30"),
            Err("2026年2月30日不是有效日期，请核对后重新填写".to_string())
        );
        // A serial is a whole date-time of its own, not a date to put a time after.
        assert!(
            parse_local_datetime("46357 09:30")
                .unwrap_err()
                .starts_with("无法识别时间")
        );
    }
}
