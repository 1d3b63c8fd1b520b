//! Stamps the version (crate version plus the git commit when one is known). It must never
//! fail: offline, outside git, or without git installed, it falls back to the crate version.

use std::process::Command;

fn main() {
    // Only paths that exist: cargo treats a declared path that is missing as changed, which
    // would rebuild the crate on every build of a fresh clone (it has no loose refs).
    // HEAD names the branch; the branch moves in `refs/heads` (a new loose ref after a
    // commit) or in `packed-refs`.
    for path in ["assets", ".git/HEAD", ".git/packed-refs", ".git/refs/heads"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-env-changed=KEZHI_BUILD_COMMIT");
    let crate_version = std::env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| "0.0.0".into());
    let commit = std::env::var("KEZHI_BUILD_COMMIT").ok().or_else(git_commit);
    let version = match commit {
        Some(c) => format!("{crate_version} ({c})"),
        None => crate_version,
    };
    println!("cargo:rustc-env=KEZHI_VERSION={version}");
}

fn git_commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let hash = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit())).then_some(hash)
}
