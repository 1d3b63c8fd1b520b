//! Checks one volunteer (附件2) or one team (附件1) as typed into the web form or read from
//! an Excel row, field by field, and turns the raw strings into typed, canonical values.
//!
//! This is the only place those rules live, so the form and the Excel import cannot drift
//! apart. Every problem is collected (not just the first) and reported against the same
//! field key the template and the HTML form use, with a Chinese message that says what to
//! fix. Uniqueness (phone, ID number, team name) needs the store and is checked there.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

pub use super::dates::parse_date;
use super::dict::{self, Dict};
use super::regions::{self, RegionPath};
use super::validate::{self, Gender, IdNumber, normalize, normalize_text};

/// One problem: the field key (same names as the template's field_key and the HTML form's input names) and a Chinese message saying what is wrong and what to do.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Longest accepted person name (real name, guardian, team leader), in characters.
const NAME_MAX: usize = 20;
/// Shortest accepted person name: a one-character name is almost always a typo.
const NAME_MIN: usize = 2;
const EMPLOYER_MAX: usize = 50;
const ORG_NAME_MAX: usize = 100;
const SUPERVISOR_NAME_MAX: usize = 50;
const LEADER_TEXT_MAX: usize = 50;
const DESCRIPTION_MAX: usize = 500;
/// Volunteers younger than this need a guardian's name and phone.
const GUARDIAN_AGE: u32 = 14;

/// What a person typed for one volunteer, or what one row of 附件2 holds, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolunteerInput {
    /// 真实姓名.
    pub real_name: String,
    /// 手机号.
    pub phone: String,
    /// 性别.
    pub gender: String,
    /// 身份证号.
    pub id_number: String,
    /// 政治面貌.
    pub political_status: String,
    /// 民族.
    pub ethnicity: String,
    /// 工作单位.
    pub employer: String,
    /// 职称.
    pub title_level: String,
    /// 最高学历.
    pub education: String,
    /// 从业类别.
    pub occupation: String,
    /// 所在区域省: name or code.
    pub province: String,
    /// 所在区域市: name or code.
    pub city: String,
    /// 所在区域县: name or code.
    pub county: String,
    /// Several values: a form sends one string per ticked checkbox; an Excel cell is one string with separators. Each element goes through dict::parse_multi and the results are joined.
    pub service_categories: Vec<String>,
    /// 服务领域或行业, in the same shape as `service_categories`.
    pub service_fields: Vec<String>,
    /// 是否为基层“三长”.
    pub sanzhang: String,
}

/// A checked volunteer: dictionary values are canonical names, the region is codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerFields {
    /// Name with middle dots unified to "·".
    pub real_name: String,
    /// 11-digit mobile number.
    pub phone: String,
    /// Agrees with the ID number.
    pub gender: Gender,
    /// The parsed ID number.
    pub id: IdNumber,
    /// Canonical 政治面貌 name.
    pub political_status: String,
    /// Canonical 民族 name.
    pub ethnicity: String,
    /// 工作单位.
    pub employer: String,
    /// Canonical 职称 level.
    pub title_level: String,
    /// Canonical 最高学历 name.
    pub education: String,
    /// Canonical 从业类别 name.
    pub occupation: String,
    /// Resolved 所在区域.
    pub region: RegionPath,
    /// At least one, in dictionary order, no duplicates.
    pub service_categories: Vec<String>,
    /// At least one, in dictionary order, no duplicates.
    pub service_fields: Vec<String>,
    /// Canonical 三长 value ("否" when not one).
    pub sanzhang: String,
}

/// Check every field (collect ALL errors, not just the first). Dictionary values are stored as the dictionary's canonical name (entry.name), e.g. "汉" → "汉族", "副高级" → "副高".
///
/// Errors come in template column order, at most one per field.
pub fn check_volunteer(
    input: &VolunteerInput,
    today: NaiveDate,
) -> Result<VolunteerFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    let real_name = keep(
        e,
        "real_name",
        person_name(&input.real_name, "姓名", "请填写真实姓名"),
    );
    let phone = keep(e, "phone", validate::mobile(&input.phone));
    // Parsed before the gender is reported because the two are compared, but reported
    // after it so the errors stay in column order.
    let id = validate::id_number(&input.id_number, today);
    let gender = keep(e, "gender", gender_of(&input.gender, id.as_ref().ok()));
    let id = keep(e, "id_number", id);
    let political_status = keep(
        e,
        "political_status",
        pick(dict::political_status(), &input.political_status),
    );
    let ethnicity = keep(
        e,
        "ethnicity",
        pick(dict::ethnic_groups(), &input.ethnicity),
    );
    let employer = keep(
        e,
        "employer",
        required_text(&input.employer, "请填写工作单位", "工作单位", EMPLOYER_MAX),
    );
    let title_level = keep(
        e,
        "title_level",
        pick(dict::title_levels(), &input.title_level),
    );
    let education = keep(e, "education", pick(dict::education(), &input.education));
    let occupation = keep(
        e,
        "occupation",
        pick(dict::occupations(), &input.occupation),
    );
    let region = check_region(e, &input.province, &input.city, &input.county);
    let service_categories = keep(
        e,
        "service_categories",
        multi(
            dict::service_categories(),
            &input.service_categories,
            "请至少选择一项服务类别",
        ),
    );
    let service_fields = keep(
        e,
        "service_fields",
        multi(
            dict::service_fields(),
            &input.service_fields,
            "请至少选择一项服务领域或行业",
        ),
    );
    let sanzhang = keep(e, "sanzhang", pick(dict::sanzhang(), &input.sanzhang));

    match (
        real_name,
        phone,
        gender,
        id,
        political_status,
        ethnicity,
        employer,
        title_level,
        education,
        occupation,
        region,
        service_categories,
        service_fields,
        sanzhang,
    ) {
        (
            Some(real_name),
            Some(phone),
            Some(gender),
            Some(id),
            Some(political_status),
            Some(ethnicity),
            Some(employer),
            Some(title_level),
            Some(education),
            Some(occupation),
            Some(region),
            Some(service_categories),
            Some(service_fields),
            Some(sanzhang),
        ) if errors.is_empty() => Ok(VolunteerFields {
            real_name,
            phone,
            gender,
            id,
            political_status,
            ethnicity,
            employer,
            title_level,
            education,
            occupation,
            region,
            service_categories,
            service_fields,
            sanzhang,
        }),
        _ => Err(errors),
    }
}

