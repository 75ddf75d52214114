//! The verify engine: proves, in a scratch database, that each down script undoes its up script
//! (SPEC §8), and returns what it found as a [`Report`].
//!
//! For each migration in order: snapshot the schema, apply the up script, apply the down script,
//! snapshot again — the two snapshots must be equal — then apply the up script again, so that the
//! next migration starts where it would in production. Irreversible migrations are applied and
//! not reverted. A migration whose down fails outside a transaction, leaves the schema different
//! or keeps its up from running again leaves the scratch database in a state production never
//! sees, so the run rebuilds it (drops it, makes it again and applies the ups up to and
//! including that migration) and goes on with the next one: one run finds every broken
//! migration (`--fail-fast` stops at the first instead). Only an up script that fails after the
//! ups before it stops the run, since every later migration builds on it. The scratch database lives on the configured database's server (a temporary file
//! for SQLite) and is dropped at the end, also when the run fails or is cancelled; the configured
//! database itself is only ever connected to in order to create and drop the scratch one.
//!
//! The engine never prints. It says what it does as [`Event`]s to the config's observer (the
//! scratch database created and dropped, each migration as it starts, a run that verified
//! everything), hands each [`Problem`] to the caller's `on_problem` as soon as it is found, and
//! returns them all in the report. It installs no signal handler: the caller passes the future
//! that cancels the run (the command line passes Ctrl-C).

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use build_support::lock_model::ServerVersion;
use build_support::{Dialect, Migration, MigrationSet, ParsedStatement};

use crate::backend::{Access, Backend, with_backend};
use crate::config::Config;
use crate::db_url::{DbKind, DbUrl};
use crate::error::{Error, Result};
use crate::events::{Event, Observer, VerifyStep};
use crate::locks::MigrationLocks;
use crate::script::{Script, prepare_all};
use crate::session::Session;
use crate::snapshot::{Difference, diff};

/// Which migrations a run verifies, and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Verify from this version on; the migrations before it are applied, not verified.
    pub from: Option<i64>,
    /// Verify up to and including this version; later migrations are not run.
    pub to: Option<i64>,
    /// Stop at the first migration whose down script fails or does not undo its up script.
    pub fail_fast: bool,
    /// Read the whole schema for every snapshot, not only what changed.
    pub full_snapshots: bool,
    /// Trace the locks of each checked migration's up script (PostgreSQL only; see
    /// [`crate::locks`]): its statements run once more in a transaction that is rolled back,
    /// before the up script is applied as usual.
    pub locks: bool,
}

/// What a run found.
#[derive(Debug)]
pub struct Report<'s> {
    /// The scratch database (its name, or its file for SQLite); `None` when there was nothing
    /// to verify and none was created.
    pub scratch: Option<String>,
    /// The migrations the run got to, in order.
    pub migrations: Vec<Checked<'s>>,
    /// Why the run stopped before the end.
    pub stopped: Option<Stop>,
    /// The scratch database could not be dropped: what to drop by hand.
    pub not_dropped: Option<Error>,
    /// With [`Options::locks`] on PostgreSQL: the server's version, as it says it, which the
    /// lock model's predictions are for.
    pub traced_on: Option<String>,
}

/// One migration of the run.
#[derive(Debug)]
pub struct Checked<'s> {
    pub migration: &'s Migration,
    pub step: VerifyStep,
    /// In the order they were found.
    pub problems: Vec<Problem>,
    /// The locks of its up script, when they were traced ([`Options::locks`]).
    pub locks: Option<MigrationLocks>,
}

/// Something wrong with one migration.
#[derive(Debug)]
pub enum Problem {
    /// It has no down script and is not marked irreversible, so it cannot be verified.
    NoDown,
    /// Its up script failed after the migrations before it; the run stops there.
    UpFailed(Error),
    /// Its down script failed right after its up script. `rolled_back`: the failed down was
    /// rolled back (transactional DDL), so later migrations are unaffected.
    DownFailed { error: Error, rolled_back: bool },
    /// After its down script the schema is not what it was before its up script.
    NotUndone(Vec<Difference>),
    /// Its up script failed when applied again after its down script; the run rebuilds its
    /// scratch database and goes on (with [`Options::fail_fast`] it stops there). `not_undone`:
    /// the down had left differences ([`Problem::NotUndone`]).
    UpFailedAgain { error: Error, not_undone: bool },
}

