//! A session: one connection for one command, holding the migration lock when it writes, and
//! applying or reverting one migration with the same flow on every backend.

use std::time::Instant;

use build_support::ScriptSource;
use build_support::{Dialect, Migration};

use crate::backend::{
    ADDED_COLUMNS, Access, Backend, NewRow, ROW_FLAG_COLUMNS, RepairRow, Tracking, elapsed_us,
    storable_script,
};
use crate::config::Config;
use crate::drift::drift_refusal;
use crate::error::{DbContext, Error, MigrationFailure, Result};
use crate::script::Script;
use crate::state::{AppliedRow, Entry};

/// Which way a migration runs, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// What a failure left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    RolledBack,
    NothingChanged,
    /// Some statements were applied and could not be rolled back.
    Partial {
        applied: usize,
    },
}

/// A database connection for one command, holding the migration lock when it writes.
#[derive(Debug)]
pub struct Session<B: Backend> {
    db: B,
    table: String,
    dialect: Dialect,
    locked: bool,
    has_table: bool,
    /// Whether the tracking table has the [`ROW_FLAG_COLUMNS`] and `up_script` (a writing
    /// session adds every missing one of the [`ADDED_COLUMNS`]).
    extended: bool,
    /// Whether it has `down_script`, added after the others.
    has_down_script: bool,
    /// Versions with a cleared row (as last read): applying one overwrites that row.
    cleared: std::collections::BTreeSet<i64>,
    applied_by: String,
}

impl<B: Backend> Session<B> {
    /// Connects. Writing sessions take the lock and create the tracking table; read-only ones
    /// create nothing (`Ok(None)` when the database itself does not exist yet).
    pub async fn open(cfg: &Config, access: Access) -> Result<Option<Self>> {
        let Some(mut db) =
            crate::backend::connect::<B>(&cfg.url, access, cfg.wait, &cfg.events).await?
        else {
            return Ok(None);
        };
        let locked = access == Access::ReadWrite;
        if locked && let Err(e) = db.lock(&cfg.table, cfg.lock_timeout, &cfg.events).await {
            db.close().await;
            return Err(e);
        }
        let columns = db.tracking_columns(&cfg.table).await?;
        let has_table = !columns.is_empty();
        let has = |c: &str| columns.iter().any(|have| have == c);
        let missing: Vec<&str> = ADDED_COLUMNS.into_iter().filter(|c| !has(c)).collect();
        let mut extended = has("up_script") && ROW_FLAG_COLUMNS.into_iter().all(has);
        let mut has_down_script = has("down_script");
        // A missing table is created with the first row (`ensure_table`): a run that refuses
        // leaves none.
        if locked && has_table && !missing.is_empty() {
            // A table made by an earlier version: upgraded in place, under the lock.
            db.add_tracking_columns(&cfg.table, &missing).await?;
            (extended, has_down_script) = (true, true);
        }
        Ok(Some(Session {
            db,
            table: cfg.table.clone(),
            dialect: cfg.url.kind.dialect(),
            locked,
            has_table,
            extended,
            has_down_script,
            cleared: Default::default(),
            applied_by: applied_by(),
        }))
    }