/// Under 14 on `today` by the ID's birth date (needs a guardian).
pub fn needs_guardian(birth: NaiveDate, today: NaiveDate) -> bool {
    validate::age_on(birth, today) < GUARDIAN_AGE
}

/// Guardian name (2–20 chars) and phone (mobile) for minors; errors on fields "guardian_name", "guardian_phone".
///
/// The name follows the same rule as a volunteer's real name.
pub fn check_guardian(name: &str, phone: &str) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = keep(
        &mut errors,
        "guardian_name",
        person_name(name, "监护人姓名", "请填写监护人姓名"),
    );
    let phone = keep(
        &mut errors,
        "guardian_phone",
        required_mobile(phone, "请填写监护人手机号"),
    );
    match (name, phone) {
        (Some(name), Some(phone)) if errors.is_empty() => Ok((name, phone)),
        _ => Err(errors),
    }
}

/// What a person typed for one team, or what one row of 附件1 holds, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgInput {
    /// 组织名称.
    pub org_name: String,
    /// 管理员手机号.
    pub admin_phone: String,
    /// 是否在民政部门注册.
    pub mca_registered: String,
    /// 主管单位类型.
    pub supervisor_type: String,
    /// 主管单位.
    pub supervisor_name: String,
    /// 成立日期, in any form [`parse_date`] accepts.
    pub founded_on: String,
    /// 服务类别, in the same shape as [`VolunteerInput::service_categories`].
    pub service_categories: Vec<String>,
    /// 所在区域省.
    pub province: String,
    /// 所在区域市.
    pub city: String,
    /// 所在区域县.
    pub county: String,
    /// 组织负责人姓名 (optional).
    pub leader_name: String,
    /// 组织负责人职务 (optional).
    pub leader_title: String,
    /// 组织负责人单位 (optional).
    pub leader_org: String,
    /// 组织负责人电话 (optional).
    pub leader_phone: String,
    /// 组织简介 (optional, multi-line).
    pub description: String,
}

/// A checked team; optional leader fields left empty are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFields {
    /// 组织名称.
    pub org_name: String,
    /// 11-digit mobile of the team's administrator account.
    pub admin_phone: String,
    /// 是否在民政部门注册.
    pub mca_registered: bool,
    /// Canonical 主管单位类型 name.
    pub supervisor_type: String,
    /// 主管单位.
    pub supervisor_name: String,
    /// 成立日期, between 1900-01-01 and the day of checking.
    pub founded_on: NaiveDate,
    /// At least one, in dictionary order, no duplicates.
    pub service_categories: Vec<String>,
    /// Resolved 所在区域.
    pub region: RegionPath,
    /// 组织负责人姓名.
    pub leader_name: Option<String>,
    /// 组织负责人职务.
    pub leader_title: Option<String>,
    /// 组织负责人单位.
    pub leader_org: Option<String>,
    /// Mobile (11 digits) or landline with area code, as typed after normalisation.
    pub leader_phone: Option<String>,
    /// 组织简介 with line breaks kept; empty when not given.
    pub description: String,
}

