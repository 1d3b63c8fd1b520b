//! Field validators for what people type or paste from Excel: mobile numbers and resident
//! ID numbers (GB 11643), plus the text normalisation every other parser builds on.
//!
//! Messages are written for the person filling in the form, so they name the likely cause
//! (an Excel-mangled ID, an IoT SIM number, a full-width digit) rather than just "invalid".

use chrono::{Datelike, NaiveDate};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Zero-width characters survive copy-and-paste from web pages and WeChat but are invisible,
/// so they must go even though `char::is_whitespace` does not cover them.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Normalises a numeric-ish field (phone, ID number): NFKC (full-width → half-width),
/// then removes every whitespace and zero-width character, including U+3000.
pub fn normalize(s: &str) -> String {
    let keep = |c: &char| !c.is_whitespace() && !is_invisible(*c);
    // Most text is already in NFKC (Chinese, ASCII digits): the quick check skips the
    // decomposition and recomposition, which were a fortieth of a large import's check.
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s.chars().filter(keep).collect()
    } else {
        s.nfkc().filter(keep).collect()
    }
}

/// Full-width Latin letters and digits become half-width; Chinese punctuation such as
/// （）、， stays as typed, since official names are written with it.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        other => other,
    }
}

/// Normalises free text such as a name: full-width letters and digits folded, trimmed,
/// zero-width characters dropped, each internal whitespace run (including newlines and
/// U+3000) collapsed to one ASCII space. Unlike `normalize` it keeps Chinese punctuation.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars().filter(|c| !is_invisible(*c)).map(fold_width) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Normalises multi-line free text (descriptions, reports): each line trimmed, zero-width
/// characters dropped, runs of blank lines collapsed to one, blank lines at the ends
/// dropped. Unlike one-line fields nothing is folded: a paragraph keeps its （，：）.
pub fn normalize_multiline(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let unified = raw.replace("\r\n", "\n");
    for line in unified.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        let line: String = line.chars().filter(|c| !is_invisible(*c)).collect();
        let line = line.trim();
        if line.is_empty() && lines.last().is_none_or(String::is_empty) {
            continue;
        }
        lines.push(line.to_string());
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

/// The length of text as a person counts 字: line breaks do not count.
pub fn char_count(text: &str) -> usize {
    text.chars().filter(|c| *c != '\n').count()
}

/// Whether a (normalised) number is a landline with its area code: a 0, a 2–3 digit area
/// code and a 7–8 digit number, with or without a hyphen. Callers keep it as typed, since
/// the area code's length cannot be told from the digits alone.
pub fn is_landline(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = s.strip_prefix('0') else {
        return false;
    };
    match rest.split_once('-') {
        Some((area, number)) => {
            digits(area)
                && (2..=3).contains(&area.len())
                && digits(number)
                && (7..=8).contains(&number.len())
        }
        None => digits(rest) && (9..=11).contains(&rest.len()),
    }
}

/// A mobile number (canonical 11 digits) or a landline with its area code (kept as typed,
/// with a Chinese keyboard's dashes — – ‐ − read as the hyphen), for every contact-phone
/// field (team leader, activity contact, demand contact). `Ok(None)` when empty; `Err`
/// carries no text, so each field words its own message.
pub fn phone_or_landline(raw: &str) -> Result<Option<String>, NotAPhone> {
    let s: String = normalize(raw)
        .chars()
        .map(|c| {
            if matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}') {
                '-'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(m) = mobile(&s) {
        return Ok(Some(m));
    }
    if is_landline(&s) {
        return Ok(Some(s));
    }
    Err(NotAPhone)
}

/// Neither a mobile number nor a landline with its area code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAPhone;

/// Validates a mainland mobile number and returns its canonical 11-digit form.
///
/// A leading `+86`, `0086` or `86` country prefix is removed first.
pub fn mobile(raw: &str) -> Result<String, String> {
    let s = normalize(raw);
    if s.is_empty() {
        return Err("请填写手机号".to_string());
    }
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    // "+86" is unambiguous, so strip it whatever follows; bare "86"/"0086" could be the start
    // of a mistyped number and are only taken as a prefix when exactly 11 digits follow.
    let s = if let Some(rest) = s.strip_prefix("+86") {
        rest
    } else if let Some(rest) = s
        .strip_prefix("0086")
        .filter(|r| r.len() == 11 && all_digits(r))
    {
        rest
    } else if let Some(rest) = s
        .strip_prefix("86")
        .filter(|r| r.len() == 11 && all_digits(r))
    {
        rest
    } else {
        s.as_str()
    };
    if !all_digits(s) {
        return Err("手机号只能包含数字，请检查是否有字母或符号".to_string());
    }
    let len = s.len();
    if len == 13 && (s.starts_with("14") || s.starts_with("10")) {
        return Err("这是13位物联网卡号，不能接收验证码，请填写11位手机号".to_string());
    }
    if len != 11 {
        return Err(format!("手机号应为11位数字，您填写了{len}位"));
    }
    let second = s.as_bytes()[1];
    if !s.starts_with('1') || !(b'3'..=b'9').contains(&second) {
        return Err("手机号应以13–19开头".to_string());
    }
    Ok(s.to_string())
}

/// Gender as recorded on the ID card and in the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Gender {
    /// 男
    Male,
    /// 女
    Female,
}

impl Gender {
    /// The Chinese label used in forms and exports: "男" or "女".
    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }

    /// Parses 男/女/男性/女性/M/F (also Male/Female, any ASCII case) after normalisation.
    pub fn from_label(s: &str) -> Option<Gender> {
        match normalize(s).to_ascii_uppercase().as_str() {
            "男" | "男性" | "M" | "MALE" => Some(Gender::Male),
            "女" | "女性" | "F" | "FEMALE" => Some(Gender::Female),
            _ => None,
        }
    }
}

