//! SQLite: `sqlite3 FILE ".read all_tx.sql"` (the floor) against `cargo-migrate migrate up`,
//! each on a fresh file already switched to WAL, so both run in the same journal mode.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::inputs::BenchSet;
use super::report::{Row, Samples};
use super::{Ctx, expect_count, human, progress};
use crate::{Result, process};

/// Issue 16: `up` at most this much longer than the floor.
const UP_TARGET_RATIO: f64 = 1.10;

/// `up` against the floor for one set, runs interleaved.
pub fn bench(ctx: &Ctx, set: &BenchSet) -> Result<Row> {
    let mut floor = Samples::default();
    let mut ours = Samples::default();
    for run in 1..=ctx.runs {
        floor.push(floor_run(ctx, set, run)?);
        ours.push(up_run(ctx, set, run)?);
        progress(&format!(
            "SQLite N={} run {run}/{}: sqlite3 {}, cargo-migrate up {}",
            set.n,
            ctx.runs,
            human(floor.last()),
            human(ours.last())
        ));
    }
    Ok(Row::Compare {
        benchmark: "up, SQLite",
        n: set.n,
        floor,
        ours,
        target: UP_TARGET_RATIO,
    })
}

/// `sqlite3 FILE ".read all_tx.sql"` on a fresh WAL database.
fn floor_run(ctx: &Ctx, set: &BenchSet, run: usize) -> Result<Duration> {
    let db = DbFile::create(ctx, &format!("floor-N{}-{run}.db", set.n))?;
    let script = set.all_tx();
    let script = script
        .to_str()
        .filter(|s| !s.contains('\''))
        .ok_or_else(|| format!("{}: unusable path for `.read`", script.display()))?;
    let mut cmd = sqlite3(&db.0);
    cmd.arg(format!(".read '{script}'"));
    let time = process::time(&mut cmd, &format!("sqlite3 .read {script}"))?;
    db.check_tables(set, "sqlite3")?;
    Ok(time)
}

/// `cargo-migrate migrate up --database-url sqlite:FILE` on a fresh WAL database.
fn up_run(ctx: &Ctx, set: &BenchSet, run: usize) -> Result<Duration> {
    let db = DbFile::create(ctx, &format!("up-N{}-{run}.db", set.n))?;
    let url = format!("sqlite:{}", db.0.display());
    let mut cmd = ctx.migrate("up", &url, &set.migrations());
    let time = process::time(&mut cmd, &format!("cargo-migrate migrate up (N={})", set.n))?;
    let rows = db.query("SELECT count(*) FROM _cargo_migrate WHERE success")?;
    expect_count(
        &rows,
        set.n,
        "cargo-migrate: successful rows in _cargo_migrate",
    )?;
    db.check_tables(set, "cargo-migrate")?;
    Ok(time)
}

fn sqlite3(file: &Path) -> Command {
    let mut cmd = Command::new("sqlite3");
    cmd.arg(file);
    cmd
}

/// A database file in the work directory, deleted (with its WAL and shared-memory files)
/// when dropped.
#[derive(Debug)]
struct DbFile(PathBuf);

impl DbFile {
    /// A new, empty database in WAL mode (`sqlite3 FILE "PRAGMA journal_mode=WAL;"`).
    fn create(ctx: &Ctx, name: &str) -> Result<DbFile> {
        let db = DbFile(ctx.work_dir.join(name));
        db.remove();
        let mode = db.query("PRAGMA journal_mode=WAL;")?;
        if mode != "wal" {
            return Err(format!(
                "{}: journal_mode is `{mode}`, not wal",
                db.0.display()
            ));
        }
        Ok(db)
    }

    fn query(&self, sql: &str) -> Result<String> {
        let mut cmd = sqlite3(&self.0);
        cmd.arg(sql);
        process::stdout_of(&mut cmd, &format!("sqlite3 {} `{sql}`", self.0.display()))
    }

    /// Fails unless the file has exactly `set.tables` tables besides the tracking table.
    fn check_tables(&self, set: &BenchSet, who: &str) -> Result<()> {
        let got = self.query(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_cargo_migrate'",
        )?;
        expect_count(
            &got,
            set.tables,
            &format!("{who}: tables created on SQLite"),
        )
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for DbFile {
    fn drop(&mut self) {
        self.remove();
    }
}

/// `sqlite3 FILE ".read SCRIPT"` on a fresh WAL database, checked to leave `rows` rows in
/// `table`.
pub(super) fn read_script(
    ctx: &Ctx,
    script: &Path,
    name: &str,
    table: &str,
    rows: usize,
) -> Result<Duration> {
    let db = DbFile::create(ctx, name)?;
    let path = script
        .to_str()
        .filter(|s| !s.contains('\''))
        .ok_or_else(|| format!("{}: unusable path for `.read`", script.display()))?;
    let mut cmd = sqlite3(&db.0);
    cmd.arg(format!(".read '{path}'"));
    let time = process::time(&mut cmd, &format!("sqlite3 .read {path}"))?;
    let got = db.query(&format!("SELECT count(*) FROM {table}"))?;
    expect_count(&got, rows, &format!("sqlite3: rows in {table}"))?;
    Ok(time)
}

/// `cargo-migrate migrate up` of `migrations` on a fresh WAL database, checked likewise.
pub(super) fn up_dir(
    ctx: &Ctx,
    migrations: &Path,
    name: &str,
    table: &str,
    rows: usize,
) -> Result<Duration> {
    let db = DbFile::create(ctx, name)?;
    let url = format!("sqlite:{}", db.0.display());
    let mut cmd = ctx.migrate("up", &url, migrations);
    let time = process::time(&mut cmd, "cargo-migrate migrate up")?;
    let got = db.query(&format!("SELECT count(*) FROM {table}"))?;
    expect_count(&got, rows, &format!("cargo-migrate: rows in {table}"))?;
    Ok(time)
}