    /// Creates the tracking table if there is none yet: before the first row is written, or
    /// (`verify`) before the scratch database's schema is first read.
    pub async fn ensure_table(&mut self) -> Result<()> {
        if self.locked && !self.has_table {
            self.db.create_tracking_table(&self.table).await?;
            (self.has_table, self.extended, self.has_down_script) = (true, true, true);
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub async fn applied(&mut self) -> Result<Vec<AppliedRow>> {
        if !self.has_table {
            return Ok(Vec::new());
        }
        let rows = self.db.applied(&self.table, self.extended).await?;
        self.cleared = rows
            .iter()
            .filter(|r| r.cleared && !r.success)
            .map(|r| r.version)
            .collect();
        Ok(rows)
    }

    /// The up script recorded when `version` was applied, if it was.
    pub async fn recorded_script(&mut self, version: i64) -> Result<Option<String>> {
        if !self.has_table || !self.extended {
            return Ok(None);
        }
        self.db
            .recorded_text(&self.table, "up_script", version)
            .await
    }

    /// The down script recorded when `version` was applied (or its edit accepted), if it was.
    pub async fn recorded_down_script(&mut self, version: i64) -> Result<Option<String>> {
        if !self.has_table || !self.has_down_script {
            return Ok(None);
        }
        self.db
            .recorded_text(&self.table, "down_script", version)
            .await
    }

    /// The refusal for a modified migration, with the diff from the recorded text.
    pub async fn drift_error(&mut self, e: &Entry<'_, '_>) -> Error {
        match self.recorded_script(e.version).await {
            Ok(recorded) => drift_refusal(e, recorded.as_deref()),
            Err(error) => error,
        }
    }

    /// Releases the lock and closes the connection.
    pub async fn close(mut self) -> Result<()> {
        if self.locked {
            self.db.unlock(&self.table).await?;
        }
        self.db.close().await;
        Ok(())
    }

    /// Applies one migration: its statements and its tracking row in one transaction where the
    /// database allows it. Returns the execution time in microseconds.
    pub async fn apply(&mut self, m: &Migration, script: &Script<'_>) -> Result<i64> {
        self.ensure_table().await?;
        let up_checksum = m.up.checksum.to_hex();
        let down_checksum = m.down.as_ref().map(|d| d.checksum.to_hex());
        let applied_by = self.applied_by.clone();
        let mut row = NewRow {
            version: m.version,
            description: &m.slug,
            up_checksum: &up_checksum,
            down_checksum: down_checksum.as_deref(),
            execution_us: 0,
            applied_by: &applied_by,
            success: true,
            up_script: storable_script(&m.up.text),
            down_script: m.down.as_ref().and_then(|d| storable_script(&d.text)),
            baseline: false,
            replaces: self.cleared.remove(&m.version),
        };
        let table = self.table.clone();
        if B::TRANSACTIONAL_DDL && !script.no_transaction() {
            let start = Instant::now();
            // The script, its tracking row and the commit, in as few round trips as the
            // backend allows (one, on PostgreSQL).
            let sql = joined(script);
            if let Err(e) = self.db.apply_and_record(&sql, &table, &row).await {
                let _ = self.db.rollback().await;
                if let Some((i, e)) = self.locate_failure(script).await {
                    return Err(failure::<B>(
                        m,
                        script,
                        i,
                        e,
                        Outcome::RolledBack,
                        Direction::Up,
                    ));
                }
                // Every statement runs on its own: what failed was the commit (a deferred
                // constraint, for instance) or recording the migration.
                return Err(e).doing(&format!(
                    "committing {} (its statements ran, the commit or its tracking row failed; it was rolled back)",
                    m.name()
                ));
            }
            row.execution_us = elapsed_us(start);
            Ok(row.execution_us)
        } else {
            // Marked failed first: if the run dies midway the record says so.
            row.success = false;
            self.db
                .insert_row(&table, &row)
                .await
                .doing(&format!("recording the start of {}", m.name()))?;
            let start = Instant::now();
            if let Err((i, e)) = self.run_statements(script).await {
                let outcome = if i == 0 {
                    let restored = if row.replaces {
                        // The row was a cleared one: it is again, keeping the repair's who and
                        // when.
                        self.db.set_outcome(&table, m.version, false, true).await
                    } else {
                        self.db.delete_row(&table, m.version).await
                    };
                    restored.doing(&format!("clearing the record of {}", m.name()))?;
                    Outcome::NothingChanged
                } else {
                    Outcome::Partial { applied: i }
                };
                return Err(failure::<B>(m, script, i, e, outcome, Direction::Up));
            }
            let us = elapsed_us(start);
            self.db
                .finish_row(&table, m.version, us)
                .await
                .doing(&format!("recording {}", m.name()))?;
            Ok(us)
        }
    }

    /// Reverts one migration with its down script and deletes its tracking row, in one
    /// transaction where the database allows it.
    pub async fn revert(&mut self, m: &Migration, script: &Script<'_>) -> Result<i64> {
        let table = self.table.clone();
        let start = Instant::now();
        if B::TRANSACTIONAL_DDL && !script.no_transaction() {
            self.db.begin().await.doing("starting a transaction")?;
            if let Err((i, e)) = self.run_statements(script).await {
                let _ = self.db.rollback().await;
                return Err(failure::<B>(
                    m,
                    script,
                    i,
                    e,
                    Outcome::RolledBack,
                    Direction::Down,
                ));
            }
            if let Err(e) = self.db.delete_row(&table, m.version).await {
                let _ = self.db.rollback().await;
                return Err(e).doing(&format!(
                    "removing the record of {} (it was rolled back)",
                    m.name()
                ));
            }
            self.db
                .commit()
                .await
                .doing(&format!("committing the revert of {}", m.name()))?;
        } else {
            self.db
                .set_outcome(&table, m.version, false, false)
                .await
                .doing(&format!(
                    "recording the start of the revert of {}",
                    m.name()
                ))?;
            if let Err((i, e)) = self.run_statements(script).await {
                let outcome = if i == 0 {
                    self.db
                        .set_outcome(&table, m.version, true, false)
                        .await
                        .doing(&format!("restoring the record of {}", m.name()))?;
                    Outcome::NothingChanged
                } else {
                    Outcome::Partial { applied: i }
                };
                return Err(failure::<B>(m, script, i, e, outcome, Direction::Down));
            }
            self.db
                .delete_row(&table, m.version)
                .await
                .doing(&format!("removing the record of {}", m.name()))?;
        }
        Ok(elapsed_us(start))
    }

    /// Clears a failed record so `up` runs the migration again, or marks it applied (recording
    /// who and when).
    pub async fn repair_failed(&mut self, version: i64, mark_applied: bool) -> Result<()> {
        let table = self.table.clone();
        let by = self.applied_by.clone();
        let change = if mark_applied {
            RepairRow::MarkApplied
        } else {
            RepairRow::Clear
        };
        self.db
            .repair_row(&table, version, &by, &change)
            .await
            .doing("updating the tracking table")
    }

    /// Records the current name, checksums and texts of a deliberately edited (or renamed),
    /// applied migration, and who accepted the edit and when. The original run (when, by
    /// whom) is kept.
    pub async fn repair_checksums(&mut self, m: &Migration) -> Result<()> {
        let table = self.table.clone();
        let by = self.applied_by.clone();
        let up = m.up.checksum.to_hex();
        let down = m.down.as_ref().map(|d| d.checksum.to_hex());
        let change = RepairRow::AcceptEdit {
            description: &m.slug,
            up_checksum: &up,
            down_checksum: down.as_deref(),
            up_script: storable_script(&m.up.text),
            down_script: m.down.as_ref().and_then(|d| storable_script(&d.text)),
        };
        self.db
            .repair_row(&table, m.version, &by, &change)
            .await
            .doing("updating the tracking table")
    }

    /// Records `migrations` as applied without running them, as a baseline, in one
    /// transaction.
    pub async fn record_baseline(&mut self, migrations: &[&Migration]) -> Result<()> {
        self.ensure_table().await?;
        let table = self.table.clone();
        let by = self.applied_by.clone();
        self.db.begin().await.doing("starting a transaction")?;
        let result = async {
            for m in migrations {
                let up = m.up.checksum.to_hex();
                let down = m.down.as_ref().map(|d| d.checksum.to_hex());
                let row = NewRow {
                    version: m.version,
                    description: &m.slug,
                    up_checksum: &up,
                    down_checksum: down.as_deref(),
                    execution_us: 0,
                    applied_by: &by,
                    success: true,
                    up_script: storable_script(&m.up.text),
                    down_script: m.down.as_ref().and_then(|d| storable_script(&d.text)),
                    baseline: true,
                    replaces: self.cleared.contains(&m.version),
                };
                self.db.insert_row(&table, &row).await?;
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => self.db.commit().await.doing("committing the baseline"),
            Err(e) => {
                let _ = self.db.rollback().await;
                Err(e).doing("recording the baseline")
            }
        }
    }

    /// After a failed run of the whole script (rolled back), replays it one statement at a time
    /// in another transaction, rolled back too, to find the statement that fails and where the
    /// server says it does. `None` when every statement runs.
    async fn locate_failure(&mut self, script: &Script<'_>) -> Option<(usize, sqlx::Error)> {
        if let Err(e) = self.db.begin().await {
            return Some((0, e));
        }
        let located = self.run_statements(script).await;
        let _ = self.db.rollback().await;
        located.err()
    }

    async fn run_statements(
        &mut self,
        script: &Script<'_>,
    ) -> std::result::Result<(), (usize, sqlx::Error)> {
        for (i, statement) in script.statements.iter().enumerate() {
            self.db
                .execute(statement.text(&script.file.text))
                .await
                .map_err(|e| (i, e))?;
        }
        Ok(())
    }
}

/// The script's statements as one SQL text.
fn joined(script: &Script<'_>) -> String {
    let statements: Vec<&str> = script
        .statements
        .iter()
        .map(|s| s.text(&script.file.text))
        .collect();
    statements.join(";\n")
}

/// Who ran the migration, for the tracking table.
fn applied_by() -> String {
    ["CARGO_MIGRATE_USER", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A failed statement as a diagnostic pointing into its file.
fn failure<B: Backend>(
    m: &Migration,
    script: &Script<'_>,
    index: usize,
    error: sqlx::Error,
    outcome: Outcome,
    direction: Direction,
) -> Error {
    let file = script.file;
    let statement = &script.statements[index];
    let text = statement.text(&file.text);
    let offset = B::error_offset(&error, text);
    let at = statement.span.start + offset.unwrap_or(0);
    let (line, col) = build_support::line_col(&file.text, at);
    let message = match error.as_database_error() {
        Some(db) => match db.code() {
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    };
    let (verb, retry) = match direction {
        Direction::Up => ("applied", "cargo migrate up"),
        Direction::Down => ("reverted", "cargo migrate down"),
    };
    let help = match outcome {
        Outcome::RolledBack => format!(
            "the whole migration was rolled back, so the database is as it was before; fix the statement and run `{retry}` again"
        ),
        Outcome::NothingChanged => format!(
            "this was the first statement, so nothing was {verb}; fix it and run `{retry}` again"
        ),
        Outcome::Partial { applied } => {
            let why = if script.no_transaction() {
                "the script runs without a transaction (`-- migrate:no-transaction`)"
            } else {
                "MySQL and MariaDB commit schema changes at once"
            };
            format!(
                "{applied} statement(s) before this one were {verb} and stay, because {why}; the migration is recorded as failed and `up`/`down` refuse to run until it is resolved: bring the database back to where it was before {name} by hand, then run `cargo migrate repair {v}`",
                name = m.name(),
                v = m.version
            )
        }
    };
    let span = match offset {
        Some(_) => (at, 1).into(),
        None => statement.span.clone().into(),
    };
    Error::MigrationFailed(Box::new(MigrationFailure {
        name: m.name(),
        location: format!("{}:{line}:{col}", file.display),
        message,
        src: ScriptSource::new(&file.display, file.text.clone()),
        span: Some(span),
        label: if offset.is_some() {
            "the server stopped here".to_owned()
        } else {
            "this statement failed".to_owned()
        },
        help: Some(help),
    }))
}
