//! A session: one connection for one command, holding the migration lock when it writes, and
//! applying or reverting one migration with the same flow on every backend.

use std::time::{Duration, Instant};

use build_support::ScriptSource;
use build_support::{Dialect, Migration};

use crate::backend::watchdog::{Watchdog, lost, lost_in};
use crate::backend::{
    ADDED_COLUMNS, Access, Backend, NewRow, ROW_FLAG_COLUMNS, RepairRow, Tracking, elapsed_us,
    storable_script,
};
use crate::config::Config;
use crate::drift::drift_refusal;
use crate::error::{DbContext, Error, MigrationFailure, Result};
use crate::events::Observer;
use crate::locks::ScriptTrace;
use crate::script::Script;
use crate::state::{AppliedRow, Entry};

/// Which way a migration runs, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// What a failure left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    RolledBack,
    NothingChanged,
    /// The first statement failed outside a transaction, and may still have changed things.
    MayHaveLeft(Left),
    /// Some statements were applied and could not be rolled back.
    Partial {
        applied: usize,
        left: Left,
    },
}

/// What a statement that failed outside a transaction may have left, as far as can be told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Left {
    /// Why the server does not promise that it changed nothing, when it does not.
    reason: Option<&'static str>,
    /// Indexes it left INVALID (PostgreSQL's CONCURRENTLY builds).
    invalid_indexes: Vec<String>,
}

impl Left {
    fn is_nothing(&self) -> bool {
        self.reason.is_none() && self.invalid_indexes.is_empty()
    }
}

