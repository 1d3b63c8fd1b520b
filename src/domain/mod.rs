//! Plain domain types and rules, with no I/O: ids, validators, reference dictionaries,
//! regions and the records that the store persists.

pub mod account;
pub mod activity;
pub mod attendance;
pub mod checkbox;
pub mod checks;
pub mod dates;
pub mod demand;
pub mod dict;
pub mod fields;
pub mod ids;
pub mod people;
pub mod policy;
pub mod record;
pub mod refusal;
pub mod regions;
pub mod registration;
pub mod secret;
pub mod signup;
pub mod validate;

#[cfg(test)]
pub(crate) mod testing;
