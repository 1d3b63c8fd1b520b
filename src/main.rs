//! The `kezhi` binary: parse the command line and run it.

use clap::Parser;
use std::process::ExitCode;

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
