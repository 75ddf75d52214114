//! `cargo migrate history`: what was applied when, by whom, and how long it took.

use crate::cli::args::Format;
use crate::cli::output;
use crate::commands::{Ctx, read_applied, with_backend};
use crate::error::Result;

pub async fn run(ctx: &Ctx, format: Format) -> Result<()> {
    ctx.announce_database();
    let mut rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    rows.sort_by(|a, b| (&a.applied_at, a.version).cmp(&(&b.applied_at, b.version)));
    match format {
        Format::Json => {
            output::stdout(&(serde_json::to_string_pretty(&rows).expect("serialisable") + "\n"))
        }
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
