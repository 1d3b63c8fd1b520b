//! Delivery of one-time codes. Offline there is no SMS gateway: the default `outbox`
//! keeps each message for the platform admin's outbox page, where staff read it out to
//! the person at the desk; `command` runs a configured program (a GSM modem tool such as
//! `gammu-smsd-inject`, or any SMS tool when online) with the phone and the text as its
//! two arguments, and keeps the outcome in the outbox too.

use crate::config::SenderKind;
use crate::domain::account::OutboxMessage;
use crate::store::Store;
use chrono::Utc;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an external sender may run before it is stopped.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Send `text` to `phone` the configured way. The message always lands in the outbox so
/// staff can help when delivery fails.
pub fn send_code(store: &Store, kind: &SenderKind, phone: &str, text: &str) -> Result<(), String> {
    let delivery = match kind {
        SenderKind::Outbox => "outbox".to_string(),
        SenderKind::Command(program) => match run_command(program, phone, text) {
            Ok(()) => "command: ok".to_string(),
            Err(e) => {
                log::warn!("code sender command failed: {e}");
                format!("command failed: {e}")
            }
        },
    };
    store
        .push_outbox(&OutboxMessage {
            at: Utc::now(),
            phone: phone.to_string(),
            text: text.to_string(),
            delivery,
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn run_command(program: &Path, phone: &str, text: &str) -> Result<(), String> {
    let mut child = Command::new(program)
        .arg(phone)
        .arg(text)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_keeps_the_message() {
        let store = Store::in_memory().unwrap();
        send_code(&store, &SenderKind::Outbox, "13812345678", "code 123456").unwrap();
        let msgs = store.outbox(0, 10).unwrap();
        assert_eq!(msgs[0].phone, "13812345678");
        assert_eq!(msgs[0].delivery, "outbox");
    }

    #[cfg(unix)]
    #[test]
    fn command_gets_phone_and_text() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.txt");
        let script = dir.path().join("send.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s|%s' \"$1\" \"$2\" > {}\n",
                out.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = Store::in_memory().unwrap();
        send_code(
            &store,
            &SenderKind::Command(script),
            "13812345678",
            "验证码 1",
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(out).unwrap(),
            "13812345678|验证码 1"
        );
        assert_eq!(store.outbox(0, 1).unwrap()[0].delivery, "command: ok");
    }

    #[test]
    fn missing_command_still_lands_in_outbox() {
        let store = Store::in_memory().unwrap();
        let kind = SenderKind::Command("/no/such/program".into());
        send_code(&store, &kind, "13812345678", "t").unwrap();
        assert!(
            store.outbox(0, 1).unwrap()[0]
                .delivery
                .starts_with("command failed")
        );
    }
}
