//! The use cases: what a user or the `kezhi` command asks for, as plain input → plain
//! result. Each module is one feature; it calls `domain` for the rules and `store` for the
//! writes, and is called by both `web` (handlers) and `cli`. Nothing here knows about HTTP
//! or HTML.
//!
//! The layers, top to bottom: `web` / `cli` → `app` → `domain` + `store` + `exchange`.

pub mod attendance;
pub mod audit;
pub mod certificate;
pub mod codes;
pub mod demand;
pub mod demo;
pub mod export;
pub mod import;
pub mod merge;
pub mod registration;
pub mod stats;
pub mod sync;
pub mod synth;