/// Why a run stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// [`Options::fail_fast`], after a migration failed.
    FailFast,
    /// The up script of `migration` failed (`after_down`: when applied again after its down,
    /// which stops only a [`Options::fail_fast`] run): every later migration builds on it.
    UpFailed { migration: String, after_down: bool },
    /// The `cancel` future completed.
    Cancelled,
    /// The run could not go on (a lost connection, a snapshot that could not be read), or its
    /// incremental snapshots disagreed with a full one at the end.
    Error(Error),
}

impl Checked<'_> {
    /// Its down script was proved to undo its up script.
    pub fn verified(&self) -> bool {
        self.step == VerifyStep::Verify && self.problems.is_empty()
    }

    /// It is a failure of the run: no down script, or a down that fails or does not undo the
    /// up. An up script that fails stops the run but is not counted here.
    pub fn failed(&self) -> bool {
        self.problems
            .iter()
            .any(|p| !matches!(p, Problem::UpFailed(_)))
    }
}

impl Report<'_> {
    /// Nothing was verified because there are no migrations.
    pub fn nothing_to_verify(&self) -> bool {
        self.scratch.is_none()
    }

    /// How many down scripts were proved.
    pub fn verified(&self) -> usize {
        self.migrations.iter().filter(|c| c.verified()).count()
    }

    /// How many irreversible migrations were applied without a down.
    pub fn irreversible(&self) -> usize {
        self.migrations
            .iter()
            .filter(|c| c.step == VerifyStep::Irreversible)
            .count()
    }

    /// The migrations that failed ([`Checked::failed`]).
    pub fn failed(&self) -> impl Iterator<Item = &Migration> {
        self.migrations
            .iter()
            .filter(|c| c.failed())
            .map(|c| c.migration)
    }

    /// The run went to the end and nothing failed.
    pub fn passed(&self) -> bool {
        self.stopped.is_none() && self.failed().next().is_none()
    }
}

/// Verifies a loaded, valid migration set in a scratch database made next to `cfg.url`.
///
/// Refusals (a `from` or `to` that names no migration, a script that does not split) and
/// failures to create the scratch database are errors; once it exists, everything is in the
/// report, and it is dropped whatever happens, also when `cancel` completes. `cancel` is polled
/// once before the scratch database is created, so that a future that arms itself when first
/// polled (`tokio::signal::ctrl_c()`) is armed by then. `on_problem` sees each problem as it is
/// found, before the report has it.
pub async fn verify<'s>(
    cfg: &Config,
    set: &'s MigrationSet,
    options: &Options,
    cancel: impl Future<Output = ()>,
    on_problem: impl FnMut(&Migration, &Problem),
) -> Result<Report<'s>> {
    let steps = plan(cfg, set, options)?;
    if !steps.iter().any(|s| s.verify) {
        return Ok(Report {
            scratch: None,
            migrations: Vec::new(),
            stopped: None,
            not_dropped: None,
            traced_on: None,
        });
    }
    with_backend!(cfg.url.kind, B => in_scratch::<B>(cfg, &steps, options, cancel, on_problem).await)
}

/// One migration of the run, its scripts split before anything runs.
struct Step<'a> {
    migration: &'a Migration,
    up: Script<'a>,
    down: Option<Script<'a>>,
    /// False before `from`: applied to reach the starting point, not verified.
    verify: bool,
    /// With locks traced: the up's statements as the replay of the whole set analysed them,
    /// with what their operations reach that they do not name (a dropped foreign key's
    /// referenced table) resolved from the schema before them.
    analysed: Vec<ParsedStatement>,
}

