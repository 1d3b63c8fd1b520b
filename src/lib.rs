//! Kezhi (科志): an offline, single-binary server for a county science association's
//! science & technology volunteer service platform (科技志愿服务信息平台).
//!
//! The crate is a library so that the binary, the integration tests and the benchmark
//! start the same app; `main.rs` only parses the command line and calls [`cli`]. The
//! layers, top to bottom: [`web`] and [`cli`] → [`app`] → [`domain`], [`store`],
//! [`exchange`]; [`views`] render for [`web`]. Nothing calls upward.

/// Use cases shared by the web and the command line (import, export, merge, codes, …).
pub mod app;
/// The `kezhi` command line: serve, admin, settings, check, backup, import/export/merge.
pub mod cli;
/// The data folder, bind address and settings with their defaults.
pub mod config;
/// Plain types and rules with no I/O; `domain::refusal` holds every rule's message.
pub mod domain;
/// `AppError`: one error type for handlers, with its status and Chinese message.
pub mod error;
/// Files in and out: the official forms (read and write), bundles, rosters.
pub mod exchange;
/// Logging to the terminal and `<data>/logs/kezhi.log`.
pub mod logging;
/// The only code that touches redb: tables, records, indexes, migrations, checks.
pub mod store;
/// maud pages built from plain data.
pub mod views;
/// The HTTP side: transport, sessions and roles, rate limits, the route table, handlers.
pub mod web;

/// The version string stamped by `build.rs` (crate version plus git commit when known).
pub const VERSION: &str = env!("KEZHI_VERSION");
