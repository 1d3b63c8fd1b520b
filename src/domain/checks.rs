//! The field rules every form shares (volunteers, guardians, teams, activities, demands):
//! problems collected under the form's input names, text limits, person names, phones,
//! dictionary choices and 所在区域.
//!
//! Each rule is written once so that the same slip gets the same Chinese message on every
//! form and in the Excel import.

use std::collections::HashSet;

use super::dict::{self, Dict};
use super::regions::{self, RegionPath};
use super::validate::{self, normalize, normalize_text};

/// One problem: the field key (same names as the template's field_key and the HTML form's input names) and a Chinese message saying what is wrong and what to do.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Longest accepted person name (real name, guardian, team leader), in characters.
const NAME_MAX: usize = 20;
/// Shortest accepted person name: a one-character name is almost always a typo.
const NAME_MIN: usize = 2;

/// Records a failed check under `field` and hands back the value of a passed one.
pub(crate) fn keep<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    result: Result<T, String>,
) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(msg) => {
            errors.push((field, msg));
            None
        }
    }
}

/// Middle dots people type between the parts of a minority or foreign name; all are stored
/// as U+00B7 so the same name is always written the same way.
fn is_middle_dot(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' | '\u{2022}' | '\u{2027}' | '\u{30FB}' | '\u{FF65}' | '\u{2219}' | '\u{22C5}'
    )
}

/// CJK unified ideographs including the rare-character extensions, since names use them.
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{4E00}'..='\u{9FFF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{20000}'..='\u{2EE5F}'
            | '\u{30000}'..='\u{323AF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// Latin letters, including accented ones, for names of foreign origin.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (('\u{C0}'..='\u{24F}').contains(&c) && c.is_alphabetic())
}

/// The person-name rule shared by volunteers, guardians and team leaders: 2–20 characters
/// of hanzi, middle dots and Latin letters. `label` starts each message ("姓名…").
pub(crate) fn person_name(raw: &str, label: &str, empty_msg: &str) -> Result<String, String> {
    let text = normalize_text(raw);
    if text.is_empty() {
        return Err(empty_msg.to_string());
    }
    let chars: Vec<char> = text
        .chars()
        .map(|c| if is_middle_dot(c) { '·' } else { c })
        .collect();
    let mut name = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            // A space only separates Latin words ("John Smith"); beside a hanzi or a dot it
            // is a typing slip ("张 伟") and would make the same person look like two.
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(is_latin_letter) && next.is_some_and(is_latin_letter) {
                name.push(' ');
            }
            continue;
        }
        name.push(c);
        prev = Some(c);
    }
    let len = name.chars().count();
    if len > NAME_MAX {
        return Err(format!("{label}不能超过{NAME_MAX}个字"));
    }
    if len < NAME_MIN {
        return Err(format!("{label}至少{NAME_MIN}个字"));
    }
    if !name
        .chars()
        .all(|c| is_cjk(c) || is_latin_letter(c) || c == '·' || c == ' ')
    {
        return Err(format!("{label}只能包含汉字、字母或间隔号“·”"));
    }
    if name.starts_with('·') || name.ends_with('·') || name.contains("··") {
        return Err(format!(
            "{label}中的间隔号“·”只能写在两个字之间，如 阿依古丽·买买提"
        ));
    }
    Ok(name)
}

/// A required one-line text field, normalised and length-limited.
pub(crate) fn required_text(
    raw: &str,
    empty_msg: &str,
    label: &str,
    max: usize,
) -> Result<String, String> {
    let text = normalize_text(raw);
    if text.is_empty() {
        return Err(empty_msg.to_string());
    }
    if text.chars().count() > max {
        return Err(format!("{label}不能超过{max}个字"));
    }
    Ok(text)
}

/// An optional one-line text field: empty is `None`.
pub(crate) fn optional_text(raw: &str, label: &str, max: usize) -> Result<Option<String>, String> {
    if normalize_text(raw).is_empty() {
        return Ok(None);
    }
    required_text(raw, "", label, max).map(Some)
}

/// Multi-line free text, normalised; empty input gives "". Line breaks do not count
/// towards `max`.
pub(crate) fn multiline(raw: &str, label: &str, max: usize) -> Result<String, String> {
    let text = validate::normalize_multiline(raw);
    if validate::char_count(&text) > max {
        return Err(format!("{label}不能超过{max}个字"));
    }
    Ok(text)
}

/// A required mobile whose empty message names the role ("监护人手机号"); other messages
/// are `validate::mobile`'s.
pub(crate) fn required_mobile(raw: &str, empty_msg: &str) -> Result<String, String> {
    if normalize(raw).is_empty() {
        return Err(empty_msg.to_string());
    }
    validate::mobile(raw)
}

