//! Service demands (需求, 供需对接): what a village or a grassroots centre asks for, and
//! how volunteers and teams are matched to it.

use super::checks::{FieldErrors, check_region, required_mobile_or_landline};
use super::ids::Gid;
use super::refusal::Refusal;
use super::regions::RegionPath;
use super::{dict, validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who may ask (the notice's 新时代文明实践中心, 党群服务中心, and villages or people).
pub const REQUESTER_KINDS: &[&str] = &[
    "村（居）委会",
    "新时代文明实践中心",
    "党群服务中心",
    "个人",
    "其他单位",
];

/// Longest demand text.
pub const MAX_TEXT: usize = 2000;

/// Where a demand stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemandState {
    Open,
    Taken,
    Done,
}

impl DemandState {
    /// Every state, in the order a demand goes through them.
    pub const ALL: [DemandState; 3] = [DemandState::Open, DemandState::Taken, DemandState::Done];

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            DemandState::Open => "待对接",
            DemandState::Taken => "已对接",
            DemandState::Done => "已完成",
        }
    }
}

/// A demand as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demand {
    pub id: Gid,
    pub origin: Gid,
    /// Shown to the requester to look the demand up later.
    pub number: String,
    pub requester_kind: String,
    pub requester_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub region: RegionPath,
    pub categories: Vec<String>,
    pub text: String,
    /// When it is wanted, as the requester says it ("12月上旬", "农闲时").
    pub wanted_when: String,
    pub state: DemandState,
    pub taken_by: Option<Gid>,
    pub activity: Option<Gid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Demand {
    /// An activity answers this demand: it is linked, and an open demand becomes taken by
    /// the activity's team (a demand already taken keeps the team that took it).
    pub fn answered_by(&mut self, activity: Gid, team: Gid, now: DateTime<Utc>) {
        self.activity = Some(activity);
        if self.state == DemandState::Open {
            self.state = DemandState::Taken;
            self.taken_by = Some(team);
        }
        self.updated_at = now;
    }

    /// A team takes an open demand.
    pub fn take(&mut self, team: Gid, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.state != DemandState::Open {
            return Err(Refusal::DemandAlreadyTaken);
        }
        self.state = DemandState::Taken;
        self.taken_by = Some(team);
        self.updated_at = now;
        Ok(())
    }

    /// The team that took the demand reports it done.
    pub fn finish(&mut self, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.state != DemandState::Taken {
            return Err(Refusal::DemandNotTaken);
        }
        self.state = DemandState::Done;
        self.updated_at = now;
        Ok(())
    }
}

/// A demand as typed.
#[derive(Debug, Clone, Default)]
pub struct DemandInput {
    pub requester_kind: String,
    pub requester_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub province: String,
    pub city: String,
    pub county: String,
    pub categories: Vec<String>,
    pub text: String,
    pub wanted_when: String,
}

/// Checked demand fields.
#[derive(Debug, Clone)]
pub struct DemandFields {
    pub requester_kind: String,
    pub requester_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub region: RegionPath,
    pub categories: Vec<String>,
    pub text: String,
    pub wanted_when: String,
}

