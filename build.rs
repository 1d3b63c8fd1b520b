//! Stamps the version (crate version plus the git commit when one is known). It must never
//! fail: offline, outside git, or without git installed, it falls back to the crate version.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets");
    // HEAD names the branch; the branch's ref (or packed-refs) moves on every commit.
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/packed-refs");
    if let Ok(head) = std::fs::read_to_string(".git/HEAD")
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed=.git/{branch}");
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
