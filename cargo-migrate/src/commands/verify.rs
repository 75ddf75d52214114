//! `cargo migrate verify`: proves, in a scratch database, that each down script undoes its up
//! script (SPEC §8).
//!
//! For each migration in order: snapshot the schema, apply the up script, apply the down script,
//! snapshot again — the two snapshots must be equal — then apply the up script again, so that the
//! next migration starts where it would in production. Irreversible migrations are applied and
//! not reverted. The scratch database lives on the configured database's server (a temporary file
//! for SQLite) and is dropped at the end, also when the run fails or is interrupted; the
//! configured database itself is only ever connected to in order to create and drop the scratch
//! one.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use build_support::{Migration, MigrationSet, ScriptSource};
use miette::{Diagnostic, SourceSpan};

use crate::backend::{Access, Backend};
use crate::cli::args::VerifyArgs;
use crate::cli::report::eprintln_report;
use crate::commands::{Ctx, protect, with_backend};
use crate::config::Config;
use crate::db_url::DbUrl;
use crate::error::{Error, Result};
use crate::script::{Script, prepare_all};
use crate::session::Session;
use crate::snapshot::{Change, Difference, diff};

pub async fn run(ctx: &Ctx, args: &VerifyArgs) -> Result<()> {
    ctx.announce_database();
    protect::refuse_scratch(ctx)?;
    let set = ctx.load_strict()?;
    verify(ctx, &set, args).await
}

/// Verifies a loaded, valid migration set (for `verify` and `check --verify`).
pub async fn verify(ctx: &Ctx, set: &MigrationSet, args: &VerifyArgs) -> Result<()> {
    let steps = plan(ctx, set, args)?;
    if !steps.iter().any(|s| s.verify) {
        ctx.status("Finished", "nothing to verify: there are no migrations");
        return Ok(());
    }
    with_backend!(ctx.cfg.url.kind, B => in_scratch::<B>(ctx, &steps, args).await)
}

/// One migration of the run, its scripts split before anything runs.
struct Step<'a> {
    migration: &'a Migration,
    up: Script<'a>,
    down: Option<Script<'a>>,
    /// False before `--from`: applied to reach the starting point, not verified.
    verify: bool,
}

fn plan<'a>(ctx: &Ctx, set: &'a MigrationSet, args: &VerifyArgs) -> Result<Vec<Step<'a>>> {
    for (flag, version) in [("--from", args.from), ("--to", args.to)] {
        if let Some(v) = version
            && set.get(v).is_none()
        {
            return Err(Error::config(
                format!("{flag} {v}: there is no migration with that version"),
                Some("`cargo migrate status` lists the versions".to_owned()),
            ));
        }
    }
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        return Err(Error::config(
            format!("--from {from} is newer than --to {to}: there is nothing to verify"),
            Some("give the older version to --from".to_owned()),
        ));
    }
    let chosen: Vec<&Migration> = set
        .migrations
        .iter()
        .filter(|m| args.to.is_none_or(|to| m.version <= to))
        .collect();
    let scripts = prepare_all(
        chosen
            .iter()
            .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref())),
        ctx.cfg.url.kind.dialect(),
        &ctx.cfg.dir_display,
    )?;
    let mut scripts = scripts.into_iter();
    let mut steps = Vec::new();
    for m in chosen {
        let (Some(up), down) = (scripts.next(), m.down.as_ref().and_then(|_| scripts.next()))
        else {
            unreachable!("one script per file");
        };
        steps.push(Step {
            migration: m,
            up,
            down,
            verify: args.from.is_none_or(|from| m.version >= from),
        });
    }
    Ok(steps)
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

