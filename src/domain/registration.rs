//! Checks one volunteer (附件2) or one team (附件1) as typed into the web form or read from
//! an Excel row, field by field, and turns the raw strings into typed, canonical values.
//!
//! The form and the Excel import both come here, so they cannot drift apart; the rules
//! other forms share too (names, text, phones, regions) are in `checks`. Every problem is collected (not just the first) and reported against the same
//! field key the template and the HTML form use, with a Chinese message that says what to
//! fix. Uniqueness (phone, ID number, team name) needs the store and is checked there.

mod team;
mod volunteer;

pub use super::checkbox::parse_yes_no;
pub use super::checks::FieldErrors;
pub use super::dates::parse_date;
pub use team::{TeamFields, TeamInput, check_team};
pub use volunteer::{
    VolunteerFields, VolunteerInput, check_guardian, check_volunteer, needs_guardian,
};
