//! One catalogue of fields per record kind (volunteer, team): the key that forms, the
//! official templates and merge resolution use, the Chinese label pages show, and how to
//! read the value from the stored record.
//!
//! Profile and admin pages, the merge conflict page, the edit forms and the Excel export
//! all list their fields from here, so a new field is added once, here and beside its
//! check in `registration`, instead of on every page that shows it.

use chrono::NaiveDate;

use super::people::{Team, Volunteer};
use super::regions::RegionPath;
use super::validate::mask_id_number;

/// What kind of value a field holds, which decides how each place writes it.
pub enum Value<R: 'static> {
    /// Text, written the same way on pages, in forms and in the template.
    Text(fn(&R) -> String),
    /// Optional text: "—" on pages when missing, empty in forms and the template.
    Optional(fn(&R) -> Option<&str>),
    /// Several dictionary choices, joined with "、" everywhere.
    List(fn(&R) -> &[String]),
    /// 是/否.
    YesNo(fn(&R) -> bool),
    /// A date, 2019-08-08 on pages and in the form's date input.
    Date(fn(&R) -> NaiveDate),
    /// The ID number: masked on every page. Only the edit form and exports that are allowed
    /// it have it in full.
    IdNumber(fn(&R) -> &str),
    /// 所在区域: one line of names on pages, three inputs (province, city, county) in forms
    /// and the template.
    Region(fn(&R) -> &RegionPath),
    /// Shown on pages but never typed, because it is read from another field.
    Derived(fn(&R) -> String),
}

/// One field of a record.
pub struct Field<R: 'static> {
    /// The form's input name and the template's field key. The region's key is "region";
    /// its inputs are "province", "city" and "county".
    pub key: &'static str,
    /// The Chinese label pages show.
    pub label: &'static str,
    pub value: Value<R>,
    /// The field this one is read from or must agree with (gender and birth date come with
    /// the ID number), so it is never chosen apart from it, e.g. when resolving a merge.
    pub follows: Option<&'static str>,
}

impl<R> Field<R> {
    /// The value as a page shows it; the ID number comes masked.
    pub fn shown(&self, r: &R) -> String {
        match &self.value {
            Value::Optional(get) => get(r).unwrap_or("—").to_string(),
            Value::IdNumber(get) => mask_id_number(get(r)),
            Value::Region(get) => get(r).full_name(),
            Value::Derived(get) => get(r),
            _ => self.typed(r).unwrap_or_default(),
        }
    }

    /// The value as typed into one form input or one template cell; `None` for the region,
    /// which takes three inputs, and for a derived field, which is never typed.
    pub fn typed(&self, r: &R) -> Option<String> {
        Some(match &self.value {
            Value::Text(get) => get(r),
            Value::Optional(get) => get(r).unwrap_or_default().to_string(),
            Value::List(get) => get(r).join("、"),
            Value::YesNo(get) => if get(r) { "是" } else { "否" }.to_string(),
            Value::Date(get) => get(r).format("%Y-%m-%d").to_string(),
            Value::IdNumber(get) => get(r).to_string(),
            Value::Region(_) | Value::Derived(_) => return None,
        })
    }
}

/// Every field as (label, shown value), in catalogue order.
pub fn shown<R>(fields: &[Field<R>], r: &R) -> Vec<(&'static str, String)> {
    fields.iter().map(|f| (f.label, f.shown(r))).collect()
}

/// A stored record as the values of its edit form, keyed by input name. The region is
/// given as codes, which is what the form's selects hold.
pub fn form_values<R>(fields: &[Field<R>], r: &R) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for f in fields {
        match (&f.value, f.typed(r)) {
            (Value::Region(get), _) => {
                let path = get(r);
                out.push(("province", path.province.clone()));
                out.push(("city", path.city.clone()));
                out.push(("county", path.county.clone().unwrap_or_default()));
            }
            (_, Some(value)) => out.push((f.key, value)),
            (_, None) => {}
        }
    }
    out
}

