//! Platform admins, sessions, one-time codes and the code outbox.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::account::CODE_MAX_TRIES;
use crate::domain::account::{
    Admin, CodeCheck, CodeRefusal, CodeRequests, LoginCode, OutboxMessage, Requester, Session,
    Subject, may_send_code,
};
use crate::domain::ids::Gid;
use chrono::{DateTime, NaiveDate, Utc};
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

/// The outcome of asking for a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeIssue {
    Issued,
    Refused(CodeRefusal),
}

fn insert_admin_tx(tx: &WriteTransaction, admin: &Admin) -> Result<(), StoreError> {
    let mut by_name = tx.open_table(USERNAME_ADMIN)?;
    if let Some(existing) = by_name.get(admin.username.as_str())?
        && existing.value() != admin.id.0
    {
        return Err(StoreError::Taken("用户名"));
    }
    by_name.insert(admin.username.as_str(), admin.id.0)?;
    let mut admins = tx.open_table(ADMINS)?;
    admins.insert(admin.id.0, encode(admin).as_slice())?;
    changes::record_tx(tx, ChangeKind::Admin, admin.id)?;
    Ok(())
}

impl Store {
    /// Whether any platform admin exists (first-run setup is needed when not).
    pub fn has_admin(&self) -> Result<bool, StoreError> {
        self.read(|tx| Ok(!tx.open_table(ADMINS)?.is_empty()?))
    }

    /// Add a platform admin. Fails with `Taken` if the username is in use.
    pub fn insert_admin(&self, admin: &Admin) -> Result<(), StoreError> {
        self.write(|tx| insert_admin_tx(tx, admin))
    }

    /// Add the first platform admin; refused (as `Taken`) once any admin exists, so two
    /// browsers racing through setup cannot both succeed.
    pub fn insert_first_admin(&self, admin: &Admin) -> Result<(), StoreError> {
        self.write(|tx| {
            if !tx.open_table(ADMINS)?.is_empty()? {
                return Err(StoreError::Taken("平台管理员"));
            }
            insert_admin_tx(tx, admin)
        })
    }

