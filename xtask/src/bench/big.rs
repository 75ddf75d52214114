//! One big migration: a single up script of `--big-mb` megabytes of INSERTs (a data load or a
//! dump, the case that was quadratic on SQLite), `cargo-migrate migrate up` against the same
//! script in one transaction fed to `sqlite3 .read` and `psql -f` (the floor), and `migrate
//! lint` of it (time and, where GNU time is installed, peak memory against the input's size).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::report::{Row, Samples};
use super::{Ctx, human, postgres, progress, sqlite};
use crate::Result;

/// `up` may take at most this much longer than the floor (issue 16).
const UP_TARGET_RATIO: f64 = 1.5;

/// The script: a table and rows of about 100 bytes, each with a `;` inside a string (which
/// the splitter must read through), deterministic so that every run measures the same text.
#[derive(Debug)]
pub struct BigScript {
    pub mb: usize,
    pub rows: usize,
    /// `…/big-<mb>/migrations`, the up and down scripts.
    pub migrations: PathBuf,
    /// `…/big-<mb>/tx.sql`: the up script inside `BEGIN; … COMMIT;`.
    pub tx: PathBuf,
}

impl BigScript {
    pub fn write(work_dir: &Path, mb: usize) -> Result<BigScript> {
        let dir = work_dir.join(format!("big-{mb}"));
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations)
            .map_err(|e| format!("cannot create {}: {e}", migrations.display()))?;
        let mut up = String::from(
            "CREATE TABLE big (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note VARCHAR(255), amount NUMERIC(12,2), flag BOOLEAN);\n",
        );
        let target = mb * 1_000_000;
        let mut rows = 0;
        while up.len() < target {
            rows += 1;
            let flag = if rows % 2 == 0 { "FALSE" } else { "TRUE" };
            let _ = writeln!(
                up,
                "INSERT INTO big (id, name, note, amount, flag) VALUES ({rows}, 'name {}', 'note; {rows}', {}.{:02}, {flag});",
                rows * 7919 % 1_000_003,
                rows % 99_999,
                rows % 100
            );
        }
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write(migrations.join("20240101000000_big.up.sql"), &up)?;
        write(
            migrations.join("20240101000000_big.down.sql"),
            "DROP TABLE big;\n",
        )?;
        let tx = dir.join("tx.sql");
        write(tx.clone(), &format!("BEGIN;\n{up}COMMIT;\n"))?;
        Ok(BigScript {
            mb,
            rows,
            migrations,
            tx,
        })
    }

    fn label(&self) -> String {
        format!("{} MB", self.mb)
    }
}

/// `up` of the script against `sqlite3 .read` of it in one transaction, interleaved.
pub fn sqlite(ctx: &Ctx, big: &BigScript) -> Result<Row> {
    let mut floor = Samples::default();
    let mut ours = Samples::default();
    for run in 1..=ctx.runs {
        floor.push(sqlite::read_script(
            ctx,
            &big.tx,
            &format!("big-floor-{run}.db"),
            "big",
            big.rows,
        )?);
        ours.push(sqlite::up_dir(
            ctx,
            &big.migrations,
            &format!("big-up-{run}.db"),
            "big",
            big.rows,
        )?);
        progress(&format!(
            "SQLite, one {} script, run {run}/{}: sqlite3 {}, cargo-migrate up {}",
            big.label(),
            ctx.runs,
            human(floor.last()),
            human(ours.last())
        ));
    }
    Ok(Row::Compare {
        benchmark: "up, SQLite, one big script (n = MB)",
        n: big.mb,
        floor,
        ours,
        target: UP_TARGET_RATIO,
    })
}

/// `up` of the script against `psql -f` of it in one transaction, interleaved.
pub fn postgres(ctx: &Ctx, server: &postgres::Server, big: &BigScript) -> Result<Row> {
    let mut floor = Samples::default();
    let mut ours = Samples::default();
    for run in 1..=ctx.runs {
        floor.push(postgres::psql_file(server, &big.tx, "big", big.rows)?);
        ours.push(postgres::up_dir(
            ctx,
            server,
            &big.migrations,
            "big",
            big.rows,
        )?);
        progress(&format!(
            "PostgreSQL, one {} script, run {run}/{}: psql {}, cargo-migrate up {}",
            big.label(),
            ctx.runs,
            human(floor.last()),
            human(ours.last())
        ));
    }
    Ok(Row::Compare {
        benchmark: "up, PostgreSQL, one big script (n = MB)",
        n: big.mb,
        floor,
        ours,
        // No worse than the tool was: PostgreSQL was never quadratic here.
        target: UP_TARGET_RATIO,
    })
}

/// `lint` of the script: its time, and its peak memory against 20× the input + 50 MB.
pub fn lint(ctx: &Ctx, big: &BigScript) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut samples = Samples::default();
    let mut peak = None;
    for _ in 0..ctx.runs {
        let mut cmd = ctx.migrate("lint", "postgres://bench@localhost/bench", &big.migrations);
        let (time, rss) = super::time_with_peak(&mut cmd, "cargo-migrate migrate lint (big)")?;
        samples.push(time);
        peak = peak.max(rss);
    }
    progress(&format!(
        "lint, one {} script: median {}",
        big.label(),
        human(samples.median())
    ));
    rows.push(Row::Status {
        benchmark: "lint, one big script (n = MB)",
        n: big.mb,
        samples,
        target: None,
    });
    if let Some(kib) = peak {
        rows.push(Row::Memory {
            benchmark: "lint peak RSS, one big script (n = MB)",
            n: big.mb,
            kib,
            target_kib: (20 * big.mb + 50) * 1000 * 1000 / 1024,
        });
    }
    Ok(rows)
}
