//! The activity form (活动发布): what an organiser typed, checked field by field into the
//! values an [`Activity`](super::Activity) is made of, with every problem reported under
//! the form's input names.

use chrono::{NaiveDateTime, TimeDelta};

use crate::domain::checks::{
    FieldErrors, check_region, keep, multiline, pick, required_mobile_or_landline, required_text,
};
use crate::domain::dates::parse_local_datetime;
use crate::domain::dict;
use crate::domain::regions::{self, RegionPath};
use crate::domain::validate::normalize;

const TITLE_MAX: usize = 60;
const ADDRESS_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 2000;
const CONTACT_NAME_MAX: usize = 20;
const RISK_NOTE_MAX: usize = 500;
const CAPACITY_MAX: u32 = 10_000;
/// Longest single activity; longer undertakings are meant to be split into activities.
const MAX_ACTIVITY_DAYS: i64 = 30;

/// What an organiser typed for one activity, unchecked. Field names are the HTML form's
/// input names, which are also the keys of the errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityInput {
    /// 活动名称.
    pub title: String,
    /// 服务类别.
    pub service_category: String,
    /// 活动地点省: name or code.
    pub province: String,
    /// 活动地点市: name or code.
    pub city: String,
    /// 活动地点县: name or code.
    pub county: String,
    /// 活动地址 (street, venue).
    pub address: String,
    /// 活动内容, multi-line.
    pub description: String,
    /// 联系人.
    pub contact_name: String,
    /// 联系电话: mobile or landline.
    pub contact_phone: String,
    /// 报名开始时间, in any form [`parse_local_datetime`] accepts.
    pub signup_opens: String,
    /// 报名截止时间.
    pub signup_closes: String,
    /// 活动开始时间.
    pub starts_at: String,
    /// 活动结束时间.
    pub ends_at: String,
    /// 人数上限; empty means no limit.
    pub capacity: String,
    /// 风险提示 (optional, multi-line).
    pub risk_note: String,
}

/// A checked activity form: canonical values, ready to go into an [`Activity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFields {
    pub title: String,
    /// Canonical 服务类别 name.
    pub service_category: String,
    pub region: RegionPath,
    pub address: String,
    /// Line breaks kept, blank-line runs collapsed.
    pub description: String,
    pub contact_name: String,
    /// 11-digit mobile, or a landline as typed after normalisation.
    pub contact_phone: String,
    /// Minute precision; signup_opens < signup_closes <= starts_at < ends_at, at most 30 days
    /// from start to end.
    pub signup_opens: NaiveDateTime,
    pub signup_closes: NaiveDateTime,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// 0 = no limit.
    pub capacity: u32,
    /// Empty when not given.
    pub risk_note: String,
}

