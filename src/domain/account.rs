//! Accounts and sign-in: platform admins, sessions, one-time codes and the outbox of
//! messages that the offline code sender keeps for staff to read out.

use super::ids::Gid;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Shortest password accepted for any account.
pub const MIN_PASSWORD_LEN: usize = 8;
/// How long a one-time code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
/// Wrong entries that burn a code.
pub const CODE_MAX_TRIES: u8 = 5;
/// Minimum gap between two codes to the same phone.
pub const CODE_RESEND_GAP: Duration = Duration::seconds(60);
/// Codes a phone may receive per day, whoever asks. Higher than one device may ask for
/// (`CODES_PER_DAY_PER_ADDRESS`), so one stranger cannot use up a phone's day.
pub const CODES_PER_DAY: u32 = 20;
/// Codes one client address may ask for one phone per day.
pub const CODES_PER_DAY_PER_ADDRESS: u32 = 5;
/// Lifetime of a platform admin's session.
pub const ADMIN_SESSION_LIFETIME: Duration = Duration::hours(12);
/// Lifetime of a volunteer's session (a phone used over several outreach days).
pub const USER_SESSION_LIFETIME: Duration = Duration::days(7);

/// A platform admin (平台管理员): county staff who sign in with username + password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admin {
    pub id: Gid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A platform admin.
    Admin(Gid),
    /// A registered volunteer (who may also be a team's admin).
    Volunteer(Gid),
    /// A phone proven by a one-time code that has no volunteer yet: it may only register.
    VerifiedPhone(String),
}

/// A signed-in session, keyed by its random token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub subject: Subject,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The current one-time code of a phone, and that phone's sending history for limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginCode {
    pub code: String,
    pub issued_at: DateTime<Utc>,
    pub tries_left: u8,
    /// The local day `sent_today` counts for.
    pub day: NaiveDate,
    pub sent_today: u32,
}

impl LoginCode {
    /// Whether the code can still be tried at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.tries_left > 0 && now < self.issued_at + CODE_LIFETIME
    }
}

/// Who asked for a phone's codes today. Kept beside `LoginCode` (table `code_requests`)
/// rather than in it; see `store::accounts` for why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequests {
    /// The `issued_at` of the code `requester` asked for; a `LoginCode` with another
    /// time was issued without this record (by an older build) and has no known owner.
    pub code_issued_at: DateTime<Utc>,
    /// The client address the live code was sent for: only its wrong tries burn the code.
    pub requester: String,
    /// The local day `per_address` counts for.
    pub day: NaiveDate,
    /// Codes asked for today, per client address.
    pub per_address: Vec<(String, u32)>,
}

impl CodeRequests {
    /// Codes `address` asked for on `today`.
    pub fn count(&self, address: &str, today: NaiveDate) -> u32 {
        if self.day != today {
            return 0;
        }
        self.per_address
            .iter()
            .find(|(a, _)| a == address)
            .map_or(0, |(_, n)| *n)
    }

    /// The record after `address` was sent the code issued at `issued_at`.
    pub fn after_request(
        previous: Option<&CodeRequests>,
        address: &str,
        issued_at: DateTime<Utc>,
        today: NaiveDate,
    ) -> CodeRequests {
        let mut per_address = match previous {
            Some(p) if p.day == today => p.per_address.clone(),
            _ => Vec::new(),
        };
        match per_address.iter_mut().find(|(a, _)| a == address) {
            Some((_, n)) => *n += 1,
            None => per_address.push((address.to_string(), 1)),
        }
        CodeRequests {
            code_issued_at: issued_at,
            requester: address.to_string(),
            day: today,
            per_address,
        }
    }

    /// Whether `address` asked for the code issued at `issued_at`. A code with no known
    /// requester (issued before requesters were kept) belongs to everyone, as it did.
    pub fn owns(requests: Option<&CodeRequests>, address: &str, issued_at: DateTime<Utc>) -> bool {
        match requests {
            Some(r) if r.code_issued_at == issued_at => r.requester == address,
            _ => true,
        }
    }
}

/// Where a code request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requester<'a> {
    /// The client address, as text.
    pub address: &'a str,
    /// The laptop itself: staff at the outreach desk, with the person in front of them.
    pub loopback: bool,
}

/// Why a code may not be sent now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Wait this many seconds before asking again.
    TooSoon(i64),
    /// The phone has had its codes for today.
    DailyLimit,
    /// This device has asked for its share of the phone's codes today.
    AddressDailyLimit,
}