fn plan<'a>(cfg: &Config, set: &'a MigrationSet, options: &Options) -> Result<Vec<Step<'a>>> {
    for (flag, version) in [("--from", options.from), ("--to", options.to)] {
        if let Some(v) = version
            && set.get(v).is_none()
        {
            return Err(Error::config(
                format!("{flag} {v}: there is no migration with that version"),
                Some("`cargo migrate status` lists the versions".to_owned()),
            ));
        }
    }
    if let (Some(from), Some(to)) = (options.from, options.to)
        && from > to
    {
        return Err(Error::config(
            format!("--from {from} is newer than --to {to}: there is nothing to verify"),
            Some("give the older version to --from".to_owned()),
        ));
    }
    // With their places in the set (the analysis's facts are parallel to it).
    let chosen: Vec<(usize, &Migration)> = set
        .migrations
        .iter()
        .enumerate()
        .filter(|(_, m)| options.to.is_none_or(|to| m.version <= to))
        .collect();
    let scripts = prepare_all(
        chosen
            .iter()
            .map(|(_, m)| m)
            .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref())),
        cfg.url.kind.dialect(),
        &cfg.dir_display,
    )?;
    // The lock model's predictions need the schema each statement runs on.
    let mut analysis = (options.locks && cfg.url.kind == DbKind::Postgres)
        .then(|| build_support::analysis::analyze(set, Dialect::Postgres));
    let mut scripts = scripts.into_iter();
    let mut steps = Vec::new();
    for (i, m) in chosen {
        let (Some(up), down) = (scripts.next(), m.down.as_ref().and_then(|_| scripts.next()))
        else {
            unreachable!("one script per file");
        };
        steps.push(Step {
            migration: m,
            up,
            down,
            verify: options.from.is_none_or(|from| m.version >= from),
            analysed: analysis
                .as_mut()
                .and_then(|a| a.migrations.get_mut(i))
                .map(|facts| std::mem::take(&mut facts.up.statements))
                .unwrap_or_default(),
        });
    }
    Ok(steps)
}

/// The schema `migrations` build: their up scripts applied in order, through the migrator's
/// `Session`, in a scratch database made next to `cfg.url` and dropped on every path (for
/// `import --verify` and `baseline --verify`, which compare it with the live database's).
pub async fn replay_schema<B: Backend>(
    cfg: &Config,
    migrations: &[&Migration],
    dir: &str,
) -> Result<crate::snapshot::Snapshot> {
    let scratch = B::scratch_url(&cfg.url, &scratch_name())?;
    let scripts = prepare_all(
        migrations.iter().map(|m| &m.up),
        cfg.url.kind.dialect(),
        dir,
    )?;
    B::create_scratch(&cfg.url, &scratch).await?;
    let database = shown(&scratch);
    cfg.events.report(Event::ScratchCreated {
        database: database.clone(),
    });
    let mut in_scratch = cfg.clone();
    in_scratch.url = scratch.clone();
    let result = async {
        let mut session = Session::<B>::open(&in_scratch, Access::ReadWrite)
            .await?
            .expect("a writing session always connects or fails");
        let mut applied = Ok(());
        for (m, script) in migrations.iter().zip(&scripts) {
            if let Err(e) = session.apply(m, script).await {
                applied = Err(e);
                break;
            }
        }
        let closed = session.close().await;
        applied?;
        closed?;
        let Some(mut probe) = B::connect(&scratch, Access::ReadOnly).await? else {
            return Err(Error::refused(
                format!("the scratch database {database} disappeared"),
                "run the command again",
            ));
        };
        let snapshot = probe.snapshot(&cfg.table).await;
        probe.close().await;
        snapshot
    }
    .await;
    match B::drop_scratch(&cfg.url, &scratch).await {
        Ok(()) => cfg.events.report(Event::ScratchDropped {
            database: database.clone(),
        }),
        Err(e) => cfg.events.report(Event::Warning {
            message: format!("cannot drop the scratch database {database} ({e}): drop it by hand"),
        }),
    }
    result
}

/// A name no other run picks: `cm_verify_<pid>_<nanos>`.
fn scratch_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("cm_verify_{}_{nanos}", std::process::id())
}

/// How the scratch database is named in messages: its name, or its file.
fn shown(scratch: &DbUrl) -> String {
    match (&scratch.sqlite_path, scratch.database_name()) {
        (Some(path), _) => path.display().to_string(),
        (None, Some(name)) => name,
        (None, None) => scratch.to_string(),
    }
}

