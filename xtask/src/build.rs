//! Building the workspace's own `cargo-migrate` binary for the commands that run it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, process};

/// `cargo build [--release] -p cargo-migrate`; returns the binary.
pub fn cargo_migrate(root: &Path, release: bool) -> Result<PathBuf> {
    let profile = if release { "release" } else { "debug" };
    eprintln!("xtask: building cargo-migrate ({profile})…");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(["build", "-p", "cargo-migrate"]);
    if release {
        cmd.arg("--release");
    }
    // `cargo run` gave this process the variables it sets for a running package; some build
    // scripts (ring's) track CARGO_MANIFEST_DIR, so passing them on would make every plain
    // `cargo build` after this one rebuild them, and the other way round.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(set_by_cargo_run) {
            cmd.env_remove(&key);
        }
    }
    process::run_visible(&mut cmd, "`cargo build -p cargo-migrate`")?;
    let tool = target_dir(root)
        .join(profile)
        .join(format!("cargo-migrate{}", std::env::consts::EXE_SUFFIX));
    if !tool.is_file() {
        return Err(format!(
            "the build succeeded but {} does not exist",
            tool.display()
        ));
    }
    Ok(tool)
}

/// Variables `cargo run` sets for the package it runs (not user configuration such as
/// CARGO_HOME or CARGO_TARGET_DIR).
pub fn set_by_cargo_run(key: &str) -> bool {
    [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
    ]
    .iter()
    .any(|prefix| key.starts_with(prefix))
        || key == "CARGO_PRIMARY_PACKAGE"
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when set).
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