/// A database connection for one command, holding the migration lock when it writes.
#[derive(Debug)]
pub struct Session<B: Backend> {
    db: B,
    /// Bounds every wait on `db`'s server (see [`crate::backend::watchdog`]).
    watch: Watchdog,
    /// Set once the connection is lost: nothing more is sent on it.
    broken: bool,
    /// How long `--wait` lets a reconnection after a lost connection retry.
    wait: Option<Duration>,
    events: Observer,
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

/// How long a lost connection is retried, at least, to read what happened to the migration.
const RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// How long the client waits for the migration lock beyond `--lock-timeout`, after which the
/// server is taken not to be answering (it ends the wait itself at `--lock-timeout`).
const LOCK_GRACE: Duration = Duration::from_secs(10);

impl<B: Backend> Session<B> {
    /// Connects. Writing sessions take the lock and create the tracking table; read-only ones
    /// create nothing (`Ok(None)` when the database itself does not exist yet).
    pub async fn open(cfg: &Config, access: Access) -> Result<Option<Self>> {
        let Some(mut db) =
            crate::backend::connect::<B>(&cfg.url, access, cfg.wait, &cfg.events).await?
        else {
            return Ok(None);
        };
        let watch = Watchdog::new(&cfg.url, db.session_id());
        let locked = access == Access::ReadWrite;
        if locked {
            let bound = cfg.lock_timeout.saturating_add(LOCK_GRACE);
            let taken = tokio::time::timeout(
                bound,
                watch.guard::<B, _, _>(db.lock(&cfg.table, cfg.lock_timeout, &cfg.events)),
            )
            .await;
            match taken {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    if lost_in(&e).is_none() {
                        close_within(db).await;
                    }
                    return Err(e);
                }
                Err(_) => {
                    return Err(Error::refused(
                        format!(
                            "the server did not answer while this run waited for the migration lock: gave up after {} (`--lock-timeout` and {} more)",
                            crate::backend::connect::for_humans(cfg.lock_timeout),
                            crate::backend::connect::for_humans(LOCK_GRACE)
                        ),
                        "nothing was run; check the network between here and the server, then run the command again",
                    ));
                }
            }
        }
        let opened = async {
            let columns = watch
                .guard::<B, _, _>(db.tracking_columns(&cfg.table))
                .await?;
            let has_table = !columns.is_empty();
            let has = |c: &str| columns.iter().any(|have| have == c);
            let missing: Vec<&str> = ADDED_COLUMNS.into_iter().filter(|c| !has(c)).collect();
            let mut extended = has("up_script") && ROW_FLAG_COLUMNS.into_iter().all(has);
            let mut has_down_script = has("down_script");
            // A missing table is created with the first row (`ensure_table`): a run that
            // refuses leaves none.
            if locked && has_table && !missing.is_empty() {
                // A table made by an earlier version: upgraded in place, under the lock.
                watch
                    .guard::<B, _, _>(db.add_tracking_columns(&cfg.table, &missing))
                    .await?;
                (extended, has_down_script) = (true, true);
            }
            Ok::<_, Error>((has_table, extended, has_down_script))
        }
        .await;
        let (has_table, extended, has_down_script) = opened?;
        if locked && !has_table && !cfg.adopting {
            // Another tool's history: running it again would fail halfway, or worse.
            let found = watch
                .guard::<B, _, _>(crate::foreign::detect(&mut db, cfg.sqlx_table.as_deref()))
                .await?;
            if let Some(found) = found {
                let _ = watch.guard::<B, _, _>(db.unlock(&cfg.table)).await;
                close_within(db).await;
                return Err(crate::foreign::refusal(&found));
            }
        }
        Ok(Some(Session {
            db,
            watch,
            broken: false,
            wait: cfg.wait,
            events: cfg.events.clone(),
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
            self.watch
                .guard::<B, _, _>(self.db.create_tracking_table(&self.table))
                .await?;
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
        let rows = self
            .watch
            .guard::<B, _, _>(self.db.applied(&self.table, self.extended))
            .await?;
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
        self.watch
            .guard::<B, _, _>(self.db.recorded_text(&self.table, "up_script", version))
            .await
    }

    /// The down script recorded when `version` was applied (or its edit accepted), if it was.
    pub async fn recorded_down_script(&mut self, version: i64) -> Result<Option<String>> {
        if !self.has_table || !self.has_down_script {
            return Ok(None);
        }
        self.watch
            .guard::<B, _, _>(self.db.recorded_text(&self.table, "down_script", version))
            .await
    }

    /// The refusal for a modified migration, with the diff from the recorded text.
    pub async fn drift_error(&mut self, e: &Entry<'_, '_>) -> Error {
        match self.recorded_script(e.version).await {
            Ok(recorded) => drift_refusal(e, recorded.as_deref()),
            Err(error) => error,
        }
    }

    /// Releases the lock and closes the connection. A lost connection is only dropped: the
    /// server released the lock with the session.
    pub async fn close(mut self) -> Result<()> {
        if self.broken {
            return Ok(());
        }
        if self.locked {
            self.watch
                .guard::<B, _, _>(self.db.unlock(&self.table))
                .await?;
        }
        close_within(self.db).await;
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
            let statements = texts(script);
            let applied = self
                .watch
                .guard::<B, _, _>(self.db.apply_and_record(&statements, &table, &row))
                .await;
            if let Err(e) = applied {
                if let Some(why) = lost(&e) {
                    return Err(self.settle(m, Direction::Up, &why).await);
                }
                let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
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
            let started = self
                .watch
                .guard::<B, _, _>(self.db.insert_row(&table, &row))
                .await;
            self.settled(m, Direction::Up, started, "recording the start of")
                .await?;
            let invalid_before = self.invalid_indexes().await;
            let start = Instant::now();
            if let Err((i, e)) = self.run_statements(script).await {
                if let Some(why) = lost(&e) {
                    return Err(self.settle(m, Direction::Up, &why).await);
                }
                self.end_script_transaction().await;
                let left = self.left_by(script, i, &e, &invalid_before).await;
                let outcome = if let Some(kept) = stays_failed(i, left) {
                    kept
                } else {
                    let restored = if row.replaces {
                        // The row was a cleared one: it is again, keeping the repair's who and
                        // when.
                        self.watch
                            .guard::<B, _, _>(self.db.set_outcome(&table, m.version, false, true))
                            .await
                    } else {
                        self.watch
                            .guard::<B, _, _>(self.db.delete_row(&table, m.version))
                            .await
                    };
                    restored.doing(&format!("clearing the record of {}", m.name()))?;
                    Outcome::NothingChanged
                };
                return Err(failure::<B>(m, script, i, e, outcome, Direction::Up));
            }
            let us = elapsed_us(start);
            let finished = self
                .watch
                .guard::<B, _, _>(self.db.finish_row(&table, m.version, us))
                .await;
            self.settled(m, Direction::Up, finished, "recording")
                .await?;
            Ok(us)
        }
    }

    /// Reverts one migration with its down script and deletes its tracking row, in one
    /// transaction where the database allows it.
    pub async fn revert(&mut self, m: &Migration, script: &Script<'_>) -> Result<i64> {
        let table = self.table.clone();
        let start = Instant::now();
        if B::TRANSACTIONAL_DDL && !script.no_transaction() {
            let reverted = async {
                self.watch.guard::<B, _, _>(self.db.begin()).await?;
                if let Err((i, e)) = self.run_statements(script).await {
                    return Err(Failed::Statement(i, e));
                }
                if let Err(e) = self
                    .watch
                    .guard::<B, _, _>(self.db.delete_row(&table, m.version))
                    .await
                {
                    return Err(Failed::Record(e));
                }
                self.watch.guard::<B, _, _>(self.db.commit()).await?;
                Ok(())
            }
            .await;
            match reverted {
                Ok(()) => {}
                Err(Failed::Statement(_, e) | Failed::Record(e) | Failed::Other(e))
                    if lost(&e).is_some() =>
                {
                    let why = lost(&e).unwrap_or_default();
                    return Err(self.settle(m, Direction::Down, &why).await);
                }
                Err(Failed::Statement(i, e)) => {
                    let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
                    return Err(failure::<B>(
                        m,
                        script,
                        i,
                        e,
                        Outcome::RolledBack,
                        Direction::Down,
                    ));
                }
                Err(Failed::Record(e)) => {
                    let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
                    return Err(e).doing(&format!(
                        "removing the record of {} (it was rolled back)",
                        m.name()
                    ));
                }
                Err(Failed::Other(e)) => {
                    let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
                    return Err(e).doing(&format!("reverting {} (it was rolled back)", m.name()));
                }
            }
        } else {
            let invalid_before = self.invalid_indexes().await;
            let started = self
                .watch
                .guard::<B, _, _>(self.db.set_outcome(&table, m.version, false, false))
                .await;
            self.settled(
                m,
                Direction::Down,
                started,
                "recording the start of the revert of",
            )
            .await?;
            if let Err((i, e)) = self.run_statements(script).await {
                if let Some(why) = lost(&e) {
                    return Err(self.settle(m, Direction::Down, &why).await);
                }
                self.end_script_transaction().await;
                let left = self.left_by(script, i, &e, &invalid_before).await;
                let outcome = if let Some(kept) = stays_failed(i, left) {
                    kept
                } else {
                    self.watch
                        .guard::<B, _, _>(self.db.set_outcome(&table, m.version, true, false))
                        .await
                        .doing(&format!("restoring the record of {}", m.name()))?;
                    Outcome::NothingChanged
                };
                return Err(failure::<B>(m, script, i, e, outcome, Direction::Down));
            }
            let removed = self
                .watch
                .guard::<B, _, _>(self.db.delete_row(&table, m.version))
                .await;
            self.settled(m, Direction::Down, removed, "removing the record of")
                .await?;
        }
        Ok(elapsed_us(start))
    }

    /// For `verify --locks`: runs `script`'s statements in a transaction that is rolled back,
    /// reading the relations and this session's locks ([`Backend::relation_locks`]) before
    /// the first and after each; `None` where the backend cannot read them. A statement that
    /// fails ends the trace; it is the caller's to run the script for real.
    pub async fn trace(&mut self, script: &Script<'_>) -> Result<Option<ScriptTrace>> {
        const DOING: &str = "tracing the locks of a script (verify --locks)";
        let table = self.table.clone();
        self.watch
            .guard::<B, _, _>(self.db.begin())
            .await
            .doing(DOING)?;
        let traced = async {
            let Some(start) = self
                .watch
                .guard::<B, _, _>(self.db.relation_locks(&table))
                .await?
            else {
                return Ok(None);
            };
            let mut trace = ScriptTrace {
                states: vec![start],
                failed: None,
            };
            for (i, statement) in script.statements.iter().enumerate() {
                let ran = self
                    .watch
                    .guard::<B, _, _>(self.db.execute(statement.text(&script.file.text)))
                    .await;
                if let Err(e) = ran {
                    if lost(&e).is_some() {
                        return Err(e);
                    }
                    let message = match e.as_database_error() {
                        Some(db) => db.message().to_owned(),
                        None => e.to_string(),
                    };
                    trace.failed = Some((i, message));
                    break;
                }
                let state = self
                    .watch
                    .guard::<B, _, _>(self.db.relation_locks(&table))
                    .await?;
                trace.states.push(state.unwrap_or_default());
            }
            Ok(Some(trace))
        }
        .await;
        if let Err(e) = &traced
            && lost(e).is_some()
        {
            self.broken = true;
            return traced.doing(DOING);
        }
        let rolled_back = self.watch.guard::<B, _, _>(self.db.rollback()).await;
        let trace = traced.doing(DOING)?;
        rolled_back.doing(DOING)?;
        Ok(trace)
    }

    /// The server's version, as it says it.
    pub async fn server_version(&mut self) -> Result<String> {
        self.watch
            .guard::<B, _, _>(self.db.server_version())
            .await
            .doing("reading the server's version")
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
        self.watch
            .guard::<B, _, _>(self.db.repair_row(&table, version, &by, &change))
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
        self.watch
            .guard::<B, _, _>(self.db.repair_row(&table, m.version, &by, &change))
            .await
            .doing("updating the tracking table")
    }

    /// Records `migrations` as applied without running them, as a baseline, in one
    /// transaction.
    pub async fn record_baseline(&mut self, migrations: &[&Migration]) -> Result<()> {
        let by = self.applied_by.clone();
        self.record_unrun(migrations, &by).await
    }

    /// Records `migrations`, which another tool applied (`tool`, its name), as applied without
    /// running them, in one transaction; `applied_by` says who imported them from which tool
    /// (`applied_at` is when).
    pub async fn record_imported(&mut self, migrations: &[&Migration], tool: &str) -> Result<()> {
        let by = format!("{} (imported from {tool})", self.applied_by);
        self.record_unrun(migrations, &by).await
    }

    async fn record_unrun(&mut self, migrations: &[&Migration], by: &str) -> Result<()> {
        self.ensure_table().await?;
        let table = self.table.clone();
        self.watch
            .guard::<B, _, _>(self.db.begin())
            .await
            .doing("starting a transaction")?;
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
                    applied_by: by,
                    success: true,
                    up_script: storable_script(&m.up.text),
                    down_script: m.down.as_ref().and_then(|d| storable_script(&d.text)),
                    baseline: true,
                    replaces: self.cleared.contains(&m.version),
                };
                self.watch
                    .guard::<B, _, _>(self.db.insert_row(&table, &row))
                    .await?;
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => self
                .watch
                .guard::<B, _, _>(self.db.commit())
                .await
                .doing("committing the baseline"),
            Err(e) => {
                let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
                Err(e).doing("recording the baseline")
            }
        }
    }

