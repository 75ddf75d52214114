//! `cargo migrate up`: apply pending migrations in order.

use std::time::Instant;

use build_support::lints::{Level, LintConfig, RuleId, rule};
use build_support::{Migration, MigrationSet};

use crate::backend::Backend;
use crate::cli::UpArgs;
use crate::commands::{
    Ctx, dry_run_sql, lint, protect, read_applied, read_recorded, with_backend, with_lock,
};
use crate::error::Result;
use crate::output;
use crate::runner::{
    Script, Session, State, UpOptions, apply_pending, drift_refusal, plan_up, prepare_all,
    refuse_failed, status,
};

pub async fn run(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_strict()?;
    with_backend!(ctx.cfg.url.kind, B => {
        if args.dry_run {
            dry_run::<B>(ctx, &set, args).await
        } else {
            with_lock::<B, _>(&ctx.cfg, async |session| apply(ctx, session, &set, args.to, args).await).await
        }
    })
}

async fn dry_run<B: Backend>(ctx: &Ctx, set: &MigrationSet, args: &UpArgs) -> Result<()> {
    // Refused as `apply` refuses it, though a dry run prints no warning.
    lint::config(ctx)?;
    let rows = read_applied::<B>(&ctx.cfg).await?;
    let entries = status(set, &rows);
    refuse_failed(&entries)?;
    if let Some(e) = entries.iter().find(|e| e.state == State::Modified) {
        let recorded = read_recorded::<B>(&ctx.cfg, e.version).await?;
        return Err(drift_refusal(e, recorded.as_deref()));
    }
    let plan = plan_up(
        &entries,
        args.to,
        args.allow_out_of_order,
        args.ignore_missing,
    )?;
    let scripts = prepare_all(
        plan.iter().map(|m| &m.up),
        ctx.cfg.url.kind.dialect(),
        &ctx.cfg.dir_display,
    )?;
    let items: Vec<_> = plan.iter().map(|m| m.name()).zip(&scripts).collect();
    output::stdout(&dry_run_sql("applied", &items));
    Ok(())
}

/// Applies what is pending up to `to`, under the lock the caller holds.
pub(crate) async fn apply<B: Backend>(
    ctx: &Ctx,
    session: &mut Session<B>,
    set: &MigrationSet,
    to: Option<i64>,
    args: &UpArgs,
) -> Result<()> {
    let options = UpOptions {
        to,
        allow_out_of_order: args.allow_out_of_order,
        ignore_missing: args.ignore_missing,
    };
    // The lint levels are read (and a bad one refused) as `lint` does, before anything runs.
    let lint_config = lint::config(ctx)?;
    let start = Instant::now();
    let protected = protect::protected(ctx);
    let on_plan = |plan: &[&Migration], scripts: &[Script<'_>]| {
        warn_of_empty_scripts(&lint_config, plan, scripts);
        if let Some(env) = &protected {
            // On a protected environment the plan is shown before anything runs, even with -q.
            output::status_always(
                "Plan",
                &format!(
                    "{} migration(s) to apply to the protected environment `{env}`, in this order:",
                    plan.len()
                ),
            );
            for m in plan {
                output::status_always("Plan", &format!("  {} ({})", m.name(), m.up.display));
            }
        }
    };
    let applied = apply_pending(session, set, options, &ctx.cfg.dir_display, on_plan, |m| {
        ctx.status("Applying", &m.name())
    })
    .await?;
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

/// The build and `lint` deny an up script with no statement (rule `empty-up-script`); a
/// project that runs neither still hears of one before it is recorded as applied. Not when
/// the rule is allowed, in the config or by the migration.
fn warn_of_empty_scripts(config: &LintConfig, plan: &[&Migration], scripts: &[Script<'_>]) {
    const RULE: RuleId = RuleId::EmptyUpScript;
    if config.level(rule(RULE)) == Level::Allow {
        return;
    }
    for (m, script) in plan.iter().zip(scripts) {
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
