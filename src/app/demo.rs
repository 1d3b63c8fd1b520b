//! The example county: a deterministic generator for the filled 附件1 / 附件2 forms in
//! `data-example/` (`kezhi example-data DIR` writes them), and `kezhi serve --demo`, which
//! loads them into a fresh data folder with a few activities and a demo admin.

use crate::domain::activity::{Activity, ActivityState};
use crate::domain::dict;
use crate::domain::ids::Gid;
use crate::domain::validate::checksum_char;
use crate::exchange::columns::Form;
use crate::exchange::template::{self, RowValues};
use chrono::{Duration, NaiveDate, Utc};

/// The example county: 吉林省 四平市 梨树县.
pub const PROVINCE: &str = "吉林省";
pub const CITY: &str = "四平市";
pub const COUNTY: &str = "梨树县";
const COUNTY_CODE: &str = "220322";
const TOWNS: &[&str] = &[
    "梨树镇",
    "郭家店镇",
    "榆树台镇",
    "孤家子镇",
    "小城子镇",
    "喇嘛甸镇",
    "蔡家镇",
    "刘家馆子镇",
    "十家堡镇",
    "孟家岭镇",
    "万发镇",
    "东河镇",
    "沈洋镇",
    "林海镇",
    "小宽镇",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "玉兰", "建华", "海燕", "志强", "春梅",
    "国庆", "丽华",
];
const EMPLOYERS: &[&str] = &[
    "梨树县农业技术推广中心",
    "梨树县人民医院",
    "梨树县第一中学",
    "四平市农业科学院",
    "梨树县科协",
    "吉林师范大学",
    "梨树县畜牧站",
    "梨树县水利局",
    "四平市中心医院",
    "梨树县气象局",
];

