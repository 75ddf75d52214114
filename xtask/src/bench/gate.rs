//! `cargo xtask bench gate`: how long the commit gate and a no-op build take with 1,000
//! migrations in history.
//!
//! Setup (not timed): a Cargo project in `target/bench-gate/` holding the generated migrations
//! in a git repository, committed on `main`, recorded in `migrate.lock` and applied to the
//! embedded SQLite default; on a branch, one new migration is reviewed, applied and staged.
//! Timed, each a whole process, several runs: the gate run as the release binary
//! (`cargo-migrate migrate pre-commit`) and as the hook runs it (`cargo migrate pre-commit`,
//! through cargo), and against a PostgreSQL database holding the same history; the gate with
//! no migration staged; `cargo xtask pre-commit` in this repository (cargo's own start-up and
//! freshness check on top of the gate); and the no-op `cargo build` of [`super::noop_build`]
//! on the same set.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use build_support::MigrationSet;
use build_support::lock::record_reviewed;

use super::inputs::{self, BenchSet};
use super::options::{Flags, Options, parse_count};
use super::report::{self, Row, Samples};
use super::{Ctx, WorkDir, human, noop_build, postgres, progress};
use crate::build::set_by_cargo_run;
use crate::{Result, process, workspace_root};

pub const USAGE: &str = "\
usage: cargo xtask bench gate [options]