impl CodeRefusal {
    /// The message shown to the person asking.
    pub fn message(&self) -> String {
        match self {
            CodeRefusal::TooSoon(s) => format!("验证码已发送，请在 {s} 秒后再重新获取"),
            CodeRefusal::DailyLimit => {
                format!("该手机号今天已获取 {CODES_PER_DAY} 次验证码，请明天再试或联系现场工作人员")
            }
            CodeRefusal::AddressDailyLimit => format!(
                "这台设备今天已为该手机号获取 {CODES_PER_DAY_PER_ADDRESS} 次验证码，请明天再试或联系现场工作人员"
            ),
        }
    }
}

/// Decide whether a new code may go to a phone whose previous code is `previous` and
/// whose requests today are `requests`, asked for by `from`. Returns the `sent_today`
/// count the new code will carry.
pub fn may_send_code(
    previous: Option<&LoginCode>,
    requests: Option<&CodeRequests>,
    from: Requester,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<u32, CodeRefusal> {
    if requests.is_some_and(|r| r.count(from.address, today) >= CODES_PER_DAY_PER_ADDRESS) {
        return Err(CodeRefusal::AddressDailyLimit);
    }
    let Some(prev) = previous else { return Ok(1) };
    let since = now - prev.issued_at;
    if since < CODE_RESEND_GAP {
        return Err(CodeRefusal::TooSoon(
            (CODE_RESEND_GAP - since).num_seconds().max(1),
        ));
    }
    let sent = if prev.day == today {
        prev.sent_today
    } else {
        0
    };
    // Strangers on the hotspot could use up the phone-wide count; the desk at the laptop
    // must still be able to help the person standing in front of it.
    if sent >= CODES_PER_DAY && !from.loopback {
        return Err(CodeRefusal::DailyLimit);
    }
    Ok(sent + 1)
}

/// The result of checking a typed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted,
    /// Wrong code from the device that asked for it; this many tries remain.
    Wrong(u8),
    /// Wrong code from another device: the code's tries are untouched, only that device
    /// is slowed down.
    WrongElsewhere,
    /// Another device has guessed too often: wait this many seconds. Nothing was checked.
    Wait(u64),
    /// No live code: never sent, expired, or burnt by too many wrong tries.
    NoLiveCode,
}

/// A message stored by the `outbox` code sender, shown to the platform admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub at: DateTime<Utc>,
    pub phone: String,
    pub text: String,
    /// How delivery went: "outbox" for stored only, or the external command's outcome.
    pub delivery: String,
}

/// The text of a sign-in code message.
pub fn code_message(code: &str) -> String {
    format!(
        "【科志】您的验证码是 {code}，{} 分钟内有效。请勿告诉他人。",
        CODE_LIFETIME.num_minutes()
    )
}

/// The code inside a message made by [`code_message`], for staff to read out.
pub fn code_in_message(text: &str) -> Option<&str> {
    let rest = text.split_once("验证码是")?.1.trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Check a password against the site's minimum rules; the message names what is wrong.
pub fn password_problem(password: &str, confirm: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Some(format!("密码至少需要 {MIN_PASSWORD_LEN} 位"));
    }
    if password.chars().count() > 128 {
        return Some("密码不能超过 128 位".into());
    }
    if password != confirm {
        return Some("两次输入的密码不一致".into());
    }
    None
}

/// Check a username for a platform admin.
pub fn username_problem(username: &str) -> Option<String> {
    let n = username.chars().count();
    if !(3..=32).contains(&n) {
        return Some("用户名需要 3–32 个字符".into());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Some("用户名只能包含英文字母、数字、下划线、点或短横线".into());
    }
    None
}