/// A volunteer (附件2), in the form's order.
pub static VOLUNTEER: &[Field<Volunteer>] = &[
    Field {
        key: "real_name",
        label: "姓名",
        value: Value::Text(|v| v.real_name.clone()),
        follows: None,
    },
    Field {
        key: "phone",
        label: "手机号",
        value: Value::Text(|v| v.phone.clone()),
        follows: None,
    },
    Field {
        key: "gender",
        label: "性别",
        value: Value::Text(|v| v.gender.label().to_string()),
        follows: Some("id_number"),
    },
    Field {
        key: "id_number",
        label: "身份证号",
        value: Value::IdNumber(|v| &v.id_number),
        follows: None,
    },
    Field {
        key: "birth_date",
        label: "出生日期",
        value: Value::Derived(|v| v.birth_date.format("%Y-%m-%d").to_string()),
        follows: Some("id_number"),
    },
    Field {
        key: "political_status",
        label: "政治面貌",
        value: Value::Text(|v| v.political_status.clone()),
        follows: None,
    },
    Field {
        key: "ethnicity",
        label: "民族",
        value: Value::Text(|v| v.ethnicity.clone()),
        follows: None,
    },
    Field {
        key: "employer",
        label: "工作单位",
        value: Value::Text(|v| v.employer.clone()),
        follows: None,
    },
    Field {
        key: "title_level",
        label: "职称",
        value: Value::Text(|v| v.title_level.clone()),
        follows: None,
    },
    Field {
        key: "education",
        label: "最高学历",
        value: Value::Text(|v| v.education.clone()),
        follows: None,
    },
    Field {
        key: "occupation",
        label: "从业类别",
        value: Value::Text(|v| v.occupation.clone()),
        follows: None,
    },
    Field {
        key: "region",
        label: "所在区域",
        value: Value::Region(|v| &v.region),
        follows: None,
    },
    Field {
        key: "service_categories",
        label: "服务类别",
        value: Value::List(|v| &v.service_categories),
        follows: None,
    },
    Field {
        key: "service_fields",
        label: "服务领域",
        value: Value::List(|v| &v.service_fields),
        follows: None,
    },
    Field {
        key: "sanzhang",
        label: "基层“三长”",
        value: Value::Text(|v| v.sanzhang.clone()),
        follows: None,
    },
];

/// A service team (附件1 and its description), in the form's order.
pub static TEAM: &[Field<Team>] = &[
    Field {
        key: "org_name",
        label: "组织名称",
        value: Value::Text(|o| o.name.clone()),
        follows: None,
    },
    Field {
        key: "admin_phone",
        label: "管理员手机号",
        value: Value::Text(|o| o.admin_phone.clone()),
        follows: None,
    },
    Field {
        key: "mca_registered",
        label: "是否在民政部门注册",
        value: Value::YesNo(|o| o.mca_registered),
        follows: None,
    },
    Field {
        key: "supervisor_type",
        label: "主管单位类型",
        value: Value::Text(|o| o.supervisor_type.clone()),
        follows: None,
    },
    Field {
        key: "supervisor_name",
        label: "主管单位名称",
        value: Value::Text(|o| o.supervisor_name.clone()),
        follows: None,
    },
    Field {
        key: "founded_on",
        label: "成立日期",
        value: Value::Date(|o| o.founded_on),
        follows: None,
    },
    Field {
        key: "service_categories",
        label: "服务类别",
        value: Value::List(|o| &o.service_categories),
        follows: None,
    },
    Field {
        key: "region",
        label: "所在区域",
        value: Value::Region(|o| &o.region),
        follows: None,
    },
    Field {
        key: "leader_name",
        label: "组织负责人",
        value: Value::Optional(|o| o.leader_name.as_deref()),
        follows: None,
    },
    Field {
        key: "leader_title",
        label: "负责人职务",
        value: Value::Optional(|o| o.leader_title.as_deref()),
        follows: None,
    },
    Field {
        key: "leader_org",
        label: "负责人单位",
        value: Value::Optional(|o| o.leader_org.as_deref()),
        follows: None,
    },
    Field {
        key: "leader_phone",
        label: "负责人电话",
        value: Value::Optional(|o| o.leader_phone.as_deref()),
        follows: None,
    },
    Field {
        key: "description",
        label: "组织简介",
        value: Value::Optional(|o| Some(o.description.as_str()).filter(|d| !d.is_empty())),
        follows: None,
    },
];