/// A validated 18-digit resident ID number and what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// The 18 characters, with a check character `X` in upper case.
    pub number: String,
    /// Date of birth from digits 7–14.
    pub birth_date: NaiveDate,
    /// From the 17th digit: odd is male, even is female.
    pub gender: Gender,
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Computes the GB 11643 MOD 11-2 check character for the first 17 digits of an ID number.
/// Returns `None` unless the input is exactly 17 ASCII digits.
pub fn checksum_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(ID_CHECK_CHARS[(sum % 11) as usize])
}

const EXCEL_DAMAGE_MSG: &str = "身份证号被 Excel 当作数字处理而丢失了末尾数字（显示为 4.20323E+17 之类）。请把该列设置为“文本”格式后重新填写完整的18位身份证号";

/// True for what Excel shows after turning an ID into a number: `4.20323E+17`, `4.2E17`,
/// `420323199001011000.0` — digits with a decimal point and/or an exponent.
fn looks_like_excel_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once('E') {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa_ok = !mantissa.is_empty()
        && mantissa.bytes().filter(|b| *b == b'.').count() <= 1
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match exponent {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            mantissa_ok && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => mantissa_ok && mantissa.contains('.'),
    }
}

/// Province prefixes of GB/T 2260, plus 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证).
fn valid_province_prefix(p: u32) -> bool {
    matches!(
        p,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83
    )
}

