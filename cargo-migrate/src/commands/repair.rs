//! `cargo migrate repair [VERSION]`: clear a failed record, or accept a deliberate edit of an
//! applied migration, recording who did it and when. Without a version it lists what needs
//! repair and changes nothing.

use build_support::{MigrationSet, Read};

use crate::backend::Backend;
use crate::cli::args::RepairArgs;
use crate::cli::output;
use crate::commands::{Ctx, protect, read_applied, with_backend, with_lock};
use crate::drift::{down_drift_details, drift_details};
use crate::error::{Error, Result};
use crate::state::{Entry, State, status};

pub async fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_lenient(Read::Everything)?;
    let Some(version) = args.version else {
        return with_backend!(ctx.cfg.url.kind, B => list::<B>(ctx, &set).await);
    };
    // A look first, without the lock: a repair that would be refused says so before a
    // protected environment asks for confirmation.
    with_backend!(ctx.cfg.url.kind, B => {
        let rows = read_applied::<B>(&ctx.cfg).await?;
        decide(&status(&set, &rows), version, args.mark_applied)?;
    });
    protect::confirm(
        ctx,
        &format!("repair {version} (change the tracking table's record of it)"),
    )?;
    with_backend!(ctx.cfg.url.kind, B => {
        with_lock::<B, _>(&ctx.cfg, async |session| {
            // Again under the lock: another run may have changed the table since.
            let rows = session.applied().await?;
            let entries = status(&set, &rows);
            let (entry, repair) = decide(&entries, version, args.mark_applied)?;
            match (repair, entry.migration, entry.row) {
                (Repair::Failed, _, _) if args.mark_applied => {
                    session.repair_failed(entry.version, true).await?;
                    ctx.status("Repaired", &format!("{} is recorded as applied", entry.name()));
                }
                (Repair::Failed, _, _) => {
                    session.repair_failed(entry.version, false).await?;
                    ctx.status(
                        "Repaired",
                        &format!("{}'s failed run is cleared (the record keeps who and when); `cargo migrate up` will run it again", entry.name()),
                    );
                }
                (Repair::AcceptEdit, Some(m), Some(row)) => {
                    ctx.status("Accepting", &format!("the edit of {}:", entry.name()));
                    if let Some(old) = entry.renamed_from {
                        output::stderr(&format!("renamed from {}_{old}\n", entry.version));
                    }
                    if entry.state == State::Modified {
                        let recorded = session.recorded_script(entry.version).await?;
                        output::stderr(&drift_details(m, row, recorded.as_deref()));
                    }
                    if entry.down_modified {
                        let recorded = session.recorded_down_script(entry.version).await?;
                        output::stderr(&down_drift_details(m, row, recorded.as_deref()));
                    }
                    session.repair_checksums(m).await?;
                    ctx.status(
                        "Repaired",
                        &format!("{} is recorded with its current name, checksums and text", entry.name()),
                    );
                }
                (Repair::AcceptEdit, _, _) => unreachable!("a modified entry has its file and its row"),
            }
            Ok(())
        })
        .await
    })
}

/// What `repair V` does to a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repair {
    /// Clears the failed record (or with --mark-applied records it as applied).
    Failed,
    /// Records a modified (up or down) or renamed migration's current name, checksums and
    /// text.
    AcceptEdit,
}

/// The entry of `version` and what repairing it does, or why it cannot be repaired.
fn decide<'e, 'a, 'r>(
    entries: &'e [Entry<'a, 'r>],
    version: i64,
    mark_applied: bool,
) -> Result<(&'e Entry<'a, 'r>, Repair)> {
    let Some(entry) = entries.iter().find(|e| e.version == version) else {
        return Err(Error::config(
            format!("there is no migration with version {version}"),
            Some("`cargo migrate status` lists the versions".to_owned()),
        ));
    };
    match entry.state {
        State::Failed => Ok((entry, Repair::Failed)),
        State::Modified if mark_applied => Err(Error::refused(
            format!(
                "{} is modified, not failed: --mark-applied records a failed migration you finished by hand; nothing was changed",
                entry.name()
            ),
            format!(
                "to accept the edit of {}, run `cargo migrate repair {}`",
                entry.name(),
                entry.version
            ),
        )),
        State::Modified => Ok((entry, Repair::AcceptEdit)),
        State::Applied if edited(entry) && mark_applied => Err(Error::refused(
            format!(
                "{} is applied, not failed: --mark-applied records a failed migration you finished by hand; nothing was changed",
                entry.name()
            ),
            format!(
                "to accept the edit of {}, run `cargo migrate repair {}`",
                entry.name(),
                entry.version
            ),
        )),
        State::Applied if edited(entry) => Ok((entry, Repair::AcceptEdit)),
        State::Invalid => Err(Error::refused(
            format!(
                "{} cannot be repaired: its up script cannot be used (the problem is named above)",
                entry.name()
            ),
            "fix the file first (repair records the file's checksums, so it needs a file that loads); then `cargo migrate status` says whether anything is left to repair",
        )),
        state => Err(Error::refused(
            format!(
                "{} is {}: there is nothing to repair",
                entry.name(),
                state.as_str()
            ),
            "repair clears a failed migration or accepts an edit of an applied one; `cargo migrate repair` lists those that need it",
        )),
    }
}

/// An applied migration whose down script was edited, or whose file was renamed, since.
fn edited(e: &Entry<'_, '_>) -> bool {
    e.down_modified || e.renamed_from.is_some()
}

/// Lists the migrations that need repair and what `repair <VERSION>` would do to each; refuses
/// (exit 1) when there are any, so that a script does not take the listing for a repair.
async fn list<B: Backend>(ctx: &Ctx, set: &MigrationSet) -> Result<()> {
    let rows = read_applied::<B>(&ctx.cfg).await?;
    let entries = status(set, &rows);
    let table: Vec<Vec<String>> = entries
        .iter()
        .filter_map(|e| {
            let does = match e.state {
                State::Failed => {
                    "clears the failed record so that `up` runs it again (add --mark-applied if you finished it by hand)"
                }
                State::Modified => "accepts the edit: records the file's current checksums and text",
                State::Applied if e.down_modified => {
                    "accepts the edit of its down script: records the file's current checksums and text"
                }
                State::Applied if e.renamed_from.is_some() => {
                    "accepts the rename: records the file's current name"
                }
                _ => return None,
            };
            let state = if e.state == State::Applied && e.down_modified {
                "down modified".to_owned()
            } else if let (State::Applied, Some(old)) = (e.state, e.renamed_from) {
                format!("renamed from {old}")
            } else {
                e.state.as_str().to_owned()
            };
            Some(vec![
                e.name(),
                state,
                format!("cargo migrate repair {}", e.version),
                does.to_owned(),
            ])
        })
        .collect();
    if table.is_empty() {
        ctx.status(
            "Finished",
            "nothing to repair: no migration is failed or modified",
        );
        return Ok(());
    }
    output::stdout(&output::table(
        &["MIGRATION", "STATE", "COMMAND", "WHAT IT DOES"],
        &table,
    ));
    Err(Error::refused(
        format!(
            "{} migration(s) need repair (listed above); nothing was changed",
            table.len()
        ),
        "check that the database matches each one, then run the command listed for it (one version at a time)",
    ))
}
