//! The generic migrator: status, plans, and applying or reverting one migration with the same
//! flow on every backend.

use std::collections::BTreeMap;
use std::time::Instant;

use build_support::{
    Dialect, Finding, Migration, MigrationSet, SqlFile, Statement, split_statements,
};
use miette::NamedSource;

use crate::backend::{
    ADDED_COLUMNS, Access, AppliedRow, Backend, NewRow, RepairRow, storable_script,
};
use crate::config::Config;
use crate::error::{DbContext, Error, MigrationFailure, Result};

/// Where one migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Applied,
    Pending,
    /// Pending, but older than a migration that is already applied.
    OutOfOrder,
    /// Applied, but its file is gone.
    Missing,
    /// Applied, but its up script changed since.
    Modified,
    /// Recorded as failed: applied in part, or interrupted.
    Failed,
    /// Its up script is there but cannot be used (not UTF-8, or its version is used twice):
    /// the directory's findings say why.
    Invalid,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::OutOfOrder => "out-of-order",
            State::Missing => "missing",
            State::Modified => "modified",
            State::Failed => "failed",
            State::Invalid => "invalid",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub version: i64,
    pub description: &'a str,
    pub state: State,
    pub migration: Option<&'a Migration>,
    /// The tracking row of an applied (or failed) migration.
    pub row: Option<&'a AppliedRow>,
    /// A failed run that `repair` cleared: the migration is not applied, the row keeps who
    /// cleared it and when.
    pub cleared: Option<&'a AppliedRow>,
}

impl Entry<'_> {
    pub fn name(&self) -> String {
        format!("{}_{}", self.version, self.description)
    }
}

/// Joins the files with the tracking table, in version order.
pub fn status<'a>(set: &'a MigrationSet, rows: &'a [AppliedRow]) -> Vec<Entry<'a>> {
    // A cleared row stands for a migration that is not applied.
    let (cleared, rows): (Vec<&AppliedRow>, Vec<&AppliedRow>) =
        rows.iter().partition(|r| r.cleared && !r.success);
    let newest_applied = rows.iter().map(|r| r.version).max();
    let mut by_version: BTreeMap<i64, (Option<&Migration>, Option<&AppliedRow>)> = BTreeMap::new();
    for m in &set.migrations {
        by_version.entry(m.version).or_default().0 = Some(m);
    }
    for r in rows {
        by_version.entry(r.version).or_default().1 = Some(r);
    }
    for version in set.unusable.keys() {
        by_version.entry(*version).or_default();
    }
    by_version
        .into_iter()
        .map(|(version, (migration, row))| {
            let unusable = set.unusable.get(&version).filter(|_| migration.is_none());
            let state = match (migration, row) {
                (_, Some(r)) if !r.success => State::Failed,
                (None, _) if unusable.is_some() => State::Invalid,
                (None, Some(_)) => State::Missing,
                (Some(m), Some(r)) if m.up.checksum.to_hex() != r.up_checksum => State::Modified,
                (Some(_), Some(_)) => State::Applied,
                (Some(_), None) if newest_applied.is_some_and(|n| n > version) => State::OutOfOrder,
                (Some(_), None) => State::Pending,
                (None, None) => unreachable!("every entry has a file or a row"),
            };
            let description = match (migration, row, unusable) {
                (Some(m), _, _) => m.slug.as_str(),
                (None, Some(r), _) => r.description.as_str(),
                (None, None, Some(slug)) => slug.as_str(),
                (None, None, None) => "",
            };
            Entry {
                version,
                description,
                state,
                migration,
                row,
                cleared: cleared.iter().copied().find(|r| r.version == version),
            }
        })
        .collect()
}