/// Validates an 18-digit resident ID number (GB 11643-1999) as of `today`.
///
/// Only the province prefix is checked, not the full 6-digit area code: abolished counties
/// keep their codes in ID numbers issued before the change.
pub fn id_number(raw: &str, today: NaiveDate) -> Result<IdNumber, String> {
    let s = normalize(raw).to_ascii_uppercase();
    if s.is_empty() {
        return Err("请填写身份证号".to_string());
    }
    if looks_like_excel_number(&s) {
        return Err(EXCEL_DAMAGE_MSG.to_string());
    }
    let all_digits = s.bytes().all(|b| b.is_ascii_digit());
    // Excel keeps 15 significant digits, so a pasted ID comes back as "...000"; a real ID can
    // end in 000 too, which is why only a failing checksum counts as damage.
    if all_digits && s.len() == 18 && s.ends_with("000") && checksum_char(&s[..17]) != Some('0') {
        return Err(EXCEL_DAMAGE_MSG.to_string());
    }
    if all_digits && s.len() == 15 {
        return Err("15位旧身份证号不能使用，请填写18位身份证号".to_string());
    }
    let len = s.chars().count();
    if len != 18 {
        return Err(format!(
            "身份证号应为18位，最后一位可以是数字或X，您填写了{len}位"
        ));
    }
    let bytes = s.as_bytes();
    let body_ok = bytes[..17].iter().all(u8::is_ascii_digit);
    let last_ok = bytes[17].is_ascii_digit() || bytes[17] == b'X';
    if !body_ok || !last_ok {
        return Err(
            "身份证号只能包含数字，最后一位可以是数字或X，请检查是否有其他字符".to_string(),
        );
    }
    let digits_at = |range: std::ops::Range<usize>| -> u32 {
        bytes[range]
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    if !valid_province_prefix(digits_at(0..2)) {
        return Err("身份证号前两位不是有效的省份代码，请核对后重新填写".to_string());
    }
    let year = i32::try_from(digits_at(6..10)).unwrap_or(0);
    let birth_date = NaiveDate::from_ymd_opt(year, digits_at(10..12), digits_at(12..14))
        .ok_or_else(|| {
            "身份证号中的出生日期（第7–14位）不是有效日期，请核对后重新填写".to_string()
        })?;
    if birth_date > today {
        return Err("身份证号中的出生日期晚于今天，请核对后重新填写".to_string());
    }
    if birth_date < NaiveDate::from_ymd_opt(1900, 1, 1).expect("1900-01-01 is a valid date") {
        return Err("身份证号中的出生日期早于1900年，请核对后重新填写".to_string());
    }
    if checksum_char(&s[..17]) != Some(char::from(bytes[17])) {
        return Err("身份证号校验位不正确，请核对后重新填写".to_string());
    }
    let gender = if digits_at(16..17) % 2 == 1 {
        Gender::Male
    } else {
        Gender::Female
    };
    Ok(IdNumber {
        number: s,
        birth_date,
        gender,
    })
}

/// Keeps the first `head` and last `tail` characters and replaces the rest with `*`,
/// keeping the length; input too short to hide anything is masked completely.
fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= head + tail {
        return "*".repeat(n);
    }
    chars[..head]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('*', n - head - tail))
        .chain(chars[n - tail..].iter().copied())
        .collect()
}

/// Masks an ID number for display: first 3 and last 4 characters kept ("110***********123X").
pub fn mask_id_number(n: &str) -> String {
    mask_middle(n, 3, 4)
}

/// Masks a phone number for display: first 3 and last 4 digits kept ("138****5678").
pub fn mask_phone(p: &str) -> String {
    mask_middle(p, 3, 4)
}

/// A phone as staff say it aloud: "尾号 5678" (the last four digits only).
pub fn phone_tail(p: &str) -> String {
    let digits: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("尾号 {tail}")
}

