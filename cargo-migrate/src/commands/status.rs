//! `cargo migrate status`: every migration and where it stands.

use build_support::Read;

use crate::cli::args::Format;
use crate::cli::output;
use crate::commands::{Ctx, read_applied, with_backend};
use crate::error::Result;
use crate::state::{Entry, State, status};

pub async fn run(ctx: &Ctx, format: Format) -> Result<()> {
    ctx.announce_database();
    let set = ctx.load_lenient(Read::UpScripts)?;
    let rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    let entries = status(&set, &rows);
    match format {
        Format::Json => output::stdout(&(json(&entries) + "\n")),
        Format::Human => {
            output::stdout(&human(&entries));
            let count = |s: State| entries.iter().filter(|e| e.state == s).count();
            let mut summary = vec![format!("{} applied", count(State::Applied))];
            for s in [
                State::Pending,
                State::OutOfOrder,
                State::Modified,
                State::Missing,
                State::Failed,
                State::Invalid,
            ] {
                if count(s) > 0 {
                    summary.push(format!("{} {}", count(s), s.as_str()));
                }
            }
            ctx.status("Summary", &summary.join(", "));
        }
    }
    Ok(())
}

fn human(entries: &[Entry<'_, '_>]) -> String {
    if entries.is_empty() {
        return "no migrations yet: create one with `cargo migrate new <name>`\n".to_owned();
    }
    // A NOTE column only when a row has something to say (a baseline, a repair).
    let notes: Vec<String> = entries
        .iter()
        .map(|e| e.row.or(e.cleared).map_or_else(String::new, note))
        .collect();
    let with_notes = notes.iter().any(|n| !n.is_empty());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .zip(notes)
        .map(|(e, note)| {
            let mut row = vec![
                e.version.to_string(),
                e.description().to_owned(),
                e.state.as_str().to_owned(),
                e.row.map_or_else(String::new, |r| r.applied_at.clone()),
            ];
            if with_notes {
                row.push(note);
            }
            row
        })
        .collect();
    let mut header = vec!["VERSION", "NAME", "STATE", "APPLIED AT"];
    if with_notes {
        header.push("NOTE");
    }
    output::table(&header, &rows)
}

/// A baseline or a repair, in words.
fn note(row: &crate::state::AppliedRow) -> String {
    let mut parts = Vec::new();
    if row.baseline {
        parts.push("baseline (recorded, not run)".to_owned());
    }
    if let Some(by) = &row.repaired_by {
        let what = if row.cleared {
            "failed run cleared"
        } else {
            "repaired"
        };
        parts.push(format!(
            "{what} by {by} at {}",
            row.repaired_at.as_deref().unwrap_or("?")
        ));
    }
    parts.join("; ")
}

fn json(entries: &[Entry<'_, '_>]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "version": e.version,
                "name": e.description(),
                "state": e.state,
                "up_file": e.migration.map(|m| m.up.display.clone()),
                "down_file": e.migration.and_then(|m| m.down.as_ref().map(|d| d.display.clone())),
                "up_checksum": e.migration.map(|m| m.up.checksum.to_hex()),
                "applied_at": e.row.map(|r| r.applied_at.clone()),
                "applied_by": e.row.map(|r| r.applied_by.clone()),
                "execution_us": e.row.map(|r| r.execution_us),
                "recorded_checksum": e.row.map(|r| r.up_checksum.clone()),
                "baseline": e.row.is_some_and(|r| r.baseline),
                "repaired_at": e.row.or(e.cleared).and_then(|r| r.repaired_at.clone()),
                "repaired_by": e.row.or(e.cleared).and_then(|r| r.repaired_by.clone()),
                "cleared": e.cleared.is_some(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("JSON values always serialise")
}
