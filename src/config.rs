//! Run-time configuration: the data folder and bind address from the command line, and
//! the settings kept in the store (time zone, code sender, site name) with their defaults.

use crate::store::Store;
use chrono::FixedOffset;
use std::path::{Path, PathBuf};

/// Default data folder, relative to where Kezhi is started.
pub const DEFAULT_DATA_DIR: &str = "kezhi-data";
/// Default listening address: every interface, so phones on the hotspot can reach it.
pub const DEFAULT_BIND: &str = "0.0.0.0:8080";

/// One setting: its key (for the terminal), and its name and one-line help for the web page.
pub struct SettingKey {
    /// The key `kezhi settings set` takes; shown only in the terminal.
    pub key: &'static str,
    /// What the settings page calls it.
    pub label: &'static str,
    /// One line under the label on the settings page.
    pub help: &'static str,
    /// What `kezhi settings list` prints, with the values the terminal accepts.
    pub meaning: &'static str,
}

/// Every setting; `kezhi settings` lists these and the settings page shows them.
pub const SETTING_KEYS: &[SettingKey] = &[
    SettingKey {
        key: "site.name",
        label: "单位名称",
        help: "显示在每页顶部和导出文件名里，例如“某某县科协”。",
        meaning: "单位名称，显示在页面顶部，例如“某某县科协”",
    },
    SettingKey {
        key: "time.utc_offset",
        label: "时区",
        help: "页面上的时间按这个时区显示，默认北京时间。",
        meaning: "本地时区，默认 +08:00",
    },
    SettingKey {
        key: "platform.region",
        label: "本平台所属区域",
        help: "设置后，发布活动时地点必须在这个区域之内。",
        meaning: "本平台所属区域代码（如县代码 220302）；设置后活动地点须在此范围内",
    },
    SettingKey {
        key: "code.sender",
        label: "验证码发送方式",
        help: "默认存入验证码发件箱，由工作人员告诉本人；也可交给短信程序发送。",
        meaning: "验证码发送方式：outbox（默认，存入发件箱由工作人员告知）或 command",
    },
    SettingKey {
        key: "code.command",
        label: "短信发送程序",
        help: "用短信程序发送验证码时运行的程序，它收到手机号和短信内容。",
        meaning: "code.sender=command 时运行的程序路径；程序收到两个参数：手机号、短信内容",
    },
    SettingKey {
        key: "backup.keep",
        label: "自动备份保留份数",
        help: "每天自动备份一次，超过这个份数时删去最早的备份。",
        meaning: "自动备份保留的份数，1–365，默认 7",
    },
];

/// The folders inside a data folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// Create the data folder (and `logs/`) if needed and prove it is writable.
    pub fn prepare(root: &Path) -> Result<DataDir, String> {
        let explain = |what: &str, e: std::io::Error| {
            format!(
                "数据文件夹 {} {what}：{e}。请用 --data 指定一个有写入权限的文件夹。",
                root.display()
            )
        };
        std::fs::create_dir_all(root).map_err(|e| explain("无法创建", e))?;
        std::fs::create_dir_all(root.join("logs")).map_err(|e| explain("无法创建日志目录", e))?;
        let probe = root.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(|e| explain("无法写入", e))?;
        let _ = std::fs::remove_file(&probe);
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        Ok(DataDir { root })
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.root.join(crate::store::DB_FILE)
    }

    /// The log file.
    pub fn log_path(&self) -> PathBuf {
        self.root.join("logs").join("kezhi.log")
    }
}

/// How sign-in codes leave the laptop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderKind {
    Outbox,
    Command(PathBuf),
}

/// Settings read from the store, with defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site_name: String,
    pub utc_offset: FixedOffset,
    pub sender: SenderKind,
    /// The region (a county, city or province code) this installation serves, if set.
    pub region_scope: Option<String>,
    /// Daily backups kept in `<data>/backups/`.
    pub backups_kept: usize,
}

impl Settings {
    /// Read the settings; an unreadable value falls back to its default with a warning.
    pub fn load(store: &Store) -> Settings {
        let get = |k: &str| {
            store
                .setting(k)
                .ok()
                .flatten()
                .filter(|v| !v.trim().is_empty())
        };
        let utc_offset = get("time.utc_offset")
            .and_then(|v| match parse_offset(&v) {
                Some(o) => Some(o),
                None => {
                    log::warn!("setting time.utc_offset={v:?} is not like +08:00; using +08:00");
                    None
                }
            })
            .unwrap_or_else(default_offset);
        let sender = match get("code.sender").as_deref() {
            Some("command") => match get("code.command") {
                Some(p) => SenderKind::Command(PathBuf::from(p)),
                None => {
                    log::warn!("code.sender=command but code.command is empty; using the outbox");
                    SenderKind::Outbox
                }
            },
            _ => SenderKind::Outbox,
        };
        Settings {
            backups_kept: get("backup.keep")
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| (1..=365).contains(n))
                .unwrap_or(7),
            region_scope: get("platform.region")
                .filter(|c| crate::domain::regions::by_code(c.trim()).is_some())
                .map(|c| c.trim().to_string()),
            site_name: get("site.name").unwrap_or_else(|| "县科协".into()),
            utc_offset,
            sender,
        }
    }
}

/// UTC+8, China Standard Time.
pub fn default_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// Parse "+08:00", "+8", "-05:30", "UTC+8".
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim().trim_start_matches("UTC").trim_start_matches("utc");
    let (sign, rest) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Check a setting before it is stored; the message says what is allowed.
pub fn validate_setting(key: &str, value: &str) -> Result<(), String> {
    match key {
        "site.name" => (!value.trim().is_empty() && value.chars().count() <= 40)
            .then_some(())
            .ok_or_else(|| "单位名称需要 1–40 个字".to_string()),
        "time.utc_offset" => parse_offset(value)
            .map(|_| ())
            .ok_or_else(|| "时区格式应类似 +08:00".to_string()),
        "backup.keep" => value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=365).contains(n))
            .map(|_| ())
            .ok_or_else(|| "backup.keep 应为 1–365 之间的天数".to_string()),
        "platform.region" => crate::domain::regions::by_code(value.trim())
            .map(|_| ())
            .ok_or_else(|| format!("找不到区域代码 {value}，请填写6位区划代码，如 220302")),
        "code.sender" => matches!(value, "outbox" | "command")
            .then_some(())
            .ok_or_else(|| "code.sender 只能是 outbox 或 command".to_string()),
        "code.command" => Path::new(value)
            .is_file()
            .then_some(())
            .ok_or_else(|| format!("找不到程序文件 {value}")),
        _ => Err(format!(
            "未知的设置项 {key}。可用的设置项：{}",
            SETTING_KEYS
                .iter()
                .map(|s| s.key)
                .collect::<Vec<_>>()
                .join("、")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+08:00"), Some(default_offset()));
        assert_eq!(parse_offset("UTC+8"), Some(default_offset()));
        assert_eq!(
            parse_offset("-05:30").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert_eq!(parse_offset("+25"), None);
        assert_eq!(parse_offset("abc"), None);
    }

    #[test]
    fn settings_validated() {
        assert!(validate_setting("code.sender", "outbox").is_ok());
        assert!(validate_setting("code.sender", "sms").is_err());
        assert!(validate_setting("nope", "x").is_err());
        assert!(validate_setting("code.command", "/definitely/not/here").is_err());
    }

    #[test]
    fn unwritable_data_dir_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let err = DataDir::prepare(&file.join("sub")).unwrap_err();
        assert!(err.contains("--data"), "{err}");
    }
}
