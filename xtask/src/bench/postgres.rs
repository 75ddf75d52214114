//! PostgreSQL: `psql -f all_tx.sql` (the floor) against `cargo-migrate migrate up`, each on a
//! fresh database, and `migrate status` on the migrated database.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::inputs::BenchSet;
use super::report::{Row, Samples};
use super::{Ctx, command_row, expect_count, human, progress};
use crate::{Result, process};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Issue 16: `up` no slower than the floor.
const UP_TARGET_RATIO: f64 = 1.0;
/// `migrate status` on 5,000 applied migrations, whole process.
const STATUS_TARGET: Duration = Duration::from_millis(120);
const STATUS_TARGET_N: usize = 5000;

/// `verify` is measured on the 1,000-migration set; issue 16's aim is at most 2.5× `up`.
const VERIFY_N: usize = 1000;
const VERIFY_TARGET_RATIO: f64 = 2.5;

/// The server, reached through the maintenance database of `TEST_POSTGRES_URL`.
#[derive(Debug)]
pub struct Server {
    admin_url: String,
}

impl Server {
    pub fn from_env() -> Result<Server> {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_URL.to_owned());
        // Validates the URL's shape early.
        with_database(&admin_url, "postgres")?;
        Ok(Server { admin_url })
    }

    /// The server of `$TEST_POSTGRES_URL`, once `psql` is found and the server answers (for
    /// a benchmark's preflight; the errors say how to skip PostgreSQL).
    pub fn require() -> Result<Server> {
        process::require(
            "psql",
            "install the PostgreSQL client (e.g. `apt-get install postgresql-client`) or pass --skip-postgres",
        )?;
        let server = Server::from_env()?;
        server.check_reachable()?;
        Ok(server)
    }

    pub fn check_reachable(&self) -> Result<()> {
        let mut cmd = psql(&self.admin_url);
        cmd.env("PGCONNECT_TIMEOUT", "5").args(["-tAc", "SELECT 1"]);
        process::run(&mut cmd, "connecting to PostgreSQL").map_err(|e| {
            format!(
                "PostgreSQL is not reachable at {}: {e}\n  hint: start the server, set TEST_POSTGRES_URL, or pass --skip-postgres",
                self.admin_url
            )
        })?;
        Ok(())
    }

    /// Creates an empty scratch database, dropped when the guard is.
    pub(super) fn create_database(&self) -> Result<Database<'_>> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "xtask_bench_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.admin(&format!("CREATE DATABASE {name}"))?;
        Ok(Database {
            url: with_database(&self.admin_url, &name)?,
            server: self,
            name,
        })
    }

    fn admin(&self, sql: &str) -> Result<()> {
        let mut cmd = psql(&self.admin_url);
        cmd.args(["-c", sql]);
        process::run(&mut cmd, &format!("`{sql}`")).map(drop)
    }
}

/// A scratch database, dropped with everything in it when the guard goes (also on errors).
#[derive(Debug)]
pub(super) struct Database<'a> {
    server: &'a Server,
    name: String,
    pub(super) url: String,
}

impl Database<'_> {
    /// One value from a query, as text.
    fn query(&self, sql: &str) -> Result<String> {
        let mut cmd = psql(&self.url);
        cmd.args(["-tAc", sql]);
        process::stdout_of(&mut cmd, &format!("`{sql}` on {}", self.name))
    }

    /// Fails unless the database has exactly `set.tables` tables besides the tracking table.
    fn check_tables(&self, set: &BenchSet, who: &str) -> Result<()> {
        let got = self.query(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_cargo_migrate'",
        )?;
        expect_count(
            &got,
            set.tables,
            &format!("{who}: tables created on PostgreSQL"),
        )
    }
}

impl Drop for Database<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.server.admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )) {
            eprintln!("bench: warning: cannot drop database {}: {e}", self.name);
        }
    }
}

/// `up` against the floor for one set, then `status` (interleaved runs, so that drift in the
/// machine's load hits both sides alike).
pub fn bench(ctx: &Ctx, server: &Server, set: &BenchSet) -> Result<Vec<Row>> {
    let mut floor = Samples::default();
    let mut ours = Samples::default();
    let mut migrated = None;
    for run in 1..=ctx.runs {
        drop(migrated.take()); // the previous run's database goes first
        floor.push(floor_run(server, set)?);
        let (time, db) = up_run(ctx, server, set)?;
        ours.push(time);
        progress(&format!(
            "PostgreSQL N={} run {run}/{}: psql {}, cargo-migrate up {}",
            set.n,
            ctx.runs,
            human(floor.last()),
            human(time)
        ));
        migrated = Some(db);
    }
    let mut verify = Samples::default();
    if set.n == VERIFY_N {
        // verify makes and drops its own scratch database on the server of the URL it is given.
        for run in 1..=ctx.runs {
            let mut cmd = ctx.migrate("verify", &server.admin_url, &set.migrations());
            verify.push(process::time(&mut cmd, "cargo-migrate migrate verify")?);
            progress(&format!(
                "PostgreSQL N={} verify run {run}/{}: {}",
                set.n,
                ctx.runs,
                human(verify.last())
            ));
        }
    }
    let mut rows = vec![Row::Compare {
        benchmark: "up, PostgreSQL",
        n: set.n,
        floor: floor.clone(),
        ours: ours.clone(),
        target: UP_TARGET_RATIO,
    }];
    if set.n == VERIFY_N {
        // Against cargo-migrate's own `up`: verify runs up, down and up again.
        rows.push(Row::Compare {
            benchmark: "verify vs up, PostgreSQL",
            n: set.n,
            floor: ours,
            ours: verify,
            target: VERIFY_TARGET_RATIO,
        });
    }
    if let Some(db) = migrated.filter(|_| ctx.status_runs > 0) {
        rows.push(status_row(ctx, &db, set)?);
    }
    Ok(rows)
}