/// A contact phone that may be a mobile or a landline with its area code
/// (`validate::phone_or_landline`); `None` when left empty. `label` names the field in the
/// message.
pub(crate) fn mobile_or_landline(raw: &str, label: &str) -> Result<Option<String>, String> {
    validate::phone_or_landline(raw)
        .map_err(|_| format!("{label}应为11位手机号或带区号的固定电话，如 0371-12345678"))
}

/// [`mobile_or_landline`] for a phone that must be given.
pub(crate) fn required_mobile_or_landline(raw: &str, label: &str) -> Result<String, String> {
    mobile_or_landline(raw, label)?.ok_or_else(|| format!("请填写{label}"))
}

/// A single-choice dictionary field, stored as the canonical name.
pub(crate) fn pick(dict: &Dict, raw: &str) -> Result<String, String> {
    let shown = normalize_text(raw);
    if shown.is_empty() {
        return Err(format!("请选择{}", dict.label()));
    }
    dict.lookup(raw)
        .map(|entry| entry.name.to_string())
        .ok_or_else(|| format!("“{shown}”不是可选的{}，请从列表中选择", dict.label()))
}

/// A multi-choice dictionary field given as form values or Excel cells: the union of every
/// element, deduplicated, in dictionary order. Only the first unknown value is reported,
/// since the message already lists every allowed value.
pub(crate) fn multi(
    dict: &Dict,
    values: &[String],
    empty_msg: &str,
) -> Result<Vec<String>, String> {
    let mut chosen: HashSet<&'static str> = HashSet::new();
    for value in values {
        chosen.extend(dict::parse_multi(dict, value)?);
    }
    if chosen.is_empty() {
        return Err(empty_msg.to_string());
    }
    Ok(dict
        .entries()
        .iter()
        .filter(|e| chosen.contains(e.name))
        .map(|e| e.name.to_string())
        .collect())
}

/// Resolves 所在区域 and reports a failure on the one of the three fields it is about.
/// Shared by every form with a region (volunteers, teams, activities, demands).
pub(crate) fn check_region(
    errors: &mut FieldErrors,
    province: &str,
    city: &str,
    county: &str,
) -> Option<RegionPath> {
    if normalize(province).is_empty() {
        errors.push(("province", "请选择所在区域省".to_string()));
        return None;
    }
    match regions::resolve(province, city, county) {
        Ok(path) => Some(path),
        Err(msg) => {
            let field = region_error_field(&msg, province, city);
            errors.push((field, msg));
            None
        }
    }
}

/// Which field a `regions::resolve` message is about. The messages end by naming the level
/// to check ("请检查所在区域市"), except the ambiguity message, which quotes the input.
fn region_error_field(msg: &str, province: &str, city: &str) -> &'static str {
    if msg.starts_with("请填写所在区域省")
        || msg.contains("找不到省份")
        || msg.contains("没有下级市、县数据")
    {
        return "province";
    }
    if msg.starts_with("请填写所在区域市")
        || msg.contains("是区县，所在区域市应填写")
        // A city that belongs to another province: the wording asks to check 省/市, but
        // the province was found, so the city is what does not fit.
        || msg.ends_with("请检查所在区域省/市")
        || msg.ends_with("请检查所在区域市")
    {
        return "city";
    }
    if msg.contains("可能是") && msg.ends_with("请填写完整名称") {
        // "“临夏”可能是…": resolve checks province, then city, then county, so the first
        // field holding the quoted text is the ambiguous one.
        let quoted = msg
            .strip_prefix('“')
            .and_then(|rest| rest.split_once('”'))
            .map(|(q, _)| q);
        if quoted == Some(normalize(province).as_str()) {
            return "province";
        }
        if quoted == Some(normalize(city).as_str()) {
            return "city";
        }
    }
    "county"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_region_lands_on_the_first_field_holding_it() {
        // The ambiguity message quotes the input; the first field holding it is meant.
        assert_eq!(
            region_error_field("“临夏”可能是“甲”或“乙”，请填写完整名称", "甘肃", "临夏"),
            "city"
        );
        assert_eq!(
            region_error_field("“某”可能是“甲”或“乙”，请填写完整名称", "某", ""),
            "province"
        );
    }

    #[test]
    fn phone_messages_name_the_field() {
        assert_eq!(
            required_mobile_or_landline(" ", "联系电话"),
            Err("请填写联系电话".to_string())
        );
        assert_eq!(mobile_or_landline(" ", "组织负责人电话"), Ok(None));
        assert_eq!(
            required_mobile_or_landline("0434-5212345", "联系电话"),
            Ok("0434-5212345".to_string())
        );
        assert_eq!(
            mobile_or_landline("12345", "组织负责人电话"),
            Err("组织负责人电话应为11位手机号或带区号的固定电话，如 0371-12345678".to_string())
        );
    }
}