/// Refuses to go on while a migration is recorded as failed.
pub fn refuse_failed(entries: &[Entry<'_>]) -> Result<()> {
    if let Some(e) = entries.iter().find(|e| e.state == State::Failed) {
        return Err(Error::refused(
            format!(
                "migration {} is recorded as failed: the database may hold part of it",
                e.name()
            ),
            format!(
                "undo by hand the part of {name} that ran (its down script undoes all of it, so take from it only the statements whose objects exist) and run `cargo migrate repair {v}`, which clears the failed state so that `up` runs it again; if you finished the migration by hand instead, run `cargo migrate repair {v} --mark-applied`",
                name = e.name(),
                v = e.version
            ),
        ));
    }
    Ok(())
}

/// What changed in an applied migration: the recorded and current checksums and, when the
/// applied text was recorded, a unified diff from it to the file as it is now.
pub fn drift_details(m: &Migration, row: &AppliedRow, recorded: Option<&str>) -> String {
    let mut out = format!(
        "recorded checksum {}\ncurrent checksum  {}\n",
        row.up_checksum,
        m.up.checksum.to_hex()
    );
    match recorded {
        Some(text) => {
            let before = text.replace("\r\n", "\n");
            let after = m.up.text.replace("\r\n", "\n");
            let diff = similar::TextDiff::from_lines(&before, &after);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} (as applied)", m.up.display),
                        &format!("{} (now)", m.up.display),
                    )
                    .to_string(),
            );
        }
        None => out.push_str(
            "the text applied was not recorded (an earlier version of cargo-migrate applied it), so only the checksums can be compared\n",
        ),
    }
    out
}

/// The refusal for an applied migration whose file changed, with what changed.
pub fn drift_refusal(e: &Entry<'_>, recorded: Option<&str>) -> Error {
    let m = e.migration.expect("a modified entry has its file");
    let row = e.row.expect("a modified entry has its row");
    Error::Drift {
        message: format!(
            "migration {} was changed after it was applied on {}",
            e.name(),
            row.applied_at
        ),
        details: drift_details(m, row, recorded).trim_end().to_owned(),
        help: format!(
            "an applied migration must not change: restore the file (for example `git checkout -- {}`) and put the change in a new migration (`cargo migrate new <name>`); if the edit is deliberate and the database already matches it, run `cargo migrate repair {}`",
            m.up.display, e.version
        ),
    }
}

/// The migrations `up` applies, in order, or why it refuses.
pub fn plan_up<'a>(
    entries: &[Entry<'a>],
    to: Option<i64>,
    allow_out_of_order: bool,
    ignore_missing: bool,
) -> Result<Vec<&'a Migration>> {
    refuse_failed(entries)?;
    if let Some(e) = entries.iter().find(|e| e.state == State::Modified) {
        let m = e.migration.expect("a modified entry has its file");
        return Err(Error::refused(
            format!(
                "migration {} was changed after it was applied ({} no longer matches the checksum recorded on {})",
                e.name(),
                m.up.display,
                e.row.map_or("", |r| r.applied_at.as_str())
            ),
            format!(
                "an applied migration must not change: restore the file (for example `git checkout -- {}`) and put the change in a new migration (`cargo migrate new <name>`); if the edit is deliberate and the database already matches it, run `cargo migrate repair {}`",
                m.up.display, e.version
            ),
        ));
    }
    if !ignore_missing && let Some(e) = entries.iter().find(|e| e.state == State::Missing) {
        {
            return Err(Error::refused(
                format!("migration {} is applied but its file is missing", e.name()),
                "restore the file (check out the branch that has it), or pass `--ignore-missing` if it was removed on purpose",
            ));
        }
    }
    if let Some(to) = to
        && !entries
            .iter()
            .any(|e| e.version == to && e.migration.is_some())
    {
        return Err(Error::config(
            format!("--to {to}: there is no migration with that version"),
            Some("`cargo migrate status` lists the versions".to_owned()),
        ));
    }
    let newest_applied = entries
        .iter()
        .filter(|e| e.row.is_some())
        .map(Entry::name)
        .next_back();
    let mut plan = Vec::new();
    for e in entries {
        if to.is_some_and(|to| e.version > to) {
            break;
        }
        match e.state {
            State::Pending => plan.push(e.migration.expect("pending has a file")),
            State::OutOfOrder if allow_out_of_order => plan.push(e.migration.expect("has a file")),
            State::OutOfOrder => {
                return Err(Error::refused(
                    format!(
                        "migration {} is pending but older than {}, which is already applied",
                        e.name(),
                        newest_applied
                            .as_deref()
                            .unwrap_or("the newest applied migration")
                    ),
                    "this usually comes from a merge: give it a version newer than every applied migration (rename both of its files), or apply it anyway with `cargo migrate up --allow-out-of-order`",
                ));
            }
            _ => {}
        }
    }
    Ok(plan)
}

/// What `up` may do besides applying pending migrations in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpOptions {
    /// Apply up to this version only.
    pub to: Option<i64>,
    pub allow_out_of_order: bool,
    pub ignore_missing: bool,
}