/// A tiny deterministic generator (LCG), so the example files are the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A made-up, checksum-valid ID number for someone born on `birth`, of the given sex.
fn id_number(rng: &mut Rng, birth: NaiveDate, male: bool) -> String {
    let seq = rng.below(50) * 2 + if male { 1 } else { 0 };
    let first17 = format!(
        "{COUNTY_CODE}{}{:02}{}",
        birth.format("%Y%m%d"),
        rng.below(100),
        seq % 10
    );
    let check = checksum_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn row(pairs: &[(&'static str, String)]) -> RowValues {
    pairs.iter().cloned().collect()
}

/// The example teams (at least 20) and volunteers (at least 300).
pub fn example_rows() -> (Vec<RowValues>, Vec<RowValues>) {
    let mut rng = Rng(20191025);
    let kinds = [
        "科技志愿服务队",
        "农技志愿服务队",
        "科普宣讲团",
        "青少年科技教育服务队",
    ];
    let mut teams = Vec::new();
    let mut admins = Vec::new();
    for (i, town) in TOWNS.iter().enumerate() {
        for (k, kind) in kinds.iter().enumerate().take(if i < 6 { 2 } else { 1 }) {
            let phone = format!("139{:08}", 43_000_000 + i * 10 + k);
            admins.push(phone.clone());
            let cats: Vec<&str> = dict::service_categories()
                .names()
                .into_iter()
                .skip((i + k) % 5)
                .take(2)
                .collect();
            teams.push(row(&[
                ("org_name", format!("梨树县{town}{kind}")),
                ("admin_phone", phone),
                (
                    "mca_registered",
                    if (i + k) % 3 == 0 { "是" } else { "否" }.into(),
                ),
                (
                    "supervisor_type",
                    if k == 1 { "农技协" } else { "地方科协" }.into(),
                ),
                ("supervisor_name", "梨树县科协".into()),
                (
                    "founded_on",
                    format!("{}/{}/{}", 2015 + (i % 9), 1 + i % 12, 1 + (i * 7) % 28),
                ),
                ("service_categories", cats.join("、")),
                ("province", PROVINCE.into()),
                ("city", CITY.into()),
                ("county", COUNTY.into()),
                (
                    "leader_name",
                    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
                ),
                ("leader_title", "队长".into()),
                ("leader_org", rng.pick(EMPLOYERS).into()),
                ("leader_phone", format!("0434-52{:05}", 10000 + i * 37)),
            ]));
        }
    }
    let mut volunteers = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for n in 0..320usize {
        let male = rng.below(2) == 0;
        let birth = NaiveDate::from_ymd_opt(
            1955 + rng.below(45) as i32,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        )
        .unwrap_or_default();
        // The first volunteers are the teams' admins, so those teams start active.
        let phone = admins
            .get(n)
            .cloned()
            .unwrap_or_else(|| format!("137{:08}", 43_100_000 + n * 3));
        let cats: Vec<&str> = dict::service_categories()
            .names()
            .into_iter()
            .skip(n % 6)
            .take(1 + n % 3)
            .collect();
        let fields: Vec<&str> = dict::service_fields()
            .names()
            .into_iter()
            .skip(n % 7)
            .take(1 + n % 2)
            .collect();
        let sanzhang = match n % 40 {
            0 => "基层医院院长",
            1 => "中小学校长",
            2 => "农技站站长",
            _ => "否",
        };
        volunteers.push(row(&[
            (
                "real_name",
                format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
            ),
            ("phone", phone),
            ("gender", if male { "男" } else { "女" }.into()),
            ("id_number", {
                let mut id = id_number(&mut rng, birth, male);
                while !ids.insert(id.clone()) {
                    id = id_number(&mut rng, birth, male);
                }
                id
            }),
            (
                "political_status",
                rng.pick(&["中共党员", "群众", "群众", "共青团员", "无党派人士"])
                    .into(),
            ),
            (
                "ethnicity",
                rng.pick(&["汉族", "汉族", "汉族", "满族", "朝鲜族", "蒙古族", "回族"])
                    .into(),
            ),
            ("employer", rng.pick(EMPLOYERS).into()),
            (
                "title_level",
                rng.pick(&["正高", "副高", "中级", "中级", "初级", "无"])
                    .into(),
            ),
            (
                "education",
                rng.pick(&["博士研究生", "硕士研究生", "本科", "本科", "大专", "高中"])
                    .into(),
            ),
            (
                "occupation",
                rng.pick(&[
                    "事业单位",
                    "企业",
                    "农技推广机构",
                    "医疗卫生机构",
                    "中小学校",
                    "农民",
                ])
                .into(),
            ),
            ("province", PROVINCE.into()),
            ("city", CITY.into()),
            ("county", COUNTY.into()),
            ("service_categories", cats.join("、")),
            ("service_fields", fields.join("、")),
            ("sanzhang", sanzhang.into()),
        ]));
    }
    (teams, volunteers)
}

/// Write the two filled forms into `dir`.
pub fn write_example_files(dir: &std::path::Path) -> Result<(), String> {
    let (teams, volunteers) = example_rows();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (form, rows) in [(Form::Teams, teams), (Form::Volunteers, volunteers)] {
        let bytes = template::workbook(form, &rows)?;
        let path = dir.join(format!("{}（示例：{COUNTY}）.xlsx", form.attachment()));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// A few activities for the demo, around now, for the first teams.
pub fn demo_activities(teams: &[Gid], origin: Gid) -> Vec<Activity> {
    let now = Utc::now()
        .with_timezone(&crate::config::default_offset())
        .naive_local();
    let region = crate::domain::regions::path_of(COUNTY_CODE).unwrap_or(
        crate::domain::regions::RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some(COUNTY_CODE.into()),
        },
    );
    let plans = [
        ("玉米病虫害绿色防控现场讲解", "农技服务", -2, 3, 40),
        ("青少年科学小实验进校园", "青少年科技教育", 0, 5, 30),
        ("防范电信诈骗科普讲座", "科普报告", 1, 9, 0),
        ("秋季农机安全使用培训", "科技培训", -30, -20, 25),
    ];
    plans
        .iter()
        .enumerate()
        .filter_map(|(i, (title, cat, open_days, start_days, cap))| {
            let org = *teams.get(i % teams.len().max(1))?;
            let starts = now.date().and_hms_opt(9, 0, 0)? + Duration::days(*start_days);
            Some(Activity {
                id: Gid::new(),
                origin,
                team: org,
                title: (*title).into(),
                service_category: (*cat).into(),
                region: region.clone(),
                address: format!("梨树县{}村委会", TOWNS[i]),
                description: format!("{title}。欢迎附近村民参加，现场答疑。"),
                contact_name: "王伟".into(),
                contact_phone: "13943000000".into(),
                signup_opens: now + Duration::days(*open_days) - Duration::hours(1),
                signup_closes: starts - Duration::hours(12),
                starts_at: starts,
                ends_at: starts + Duration::hours(3),
                capacity: *cap,
                risk_note: "请注意交通安全，现场听从工作人员安排。".into(),
                cover_photo: None,
                demand: None,
                state: ActivityState::Published,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            })
        })
        .collect()
}

/// Load the example county into an empty store: both forms through the import pipeline,
/// the teams' admins confirmed (so their teams are active), a demo admin and activities.
pub fn load(store: &crate::store::Store, admin_password: &str) -> Result<(), String> {
    use crate::app::import::{self, CommitChoice};
    use crate::exchange::import::Progress;
    let (teams, volunteers) = example_rows();
    let today = Utc::now()
        .with_timezone(&crate::config::default_offset())
        .date_naive();
    let now = Utc::now();
    for (form, rows) in [(Form::Volunteers, &volunteers), (Form::Teams, &teams)] {
        let bytes = template::workbook(form, rows)?;
        let report = import::check(store, form, &bytes, today, &Progress::default())
            .map_err(|p| p.message())?;
        import::commit(
            store,
            form,
            &report,
            None,
            CommitChoice::default(),
            ("demo", "demo"),
            now,
        )
        .map_err(|r| r.message())?;
    }
    let mut team_ids = Vec::new();
    for t in &teams {
        let phone = t.get("admin_phone").cloned().unwrap_or_default();
        if let Some(mut v) = store
            .volunteer_by_phone(&phone)
            .map_err(|e| e.to_string())?
        {
            v.confirmed = true;
            store.update_volunteer(&v).map_err(|e| e.to_string())?;
        }
        if let Some(id) = store.team_id_by_name(t.get("org_name").map(String::as_str).unwrap_or(""))
        {
            team_ids.push(id);
        }
    }
    for a in demo_activities(&team_ids, store.installation_id()) {
        store.save_activity(&a, now).map_err(|e| e.to_string())?;
    }
    let admin = crate::domain::account::Admin {
        id: Gid::new(),
        username: "demo".into(),
        display_name: "演示管理员".into(),
        password_hash: crate::domain::secret::hash_password(admin_password)?,
        created_at: now,
        updated_at: now,
    };
    store.insert_admin(&admin).map_err(|e| e.user_message())?;
    store
        .set_setting("site.name", "梨树县科协")
        .map_err(|e| e.user_message())?;
    Ok(())
}

/// A demo folder used again: the demo admin gets this run's printed password.
pub fn reset_admin_password(
    store: &crate::store::Store,
    admin_password: &str,
) -> Result<(), String> {
    let admin = store
        .admin_by_username("demo")
        .map_err(|e| e.user_message())?
        .ok_or("演示数据中没有演示管理员 demo，请换一个空文件夹。")?;
    let hash = crate::domain::secret::hash_password(admin_password)?;
    store
        .set_admin_password(admin.id, &hash)
        .map_err(|e| e.user_message())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::registration::{VolunteerInput, check_volunteer};

    #[test]
    fn example_data_is_large_enough_and_valid() {
        let (teams, volunteers) = example_rows();
        assert!(teams.len() >= 20, "{}", teams.len());
        assert!(volunteers.len() >= 300);
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        for v in volunteers.iter().take(50) {
            let get = |k: &str| v.get(k).cloned().unwrap_or_default();
            let input = VolunteerInput {
                real_name: get("real_name"),
                phone: get("phone"),
                gender: get("gender"),
                id_number: get("id_number"),
                political_status: get("political_status"),
                ethnicity: get("ethnicity"),
                employer: get("employer"),
                title_level: get("title_level"),
                education: get("education"),
                occupation: get("occupation"),
                province: get("province"),
                city: get("city"),
                county: get("county"),
                service_categories: vec![get("service_categories")],
                service_fields: vec![get("service_fields")],
                sanzhang: get("sanzhang"),
            };
            check_volunteer(&input, today).unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
}
