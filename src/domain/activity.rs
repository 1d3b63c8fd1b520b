//! Volunteer activities (志愿服务活动): the stored record, the form check that turns what an
//! organiser typed into one (in `form`), the phase shown to people (derived from the clock, never
//! stored), sign-ups with their waitlist, and the service-hour arithmetic used to record
//! hours (志愿服务记录与证明出具办法, 2020).
//!
//! Times of an activity are local wall-clock times at minute precision, because that is
//! what organisers type and what volunteers read; the caller converts "now" and stored UTC
//! instants with the platform's configured offset. Hours are kept as half-hour units so
//! that sums over many records never pick up floating-point error.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

use super::ids::Gid;
use super::regions::RegionPath;
use super::validate::normalize;

mod form;

pub use form::{ActivityFields, ActivityInput, FORM_ORDER, check_activity};

/// Check-in opens this long before the start, so people arriving early can check in.
pub(crate) const CHECKIN_EARLY_MINUTES: i64 = 60;
/// Check-out stays open this long after the end, for people who forget at the door.
const CHECKOUT_LATE_HOURS: i64 = 3;
/// Half-hour units in 24 hours, the most one calendar day can hold.
const HALF_HOURS_PER_DAY: u64 = 48;
/// Working days an organisation has to record hours after an activity ends.
const RECORD_WORKING_DAYS: u32 = 10;

// ---------------------------------------------------------------------------------------
// Records

/// Whether an activity is visible. Everything else about its progress is a [`Phase`],
/// computed from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityState {
    /// Being prepared; only the organisation sees it.
    Draft,
    /// Visible to volunteers.
    Published,
    /// Called off after publishing; kept so sign-ups and history stay readable.
    Cancelled,
}

/// A volunteer service activity organised by one team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: Gid,
    /// The installation that created this record (for merging bundles).
    pub origin: Gid,
    /// The team that runs it.
    /// Named `team` in bundles (the wire name from before the rename).
    #[serde(rename = "organization")]
    pub team: Gid,
    pub title: String,
    /// Canonical 服务类别 name.
    pub service_category: String,
    pub region: RegionPath,
    pub address: String,
    pub description: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Local wall-clock times (the platform's configured offset), minute precision.
    pub signup_opens: NaiveDateTime,
    pub signup_closes: NaiveDateTime,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// 0 = no limit.
    pub capacity: u32,
    pub risk_note: String,
    /// Blob id of the cover photo, if any.
    pub cover_photo: Option<Gid>,
    /// The demand (需求) this activity answers, if created from one.
    pub demand: Option<Gid>,
    pub state: ActivityState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------
// Phase

/// Where an activity stands right now, as shown on lists and badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Draft,
    Cancelled,
    /// 未开始报名.
    NotYetOpen,
    /// 报名中.
    SignupOpen,
    /// 报名结束: the window has closed or every seat is taken.
    SignupClosed,
    /// 活动进行中.
    InProgress,
    /// 活动结束.
    Ended,
}

impl Phase {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Draft => "草稿",
            Phase::Cancelled => "已取消",
            Phase::NotYetOpen => "未开始报名",
            Phase::SignupOpen => "报名中",
            Phase::SignupClosed => "报名结束",
            Phase::InProgress => "活动进行中",
            Phase::Ended => "活动结束",
        }
    }

    /// A badge modifier class. "ok", "warn" and "bad" are the ones app.css already styles;
    /// "info" and "muted" fall back to the plain badge until the stylesheet gives them a look.
    pub fn css(self) -> &'static str {
        match self {
            Phase::Draft | Phase::Ended => "muted",
            Phase::Cancelled => "bad",
            Phase::NotYetOpen => "info",
            Phase::SignupOpen | Phase::InProgress => "ok",
            Phase::SignupClosed => "warn",
        }
    }
}

/// Phase from the clock, never stored. `now` is local wall-clock time (the caller converts
/// with the configured offset). `signed_up` = current signed-up count (for "full").
///
/// Draft/Cancelled states win. The activity's own times are compared first (ended, then in
/// progress) so that even a record with an odd sign-up window (merged from elsewhere) never
/// shows 报名中 after it has started; for times that pass [`check_activity`] this is the
/// same as checking the sign-up window first.
pub fn phase(a: &Activity, now: NaiveDateTime, signed_up: u32) -> Phase {
    match a.state {
        ActivityState::Draft => return Phase::Draft,
        ActivityState::Cancelled => return Phase::Cancelled,
        ActivityState::Published => {}
    }
    let has_seat = a.capacity == 0 || signed_up < a.capacity;
    if now >= a.ends_at {
        Phase::Ended
    } else if now >= a.starts_at {
        Phase::InProgress
    } else if now < a.signup_opens {
        Phase::NotYetOpen
    } else if now < a.signup_closes && has_seat {
        Phase::SignupOpen
    } else {
        Phase::SignupClosed
    }
}

