//! maud views: pure functions from plain data to HTML. `layout::page` wraps every page;
//! small reusable pieces live in `components`; one file per area of the site.

pub mod account;
pub mod activity;
pub mod admin;
pub mod admin_people;
pub mod auth;
pub mod components;
pub mod demand;
pub mod desk;
pub mod errors;
pub mod export;
pub mod home;
pub mod import;
pub mod layout;
pub mod merge;
pub mod policy;
pub mod stats;
pub mod sync;
pub mod team;
pub mod volunteer;

pub use layout::{PageCtx, Role};