/// Creates the scratch database, runs the steps in it, and drops it whatever happens.
async fn in_scratch<'s, B: Backend>(
    cfg: &Config,
    steps: &[Step<'s>],
    options: &Options,
    cancel: impl Future<Output = ()>,
    mut on_problem: impl FnMut(&Migration, &Problem),
) -> Result<Report<'s>> {
    let scratch = B::scratch_url(&cfg.url, &scratch_name())?;
    // With a wait, wait for the server first; any other connection problem (the configured
    // database need not exist) is left to create_scratch to report.
    if cfg.wait.is_some() {
        match crate::backend::connect::<B>(&cfg.url, Access::ReadOnly, cfg.wait, &cfg.events).await
        {
            Ok(Some(db)) => db.close().await,
            Err(e @ Error::Unreachable { .. }) => return Err(e),
            Ok(None) | Err(_) => {}
        }
    }
    // Polled once here, a cancellation that arms itself when polled (a signal handler) is
    // armed: from here on it no longer ends the process but is noticed below, after the
    // scratch database exists, so that it is always dropped.
    let mut cancel = pin!(cancel);
    let mut cancelled = false;
    std::future::poll_fn(|cx| {
        cancelled = cancel.as_mut().poll(cx).is_ready();
        Poll::Ready(())
    })
    .await;
    B::create_scratch(&cfg.url, &scratch).await?;
    let database = shown(&scratch);
    cfg.events.report(Event::ScratchCreated {
        database: database.clone(),
    });
    let mut in_scratch = cfg.clone();
    in_scratch.url = scratch.clone();
    let mut report = Report {
        scratch: Some(database.clone()),
        migrations: Vec::new(),
        stopped: None,
        not_dropped: None,
        traced_on: None,
    };
    // The ups of `steps[..start]` are replayed without being verified: 0 at first, and after a
    // rebuild every migration up to the one that left the database in a state of its own.
    let mut start = 0;
    loop {
        let outcome = tokio::select! {
            biased;
            () = async {
                if !cancelled {
                    cancel.as_mut().await;
                }
            } => None,
            result = run_steps::<B>(&in_scratch, steps, start, options, &mut report, &mut on_problem) => Some(result),
        };
        match outcome {
            None => report.stopped = Some(Stop::Cancelled),
            Some(Err(e)) => report.stopped = Some(Stop::Error(e)),
            Some(Ok(Ran::ToTheEnd)) => {}
            Some(Ok(Ran::Rebuild { applied })) => {
                let made_again = match B::drop_scratch(&cfg.url, &scratch).await {
                    Ok(()) => B::create_scratch(&cfg.url, &scratch).await,
                    Err(e) => Err(e),
                };
                match made_again {
                    Ok(()) => {
                        cfg.events.report(Event::ScratchRebuilt {
                            database: database.clone(),
                            after: steps[applied - 1].migration.name(),
                        });
                        start = applied;
                        continue;
                    }
                    Err(e) => report.stopped = Some(Stop::Error(e)),
                }
            }
        }
        break;
    }
    match B::drop_scratch(&cfg.url, &scratch).await {
        Ok(()) => cfg.events.report(Event::ScratchDropped { database }),
        Err(e) => {
            let by_hand = match &scratch.sqlite_path {
                Some(path) => format!("remove {} by hand", path.display()),
                None => format!("drop it by hand: DROP DATABASE {database}"),
            };
            report.not_dropped = Some(Error::refused(
                format!("cannot drop the scratch database {database}: {e}"),
                by_hand,
            ));
        }
    }
    Ok(report)
}

/// How [`run_steps`] ended, when nothing stopped the run.
enum Ran {
    ToTheEnd,
    /// A migration left the scratch database in a state of its own: the run goes on in a new
    /// one with the ups of the first `applied` steps.
    Rebuild {
        applied: usize,
    },
}

