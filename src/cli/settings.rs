//! `kezhi settings`: list the settings with their meaning, set one (validated as the web
//! page does), or put one back to its default.

use std::path::Path;

use super::{SettingsAction, cli_audit, open};
use crate::config::{SETTING_KEYS, SettingKey, validate_setting};

pub(super) fn run(data: &Path, action: SettingsAction) -> Result<(), String> {
    let (_dir, store) = open(data)?;
    match action {
        SettingsAction::List => {
            let stored = store.settings().map_err(|e| e.user_message())?;
            for SettingKey { key, meaning, .. } in SETTING_KEYS {
                let value = stored
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("（默认）");
                println!("{key} = {value}\n    {meaning}");
            }
            Ok(())
        }
        SettingsAction::Set { key, value } => {
            validate_setting(&key, &value)?;
            store
                .set_setting(&key, &value)
                .map_err(|e| e.user_message())?;
            cli_audit(&store, "settings.update", format!("终端设置 {key}"))?;
            println!("已设置 {key} = {value}（重启科志后生效）");
            Ok(())
        }
        SettingsAction::Unset { key } => {
            if !SETTING_KEYS.iter().any(|s| s.key == key) {
                return validate_setting(&key, "");
            }
            store.unset_setting(&key).map_err(|e| e.user_message())?;
            cli_audit(&store, "settings.update", format!("终端恢复 {key} 默认值"))?;
            println!("已恢复 {key} 的默认值");
            Ok(())
        }
    }
}