/// The filter values of 我参加的活动, in display order; "全部" shows everything.
pub const PHASE_FILTERS: &[&str] = &["全部", "报名中", "报名结束", "活动进行中", "活动结束"];

/// The public list's default: what the manual's 活动报名 lists, published and not ended.
pub const NOT_ENDED: &str = "未结束";

/// Whether phase `p` belongs under one of [`PHASE_FILTERS`]. "" and "全部" match everything.
/// NotYetOpen keeps its own label but is filed under 报名结束 (not open for sign-up and not
/// started), so the four filters cover every published phase. Draft and Cancelled only show
/// under 全部, and an unknown filter value matches nothing.
pub fn phase_filter_matches(filter: &str, p: Phase) -> bool {
    match filter.trim() {
        "" | "全部" => true,
        "报名中" => p == Phase::SignupOpen,
        "报名结束" => matches!(p, Phase::SignupClosed | Phase::NotYetOpen),
        "活动进行中" => p == Phase::InProgress,
        "活动结束" => p == Phase::Ended,
        NOT_ENDED => matches!(
            p,
            Phase::SignupOpen | Phase::SignupClosed | Phase::NotYetOpen | Phase::InProgress
        ),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Hours and working days

/// Hours as the national record rules count them: rounded to the nearest 0.5 h (x.25 → x.5,
/// x.75 → x+1; i.e. round half up to 0.5). Stored as half-hour units (u32) to avoid float
/// errors. 0 if `end <= start`. Seconds count, so 14 min 59 s rounds down and 15 min up.
pub fn half_hours_between(start: NaiveDateTime, end: NaiveDateTime) -> u32 {
    if end <= start {
        return 0;
    }
    let secs = (end - start).num_seconds();
    u32::try_from((secs + 900) / 1800).unwrap_or(u32::MAX)
}

/// Half-hour units as hours for display: 3 → "1.5", 4 → "2".
pub fn format_half_hours(h: u32) -> String {
    if h.is_multiple_of(2) {
        (h / 2).to_string()
    } else {
        format!("{}.5", h / 2)
    }
}

/// Parse hours typed by an admin: "2", "2.5", "２.５", "2小时", "2h"; must be a multiple of
/// 0.5, not negative, and at most 24 per calendar day the activity spans (`days`, from
/// [`days_spanned`]; 0 is taken as 1).
pub fn parse_hours(raw: &str, days: u32) -> Result<u32, String> {
    let s = normalize(raw).to_lowercase();
    let s = ["个小时", "小时", "h"]
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix))
        .unwrap_or(&s);
    if s.is_empty() {
        return Err("请填写服务时长".to_string());
    }
    let (negative, body) = match s.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err("服务时长应为数字，如 2 或 2.5".to_string());
    }
    if negative && body.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        return Err("服务时长不能为负数".to_string());
    }
    let half = match frac.trim_end_matches('0') {
        "" => 0,
        "5" => 1,
        _ => return Err("服务时长以0.5小时为单位".to_string()),
    };
    let too_long = || "每天的服务时长不能超过24小时".to_string();
    let whole = if int.is_empty() {
        0
    } else {
        // Only overflow can fail here; such a number is far over any day limit.
        int.parse::<u64>().map_err(|_| too_long())?
    };
    let total = whole
        .checked_mul(2)
        .and_then(|w| w.checked_add(half))
        .ok_or_else(too_long)?;
    if total > HALF_HOURS_PER_DAY * u64::from(days.max(1)) {
        return Err(too_long());
    }
    u32::try_from(total).map_err(|_| too_long())
}

/// Calendar days an activity touches (at least 1). An end at exactly 00:00 does not touch
/// the new day: "09:00 to midnight" is one day of service, not two.
pub fn days_spanned(start: NaiveDateTime, end: NaiveDateTime) -> u32 {
    if end <= start {
        return 1;
    }
    let last = if end.time() == NaiveTime::MIN {
        end.date().pred_opt().unwrap_or(end.date())
    } else {
        end.date()
    };
    let days = (last - start.date()).num_days() + 1;
    u32::try_from(days.max(1)).unwrap_or(u32::MAX)
}

