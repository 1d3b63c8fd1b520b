//! Volunteer activities (志愿服务活动): the stored record, the form check that turns what an
//! organiser typed into one, the phase shown to people (derived from the clock, never
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

use super::dates::parse_local_datetime;
use super::dict;
use super::ids::Gid;
use super::regions::{self, RegionPath};
use super::registration::{FieldErrors, check_region};
use super::validate::{self, normalize, normalize_text};

const TITLE_MAX: usize = 60;
const ADDRESS_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 2000;
const CONTACT_NAME_MAX: usize = 20;
const RISK_NOTE_MAX: usize = 500;
const CAPACITY_MAX: u32 = 10_000;
/// Longest single activity; longer undertakings are meant to be split into activities.
const MAX_ACTIVITY_DAYS: i64 = 30;
/// Check-in opens this long before the start, so people arriving early can check in.
const CHECKIN_EARLY_MINUTES: i64 = 60;
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
    pub organization: Gid,
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
// Form check

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
        service_category(&input.service_category),
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
    let contact_phone = keep(e, "contact_phone", contact_phone(&input.contact_phone));
    let signup_opens = keep(
        e,
        "signup_opens",
        required_datetime(&input.signup_opens, "请填写报名开始时间"),
    );
    let signup_closes = keep(
        e,
        "signup_closes",
        required_datetime(&input.signup_closes, "请填写报名截止时间"),
    );
    let starts_at = keep(
        e,
        "starts_at",
        required_datetime(&input.starts_at, "请填写活动开始时间"),
    );
    let ends_at = keep(
        e,
        "ends_at",
        required_datetime(&input.ends_at, "请填写活动结束时间"),
    );
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

/// A required one-line text field, normalised and length-limited (in characters).
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

/// Multi-line free text, normalised; empty input gives "".
fn multiline(raw: &str, label: &str, max: usize) -> Result<String, String> {
    let text = validate::normalize_multiline(raw);
    if validate::char_count(&text) > max {
        return Err(format!("{label}不能超过{max}个字"));
    }
    Ok(text)
}

fn service_category(raw: &str) -> Result<String, String> {
    let shown = normalize_text(raw);
    if shown.is_empty() {
        return Err("请选择服务类别".to_string());
    }
    dict::service_categories()
        .lookup(raw)
        .map(|entry| entry.name.to_string())
        .ok_or_else(|| format!("“{shown}”不是可选的服务类别，请从列表中选择"))
}

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

/// 联系电话: required; mobile or landline (`validate::phone_or_landline`).
fn contact_phone(raw: &str) -> Result<String, String> {
    match validate::phone_or_landline(raw) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err("请填写联系电话".to_string()),
        Err(_) => Err("联系电话应为11位手机号或带区号的固定电话，如 0371-12345678".to_string()),
    }
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

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn minutes(n: i64) -> TimeDelta {
        TimeDelta::minutes(n)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        dt(s).and_utc()
    }

    /// Sign-up 11-20 08:00 to 11-30 18:00, activity 12-01 09:00–11:30, 10 seats.
    fn activity() -> Activity {
        Activity {
            id: Gid(1),
            origin: Gid(2),
            organization: Gid(3),
            title: "科普进社区".to_string(),
            service_category: "科普讲解".to_string(),
            region: RegionPath {
                province: "370000".to_string(),
                city: "370100".to_string(),
                county: Some("370102".to_string()),
            },
            address: "历下区文化中心".to_string(),
            description: "讲解".to_string(),
            contact_name: "王老师".to_string(),
            contact_phone: "13812345678".to_string(),
            signup_opens: dt("2026-11-20 08:00"),
            signup_closes: dt("2026-11-30 18:00"),
            starts_at: dt("2026-12-01 09:00"),
            ends_at: dt("2026-12-01 11:30"),
            capacity: 10,
            risk_note: String::new(),
            cover_photo: None,
            demand: None,
            state: ActivityState::Published,
            created_at: utc("2026-11-01 00:00"),
            updated_at: utc("2026-11-01 00:00"),
        }
    }

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

    fn signup() -> Signup {
        Signup {
            id: Gid(10),
            activity: Gid(1),
            volunteer: Gid(11),
            state: SignupState::Attended,
            signed_up_at: utc("2026-11-21 00:00"),
            waitlisted_at: None,
            promoted_at: None,
            check_in: None,
            check_out: None,
            half_hours: None,
            recorded_by: None,
            recorded_at: None,
            corrections: Vec::new(),
            updated_at: utc("2026-11-21 00:00"),
        }
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

    #[test]
    fn time_order_rules() {
        let end_before_start = ActivityInput {
            ends_at: "2026-12-01 08:59".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&end_before_start, None),
            vec![("ends_at", "活动结束时间须晚于开始时间".to_string())]
        );
        let end_at_start = ActivityInput {
            ends_at: "2026-12-01 09:00".to_string(),
            ..input()
        };
        assert_eq!(errors_of(&end_at_start, None)[0].0, "ends_at");

        let closes_after_start = ActivityInput {
            signup_closes: "2026-12-01 09:01".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&closes_after_start, None),
            vec![(
                "signup_closes",
                "报名截止时间不能晚于活动开始时间".to_string()
            )]
        );
        let closes_at_start = ActivityInput {
            signup_closes: "2026-12-01 09:00".to_string(),
            ..input()
        };
        assert!(check_activity(&closes_at_start, None).is_ok());

        let closes_before_opens = ActivityInput {
            signup_opens: "2026-11-30 18:00".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&closes_before_opens, None),
            vec![(
                "signup_closes",
                "报名截止时间须晚于报名开始时间".to_string()
            )]
        );

        let thirty_days = ActivityInput {
            ends_at: "2026-12-31 09:00".to_string(),
            ..input()
        };
        assert!(check_activity(&thirty_days, None).is_ok());
        let too_long = ActivityInput {
            ends_at: "2026-12-31 09:01".to_string(),
            ..input()
        };
        assert_eq!(
            errors_of(&too_long, None),
            vec![("ends_at", "一次活动最长30天".to_string())]
        );

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
