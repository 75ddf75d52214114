//! `cargo migrate up`: apply pending migrations in order.

use std::time::Instant;

use build_support::MigrationSet;

use crate::backend::Backend;
use crate::cli::UpArgs;
use crate::commands::{Ctx, dry_run_sql, read_applied, with_backend, with_lock};
use crate::error::Result;
use crate::output;
use crate::runner::{Session, plan_up, prepare_all, refuse_transaction_control, status};

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
    let rows = read_applied::<B>(&ctx.cfg).await?;
    let entries = status(set, &rows);
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
    let rows = session.applied().await?;
    let entries = status(set, &rows);
    let plan = plan_up(&entries, to, args.allow_out_of_order, args.ignore_missing)?;
    if plan.is_empty() {
        ctx.status("Finished", "nothing to apply: the database is up to date");
        return Ok(());
    }
    let scripts = prepare_all(
        plan.iter().map(|m| &m.up),
        session.dialect(),
        &ctx.cfg.dir_display,
    )?;
    refuse_transaction_control::<B>(&scripts, &ctx.cfg.dir_display)?;
    let start = Instant::now();
    for (m, script) in plan.iter().zip(&scripts) {
        ctx.status("Applying", &m.name());
        session.apply(m, script).await?;
    }
    ctx.status(
        "Finished",
        &format!(
            "applied {} migration(s) in {}; the database is at {}",
            plan.len(),
            output::duration(i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX)),
            plan.last().map(|m| m.name()).unwrap_or_default()
        ),
    );
    Ok(())
}