    /// After a statement of a `no-transaction` script failed: ends a transaction the script
    /// opened itself (`BEGIN` … the failed statement), which the server would otherwise keep
    /// open (aborted, on PostgreSQL, refusing every later statement: recording the failure,
    /// releasing the lock). Outside a transaction the `ROLLBACK` changes nothing (PostgreSQL
    /// warns, SQLite refuses it, MySQL ignores it), so its result is not looked at.
    async fn end_script_transaction(&mut self) {
        let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
    }

    /// After a failed run of the whole script (rolled back), replays it one statement at a time
    /// in another transaction, rolled back too, to find the statement that fails and where the
    /// server says it does. `None` when every statement runs.
    async fn locate_failure(&mut self, script: &Script<'_>) -> Option<(usize, sqlx::Error)> {
        if let Err(e) = self.watch.guard::<B, _, _>(self.db.begin()).await {
            return Some((0, e));
        }
        let located = self.run_statements(script).await;
        let _ = self.watch.guard::<B, _, _>(self.db.rollback()).await;
        located.err()
    }

    /// The indexes now INVALID (see [`Backend::invalid_indexes`]); none when they cannot be
    /// read.
    async fn invalid_indexes(&mut self) -> Vec<String> {
        self.watch
            .guard::<B, _, _>(self.db.invalid_indexes())
            .await
            .unwrap_or_default()
    }