/// A migration `up` applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    /// `<VERSION>_<slug>`.
    pub name: String,
    pub execution_us: i64,
}

/// `up` under the lock the session holds: plans against the tracking table, splits and checks
/// every script before the first one runs, then applies them in order. `on_plan` sees the
/// plan and its split scripts before anything runs (a protected environment prints it, `cargo
/// migrate up` warns of an empty script); `before_each` is called
/// with each migration just before it runs (for progress lines). The one implementation of
/// `up`: `cargo migrate up`, `redo` and the embedded [`crate::embedded::Migrator`] call it.
pub async fn apply_pending<B: Backend>(
    session: &mut Session<B>,
    set: &MigrationSet,
    options: UpOptions,
    dir: &str,
    on_plan: impl FnOnce(&[&Migration], &[Script<'_>]),
    mut before_each: impl FnMut(&Migration),
) -> Result<Vec<Applied>> {
    let rows = session.applied().await?;
    let entries = status(set, &rows);
    refuse_failed(&entries)?;
    if let Some(e) = entries.iter().find(|e| e.state == State::Modified) {
        return Err(session.drift_error(e).await);
    }
    let plan = plan_up(
        &entries,
        options.to,
        options.allow_out_of_order,
        options.ignore_missing,
    )?;
    let scripts = prepare_all(plan.iter().map(|m| &m.up), session.dialect(), dir)?;
    refuse_transaction_control::<B>(&scripts, dir)?;
    if !plan.is_empty() {
        on_plan(&plan, &scripts);
    }
    let mut applied = Vec::with_capacity(plan.len());
    for (m, script) in plan.iter().zip(&scripts) {
        before_each(m);
        let execution_us = session.apply(m, script).await?;
        applied.push(Applied {
            version: m.version,
            name: m.name(),
            execution_us,
        });
    }
    Ok(applied)
}

/// Which applied migrations `down` reverts.
#[derive(Clone, Copy, Debug)]
pub enum DownTo {
    Steps(usize),
    /// Revert every migration newer than this version.
    Version(i64),
    All,
}

/// The migrations `down` reverts, newest first, or why it refuses. Every one must still have
/// its files and a down script, checked before anything runs.
pub fn plan_down<'a>(
    entries: &[Entry<'a>],
    to: DownTo,
) -> Result<Vec<(&'a Migration, &'a AppliedRow)>> {
    refuse_failed(entries)?;
    if let DownTo::Version(v) = to
        && !entries.iter().any(|e| e.version == v)
    {
        return Err(Error::config(
            format!("--to {v}: there is no migration with that version"),
            Some("`cargo migrate status` lists the versions".to_owned()),
        ));
    }
    let applied = entries.iter().rev().filter(|e| e.row.is_some());
    let chosen: Vec<&Entry<'a>> = match to {
        DownTo::Steps(n) => applied.take(n).collect(),
        DownTo::Version(v) => applied.take_while(|e| e.version > v).collect(),
        DownTo::All => applied.collect(),
    };
    let mut plan = Vec::new();
    for e in chosen {
        let row = e.row.expect("applied");
        let Some(m) = e.migration else {
            return Err(Error::refused(
                format!("cannot revert {}: its files are missing", e.name()),
                "restore the migration's files (check out the branch that has them) and run the command again",
            ));
        };
        if m.down.is_none() {
            let why = m
                .directives()
                .irreversible
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(Error::refused(
                format!(
                    "cannot revert {}: it has no down script{why}; nothing was reverted",
                    e.name()
                ),
                if m.up_only {
                    "it is an up-only migration: undo it with a new migration (`cargo migrate new <name>`)".to_owned()
                } else {
                    format!(
                        "write {} to make it reversible",
                        m.up.display.replace(".up.sql", ".down.sql")
                    )
                },
            ));
        }
        if e.state == State::Modified {
            crate::output::warning(&format!(
                "{} changed after it was applied; its current down script is used",
                m.up.display
            ));
        }
        plan.push((m, row));
    }
    Ok(plan)
}

/// A script split into statements, ready to run.
#[derive(Debug)]
pub struct Script<'a> {
    pub file: &'a SqlFile,
    pub statements: Vec<Statement>,
}

impl<'a> Script<'a> {
    pub fn prepare(file: &'a SqlFile, dialect: Dialect) -> std::result::Result<Self, Box<Finding>> {
        let statements =
            split_statements(&file.text, dialect).map_err(|e| Box::new(e.finding(file)))?;
        Ok(Script { file, statements })
    }

