//! Kezhi (科志): an offline, single-binary server for a county science association's
//! science & technology volunteer service platform (科技志愿服务信息平台).
//!
//! The crate is a library so that integration tests can start the real server; `main.rs`
//! only parses the command line and calls into it.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod logging;
pub mod store;
pub mod views;
pub mod web;

/// The version string stamped by `build.rs` (crate version plus git commit when known).
pub const VERSION: &str = env!("KEZHI_VERSION");
