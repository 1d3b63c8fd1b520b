//! One service team (附件1) as typed into the web form or read from an Excel row, checked
//! field by field. Whether its name is already taken needs the store and is checked there.

use chrono::{Datelike, NaiveDate};

use crate::domain::checkbox::parse_yes_no;
use crate::domain::checks::{
    FieldErrors, check_region, keep, mobile_or_landline, multi, multiline, optional_text,
    person_name, pick, required_mobile, required_text,
};
use crate::domain::dates::parse_date;
use crate::domain::dict;
use crate::domain::regions::RegionPath;
use crate::domain::validate::{normalize, normalize_text};

const ORG_NAME_MAX: usize = 100;
const SUPERVISOR_NAME_MAX: usize = 50;
const LEADER_TEXT_MAX: usize = 50;
const DESCRIPTION_MAX: usize = 500;

/// What a person typed for one team, or what one row of 附件1 holds, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamInput {
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
    /// 服务类别, in the same shape as
    /// [`VolunteerInput::service_categories`](super::VolunteerInput::service_categories).
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

impl TeamInput {
    /// Reads every field by its key, as [`VolunteerInput::read`](super::VolunteerInput::read)
    /// does. The template has no description column, so an import reads it as empty.
    pub fn read(one: impl Fn(&str) -> String, many: impl Fn(&str) -> Vec<String>) -> Self {
        TeamInput {
            org_name: one("org_name"),
            admin_phone: one("admin_phone"),
            mca_registered: one("mca_registered"),
            supervisor_type: one("supervisor_type"),
            supervisor_name: one("supervisor_name"),
            founded_on: one("founded_on"),
            service_categories: many("service_categories"),
            province: one("province"),
            city: one("city"),
            county: one("county"),
            leader_name: one("leader_name"),
            leader_title: one("leader_title"),
            leader_org: one("leader_org"),
            leader_phone: one("leader_phone"),
            description: one("description"),
        }
    }
}