/// Masks a name for public display: the first character kept ("李**").
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Age in completed years on `on`; 0 if `on` is before `birth`.
///
/// Someone born on 29 February turns a year older on 1 March in common years.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on <= birth {
        return 0;
    }
    let years = on.year() - birth.year();
    let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
    u32::try_from(years - i32::from(before_birthday)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date, today, with_check};

    #[test]
    fn one_phone_or_landline_rule_with_chinese_dashes() {
        for (typed, kept) in [
            ("13812345678", "13812345678"),
            ("+86 138 1234 5678", "13812345678"),
            ("0434-5212345", "0434-5212345"),
            ("0434—5212345", "0434-5212345"),
            ("0434–5212345", "0434-5212345"),
            ("０４３４－５２１２３４５", "0434-5212345"),
            ("04345212345", "04345212345"),
        ] {
            assert_eq!(phone_or_landline(typed), Ok(Some(kept.into())), "{typed}");
        }
        assert_eq!(phone_or_landline("  "), Ok(None));
        for bad in ["123", "0434-12", "1381234567x", "434-5212345"] {
            assert_eq!(phone_or_landline(bad), Err(NotAPhone), "{bad}");
        }
    }

    /// A check character different from the right one.
    fn wrong_check(first17: &str) -> String {
        let right = checksum_char(first17).unwrap();
        let wrong = if right == '1' { '2' } else { '1' };
        format!("{first17}{wrong}")
    }

    #[test]
    fn normalize_full_width_and_invisible() {
        assert_eq!(
            normalize(" １３８\u{3000}1234\u{200B}5678\u{FEFF} "),
            "13812345678"
        );
        assert_eq!(normalize("a\tb\nc\u{00A0}d"), "abcd");
        assert_eq!(normalize_text("  张\u{3000}\u{3000}伟 \n 华 "), "张 伟 华");
        assert_eq!(normalize_text("ＡＢＣ\u{200D}"), "ABC");
        assert_eq!(normalize_text("   "), "");
        assert_eq!(normalize_text("服务队（一）、１队"), "服务队（一）、1队");
    }

    /// The quick path (text already in NFKC) gives what full NFKC gives.
    #[test]
    fn normalize_quick_path_agrees_with_full_nfkc() {
        let samples = [
            "张三丰",
            "13812345678",
            "220302199001011234",
            "ｱｲｳ",
            "①②",
            "ﬁle",
            "Å",
            "e\u{301}",
            "한국",
            "（一）",
            "ＡＢＣ１２３",
            "x\u{200B}y z",
            "",
        ];
        for s in samples {
            let full: String = s
                .nfkc()
                .filter(|c| !c.is_whitespace() && !is_invisible(*c))
                .collect();
            assert_eq!(normalize(s), full, "{s:?}");
        }
    }

    #[test]
    fn checksum_basics() {
        assert_eq!(checksum_char("1101011990030745"), None);
        assert_eq!(checksum_char("11010119900307451a"), None);
        assert_eq!(checksum_char("11010119900307451X"), None);
        // The volunteer template's sample ID 110101199003074514 is valid.
        assert_eq!(checksum_char("11010119900307451"), Some('4'));
    }

    #[test]
    fn valid_and_invalid_checksum() {
        let good = with_check("11010119900307451");
        let id = id_number(&good, today()).unwrap();
        assert_eq!(id.number, good);
        assert_eq!(id.birth_date, date(1990, 3, 7));
        assert_eq!(id.gender, Gender::Male);

        let bad = wrong_check("11010119900307451");
        assert_eq!(
            id_number(&bad, today()).unwrap_err(),
            "身份证号校验位不正确，请核对后重新填写"
        );
    }

    #[test]
    fn notice_example_is_valid() {
        // The notice's sample 220302197503280203 passes MOD 11-2 (check digit 3); its area code
        // 220302 is 四平市铁西区, a woman born 1975-03-28.
        assert_eq!(checksum_char("22030219750328020"), Some('3'));
        let id = id_number("220302197503280203", today()).unwrap();
        assert_eq!(id.number, "220302197503280203");
        assert_eq!(id.gender, Gender::Female);
        assert_eq!(id.birth_date, date(1975, 3, 28));
    }

    #[test]
    fn future_and_invalid_dates() {
        let future = with_check("11010120250602001");
        assert!(
            id_number(&future, today())
                .unwrap_err()
                .contains("晚于今天")
        );
        let on_today = with_check("11010120250601001");
        assert!(id_number(&on_today, today()).is_ok());
        let feb30 = with_check("11010119000230001");
        assert!(
            id_number(&feb30, today())
                .unwrap_err()
                .contains("不是有效日期")
        );
        let month13 = with_check("11010119901301001");
        assert!(
            id_number(&month13, today())
                .unwrap_err()
                .contains("不是有效日期")
        );
        let too_old = with_check("11010118991231001");
        assert!(
            id_number(&too_old, today())
                .unwrap_err()
                .contains("早于1900年")
        );
        let leap = with_check("11010120000229001");
        assert!(id_number(&leap, today()).is_ok());
    }

    #[test]
    fn fifteen_digit_old_id() {
        assert_eq!(
            id_number("110101900307451", today()).unwrap_err(),
            "15位旧身份证号不能使用，请填写18位身份证号"
        );
    }

    #[test]
    fn excel_damage() {
        for raw in [
            "4.20323E+17",
            "4.20323e17",
            "4.20323E17",
            "420323199001011000.0",
            "4203231990.01011000",
            "４.２０３２３Ｅ＋１７",
        ] {
            assert_eq!(
                id_number(raw, today()).unwrap_err(),
                EXCEL_DAMAGE_MSG,
                "{raw}"
            );
        }
        assert!(EXCEL_DAMAGE_MSG.contains("Excel"));
        assert!(EXCEL_DAMAGE_MSG.contains("文本"));
    }

    #[test]
    fn ending_in_000() {
        // Excel zeroes digits 16-18; digit 15 and the birth day vary so both outcomes occur.
        let ids: Vec<(String, char)> = (1..=28u32)
            .flat_map(|day| (0..10u32).map(move |d| format!("420323199001{day:02}{d}00")))
            .map(|first17| {
                let check = checksum_char(&first17).unwrap();
                (format!("{first17}0"), check)
            })
            .collect();
        let valid = &ids.iter().find(|(_, c)| *c == '0').unwrap().0;
        let damaged = &ids.iter().find(|(_, c)| *c != '0').unwrap().0;
        assert!(valid.ends_with("000") && damaged.ends_with("000"));
        assert_eq!(id_number(damaged, today()).unwrap_err(), EXCEL_DAMAGE_MSG);
        assert_eq!(id_number(valid, today()).unwrap().number, *valid);
    }

    #[test]
    fn lowercase_x_and_spaces() {
        // Search a prefix whose check character is X.
        let first17 = (0..1000)
            .map(|n| format!("11010119800101{n:03}"))
            .find(|p| checksum_char(p) == Some('X'))
            .unwrap();
        let lower = format!(" {first17}x ");
        let id = id_number(&lower, today()).unwrap();
        assert_eq!(id.number, format!("{first17}X"));
        let full_width: String = format!("{first17}ｘ")
            .chars()
            .map(|c| {
                char::from_u32(c as u32 + 0xFEE0)
                    .filter(|_| c.is_ascii_digit())
                    .unwrap_or(c)
            })
            .collect();
        assert_eq!(id_number(&full_width, today()).unwrap().number, id.number);
    }

    #[test]
    fn id_format_errors() {
        assert_eq!(id_number("  ", today()).unwrap_err(), "请填写身份证号");
        assert_eq!(
            id_number("1101011990", today()).unwrap_err(),
            "身份证号应为18位，最后一位可以是数字或X，您填写了10位"
        );
        assert!(
            id_number("11010119900307451Y", today())
                .unwrap_err()
                .contains("只能包含数字")
        );
        let bad_province = with_check("99010119900307451");
        assert!(
            id_number(&bad_province, today())
                .unwrap_err()
                .contains("省份代码")
        );
        for prefix in ["71", "81", "82", "83", "65", "11"] {
            let id = with_check(&format!("{prefix}010119900307451"));
            assert!(id_number(&id, today()).is_ok(), "{prefix}");
        }
    }

    #[test]
    fn abolished_county_code_is_accepted() {
        // 110103 (old 崇文区) no longer exists; only the province prefix is checked.
        let id = with_check("11010319800101002");
        let parsed = id_number(&id, today()).unwrap();
        assert_eq!(parsed.gender, Gender::Female);
    }

    #[test]
    fn gender_from_17th_digit_and_labels() {
        let male = with_check("11010119900307001");
        let female = with_check("11010119900307002");
        assert_eq!(id_number(&male, today()).unwrap().gender, Gender::Male);
        assert_eq!(id_number(&female, today()).unwrap().gender, Gender::Female);
        assert_eq!(Gender::Male.label(), "男");
        assert_eq!(Gender::Female.label(), "女");
        for s in ["男", " 男性 ", "M", "m", "Ｍ", "male"] {
            assert_eq!(Gender::from_label(s), Some(Gender::Male), "{s}");
        }
        for s in ["女", "女性", "F", "f"] {
            assert_eq!(Gender::from_label(s), Some(Gender::Female), "{s}");
        }
        assert_eq!(Gender::from_label("未知"), None);
        assert_eq!(Gender::from_label(""), None);
    }

    #[test]
    fn mobile_ok_variants() {
        for raw in [
            "13812345678",
            "１３８１２３４５６７８",
            "138 1234 5678",
            " 138\u{3000}1234\u{200B}5678 ",
            "+8613812345678",
            "+86 138 1234 5678",
            "008613812345678",
            "8613812345678",
        ] {
            assert_eq!(mobile(raw).unwrap(), "13812345678", "{raw}");
        }
        assert_eq!(mobile("19912345678").unwrap(), "19912345678");
    }

    #[test]
    fn mobile_errors() {
        assert_eq!(mobile("").unwrap_err(), "请填写手机号");
        assert_eq!(mobile(" \u{3000} ").unwrap_err(), "请填写手机号");
        assert_eq!(
            mobile("1381234567a").unwrap_err(),
            "手机号只能包含数字，请检查是否有字母或符号"
        );
        assert_eq!(
            mobile("138-1234-5678").unwrap_err(),
            "手机号只能包含数字，请检查是否有字母或符号"
        );
        assert_eq!(
            mobile("1440123456789").unwrap_err(),
            "这是13位物联网卡号，不能接收验证码，请填写11位手机号"
        );
        assert_eq!(
            mobile("1064123456789").unwrap_err(),
            "这是13位物联网卡号，不能接收验证码，请填写11位手机号"
        );
        assert_eq!(
            mobile("1381234567").unwrap_err(),
            "手机号应为11位数字，您填写了10位"
        );
        assert_eq!(
            mobile("+86138123456").unwrap_err(),
            "手机号应为11位数字，您填写了9位"
        );
        assert_eq!(mobile("12812345678").unwrap_err(), "手机号应以13–19开头");
        assert_eq!(mobile("23812345678").unwrap_err(), "手机号应以13–19开头");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("11010119900307451X"), "110***********451X");
        assert_eq!(mask_id_number("11010119900307451X").len(), 18);
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone("12345678"), "123*5678");
        assert_eq!(mask_id_number("12"), "**");
        assert_eq!(mask_id_number("张三李四王五赵六"), "张三李*王五赵六");
        assert_eq!(phone_tail("13812345678"), "尾号 5678");
        assert_eq!(phone_tail("12"), "尾号 12");
    }

    #[test]
    fn age_around_birthdays() {
        let birth = date(1990, 3, 7);
        assert_eq!(age_on(birth, date(2020, 3, 6)), 29);
        assert_eq!(age_on(birth, date(2020, 3, 7)), 30);
        assert_eq!(age_on(birth, date(2020, 3, 8)), 30);
        assert_eq!(age_on(birth, date(2020, 12, 31)), 30);
        assert_eq!(age_on(birth, birth), 0);
        assert_eq!(age_on(birth, date(1980, 1, 1)), 0);
        let leap = date(2000, 2, 29);
        assert_eq!(age_on(leap, date(2001, 2, 28)), 0);
        assert_eq!(age_on(leap, date(2001, 3, 1)), 1);
        assert_eq!(age_on(leap, date(2004, 2, 29)), 4);
    }
}
