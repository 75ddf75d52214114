//! The one implementation of `up` and `down`: `prepare_*` reads the tracking table, plans and
//! splits every script (the dry runs stop there), `run_*` applies the prepared plan under the
//! lock.

use std::ops::ControlFlow;

use build_support::{Dialect, Migration, MigrationSet};

use crate::backend::{Access, Backend};
use crate::config::Config;
use crate::drift::down_drift_details;
use crate::error::Result;
use crate::events::{Event, Observer};
use crate::plan::{DownTo, UpOptions, plan_down, plan_up, refuse_failed};
use crate::script::{Script, prepare_all, refuse_transaction_control};
use crate::session::Session;
use crate::state::AppliedRow;
use crate::state::{Entry, State, status};

/// A migration `up` applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    /// `<VERSION>_<slug>`.
    pub name: String,
    pub execution_us: i64,
}

/// What `up` will do: the migrations, in order, each with its script split and checked.
#[derive(Debug)]
pub struct UpPlan<'s> {
    pub migrations: Vec<&'s Migration>,
    pub scripts: Vec<Script<'s>>,
}

/// What `down` will do: the migrations, newest first, each with its down script split and
/// checked.
#[derive(Debug)]
pub struct DownPlan<'s> {
    pub migrations: Vec<&'s Migration>,
    pub scripts: Vec<Script<'s>>,
    /// The migrations of the plan whose down script was edited after they were applied (see
    /// [`crate::state::Entry::down_modified`]), in plan order, with what changed.
    pub edited_downs: Vec<EditedDown<'s>>,
}

/// A down script that `down` runs as it is now, although it changed since its migration was
/// applied.
#[derive(Debug)]
pub struct EditedDown<'s> {
    pub migration: &'s Migration,
    /// The recorded and current checksums and, when the text was recorded, the unified diff
    /// ([`down_drift_details`]).
    pub details: String,
}

impl DownPlan<'_> {
    pub fn versions(&self) -> Vec<i64> {
        self.migrations.iter().map(|m| m.version).collect()
    }
}

/// Reads the tracking table through `session` (locked for a real run, read-only for a dry
/// run; `None` when the database does not exist yet), refuses what `up` refuses, plans, and
/// splits and checks every script before anything runs. The real run and `up --dry-run` both
/// call it, so a dry run refuses exactly what the run would. An applied migration whose file
/// was renamed since is a warning `events` hear.
pub async fn prepare_up<'s, B: Backend>(
    session: Option<&mut Session<B>>,
    set: &'s MigrationSet,
    options: UpOptions,
    dialect: Dialect,
    dir: &str,
    events: &Observer,
) -> Result<UpPlan<'s>> {
    let mut session = session;
    let rows = rows_of(session.as_deref_mut()).await?;
    let entries = status(set, &rows);
    refuse_failed(&entries)?;
    warn_of_renames(&entries, events);
    if let Some(e) = entries.iter().find(|e| e.state == State::Modified)
        && let Some(session) = session
    {
        return Err(session.drift_error(e).await);
    }
    let migrations = plan_up(
        &entries,
        options.to,
        options.allow_out_of_order,
        options.ignore_missing,
    )?;
    let scripts = prepare_all(migrations.iter().map(|m| &m.up), dialect, dir)?;
    refuse_transaction_control::<B>(&scripts, dir)?;
    Ok(UpPlan {
        migrations,
        scripts,
    })
}

/// Applies a prepared plan in order under the lock the session holds; `before_each` sees each
/// migration just before it runs (for progress lines) and may stop the run there (`Break`:
/// Ctrl-C, say), between two migrations. Returns what was applied.
pub async fn run_up<B: Backend>(
    session: &mut Session<B>,
    plan: &UpPlan<'_>,
    mut before_each: impl FnMut(&Migration) -> ControlFlow<()>,
) -> Result<Vec<Applied>> {
    let mut applied = Vec::with_capacity(plan.migrations.len());
    for (m, script) in plan.migrations.iter().zip(&plan.scripts) {
        if before_each(m).is_break() {
            break;
        }
        let execution_us = session.apply(m, script).await?;
        applied.push(Applied {
            version: m.version,
            name: m.name(),
            execution_us,
        });
    }
    Ok(applied)
}