    /// Replace an admin's password hash.
    pub fn set_admin_password(&self, id: Gid, hash: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut admins = tx.open_table(ADMINS)?;
            let mut admin: Admin = match admins.get(id.0)? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::NotFound),
            };
            admin.password_hash = hash.to_string();
            admin.updated_at = Utc::now();
            admins.insert(id.0, encode(&admin).as_slice())?;
            drop(admins);
            changes::record_tx(tx, ChangeKind::Admin, id)?;
            Ok(())
        })
    }

    /// A platform admin by id.
    pub fn admin(&self, id: Gid) -> Result<Option<Admin>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ADMINS)?;
            Ok(match t.get(id.0)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            })
        })
    }

    /// A platform admin by username.
    pub fn admin_by_username(&self, username: &str) -> Result<Option<Admin>, StoreError> {
        let id = self.read(|tx| {
            let t = tx.open_table(USERNAME_ADMIN)?;
            Ok::<_, StoreError>(t.get(username)?.map(|v| Gid(v.value())))
        })?;
        match id {
            Some(id) => self.admin(id),
            None => Ok(None),
        }
    }

    /// Every platform admin, oldest first.
    pub fn admins(&self) -> Result<Vec<Admin>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ADMINS)?;
            let mut out = Vec::new();
            for row in t.range::<u128>(..)? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// Store a new session under its token.
    pub fn insert_session(&self, token: &str, session: &Session) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SESSIONS)?;
            t.insert(token, encode(session).as_slice())?;
            Ok(())
        })
    }

    /// The live session for a token; expired sessions read as none.
    pub fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(SESSIONS)?;
            let Some(v) = t.get(token)? else {
                return Ok(None);
            };
            let s: Session = decode(v.value())?;
            Ok((s.expires_at > now).then_some(s))
        })
    }

    /// Replace the subject of a live session (a verified phone that just registered).
    pub fn set_session_subject(&self, token: &str, subject: Subject) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SESSIONS)?;
            let mut s: Session = match t.get(token)? {
                Some(v) => decode(v.value())?,
                None => return Err(StoreError::NotFound),
            };
            s.subject = subject;
            t.insert(token, encode(&s).as_slice())?;
            Ok(())
        })
    }

    /// End a session (logout).
    pub fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.open_table(SESSIONS)?.remove(token)?;
            Ok(())
        })
    }

    /// Remove expired sessions; returns how many.
    pub fn prune_sessions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(SESSIONS)?;
            let mut removed = 0;
            t.retain(|_, v| {
                let keep = decode::<Session>(v)
                    .map(|s| s.expires_at > now)
                    .unwrap_or(false);
                if !keep {
                    removed += 1;
                }
                keep
            })?;
            Ok(removed)
        })
    }

    /// Issue `code` to `phone` for the client `from` unless the per-phone or per-device
    /// limits say no. Atomic: two requests at once cannot both pass the one-per-minute
    /// rule.
    ///
    /// The requester is kept in its own table (`code_requests`) instead of a new field of
    /// `LoginCode`: postcard records carry no field names, so a new field would mean a
    /// second record format and a migration re-encoding the table, and any schema bump
    /// also changes the schema number written into bundles, which laptops still on the
    /// previous build would refuse. A table that older builds simply do not open needs
    /// neither; it is created by the first write here, and a `LoginCode` without a
    /// matching requester row (issued by an older build) keeps the old rule that any
    /// wrong try counts. Codes live five minutes, so nothing lasting depends on it.
    pub fn issue_code(
        &self,
        phone: &str,
        code: &str,
        from: Requester,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<CodeIssue, StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(LOGIN_CODES)?;
            let mut requesters = tx.open_table(CODE_REQUESTS)?;
            let previous: Option<LoginCode> = match t.get(phone)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            };
            let requests: Option<CodeRequests> = match requesters.get(phone)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            };
            match may_send_code(previous.as_ref(), requests.as_ref(), from, now, today) {
                Err(refusal) => Ok(CodeIssue::Refused(refusal)),
                Ok(sent_today) => {
                    let record = LoginCode {
                        code: code.to_string(),
                        issued_at: now,
                        tries_left: CODE_MAX_TRIES,
                        day: today,
                        sent_today,
                    };
                    t.insert(phone, encode(&record).as_slice())?;
                    let requests =
                        CodeRequests::after_request(requests.as_ref(), from.address, now, today);
                    requesters.insert(phone, encode(&requests).as_slice())?;
                    Ok(CodeIssue::Issued)
                }
            }
        })
    }

    /// Check a code typed on the client `from`. On the device that asked for the code a
    /// wrong code uses up a try and the fifth wrong try burns it. Anywhere else a wrong
    /// code leaves the code alone (a stranger must not be able to burn it) and
    /// `guess_wait` — asked before comparing — may make that device wait instead. An
    /// accepted code is used up so it cannot sign in twice.
    pub fn check_code(
        &self,
        phone: &str,
        typed: &str,
        from: &str,
        now: DateTime<Utc>,
        guess_wait: impl FnOnce() -> Option<u64>,
    ) -> Result<CodeCheck, StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(LOGIN_CODES)?;
            let requesters = tx.open_table(CODE_REQUESTS)?;
            let mut record: LoginCode = match t.get(phone)? {
                Some(v) => decode(v.value())?,
                None => return Ok(CodeCheck::NoLiveCode),
            };
            if !record.usable(now) {
                return Ok(CodeCheck::NoLiveCode);
            }
            let requests: Option<CodeRequests> = match requesters.get(phone)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            };
            let owner = CodeRequests::owns(requests.as_ref(), from, record.issued_at);
            if !owner && let Some(wait) = guess_wait() {
                return Ok(CodeCheck::Wait(wait));
            }
            let outcome = if constant_time_eq(record.code.as_bytes(), typed.as_bytes()) {
                record.tries_left = 0;
                CodeCheck::Accepted
            } else if owner {
                record.tries_left -= 1;
                CodeCheck::Wrong(record.tries_left)
            } else {
                return Ok(CodeCheck::WrongElsewhere);
            };
            t.insert(phone, encode(&record).as_slice())?;
            Ok(outcome)
        })
    }

    /// Keep a message for the outbox page.
    pub fn push_outbox(&self, message: &OutboxMessage) -> Result<u64, StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(OUTBOX)?;
            let next = t.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
            t.insert(next, encode(message).as_slice())?;
            Ok(next)
        })
    }

    /// Outbox messages, newest first, after skipping `offset`.
    pub fn outbox(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(OUTBOX)?;
            let mut out = Vec::new();
            for row in t.range::<u64>(..)?.rev().skip(offset).take(limit) {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }

    /// How many messages the outbox holds.
    pub fn outbox_len(&self) -> Result<u64, StoreError> {
        self.read(|tx| Ok(tx.open_table(OUTBOX)?.len()?))
    }
}