    pub fn no_transaction(&self) -> bool {
        self.file.directives.no_transaction
    }
}

/// Splits every script of a plan before anything runs, so a broken file later in the plan
/// stops the run before it starts.
pub fn prepare_all<'a>(
    files: impl IntoIterator<Item = &'a SqlFile>,
    dialect: Dialect,
    dir: &str,
) -> Result<Vec<Script<'a>>> {
    let mut scripts = Vec::new();
    let mut findings = Vec::new();
    for file in files {
        match Script::prepare(file, dialect) {
            Ok(s) => scripts.push(s),
            Err(f) => findings.push(*f),
        }
    }
    if findings.is_empty() {
        Ok(scripts)
    } else {
        Err(Error::Invalid {
            dir: dir.to_owned(),
            count: findings.len(),
            findings,
        })
    }
}

/// Refuses, before anything runs, scripts that control transactions themselves when the backend
/// wraps each migration in one: a `COMMIT` inside would commit part of a migration without its
/// tracking row (the lint rule `transaction-control` says the same at build time).
pub fn refuse_transaction_control<B: Backend>(scripts: &[Script<'_>], dir: &str) -> Result<()> {
    if !B::TRANSACTIONAL_DDL {
        return Ok(());
    }
    let mut findings = Vec::new();
    for script in scripts.iter().filter(|s| !s.no_transaction()) {
        for statement in &script.statements {
            if let Some(keyword) =
                build_support::transaction_control(statement.text(&script.file.text))
            {
                findings.push(
                    Finding::error(
                        build_support::lints::RuleId::TransactionControl,
                        &script.file.display,
                        format!("`{keyword}` inside a migration that runs in its own transaction"),
                    )
                    .at(script.file.text.clone(), statement.span.clone(), "controls the transaction")
                    .with_help(format!(
                        "nothing was run; remove it (each migration already runs in a transaction), or add `-- migrate:no-transaction` at the top of {}",
                        script.file.display
                    )),
                );
            }
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            dir: dir.to_owned(),
            count: findings.len(),
            findings,
        })
    }
}

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
    /// Whether the tracking table has the [`ADDED_COLUMNS`] (a writing session adds them).
    extended: bool,
    /// Versions with a cleared row (as last read): applying one overwrites that row.
    cleared: std::collections::BTreeSet<i64>,
    applied_by: String,
}

impl<B: Backend> Session<B> {
    /// Connects. Writing sessions take the lock and create the tracking table; read-only ones
    /// create nothing (`Ok(None)` when the database itself does not exist yet).
    pub async fn open(cfg: &Config, access: Access) -> Result<Option<Self>> {
        let Some(mut db) = crate::backend::connect::<B>(&cfg.url, access, cfg.wait).await? else {
            return Ok(None);
        };
        let locked = access == Access::ReadWrite;
        if locked && let Err(e) = db.lock(&cfg.table, cfg.lock_timeout).await {
            db.close().await;
            return Err(e);
        }
        let columns = db.tracking_columns(&cfg.table).await?;
        let mut has_table = !columns.is_empty();
        let missing: Vec<&str> = ADDED_COLUMNS
            .into_iter()
            .filter(|c| !columns.iter().any(|have| have == c))
            .collect();
        let mut extended = missing.is_empty();
        if locked && !has_table {
            db.create_tracking_table(&cfg.table).await?;
            has_table = true;
            extended = true;
        } else if locked && !extended {
            // A table made by an earlier version: upgraded in place, under the lock.
            db.add_tracking_columns(&cfg.table, &missing).await?;
            extended = true;
        }
        Ok(Some(Session {
            db,
            table: cfg.table.clone(),
            dialect: cfg.url.kind.dialect(),
            locked,
            has_table,
            extended,
            cleared: Default::default(),
            applied_by: applied_by(),
        }))
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
        self.db.up_script(&self.table, version).await
    }