/// Completes on Ctrl-C; never, where signals cannot be handled.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Creates the scratch database, runs the steps in it, and drops it whatever happens.
async fn in_scratch<B: Backend>(ctx: &Ctx, steps: &[Step<'_>], args: &VerifyArgs) -> Result<()> {
    let scratch = B::scratch_url(&ctx.cfg.url, &scratch_name())?;
    // With --wait, wait for the server first; any other connection problem (the configured
    // database need not exist) is left to create_scratch to report.
    if ctx.cfg.wait.is_some() {
        match crate::backend::connect::<B>(
            &ctx.cfg.url,
            Access::ReadOnly,
            ctx.cfg.wait,
            &ctx.cfg.events,
        )
        .await
        {
            Ok(Some(db)) => db.close().await,
            Err(e @ Error::Unreachable { .. }) => return Err(e),
            Ok(None) | Err(_) => {}
        }
    }
    // Polled once, the handler is installed: from here on Ctrl-C no longer ends the process
    // but is noticed below, after the scratch database exists, so that it is always dropped.
    let mut ctrl_c = pin!(interrupted());
    std::future::poll_fn(|cx| {
        let _ = ctrl_c.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    B::create_scratch(&ctx.cfg.url, &scratch).await?;
    ctx.status(
        "Created",
        &format!("scratch database {} (dropped at the end)", shown(&scratch)),
    );
    let mut cfg = ctx.cfg.clone();
    cfg.url = scratch.clone();
    let outcome = tokio::select! {
        biased;
        () = &mut ctrl_c => None,
        result = run_steps::<B>(ctx, &cfg, steps, args) => Some(result),
    };
    let dropped = B::drop_scratch(&ctx.cfg.url, &scratch).await.map_err(|e| {
        let by_hand = match &scratch.sqlite_path {
            Some(path) => format!("remove {} by hand", path.display()),
            None => format!("drop it by hand: DROP DATABASE {}", shown(&scratch)),
        };
        Error::refused(
            format!("cannot drop the scratch database {}: {e}", shown(&scratch)),
            by_hand,
        )
    });
    if dropped.is_ok() {
        ctx.status("Dropped", &format!("scratch database {}", shown(&scratch)));
    }
    match outcome {
        None => {
            dropped?;
            Err(Error::refused(
                "verify was interrupted",
                "the scratch database was dropped and nothing else was changed; run `cargo migrate verify` again",
            ))
        }
        Some(Err(e)) => {
            if let Err(d) = dropped {
                eprintln_report(miette::Report::new(d));
            }
            Err(e)
        }
        Some(Ok(())) => dropped,
    }
}

/// What a run found.
#[derive(Debug, Default)]
struct Tally {
    verified: usize,
    irreversible: usize,
    /// Migrations whose down failed or did not undo the up.
    failed: Vec<String>,
    /// Where the run stopped before the end, and why.
    stopped: Option<String>,
}

async fn run_steps<B: Backend>(
    ctx: &Ctx,
    cfg: &Config,
    steps: &[Step<'_>],
    args: &VerifyArgs,
) -> Result<()> {
    let mut session = Session::<B>::open(cfg, Access::ReadWrite)
        .await?
        .expect("a writing session always connects or fails");
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
    let mut tally = Tally::default();
    let result = async {
        let tracked = !args.full_snapshots && probe.track_changes(&cfg.table).await?;
        verify_steps(
            ctx,
            &mut session,
            &mut probe,
            &cfg.table,
            steps,
            args.fail_fast,
            &mut tally,
        )
        .await?;
        if tracked {
            cross_check::<B>(cfg, &mut probe).await?;
        }
        Ok::<(), Error>(())
    }
    .await;
    probe.close().await;
    let closed = session.close().await;
    result?;
    closed?;
    summarize(ctx, &tally)
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

async fn verify_steps<B: Backend>(
    ctx: &Ctx,
    session: &mut Session<B>,
    probe: &mut B,
    table: &str,
    steps: &[Step<'_>],
    fail_fast: bool,
    tally: &mut Tally,
) -> Result<()> {
    for step in steps {
        let m = step.migration;
        let name = m.name();
        if !step.verify {
            ctx.status("Applying", &format!("{name} (before --from: not verified)"));
            if let Err(e) = session.apply(m, &step.up).await {
                report_failure(e, up_failed_help(&name));
                tally.stopped = Some(format!("the up script of {name} failed"));
                return Ok(());
            }
            continue;
        }
        let Some(down) = &step.down else {
            let why = if m.up_only || m.directives().irreversible.is_some() {
                tally.irreversible += 1;
                "irreversible: applied, not reverted"
            } else {
                report_missing_down(m);
                tally.failed.push(name.clone());
                "no down script: applied, not reverted"
            };
            ctx.status("Applying", &format!("{name} ({why})"));
            if let Err(e) = session.apply(m, &step.up).await {
                report_failure(e, up_failed_help(&name));
                tally.stopped = Some(format!("the up script of {name} failed"));
                return Ok(());
            }
            if fail_fast && tally.failed.last() == Some(&name) {
                tally.stopped = Some("--fail-fast".to_owned());
                return Ok(());
            }
            continue;
        };
        ctx.status("Verifying", &name);
        let before = probe.snapshot(table).await?;
        if let Err(e) = session.apply(m, &step.up).await {
            report_failure(e, up_failed_help(&name));
            tally.stopped = Some(format!("the up script of {name} failed"));
            return Ok(());
        }
        if let Err(e) = session.revert(m, down).await {
            let help = if B::TRANSACTIONAL_DDL && !down.no_transaction() {
                format!(
                    "the down script of {name} fails right after its up script; fix the statement; the failed down was rolled back and verify went on with the next migration"
                )
            } else {
                format!(
                    "the down script of {name} fails right after its up script; fix the statement; the statements before it stay applied in the scratch database (MySQL commits schema changes at once, and `-- migrate:no-transaction` scripts run outside a transaction), so what verify reports for later migrations may follow from this one"
                )
            };
            report_failure(e, help);
            tally.failed.push(name);
            if fail_fast {
                tally.stopped = Some("--fail-fast".to_owned());
                return Ok(());
            }
            continue;
        }
        let after = probe.snapshot(table).await?;
        let differences = diff(&before, &after);
        let mismatch = !differences.is_empty();
        if mismatch {
            report_mismatch(m, &step.up, down, differences);
            tally.failed.push(name.clone());
            if fail_fast {
                tally.stopped = Some("--fail-fast".to_owned());
                return Ok(());
            }
        }
        if let Err(e) = session.apply(m, &step.up).await {
            let because = if mismatch {
                "the down leaves behind what is listed above"
            } else {
                "the down leaves data behind that the up cannot insert twice, or the up depends on something the down changes"
            };
            report_failure(
                e,
                format!(
                    "the up script of {name} fails when it runs again after its down script: {because}; verify stops here, because every later migration builds on this one"
                ),
            );
            if !mismatch {
                tally.failed.push(name.clone());
            }
            tally.stopped = Some(format!("the up script of {name} failed after its down"));
            return Ok(());
        }
        tally.verified += usize::from(!mismatch);
    }
    Ok(())
}

fn up_failed_help(name: &str) -> String {
    format!(
        "the up script of {name} fails in a new, empty database after the migrations before it; fix the statement and run `cargo migrate verify` again; verify stops here, because every later migration builds on this one"
    )
}

/// Prints a failed statement's diagnostic (`file:line:col`) with help that fits verify.
fn report_failure(error: Error, help: String) {
    let error = match error {
        Error::MigrationFailed(mut failure) => {
            failure.help = Some(help);
            Error::MigrationFailed(failure)
        }
        other => other,
    };
    eprintln_report(miette::Report::new(error));
}

fn report_missing_down(m: &Migration) {
    let down = m.up.display.replace(".up.sql", ".down.sql");
    eprintln_report(miette::Report::new(Error::refused(
        format!("{} has no down script, so it cannot be verified", m.name()),
        format!(
            "write {down}, or mark the migration irreversible with `-- migrate:irreversible <reason>` at the top of {}",
            m.up.display
        ),
    )));
}

/// One thing the down script did not bring back, in one migration.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{migration}: {message}")]
#[diagnostic(code(migrate::verify::down_does_not_undo_up))]
struct NotUndone {
    migration: String,
    message: String,
    #[source_code]
    src: Option<ScriptSource>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: String,
}

/// Prints one diagnostic per difference, each pointing into a script where the object's name
/// appears once.
fn report_mismatch(
    m: &Migration,
    up: &Script<'_>,
    down: &Script<'_>,
    differences: Vec<Difference>,
) {
    let check = format!(
        "then check it alone with `cargo migrate verify --from {v} --to {v}`",
        v = m.version
    );
    let (up_file, down_file) = (&up.file.display, &down.file.display);
    for d in differences {
        let (place, help) = match &d.change {
            Change::Left => (
                locate(
                    up,
                    &d.name,
                    "created here; the down script does not drop it",
                ),
                format!("drop it in {down_file}, {check}"),
            ),
            Change::Missing => (
                locate(down, &d.name, "dropped here").or_else(|| {
                    locate(
                        up,
                        &d.name,
                        "changed here; the down script does not restore it",
                    )
                }),
                format!(
                    "{down_file} drops it although {up_file} did not create it, or does not create again what {up_file} dropped; fix it, {check}"
                ),
            ),
            Change::Changed { attribute, .. } => (
                locate(down, &d.name, "set here by the down script").or_else(|| {
                    locate(
                        up,
                        &d.name,
                        "changed here; the down script does not restore it",
                    )
                }),
                format!(
                    "make {down_file} restore its {attribute} as it was before {up_file} ran, {check}"
                ),
            ),
        };
        let (src, span, label) = match place {
            Some((src, span, label)) => (Some(src), Some(span), label),
            None => (None, None, String::new()),
        };
        eprintln_report(miette::Report::new(NotUndone {
            migration: m.name(),
            message: d.to_string(),
            src,
            span,
            label,
            help,
        }));
    }
}

/// Where `name` appears in the script, if it appears exactly once as a whole word (anything
/// else would be a guess).
fn locate(
    script: &Script<'_>,
    name: &str,
    label: &str,
) -> Option<(ScriptSource, SourceSpan, String)> {
    let name = name.rsplit('.').next().unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    let text = &script.file.text;
    let lower = text.to_ascii_lowercase();
    let needle = name.to_ascii_lowercase();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut hits = lower.match_indices(&needle).filter(|(at, _)| {
        let before = lower.as_bytes().get(at.wrapping_sub(1)).copied();
        let after = lower.as_bytes().get(at + needle.len()).copied();
        (*at == 0 || !before.is_some_and(is_word)) && !after.is_some_and(is_word)
    });
    let (at, _) = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    Some((
        ScriptSource::new(&script.file.display, text.clone()),
        (at, needle.len()).into(),
        label.to_owned(),
    ))
}

fn summarize(ctx: &Ctx, tally: &Tally) -> Result<()> {
    let irreversible = match tally.irreversible {
        0 => String::new(),
        n => format!("; {n} irreversible migration(s) applied without a down"),
    };
    let stopped = tally
        .stopped
        .as_ref()
        .map(|why| format!("; it stopped early ({why})"))
        .unwrap_or_default();
    if tally.failed.is_empty() && tally.stopped.is_none() {
        ctx.status(
            "Verified",
            &format!(
                "{} migration(s): every down script undoes its up script{irreversible}",
                tally.verified
            ),
        );
        return Ok(());
    }
    let failed = if tally.failed.is_empty() {
        String::new()
    } else {
        format!(
            "{} migration(s) not undone by their down script: {}",
            tally.failed.len(),
            tally.failed.join(", ")
        )
    };
    Err(Error::refused(
        format!(
            "verify failed: {failed}{sep}{} verified{stopped}",
            tally.verified,
            sep = if failed.is_empty() { "" } else { "; " },
        ),
        "each problem is described above with its migration and file; fix it and run `cargo migrate verify` again (`--from V --to V` checks one migration)",
    ))
}
