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
