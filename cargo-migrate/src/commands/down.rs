//! `cargo migrate down` and `cargo migrate redo`.

use build_support::MigrationSet;

use crate::backend::Backend;
use crate::cli::{DownArgs, UpArgs};
use crate::commands::{Ctx, dry_run_sql, protect, read_applied, up, with_backend, with_lock};
use crate::error::{Error, Result};
use crate::output;
use crate::runner::{DownTo, Session, plan_down, prepare_all, refuse_transaction_control, status};

pub async fn run(ctx: &Ctx, args: &DownArgs) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_strict()?;
    let sel = &args.selection;
    let to = match (sel.steps, sel.to, sel.all) {
        (_, _, true) => DownTo::All,
        (_, Some(v), _) => DownTo::Version(v),
        (steps, None, false) => DownTo::Steps(steps.unwrap_or(1)),
    };
    with_backend!(ctx.cfg.url.kind, B => {
        if args.dry_run {
            dry_run::<B>(ctx, &set, to).await
        } else {
            let confirmed = confirm::<B>(ctx, &set, to, "down").await?;
            with_lock::<B, _>(&ctx.cfg, async |session| {
                revert(ctx, session, &set, to, confirmed.as_deref()).await.map(drop)
            })
            .await
        }
    })
}

/// On a protected environment: shows what would be reverted (read without the lock) and asks
/// for the confirmation. Returns the versions confirmed, which the locked run must find again.
async fn confirm<B: Backend>(
    ctx: &Ctx,
    set: &MigrationSet,
    to: DownTo,
    command: &str,
) -> Result<Option<Vec<i64>>> {
    if protect::protected(ctx).is_none() {
        return Ok(None);
    }
    let rows = read_applied::<B>(&ctx.cfg).await?;
    let entries = status(set, &rows);
    let plan = plan_down(&entries, to)?;
    if plan.is_empty() {
        // Nothing would change (the run says so); the locked run must find nothing too.
        return Ok(Some(Vec::new()));
    }
    let names: Vec<String> = plan.iter().map(|(m, _)| m.name()).collect();
    let what = match command {
        "redo" => format!("redo (revert {} and apply it again)", names.join(", ")),
        _ => format!("{command} (revert {})", names.join(", ")),
    };
    protect::confirm(ctx, &what)?;
    Ok(Some(plan.iter().map(|(m, _)| m.version).collect()))
}

/// `redo`: revert the newest applied migration and apply it again, under one lock.
pub async fn redo(ctx: &Ctx) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_strict()?;
    with_backend!(ctx.cfg.url.kind, B => {
        let confirmed = confirm::<B>(ctx, &set, DownTo::Steps(1), "redo").await?;
        with_lock::<B, _>(&ctx.cfg, async |session| {
            let Some(version) = revert(ctx, session, &set, DownTo::Steps(1), confirmed.as_deref()).await? else {
                ctx.status("Finished", "nothing to redo: no migration is applied");
                return Ok(());
            };
            let args = UpArgs { to: Some(version), dry_run: false, allow_out_of_order: true, ignore_missing: false };
            up::apply(ctx, session, &set, Some(version), &args).await
        })
        .await
    })
}

async fn dry_run<B: Backend>(ctx: &Ctx, set: &MigrationSet, to: DownTo) -> Result<()> {
    let rows = read_applied::<B>(&ctx.cfg).await?;
    let entries = status(set, &rows);
    let plan = plan_down(&entries, to)?;
    let scripts = prepare_all(
        plan.iter().filter_map(|(m, _)| m.down.as_ref()),
        ctx.cfg.url.kind.dialect(),
        &ctx.cfg.dir_display,
    )?;
    let items: Vec<_> = plan.iter().map(|(m, _)| m.name()).zip(&scripts).collect();
    output::stdout(&dry_run_sql("reverted", &items));
    Ok(())
}

/// Reverts under the lock the caller holds; returns the oldest version reverted.
async fn revert<B: Backend>(
    ctx: &Ctx,
    session: &mut Session<B>,
    set: &MigrationSet,
    to: DownTo,
    confirmed: Option<&[i64]>,
) -> Result<Option<i64>> {
    let rows = session.applied().await?;
    let entries = status(set, &rows);
    let plan = plan_down(&entries, to)?;
    let versions: Vec<i64> = plan.iter().map(|(m, _)| m.version).collect();
    if let Some(confirmed) = confirmed
        && confirmed != versions.as_slice()
    {
        let names: Vec<String> = plan.iter().map(|(m, _)| m.name()).collect();
        return Err(Error::refused(
            format!(
                "the database changed while the confirmation was asked: this would now revert {}; nothing was reverted",
                if names.is_empty() {
                    "nothing".to_owned()
                } else {
                    names.join(", ")
                }
            ),
            "run the command again to confirm what it does now",
        ));
    }
    if plan.is_empty() {
        ctx.status("Finished", "nothing to revert: no migration is applied");
        return Ok(None);
    }
    let scripts = prepare_all(
        plan.iter().filter_map(|(m, _)| m.down.as_ref()),
        session.dialect(),
        &ctx.cfg.dir_display,
    )?;
    refuse_transaction_control::<B>(&scripts, &ctx.cfg.dir_display)?;
    for ((m, _), script) in plan.iter().zip(&scripts) {
        ctx.status("Reverting", &m.name());
        session.revert(m, script).await?;
    }
    let rows = session.applied().await?;
    let now_at = rows
        .iter()
        .filter(|r| r.success)
        .max_by_key(|r| r.version)
        .map_or("no migration applied".to_owned(), |r| {
            format!("{}_{}", r.version, r.description)
        });
    ctx.status(
        "Finished",
        &format!(
            "reverted {} migration(s); the database is at {now_at}",
            plan.len()
        ),
    );
    Ok(plan.last().map(|(m, _)| m.version))
}
