//! `cargo migrate history`: what was applied when, by whom, and how long it took.

use serde::Serialize;

use crate::cli::args::Format;
use crate::cli::machine;
use crate::cli::output;
use crate::commands::{Ctx, read_applied, with_backend};
use crate::error::Result;
use crate::state::AppliedRow;

/// The JSON document of `history`: the database (its URL, password masked) and every row of
/// its tracking table, oldest first: `version`, `description`, `up_checksum`, `down_checksum`,
/// `applied_at` (UTC, RFC 3339), `execution_us`, `applied_by`, `success`, `baseline`,
/// `repaired_at`, `repaired_by`, `cleared`.
#[derive(Debug, Serialize)]
struct HistoryDocument<'a> {
    database: String,
    migrations: &'a [AppliedRow],
}

pub async fn run(ctx: &Ctx, format: Format) -> Result<()> {
    ctx.announce_database();
    let mut rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    rows.sort_by(|a, b| (&a.applied_at, a.version).cmp(&(&b.applied_at, b.version)));
    match format {
        Format::Json => machine::print_json(
            "history",
            &HistoryDocument {
                database: ctx.cfg.url.to_string(),
                migrations: &rows,
            },
        ),
        Format::Human if rows.is_empty() => output::stdout("nothing applied yet\n"),
        Format::Human => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.applied_at.clone(),
                        r.version.to_string(),
                        r.description.clone(),
                        output::duration(r.execution_us),
                        r.applied_by.clone(),
                        match (r.success, r.baseline) {
                            (false, _) if r.cleared => "cleared",
                            (false, _) => "FAILED",
                            (true, true) => "baseline",
                            (true, false) => "ok",
                        }
                        .to_owned(),
                        match (&r.repaired_at, &r.repaired_by) {
                            (Some(at), Some(by)) => format!("{at} by {by}"),
                            _ => String::new(),
                        },
                    ]
                })
                .collect();
            output::stdout(&output::table(
                &[
                    "APPLIED AT",
                    "VERSION",
                    "NAME",
                    "TOOK",
                    "BY",
                    "RESULT",
                    "REPAIRED",
                ],
                &table,
            ));
        }
    }
    Ok(())
}
