//! `cargo migrate status`: every migration and where it stands.

use build_support::Read;
use build_support::lints::RuleId;

use serde::Serialize;

use crate::cli::args::Format;
use crate::cli::machine;
use crate::cli::output;
use crate::commands::{Ctx, read_applied, with_backend};
use crate::error::{Error, Result};
use crate::state::{Entry, State, status};

pub async fn run(ctx: &Ctx, format: Format) -> Result<()> {
    ctx.announce_database();
    // The down scripts too: an edited one is shown.
    let set = ctx.load_lenient(Read::Everything)?;
    let rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    if rows.is_empty() {
        warn_of_another_tool(ctx).await;
    }
    let entries = status(&set, &rows);
    match format {
        Format::Json => machine::print_json("status", &document(ctx, &entries)),
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
            let down_modified = entries.iter().filter(|e| e.down_modified).count();
            if down_modified > 0 {
                summary.push(format!("{down_modified} down modified"));
            }
            let renamed = entries.iter().filter(|e| e.renamed_from.is_some()).count();
            if renamed > 0 {
                summary.push(format!("{renamed} renamed"));
            }
            ctx.status("Summary", &summary.join(", "));
        }
    }
    // Every other migration is listed above. Of a file that cannot be read nothing is known
    // (not even whether it is the one applied), so the command fails once it has shown
    // everything else; the other problems of the files are warnings here.
    let unreadable: Vec<&str> = set
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::UnreadableFile)
        .map(|f| f.file.as_str())
        .collect();
    if !unreadable.is_empty() {
        return Err(Error::refused(
            format!(
                "{} migration file(s) cannot be read: {} (the reason is above; the other migrations are listed)",
                unreadable.len(),
                unreadable.join(", ")
            ),
            "fix each file as its diagnostic says, then run `cargo migrate status` again",
        ));
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
                state(e),
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

/// The state, and what else is true of an applied migration: its down script edited, its
/// file renamed since (`applied (down modified; renamed from old_slug)`).
fn state(e: &Entry<'_, '_>) -> String {
    let mut also = Vec::new();
    if e.down_modified {
        also.push("down modified".to_owned());
    }
    if let Some(old) = e.renamed_from {
        also.push(format!("renamed from {old}"));
    }
    if also.is_empty() {
        e.state.as_str().to_owned()
    } else {
        format!("{} ({})", e.state.as_str(), also.join("; "))
    }
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

/// The JSON document of `status`: the database (its URL, password masked) and every
/// migration, in version order.
#[derive(Debug, Serialize)]
struct StatusDocument<'a> {
    database: String,
    migrations: Vec<StatusMigration<'a>>,
}

/// One migration of `status`: its files and, when applied, its tracking row.
#[derive(Debug, Serialize)]
struct StatusMigration<'a> {
    version: i64,
    /// The name: the file's slug, or the recorded name when the file is missing.
    name: &'a str,
    /// The same, under the name `history` gives it.
    description: &'a str,
    /// `applied`, `pending`, `out-of-order`, `missing`, `modified`, `failed` or `invalid`.
    state: State,
    up_file: Option<&'a str>,
    down_file: Option<&'a str>,
    /// SHA-256 of the up script as it is now (CRLF read as LF).
    up_checksum: Option<String>,
    /// UTC, RFC 3339.
    applied_at: Option<&'a str>,
    applied_by: Option<&'a str>,
    execution_us: Option<i64>,
    /// The up script's checksum when it was applied.
    recorded_checksum: Option<&'a str>,
    down_checksum: Option<String>,
    recorded_down_checksum: Option<&'a str>,
    /// The down script changed since the migration was applied.
    down_modified: bool,
    recorded_name: Option<&'a str>,
    /// The file's name was changed since it was applied: the recorded name.
    renamed_from: Option<&'a str>,
    /// Recorded by `baseline`, not run.
    baseline: bool,
    repaired_at: Option<&'a str>,
    repaired_by: Option<&'a str>,
    /// A failed run that `repair` cleared (pending again).
    cleared: bool,
}

fn document<'a>(ctx: &Ctx, entries: &'a [Entry<'_, '_>]) -> StatusDocument<'a> {
    let migrations = entries
        .iter()
        .map(|e| {
            let repaired = e.row.or(e.cleared);
            StatusMigration {
                version: e.version,
                name: e.description(),
                description: e.description(),
                state: e.state,
                up_file: e.migration.map(|m| m.up.display.as_str()),
                down_file: e
                    .migration
                    .and_then(|m| m.down.as_ref().map(|d| d.display.as_str())),
                up_checksum: e.migration.map(|m| m.up.checksum.to_hex()),
                applied_at: e.row.map(|r| r.applied_at.as_str()),
                applied_by: e.row.map(|r| r.applied_by.as_str()),
                execution_us: e.row.map(|r| r.execution_us),
                recorded_checksum: e.row.map(|r| r.up_checksum.as_str()),
                down_checksum: e
                    .migration
                    .and_then(|m| m.down.as_ref().map(|d| d.checksum.to_hex())),
                recorded_down_checksum: e.row.and_then(|r| r.down_checksum.as_deref()),
                down_modified: e.down_modified,
                recorded_name: e.row.map(|r| r.description.as_str()),
                renamed_from: e.renamed_from,
                baseline: e.row.is_some_and(|r| r.baseline),
                repaired_at: repaired.and_then(|r| r.repaired_at.as_deref()),
                repaired_by: repaired.and_then(|r| r.repaired_by.as_deref()),
                cleared: e.cleared.is_some(),
            }
        })
        .collect();
    StatusDocument {
        database: ctx.cfg.url.to_string(),
        migrations,
    }
}

/// On a database with no rows of ours that another tool migrated, warns that what is listed as
/// pending was applied by that tool, and names `import` (for `status` and `check`).
pub async fn warn_of_another_tool(ctx: &Ctx) {
    let found = with_backend!(ctx.cfg.url.kind, B => crate::foreign::find::<B>(&ctx.cfg).await);
    if let Some(found) = found {
        output::warning(&format!(
            "this database was migrated with {name} ({table}), which cargo-migrate has not imported yet: `cargo migrate import --from {id}` records what {name} applied",
            name = found.tool.name(),
            table = found.table,
            id = found.tool.id()
        ));
    }
}