/// The 10-working-day rule (2020 志愿服务记录与证明出具办法): the deadline is the 10th
/// working day after `ended`. Mon–Fri count and weekends don't. There is no holiday table
/// (法定节假日 and 调休 change every year and the platform runs offline), so around a
/// holiday the deadline shown is earlier than the legal one: it errs on the safe side.
pub fn record_deadline(ended: NaiveDate) -> NaiveDate {
    let mut day = ended;
    let mut counted = 0;
    while counted < RECORD_WORKING_DAYS {
        // Only the last representable date has no successor; stop there rather than spin.
        let Some(next) = day.checked_add_days(Days::new(1)) else {
            break;
        };
        day = next;
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            counted += 1;
        }
    }
    day
}

/// Whether check-in is allowed at `now` (local): from 60 minutes before starts_at until
/// ends_at, both ends included.
pub fn checkin_open(a: &Activity, now: NaiveDateTime) -> bool {
    now >= a.starts_at - TimeDelta::minutes(CHECKIN_EARLY_MINUTES) && now <= a.ends_at
}

/// Whether check-out is allowed at `now` (local): from starts_at until 3 hours after
/// ends_at, both ends included.
pub fn checkout_open(a: &Activity, now: NaiveDateTime) -> bool {
    now >= a.starts_at && now <= a.ends_at + TimeDelta::hours(CHECKOUT_LATE_HOURS)
}

// ---------------------------------------------------------------------------------------
// Signups

/// Where one volunteer stands with one activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignupState {
    SignedUp,
    /// The activity was full; promoted in waitlist order when a seat frees up.
    Waitlisted,
    Cancelled,
    Attended,
    Absent,
}

impl SignupState {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            SignupState::SignedUp => "已报名",
            SignupState::Waitlisted => "候补中",
            SignupState::Cancelled => "已取消",
            SignupState::Attended => "已参加",
            SignupState::Absent => "缺席",
        }
    }

    /// Whether this sign-up takes one of the activity's seats (counts towards capacity).
    pub fn holds_seat(self) -> bool {
        matches!(self, SignupState::SignedUp | SignupState::Attended)
    }
}

/// One change to recorded hours, kept so the record shows who changed what and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursCorrection {
    /// The new value, in half-hour units.
    pub half_hours: u32,
    /// Who made the change (account name or phone, as the caller records it).
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A volunteer's sign-up for an activity, through attendance and recorded hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signup {
    pub id: Gid,
    pub activity: Gid,
    pub volunteer: Gid,
    pub state: SignupState,
    pub signed_up_at: DateTime<Utc>,
    /// Position key for the waitlist (signup time), so the earliest waiting person is promoted first.
    pub waitlisted_at: Option<DateTime<Utc>>,
    /// Set when a cancellation promoted this person from the waitlist (shown to them).
    pub promoted_at: Option<DateTime<Utc>>,
    pub check_in: Option<DateTime<Utc>>,
    pub check_out: Option<DateTime<Utc>>,
    /// Recorded hours in half-hour units, once recorded.
    pub half_hours: Option<u32>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// Every correction, oldest first (who and when).
    pub corrections: Vec<HoursCorrection>,
    pub updated_at: DateTime<Utc>,
}

