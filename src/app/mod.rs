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

/// Lower the calling thread's scheduling priority, for background work (the statistics
/// recount, the daily backup): on a 2-core laptop a recount of a county's records took
/// two thirds of the server's time during a signup rush. Linux only, where a thread's nice
/// value is its own; elsewhere the thread keeps the normal priority.
pub fn background_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
        log::debug!("could not lower a background thread's priority: {e}");
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn a_background_thread_runs_at_the_lowest_priority_and_others_do_not() {
        let own = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = own();
        let background = std::thread::spawn(move || {
            super::background_priority();
            own()
        })
        .join()
        .unwrap();
        assert_eq!(background, 19);
        assert_eq!(own(), before, "only the calling thread is lowered");
    }
}
