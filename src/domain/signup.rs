//! Signing up for an activity and cancelling: who may, when, and whether the seat is a
//! real one or a place on the waitlist. The store applies these inside the write
//! transaction that counts the seats, so two phones tapping at once cannot both take the
//! last seat.

use super::activity::{Activity, Phase, SignupState, phase};
use super::refusal::Refusal;
use chrono::NaiveDateTime;

/// The state a new signup gets, given the volunteer's current signup (if any), the seats
/// taken, the time (local) and whether they asked to wait for a seat. `NotPublished` for a
/// draft, which the public cannot see.
pub fn sign_up_state(
    a: &Activity,
    current: Option<SignupState>,
    taken: u32,
    now: NaiveDateTime,
    waitlist: bool,
) -> Result<SignupState, Refusal> {
    match current {
        Some(SignupState::SignedUp | SignupState::Attended) => {
            return Err(Refusal::AlreadySignedUp);
        }
        Some(SignupState::Waitlisted) => return Err(Refusal::AlreadyWaitlisted),
        _ => {}
    }
    let full = a.capacity != 0 && taken >= a.capacity;
    match phase(a, now, taken) {
        Phase::SignupOpen => {}
        Phase::SignupClosed if full => {}
        Phase::Cancelled => return Err(Refusal::ActivityCancelled),
        Phase::Draft => return Err(Refusal::NotPublished),
        Phase::NotYetOpen => return Err(Refusal::SignupNotOpenYet),
        _ => return Err(Refusal::SignupClosed),
    }
    // Full but still inside the window: the waitlist, if asked for.
    let in_window = now >= a.signup_opens && now < a.signup_closes && now < a.starts_at;
    if !in_window {
        return Err(Refusal::SignupClosed);
    }
    match (full, waitlist) {
        (false, _) => Ok(SignupState::SignedUp),
        (true, true) => Ok(SignupState::Waitlisted),
        (true, false) => Err(Refusal::ActivityFull),
    }
}

/// Whether a signup in `state` may be cancelled now (local): only a seat or a waitlist
/// place, and only before the activity starts.
pub fn may_cancel(a: &Activity, state: SignupState, now: NaiveDateTime) -> Result<(), Refusal> {
    if !matches!(state, SignupState::SignedUp | SignupState::Waitlisted) {
        return Err(Refusal::NotSignedUp);
    }
    if now >= a.starts_at {
        return Err(Refusal::ActivityStarted);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activity::ActivityState;
    use crate::domain::testing::{activity, dt};

    /// Sign-up 11-20 08:00 to 11-30 18:00, 10 seats; the activity starts 12-01 09:00.
    const OPEN: &str = "2026-11-25 12:00";

    #[test]
    fn a_free_seat_then_the_waitlist_when_asked_then_full() {
        let a = activity();
        assert_eq!(
            sign_up_state(&a, None, 9, dt(OPEN), false),
            Ok(SignupState::SignedUp)
        );
        assert_eq!(
            sign_up_state(&a, Some(SignupState::Cancelled), 9, dt(OPEN), false),
            Ok(SignupState::SignedUp),
            "a cancelled signup may sign up again"
        );
        assert_eq!(
            sign_up_state(&a, None, 10, dt(OPEN), false),
            Err(Refusal::ActivityFull)
        );
        assert_eq!(
            sign_up_state(&a, None, 10, dt(OPEN), true),
            Ok(SignupState::Waitlisted)
        );
    }

    #[test]
    fn twice_outside_the_window_or_unpublished_is_refused() {
        let a = activity();
        for (current, why) in [
            (SignupState::SignedUp, Refusal::AlreadySignedUp),
            (SignupState::Attended, Refusal::AlreadySignedUp),
            (SignupState::Waitlisted, Refusal::AlreadyWaitlisted),
        ] {
            assert_eq!(
                sign_up_state(&a, Some(current), 0, dt(OPEN), true),
                Err(why)
            );
        }
        let early = sign_up_state(&a, None, 0, dt("2026-11-20 07:59"), false);
        assert_eq!(early, Err(Refusal::SignupNotOpenYet));
        let late = sign_up_state(&a, None, 0, dt("2026-11-30 18:00"), true);
        assert_eq!(late, Err(Refusal::SignupClosed));
        let draft = Activity {
            state: ActivityState::Draft,
            ..activity()
        };
        assert_eq!(
            sign_up_state(&draft, None, 0, dt(OPEN), false),
            Err(Refusal::NotPublished)
        );
        let cancelled = Activity {
            state: ActivityState::Cancelled,
            ..activity()
        };
        let refused = sign_up_state(&cancelled, None, 0, dt(OPEN), false);
        assert_eq!(refused, Err(Refusal::ActivityCancelled));
    }

    #[test]
    fn cancelling_is_for_a_seat_or_a_waitlist_place_before_the_start() {
        let a = activity();
        assert_eq!(may_cancel(&a, SignupState::Waitlisted, dt(OPEN)), Ok(()));
        assert_eq!(
            may_cancel(&a, SignupState::Attended, dt(OPEN)),
            Err(Refusal::NotSignedUp)
        );
        assert_eq!(
            may_cancel(&a, SignupState::SignedUp, dt("2026-12-01 09:00")),
            Err(Refusal::ActivityStarted)
        );
    }
}