/// Check a platform admin's display name (姓名), already trimmed. The setup page, the
/// admins page and `kezhi admin create` all call this, so a name the web refuses cannot
/// come in through the terminal either.
pub fn display_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.chars().count() > 20 {
        return Some("请填写姓名（不超过 20 个字）".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_display_name_is_one_to_twenty_characters() {
        assert_eq!(display_name_problem("李四"), None);
        // Counted in characters, not bytes: these 20 are 60 bytes.
        assert_eq!(display_name_problem(&"名".repeat(20)), None);
        let refused = Some("请填写姓名（不超过 20 个字）".to_string());
        assert_eq!(display_name_problem(""), refused);
        assert_eq!(display_name_problem(&"名".repeat(21)), refused);
    }

    #[test]
    fn code_read_back_from_its_message() {
        assert_eq!(code_in_message(&code_message("048213")), Some("048213"));
        assert_eq!(code_in_message("别的消息"), None);
        assert_eq!(code_in_message("验证码是 ，"), None);
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const LAN: Requester = Requester {
        address: "10.0.0.7",
        loopback: false,
    };

    #[test]
    fn first_code_is_allowed() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            may_send_code(None, None, LAN, at("2026-11-28T01:00:00Z"), today),
            Ok(1)
        );
    }

    #[test]
    fn one_code_per_minute() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let prev = LoginCode {
            code: "123456".into(),
            issued_at: at("2026-11-28T01:00:00Z"),
            tries_left: 5,
            day: today,
            sent_today: 1,
        };
        assert_eq!(
            may_send_code(Some(&prev), None, LAN, at("2026-11-28T01:00:20Z"), today),
            Err(CodeRefusal::TooSoon(40))
        );
        assert_eq!(
            may_send_code(Some(&prev), None, LAN, at("2026-11-28T01:01:00Z"), today),
            Ok(2)
        );
    }

    #[test]
    fn phone_wide_daily_cap_then_reset_next_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let prev = LoginCode {
            code: "123456".into(),
            issued_at: at("2026-11-28T01:00:00Z"),
            tries_left: 5,
            day: today,
            sent_today: CODES_PER_DAY,
        };
        let later = at("2026-11-28T05:00:00Z");
        assert_eq!(
            may_send_code(Some(&prev), None, LAN, later, today),
            Err(CodeRefusal::DailyLimit)
        );
        let laptop = Requester {
            address: "127.0.0.1",
            loopback: true,
        };
        assert_eq!(
            may_send_code(Some(&prev), None, laptop, later, today),
            Ok(CODES_PER_DAY + 1),
            "the desk at the laptop is not starved by strangers"
        );
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(
            may_send_code(Some(&prev), None, LAN, later, tomorrow),
            Ok(1)
        );
    }

    #[test]
    fn one_address_gets_its_share_of_a_phone_per_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let mut requests = None;
        let mut t = at("2026-11-28T01:00:00Z");
        for _ in 0..CODES_PER_DAY_PER_ADDRESS {
            requests = Some(CodeRequests::after_request(
                requests.as_ref(),
                LAN.address,
                t,
                today,
            ));
            t += CODE_RESEND_GAP;
        }
        let requests = requests.unwrap();
        assert_eq!(
            requests.count(LAN.address, today),
            CODES_PER_DAY_PER_ADDRESS
        );
        assert_eq!(
            may_send_code(None, Some(&requests), LAN, t, today),
            Err(CodeRefusal::AddressDailyLimit)
        );
        let other = Requester {
            address: "10.0.0.8",
            loopback: false,
        };
        assert_eq!(may_send_code(None, Some(&requests), other, t, today), Ok(1));
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(requests.count(LAN.address, tomorrow), 0);
        assert!(may_send_code(None, Some(&requests), LAN, t, tomorrow).is_ok());
    }

    #[test]
    fn only_the_requester_owns_a_code() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let issued = at("2026-11-28T01:00:00Z");
        let r = CodeRequests::after_request(None, "10.0.0.7", issued, today);
        assert!(CodeRequests::owns(Some(&r), "10.0.0.7", issued));
        assert!(!CodeRequests::owns(Some(&r), "10.0.0.8", issued));
        // A code issued without a requester record has no known owner: old behaviour.
        let other_code = at("2026-11-28T02:00:00Z");
        assert!(CodeRequests::owns(Some(&r), "10.0.0.8", other_code));
        assert!(CodeRequests::owns(None, "10.0.0.8", issued));
    }

    #[test]
    fn code_expires_and_burns() {
        let mut c = LoginCode {
            code: "123456".into(),
            issued_at: at("2026-11-28T01:00:00Z"),
            tries_left: 5,
            day: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            sent_today: 1,
        };
        assert!(c.usable(at("2026-11-28T01:04:59Z")));
        assert!(!c.usable(at("2026-11-28T01:05:00Z")));
        c.tries_left = 0;
        assert!(!c.usable(at("2026-11-28T01:01:00Z")));
    }

    #[test]
    fn password_rules() {
        assert!(password_problem("short", "short").is_some());
        assert!(password_problem("long-enough-1", "long-enough-2").is_some());
        assert!(password_problem("long-enough-1", "long-enough-1").is_none());
        assert!(username_problem("ad").is_some());
        assert!(username_problem("管理员").is_some());
        assert!(username_problem("admin").is_none());
    }
}
