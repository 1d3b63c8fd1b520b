//! A synthetic county from a seed: volunteers, teams, memberships, activities and signups
//! shaped like real data (common surnames, one province's cities and counties, most people
//! not 三长, activities spread over two years), for the benchmark in `benches/` and the
//! scale tests. The same seed and sizes give the same people and texts; ids are fresh
//! (time-ordered) on every run.

use crate::domain::activity::{Activity, ActivityState, Signup, SignupState};
use crate::domain::ids::Gid;
use crate::domain::people::{
    Consent, Membership, MembershipState, Source, Team, TeamStatus, Volunteer,
};
use crate::domain::regions::{self, RegionPath};
use crate::domain::validate::Gender;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// How big a county to make.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub volunteers: usize,
    pub teams: usize,
    pub activities: usize,
    pub signups: usize,
}

impl Sizes {
    /// The county of issue 13: 100,000 volunteers, 2,000 teams, 5,000 activities,
    /// 200,000 signups.
    pub const COUNTY: Sizes = Sizes {
        volunteers: 100_000,
        teams: 2_000,
        activities: 5_000,
        signups: 200_000,
    };
}

/// The records of a synthetic county, in creation order.
pub struct County {
    pub volunteers: Vec<Volunteer>,
    pub teams: Vec<Team>,
    pub memberships: Vec<Membership>,
    pub activities: Vec<Activity>,
    pub signups: Vec<Signup>,
}

/// xorshift64*: small, seeded, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "欧阳", "司马",
];
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强文辉晓东海燕春梅金凤德胜永刚淑珍丽娟凤英振华国庆";

/// A Chinese name: a common surname and one or two given characters.
pub fn name(rng: &mut Rng) -> String {
    let given: Vec<char> = GIVEN.chars().collect();
    let mut n = rng.pick(SURNAMES).to_string();
    for _ in 0..1 + rng.below(2) {
        n.push(*rng.pick(&given));
    }
    n
}

/// The county-level divisions of one province (吉林), as region paths.
fn county_paths() -> Vec<RegionPath> {
    let mut out = Vec::new();
    for city in regions::children(Some("220000")) {
        for county in regions::children(Some(city.code)) {
            out.push(RegionPath {
                province: "220000".into(),
                city: city.code.into(),
                county: Some(county.code.into()),
            });
        }
    }
    if out.is_empty() {
        out.push(RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220302".into()),
        });
    }
    out
}

/// The phone of volunteer `i`: unique, with varied last digits.
pub fn phone(i: usize) -> String {
    format!("1{}{:09}", 3 + i % 6, (i as u64 * 7_919) % 1_000_000_000)
}