/// Runs the steps on a session and a snapshot connection of the scratch database: the ups of
/// `steps[..start]` (already verified, or before `--from`) without a report, then the rest. An
/// error is what stopped the run; everything else is in `report`.
async fn run_steps<'s, B: Backend>(
    cfg: &Config,
    steps: &[Step<'s>],
    start: usize,
    options: &Options,
    report: &mut Report<'s>,
    on_problem: &mut impl FnMut(&Migration, &Problem),
) -> Result<Ran> {
    let mut session = Session::<B>::open(cfg, Access::ReadWrite)
        .await?
        .expect("a writing session always connects or fails");
    // The tracking table is there before the first snapshot, so that no step sees it made.
    if let Err(e) = session.ensure_table().await {
        let _ = session.close().await;
        return Err(e);
    }
    // Snapshots are read on a connection of their own, next to the session's.
    let probe = match B::connect(&cfg.url, Access::ReadOnly).await {
        Ok(Some(probe)) => probe,
        Ok(None) => {
            let _ = session.close().await;
            return Err(Error::refused(
                format!("the scratch database {} disappeared", shown(&cfg.url)),
                "is something else cleaning the temporary directory? run `cargo migrate verify` again",
            ));
        }
        Err(e) => {
            let _ = session.close().await;
            return Err(e);
        }
    };
    let mut probe = probe;
    let result = async {
        let tracked = !options.full_snapshots && probe.track_changes(&cfg.table).await?;
        // Only PostgreSQL's locks can be traced (the other backends have no lock view of a
        // session of their own, or no transactional DDL).
        let lock_model = if options.locks && cfg.url.kind == DbKind::Postgres {
            let version = session.server_version().await?;
            let parsed = ServerVersion::parse(&version)
                .unwrap_or_else(|| ServerVersion::default_for(Dialect::Postgres));
            report.traced_on = Some(version);
            Some(parsed)
        } else {
            None
        };
        let mut run = Run {
            session: &mut session,
            probe: &mut probe,
            table: &cfg.table,
            events: &cfg.events,
            fail_fast: options.fail_fast,
            lock_model,
            report: &mut *report,
            on_problem: &mut *on_problem,
        };
        run.replay(&steps[..start]).await?;
        if let Some(applied) = run.steps(&steps[start..]).await? {
            return Ok(Ran::Rebuild {
                applied: start + applied,
            });
        }
        if tracked {
            cross_check::<B>(cfg, &mut probe).await?;
        }
        Ok::<Ran, Error>(Ran::ToTheEnd)
    }
    .await;
    probe.close().await;
    let closed = session.close().await;
    let ran = result?;
    closed?;
    if matches!(ran, Ran::ToTheEnd) && report.passed() {
        cfg.events.report(Event::Verified {
            migrations: report.verified(),
            irreversible: report.irreversible(),
        });
    }
    Ok(ran)
}

/// Snapshots that only read what changed are checked once, at the end, against one that reads
/// everything: if they disagree, the run's results cannot be trusted.
async fn cross_check<B: Backend>(cfg: &Config, probe: &mut B) -> Result<()> {
    let kept = probe.snapshot(&cfg.table).await?;
    let Some(mut fresh_probe) = B::connect(&cfg.url, Access::ReadOnly).await? else {
        return Ok(());
    };
    let fresh = fresh_probe.snapshot(&cfg.table).await;
    fresh_probe.close().await;
    let fresh = fresh?;
    if fresh == kept {
        return Ok(());
    }
    let differences = diff(&fresh, &kept);
    let first = differences
        .first()
        .map_or_else(|| "the database kind".to_owned(), |d| d.object.clone());
    Err(Error::refused(
        format!(
            "verify's incremental snapshots disagree with the catalogs at the end of the run ({} object(s), the first: {first}), so its results cannot be trusted",
            differences.len().max(1)
        ),
        "run `cargo migrate verify --full-snapshots`, which reads the whole schema for every snapshot, and please report this as a bug",
    ))
}

/// The steps in progress: where each migration runs and where what it finds goes.
struct Run<'r, 's, B: Backend, F> {
    session: &'r mut Session<B>,
    probe: &'r mut B,
    table: &'r str,
    events: &'r Observer,
    fail_fast: bool,
    /// The version the lock model predicts for, when locks are traced.
    lock_model: Option<ServerVersion>,
    report: &'r mut Report<'s>,
    on_problem: &'r mut F,
}