/// A checked team; optional leader fields left empty are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamFields {
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
pub fn check_team(input: &TeamInput, today: NaiveDate) -> Result<TeamFields, FieldErrors> {
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
        ) if errors.is_empty() => Ok(TeamFields {
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

/// A team leader's name: optional, but when given it follows the person-name rule.
fn optional_name(raw: &str) -> Result<Option<String>, String> {
    if normalize_text(raw).is_empty() {
        return Ok(None);
    }
    person_name(raw, "组织负责人姓名", "请填写组织负责人姓名").map(Some)
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

/// 组织负责人电话: optional; mobile or landline.
fn leader_phone(raw: &str) -> Result<Option<String>, String> {
    mobile_or_landline(raw, "组织负责人电话")
}

/// The team description, normalised; optional.
fn description(raw: &str) -> Result<String, String> {
    multiline(raw, "组织简介", DESCRIPTION_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date, only_error, strings, tiexi, today};

    fn org() -> TeamInput {
        TeamInput {
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

    fn team_error(field: &str, change: impl FnOnce(&mut TeamInput)) -> String {
        let mut input = org();
        change(&mut input);
        only_error(&check_team(&input, today()).unwrap_err(), field)
    }

    fn team_ok(change: impl FnOnce(&mut TeamInput)) -> TeamFields {
        let mut input = org();
        change(&mut input);
        check_team(&input, today()).unwrap()
    }

    #[test]
    fn read_takes_each_field_by_its_key() {
        let input = TeamInput::read(|k| k.to_string(), |k| vec![k.to_string()]);
        assert_eq!(input.org_name, "org_name");
        assert_eq!(input.founded_on, "founded_on");
        assert_eq!(input.service_categories, ["service_categories"]);
        assert_eq!(input.leader_phone, "leader_phone");
        assert_eq!(input.description, "description");
    }

    #[test]
    fn valid_team() {
        let o = check_team(&org(), today()).unwrap();
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

        let full = team_ok(|o| {
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
        let errors = check_team(&TeamInput::default(), today()).unwrap_err();
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
            team_error("org_name", |o| o.org_name = "队".repeat(101)),
            "组织名称不能超过100个字"
        );
        assert_eq!(
            team_error("admin_phone", |o| o.admin_phone = "1371098674".into()),
            "手机号应为11位数字，您填写了10位"
        );
        assert_eq!(
            team_error("mca_registered", |o| o.mca_registered = "也许".into()),
            "请选择是否在民政部门注册（是/否）"
        );
        assert_eq!(
            team_error("mca_registered", |o| o.mca_registered = "□是 □否".into()),
            "请选择是否在民政部门注册（是/否）"
        );
        assert_eq!(
            team_error("supervisor_type", |o| o.supervisor_type = "居委会".into()),
            "“居委会”不是可选的主管单位类型，请从列表中选择"
        );
        assert_eq!(
            team_error("supervisor_name", |o| o.supervisor_name = "科".repeat(51)),
            "主管单位不能超过50个字"
        );
        assert_eq!(
            team_error("founded_on", |o| o.founded_on = "2025/6/2".into()),
            "成立日期不能晚于今天"
        );
        assert_eq!(
            team_ok(|o| o.founded_on = "2025-06-01".into()).founded_on,
            today()
        );
        assert!(
            team_error("founded_on", |o| o.founded_on = "1899/12/31".into()).contains("1900年")
        );
        assert_eq!(
            team_ok(|o| o.founded_on = "1".into()).founded_on,
            date(1900, 1, 1)
        );
        assert_eq!(
            team_error("founded_on", |o| o.founded_on = "2019/2/30".into()),
            "2019年2月30日不是有效日期，请核对后重新填写"
        );
        assert_eq!(
            team_error("service_categories", |o| o.service_categories =
                strings(&["", "、"])),
            "请至少选择一项服务类别"
        );
        assert!(
            team_error("service_categories", |o| {
                o.service_categories = strings(&["天文观测"]);
            })
            .starts_with("“天文观测”不是可选的服务类别")
        );
        assert_eq!(
            team_error("county", |o| o.city = "长春市".into()),
            "“铁西区”不属于“吉林省 长春市”，请检查所在区域市/县"
        );
        assert_eq!(
            team_error("leader_name", |o| o.leader_name = "赵".into()),
            "组织负责人姓名至少2个字"
        );
        assert_eq!(
            team_error("leader_name", |o| o.leader_name = "赵".repeat(21)),
            "组织负责人姓名不能超过20个字"
        );
        assert_eq!(
            team_error("leader_name", |o| o.leader_name = "赵刚（队长）".into()),
            "组织负责人姓名只能包含汉字、字母或间隔号“·”"
        );
        assert_eq!(
            team_error("leader_title", |o| o.leader_title = "职".repeat(51)),
            "组织负责人职务不能超过50个字"
        );
        assert_eq!(
            team_error("leader_org", |o| o.leader_org = "单".repeat(51)),
            "组织负责人单位不能超过50个字"
        );
        assert_eq!(
            team_error("description", |o| o.description = "简".repeat(501)),
            "组织简介不能超过500个字"
        );
        // Line breaks do not count towards the limit.
        let text = format!("{}\n{}", "简".repeat(250), "介".repeat(250));
        assert_eq!(team_ok(|o| o.description = text.clone()).description, text);
    }

    #[test]
    fn org_duplicate_name_is_not_checked_here() {
        // Two teams with the same name both pass; the store rejects the second.
        let a = check_team(&org(), today()).unwrap();
        let b = check_team(&org(), today()).unwrap();
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
                team_ok(|o| o.leader_phone = raw.into())
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
                team_error("leader_phone", |o| o.leader_phone = raw.into()),
                "组织负责人电话应为11位手机号或带区号的固定电话，如 0371-12345678",
                "{raw}"
            );
        }
    }
}