/// Default hours for an attended signup: check-in→check-out when both exist and are sane,
/// otherwise the scheduled duration. (`offset` converts stored UTC to local.)
///
/// Sane means check-out after check-in, each inside its window ([`checkin_open`],
/// [`checkout_open`]). The interval is then clipped to the schedule: waiting before the
/// start or lingering after the end is not service, and without clipping the early
/// check-in and late check-out windows would add up to four hours nobody served.
pub fn default_half_hours(a: &Activity, s: &Signup, offset: FixedOffset) -> u32 {
    let scheduled = half_hours_between(a.starts_at, a.ends_at);
    let (Some(check_in), Some(check_out)) = (s.check_in, s.check_out) else {
        return scheduled;
    };
    let local = |t: DateTime<Utc>| t.with_timezone(&offset).naive_local();
    let (check_in, check_out) = (local(check_in), local(check_out));
    if check_out <= check_in || !checkin_open(a, check_in) || !checkout_open(a, check_out) {
        return scheduled;
    }
    half_hours_between(check_in.max(a.starts_at), check_out.min(a.ends_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{activity, date, dt, signup, utc};

    fn minutes(n: i64) -> TimeDelta {
        TimeDelta::minutes(n)
    }

    #[test]
    fn phase_through_every_boundary() {
        let a = activity();
        let m = minutes(1);
        let cases = [
            (a.signup_opens - m, 0, Phase::NotYetOpen),
            (a.signup_opens, 0, Phase::SignupOpen),
            (a.signup_opens + m, 0, Phase::SignupOpen),
            (a.signup_closes - m, 9, Phase::SignupOpen),
            (a.signup_closes, 0, Phase::SignupClosed),
            (a.signup_closes + m, 0, Phase::SignupClosed),
            (a.starts_at - m, 0, Phase::SignupClosed),
            (a.starts_at, 0, Phase::InProgress),
            (a.starts_at + m, 0, Phase::InProgress),
            (a.ends_at - m, 0, Phase::InProgress),
            (a.ends_at, 0, Phase::Ended),
            (a.ends_at + m, 0, Phase::Ended),
            // Full: exactly at capacity or over it (an admin may add people by hand).
            (a.signup_opens + m, 10, Phase::SignupClosed),
            (a.signup_opens + m, 11, Phase::SignupClosed),
            // Being full does not change phases outside the sign-up window.
            (a.signup_opens - m, 10, Phase::NotYetOpen),
            (a.starts_at, 10, Phase::InProgress),
            (a.ends_at, 10, Phase::Ended),
        ];
        for (now, signed_up, want) in cases {
            assert_eq!(phase(&a, now, signed_up), want, "{now} with {signed_up}");
        }

        let unlimited = Activity {
            capacity: 0,
            ..activity()
        };
        assert_eq!(
            phase(&unlimited, a.signup_opens, 100_000),
            Phase::SignupOpen
        );
        assert_eq!(phase(&unlimited, a.signup_closes, 0), Phase::SignupClosed);

        // Sign-up may run right up to the start.
        let to_start = Activity {
            signup_closes: a.starts_at,
            ..activity()
        };
        assert_eq!(phase(&to_start, a.starts_at - m, 0), Phase::SignupOpen);
        assert_eq!(phase(&to_start, a.starts_at, 0), Phase::InProgress);

        for now in [
            a.signup_opens - m,
            a.signup_opens,
            a.starts_at,
            a.ends_at + m,
        ] {
            let draft = Activity {
                state: ActivityState::Draft,
                ..activity()
            };
            let cancelled = Activity {
                state: ActivityState::Cancelled,
                ..activity()
            };
            assert_eq!(phase(&draft, now, 0), Phase::Draft);
            assert_eq!(phase(&cancelled, now, 0), Phase::Cancelled);
        }
    }

    #[test]
    fn phase_labels_css_and_filters() {
        let all = [
            Phase::Draft,
            Phase::Cancelled,
            Phase::NotYetOpen,
            Phase::SignupOpen,
            Phase::SignupClosed,
            Phase::InProgress,
            Phase::Ended,
        ];
        let labels: Vec<&str> = all.iter().map(|p| p.label()).collect();
        assert_eq!(
            labels,
            [
                "草稿",
                "已取消",
                "未开始报名",
                "报名中",
                "报名结束",
                "活动进行中",
                "活动结束"
            ]
        );
        for p in all {
            assert!(!p.css().is_empty() && p.css().is_ascii(), "{p:?}");
            assert!(phase_filter_matches("", p));
            assert!(phase_filter_matches("全部", p));
            assert!(!phase_filter_matches("未知", p));
        }
        assert_eq!(Phase::SignupOpen.css(), "ok");
        assert_eq!(Phase::Cancelled.css(), "bad");

        // Every published phase falls under exactly one of the four filters.
        for p in &all[2..] {
            let hits = PHASE_FILTERS[1..]
                .iter()
                .filter(|f| phase_filter_matches(f, *p))
                .count();
            assert_eq!(hits, 1, "{p:?}");
        }
        assert!(phase_filter_matches("报名中", Phase::SignupOpen));
        assert!(phase_filter_matches("报名结束", Phase::SignupClosed));
        assert!(phase_filter_matches("报名结束", Phase::NotYetOpen));
        assert!(phase_filter_matches(" 活动进行中 ", Phase::InProgress));
        assert!(phase_filter_matches("活动结束", Phase::Ended));
        assert!(!phase_filter_matches("活动结束", Phase::Cancelled));
        assert!(!phase_filter_matches("报名中", Phase::Draft));
    }

    #[test]
    fn rounding_to_half_hours() {
        let start = dt("2026-12-01 09:00");
        for (mins, want) in [
            (0, 0),
            (1, 0),
            (14, 0),
            (15, 1),
            (29, 1),
            (44, 1),
            (45, 2),
            (60, 2),
            (74, 2),
            (75, 3),
            (90, 3),
            (150, 5),
            (24 * 60, 48),
        ] {
            assert_eq!(
                half_hours_between(start, start + minutes(mins)),
                want,
                "{mins}"
            );
        }
        let just_under = start + minutes(15) - TimeDelta::seconds(1);
        assert_eq!(half_hours_between(start, just_under), 0);
        assert_eq!(half_hours_between(start, start - minutes(60)), 0);

        for (h, want) in [(0, "0"), (1, "0.5"), (3, "1.5"), (4, "2"), (49, "24.5")] {
            assert_eq!(format_half_hours(h), want);
        }
    }

    #[test]
    fn parsing_hours() {
        for (raw, days, want) in [
            ("2", 1, 4),
            ("2.5", 1, 5),
            ("２.５", 1, 5),
            ("２．５", 1, 5),
            ("2小时", 1, 4),
            (" 3 个小时", 1, 6),
            ("2h", 1, 4),
            ("2.50", 1, 5),
            ("2.0", 1, 4),
            (".5", 1, 1),
            ("0", 1, 0),
            ("-0", 1, 0),
            ("24", 1, 48),
            ("24", 0, 48),
            ("30", 2, 60),
            ("48", 2, 96),
        ] {
            assert_eq!(parse_hours(raw, days), Ok(want), "{raw} over {days} days");
        }
        for (raw, days, msg) in [
            ("-1", 1, "服务时长不能为负数"),
            ("-2.3", 1, "服务时长不能为负数"),
            ("2.3", 1, "服务时长以0.5小时为单位"),
            ("2.25", 1, "服务时长以0.5小时为单位"),
            ("25", 1, "每天的服务时长不能超过24小时"),
            ("24.5", 1, "每天的服务时长不能超过24小时"),
            ("48.5", 2, "每天的服务时长不能超过24小时"),
            ("99999999999999999999999", 9, "每天的服务时长不能超过24小时"),
            ("", 1, "请填写服务时长"),
            ("小时", 1, "请填写服务时长"),
            ("两小时", 1, "服务时长应为数字，如 2 或 2.5"),
            ("2..5", 1, "服务时长应为数字，如 2 或 2.5"),
            (".", 1, "服务时长应为数字，如 2 或 2.5"),
        ] {
            assert_eq!(parse_hours(raw, days), Err(msg.to_string()), "{raw}");
        }
    }

    #[test]
    fn calendar_days() {
        let start = dt("2026-12-01 09:00");
        assert_eq!(days_spanned(start, dt("2026-12-01 17:00")), 1);
        assert_eq!(days_spanned(start, dt("2026-12-01 23:59")), 1);
        assert_eq!(days_spanned(start, dt("2026-12-02 00:00")), 1);
        assert_eq!(days_spanned(start, dt("2026-12-02 00:01")), 2);
        assert_eq!(days_spanned(start, dt("2026-12-03 08:00")), 3);
        assert_eq!(days_spanned(start, start), 1);
        assert_eq!(days_spanned(start, dt("2026-11-01 09:00")), 1);
        assert_eq!(
            days_spanned(dt("2026-12-31 20:00"), dt("2027-01-01 02:00")),
            2
        );
    }

    #[test]
    fn record_deadlines() {
        let friday = date(2026, 11, 27);
        let saturday = date(2026, 11, 28);
        let sunday = date(2026, 11, 29);
        let wednesday = date(2026, 11, 25);
        assert_eq!(friday.weekday(), Weekday::Fri);
        assert_eq!(saturday.weekday(), Weekday::Sat);
        assert_eq!(wednesday.weekday(), Weekday::Wed);
        // Two full working weeks from the next Monday: the Friday two weeks on.
        assert_eq!(record_deadline(friday), date(2026, 12, 11));
        assert_eq!(record_deadline(saturday), date(2026, 12, 11));
        assert_eq!(record_deadline(sunday), date(2026, 12, 11));
        // Thu, Fri, then Mon–Fri, then Mon, Tue, Wed.
        assert_eq!(record_deadline(wednesday), date(2026, 12, 9));
        assert_eq!(record_deadline(date(2026, 12, 30)), date(2027, 1, 13));
    }

    #[test]
    fn checkin_and_checkout_windows() {
        let a = activity();
        let m = minutes(1);
        let early = a.starts_at - minutes(60);
        assert!(!checkin_open(&a, early - m));
        assert!(checkin_open(&a, early));
        assert!(checkin_open(&a, a.starts_at));
        assert!(checkin_open(&a, a.ends_at));
        assert!(!checkin_open(&a, a.ends_at + m));

        let late = a.ends_at + TimeDelta::hours(3);
        assert!(!checkout_open(&a, a.starts_at - m));
        assert!(checkout_open(&a, a.starts_at));
        assert!(checkout_open(&a, a.ends_at));
        assert!(checkout_open(&a, late));
        assert!(!checkout_open(&a, late + m));
    }

    #[test]
    fn default_hours_from_check_in_and_out() {
        let a = activity(); // 09:00–11:30 local, 5 half-hours scheduled
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        // Local = UTC + 8, so 09:10 local is 01:10 UTC.
        let with = |ci: Option<&str>, co: Option<&str>| Signup {
            check_in: ci.map(utc),
            check_out: co.map(utc),
            ..signup()
        };
        assert_eq!(default_half_hours(&a, &signup(), beijing), 5);
        assert_eq!(
            default_half_hours(&a, &with(Some("2026-12-01 01:10"), None), beijing),
            5
        );
        // 09:10–11:00 is 1 h 50 min → 2 h.
        let s = with(Some("2026-12-01 01:10"), Some("2026-12-01 03:00"));
        assert_eq!(default_half_hours(&a, &s, beijing), 4);
        // 08:10–13:00 is clipped to the schedule.
        let s = with(Some("2026-12-01 00:10"), Some("2026-12-01 05:00"));
        assert_eq!(default_half_hours(&a, &s, beijing), 5);
        // Check-out before check-in, or outside its window: fall back to the schedule.
        let s = with(Some("2026-12-01 02:00"), Some("2026-12-01 01:30"));
        assert_eq!(default_half_hours(&a, &s, beijing), 5);
        let s = with(Some("2026-11-30 01:00"), Some("2026-12-01 02:00"));
        assert_eq!(default_half_hours(&a, &s, beijing), 5);
        let s = with(Some("2026-12-01 01:10"), Some("2026-12-02 03:00"));
        assert_eq!(default_half_hours(&a, &s, beijing), 5);
        // The offset matters: read as UTC, these instants are outside the windows.
        let s = with(Some("2026-12-01 01:10"), Some("2026-12-01 03:00"));
        assert_eq!(
            default_half_hours(&a, &s, FixedOffset::east_opt(0).unwrap()),
            5
        );
    }

    #[test]
    fn signup_states() {
        let all = [
            SignupState::SignedUp,
            SignupState::Waitlisted,
            SignupState::Cancelled,
            SignupState::Attended,
            SignupState::Absent,
        ];
        let labels: Vec<&str> = all.iter().map(|s| s.label()).collect();
        assert_eq!(labels, ["已报名", "候补中", "已取消", "已参加", "缺席"]);
        let seats: Vec<bool> = all.iter().map(|s| s.holds_seat()).collect();
        assert_eq!(seats, [true, false, false, true, false]);
    }

    #[test]
    fn records_round_trip_through_postcard() {
        let a = Activity {
            cover_photo: Some(Gid(7)),
            ..activity()
        };
        let bytes = postcard::to_allocvec(&a).unwrap();
        assert_eq!(postcard::from_bytes::<Activity>(&bytes).unwrap(), a);
        let s = Signup {
            check_in: Some(utc("2026-12-01 01:00")),
            half_hours: Some(5),
            corrections: vec![HoursCorrection {
                half_hours: 4,
                by: "13812345678".to_string(),
                at: utc("2026-12-02 01:00"),
            }],
            ..signup()
        };
        let bytes = postcard::to_allocvec(&s).unwrap();
        assert_eq!(postcard::from_bytes::<Signup>(&bytes).unwrap(), s);
    }
}
