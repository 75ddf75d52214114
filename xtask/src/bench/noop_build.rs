//! A no-op `cargo build` of a crate whose build.rs checks the synthetic migrations with
//! build-support, in a git repository on a branch (so the branch check runs and its git files
//! are watched). Nothing changed, so cargo must not re-run the build script: the time is
//! cargo's own freshness check, and a `rerun-if-changed` path that does not exist would show
//! here as a re-run on every build (checked before timing).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::report::{Row, Samples};
use super::{Ctx, human, progress};
use crate::bench::inputs::BenchSet;
use crate::build::set_by_cargo_run;
use crate::{Result, process};

/// The target for a no-op build.
const TARGET: Duration = Duration::from_millis(300);
const PACKAGE: &str = "noop_build_bench";

pub fn bench(ctx: &Ctx, root: &Path, set: &BenchSet) -> Result<Row> {
    let dir = ctx.work_dir.join(format!("noop-build-{}", set.n));
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{PACKAGE}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[build-dependencies]\ncargo-migrate-build-support = {{ path = {:?} }}\n\n[package.metadata.migrate]\ndialect = \"postgres\"\n\n# The generator's scripts set no lock_timeout: a warning, so that the build passes.\n[package.metadata.migrate.lints]\nrequire-lock-timeout = \"warn\"\n\n[workspace]\n",
            root.join("build-support").display().to_string()
        ),
    )?;
    write(
        &dir.join("build.rs"),
        "fn main() {\n    cargo_migrate_build_support::check_migrations(\"migrations\");\n}\n",
    )?;
    write(&dir.join("src/main.rs"), "fn main() {}\n")?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations)
        .map_err(|e| format!("cannot create {}: {e}", migrations.display()))?;
    let entries = std::fs::read_dir(set.migrations())
        .map_err(|e| format!("cannot read {}: {e}", set.migrations().display()))?;
    for entry in entries.flatten() {
        std::fs::copy(entry.path(), migrations.join(entry.file_name()))
            .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
    }

    // main holds the history, reviewed; the build runs on a branch.
    let git = |args: &[&str]| {
        let mut cmd = Command::new("git");
        cmd.current_dir(&dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        process::run(&mut cmd, &format!("`git {}`", args.join(" "))).map(drop)
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["config", "user.name", "bench"])?;
    git(&["config", "user.email", "bench@example.com"])?;
    let mut review = Command::new(&ctx.tool);
    review
        .current_dir(&dir)
        .args(["migrate", "review", "--yes", "-q"])
        .env_remove("DATABASE_URL");
    process::run(&mut review, "`cargo-migrate migrate review --yes`")?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "history"])?;
    git(&["checkout", "-q", "-b", "feature"])?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = |verbose: bool| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&dir)
            .args(["build", "--offline", if verbose { "-v" } else { "-q" }])
            .env(
                "CARGO_TARGET_DIR",
                root.join("target").join("bench-noop-build"),
            )
            .env_remove("DATABASE_URL");
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(set_by_cargo_run) {
                cmd.env_remove(&key);
            }
        }
        cmd
    };
    progress(&format!(
        "no-op build N={}: first build (compiles build-support)…",
        set.n
    ));
    process::run(
        &mut build(false),
        "the first `cargo build` of the bench crate",
    )?;
    let check = process::run(&mut build(true), "a second `cargo build -v`")?;
    let text = String::from_utf8_lossy(&check.stderr);
    if !text.contains(&format!("Fresh {PACKAGE}")) {
        return Err(format!(
            "a no-op build re-ran the build script (a rerun-if-changed path changes or does not exist):\n{text}"
        ));
    }
    let mut samples = Samples::default();
    for _ in 0..ctx.runs.max(5) {
        samples.push(process::time(&mut build(false), "a no-op `cargo build`")?);
    }
    progress(&format!(
        "no-op build N={} x{}: median {}, min {}",
        set.n,
        ctx.runs.max(5),
        human(samples.median()),
        human(samples.min())
    ));
    Ok(Row::Status {
        benchmark: "no-op `cargo build` of a crate checking them (git branch)",
        n: set.n,
        samples,
        target: Some(TARGET),
    })
}