/// Everything about a volunteer, for their own 志愿者信息 page.
pub fn volunteer_profile(v: &Volunteer) -> Vec<(&'static str, String)> {
    shown(VOLUNTEER, v)
}

/// A volunteer on the admin's detail page, which heads with the name and shows the ID
/// number on its own line, with the button that unmasks it.
pub fn volunteer_admin_facts(v: &Volunteer) -> Vec<(&'static str, String)> {
    let apart = ["real_name", "id_number"];
    let fields = VOLUNTEER.iter().filter(|f| !apart.contains(&f.key));
    fields.map(|f| (f.label, f.shown(v))).collect()
}

/// The fields a merge conflict lets the admin take one by one from either record: a field
/// that follows another (gender and birth date follow the ID number) comes with it.
pub fn volunteer_merge_fields() -> impl Iterator<Item = &'static Field<Volunteer>> {
    VOLUNTEER.iter().filter(|f| f.follows.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::Gid;
    use crate::domain::people::{Source, TeamStatus};
    use crate::domain::testing::{date, tiexi};
    use crate::domain::validate::Gender;
    use chrono::{TimeZone, Utc};
    use std::collections::HashSet;

    fn volunteer() -> Volunteer {
        let at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        Volunteer {
            id: Gid(1),
            origin: Gid(2),
            real_name: "李秀兰".into(),
            phone: "13812345678".into(),
            gender: Gender::Female,
            id_number: "220302197503280203".into(),
            birth_date: date(1975, 3, 28),
            political_status: "群众".into(),
            ethnicity: "汉族".into(),
            employer: "四平市铁西区人民医院".into(),
            title_level: "副高".into(),
            education: "本科".into(),
            occupation: "医疗卫生机构".into(),
            region: tiexi(),
            service_categories: vec!["科技咨询".into(), "科普讲解".into()],
            service_fields: vec!["健康咨询类".into()],
            sanzhang: "基层医院院长".into(),
            password_hash: None,
            consent: None,
            source: Source::SelfRegistered,
            legacy: false,
            confirmed: true,
            created_at: at,
            updated_at: at,
        }
    }

    fn team() -> Team {
        let at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        Team {
            id: Gid(3),
            origin: Gid(2),
            name: "四平市铁西区科技志愿服务队".into(),
            admin_phone: "13710986743".into(),
            mca_registered: false,
            supervisor_type: "地方科协".into(),
            supervisor_name: "铁西区科协".into(),
            founded_on: date(2019, 8, 8),
            service_categories: vec!["科技培训".into()],
            region: tiexi(),
            leader_name: Some("赵刚".into()),
            leader_title: None,
            leader_org: None,
            leader_phone: None,
            description: String::new(),
            status: TeamStatus::Active,
            source: Source::Imported,
            created_at: at,
            updated_at: at,
        }
    }

    fn keys<R: 'static>(fields: impl IntoIterator<Item = &'static Field<R>>) -> Vec<&'static str> {
        fields.into_iter().map(|f| f.key).collect()
    }

    #[test]
    fn keys_are_unique_and_labels_are_given() {
        fn check<R: 'static>(fields: &'static [Field<R>]) {
            let keys = keys(fields);
            let unique: HashSet<_> = keys.iter().collect();
            assert_eq!(unique.len(), keys.len(), "{keys:?}");
            let labels: HashSet<_> = fields.iter().map(|f| f.label).collect();
            assert_eq!(labels.len(), fields.len());
            for f in fields {
                assert!(!f.label.trim().is_empty(), "{}", f.key);
                assert!(f.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
                if let Some(other) = f.follows {
                    assert!(keys.contains(&other), "{} follows {other}", f.key);
                }
            }
        }
        check(VOLUNTEER);
        check(TEAM);
    }

    #[test]
    fn profile_lists_every_field_with_the_id_masked() {
        let rows = volunteer_profile(&volunteer());
        let labels: Vec<&str> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            labels,
            [
                "姓名",
                "手机号",
                "性别",
                "身份证号",
                "出生日期",
                "政治面貌",
                "民族",
                "工作单位",
                "职称",
                "最高学历",
                "从业类别",
                "所在区域",
                "服务类别",
                "服务领域",
                "基层“三长”"
            ]
        );
        let value = |label: &str| rows.iter().find(|(l, _)| *l == label).unwrap().1.clone();
        assert_eq!(value("身份证号"), mask_id_number("220302197503280203"));
        assert!(value("身份证号").contains("****"));
        assert_eq!(value("性别"), "女");
        assert_eq!(value("出生日期"), "1975-03-28");
        assert_eq!(value("所在区域"), "吉林省 四平市 铁西区");
        assert_eq!(value("服务类别"), "科技咨询、科普讲解");
    }

    #[test]
    fn admin_facts_leave_out_what_the_page_shows_apart() {
        let v = volunteer();
        let facts = volunteer_admin_facts(&v);
        let mut want = volunteer_profile(&v);
        want.retain(|(l, _)| !matches!(*l, "姓名" | "身份证号"));
        assert_eq!(facts, want);
        assert!(
            facts
                .iter()
                .all(|(_, value)| !value.contains("220302197503280203"))
        );
    }

    #[test]
    fn merge_offers_the_fields_the_store_can_take() {
        // The keys `Store::resolve_conflict` knows; taking the ID number also takes the
        // gender and birth date read from it.
        assert_eq!(
            keys(volunteer_merge_fields()),
            [
                "real_name",
                "phone",
                "id_number",
                "political_status",
                "ethnicity",
                "employer",
                "title_level",
                "education",
                "occupation",
                "region",
                "service_categories",
                "service_fields",
                "sanzhang"
            ]
        );
    }

    #[test]
    fn volunteer_form_values_are_the_form_inputs() {
        let values = form_values(VOLUNTEER, &volunteer());
        let get = |k: &str| {
            values
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("id_number"), Some("220302197503280203"));
        assert_eq!(get("gender"), Some("女"));
        assert_eq!(get("province"), Some("220000"));
        assert_eq!(get("city"), Some("220300"));
        assert_eq!(get("county"), Some("220302"));
        assert_eq!(get("service_categories"), Some("科技咨询、科普讲解"));
        assert_eq!(get("birth_date"), None);
        assert_eq!(get("region"), None);
    }

    #[test]
    fn team_fields_show_dashes_and_fill_the_form() {
        let o = team();
        let rows = shown(TEAM, &o);
        let value = |label: &str| rows.iter().find(|(l, _)| *l == label).unwrap().1.clone();
        assert_eq!(value("是否在民政部门注册"), "否");
        assert_eq!(value("成立日期"), "2019-08-08");
        assert_eq!(value("组织负责人"), "赵刚");
        assert_eq!(value("负责人职务"), "—");
        assert_eq!(value("组织简介"), "—");
        let values = form_values(TEAM, &o);
        let get = |k: &str| {
            values
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("founded_on"), Some("2019-08-08"));
        assert_eq!(get("leader_title"), Some(""));
        assert_eq!(get("description"), Some(""));
        assert_eq!(get("county"), Some("220302"));
    }
}
