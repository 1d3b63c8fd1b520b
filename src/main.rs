//! The `kezhi` binary: parse the command line and run it.

use clap::Parser;
use std::process::ExitCode;

/// The server hands every request between tokio's threads and a pool of up to 64
/// blocking threads; glibc's allocator spent a fifth of a list page's time in malloc and
/// free there, and kept an arena per thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = kezhi::cli::Cli::parse();
    match kezhi::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{}", e.message);
            ExitCode::from(e.code)
        }
    }
}