    /// The refusal for a modified migration, with the diff from the recorded text.
    pub async fn drift_error(&mut self, e: &Entry<'_>) -> Error {
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

    /// Records the current checksums and text of a deliberately edited, applied migration,
    /// and who accepted the edit and when. The original run (when, by whom) is kept.
    pub async fn repair_checksums(&mut self, m: &Migration) -> Result<()> {
        let table = self.table.clone();
        let by = self.applied_by.clone();
        let up = m.up.checksum.to_hex();
        let down = m.down.as_ref().map(|d| d.checksum.to_hex());
        let change = RepairRow::AcceptEdit {
            up_checksum: &up,
            down_checksum: down.as_deref(),
            up_script: storable_script(&m.up.text),
        };
        self.db
            .repair_row(&table, m.version, &by, &change)
            .await
            .doing("updating the tracking table")
    }

    /// Records `migrations` as applied without running them, as a baseline, in one
    /// transaction.
    pub async fn record_baseline(&mut self, migrations: &[&Migration]) -> Result<()> {
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

/// The tracking rows, without creating or locking anything (empty when there is no database
/// or no tracking table yet).
pub async fn read_applied<B: Backend>(cfg: &Config) -> Result<Vec<AppliedRow>> {
    match Session::<B>::open(cfg, Access::ReadOnly).await? {
        Some(mut session) => {
            let rows = session.applied().await;
            session.close().await?;
            rows
        }
        None => Ok(Vec::new()),
    }
}

/// The up script recorded when `version` was applied, read without locking or creating
/// anything (none when it was not recorded).
pub async fn read_recorded<B: Backend>(cfg: &Config, version: i64) -> Result<Option<String>> {
    match Session::<B>::open(cfg, Access::ReadOnly).await? {
        Some(mut session) => {
            let text = session.recorded_script(version).await;
            session.close().await?;
            text
        }
        None => Ok(None),
    }
}

/// Opens a locked session, runs `work` in it, and always releases the lock.
pub async fn with_lock<B: Backend, T>(
    cfg: &Config,
    work: impl AsyncFnOnce(&mut Session<B>) -> Result<T>,
) -> Result<T> {
    let mut session = Session::<B>::open(cfg, Access::ReadWrite)
        .await?
        .expect("a writing session always connects or fails");
    let result = work(&mut session).await;
    let closed = session.close().await;
    let value = result?;
    closed?;
    Ok(value)
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

pub(crate) fn elapsed_us(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX)
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
        src: NamedSource::new(&file.display, file.text.clone()),
        span: Some(span),
        label: if offset.is_some() {
            "the server stopped here".to_owned()
        } else {
            "this statement failed".to_owned()
        },
        help: Some(help),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "m").unwrap();
        (dir, set)
    }

    fn row(version: i64, checksum: &str, success: bool) -> AppliedRow {
        AppliedRow {
            version,
            description: format!("v{version}"),
            up_checksum: checksum.to_owned(),
            down_checksum: None,
            applied_at: "2024-01-01T00:00:00Z".into(),
            execution_us: 1,
            applied_by: "me".into(),
            success,
            baseline: false,
            repaired_at: None,
            repaired_by: None,
            cleared: false,
        }
    }

    #[test]
    fn states() {
        let (_d, s) = set(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("2_b.up.sql", "SELECT 2;"),
            ("3_c.up.sql", "SELECT 3;"),
            ("5_e.up.sql", "SELECT 5;"),
            ("6_f.up.sql", "SELECT 6;"),
        ]);
        let sum = |v: i64| s.get(v).unwrap().up.checksum.to_hex();
        let rows = vec![
            row(1, &sum(1), true),
            row(3, "0".repeat(64).as_str(), true),
            row(4, "x", true),
            row(5, &sum(5), false),
        ];
        let got: Vec<(i64, &str)> = status(&s, &rows)
            .iter()
            .map(|e| (e.version, e.state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "applied"),
                (2, "out-of-order"),
                (3, "modified"),
                (4, "missing"),
                (5, "failed"),
                (6, "pending")
            ]
        );
    }

    #[test]
    fn up_plans_pending_in_order_and_respects_to() {
        let (_d, s) = set(&[("1_a.up.sql", ""), ("2_b.up.sql", ""), ("10_c.up.sql", "")]);
        let entries = status(&s, &[]);
        let plan: Vec<i64> = plan_up(&entries, None, false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [1, 2, 10]);
        let plan: Vec<i64> = plan_up(&entries, Some(2), false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [1, 2]);
        assert!(plan_up(&entries, Some(7), false, false).is_err());
    }

    #[test]
    fn up_refuses_out_of_order_naming_both() {
        let (_d, s) = set(&[("1_a.up.sql", ""), ("2_b.up.sql", "")]);
        let rows = vec![row(2, &s.get(2).unwrap().up.checksum.to_hex(), true)];
        let entries = status(&s, &rows);
        let err = plan_up(&entries, None, false, false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "migration 1_a is pending but older than 2_b, which is already applied"
        );
        let plan = plan_up(&entries, None, true, false).unwrap();
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn a_cleared_row_is_not_applied() {
        let (_d, s) = set(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("1_a.down.sql", "SELECT 1;"),
            ("2_b.up.sql", "SELECT 2;"),
            ("2_b.down.sql", "SELECT 2;"),
        ]);
        let cleared = AppliedRow {
            cleared: true,
            repaired_by: Some("frank".into()),
            ..row(2, &s.get(2).unwrap().up.checksum.to_hex(), false)
        };
        let rows = vec![
            row(1, &s.get(1).unwrap().up.checksum.to_hex(), true),
            cleared,
        ];
        let entries = status(&s, &rows);
        assert_eq!(entries[1].state, State::Pending);
        assert!(entries[1].row.is_none());
        assert_eq!(
            entries[1].cleared.and_then(|r| r.repaired_by.as_deref()),
            Some("frank")
        );
        let plan: Vec<i64> = plan_up(&entries, None, false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [2]);
        let down: Vec<i64> = plan_down(&entries, DownTo::All)
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(down, [1], "a cleared migration is not reverted");
    }

    #[test]
    fn drift_shows_the_checksums_and_the_changed_lines() {
        let (_d, s) = set(&[(
            "1_a.up.sql",
            "CREATE TABLE a (id BIGINT);\nCREATE TABLE b (id INT);\n",
        )]);
        let m = s.get(1).unwrap();
        let zeros = "0".repeat(64);
        let r = row(1, &zeros, true);
        // Recorded from a Windows checkout: line endings are not a change.
        let recorded = "CREATE TABLE a (id INT);\r\nCREATE TABLE b (id INT);\r\n";
        assert_eq!(
            drift_details(m, &r, Some(recorded)),
            format!(
                "recorded checksum {zeros}\ncurrent checksum  {}\n--- m/1_a.up.sql (as applied)\n+++ m/1_a.up.sql (now)\n@@ -1,2 +1,2 @@\n-CREATE TABLE a (id INT);\n+CREATE TABLE a (id BIGINT);\n CREATE TABLE b (id INT);\n",
                m.up.checksum.to_hex()
            )
        );
        let without = drift_details(m, &r, None);
        assert!(
            without.starts_with(&format!("recorded checksum {zeros}\n")),
            "{without}"
        );
        assert!(
            without.ends_with("so only the checksums can be compared\n"),
            "{without}"
        );
        let entries = status(&s, std::slice::from_ref(&r));
        let err = drift_refusal(&entries[0], Some(recorded)).to_string();
        assert!(err.starts_with("migration 1_a was changed after it was applied on 2024-01-01T00:00:00Z\nrecorded checksum"), "{err}");
    }

    #[test]
    fn up_refuses_failed_modified_and_missing() {
        let (_d, s) = set(&[("1_a.up.sql", "SELECT 1;")]);
        let ok = s.get(1).unwrap().up.checksum.to_hex();
        for (rows, expect) in [
            (vec![row(1, &ok, false)], "recorded as failed"),
            (
                vec![row(1, &"0".repeat(64), true)],
                "was changed after it was applied",
            ),
            (
                vec![row(1, &ok, true), row(2, "x", true)],
                "its file is missing",
            ),
        ] {
            let entries = status(&s, &rows);
            let err = plan_up(&entries, None, false, false)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{err}");
        }
    }

    #[test]
    fn down_checks_every_step_before_running() {
        let (_d, s) = set(&[
            ("1_a.up.sql", ""),
            ("1_a.down.sql", ""),
            ("2_b.sql", "-- migrate:irreversible drops data\n"),
            ("3_c.up.sql", ""),
            ("3_c.down.sql", ""),
        ]);
        let rows: Vec<AppliedRow> = s
            .migrations
            .iter()
            .map(|m| row(m.version, &m.up.checksum.to_hex(), true))
            .collect();
        let entries = status(&s, &rows);
        let plan: Vec<i64> = plan_down(&entries, DownTo::Steps(1))
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(plan, [3]);
        let err = plan_down(&entries, DownTo::All).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot revert 2_b: it has no down script (drops data); nothing was reverted"
        );
        let plan: Vec<i64> = plan_down(&entries, DownTo::Version(2))
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(plan, [3]);
    }
}
