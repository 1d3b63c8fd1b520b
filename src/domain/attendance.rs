//! Being there: when a volunteer may check in and out by the QR code, when a team may mark
//! who came, and what each step does to the signup. The time windows are the activity's
//! (`checkin_open`, `checkout_open`); everything that shows or enforces them asks here.

use super::activity::{Activity, CHECKIN_EARLY_MINUTES, Signup, SignupState};
use super::activity::{checkin_open, checkout_open};
use super::refusal::Refusal;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

/// Which way a volunteer scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    CheckIn,
    CheckOut,
}

/// The first moment (local time) at which check-in opens and a team may mark attendance.
pub fn opens_at(a: &Activity) -> NaiveDateTime {
    a.starts_at - TimeDelta::minutes(CHECKIN_EARLY_MINUTES)
}

/// Whether a team may mark attendance now: from the moment check-in opens.
pub fn marking_open(a: &Activity, now: NaiveDateTime) -> bool {
    now >= opens_at(a)
}

/// A signup that is (or was) expected at the activity: it may check in or be marked.
fn expected(s: &Signup) -> bool {
    s.state.holds_seat() || s.state == SignupState::Absent
}

/// The volunteer's own scan at `now` (local), stamped `at`.
pub fn scan(
    a: &Activity,
    mut s: Signup,
    way: Scan,
    now: NaiveDateTime,
    at: DateTime<Utc>,
) -> Result<Signup, Refusal> {
    if !expected(&s) {
        return Err(Refusal::CheckinWithoutSignup);
    }
    match way {
        Scan::CheckIn => {
            if !checkin_open(a, now) {
                return Err(Refusal::OutsideCheckinWindow);
            }
            if s.check_in.is_some() {
                return Err(Refusal::AlreadyCheckedIn);
            }
            s.check_in = Some(at);
            s.state = SignupState::Attended;
        }
        Scan::CheckOut => {
            if !checkout_open(a, now) {
                return Err(Refusal::OutsideCheckoutWindow);
            }
            if s.check_in.is_none() {
                return Err(Refusal::NotCheckedIn);
            }
            if s.check_out.is_some() {
                return Err(Refusal::AlreadyCheckedOut);
            }
            s.check_out = Some(at);
        }
    }
    s.updated_at = at;
    Ok(s)
}

/// The team marks a signed-up volunteer as there or absent; absent clears their hours.
pub fn mark(
    a: &Activity,
    mut s: Signup,
    attended: bool,
    now: NaiveDateTime,
    at: DateTime<Utc>,
) -> Result<Signup, Refusal> {
    if !marking_open(a, now) {
        return Err(Refusal::AttendanceTooEarly);
    }
    if !expected(&s) {
        return Err(Refusal::AttendanceWithoutSignup);
    }
    if attended {
        s.state = SignupState::Attended;
    } else {
        s.state = SignupState::Absent;
        s.half_hours = None;
    }
    s.updated_at = at;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{activity, dt};

    /// A signup to [`activity`] (12-01 09:00–11:30: check-in opens 08:00, check-out
    /// closes 14:30) in `state`, with two hours recorded.
    fn signup(state: SignupState) -> Signup {
        Signup {
            state,
            half_hours: Some(4),
            ..crate::domain::testing::signup()
        }
    }

    #[test]
    fn check_in_opens_an_hour_before_the_start_and_checkout_needs_a_check_in() {
        let a = activity();
        let at = dt("2026-12-01 08:00").and_utc();
        let early = scan(
            &a,
            signup(SignupState::SignedUp),
            Scan::CheckIn,
            dt("2026-12-01 07:59"),
            at,
        );
        assert_eq!(early, Err(Refusal::OutsideCheckinWindow));
        let out_first = scan(
            &a,
            signup(SignupState::SignedUp),
            Scan::CheckOut,
            dt("2026-12-01 10:00"),
            at,
        );
        assert_eq!(out_first, Err(Refusal::NotCheckedIn));
        let s = scan(
            &a,
            signup(SignupState::SignedUp),
            Scan::CheckIn,
            dt("2026-12-01 08:00"),
            at,
        )
        .unwrap();
        assert_eq!((s.state, s.check_in), (SignupState::Attended, Some(at)));
        assert_eq!(
            scan(&a, s.clone(), Scan::CheckIn, dt("2026-12-01 08:30"), at),
            Err(Refusal::AlreadyCheckedIn)
        );
        let s = scan(&a, s, Scan::CheckOut, dt("2026-12-01 14:30"), at).unwrap();
        assert_eq!(s.check_out, Some(at));
        assert_eq!(
            scan(&a, s, Scan::CheckOut, dt("2026-12-01 14:30"), at),
            Err(Refusal::AlreadyCheckedOut)
        );
    }

    #[test]
    fn only_expected_signups_scan_or_are_marked() {
        let a = activity();
        let at = dt("2026-12-01 09:00").and_utc();
        let now = dt("2026-12-01 09:00");
        for state in [SignupState::Cancelled, SignupState::Waitlisted] {
            assert_eq!(
                scan(&a, signup(state), Scan::CheckIn, now, at),
                Err(Refusal::CheckinWithoutSignup)
            );
            assert_eq!(
                mark(&a, signup(state), true, now, at),
                Err(Refusal::AttendanceWithoutSignup)
            );
        }
    }

    #[test]
    fn marking_opens_with_check_in_and_absent_clears_hours() {
        let a = activity();
        let at = dt("2026-12-01 07:00").and_utc();
        assert_eq!(
            mark(
                &a,
                signup(SignupState::SignedUp),
                true,
                dt("2026-12-01 07:59"),
                at
            ),
            Err(Refusal::AttendanceTooEarly)
        );
        assert!(marking_open(&a, dt("2026-12-01 08:00")));
        let s = mark(
            &a,
            signup(SignupState::Attended),
            false,
            dt("2026-12-01 12:00"),
            at,
        )
        .unwrap();
        assert_eq!((s.state, s.half_hours), (SignupState::Absent, None));
    }
}
