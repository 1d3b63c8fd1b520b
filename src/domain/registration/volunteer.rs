//! One volunteer (附件2) as typed into the web form or read from an Excel row, checked
//! field by field, and the guardian a volunteer under 14 needs.

use chrono::NaiveDate;

use crate::domain::checks::{
    FieldErrors, check_region, keep, multi, person_name, pick, required_mobile, required_text,
};
use crate::domain::dict;
use crate::domain::regions::RegionPath;
use crate::domain::validate::{self, Gender, IdNumber, normalize};

const EMPLOYER_MAX: usize = 50;
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

impl VolunteerInput {
    /// Reads every field by its key, which is both the form's input name and the template's
    /// field key: `one` gives a single value, `many` the values of a multi-choice field.
    pub fn read(one: impl Fn(&str) -> String, many: impl Fn(&str) -> Vec<String>) -> Self {
        VolunteerInput {
            real_name: one("real_name"),
            phone: one("phone"),
            gender: one("gender"),
            id_number: one("id_number"),
            political_status: one("political_status"),
            ethnicity: one("ethnicity"),
            employer: one("employer"),
            title_level: one("title_level"),
            education: one("education"),
            occupation: one("occupation"),
            province: one("province"),
            city: one("city"),
            county: one("county"),
            service_categories: many("service_categories"),
            service_fields: many("service_fields"),
            sanzhang: one("sanzhang"),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checks::FieldErrors;
    use crate::domain::regions;
    use crate::domain::testing::{date, only_error, strings, tiexi, today, with_check};

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

    fn volunteer_error(field: &str, change: impl FnOnce(&mut VolunteerInput)) -> String {
        let mut input = volunteer();
        change(&mut input);
        only_error(&errors_of(&input), field)
    }

    #[test]
    fn read_takes_each_field_by_its_key() {
        let input = VolunteerInput::read(|k| k.to_string(), |k| vec![k.to_string()]);
        assert_eq!(input.real_name, "real_name");
        assert_eq!(input.id_number, "id_number");
        assert_eq!(input.county, "county");
        assert_eq!(input.service_fields, ["service_fields"]);
        assert_eq!(input.sanzhang, "sanzhang");
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
}