/// Compare without an early exit, so timing does not reveal how many digits matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::CODE_MAX_TRIES;

    fn admin(name: &str) -> Admin {
        Admin {
            id: Gid::new(),
            username: name.into(),
            display_name: name.into(),
            password_hash: "x".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn first_admin_only_once_and_usernames_unique() {
        let s = Store::in_memory().unwrap();
        assert!(!s.has_admin().unwrap());
        s.insert_first_admin(&admin("root")).unwrap();
        assert!(s.has_admin().unwrap());
        assert!(matches!(
            s.insert_first_admin(&admin("other")),
            Err(StoreError::Taken(_))
        ));
        assert!(matches!(
            s.insert_admin(&admin("root")),
            Err(StoreError::Taken(_))
        ));
        s.insert_admin(&admin("second")).unwrap();
        assert_eq!(s.admins().unwrap().len(), 2);
        assert_eq!(
            s.admin_by_username("second").unwrap().unwrap().username,
            "second"
        );
        assert_eq!(s.changes_since(0).unwrap().len(), 2);
    }

    const PHONE: Requester = Requester {
        address: "10.0.0.7",
        loopback: false,
    };

    fn no_wait() -> Option<u64> {
        None
    }

    #[test]
    fn wrong_code_five_times_burns_it() {
        let s = Store::in_memory().unwrap();
        let now = Utc::now();
        let today = now.date_naive();
        assert_eq!(
            s.issue_code("13812345678", "123456", PHONE, now, today)
                .unwrap(),
            CodeIssue::Issued
        );
        for left in (0..CODE_MAX_TRIES).rev() {
            assert_eq!(
                s.check_code("13812345678", "000000", PHONE.address, now, no_wait)
                    .unwrap(),
                CodeCheck::Wrong(left)
            );
        }
        assert_eq!(
            s.check_code("13812345678", "123456", PHONE.address, now, no_wait)
                .unwrap(),
            CodeCheck::NoLiveCode
        );
    }

    #[test]
    fn wrong_codes_from_another_address_leave_the_code_alone() {
        let s = Store::in_memory().unwrap();
        let now = Utc::now();
        s.issue_code("13812345678", "123456", PHONE, now, now.date_naive())
            .unwrap();
        for _ in 0..CODE_MAX_TRIES * 3 {
            assert_eq!(
                s.check_code("13812345678", "000000", "10.0.0.66", now, no_wait)
                    .unwrap(),
                CodeCheck::WrongElsewhere
            );
        }
        // A waiting stranger is not even compared, right code or not.
        assert_eq!(
            s.check_code("13812345678", "123456", "10.0.0.66", now, || Some(7))
                .unwrap(),
            CodeCheck::Wait(7)
        );
        assert_eq!(
            s.check_code("13812345678", "000000", PHONE.address, now, || Some(7))
                .unwrap(),
            CodeCheck::Wrong(CODE_MAX_TRIES - 1),
            "the requester keeps all its tries and is never made to wait"
        );
        assert_eq!(
            s.check_code("13812345678", "123456", PHONE.address, now, no_wait)
                .unwrap(),
            CodeCheck::Accepted
        );
    }

    #[test]
    fn accepted_code_is_used_up() {
        let s = Store::in_memory().unwrap();
        let now = Utc::now();
        s.issue_code("13812345678", "654321", PHONE, now, now.date_naive())
            .unwrap();
        assert_eq!(
            s.check_code("13812345678", "654321", PHONE.address, now, no_wait)
                .unwrap(),
            CodeCheck::Accepted
        );
        assert_eq!(
            s.check_code("13812345678", "654321", "10.0.0.66", now, no_wait)
                .unwrap(),
            CodeCheck::NoLiveCode
        );
    }

    #[test]
    fn sessions_expire() {
        let s = Store::in_memory().unwrap();
        let now = Utc::now();
        let session = Session {
            subject: Subject::VerifiedPhone("13812345678".into()),
            created_at: now,
            expires_at: now + chrono::Duration::minutes(1),
        };
        s.insert_session("tok", &session).unwrap();
        assert!(s.session("tok", now).unwrap().is_some());
        assert!(
            s.session("tok", now + chrono::Duration::minutes(2))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.prune_sessions(now + chrono::Duration::minutes(2))
                .unwrap(),
            1
        );
    }

    #[test]
    fn outbox_newest_first() {
        let s = Store::in_memory().unwrap();
        for i in 0..3 {
            s.push_outbox(&OutboxMessage {
                at: Utc::now(),
                phone: format!("1381234567{i}"),
                text: "t".into(),
                delivery: "outbox".into(),
            })
            .unwrap();
        }
        let msgs = s.outbox(0, 10).unwrap();
        assert_eq!(msgs[0].phone, "13812345672");
        assert_eq!(s.outbox_len().unwrap(), 3);
    }
}
