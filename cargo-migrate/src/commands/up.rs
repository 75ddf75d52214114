//! `cargo migrate up`: apply pending migrations in order.

use std::time::Instant;

use build_support::MigrationSet;
use build_support::lints::{Level, LintConfig, RuleId, rule};

use crate::backend::Backend;
use crate::cli::args::UpArgs;
use crate::cli::interrupt::Run;
use crate::cli::output;
use crate::cli::report::dry_run_sql;
use crate::commands::{Ctx, lint, protect, with_backend, with_lock, with_reader};
use crate::error::{Error, Result};
use crate::events::Observer;
use crate::migrate::{UpPlan, apply_pending, prepare_up};
use crate::plan::UpOptions;
use crate::session::Session;

pub async fn run(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    ctx.announce_database();
    let set = match ctx.load_strict() {
        Ok(set) => set,
        // Files in another tool's layout: the database it migrated says which.
        Err(e @ Error::Invalid { .. }) => {
            let found =
                with_backend!(ctx.cfg.url.kind, B => crate::foreign::find::<B>(&ctx.cfg).await);
            return Err(found.map_or(e, |found| crate::foreign::refusal(&found)));
        }
        Err(e) => return Err(e),
    };
    with_backend!(ctx.cfg.url.kind, B => {
        if args.dry_run {
            dry_run::<B>(ctx, &set, args).await
        } else {
            refuse_before_creating::<B>(ctx, &set, args).await?;
            with_lock::<B, _>(&ctx.cfg, async |session| apply(ctx, session, &set, args.to, args, true).await).await
        }
    })
}

/// The plan and SQL of `up`, read without the lock: the same [`prepare_up`] as the run, so it
/// refuses exactly what the run would refuse.
async fn dry_run<B: Backend>(ctx: &Ctx, set: &MigrationSet, args: &UpArgs) -> Result<()> {
    // Refused as `apply` refuses it, though a dry run prints no warning.
    lint::config(ctx)?;
    let options = UpOptions::from(args);
    let dialect = ctx.cfg.url.kind.dialect();
    let plan = with_reader::<B, _>(&ctx.cfg, async |session| {
        prepare_up::<B>(
            session,
            set,
            options,
            dialect,
            &ctx.cfg.dir_display,
            &ctx.cfg.events,
        )
        .await
    })
    .await?;
    output::stdout(&dry_run_sql("applied", &plan.migrations, &plan.scripts));
    Ok(())
}

/// A refused `up` leaves no trace. The run's session creates a SQLite file that is not there
/// yet (and the tracking table in it) before it plans, so for such a file the plan is
/// prepared first: with no tracking rows to read, exactly as the run would prepare it.
async fn refuse_before_creating<B: Backend>(
    ctx: &Ctx,
    set: &MigrationSet,
    args: &UpArgs,
) -> Result<()> {
    if ctx.cfg.url.sqlite_path.as_ref().is_none_or(|p| p.exists()) {
        return Ok(());
    }
    lint::config(ctx)?;
    let options = UpOptions::from(args);
    let dialect = ctx.cfg.url.kind.dialect();
    let dir = &ctx.cfg.dir_display;
    prepare_up::<B>(None, set, options, dialect, dir, &Observer::silent()).await?;
    Ok(())
}

/// Applies what is pending up to `to`, under the lock the caller holds (saying `Finished`
/// when `say_finished`).
pub(crate) async fn apply<B: Backend>(
    ctx: &Ctx,
    session: &mut Session<B>,
    set: &MigrationSet,
    to: Option<i64>,
    args: &UpArgs,
    say_finished: bool,
) -> Result<()> {
    let options = UpOptions {
        to,
        ..UpOptions::from(args)
    };
    // The lint levels are read (and a bad one refused) as `lint` does, before anything runs.
    let lint_config = lint::config(ctx)?;
    let start = Instant::now();
    let protected = protect::protected(ctx);
    let run = Run::start("Applying");
    let on_plan = |plan: &UpPlan<'_>| {
        run.planned(plan.migrations.len());
        warn_of_empty_scripts(&lint_config, plan);
        if let Some(env) = &protected {
            // On a protected environment the plan is shown before anything runs, even with -q.
            output::status_always(
                "Plan",
                &format!(
                    "{} migration(s) to apply to the protected environment `{env}`, in this order:",
                    plan.migrations.len()
                ),
            );
            for m in &plan.migrations {
                output::status_always("Plan", &format!("  {} ({})", m.name(), m.up.display));
            }
        }
    };
    let dir = &ctx.cfg.dir_display;
    let events = &ctx.cfg.events;
    let applied = apply_pending(session, set, options, dir, events, on_plan, |m| {
        run.next(&m.name())
    })
    .await?;
    if run.stopped() {
        return Err(stopped(session, "applied", applied.len()).await);
    }
    if !say_finished {
        return Ok(());
    }
    let Some(last) = applied.last() else {
        ctx.status("Finished", "nothing to apply: the database is up to date");
        return Ok(());
    };
    ctx.status(
        "Finished",
        &format!(
            "applied {} migration(s) in {}; the database is at {}",
            applied.len(),
            output::duration(i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX)),
            last.name
        ),
    );
    Ok(())
}

/// Where the database stands, from its tracking rows: "the database is at 2_add_users", or
/// "no migration is applied".
pub(crate) fn where_it_stands(rows: &[crate::state::AppliedRow]) -> String {
    rows.iter()
        .filter(|r| r.success)
        .max_by_key(|r| r.version)
        .map_or("no migration is applied".to_owned(), |r| {
            format!("the database is at {}_{}", r.version, r.description)
        })
}

/// The error of a run Ctrl-C stopped after `done` migrations were `verb` (applied, reverted):
/// where the database is now, read again, and what is left.
pub(crate) async fn stopped<B: Backend>(
    session: &mut Session<B>,
    verb: &str,
    done: usize,
) -> Error {
    let at = match session.applied().await {
        Ok(rows) => where_it_stands(&rows),
        Err(e) => format!("the database is in a state that could not be read ({e})"),
    };
    let (rest, again) = match verb {
        "reverted" => ("the rest are still applied", "cargo migrate down"),
        _ => ("the rest are still pending", "cargo migrate up"),
    };
    Error::Interrupted {
        message: format!(
            "stopped by Ctrl-C after {done} migration(s) were {verb}, each one whole; {at}, and {rest}"
        ),
        help: format!("`cargo migrate status` shows each one; run `{again}` to go on"),
    }
}

/// The build and `lint` deny an up script with no statement (rule `empty-up-script`); a
/// project that runs neither still hears of one before it is recorded as applied. Not when
/// the rule is allowed, in the config or by the migration.
fn warn_of_empty_scripts(config: &LintConfig, plan: &UpPlan<'_>) {
    const RULE: RuleId = RuleId::EmptyUpScript;
    if config.level(rule(RULE)) == Level::Allow {
        return;
    }
    for (m, script) in plan.migrations.iter().zip(&plan.scripts) {
        if script.statements.is_empty()
            && !m.directives().allow.iter().any(|a| a.rule == RULE.as_str())
        {
            output::warning(&format!(
                "{} has no statement: {} will be recorded as applied although nothing runs (`cargo migrate lint` reports this as `{RULE}`)",
                m.up.display,
                m.name()
            ));
        }
    }
}