/// Check a demand form, collecting every error.
pub fn check_demand(input: &DemandInput) -> Result<DemandFields, FieldErrors> {
    let mut e = FieldErrors::new();
    let kind = validate::normalize_text(&input.requester_kind);
    if !REQUESTER_KINDS.contains(&kind.as_str()) {
        e.push(("requester_kind", "请选择提出需求的是谁".into()));
    }
    let requester_name = validate::normalize_text(&input.requester_name);
    if requester_name.chars().count() > 50 {
        e.push(("requester_name", "单位或村名称不能超过50个字".into()));
    }
    let contact_name = validate::normalize_text(&input.contact_name);
    if contact_name.is_empty() {
        e.push(("contact_name", "请填写联系人".into()));
    } else if contact_name.chars().count() > 20 {
        e.push(("contact_name", "联系人不能超过20个字".into()));
    }
    let contact_phone = required_mobile_or_landline(&input.contact_phone, "联系电话")
        .map_err(|m| e.push(("contact_phone", m)))
        .ok();
    let region = check_region(&mut e, &input.province, &input.city, &input.county);
    let mut categories = Vec::new();
    for raw in &input.categories {
        match dict::parse_multi(dict::service_categories(), raw) {
            Ok(v) => categories.extend(v.into_iter().map(str::to_string)),
            Err(m) => e.push(("categories", m)),
        }
    }
    categories.dedup();
    if categories.is_empty() && !e.iter().any(|(k, _)| *k == "categories") {
        e.push(("categories", "请至少选择一项需要的服务类别".into()));
    }
    let text = validate::normalize_multiline(&input.text);
    if text.is_empty() {
        e.push(("text", "请写明需要什么服务".into()));
    } else if validate::char_count(&text) > MAX_TEXT {
        e.push(("text", format!("需求内容不能超过{MAX_TEXT}个字")));
    }
    let wanted_when = validate::normalize_text(&input.wanted_when);
    if wanted_when.chars().count() > 50 {
        e.push(("wanted_when", "期望时间不能超过50个字".into()));
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(DemandFields {
        requester_kind: kind,
        requester_name,
        contact_name,
        contact_phone: contact_phone.unwrap_or_default(),
        region: region.unwrap_or(RegionPath {
            province: String::new(),
            city: String::new(),
            county: None,
        }),
        categories,
        text,
        wanted_when,
    })
}

/// How near two places are: 3 same county, 2 same city, 1 same province, 0 elsewhere.
pub fn nearness(a: &RegionPath, b: &RegionPath) -> u8 {
    if a.county.is_some() && a.county == b.county {
        3
    } else if !a.city.is_empty() && a.city == b.city {
        2
    } else if !a.province.is_empty() && a.province == b.province {
        1
    } else {
        0
    }
}

/// A volunteer's fit for a demand: (nearness, shared categories/fields, is 三长). `None`
/// when they share no service category or field.
pub fn volunteer_fit(
    d: &Demand,
    region: &RegionPath,
    categories: &[String],
    fields: &[String],
    sanzhang: &str,
) -> Option<(u8, usize, bool)> {
    let shared = d
        .categories
        .iter()
        .filter(|c| categories.contains(c) || fields.iter().any(|f| f.starts_with(c.as_str())))
        .count();
    (shared > 0).then(|| {
        (
            nearness(&d.region, region),
            shared,
            sanzhang != "否" && !sanzhang.is_empty(),
        )
    })
}

/// A team's fit for a demand: its nearness, when it serves one of the demand's categories.
pub fn team_fit(d: &Demand, region: &RegionPath, categories: &[String]) -> Option<u8> {
    categories
        .iter()
        .any(|c| d.categories.contains(c))
        .then(|| nearness(&d.region, region))
}

/// Sort key: nearest first, then more shared categories, then 三长 first.
pub fn fit_order(
    fit: &(u8, usize, bool),
) -> (
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<usize>,
    std::cmp::Reverse<bool>,
) {
    (
        std::cmp::Reverse(fit.0),
        std::cmp::Reverse(fit.1),
        std::cmp::Reverse(fit.2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(state: DemandState, taken_by: Option<Gid>) -> Demand {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        Demand {
            id: Gid(1),
            origin: Gid(2),
            number: "XQ0001".into(),
            requester_kind: String::new(),
            requester_name: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            region: RegionPath {
                province: "220000".into(),
                city: "220300".into(),
                county: None,
            },
            categories: Vec::new(),
            text: String::new(),
            wanted_when: String::new(),
            state,
            taken_by,
            activity: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn an_activity_takes_an_open_demand_and_keeps_who_took_a_taken_one() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut open = demand(DemandState::Open, None);
        open.answered_by(Gid(10), Gid(20), now);
        assert_eq!(
            (open.state, open.taken_by, open.activity, open.updated_at),
            (DemandState::Taken, Some(Gid(20)), Some(Gid(10)), now)
        );
        let mut taken = demand(DemandState::Taken, Some(Gid(30)));
        taken.answered_by(Gid(11), Gid(20), now);
        assert_eq!(
            (taken.taken_by, taken.activity),
            (Some(Gid(30)), Some(Gid(11)))
        );
    }

    fn input() -> DemandInput {
        DemandInput {
            requester_kind: "新时代文明实践中心".into(),
            requester_name: "梨树镇新时代文明实践所".into(),
            contact_name: "王主任".into(),
            contact_phone: "0434-5212345".into(),
            province: "220000".into(),
            city: "220300".into(),
            county: "220322".into(),
            categories: vec!["农技服务".into(), "科普讲解".into()],
            text: "<script>alert(1)</script> 需要玉米病虫害防治讲解".into(),
            wanted_when: "12月上旬".into(),
        }
    }

    #[test]
    fn a_good_demand_and_each_bad_field() {
        let f = check_demand(&input()).unwrap();
        assert_eq!(f.categories, vec!["农技服务", "科普讲解"]);
        assert!(
            f.text.contains("<script>"),
            "stored as typed; escaped when shown"
        );
        let mut bad = input();
        bad.contact_name = " ".into();
        bad.contact_phone = "123".into();
        // A landline typed with a Chinese dash is a landline, as on every other form.
        let mut dash = input();
        dash.contact_phone = "0434—5212345".into();
        assert_eq!(check_demand(&dash).unwrap().contact_phone, "0434-5212345");
        bad.text = "字".repeat(MAX_TEXT + 1);
        bad.categories.clear();
        let e = check_demand(&bad).unwrap_err();
        for k in ["contact_name", "contact_phone", "text", "categories"] {
            assert!(e.iter().any(|(f, _)| *f == k), "{k}: {e:?}");
        }
    }

    /// The demand form had its own copy of the contact-phone rule, whose message gave
    /// another example than the activity and team forms; it now shares theirs.
    #[test]
    fn contact_phone_message_is_the_one_every_form_gives() {
        let mut bad = input();
        bad.contact_phone = "123".into();
        let e = check_demand(&bad).unwrap_err();
        assert_eq!(
            e,
            [(
                "contact_phone",
                "联系电话应为11位手机号或带区号的固定电话，如 0371-12345678".to_string()
            )]
        );
        bad.contact_phone = " ".into();
        assert_eq!(
            check_demand(&bad).unwrap_err(),
            [("contact_phone", "请填写联系电话".to_string())]
        );
    }

    #[test]
    fn nearness_ranks_places() {
        let here = RegionPath {
            province: "220000".into(),
            city: "220300".into(),
            county: Some("220322".into()),
        };
        let same_city = RegionPath {
            county: Some("220302".into()),
            ..here.clone()
        };
        let same_province = RegionPath {
            city: "220100".into(),
            county: Some("220102".into()),
            ..here.clone()
        };
        let far = RegionPath {
            province: "110000".into(),
            city: "110100".into(),
            county: Some("110101".into()),
        };
        assert_eq!(nearness(&here, &here), 3);
        assert_eq!(nearness(&here, &same_city), 2);
        assert_eq!(nearness(&here, &same_province), 1);
        assert_eq!(nearness(&here, &far), 0);
    }
}