/// Checks every field of an activity form, collecting all errors (at most one per field,
/// in form order) under the form's input names.
///
/// `county_scope`: when the platform is configured for one county (a 6-digit county code,
/// or a city/province code), the activity region must lie inside it.
pub fn check_activity(
    input: &ActivityInput,
    county_scope: Option<&str>,
) -> Result<ActivityFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    let title = keep(
        e,
        "title",
        required_text(&input.title, "请填写活动名称", "活动名称", TITLE_MAX),
    );
    let service_category = keep(
        e,
        "service_category",
        pick(dict::service_categories(), &input.service_category),
    );
    let region = check_region(e, &input.province, &input.city, &input.county);
    let region = match (region, county_scope.map(str::trim)) {
        (Some(path), Some(scope)) if !scope.is_empty() => match outside_scope(&path, scope) {
            Some((field, msg)) => {
                e.push((field, msg));
                None
            }
            None => Some(path),
        },
        (region, _) => region,
    };
    let address = keep(
        e,
        "address",
        required_text(&input.address, "请填写活动地址", "活动地址", ADDRESS_MAX),
    );
    let description = keep(
        e,
        "description",
        multiline(&input.description, "活动内容", DESCRIPTION_MAX).and_then(|t| {
            if t.is_empty() {
                Err("请填写活动内容".to_string())
            } else {
                Ok(t)
            }
        }),
    );
    let contact_name = keep(
        e,
        "contact_name",
        required_text(
            &input.contact_name,
            "请填写联系人",
            "联系人",
            CONTACT_NAME_MAX,
        ),
    );
    let contact_phone = keep(
        e,
        "contact_phone",
        required_mobile_or_landline(&input.contact_phone, "联系电话"),
    );
    let [signup_opens, signup_closes, starts_at, ends_at] = [
        ("signup_opens", &input.signup_opens, "请填写报名开始时间"),
        ("signup_closes", &input.signup_closes, "请填写报名截止时间"),
        ("starts_at", &input.starts_at, "请填写活动开始时间"),
        ("ends_at", &input.ends_at, "请填写活动结束时间"),
    ]
    .map(|(field, raw, empty_msg)| keep(e, field, required_datetime(raw, empty_msg)));
    // Order rules, each reported on the later field: that is the one people usually got
    // wrong (it was filled in last), and it keeps to one message per field.
    let (signup_closes, ends_at) = {
        let mut closes_err = None;
        if let (Some(o), Some(c)) = (signup_opens, signup_closes)
            && c <= o
        {
            closes_err = Some("报名截止时间须晚于报名开始时间");
        }
        if let (None, Some(c), Some(s)) = (closes_err, signup_closes, starts_at)
            && c > s
        {
            closes_err = Some("报名截止时间不能晚于活动开始时间");
        }
        let mut ends_err = None;
        if let (Some(s), Some(end)) = (starts_at, ends_at) {
            if end <= s {
                ends_err = Some("活动结束时间须晚于开始时间");
            } else if end - s > TimeDelta::days(MAX_ACTIVITY_DAYS) {
                ends_err = Some("一次活动最长30天");
            }
        }
        let closes = keep(
            e,
            "signup_closes",
            closes_err.map_or(Ok(signup_closes), |m| Err(m.to_string())),
        )
        .flatten();
        let ends = keep(
            e,
            "ends_at",
            ends_err.map_or(Ok(ends_at), |m| Err(m.to_string())),
        )
        .flatten();
        (closes, ends)
    };
    let capacity = keep(e, "capacity", capacity(&input.capacity));
    let risk_note = keep(
        e,
        "risk_note",
        multiline(&input.risk_note, "风险提示", RISK_NOTE_MAX),
    );
    // Errors are already sorted by field in form order except the two order rules, which
    // are pushed after the date fields they sit between; put them back in form order.
    errors.sort_by_key(|(field, _)| FORM_ORDER.iter().position(|f| f == field));

    let (
        Some(title),
        Some(service_category),
        Some(region),
        Some(address),
        Some(description),
        Some(contact_name),
        Some(contact_phone),
        Some(signup_opens),
        Some(signup_closes),
        Some(starts_at),
        Some(ends_at),
        Some(capacity),
        Some(risk_note),
    ) = (
        title,
        service_category,
        region,
        address,
        description,
        contact_name,
        contact_phone,
        signup_opens,
        signup_closes,
        starts_at,
        ends_at,
        capacity,
        risk_note,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ActivityFields {
        title,
        service_category,
        region,
        address,
        description,
        contact_name,
        contact_phone,
        signup_opens,
        signup_closes,
        starts_at,
        ends_at,
        capacity,
        risk_note,
    })
}

/// The form's input names in display order (for sorting errors, and for the handler that
/// reads the form).
pub const FORM_ORDER: &[&str] = &[
    "title",
    "service_category",
    "province",
    "city",
    "county",
    "address",
    "description",
    "contact_name",
    "contact_phone",
    "signup_opens",
    "signup_closes",
    "starts_at",
    "ends_at",
    "capacity",
    "risk_note",
];

/// `None` when `path` lies inside the platform's area `scope` (a province, second-level or
/// county code); otherwise the error, on the highest level that does not match, since
/// that is the select the organiser has to change first.
fn outside_scope(path: &RegionPath, scope: &str) -> Option<(&'static str, String)> {
    let inside =
        path.province == scope || path.city == scope || path.county.as_deref() == Some(scope);
    if inside {
        return None;
    }
    let msg = format!(
        "活动地点须在本平台所属的{}范围内",
        regions::full_name(scope)
    );
    // An unknown scope code is a configuration mistake; nothing can match it, and the
    // province is the first place to look.
    let field = match regions::path_of(scope) {
        Some(sp) if sp.province == path.province && sp.city == path.city => "county",
        Some(sp) if sp.province == path.province => "city",
        _ => "province",
    };
    Some((field, msg))
}

fn required_datetime(raw: &str, empty_msg: &str) -> Result<NaiveDateTime, String> {
    if normalize(raw).is_empty() {
        return Err(empty_msg.to_string());
    }
    parse_local_datetime(raw)
}

