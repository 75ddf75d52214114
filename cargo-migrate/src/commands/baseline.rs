//! `cargo migrate baseline <VERSION>`: adopt an existing database. Every migration up to the
//! version is recorded as applied, as a baseline, without running it.

use crate::cli::BaselineArgs;
use crate::commands::{Ctx, protect, with_backend, with_lock};
use crate::error::{Error, Result};
use crate::runner::{State, refuse_failed, status};

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
    protect::confirm(
        ctx,
        &format!(
            "baseline {v} (record every migration up to {} as applied without running it)",
            target.name()
        ),
    )?;
    with_backend!(ctx.cfg.url.kind, B => {
        with_lock::<B, _>(&ctx.cfg, async |session| {
            let rows = session.applied().await?;
            let entries = status(&set, &rows);
            refuse_failed(&entries)?;
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
                        entries.iter().rev().find(|e| e.row.is_some()).map_or(v, |e| e.version)
                    ),
                ));
            }
            if let Some(e) = entries
                .iter()
                .find(|e| e.version <= v && e.state == State::Modified)
            {
                return Err(session.drift_error(e).await);
            }
            let todo: Vec<_> = entries
                .iter()
                .filter(|e| e.version <= v && e.row.is_none())
                .filter_map(|e| e.migration)
                .collect();
            if todo.is_empty() {
                ctx.status(
                    "Finished",
                    &format!("nothing to baseline: every migration up to {} is already recorded", target.name()),
                );
                return Ok(());
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