/// Checks every field of a team (collecting all errors, in template column order). Whether
/// the name is already taken is left to the store.
pub fn check_org(input: &OrgInput, today: NaiveDate) -> Result<OrgFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    let org_name = keep(
        e,
        "org_name",
        required_text(&input.org_name, "请填写组织名称", "组织名称", ORG_NAME_MAX),
    );
    let admin_phone = keep(
        e,
        "admin_phone",
        required_mobile(&input.admin_phone, "请填写管理员手机号"),
    );
    let mca_registered = keep(
        e,
        "mca_registered",
        parse_yes_no(&input.mca_registered)
            .ok_or_else(|| "请选择是否在民政部门注册（是/否）".to_string()),
    );
    let supervisor_type = keep(
        e,
        "supervisor_type",
        pick(dict::supervisor_types(), &input.supervisor_type),
    );
    let supervisor_name = keep(
        e,
        "supervisor_name",
        required_text(
            &input.supervisor_name,
            "请填写主管单位",
            "主管单位",
            SUPERVISOR_NAME_MAX,
        ),
    );
    let founded_on = keep(e, "founded_on", founded_on(&input.founded_on, today));
    let service_categories = keep(
        e,
        "service_categories",
        multi(
            dict::service_categories(),
            &input.service_categories,
            "请至少选择一项服务类别",
        ),
    );
    let region = check_region(e, &input.province, &input.city, &input.county);
    let leader_name = keep(e, "leader_name", optional_name(&input.leader_name));
    let leader_title = keep(
        e,
        "leader_title",
        optional_text(&input.leader_title, "组织负责人职务", LEADER_TEXT_MAX),
    );
    let leader_org = keep(
        e,
        "leader_org",
        optional_text(&input.leader_org, "组织负责人单位", LEADER_TEXT_MAX),
    );
    let leader_phone = keep(e, "leader_phone", leader_phone(&input.leader_phone));
    let description = keep(e, "description", description(&input.description));

    match (
        org_name,
        admin_phone,
        mca_registered,
        supervisor_type,
        supervisor_name,
        founded_on,
        service_categories,
        region,
        leader_name,
        leader_title,
        leader_org,
        leader_phone,
        description,
    ) {
        (
            Some(org_name),
            Some(admin_phone),
            Some(mca_registered),
            Some(supervisor_type),
            Some(supervisor_name),
            Some(founded_on),
            Some(service_categories),
            Some(region),
            Some(leader_name),
            Some(leader_title),
            Some(leader_org),
            Some(leader_phone),
            Some(description),
        ) if errors.is_empty() => Ok(OrgFields {
            org_name,
            admin_phone,
            mca_registered,
            supervisor_type,
            supervisor_name,
            founded_on,
            service_categories,
            region,
            leader_name,
            leader_title,
            leader_org,
            leader_phone,
            description,
        }),
        _ => Err(errors),
    }
}

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
    let box_after =
        box_mark(chars[0]).is_none() && chars.last().and_then(|c| box_mark(*c)).is_some();
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

// ---------------------------------------------------------------------------------------
// Field helpers