Times the commit gate (`migrate pre-commit`) on a git repository with N migrations committed,
reviewed and applied and one new migration staged, and a no-op `cargo build` of a crate whose
build.rs checks those migrations (the same measurement as `cargo xtask bench`'s); prints a
markdown table on stdout.

options:
  --n N                migrations in history (default 1000)
  --runs N             timed runs per measurement; the table shows the median (default 10)
  --skip-postgres      do not time the gate against PostgreSQL (TEST_POSTGRES_URL's server)
  --regenerate         regenerate the inputs even if target/bench-sets has them
  --generator PATH     the input generator (default <workspace>/../shared/bench/gen_migrations.py)
  -h, --help           show this help
";

/// The target (the no-op build's is in [`noop_build`]).
const GATE_TARGET: Duration = Duration::from_millis(500);

#[derive(Debug)]
struct GateOptions {
    n: usize,
    runs: usize,
    skip_postgres: bool,
    regenerate: bool,
    generator: Option<PathBuf>,
}

fn parse(args: Vec<String>) -> Result<Option<GateOptions>> {
    let mut opts = GateOptions {
        n: 1000,
        runs: 10,
        skip_postgres: false,
        regenerate: false,
        generator: None,
    };
    let mut flags = Flags::new(args);
    while let Some((flag, inline)) = flags.next() {
        let mut value = || flags.value(&flag, inline.clone());
        let count = |text: String| parse_count(&flag, &text, 1);
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--n" => opts.n = count(value()?)?,
            "--runs" => opts.runs = count(value()?)?,
            "--generator" => opts.generator = Some(PathBuf::from(value()?)),
            "--regenerate" => opts.regenerate = true,
            "--skip-postgres" => opts.skip_postgres = true,
            _ => return Err(format!("unknown option `{flag}`\n\n{USAGE}")),
        }
    }
    Ok(Some(opts))
}

pub fn main(args: Vec<String>) -> Result<()> {
    let Some(opts) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let root = workspace_root();
    process::require(
        "git",
        "install git; the gate benchmark runs in a git repository",
    )?;
    let server = if opts.skip_postgres {
        None
    } else {
        Some(postgres::Server::require()?)
    };
    let sets = inputs::prepare(
        &root,
        &Options {
            sizes: vec![opts.n],
            regenerate: opts.regenerate,
            generator: opts.generator.clone(),
            ..Options::default()
        },
    )?;
    let set = &sets[0];
    let tool = crate::build::cargo_migrate(&root, true)?;
    let bench = GateProject::create(&root, &tool, set)?;
    let runs = opts.runs;

    let mut rows = Vec::new();
    let mut binary = bench.tool_cmd(&["migrate", "pre-commit", "-q"]);
    rows.push(timed_row(
        "gate, staged migration (cargo-migrate binary)",
        set.n,
        runs,
        Some(GATE_TARGET),
        &mut binary,
    )?);
    let mut through_cargo = bench.cargo_cmd(&["migrate", "pre-commit", "-q"]);
    rows.push(timed_row(
        "gate, staged migration (`cargo migrate`, as the hook runs it)",
        set.n,
        runs,
        Some(GATE_TARGET),
        &mut through_cargo,
    )?);

    if let Some(server) = &server {
        let db = server.create_database()?;
        let mut up = bench.tool_cmd(&["migrate", "up", "-q"]);
        up.env("DATABASE_URL", &db.url);
        progress(&format!(
            "applying {} migrations to PostgreSQL …",
            set.n + 1
        ));
        process::run(&mut up, "cargo-migrate migrate up (PostgreSQL)")?;
        let mut gate = bench.tool_cmd(&["migrate", "pre-commit", "-q"]);
        gate.env("DATABASE_URL", &db.url);
        rows.push(timed_row(
            "gate, staged migration, PostgreSQL (cargo-migrate binary)",
            set.n,
            runs,
            Some(GATE_TARGET),
            &mut gate,
        )?);
    }

    let work = WorkDir::create()?;
    let ctx = Ctx {
        tool: tool.clone(),
        work_dir: work.path().to_path_buf(),
        runs,
        status_runs: 0,
    };
    rows.push(noop_build::bench(&ctx, &root, set)?);

    bench.commit_and_stage_no_migration()?;
    let mut nothing = bench.tool_cmd(&["migrate", "pre-commit", "-q"]);
    rows.push(timed_row(
        "gate, no migration staged (cargo-migrate binary)",
        set.n,
        runs,
        None,
        &mut nothing,
    )?);

    let mut xtask = Command::new(cargo());
    xtask.current_dir(&root).args(["xtask", "pre-commit", "-q"]);
    clear_cargo_run_vars(&mut xtask);
    let own = MigrationSet::load(&root.join("migrations"), "migrations")
        .map_or(0, |s| s.migrations.len());
    rows.push(timed_row(
        "`cargo xtask pre-commit`, this repository as it is (cargo run + gate)",
        own,
        runs,
        None,
        &mut xtask,
    )?);

    print!(
        "{}",
        report::render_with(
            &rows,
            &format!(
                "Every time is a whole process, wall clock, median of {runs} run(s) after one untimed run. Gate: {} migrations committed, reviewed and applied (embedded SQLite) in {}, one new one staged on a branch off `main`, then nothing staged; no-op build: see `cargo xtask bench --help`.",
                set.n,
                bench.dir.display()
            )
        )
    );
    Ok(())
}

/// Runs `cmd` once untimed (it must succeed: a warm-up and a check), then `runs` times.
fn timed_row(
    benchmark: &'static str,
    n: usize,
    runs: usize,
    target: Option<Duration>,
    cmd: &mut Command,
) -> Result<Row> {
    process::time(cmd, benchmark)?;
    let mut samples = Samples::default();
    for _ in 0..runs {
        samples.push(process::time(cmd, benchmark)?);
    }
    progress(&format!(
        "{benchmark} x{runs}: median {}, min {}",
        human(samples.median()),
        human(samples.min())
    ));
    Ok(Row::Status {
        benchmark,
        n,
        samples,
        target,
    })
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Removes what `cargo run` set for xtask itself, so that a nested cargo sees the user's
/// environment (see `crate::build::cargo_migrate`).
fn clear_cargo_run_vars(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(set_by_cargo_run) {
            cmd.env_remove(&key);
        }
    }
}

/// The benchmark's project: `target/bench-gate/`, rebuilt at each run.
#[derive(Debug)]
struct GateProject {
    dir: PathBuf,
    tool: PathBuf,
    /// PATH with the release binary's directory first, so that `cargo migrate` runs it.
    path: OsString,
}

impl GateProject {
    fn create(root: &Path, tool: &Path, set: &BenchSet) -> Result<GateProject> {
        let dir = root.join("target/bench-gate");
        progress(&format!("setting up {} …", dir.display()));
        clear_except_target(&dir)?;
        let bin_dir = tool.parent().unwrap_or(Path::new(".")).to_path_buf();
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let path =
            std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&rest)))
                .map_err(|e| format!("cannot build PATH: {e}"))?;
        let bench = GateProject {
            dir,
            tool: tool.to_path_buf(),
            path,
        };
        bench.write_crate()?;
        let migrations = bench.dir.join("migrations");
        copy_dir(&set.migrations(), &migrations)?;

        bench.git(&["init", "-q", "-b", "main"])?;
        bench.review_all()?;
        bench.git(&["add", "-A"])?;
        bench.git(&["commit", "-q", "-m", "history"])?;
        let mut up = bench.tool_cmd(&["migrate", "up", "-q"]);
        progress(&format!("applying {} migrations to SQLite …", set.n));
        process::run(&mut up, "cargo-migrate migrate up")?;

        bench.git(&["checkout", "-q", "-b", "feature"])?;
        let next = newest_version(&migrations)? + 1;
        std::fs::write(
            migrations.join(format!("{next}_gate_bench.up.sql")),
            "CREATE TABLE gate_bench (id INTEGER PRIMARY KEY, note TEXT);\n",
        )
        .map_err(|e| format!("cannot write the new migration: {e}"))?;
        std::fs::write(
            migrations.join(format!("{next}_gate_bench.down.sql")),
            "DROP TABLE gate_bench;\n",
        )
        .map_err(|e| format!("cannot write the new migration: {e}"))?;
        bench.review_all()?;
        process::run(&mut up, "cargo-migrate migrate up (the new migration)")?;
        bench.git(&["add", "-A"])?;
        Ok(bench)
    }

    /// Cargo.toml (its own workspace, with the config) and an empty lib.
    fn write_crate(&self) -> Result<()> {
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"gate-bench\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[package.metadata.migrate]\ndir = \"migrations\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", ""),
            (".gitignore", "/target\n"),
        ];
        for (name, text) in files {
            let path = self.dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// Records every migration in the directory as reviewed (`migrate.lock`).
    fn review_all(&self) -> Result<()> {
        let dir = self.dir.join("migrations");
        let set = MigrationSet::load(&dir, "migrations").map_err(|e| e.to_string())?;
        let versions: Vec<i64> = set.migrations.iter().map(|m| m.version).collect();
        record_reviewed(&dir, &set, &versions)
            .map(drop)
            .map_err(|e| format!("cannot write migrate.lock: {e}"))
    }

    /// Commits the staged migration (without the hook) and stages a change that touches no
    /// migration.
    fn commit_and_stage_no_migration(&self) -> Result<()> {
        self.git(&["commit", "-q", "-m", "new migration"])?;
        std::fs::write(self.dir.join("README.md"), "# gate bench\n")
            .map_err(|e| format!("cannot write README.md: {e}"))?;
        self.git(&["add", "README.md"])
    }

    fn git(&self, args: &[&str]) -> Result<()> {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(args)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com");
        process::run(&mut cmd, &format!("git {}", args.join(" "))).map(drop)
    }

    /// The release binary, in the project, with the embedded database (no DATABASE_URL).
    fn tool_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.tool);
        cmd.current_dir(&self.dir)
            .args(args)
            .env_remove("DATABASE_URL");
        clear_cargo_run_vars(&mut cmd);
        cmd
    }

    /// `cargo <args>` in the project, with the release binary first on PATH.
    fn cargo_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(cargo());
        cmd.current_dir(&self.dir)
            .args(args)
            .env("PATH", &self.path)
            .env_remove("DATABASE_URL")
            .env_remove("CARGO_TARGET_DIR");
        clear_cargo_run_vars(&mut cmd);
        cmd
    }
}

/// Empties `dir` but for its `target/`, without the embedded database in it.
fn clear_except_target(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let removed = if entry.file_name() == "target" {
            match std::fs::remove_dir_all(path.join("cargo-migrate")) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        } else if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        std::fs::copy(entry.path(), &target)
            .map_err(|e| format!("cannot copy to {}: {e}", target.display()))?;
    }
    Ok(())
}

/// The highest version among the migration files of `dir`.
fn newest_version(dir: &Path) -> Result<i64> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(build_support::parse_file_name(&name).ok()??.version)
        })
        .max()
        .ok_or_else(|| format!("no migrations in {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let opts = parse(vec![
            "--n".into(),
            "50".into(),
            "--runs=3".into(),
            "--skip-postgres".into(),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((opts.n, opts.runs, opts.skip_postgres), (50, 3, true));
        assert!(parse(vec!["--help".into()]).unwrap().is_none());
        assert!(parse(vec!["--runs".into(), "0".into()]).is_err());
        assert!(parse(vec!["--frobnicate".into()]).is_err());
    }
}