/// Build a county for `seed`. `now` anchors the activity calendar.
pub fn county(seed: u64, sizes: Sizes, now: DateTime<Utc>) -> County {
    let mut rng = Rng::new(seed);
    let places = county_paths();
    let sanzhang = crate::domain::dict::sanzhang().names();
    let categories = crate::domain::dict::service_categories().names();
    let fields = crate::domain::dict::service_fields().names();
    let origin = Gid::new();
    let mut volunteers = Vec::with_capacity(sizes.volunteers);
    for i in 0..sizes.volunteers {
        let region = rng.pick(&places).clone();
        let birth = NaiveDate::from_ymd_opt(
            1950 + rng.below(55) as i32,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        )
        .unwrap_or_default();
        let gender = if rng.below(2) == 0 {
            Gender::Male
        } else {
            Gender::Female
        };
        let sz = if rng.below(20) == 0 {
            rng.pick(&sanzhang).to_string()
        } else {
            "否".to_string()
        };
        let mut cats = vec![rng.pick(&categories).to_string()];
        if rng.below(3) == 0 {
            cats.push(rng.pick(&categories).to_string());
            cats.dedup();
        }
        volunteers.push(Volunteer {
            id: Gid::new(),
            origin,
            real_name: name(&mut rng),
            phone: phone(i),
            gender,
            id_number: format!(
                "{}{}{:04}",
                region.county.as_deref().unwrap_or("220302"),
                birth.format("%Y%m%d"),
                i % 10_000
            ) + &format!("{:06}", i),
            birth_date: birth,
            political_status: "群众".into(),
            ethnicity: "汉族".into(),
            employer: format!("第{}农技站", 1 + rng.below(300)),
            title_level: "中级".into(),
            education: "本科".into(),
            occupation: "企业".into(),
            region,
            service_categories: cats,
            service_fields: vec![rng.pick(&fields).to_string()],
            sanzhang: sz,
            password_hash: None,
            consent: Some(Consent {
                accepted_at: now,
                how: "collective".into(),
                guardian_name: None,
                guardian_phone: None,
            }),
            source: Source::Imported,
            legacy: false,
            confirmed: true,
            created_at: now,
            updated_at: now,
        });
    }
    let mut teams = Vec::with_capacity(sizes.teams);
    for i in 0..sizes.teams {
        let admin = &volunteers[i % volunteers.len().max(1)];
        teams.push(Team {
            id: Gid::new(),
            origin,
            name: format!("{}第{}科技志愿服务队", name(&mut rng), i + 1),
            admin_phone: admin.phone.clone(),
            mca_registered: rng.below(2) == 0,
            supervisor_type: "地方科协".into(),
            supervisor_name: "县科协".into(),
            founded_on: NaiveDate::from_ymd_opt(2015 + rng.below(9) as i32, 3, 1)
                .unwrap_or_default(),
            service_categories: vec![rng.pick(&categories).to_string()],
            region: admin.region.clone(),
            leader_name: None,
            leader_title: None,
            leader_org: None,
            leader_phone: None,
            description: "面向乡村开展科技志愿服务。".into(),
            status: if rng.below(20) == 0 {
                TeamStatus::PendingReview
            } else {
                TeamStatus::Active
            },
            source: Source::Imported,
            created_at: now,
            updated_at: now,
        });
    }
    // Every volunteer in one team (admins in their own), so a team has ~50 members.
    let mut memberships = Vec::with_capacity(volunteers.len());
    for (i, v) in volunteers.iter().enumerate() {
        let t = if i < teams.len() {
            i
        } else {
            rng.below(teams.len())
        };
        if teams.is_empty() {
            break;
        }
        memberships.push(Membership {
            id: Gid::new(),
            volunteer: v.id,
            team: teams[t].id,
            state: MembershipState::Approved,
            added_by_team: i >= teams.len(),
            created_at: now,
            updated_at: now,
        });
    }
    // Activities over the last two years and the next two months, created in date order
    // (as a county would), so the newest ids are the coming ones.
    let today = now.naive_utc();
    let mut activities = Vec::with_capacity(sizes.activities);
    for i in 0..sizes.activities {
        let span = 790i64;
        let day = -730 + (i as i64 * span) / sizes.activities.max(1) as i64;
        let starts: NaiveDateTime =
            today + Duration::days(day) + Duration::hours(rng.below(8) as i64);
        let team = &teams[rng
            .below(teams.len().max(1))
            .min(teams.len().saturating_sub(1))];
        activities.push(Activity {
            id: Gid::new(),
            origin,
            team: team.id,
            title: format!("{}科技服务进村第{}场", rng.pick(&categories), i + 1),
            service_category: rng.pick(&categories).to_string(),
            region: team.region.clone(),
            address: format!("第{}村村委会", 1 + rng.below(200)),
            description: "讲解种植技术，现场答疑。".repeat(4),
            contact_name: "王老师".into(),
            contact_phone: team.admin_phone.clone(),
            signup_opens: starts - Duration::days(14),
            signup_closes: starts - Duration::hours(2),
            starts_at: starts,
            ends_at: starts + Duration::hours(3),
            capacity: if rng.below(3) == 0 { 0 } else { 60 },
            risk_note: String::new(),
            cover_photo: None,
            demand: None,
            state: if rng.below(20) == 0 {
                ActivityState::Draft
            } else {
                ActivityState::Published
            },
            created_at: now,
            updated_at: now,
        });
    }
    let mut signups = Vec::with_capacity(sizes.signups);
    let mut seen = std::collections::HashSet::new();
    let per = sizes.signups / sizes.activities.max(1) + 1;
    'outer: for a in &activities {
        for _ in 0..per {
            if signups.len() >= sizes.signups || volunteers.is_empty() {
                break 'outer;
            }
            let v = &volunteers[rng.below(volunteers.len())];
            if !seen.insert((a.id, v.id)) {
                continue;
            }
            let ended = a.ends_at < today;
            signups.push(Signup {
                id: Gid::new(),
                activity: a.id,
                volunteer: v.id,
                state: if ended {
                    SignupState::Attended
                } else {
                    SignupState::SignedUp
                },
                signed_up_at: now,
                waitlisted_at: None,
                promoted_at: None,
                check_in: None,
                check_out: None,
                half_hours: ended.then_some(6),
                recorded_by: None,
                recorded_at: None,
                corrections: Vec::new(),
                updated_at: now,
            });
        }
    }
    County {
        volunteers,
        teams,
        memberships,
        activities,
        signups,
    }
}
