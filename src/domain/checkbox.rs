//! Ticked and empty boxes as the notice's forms print them (☑是 □否), and 是/否 answers in
//! every spelling people type into a form or an Excel cell.
//!
//! The glyph table is shared with the multi-select reader in `dict`, so a box that counts
//! as ticked for a yes/no answer counts as ticked for a list of choices too.

use super::validate::normalize;

/// 是/否 in the notice's checkbox or word styles: 是, 否, Y/N, yes/no, true/false, 1/0, ☑是 □否 (take the ticked one), √, "已注册"/"未注册".
///
/// Checkbox style works with the box before ("☑是 □否") or after ("是☑ 否□") the word;
/// `None` when nothing or both are ticked, or the word is not a yes/no.
pub fn parse_yes_no(raw: &str) -> Option<bool> {
    let s: String = normalize(raw)
        .chars()
        .filter(|c| *c != '\u{FE0F}')
        .collect::<String>()
        .to_uppercase();
    if s.is_empty() {
        return None;
    }
    if let Some(answer) = yes_no_word(&s) {
        return Some(answer);
    }
    let chars: Vec<char> = s.chars().collect();
    let box_after = ticked(chars[0]).is_none() && chars.last().and_then(|c| ticked(*c)).is_some();
    let mut answer = None;
    for (ticked, word) in boxed_words(&chars, box_after) {
        if !ticked {
            continue;
        }
        let value = yes_no_word(word.trim_matches(|c: char| !c.is_alphanumeric()))?;
        if answer.is_some_and(|a| a != value) {
            return None;
        }
        answer = Some(value);
    }
    answer
}

/// Whether a checkbox glyph is ticked (`Some(true)`), empty (`Some(false)`), or not a box.
pub(crate) fn ticked(c: char) -> Option<bool> {
    match c {
        '☑' | '√' | '✓' | '✔' | '■' | '▣' | '☒' | '✅' => Some(true),
        '□' | '☐' => Some(false),
        _ => None,
    }
}

fn yes_no_word(word: &str) -> Option<bool> {
    match word {
        "是" | "是的" | "Y" | "YES" | "TRUE" | "1" | "√" | "✓" | "✔" | "☑" | "✅" | "有"
        | "已注册" | "注册" | "已登记" => Some(true),
        "否" | "不是" | "N" | "NO" | "FALSE" | "0" | "×" | "✗" | "✘" | "无" | "没有" | "未注册"
        | "没有注册" | "不注册" | "未登记" => Some(false),
        _ => None,
    }
}

/// Splits "☑是□否" (box before) or "是☑否□" (box after) into (ticked, word) pairs; text
/// not attached to a box is dropped.
fn boxed_words(chars: &[char], box_after: bool) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut pending: Option<bool> = None;
    for &c in chars {
        match ticked(c) {
            Some(ticked) if box_after => {
                out.push((ticked, std::mem::take(&mut word)));
            }
            Some(ticked) => {
                if let Some(prev) = pending {
                    out.push((prev, std::mem::take(&mut word)));
                }
                word.clear();
                pending = Some(ticked);
            }
            None => word.push(c),
        }
    }
    if let (false, Some(prev)) = (box_after, pending) {
        out.push((prev, word));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_variants() {
        for raw in [
            "是",
            " 是 ",
            "Y",
            "y",
            "yes",
            "YES",
            "Yes",
            "true",
            "TRUE",
            "1",
            "１",
            "√",
            "✓",
            "☑",
            "已注册",
            "☑是 □否",
            "☑是□否",
            "□否 ☑是",
            "☑ 是 ☐ 否",
            "☑\u{FE0F}是 □否",
            "是☑ 否□",
            "√是",
            "■是 □否",
        ] {
            assert_eq!(parse_yes_no(raw), Some(true), "{raw}");
        }
        for raw in [
            "否",
            "N",
            "n",
            "no",
            "No",
            "false",
            "FALSE",
            "0",
            "×",
            "未注册",
            "□是 ☑否",
            "□是☑否",
            "是□ 否☑",
            "√否",
            "无",
        ] {
            assert_eq!(parse_yes_no(raw), Some(false), "{raw}");
        }
        for raw in [
            "",
            "  ",
            "也许",
            "是/否",
            "□是 □否",
            "☑是 ☑否",
            "☑也许",
            "2",
            "☐",
            "是否",
        ] {
            assert_eq!(parse_yes_no(raw), None, "{raw}");
        }
    }
}
