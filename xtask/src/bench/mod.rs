//! `cargo xtask bench`: how much slower is `cargo-migrate migrate up` than feeding the same
//! scripts straight to `psql` and `sqlite3` (the floor), how fast are `migrate status` and
//! `migrate lint`, and how fast is a no-op `cargo build` of a crate whose build.rs checks the
//! migrations?
//!
//! Inputs come from the shared generator (`../shared/bench/gen_migrations.py`, default seed) so
//! that the figures stay comparable with the project's reference numbers. Every timing is the
//! wall-clock time of a whole child process, measured on a fresh database, several times; the
//! table reports medians.

mod big;
mod gate;
mod inputs;
mod lint;
mod noop_build;
mod options;
mod postgres;
mod report;
mod sqlite;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Result, process, workspace_root};
use inputs::BenchSet;
use options::Options;
use report::Row;

pub fn main(args: Vec<String>) -> Result<()> {
    if args.first().map(String::as_str) == Some("gate") {
        return gate::main(args.into_iter().skip(1).collect());
    }
    let Some(opts) = Options::parse(args)? else {
        print!("{}", options::USAGE);
        return Ok(());
    };
    let root = workspace_root();
    let server = preflight(&opts)?;
    let sets = inputs::prepare(&root, &opts)?;
    let tool = crate::build::cargo_migrate(&root, true)?;
    let work = WorkDir::create()?;
    let ctx = Ctx {
        tool,
        work_dir: work.path().to_path_buf(),
        runs: opts.runs,
        status_runs: opts.status_runs,
    };
    let rows = run_all(
        &ctx,
        &root,
        server.as_ref(),
        !opts.skip_sqlite,
        opts.big_mb,
        &sets,
    )?;
    print!("{}", report::render(&rows, opts.runs));
    Ok(())
}

/// What every benchmark needs: the built tool, where to run it, how often.
#[derive(Debug)]
pub struct Ctx {
    pub tool: PathBuf,
    /// An empty directory outside the workspace, the tool's working directory (so that it
    /// finds no Cargo.toml and no .env), and where SQLite files go.
    pub work_dir: PathBuf,
    pub runs: usize,
    pub status_runs: usize,
}

impl Ctx {
    /// `cargo-migrate migrate <command> --database-url URL --dir DIR -q`, run from the work
    /// directory.
    pub fn migrate(&self, command: &str, url: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.tool);
        cmd.current_dir(&self.work_dir)
            .args(["migrate", command, "--database-url", url, "--dir"])
            .arg(dir)
            .arg("-q");
        cmd
    }
}

/// `cargo-migrate migrate <command>` on one set, `runs` times, as a row with its own target.
pub fn command_row(
    ctx: &Ctx,
    benchmark: &'static str,
    (command, url): (&str, &str),
    set: &BenchSet,
    runs: usize,
    target: Option<Duration>,
) -> Result<Row> {
    let mut samples = report::Samples::default();
    for _ in 0..runs {
        let mut cmd = ctx.migrate(command, url, &set.migrations());
        samples.push(process::time(
            &mut cmd,
            &format!("cargo-migrate migrate {command}"),
        )?);
    }
    progress(&format!(
        "{benchmark} N={} x{runs}: median {}, min {}",
        set.n,
        human(samples.median()),
        human(samples.min())
    ));
    Ok(Row::Status {
        benchmark,
        n: set.n,
        samples,
        target,
    })
}

/// Checks the tools before anything slow runs; returns the PostgreSQL server unless skipped.
fn preflight(opts: &Options) -> Result<Option<postgres::Server>> {
    process::require(
        "git",
        "install git: the no-op build benchmark runs in a git repository",
    )?;
    if !opts.skip_sqlite {
        process::require(
            "sqlite3",
            "install the SQLite shell (e.g. `apt-get install sqlite3`) or pass --skip-sqlite",
        )?;
    }
    if opts.skip_postgres {
        return Ok(None);
    }
    postgres::Server::require().map(Some)
}

fn run_all(
    ctx: &Ctx,
    root: &Path,
    server: Option<&postgres::Server>,
    run_sqlite: bool,
    big_mb: usize,
    sets: &[BenchSet],
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    if let Some(server) = server {
        for set in sets {
            rows.extend(postgres::bench(ctx, server, set)?);
        }
    }
    if run_sqlite {
        for set in sets {
            rows.push(sqlite::bench(ctx, set)?);
        }
    }
    for set in sets {
        rows.extend(lint::bench(ctx, set)?);
    }
    if big_mb > 0 {
        let big = big::BigScript::write(&ctx.work_dir, big_mb)?;
        if run_sqlite {
            rows.push(big::sqlite(ctx, &big)?);
        }
        if let Some(server) = server {
            rows.push(big::postgres(ctx, server, &big)?);
        }
        rows.extend(big::lint(ctx, &big)?);
    }
    for set in sets {
        rows.push(noop_build::bench(ctx, root, set)?);
    }
    Ok(rows)
}

/// Times a checker's whole process (exit status 1, "found something", passes: see
/// [`process::run_checker`]), and reads its peak resident memory (KiB) through GNU time
/// (`/usr/bin/time -f`), when that is installed.
pub fn time_with_peak(cmd: &mut Command, what: &str) -> Result<(Duration, Option<usize>)> {
    const GNU_TIME: &str = "/usr/bin/time";
    const MARK: &str = "bench-peak-rss-kib=";
    if !Path::new(GNU_TIME).is_file() {
        let start = std::time::Instant::now();
        process::run_checker(cmd, what)?;
        return Ok((start.elapsed(), None));
    }
    let mut timed = Command::new(GNU_TIME);
    timed
        .arg("-f")
        .arg(format!("{MARK}%M"))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let start = std::time::Instant::now();
    let out = process::run_checker(&mut timed, what)?;
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(MARK))
        .and_then(|kib| kib.trim().parse().ok());
    Ok((elapsed, peak))
}

/// Fails unless a query's text result is the count `want`.
pub fn expect_count(got: &str, want: usize, what: &str) -> Result<()> {
    if got == want.to_string() {
        Ok(())
    } else {
        Err(format!("{what}: expected {want}, got `{got}`"))
    }
}

/// A progress line on stderr (stdout carries only the final table).
pub fn progress(message: &str) {
    eprintln!("bench: {message}");
}

/// Formats a duration for people: `1.234 s` or `85.3 ms`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else {
        format!("{:.1} ms", secs * 1000.0)
    }
}

/// A fresh temporary directory, removed with everything in it when dropped.
#[derive(Debug)]
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> Result<WorkDir> {
        let path = std::env::temp_dir().join(format!("cargo-migrate-bench-{}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| format!("cannot clear {}: {e}", path.display()))?;
        }
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(WorkDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("bench: warning: cannot remove {}: {e}", self.0.display());
        }
    }
}
