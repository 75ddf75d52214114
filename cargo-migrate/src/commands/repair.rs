//! `cargo migrate repair <VERSION>`: clear a failed record, or accept a deliberate edit.

use build_support::Read;

use crate::cli::RepairArgs;
use crate::commands::{Ctx, with_backend, with_lock};
use crate::error::{Error, Result};
use crate::runner::{State, status};

pub async fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_lenient(Read::Everything)?;
    with_backend!(ctx.cfg.url.kind, B => {
        with_lock::<B, _>(&ctx.cfg, async |session| {
            let rows = session.applied().await?;
            let entries = status(&set, &rows);
            let Some(entry) = entries.iter().find(|e| e.version == args.version) else {
                return Err(Error::config(
                    format!("there is no migration with version {}", args.version),
                    Some("`cargo migrate status` lists the versions".to_owned()),
                ));
            };
            match (entry.state, entry.migration, entry.row) {
                (State::Failed, _, _) if args.mark_applied => {
                    session.repair_failed(entry.version, true).await?;
                    ctx.status("Repaired", &format!("{} is recorded as applied", entry.name()));
                }
                (State::Failed, _, _) => {
                    session.repair_failed(entry.version, false).await?;
                    ctx.status("Repaired", &format!("{} is no longer recorded; `cargo migrate up` will run it again", entry.name()));
                }
                (State::Modified, Some(m), Some(row)) => {
                    session.repair_checksums(m, row).await?;
                    ctx.status("Repaired", &format!("{} is recorded with its current checksums", entry.name()));
                }
                (state, _, _) => {
                    return Err(Error::refused(
                        format!("{} is {}: there is nothing to repair", entry.name(), state.as_str()),
                        "repair clears a failed migration or accepts an edit of an applied one",
                    ));
                }
            }
            Ok(())
        })
        .await
    })
}
