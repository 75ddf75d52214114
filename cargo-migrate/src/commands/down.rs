//! `cargo migrate down` and `cargo migrate redo`.

use build_support::MigrationSet;

use crate::backend::Backend;
use crate::cli::args::{DownArgs, UpArgs};
use crate::cli::interrupt::Run;
use crate::cli::output;
use crate::cli::report::dry_run_sql;
use crate::commands::{Ctx, protect, up, with_backend, with_lock, with_reader};
use crate::error::{Error, Result};
use crate::events::Observer;
use crate::migrate::{DownPlan, prepare_down, run_down};
use crate::plan::DownTo;
use crate::session::Session;

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
                revert(ctx, session, &set, to, confirmed.as_deref(), true).await.map(drop)
            })
            .await
        }
    })
}

/// What `down` would revert, read without the lock, by the same [`prepare_down`] as the run.
async fn read_plan<'s, B: Backend>(
    ctx: &Ctx,
    set: &'s MigrationSet,
    to: DownTo,
    events: &Observer,
) -> Result<DownPlan<'s>> {
    let dialect = ctx.cfg.url.kind.dialect();
    with_reader::<B, _>(&ctx.cfg, async |session| {
        prepare_down::<B>(session, set, to, dialect, &ctx.cfg.dir_display, events).await
    })
    .await
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
    // Warnings are for the run, which prepares the plan again under the lock.
    let plan = read_plan::<B>(ctx, set, to, &Observer::silent()).await?;
    if plan.migrations.is_empty() {
        // Nothing would change (the run says so); the locked run must find nothing too.
        return Ok(Some(Vec::new()));
    }
    let names: Vec<String> = plan.migrations.iter().map(|m| m.name()).collect();
    let mut what = match command {
        "redo" => format!("redo (revert {} and apply it again)", names.join(", ")),
        _ => format!("{command} (revert {})", names.join(", ")),
    };
    // An edited down script is shown before the question, so that what is confirmed is the
    // script as it is now.
    show_edited_downs(&plan);
    if !plan.edited_downs.is_empty() {
        let edited: Vec<String> = plan
            .edited_downs
            .iter()
            .map(|e| e.migration.name())
            .collect();
        what.push_str(&format!(
            " with the down script of {} edited since it was applied (the diff is above)",
            edited.join(", ")
        ));
    }
    protect::confirm(ctx, &what)?;
    Ok(Some(plan.versions()))
}

/// `redo`: revert the newest applied migration and apply it again, under one lock.
pub async fn redo(ctx: &Ctx) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_strict()?;
    with_backend!(ctx.cfg.url.kind, B => {
        let confirmed = confirm::<B>(ctx, &set, DownTo::Steps(1), "redo").await?;
        with_lock::<B, _>(&ctx.cfg, async |session| {
            let Some(version) = revert(ctx, session, &set, DownTo::Steps(1), confirmed.as_deref(), false).await? else {
                ctx.status("Finished", "nothing to redo: no migration is applied");
                return Ok(());
            };
            let args = UpArgs { to: Some(version), dry_run: false, allow_out_of_order: true, ignore_missing: false };
            up::apply(ctx, session, &set, Some(version), &args, false).await?;
            let name = set.get(version).map_or(version.to_string(), |m| m.name());
            ctx.status("Finished", &format!("redid {name}: reverted, then applied again"));
            Ok(())
        })
        .await
    })
}

async fn dry_run<B: Backend>(ctx: &Ctx, set: &MigrationSet, to: DownTo) -> Result<()> {
    let plan = read_plan::<B>(ctx, set, to, &ctx.cfg.events).await?;
    show_edited_downs(&plan);
    output::stdout(&dry_run_sql("reverted", &plan.migrations, &plan.scripts));
    Ok(())
}

/// Reverts under the lock the caller holds (saying `Finished` when `say_finished`); returns the
/// oldest version reverted.
async fn revert<B: Backend>(
    ctx: &Ctx,
    session: &mut Session<B>,
    set: &MigrationSet,
    to: DownTo,
    confirmed: Option<&[i64]>,
    say_finished: bool,
) -> Result<Option<i64>> {
    let dialect = session.dialect();
    let plan = prepare_down(
        Some(&mut *session),
        set,
        to,
        dialect,
        &ctx.cfg.dir_display,
        &ctx.cfg.events,
    )
    .await?;
    let versions = plan.versions();
    if let Some(confirmed) = confirmed
        && confirmed != versions.as_slice()
    {
        let names: Vec<String> = plan.migrations.iter().map(|m| m.name()).collect();
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
    if plan.migrations.is_empty() {
        ctx.status("Finished", "nothing to revert: no migration is applied");
        return Ok(None);
    }
    if confirmed.is_none() {
        // (A protected environment showed them before its confirmation.)
        show_edited_downs(&plan);
    }
    let run = Run::start("Reverting");
    run.planned(plan.migrations.len());
    let reverted = run_down(session, &plan, |m| run.next(&m.name())).await?;
    if run.stopped() {
        return Err(up::stopped(session, "reverted", reverted).await);
    }
    if !say_finished {
        return Ok(plan.migrations.last().map(|m| m.version));
    }
    let rows = session.applied().await?;
    ctx.status(
        "Finished",
        &format!(
            "reverted {} migration(s); {}",
            plan.migrations.len(),
            up::where_it_stands(&rows)
        ),
    );
    Ok(plan.migrations.last().map(|m| m.version))
}

/// A warning and the diff for each down script of the plan that was edited after its
/// migration was applied: it runs as it is now, not as it was recorded.
fn show_edited_downs(plan: &DownPlan<'_>) {
    for edited in &plan.edited_downs {
        let m = edited.migration;
        let down = m
            .down
            .as_ref()
            .map_or("its down script", |d| d.display.as_str());
        output::warning(&format!(
            "{down} was edited after {} was applied: it is reverted with the down script as it is now (restore the file to run the one recorded; `cargo migrate repair {}` accepts the edit)",
            m.name(),
            m.version
        ));
        output::stderr(&edited.details);
    }
}