/// Records a failed check under `field` and hands back the value of a passed one.
fn keep<T>(errors: &mut FieldErrors, field: &'static str, result: Result<T, String>) -> Option<T> {
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
fn person_name(raw: &str, label: &str, empty_msg: &str) -> Result<String, String> {
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

/// A team leader's name: optional, but when given it follows the person-name rule.
fn optional_name(raw: &str) -> Result<Option<String>, String> {
    if normalize_text(raw).is_empty() {
        return Ok(None);
    }
    person_name(raw, "组织负责人姓名", "请填写组织负责人姓名").map(Some)
}

/// A required one-line text field, normalised and length-limited.
fn required_text(raw: &str, empty_msg: &str, label: &str, max: usize) -> Result<String, String> {
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
fn optional_text(raw: &str, label: &str, max: usize) -> Result<Option<String>, String> {
    if normalize_text(raw).is_empty() {
        return Ok(None);
    }
    required_text(raw, "", label, max).map(Some)
}

/// A required mobile whose empty message names the role ("监护人手机号"); other messages
/// are `validate::mobile`'s.
fn required_mobile(raw: &str, empty_msg: &str) -> Result<String, String> {
    if normalize(raw).is_empty() {
        return Err(empty_msg.to_string());
    }
    validate::mobile(raw)
}

fn gender_of(raw: &str, id: Option<&IdNumber>) -> Result<Gender, String> {
    if normalize(raw).is_empty() {
        return Err("请选择性别".to_string());
    }
    let gender = Gender::from_label(raw).ok_or_else(|| "性别只能是男或女".to_string())?;
    match id {
        Some(id) if id.gender != gender => Err(format!(
            "性别与身份证号不一致：按身份证号应为{}",
            id.gender.label()
        )),
        _ => Ok(gender),
    }
}

/// A single-choice dictionary field, stored as the canonical name.
fn pick(dict: &Dict, raw: &str) -> Result<String, String> {
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
fn multi(dict: &Dict, values: &[String], empty_msg: &str) -> Result<Vec<String>, String> {
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
/// Shared by every form with a region (volunteers, teams, activities).
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

fn founded_on(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if normalize(raw).is_empty() {
        return Err("请填写成立日期".to_string());
    }
    let date = parse_date(raw)?;
    if date > today {
        return Err("成立日期不能晚于今天".to_string());
    }
    if date.year() < 1900 {
        return Err("成立日期不能早于1900年1月1日，请核对".to_string());
    }
    Ok(date)
}

/// 组织负责人电话: optional; mobile or landline (`validate::phone_or_landline`).
fn leader_phone(raw: &str) -> Result<Option<String>, String> {
    validate::phone_or_landline(raw)
        .map_err(|_| "组织负责人电话应为11位手机号或带区号的固定电话，如 0371-12345678".to_string())
}

/// The team description, normalised; optional.
fn description(raw: &str) -> Result<String, String> {
    let text = validate::normalize_multiline(raw);
    if validate::char_count(&text) > DESCRIPTION_MAX {
        return Err(format!("组织简介不能超过{DESCRIPTION_MAX}个字"));
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------
// Yes/no

fn yes_no_word(word: &str) -> Option<bool> {
    match word {
        "是" | "是的" | "Y" | "YES" | "TRUE" | "1" | "√" | "✓" | "✔" | "☑" | "✅" | "有"
        | "已注册" | "注册" | "已登记" => Some(true),
        "否" | "不是" | "N" | "NO" | "FALSE" | "0" | "×" | "✗" | "✘" | "无" | "没有" | "未注册"
        | "没有注册" | "不注册" | "未登记" => Some(false),
        _ => None,
    }
}

/// Whether a checkbox glyph is ticked; the same glyphs `dict::parse_multi` understands.
fn box_mark(c: char) -> Option<bool> {
    match c {
        '☑' | '√' | '✓' | '✔' | '■' | '▣' | '☒' | '✅' => Some(true),
        '□' | '☐' => Some(false),
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
        match box_mark(c) {
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
    use crate::domain::validate::checksum_char;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        date(2025, 6, 1)
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", checksum_char(first17).unwrap())
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    /// A valid volunteer: the notice's sample ID, a woman born 1975-03-28 in 四平市铁西区.
    fn volunteer() -> VolunteerInput {
        VolunteerInput {
            real_name: "李秀兰".into(),
            phone: "13812345678".into(),
            gender: "女".into(),
            id_number: with_check("22030219750328020"),
            political_status: "群众".into(),
            ethnicity: "汉族".into(),
            employer: "四平市铁西区人民医院".into(),
            title_level: "副高".into(),
            education: "本科".into(),
            occupation: "医疗卫生机构".into(),
            province: "吉林省".into(),
            city: "四平市".into(),
            county: "铁西区".into(),
            service_categories: strings(&["科技咨询"]),
            service_fields: strings(&["健康咨询类"]),
            sanzhang: "基层医院院长".into(),
        }
    }

    fn errors_of(input: &VolunteerInput) -> FieldErrors {
        check_volunteer(input, today()).unwrap_err()
    }

    /// The only error, asserting it is on `field`.
    fn only_error(errors: &FieldErrors, field: &str) -> String {
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, field, "{errors:?}");
        errors[0].1.clone()
    }

    fn volunteer_error(field: &str, change: impl FnOnce(&mut VolunteerInput)) -> String {
        let mut input = volunteer();
        change(&mut input);
        only_error(&errors_of(&input), field)
    }

    fn tiexi() -> RegionPath {
        RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220302".into()),
        }
    }

    #[test]
    fn valid_volunteer() {
        let v = check_volunteer(&volunteer(), today()).unwrap();
        assert_eq!(v.real_name, "李秀兰");
        assert_eq!(v.phone, "13812345678");
        assert_eq!(v.gender, Gender::Female);
        assert_eq!(v.id.number, "220302197503280203");
        assert_eq!(v.id.birth_date, date(1975, 3, 28));
        assert_eq!(v.political_status, "群众");
        assert_eq!(v.ethnicity, "汉族");
        assert_eq!(v.employer, "四平市铁西区人民医院");
        assert_eq!(v.title_level, "副高");
        assert_eq!(v.education, "本科");
        assert_eq!(v.occupation, "医疗卫生机构");
        assert_eq!(v.region, tiexi());
        assert_eq!(v.service_categories, ["科技咨询"]);
        assert_eq!(v.service_fields, ["健康咨询类"]);
        assert_eq!(v.sanzhang, "基层医院院长");

        let by_code = VolunteerInput {
            province: "220000".into(),
            city: "220300".into(),
            county: "220302".into(),
            ..volunteer()
        };
        assert_eq!(check_volunteer(&by_code, today()).unwrap().region, tiexi());
    }

    #[test]
    fn real_name_errors() {
        for (raw, want) in [
            ("", "请填写真实姓名"),
            ("  \u{3000}\t", "请填写真实姓名"),
            ("张", "姓名至少2个字"),
            ("张三3", "姓名只能包含汉字、字母或间隔号“·”"),
            ("张三!", "姓名只能包含汉字、字母或间隔号“·”"),
            ("O'Brien", "姓名只能包含汉字、字母或间隔号“·”"),
        ] {
            assert_eq!(
                volunteer_error("real_name", |v| v.real_name = raw.into()),
                want,
                "{raw:?}"
            );
        }
        let long = "阿".repeat(21);
        assert_eq!(
            volunteer_error("real_name", |v| v.real_name = long),
            "姓名不能超过20个字"
        );
        assert!(
            volunteer_error("real_name", |v| v.real_name = "·买买提".into())
                .contains("只能写在两个字之间")
        );
        assert!(
            volunteer_error("real_name", |v| v.real_name = "买买提··艾力".into())
                .contains("间隔号")
        );
    }

    #[test]
    fn real_name_accepted_forms() {
        let twenty = "阿".repeat(20);
        for (raw, want) in [
            ("  李秀兰 ", "李秀兰"),
            ("李 秀兰", "李秀兰"),
            ("阿依古丽•买买提", "阿依古丽·买买提"),
            ("阿依古丽・买买提", "阿依古丽·买买提"),
            ("阿依古丽‧买买提", "阿依古丽·买买提"),
            ("阿依古丽 · 买买提", "阿依古丽·买买提"),
            ("John  Smith", "John Smith"),
            ("Ｊｏｈｎ Ｓｍｉｔｈ", "John Smith"),
            ("José", "José"),
            (twenty.as_str(), twenty.as_str()),
            ("𠮷田", "𠮷田"),
        ] {
            let input = VolunteerInput {
                real_name: raw.into(),
                ..volunteer()
            };
            assert_eq!(
                check_volunteer(&input, today()).unwrap().real_name,
                want,
                "{raw}"
            );
        }
    }

    #[test]
    fn phone_checks() {
        assert_eq!(
            volunteer_error("phone", |v| v.phone = "1381234567".into()),
            "手机号应为11位数字，您填写了10位"
        );
        assert_eq!(
            volunteer_error("phone", |v| v.phone = "138123456789".into()),
            "手机号应为11位数字，您填写了12位"
        );
        assert_eq!(
            volunteer_error("phone", |v| v.phone = String::new()),
            "请填写手机号"
        );
        let input = VolunteerInput {
            phone: "１３８１２３４５６７８".into(),
            ..volunteer()
        };
        assert_eq!(
            check_volunteer(&input, today()).unwrap().phone,
            "13812345678"
        );
    }

    #[test]
    fn id_number_checks() {
        assert_eq!(
            volunteer_error("id_number", |v| v.id_number = "220302197503280204".into()),
            "身份证号校验位不正确，请核对后重新填写"
        );
        // Checksum right, so the only problem is that 2025-02-30 does not exist.
        let feb30 = with_check("22030220250230020");
        assert_eq!(
            volunteer_error("id_number", |v| v.id_number = feb30),
            "身份证号中的出生日期（第7–14位）不是有效日期，请核对后重新填写"
        );
        // A bad ID cannot be compared with the gender, so only the ID is reported.
        assert_eq!(
            volunteer_error("id_number", |v| {
                v.id_number = "4.20323E+17".into();
                v.gender = "男".into();
            }),
            validate::id_number("4.20323E+17", today()).unwrap_err()
        );
        let input = VolunteerInput {
            id_number: " 220302197503280203 ".into(),
            ..volunteer()
        };
        assert!(check_volunteer(&input, today()).is_ok());
    }

    #[test]
    fn gender_checks() {
        assert_eq!(
            volunteer_error("gender", |v| v.gender = "男".into()),
            "性别与身份证号不一致：按身份证号应为女"
        );
        let male_id = with_check("22030219750328021");
        assert_eq!(
            volunteer_error("gender", |v| {
                v.id_number = male_id;
                v.gender = "女性".into();
            }),
            "性别与身份证号不一致：按身份证号应为男"
        );
        assert_eq!(
            volunteer_error("gender", |v| v.gender = " ".into()),
            "请选择性别"
        );
        assert_eq!(
            volunteer_error("gender", |v| v.gender = "未知".into()),
            "性别只能是男或女"
        );
        let input = VolunteerInput {
            gender: "F".into(),
            ..volunteer()
        };
        assert_eq!(
            check_volunteer(&input, today()).unwrap().gender,
            Gender::Female
        );
    }

    #[test]
    fn dictionary_fields() {
        assert_eq!(
            volunteer_error("ethnicity", |v| v.ethnicity = "火星族".into()),
            "“火星族”不是可选的民族，请从列表中选择"
        );
        assert_eq!(
            volunteer_error("ethnicity", |v| v.ethnicity = String::new()),
            "请选择民族"
        );
        assert_eq!(
            volunteer_error("political_status", |v| v.political_status = "党".into()),
            "“党”不是可选的政治面貌，请从列表中选择"
        );
        assert_eq!(
            volunteer_error("title_level", |v| v.title_level = "\n".into()),
            "请选择职称"
        );
        assert_eq!(
            volunteer_error("education", |v| v.education = "幼儿园".into()),
            "“幼儿园”不是可选的最高学历，请从列表中选择"
        );
        assert_eq!(
            volunteer_error("occupation", |v| v.occupation = String::new()),
            "请选择从业类别"
        );
        assert_eq!(
            volunteer_error("sanzhang", |v| v.sanzhang = String::new()),
            "请选择是否为基层“三长”"
        );
    }

    #[test]
    fn synonyms_are_stored_canonically() {
        let input = VolunteerInput {
            ethnicity: "汉".into(),
            title_level: "副高级".into(),
            political_status: "党员".into(),
            education: "大学本科".into(),
            occupation: "医院".into(),
            sanzhang: "无".into(),
            ..volunteer()
        };
        let v = check_volunteer(&input, today()).unwrap();
        assert_eq!(v.ethnicity, "汉族");
        assert_eq!(v.title_level, "副高");
        assert_eq!(v.political_status, "中共党员");
        assert_eq!(v.education, "本科");
        assert_eq!(v.occupation, "医疗卫生机构");
        assert_eq!(v.sanzhang, "否");
    }

    #[test]
    fn employer_checks() {
        assert_eq!(
            volunteer_error("employer", |v| v.employer = " ".into()),
            "请填写工作单位"
        );
        assert_eq!(
            volunteer_error("employer", |v| v.employer = "单".repeat(51)),
            "工作单位不能超过50个字"
        );
        let input = VolunteerInput {
            employer: format!(" {} ", "单".repeat(50)),
            ..volunteer()
        };
        assert_eq!(
            check_volunteer(&input, today()).unwrap().employer,
            "单".repeat(50)
        );
    }

    #[test]
    fn region_errors_land_on_the_right_field() {
        assert_eq!(
            volunteer_error("county", |v| v.city = "长春市".into()),
            "“铁西区”不属于“吉林省 长春市”，请检查所在区域市/县"
        );
        assert_eq!(
            volunteer_error("province", |v| v.province = String::new()),
            "请选择所在区域省"
        );
        let cases: &[(&str, &str, &str, &'static str)] = &[
            ("火星", "", "", "province"),
            ("香港", "", "", "province"),
            ("吉林省", "", "", "city"),
            ("吉林省", "月亮市", "", "city"),
            ("山东", "长春市", "朝阳区", "city"),
            ("吉林省", "铁西区", "", "city"),
            ("北京", "铁西区", "", "city"),
            ("吉林省", "四平市", "", "county"),
            ("吉林省", "四平市", "不存在区", "county"),
            ("江西", "南昌市", "南昌市", "county"),
            ("广东", "东莞市", "南山区", "county"),
            ("北京", "北京", "铁西区", "county"),
            ("河南省", "济源市", "洛阳市", "county"),
            ("甘肃省", "临夏回族自治州", "临夏", "county"),
            // Ambiguous: 伊宁市 and 伊宁县 are siblings.
            ("新疆", "伊犁哈萨克自治州", "伊宁", "county"),
        ];
        for &(p, c, k, field) in cases {
            let msg = regions::resolve(p, c, k).unwrap_err();
            let input = VolunteerInput {
                province: p.into(),
                city: c.into(),
                county: k.into(),
                ..volunteer()
            };
            let errors = errors_of(&input);
            assert_eq!(errors, [(field, msg)], "{p}/{c}/{k}");
        }
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
    fn several_errors_are_all_reported() {
        let input = VolunteerInput {
            real_name: String::new(),
            phone: "12345".into(),
            gender: "男".into(),
            ethnicity: "火星族".into(),
            city: "长春市".into(),
            service_categories: Vec::new(),
            service_fields: strings(&["养殖"]),
            ..volunteer()
        };
        let errors = errors_of(&input);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "real_name",
                "phone",
                "gender",
                "ethnicity",
                "county",
                "service_categories",
                "service_fields"
            ]
        );
        assert!(errors.iter().all(|(_, m)| !m.is_empty()));

        let empty = errors_of(&VolunteerInput::default());
        let fields: Vec<&str> = empty.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "real_name",
                "phone",
                "gender",
                "id_number",
                "political_status",
                "ethnicity",
                "employer",
                "title_level",
                "education",
                "occupation",
                "province",
                "service_categories",
                "service_fields",
                "sanzhang"
            ]
        );
    }

    #[test]
    fn multi_select_from_excel_and_form() {
        let cell = VolunteerInput {
            service_categories: strings(&["科技培训、农技服务"]),
            service_fields: strings(&["☑科技培训类 □科技咨询类 √健康咨询"]),
            ..volunteer()
        };
        let v = check_volunteer(&cell, today()).unwrap();
        assert_eq!(v.service_categories, ["科技培训", "农技服务"]);
        assert_eq!(v.service_fields, ["科技培训类", "健康咨询类"]);

        let form = VolunteerInput {
            service_categories: strings(&["农技服务", "科技培训", "", "农技服务"]),
            service_fields: strings(&["健康咨询类", "科技培训"]),
            ..volunteer()
        };
        let v = check_volunteer(&form, today()).unwrap();
        assert_eq!(v.service_categories, ["科技培训", "农技服务"]);
        assert_eq!(v.service_fields, ["科技培训类", "健康咨询类"]);

        assert_eq!(
            volunteer_error("service_categories", |v| v.service_categories = Vec::new()),
            "请至少选择一项服务类别"
        );
        assert_eq!(
            volunteer_error("service_categories", |v| {
                v.service_categories = strings(&["□科技培训 □科技咨询"]);
            }),
            "请至少选择一项服务类别"
        );
        assert_eq!(
            volunteer_error("service_fields", |v| v.service_fields = strings(&["", " "])),
            "请至少选择一项服务领域或行业"
        );
        let unknown = volunteer_error("service_categories", |v| {
            v.service_categories = strings(&["科技培训", "天文观测"]);
        });
        assert_eq!(
            unknown,
            dict::parse_multi(dict::service_categories(), "天文观测").unwrap_err()
        );
    }

    #[test]
    fn guardian_age() {
        let birth = date(2011, 6, 2);
        assert!(needs_guardian(birth, date(2025, 6, 1)));
        assert!(!needs_guardian(birth, date(2025, 6, 2)));
        assert!(!needs_guardian(birth, date(2030, 1, 1)));
        assert!(needs_guardian(date(2025, 1, 1), date(2025, 6, 1)));
        let leap = date(2012, 2, 29);
        assert!(needs_guardian(leap, date(2026, 2, 28)));
        assert!(!needs_guardian(leap, date(2026, 3, 1)));
        assert!(!needs_guardian(date(1975, 3, 28), today()));
    }

    #[test]
    fn guardian_checks() {
        assert_eq!(
            check_guardian(" 王 建国 ", "+86 139 0000 1111").unwrap(),
            ("王建国".to_string(), "13900001111".to_string())
        );
        assert_eq!(
            check_guardian("", "").unwrap_err(),
            [
                ("guardian_name", "请填写监护人姓名".to_string()),
                ("guardian_phone", "请填写监护人手机号".to_string())
            ]
        );
        assert_eq!(
            check_guardian("王", "1390000111").unwrap_err(),
            [
                ("guardian_name", "监护人姓名至少2个字".to_string()),
                (
                    "guardian_phone",
                    "手机号应为11位数字，您填写了10位".to_string()
                )
            ]
        );
        assert_eq!(
            check_guardian(&"王".repeat(21), "13900001111").unwrap_err(),
            [("guardian_name", "监护人姓名不能超过20个字".to_string())]
        );
        assert_eq!(
            check_guardian("王2", "13900001111").unwrap_err(),
            [(
                "guardian_name",
                "监护人姓名只能包含汉字、字母或间隔号“·”".to_string()
            )]
        );
    }

    fn org() -> OrgInput {
        OrgInput {
            org_name: "四平市铁西区科技志愿服务队".into(),
            admin_phone: "13710986743".into(),
            mca_registered: "否".into(),
            supervisor_type: "地方科协".into(),
            supervisor_name: "铁西区科协".into(),
            founded_on: "2019/8/8".into(),
            service_categories: strings(&["科技培训、科普讲解"]),
            province: "吉林省".into(),
            city: "四平市".into(),
            county: "铁西区".into(),
            leader_name: String::new(),
            leader_title: String::new(),
            leader_org: String::new(),
            leader_phone: String::new(),
            description: String::new(),
        }
    }

    fn org_error(field: &str, change: impl FnOnce(&mut OrgInput)) -> String {
        let mut input = org();
        change(&mut input);
        only_error(&check_org(&input, today()).unwrap_err(), field)
    }

    fn org_ok(change: impl FnOnce(&mut OrgInput)) -> OrgFields {
        let mut input = org();
        change(&mut input);
        check_org(&input, today()).unwrap()
    }

    #[test]
    fn valid_org() {
        let o = check_org(&org(), today()).unwrap();
        assert_eq!(o.org_name, "四平市铁西区科技志愿服务队");
        assert_eq!(o.admin_phone, "13710986743");
        assert!(!o.mca_registered);
        assert_eq!(o.supervisor_type, "地方科协");
        assert_eq!(o.supervisor_name, "铁西区科协");
        assert_eq!(o.founded_on, date(2019, 8, 8));
        assert_eq!(o.service_categories, ["科技培训", "科普讲解"]);
        assert_eq!(o.region, tiexi());
        assert_eq!(o.leader_name, None);
        assert_eq!(o.leader_title, None);
        assert_eq!(o.leader_org, None);
        assert_eq!(o.leader_phone, None);
        assert_eq!(o.description, "");

        let full = org_ok(|o| {
            o.mca_registered = "☑是 □否".into();
            o.supervisor_type = "县科协".into();
            o.founded_on = "43685".into();
            o.leader_name = "赵 刚".into();
            o.leader_title = " 队长 ".into();
            o.leader_org = "铁西区科协".into();
            o.leader_phone = "0434-1234567".into();
            o.description = "  \n 第一段。 \r\n\r\n\r\n  第二段，含（括号）。\n\n".into();
        });
        assert!(full.mca_registered);
        assert_eq!(full.supervisor_type, "地方科协");
        assert_eq!(full.founded_on, date(2019, 8, 8));
        assert_eq!(full.leader_name.as_deref(), Some("赵刚"));
        assert_eq!(full.leader_title.as_deref(), Some("队长"));
        assert_eq!(full.leader_org.as_deref(), Some("铁西区科协"));
        assert_eq!(full.leader_phone.as_deref(), Some("0434-1234567"));
        assert_eq!(full.description, "第一段。\n\n第二段，含（括号）。");
    }

    #[test]
    fn org_required_fields() {
        let errors = check_org(&OrgInput::default(), today()).unwrap_err();
        assert_eq!(
            errors,
            [
                ("org_name", "请填写组织名称".to_string()),
                ("admin_phone", "请填写管理员手机号".to_string()),
                (
                    "mca_registered",
                    "请选择是否在民政部门注册（是/否）".to_string()
                ),
                ("supervisor_type", "请选择主管单位类型".to_string()),
                ("supervisor_name", "请填写主管单位".to_string()),
                ("founded_on", "请填写成立日期".to_string()),
                ("service_categories", "请至少选择一项服务类别".to_string()),
                ("province", "请选择所在区域省".to_string()),
            ]
        );
    }

    #[test]
    fn org_field_errors() {
        assert_eq!(
            org_error("org_name", |o| o.org_name = "队".repeat(101)),
            "组织名称不能超过100个字"
        );
        assert_eq!(
            org_error("admin_phone", |o| o.admin_phone = "1371098674".into()),
            "手机号应为11位数字，您填写了10位"
        );
        assert_eq!(
            org_error("mca_registered", |o| o.mca_registered = "也许".into()),
            "请选择是否在民政部门注册（是/否）"
        );
        assert_eq!(
            org_error("mca_registered", |o| o.mca_registered = "□是 □否".into()),
            "请选择是否在民政部门注册（是/否）"
        );
        assert_eq!(
            org_error("supervisor_type", |o| o.supervisor_type = "居委会".into()),
            "“居委会”不是可选的主管单位类型，请从列表中选择"
        );
        assert_eq!(
            org_error("supervisor_name", |o| o.supervisor_name = "科".repeat(51)),
            "主管单位不能超过50个字"
        );
        assert_eq!(
            org_error("founded_on", |o| o.founded_on = "2025/6/2".into()),
            "成立日期不能晚于今天"
        );
        assert_eq!(
            org_ok(|o| o.founded_on = "2025-06-01".into()).founded_on,
            today()
        );
        assert!(org_error("founded_on", |o| o.founded_on = "1899/12/31".into()).contains("1900年"));
        assert_eq!(
            org_ok(|o| o.founded_on = "1".into()).founded_on,
            date(1900, 1, 1)
        );
        assert_eq!(
            org_error("founded_on", |o| o.founded_on = "2019/2/30".into()),
            "2019年2月30日不是有效日期，请核对后重新填写"
        );
        assert_eq!(
            org_error("service_categories", |o| o.service_categories =
                strings(&["", "、"])),
            "请至少选择一项服务类别"
        );
        assert!(
            org_error("service_categories", |o| {
                o.service_categories = strings(&["天文观测"]);
            })
            .starts_with("“天文观测”不是可选的服务类别")
        );
        assert_eq!(
            org_error("county", |o| o.city = "长春市".into()),
            "“铁西区”不属于“吉林省 长春市”，请检查所在区域市/县"
        );
        assert_eq!(
            org_error("leader_name", |o| o.leader_name = "赵".into()),
            "组织负责人姓名至少2个字"
        );
        assert_eq!(
            org_error("leader_name", |o| o.leader_name = "赵".repeat(21)),
            "组织负责人姓名不能超过20个字"
        );
        assert_eq!(
            org_error("leader_name", |o| o.leader_name = "赵刚（队长）".into()),
            "组织负责人姓名只能包含汉字、字母或间隔号“·”"
        );
        assert_eq!(
            org_error("leader_title", |o| o.leader_title = "职".repeat(51)),
            "组织负责人职务不能超过50个字"
        );
        assert_eq!(
            org_error("leader_org", |o| o.leader_org = "单".repeat(51)),
            "组织负责人单位不能超过50个字"
        );
        assert_eq!(
            org_error("description", |o| o.description = "简".repeat(501)),
            "组织简介不能超过500个字"
        );
        // Line breaks do not count towards the limit.
        let text = format!("{}\n{}", "简".repeat(250), "介".repeat(250));
        assert_eq!(org_ok(|o| o.description = text.clone()).description, text);
    }

    #[test]
    fn org_duplicate_name_is_not_checked_here() {
        // Two teams with the same name both pass; the store rejects the second.
        let a = check_org(&org(), today()).unwrap();
        let b = check_org(&org(), today()).unwrap();
        assert_eq!(a.org_name, b.org_name);
    }

    #[test]
    fn leader_phone_forms() {
        for (raw, want) in [
            ("13812345678", "13812345678"),
            ("+86 138 1234 5678", "13812345678"),
            ("0371-12345678", "0371-12345678"),
            ("037112345678", "037112345678"),
            ("010-1234567", "010-1234567"),
            ("０３７１－１２３４５６７８", "0371-12345678"),
            ("0371—12345678", "0371-12345678"),
            ("0371 1234 5678", "037112345678"),
        ] {
            assert_eq!(
                org_ok(|o| o.leader_phone = raw.into())
                    .leader_phone
                    .as_deref(),
                Some(want),
                "{raw}"
            );
        }
        for raw in [
            "1381234567",
            "12345678",
            "0371-123456",
            "0371-123456789",
            "03-12345678",
            "03712-12345678",
            "(0371)12345678",
            "0371-1234-5678",
            "0371-12345678-123",
        ] {
            assert_eq!(
                org_error("leader_phone", |o| o.leader_phone = raw.into()),
                "组织负责人电话应为11位手机号或带区号的固定电话，如 0371-12345678",
                "{raw}"
            );
        }
    }

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