/// 人数上限: empty (or 不限) is 0, meaning no limit; "50人" is read as 50.
fn capacity(raw: &str) -> Result<u32, String> {
    const RANGE_MSG: &str = "人数上限应为0–10000的整数（0表示不限）";
    let s = normalize(raw);
    let s = s
        .strip_suffix('人')
        .or_else(|| s.strip_suffix('名'))
        .unwrap_or(&s);
    if s.is_empty() || s == "不限" {
        return Ok(0);
    }
    let (negative, digits) = match s.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RANGE_MSG.to_string());
    }
    // "-0" is just 0; any other minus is a negative number, however long.
    if negative && digits.bytes().any(|b| b != b'0') {
        return Err("人数上限不能为负数".to_string());
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= CAPACITY_MAX => Ok(n),
        _ => Err(RANGE_MSG.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::dt;

    fn input() -> ActivityInput {
        ActivityInput {
            title: " 科普进社区 ".to_string(),
            service_category: "科普讲解".to_string(),
            province: "山东省".to_string(),
            city: "济南".to_string(),
            county: "历下区".to_string(),
            address: "历下区文化中心".to_string(),
            description: "为社区居民讲解防诈骗知识。\r\n\r\n\r\n  请带好身份证。  ".to_string(),
            contact_name: "王老师".to_string(),
            contact_phone: "0531-12345678".to_string(),
            signup_opens: "2026-11-20 08:00".to_string(),
            signup_closes: "2026-11-30T18:00".to_string(),
            starts_at: "2026/12/1 9:00".to_string(),
            ends_at: "2026年12月1日 11:30".to_string(),
            capacity: String::new(),
            risk_note: String::new(),
        }
    }

    fn errors_of(input: &ActivityInput, scope: Option<&str>) -> FieldErrors {
        check_activity(input, scope).unwrap_err()
    }

    #[test]
    fn valid_activity() {
        let f = check_activity(&input(), None).unwrap();
        assert_eq!(f.title, "科普进社区");
        assert_eq!(f.service_category, "科普讲解");
        assert_eq!(
            f.region,
            RegionPath {
                province: "370000".to_string(),
                city: "370100".to_string(),
                county: Some("370102".to_string()),
            }
        );
        assert_eq!(
            f.description,
            "为社区居民讲解防诈骗知识。\n\n请带好身份证。"
        );
        assert_eq!(f.contact_phone, "0531-12345678");
        assert_eq!(f.signup_opens, dt("2026-11-20 08:00"));
        assert_eq!(f.signup_closes, dt("2026-11-30 18:00"));
        assert_eq!(f.starts_at, dt("2026-12-01 09:00"));
        assert_eq!(f.ends_at, dt("2026-12-01 11:30"));
        assert_eq!(f.capacity, 0);
        assert_eq!(f.risk_note, "");

        let other = ActivityInput {
            service_category: "其它".to_string(),
            contact_phone: "+86 138 1234 5678".to_string(),
            capacity: "５０人".to_string(),
            risk_note: "注意防暑".to_string(),
            ..input()
        };
        let f = check_activity(&other, Some("370102")).unwrap();
        assert_eq!(f.service_category, "其他");
        assert_eq!(f.contact_phone, "13812345678");
        assert_eq!(f.capacity, 50);
        assert_eq!(f.risk_note, "注意防暑");
    }

    #[test]
    fn empty_form_reports_every_required_field_in_order() {
        let errors = errors_of(&ActivityInput::default(), Some("370102"));
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "title",
                "service_category",
                "province",
                "address",
                "description",
                "contact_name",
                "contact_phone",
                "signup_opens",
                "signup_closes",
                "starts_at",
                "ends_at",
            ]
        );
        let msg = |field: &str| {
            errors
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.as_str())
                .unwrap()
        };
        assert_eq!(msg("title"), "请填写活动名称");
        assert_eq!(msg("service_category"), "请选择服务类别");
        assert_eq!(msg("address"), "请填写活动地址");
        assert_eq!(msg("description"), "请填写活动内容");
        assert_eq!(msg("signup_opens"), "请填写报名开始时间");
        assert_eq!(msg("signup_closes"), "请填写报名截止时间");
        assert_eq!(msg("starts_at"), "请填写活动开始时间");
        assert_eq!(msg("ends_at"), "请填写活动结束时间");
    }

    #[test]
    fn title_rules() {
        let spaces = ActivityInput {
            title: "  \u{3000}\t ".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&spaces, None),
            vec![("title", "请填写活动名称".to_string())]
        );
        let long = ActivityInput {
            title: "科".repeat(61),
            ..input()
        };
        assert_eq!(
            errors_of(&long, None),
            vec![("title", "活动名称不能超过60个字".to_string())]
        );
        let max = ActivityInput {
            title: "科".repeat(60),
            ..input()
        };
        assert!(check_activity(&max, None).is_ok());
    }

    #[test]
    fn other_field_rules() {
        let bad = ActivityInput {
            service_category: "跳舞".to_string(),
            address: "地".repeat(101),
            description: "字".repeat(2001),
            contact_name: "名".repeat(21),
            contact_phone: "12345".to_string(),
            risk_note: "险".repeat(501),
            ..input()
        };
        assert_eq!(
            errors_of(&bad, None),
            vec![
                (
                    "service_category",
                    "“跳舞”不是可选的服务类别，请从列表中选择".to_string()
                ),
                ("address", "活动地址不能超过100个字".to_string()),
                ("description", "活动内容不能超过2000个字".to_string()),
                ("contact_name", "联系人不能超过20个字".to_string()),
                (
                    "contact_phone",
                    "联系电话应为11位手机号或带区号的固定电话，如 0371-12345678".to_string()
                ),
                ("risk_note", "风险提示不能超过500个字".to_string()),
            ]
        );
        // Line breaks do not count towards the limit.
        let lines = ActivityInput {
            description: "字\n".repeat(2000),
            ..input()
        };
        assert!(check_activity(&lines, None).is_ok());
        let no_county = ActivityInput {
            county: String::new(),
            ..input()
        };
        assert_eq!(
            errors_of(&no_county, None),
            vec![("county", "请填写所在区域县".to_string())]
        );
        let wrong_city = ActivityInput {
            city: "历下区".to_string(),
            ..input()
        };
        assert_eq!(errors_of(&wrong_city, None)[0].0, "city");
    }
    /// `input()` with one change.
    fn changed(change: impl FnOnce(&mut ActivityInput)) -> ActivityInput {
        let mut input = input();
        change(&mut input);
        input
    }

    #[test]
    fn time_order_rules() {
        for (input, want) in [
            (
                changed(|i| i.ends_at = "2026-12-01 08:59".into()),
                Some(("ends_at", "活动结束时间须晚于开始时间")),
            ),
            (
                changed(|i| i.ends_at = "2026-12-01 09:00".into()),
                Some(("ends_at", "活动结束时间须晚于开始时间")),
            ),
            (
                changed(|i| i.signup_closes = "2026-12-01 09:01".into()),
                Some(("signup_closes", "报名截止时间不能晚于活动开始时间")),
            ),
            (
                changed(|i| i.signup_closes = "2026-12-01 09:00".into()),
                None,
            ),
            (
                changed(|i| i.signup_opens = "2026-11-30 18:00".into()),
                Some(("signup_closes", "报名截止时间须晚于报名开始时间")),
            ),
            (changed(|i| i.ends_at = "2026-12-31 09:00".into()), None),
            (
                changed(|i| i.ends_at = "2026-12-31 09:01".into()),
                Some(("ends_at", "一次活动最长30天")),
            ),
        ] {
            let want = want.map(|(field, msg)| vec![(field, msg.to_string())]);
            assert_eq!(check_activity(&input, None).err(), want, "{input:?}");
        }

        // Order errors keep form order among the other errors.
        let several = ActivityInput {
            title: String::new(),
            signup_closes: "2026-12-02 00:00".to_string(),
            capacity: "abc".to_string(),
            ..input()
        };
        let fields: Vec<&str> = errors_of(&several, None).iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["title", "signup_closes", "capacity"]);

        let unparsable = ActivityInput {
            starts_at: "明天上午".to_string(),
            ..input()
        };
        let errors = errors_of(&unparsable, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "starts_at");
        assert!(errors[0].1.contains("无法识别时间"), "{}", errors[0].1);
    }
    #[test]
    fn capacity_rules() {
        let with = |c: &str| ActivityInput {
            capacity: c.to_string(),
            ..input()
        };
        let range = "人数上限应为0–10000的整数（0表示不限）";
        for (raw, want) in [
            ("", 0),
            (" ", 0),
            ("0", 0),
            ("-0", 0),
            ("10000", 10_000),
            ("３０", 30),
            ("不限", 0),
        ] {
            assert_eq!(
                check_activity(&with(raw), None).unwrap().capacity,
                want,
                "{raw}"
            );
        }
        for (raw, msg) in [
            ("-1", "人数上限不能为负数"),
            ("－5", "人数上限不能为负数"),
            ("10001", range),
            ("abc", range),
            ("1.5", range),
            ("99999999999999999999", range),
        ] {
            assert_eq!(
                errors_of(&with(raw), None),
                vec![("capacity", msg.to_string())],
                "{raw}"
            );
        }
    }

    #[test]
    fn region_scope() {
        // Inside: the exact county, its city, its province; an empty scope means none.
        for scope in ["370102", "370100", "370000", " ", ""] {
            assert!(check_activity(&input(), Some(scope)).is_ok(), "{scope}");
        }
        let other_county = ActivityInput {
            county: "市中区".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&other_county, Some("370102")),
            vec![(
                "county",
                "活动地点须在本平台所属的山东省 济南市 历下区范围内".to_string()
            )]
        );
        let other_city = ActivityInput {
            city: "青岛市".to_string(),
            county: "市南区".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&other_city, Some("370100")),
            vec![(
                "city",
                "活动地点须在本平台所属的山东省 济南市范围内".to_string()
            )]
        );
        let other_province = ActivityInput {
            province: "北京".to_string(),
            city: String::new(),
            county: "东城区".to_string(),
            ..input()
        };
        assert_eq!(errors_of(&other_province, Some("370102"))[0].0, "province");
        assert!(check_activity(&other_province, Some("110000")).is_ok());
    }
}
