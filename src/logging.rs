//! Logging to the terminal and to `<data>/logs/kezhi.log`. Log lines carry facts and
//! counts, never personal data.

use simplelog::{
    ColorChoice, CombinedLogger, ConfigBuilder, LevelFilter, SharedLogger, TermLogger,
    TerminalMode, WriteLogger,
};
use std::path::Path;

/// Start logging. A log file that cannot be opened is reported and the terminal log still
/// works; a second call (tests) is harmless.
pub fn init(log_file: Option<&Path>, level: LevelFilter) {
    let config = ConfigBuilder::new()
        // rouille's multipart parser logs every request at INFO.
        .add_filter_ignore_str("multipart")
        .set_time_format_rfc3339()
        .build();
    let mut loggers: Vec<Box<dyn SharedLogger>> = vec![TermLogger::new(
        level,
        config.clone(),
        TerminalMode::Mixed,
        ColorChoice::Auto,
    )];
    if let Some(path) = log_file {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => loggers.push(WriteLogger::new(level, config, f)),
            Err(e) => eprintln!("无法写入日志文件 {}：{e}", path.display()),
        }
    }
    let _ = CombinedLogger::init(loggers);
}