/// `psql -f all_tx.sql` on a fresh database.
fn floor_run(server: &Server, set: &BenchSet) -> Result<Duration> {
    let db = server.create_database()?;
    let mut cmd = psql(&db.url);
    cmd.arg("-f").arg(set.all_tx());
    let time = process::time(&mut cmd, &format!("psql -f {}", set.all_tx().display()))?;
    db.check_tables(set, "psql")?;
    Ok(time)
}

/// `cargo-migrate migrate up` on a fresh database; returns the migrated database.
fn up_run<'a>(ctx: &Ctx, server: &'a Server, set: &BenchSet) -> Result<(Duration, Database<'a>)> {
    let db = server.create_database()?;
    let mut cmd = ctx.migrate("up", &db.url, &set.migrations());
    let time = process::time(&mut cmd, &format!("cargo-migrate migrate up (N={})", set.n))?;
    let rows = db.query("SELECT count(*) FROM _cargo_migrate WHERE success")?;
    expect_count(
        &rows,
        set.n,
        "cargo-migrate: successful rows in _cargo_migrate",
    )?;
    db.check_tables(set, "cargo-migrate")?;
    Ok((time, db))
}

/// `cargo-migrate migrate status` on the migrated database, `status_runs` times.
fn status_row(ctx: &Ctx, db: &Database<'_>, set: &BenchSet) -> Result<Row> {
    command_row(
        ctx,
        "status, PostgreSQL",
        ("status", &db.url),
        set,
        ctx.status_runs,
        (set.n == STATUS_TARGET_N).then_some(STATUS_TARGET),
    )
}

/// `psql -f SCRIPT` on a fresh database, checked to leave `rows` rows in `table`.
pub(super) fn psql_file(
    server: &Server,
    script: &Path,
    table: &str,
    rows: usize,
) -> Result<Duration> {
    let db = server.create_database()?;
    let mut cmd = psql(&db.url);
    cmd.arg("-f").arg(script);
    let time = process::time(&mut cmd, &format!("psql -f {}", script.display()))?;
    let got = db.query(&format!("SELECT count(*) FROM {table}"))?;
    expect_count(&got, rows, &format!("psql: rows in {table}"))?;
    Ok(time)
}

/// `cargo-migrate migrate up` of `migrations` on a fresh database, checked likewise.
pub(super) fn up_dir(
    ctx: &Ctx,
    server: &Server,
    migrations: &Path,
    table: &str,
    rows: usize,
) -> Result<Duration> {
    let db = server.create_database()?;
    let mut cmd = ctx.migrate("up", &db.url, migrations);
    let time = process::time(&mut cmd, "cargo-migrate migrate up")?;
    let got = db.query(&format!("SELECT count(*) FROM {table}"))?;
    expect_count(&got, rows, &format!("cargo-migrate: rows in {table}"))?;
    Ok(time)
}

/// `psql -X -q -v ON_ERROR_STOP=1 -d URL`: no psqlrc, no command tags, stop at the first error.
fn psql(url: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

/// `url` with its database (the path) replaced by `db`; the query string is kept.
fn with_database(url: &str, db: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(scheme, _)| matches!(*scheme, "postgres" | "postgresql"))
        .ok_or_else(|| {
            format!("TEST_POSTGRES_URL `{url}` is not a postgres://user@host:port/db URL")
        })?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    Ok(format!("{scheme}://{authority}/{db}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database() {
        let cases = [
            ("postgres://u@h:5432/postgres", "postgres://u@h:5432/x"),
            (
                "postgresql://u:p@h/db?sslmode=disable",
                "postgresql://u:p@h/x?sslmode=disable",
            ),
            ("postgres://u@h", "postgres://u@h/x"),
            (
                "postgres://u@h?application_name=a",
                "postgres://u@h/x?application_name=a",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "x").as_deref(), Ok(want), "{url}");
        }
        assert!(with_database("mysql://h/db", "x").is_err());
    }
}