impl<'s, B: Backend, F: FnMut(&Migration, &Problem)> Run<'_, 's, B, F> {
    /// Starts the report of a migration.
    fn start(&mut self, migration: &'s Migration, step: VerifyStep) {
        self.report.migrations.push(Checked {
            migration,
            step,
            problems: Vec::new(),
            locks: None,
        });
    }

    /// With locks traced, traces the up script of the current migration (before it is
    /// applied, in a transaction rolled back) and records what it took.
    async fn trace(&mut self, step: &Step<'s>) -> Result<()> {
        let Some(version) = self.lock_model else {
            return Ok(());
        };
        let locks = if step.up.no_transaction() {
            Some(MigrationLocks::NotTraced)
        } else {
            self.session
                .trace(&step.up)
                .await?
                .map(|trace| MigrationLocks::Traced {
                    statements: crate::locks::statements(
                        &step.up.file.text,
                        &step.analysed,
                        &trace,
                        version,
                    ),
                    failed: trace.failed,
                })
        };
        if let Some(checked) = self.report.migrations.last_mut() {
            checked.locks = locks;
        }
        Ok(())
    }

    /// Says that a migration runs.
    fn announce(&self, migration: &Migration, step: VerifyStep) {
        self.events.report(Event::Verifying {
            migration: migration.name(),
            step,
        });
    }

    /// Records a problem of the current migration and hands it to `on_problem`.
    fn found(&mut self, problem: Problem) {
        let checked = self
            .report
            .migrations
            .last_mut()
            .expect("a problem is found in a started migration");
        (self.on_problem)(checked.migration, &problem);
        checked.problems.push(problem);
    }

    fn stop(&mut self, stop: Stop) {
        self.report.stopped = Some(stop);
    }

    /// Applies the up script; `false` (the run stops) when it fails.
    async fn apply(&mut self, step: &Step<'s>) -> bool {
        match self.session.apply(step.migration, &step.up).await {
            Ok(_) => true,
            Err(e) => {
                self.found(Problem::UpFailed(e));
                self.stop(Stop::UpFailed {
                    migration: step.migration.name(),
                    after_down: false,
                });
                false
            }
        }
    }

    /// Applies the ups of steps that ran before, in a rebuilt scratch database. They succeeded
    /// then, so a failure now is an error of the run.
    async fn replay(&mut self, steps: &[Step<'s>]) -> Result<()> {
        for step in steps {
            if let Err(e) = self.session.apply(step.migration, &step.up).await {
                return Err(Error::refused(
                    format!(
                        "the up script of {} failed when verify applied it again to rebuild its scratch database, although it had succeeded there before: {e}",
                        step.migration.name()
                    ),
                    "does the migration depend on something outside the database (the time, a random value, another database)? run `cargo migrate verify --fail-fast` to stop at the first broken migration instead",
                ));
            }
        }
        Ok(())
    }

    /// Runs the steps; `Some(n)` when the scratch database must be rebuilt with the ups of the
    /// first `n` of them before the run goes on.
    async fn steps(&mut self, steps: &[Step<'s>]) -> Result<Option<usize>> {
        // A rebuild after the last step would change nothing the run still looks at.
        let rebuild = |i: usize| (i + 1 < steps.len()).then_some(i + 1);
        for (i, step) in steps.iter().enumerate() {
            let m = step.migration;
            if !step.verify {
                self.start(m, VerifyStep::BeforeFrom);
                self.announce(m, VerifyStep::BeforeFrom);
                if !self.apply(step).await {
                    return Ok(None);
                }
                continue;
            }
            let Some(down) = &step.down else {
                let kind = if m.up_only || m.directives().irreversible.is_some() {
                    VerifyStep::Irreversible
                } else {
                    VerifyStep::NoDown
                };
                self.start(m, kind);
                if kind == VerifyStep::NoDown {
                    self.found(Problem::NoDown);
                }
                self.announce(m, kind);
                self.trace(step).await?;
                if !self.apply(step).await {
                    return Ok(None);
                }
                if self.fail_fast && kind == VerifyStep::NoDown {
                    self.stop(Stop::FailFast);
                    return Ok(None);
                }
                continue;
            };
            self.start(m, VerifyStep::Verify);
            self.announce(m, VerifyStep::Verify);
            let before = self.probe.snapshot(self.table).await?;
            self.trace(step).await?;
            if !self.apply(step).await {
                return Ok(None);
            }
            if let Err(error) = self.session.revert(m, down).await {
                let rolled_back = B::TRANSACTIONAL_DDL && !down.no_transaction();
                self.found(Problem::DownFailed { error, rolled_back });
                if self.fail_fast {
                    self.stop(Stop::FailFast);
                    return Ok(None);
                }
                // Rolled back, the up is still applied as in production; otherwise part of
                // the down may have stayed.
                if rolled_back {
                    continue;
                }
                return Ok(rebuild(i));
            }
            let after = self.probe.snapshot(self.table).await?;
            let differences = diff(&before, &after);
            let not_undone = !differences.is_empty();
            if not_undone {
                self.found(Problem::NotUndone(differences));
                if self.fail_fast {
                    self.stop(Stop::FailFast);
                    return Ok(None);
                }
            }
            if let Err(error) = self.session.apply(m, &step.up).await {
                self.found(Problem::UpFailedAgain { error, not_undone });
                if self.fail_fast {
                    self.stop(Stop::UpFailed {
                        migration: m.name(),
                        after_down: true,
                    });
                    return Ok(None);
                }
                return Ok(rebuild(i));
            }
            // What the down left is still there under the up applied again.
            if not_undone {
                return Ok(rebuild(i));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    static FILES: &[(&str, &[u8])] = &[
        ("1_users.up.sql", b"CREATE TABLE users (id INT);"),
        ("1_users.down.sql", b"DROP TABLE users;"),
        (
            "2_index.up.sql",
            b"CREATE INDEX IF NOT EXISTS users_id_idx ON users (id);",
        ),
        ("2_index.down.sql", b"SELECT 1;"),
        ("3_seed.sql", b"INSERT INTO users VALUES (1);"),
    ];

    /// A config on a SQLite database that is never created, and the status lines its events
    /// would print.
    fn config(dir: &tempfile::TempDir) -> (Config, Arc<Mutex<Vec<String>>>) {
        let url = DbUrl::parse(&format!("sqlite:{}", dir.path().join("app.db").display())).unwrap();
        let mut cfg = Config::embedded(url, "_migrations", "migrations").unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        cfg.events = crate::events::Observer::new(move |e: &Event| {
            sink.lock().unwrap().push(format!("{} {e}", e.verb()));
        });
        (cfg, seen)
    }

    /// `verify` with the default options, never cancelled, problems only in the report.
    fn verify_all<'s>(cfg: &Config, set: &'s MigrationSet) -> Report<'s> {
        verify_with(cfg, set, &Options::default())
    }

    /// `verify` with `options`, never cancelled, problems only in the report.
    fn verify_with<'s>(cfg: &Config, set: &'s MigrationSet, options: &Options) -> Report<'s> {
        block_on(verify(cfg, set, options, std::future::pending(), |_, _| {})).unwrap()
    }

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn the_report_holds_what_the_run_found_and_the_scratch_database_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, seen) = config(&dir);
        let set = MigrationSet::from_files("migrations", FILES.iter().copied());
        let mut found = Vec::new();
        let report = block_on(verify(
            &cfg,
            &set,
            &Options::default(),
            std::future::pending(),
            |m, p| found.push(format!("{} {p:?}", m.name())),
        ))
        .unwrap();

        let scratch = report.scratch.clone().unwrap();
        assert!(!std::path::Path::new(&scratch).exists(), "{scratch}");
        assert!(
            !dir.path().join("app.db").exists(),
            "the configured database was created"
        );
        let steps: Vec<_> = report
            .migrations
            .iter()
            .map(|c| (c.migration.name(), c.step, c.problems.len()))
            .collect();
        assert_eq!(
            steps,
            [
                ("1_users".to_owned(), VerifyStep::Verify, 0),
                ("2_index".to_owned(), VerifyStep::Verify, 1),
                ("3_seed".to_owned(), VerifyStep::Irreversible, 0),
            ]
        );
        let Problem::NotUndone(differences) = &report.migrations[1].problems[0] else {
            panic!("{:?}", report.migrations[1].problems);
        };
        assert_eq!(
            differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["index users_id_idx is left after down"]
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("2_index NotUndone"), "{found:?}");
        assert_eq!((report.verified(), report.irreversible()), (1, 1));
        assert_eq!(
            report.failed().map(Migration::name).collect::<Vec<_>>(),
            ["2_index"]
        );
        assert!(report.stopped.is_none() && report.not_dropped.is_none());
        assert!(!report.passed());
        assert_eq!(
            *seen.lock().unwrap(),
            [
                format!("Created scratch database {scratch} (dropped at the end)"),
                "Verifying 1_users".to_owned(),
                "Verifying 2_index".to_owned(),
                format!(
                    "Rebuilt scratch database {scratch} with the up scripts up to 2_index (its down left the database in a state of its own), to go on with the next migration"
                ),
                "Applying 3_seed (irreversible: applied, not reverted)".to_owned(),
                format!("Dropped scratch database {scratch}"),
            ]
        );
    }

    /// `2_index` creates its index without `IF NOT EXISTS` and its down leaves it, so its up
    /// fails when applied again; `4_more` is broken the same way.
    fn two_broken() -> Vec<(&'static str, &'static [u8])> {
        vec![
            FILES[0],
            FILES[1],
            (
                "2_index.up.sql",
                b"CREATE INDEX users_id_idx ON users (id);",
            ),
            FILES[3],
            FILES[4],
            (
                "4_more.up.sql",
                b"CREATE TABLE more (a INT); CREATE INDEX more_a ON more (a);",
            ),
            ("4_more.down.sql", b"DROP INDEX more_a;"),
            ("5_last.up.sql", b"CREATE TABLE last (a INT);"),
            ("5_last.down.sql", b"DROP TABLE last;"),
        ]
    }

    #[test]
    fn every_broken_migration_is_reported_in_one_run() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, seen) = config(&dir);
        let set = MigrationSet::from_files("migrations", two_broken());
        let report = verify_all(&cfg, &set);
        let problems = &report.migrations[1].problems;
        assert!(
            matches!(
                problems.as_slice(),
                [
                    Problem::NotUndone(_),
                    Problem::UpFailedAgain {
                        not_undone: true,
                        ..
                    }
                ]
            ),
            "{problems:?}"
        );
        assert!(report.stopped.is_none(), "{report:?}");
        let steps: Vec<_> = report
            .migrations
            .iter()
            .map(|c| (c.migration.name(), c.problems.len()))
            .collect();
        assert_eq!(
            steps,
            [
                ("1_users".to_owned(), 0),
                ("2_index".to_owned(), 2),
                ("3_seed".to_owned(), 0),
                ("4_more".to_owned(), 2),
                ("5_last".to_owned(), 0),
            ]
        );
        assert_eq!(
            report.failed().map(Migration::name).collect::<Vec<_>>(),
            ["2_index", "4_more"]
        );
        // 5_last is proved in a database rebuilt without 4_more's down: its table is the only
        // one left after its down there.
        assert!(report.migrations[4].verified());
        let seen = seen.lock().unwrap();
        let rebuilt: Vec<_> = seen.iter().filter(|l| l.starts_with("Rebuilt")).collect();
        assert_eq!(rebuilt.len(), 2, "{seen:?}");
        assert!(rebuilt[0].contains("up to 2_index"), "{rebuilt:?}");
        assert!(rebuilt[1].contains("up to 4_more"), "{rebuilt:?}");
    }

    #[test]
    fn fail_fast_stops_where_an_up_fails_after_its_down() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, _) = config(&dir);
        let set = MigrationSet::from_files("migrations", two_broken());
        let options = Options {
            fail_fast: true,
            ..Options::default()
        };
        let report = verify_with(&cfg, &set, &options);
        assert!(
            matches!(&report.stopped, Some(Stop::FailFast)),
            "{report:?}"
        );
        assert_eq!(report.migrations.len(), 2, "3_seed was run");
        assert_eq!(
            report.failed().map(Migration::name).collect::<Vec<_>>(),
            ["2_index"]
        );
    }

    #[test]
    fn a_run_that_proves_every_down_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, seen) = config(&dir);
        let set = MigrationSet::from_files("migrations", FILES.iter().copied());
        let options = Options {
            to: Some(1),
            ..Options::default()
        };
        let report = verify_with(&cfg, &set, &options);
        assert!(report.passed());
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[seen.len() - 2],
            "Verified 1 migration(s): every down script undoes its up script"
        );
    }

    #[test]
    fn a_cancelled_run_drops_the_scratch_database() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, _) = config(&dir);
        let set = MigrationSet::from_files("migrations", FILES.iter().copied());
        // Already cancelled when the engine first polls it: nothing runs.
        let report =
            block_on(verify(&cfg, &set, &Options::default(), async {}, |_, _| {})).unwrap();
        assert!(
            matches!(report.stopped, Some(Stop::Cancelled)),
            "{report:?}"
        );
        assert!(report.migrations.is_empty(), "{report:?}");
        let scratch = report.scratch.unwrap();
        assert!(!std::path::Path::new(&scratch).exists(), "{scratch}");
    }

    #[test]
    fn nothing_to_verify_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, seen) = config(&dir);
        let set = MigrationSet::from_files("migrations", []);
        let report = verify_all(&cfg, &set);
        assert!(report.nothing_to_verify());
        assert!(seen.lock().unwrap().is_empty());
    }
}