    /// `result` of one step of running `m`: after a lost connection, what happened as read
    /// again ([`Session::settle`]); another error is the database's, while `doing` `m`.
    async fn settled<T>(
        &mut self,
        m: &Migration,
        direction: Direction,
        result: sqlx::Result<T>,
        doing: &str,
    ) -> Result<T> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => Err(match lost(&e) {
                Some(why) => self.settle(m, direction, &why).await,
                None => Error::Database {
                    doing: format!("{doing} {}", m.name()),
                    source: e,
                },
            }),
        }
    }

    /// The error for a connection lost (for the reason `why`) while `m` ran `direction`: what
    /// the tracking table says after reconnecting, once the old session is gone from the
    /// server, or that nobody can tell yet. The connection is not used again.
    async fn settle(&mut self, m: &Migration, direction: Direction, why: &str) -> Error {
        self.broken = true;
        let name = m.name();
        let (doing, verb, retry) = match direction {
            Direction::Up => ("applying", "applied", "cargo migrate up"),
            Direction::Down => ("reverting", "reverted", "cargo migrate down"),
        };
        let lost = format!("the connection to the server was lost while {doing} {name}: {why}");
        let (what, help) = match self.read_after_loss(m.version).await {
            Err(cause) => (
                format!("whether {name} was {verb} is unknown: {cause}"),
                format!(
                    "run `cargo migrate status` once the server answers: it shows where {name} stands; then run `{retry}` to go on"
                ),
            ),
            Ok(Some(false)) => (
                format!(
                    "{name} is recorded as failed: it ran outside a transaction, so part of it may have been {verb}"
                ),
                format!(
                    "check what it left, bring the database back to where it was before {name} by hand, then run `cargo migrate repair {}`",
                    m.version
                ),
            ),
            Ok(Some(true)) if direction == Direction::Up => (
                format!("{name} was applied: it committed before the connection was lost"),
                "nothing of it needs running again; `cargo migrate up` applies the rest"
                    .to_owned(),
            ),
            Ok(None) if direction == Direction::Down => (
                format!("{name} was reverted: it committed before the connection was lost"),
                "nothing of it needs running again; `cargo migrate status` shows where the database stands".to_owned(),
            ),
            Ok(None) => (
                format!(
                    "{name} was not applied: the server rolled it back, so the database is as it was before it"
                ),
                format!("run `{retry}` again once the connection holds"),
            ),
            Ok(Some(_)) => (
                format!(
                    "{name} was not reverted: the server rolled the revert back, so it is still applied"
                ),
                format!("run `{retry}` again once the connection holds"),
            ),
        };
        Error::ConnectionLost {
            message: format!("{lost}; after reconnecting: {what}"),
            help,
        }
    }

    /// After a lost connection: on a new one (retrying for as long as `--wait` allows, and for
    /// [`RECONNECT_WAIT`] at least), ends
    /// this session's old server session if it is still there, waits until it is gone (its
    /// transaction is then settled), and reads `version`'s record: `Some(success)`, or `None`
    /// when it has none (or a cleared one). `Err` says why that could not be told.
    async fn read_after_loss(&mut self, version: i64) -> std::result::Result<Option<bool>, String> {
        let url = self.watch.url().clone();
        // A server that restarted is back within seconds: worth a short wait even without
        // `--wait`, since the answer is what happened to the migration.
        let wait = self.wait.unwrap_or(RECONNECT_WAIT).max(RECONNECT_WAIT);
        let bound = wait.saturating_add(Duration::from_secs(30));
        let read = async {
            let mut db = match crate::backend::connect::<B>(
                &url,
                Access::ReadOnly,
                Some(wait),
                &self.events,
            )
            .await
            {
                Ok(Some(db)) => db,
                Ok(None) => return Err("the database is not there".to_owned()),
                Err(e) => return Err(format!("the server cannot be reached again ({e})")),
            };
            if let Some(old) = self.db.session_id() {
                let mut ended = false;
                for _ in 0..100 {
                    match db.session_state(old).await {
                        Ok(crate::backend::watchdog::SessionState::Gone) => break,
                        Ok(_) if !ended => {
                            ended = true;
                            let _ = db.end_session(old).await;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return Err(format!(
                                "the server did not say whether the old session ended ({e})"
                            ));
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            let rows = db
                .applied(&self.table, self.extended)
                .await
                .map_err(|e| format!("the tracking table could not be read ({e})"))?;
            close_within(db).await;
            Ok(rows
                .into_iter()
                .find(|r| r.version == version && !r.cleared)
                .map(|r| r.success))
        };
        match tokio::time::timeout(bound, read).await {
            Ok(read) => read,
            Err(_) => Err(format!(
                "the server did not answer again within {}",
                crate::backend::connect::for_humans(bound)
            )),
        }
    }

    /// What statement `index` of `script`, which failed with `error` outside a transaction,
    /// may have left, given the indexes that were invalid before the script ran.
    async fn left_by(
        &mut self,
        script: &Script<'_>,
        index: usize,
        error: &sqlx::Error,
        invalid_before: &[String],
    ) -> Left {
        let text = script.statements[index].text(&script.file.text);
        let invalid_indexes = self
            .invalid_indexes()
            .await
            .into_iter()
            .filter(|i| !invalid_before.contains(i))
            .collect();
        Left {
            reason: B::failure_may_have_left(error, text),
            invalid_indexes,
        }
    }

    async fn run_statements(
        &mut self,
        script: &Script<'_>,
    ) -> std::result::Result<(), (usize, sqlx::Error)> {
        for (i, statement) in script.statements.iter().enumerate() {
            self.watch
                .guard::<B, _, _>(self.db.execute(statement.text(&script.file.text)))
                .await
                .map_err(|e| (i, e))?;
        }
        Ok(())
    }
}

/// Why a transactional revert failed.
enum Failed {
    Statement(usize, sqlx::Error),
    Record(sqlx::Error),
    Other(sqlx::Error),
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        Failed::Other(e)
    }
}

/// Closes `db`, without waiting long for a server that does not answer: the connection goes
/// either way.
async fn close_within<B: Backend>(db: B) {
    let _ = tokio::time::timeout(Duration::from_secs(2), db.close()).await;
}

/// The text of each of the script's statements.
fn texts<'a>(script: &'a Script<'_>) -> Vec<&'a str> {
    script
        .statements
        .iter()
        .map(|s| s.text(&script.file.text))
        .collect()
}

/// Who ran the migration, for the tracking table: `CARGO_MIGRATE_USER`, the login the
/// environment names, else the account the process runs as (a container or cron job often
/// sets no `$USER`).
fn applied_by() -> String {
    ["CARGO_MIGRATE_USER", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(os_user)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The name of the account this process runs as, from its uid and the password file.
#[cfg(unix)]
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn os_user() -> Option<String> {
    None
}

/// How a statement that failed outside a transaction after `applied` others leaves the
/// migration when its record must stay failed; `None` when nothing changed.
fn stays_failed(applied: usize, left: Left) -> Option<Outcome> {
    if applied > 0 {
        Some(Outcome::Partial { applied, left })
    } else if !left.is_nothing() {
        Some(Outcome::MayHaveLeft(left))
    } else {
        None
    }
}

/// What to do about a migration that failed half-way and stays recorded as failed.
fn resolve(m: &Migration, left: &Left, partial: bool) -> String {
    let by_hand = format!(
        "bring the database back to where it was before {} by hand",
        m.name()
    );
    let todo = if left.invalid_indexes.is_empty() {
        by_hand
    } else {
        let drops: Vec<String> = left
            .invalid_indexes
            .iter()
            .map(|i| format!("DROP INDEX CONCURRENTLY IF EXISTS {i};"))
            .collect();
        let drop = format!("drop them with `{}`", drops.join(" "));
        if partial || left.reason.is_some() {
            format!("{drop}, {by_hand}")
        } else {
            drop
        }
    };
    format!(
        "{todo}, then run `cargo migrate repair {v}`; until then the migration is recorded as failed and `up`/`down` refuse to run",
        v = m.version
    )
}

/// The INVALID indexes a failed script left, for a message.
fn invalid_left(left: &Left) -> Option<String> {
    (!left.invalid_indexes.is_empty()).then(|| {
        format!(
            "it left the INVALID index(es) {} behind",
            left.invalid_indexes.join(", ")
        )
    })
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
        Outcome::MayHaveLeft(left) => {
            let what: Vec<String> = left
                .reason
                .map(str::to_owned)
                .into_iter()
                .chain(invalid_left(&left))
                .collect();
            format!(
                "this was the first statement, but {}: {}",
                what.join("; "),
                resolve(m, &left, false)
            )
        }
        Outcome::Partial { applied, left } => {
            let why = if script.no_transaction() {
                "the script runs without a transaction (`-- migrate:no-transaction`)"
            } else {
                "MySQL and MariaDB commit schema changes at once"
            };
            let this = match left.reason {
                Some(reason) => format!(", and this one may have changed things too: {reason}"),
                None => String::new(),
            };
            let indexes = invalid_left(&left).map_or(String::new(), |i| format!("; {i}"));
            format!(
                "{applied} statement(s) before this one were {verb} and stay, because {why}{this}{indexes}: {}",
                resolve(m, &left, true)
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