/// `up` under the lock the session holds: [`prepare_up`], then `on_plan` sees the plan before
/// anything runs (a protected environment prints it, `cargo migrate up` warns of an empty
/// script), then [`run_up`]. The one implementation of `up`: `cargo migrate up`, `redo` and
/// the embedded [`crate::embedded::Migrator`] call it.
pub async fn apply_pending<B: Backend>(
    session: &mut Session<B>,
    set: &MigrationSet,
    options: UpOptions,
    dir: &str,
    events: &Observer,
    on_plan: impl FnOnce(&UpPlan<'_>),
    before_each: impl FnMut(&Migration) -> ControlFlow<()>,
) -> Result<Vec<Applied>> {
    let dialect = session.dialect();
    let plan = prepare_up(Some(&mut *session), set, options, dialect, dir, events).await?;
    if !plan.migrations.is_empty() {
        on_plan(&plan);
    }
    run_up(session, &plan, before_each).await
}

/// Reads the tracking table through `session` like [`prepare_up`], plans what `down` reverts
/// and splits and checks every down script before anything runs. Both the real run and
/// `down --dry-run` call it. An applied migration whose up script changed since is reverted
/// with its current down script, which `events` hears as a warning; one whose down script
/// changed since is in [`DownPlan::edited_downs`], with the diff, for the caller to show (and
/// on a protected environment to confirm).
pub async fn prepare_down<'s, B: Backend>(
    session: Option<&mut Session<B>>,
    set: &'s MigrationSet,
    to: DownTo,
    dialect: Dialect,
    dir: &str,
    events: &Observer,
) -> Result<DownPlan<'s>> {
    let mut session = session;
    let rows = rows_of(session.as_deref_mut()).await?;
    let entries = status(set, &rows);
    let steps = plan_down(&entries, to)?;
    let migrations: Vec<&'s Migration> = steps.iter().map(|(m, _)| *m).collect();
    let scripts = prepare_all(
        migrations.iter().filter_map(|m| m.down.as_ref()),
        dialect,
        dir,
    )?;
    refuse_transaction_control::<B>(&scripts, dir)?;
    for e in entries.iter().filter(|e| e.state == State::Modified) {
        if let Some(m) = migrations.iter().find(|m| m.version == e.version) {
            events.report(Event::Warning {
                message: format!(
                    "{} changed after it was applied; its current down script is used",
                    m.up.display
                ),
            });
        }
    }
    let mut edited_downs = Vec::new();
    for m in &migrations {
        let Some(row) = entries
            .iter()
            .find(|e| e.version == m.version && e.down_modified)
            .and_then(|e| e.row)
        else {
            continue;
        };
        let recorded = match session.as_deref_mut() {
            Some(s) => s.recorded_down_script(m.version).await?,
            None => None,
        };
        edited_downs.push(EditedDown {
            migration: m,
            details: down_drift_details(m, row, recorded.as_deref()),
        });
    }
    Ok(DownPlan {
        migrations,
        scripts,
        edited_downs,
    })
}

/// A warning for each applied migration whose file has another slug than the one recorded.
fn warn_of_renames(entries: &[Entry<'_, '_>], events: &Observer) {
    for e in entries {
        if let (Some(m), Some(old)) = (e.migration, e.renamed_from) {
            events.report(Event::Warning {
                message: renamed_warning(m, e.version, old),
            });
        }
    }
}

/// An applied migration renamed since: what happened and what to do.
pub fn renamed_warning(m: &Migration, version: i64, old: &str) -> String {
    format!(
        "{} was applied as {version}_{old} and its file was renamed since ({}); the version is what counts, so it stays applied: rename the file back if the rename was a mistake, or `cargo migrate repair {version}` to record the new name",
        m.name(),
        m.up.display
    )
}

/// The tracking rows a `prepare_*` plans against (none when the database does not exist yet).
async fn rows_of<B: Backend>(session: Option<&mut Session<B>>) -> Result<Vec<AppliedRow>> {
    match session {
        Some(s) => s.applied().await,
        None => Ok(Vec::new()),
    }
}

/// Reverts a prepared plan, newest first, under the lock the session holds; `before_each` as
/// for [`run_up`]. Returns how many were reverted.
pub async fn run_down<B: Backend>(
    session: &mut Session<B>,
    plan: &DownPlan<'_>,
    mut before_each: impl FnMut(&Migration) -> ControlFlow<()>,
) -> Result<usize> {
    let mut reverted = 0;
    for (m, script) in plan.migrations.iter().zip(&plan.scripts) {
        if before_each(m).is_break() {
            break;
        }
        session.revert(m, script).await?;
        reverted += 1;
    }
    Ok(reverted)
}

/// Opens a read-only session for a dry run or a confirmation, runs `work` with it (`None`
/// when the database does not exist yet), and closes it.
pub async fn with_reader<B: Backend, T>(
    cfg: &Config,
    work: impl AsyncFnOnce(Option<&mut Session<B>>) -> Result<T>,
) -> Result<T> {
    match Session::<B>::open(cfg, Access::ReadOnly).await? {
        Some(mut session) => {
            let result = work(Some(&mut session)).await;
            let closed = session.close().await;
            let value = result?;
            closed?;
            Ok(value)
        }
        None => work(None).await,
    }
}

/// The tracking rows, without creating or locking anything (empty when there is no database
/// or no tracking table yet).
pub async fn read_applied<B: Backend>(cfg: &Config) -> Result<Vec<AppliedRow>> {
    with_reader::<B, _>(cfg, async |session| rows_of(session).await).await
}

/// The up script recorded when `version` was applied, read without locking or creating
/// anything (none when it was not recorded).
pub async fn read_recorded<B: Backend>(cfg: &Config, version: i64) -> Result<Option<String>> {
    with_reader::<B, _>(cfg, async |session| match session {
        Some(s) => s.recorded_script(version).await,
        None => Ok(None),
    })
    .await
}

/// The down script recorded when `version` was applied (or its edit accepted), read like
/// [`read_recorded`].
pub async fn read_recorded_down<B: Backend>(cfg: &Config, version: i64) -> Result<Option<String>> {
    with_reader::<B, _>(cfg, async |session| match session {
        Some(s) => s.recorded_down_script(version).await,
        None => Ok(None),
    })
    .await
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
