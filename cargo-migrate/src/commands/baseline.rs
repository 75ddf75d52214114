//! `cargo migrate baseline <VERSION>`: adopt an existing database. Every migration up to the
//! version is recorded as applied, as a baseline, without running it.

use build_support::Migration;

use crate::cli::args::BaselineArgs;
use crate::commands::{Ctx, protect, with_backend, with_lock};
use crate::drift::drift_refusal;
use crate::error::{Error, Result};
use crate::migrate::{read_applied, read_recorded};
use crate::plan::refuse_failed;
use crate::state::{Entry, State, status};

pub async fn run(ctx: &Ctx, args: &BaselineArgs) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_strict()?;
    let v = args.version;
    let Some(target) = set.get(v) else {
        return Err(Error::config(
            format!("baseline {v}: there is no migration with version {v}"),
            Some(
                "a baseline is taken at a migration's version; `cargo migrate status` lists the versions"
                    .to_owned(),
            ),
        ));
    };
    // A look first, without the lock: a baseline that would be refused, or has nothing to do,
    // says so before a protected environment asks for confirmation.
    let todo = with_backend!(ctx.cfg.url.kind, B => {
        let rows = read_applied::<B>(&ctx.cfg).await?;
        let entries = status(&set, &rows);
        if let Some(e) = modified_up_to(&entries, v) {
            let recorded = read_recorded::<B>(&ctx.cfg, e.version).await?;
            return Err(drift_refusal(e, recorded.as_deref()));
        }
        plan(&entries, v)?.len()
    });
    if todo == 0 {
        return nothing_to_do(ctx, target);
    }
    if args.verify {
        let upto: Vec<&Migration> = set.migrations.iter().filter(|m| m.version <= v).collect();
        let foreign =
            with_backend!(ctx.cfg.url.kind, B => crate::foreign::find::<B>(&ctx.cfg).await);
        crate::commands::import::prove(ctx, &upto, foreign.as_ref().map(|f| f.table.as_str()))
            .await?;
    }
    protect::confirm(
        ctx,
        &format!(
            "baseline {v} (record every migration up to {} as applied without running it)",
            target.name()
        ),
    )?;
    // A database another tool migrated may be adopted this way, on purpose.
    let cfg = crate::config::Config {
        adopting: true,
        ..ctx.cfg.clone()
    };
    with_backend!(ctx.cfg.url.kind, B => {
        with_lock::<B, _>(&cfg, async |session| {
            // Again under the lock: another run may have changed the table since.
            let rows = session.applied().await?;
            let entries = status(&set, &rows);
            if let Some(e) = modified_up_to(&entries, v) {
                return Err(session.drift_error(e).await);
            }
            let todo = plan(&entries, v)?;
            if todo.is_empty() {
                return nothing_to_do(ctx, target);
            }
            for m in &todo {
                ctx.status("Baseline", &format!("{} (recorded, not run)", m.name()));
            }
            session.record_baseline(&todo).await?;
            ctx.status(
                "Finished",
                &format!(
                    "recorded {} migration(s) up to {} as a baseline; `cargo migrate up` applies what comes after",
                    todo.len(),
                    target.name()
                ),
            );
            Ok(())
        })
        .await
    })
}

/// The migrations up to `v` that a baseline records, or why it cannot be taken: a failed
/// migration, or rows beyond `v`. (A modified one is checked first, by the caller.)
fn plan<'a>(entries: &[Entry<'a, '_>], v: i64) -> Result<Vec<&'a Migration>> {
    refuse_failed(entries)?;
    let beyond: Vec<String> = entries
        .iter()
        .filter(|e| e.version > v && e.row.is_some())
        .map(|e| e.name())
        .collect();
    if !beyond.is_empty() {
        return Err(Error::refused(
            format!(
                "baseline {v}: the database already has {} migration(s) recorded beyond {v} ({}): a baseline cannot be taken below an applied migration",
                beyond.len(),
                beyond.join(", ")
            ),
            format!(
                "nothing was recorded; `cargo migrate history` shows what is applied; to adopt a database that is further along, run `cargo migrate baseline {}`",
                entries
                    .iter()
                    .rev()
                    .find(|e| e.row.is_some())
                    .map_or(v, |e| e.version)
            ),
        ));
    }
    Ok(entries
        .iter()
        .filter(|e| e.version <= v && e.row.is_none())
        .filter_map(|e| e.migration)
        .collect())
}

/// The first migration up to `v` that changed after it was applied.
fn modified_up_to<'e, 'a, 'r>(entries: &'e [Entry<'a, 'r>], v: i64) -> Option<&'e Entry<'a, 'r>> {
    entries
        .iter()
        .find(|e| e.version <= v && e.state == State::Modified)
}

fn nothing_to_do(ctx: &Ctx, target: &Migration) -> Result<()> {
    ctx.status(
        "Finished",
        &format!(
            "nothing to baseline: every migration up to {} is already recorded",
            target.name()
        ),
    );
    Ok(())
}
