//! `cargo migrate check`: one command for CI that fails when anything needs attention.

use build_support::MigrationSet;

use crate::cli::{CheckArgs, VerifyArgs};
use crate::commands::{Ctx, eprintln_report, lint, read_applied, verify, with_backend};
use crate::error::{Error, Result};
use crate::runner::{State, status};

pub async fn run(ctx: &Ctx, args: &CheckArgs) -> Result<()> {
    ctx.announce_database();
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let findings = lint::findings(ctx, &set)?;
    for finding in &findings {
        eprintln_report(miette::Report::new(finding.clone()));
    }
    let lint_result = lint::summarize(ctx, &set, &findings);

    let rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    let entries = status(&set, &rows);
    let mut problems = Vec::new();
    for e in &entries {
        let what = match e.state {
            State::Applied => continue,
            State::Pending => "is pending: run `cargo migrate up`",
            State::OutOfOrder => {
                "is pending but older than an applied migration: give it a newer version, or `cargo migrate up --allow-out-of-order`"
            }
            State::Modified => {
                "was changed after it was applied: restore it, or `cargo migrate repair <version>` if the edit is deliberate"
            }
            State::Missing => "is applied but its file is missing: restore the file",
            State::Failed => {
                "is recorded as failed: fix the database by hand, then `cargo migrate repair <version>`"
            }
        };
        problems.push(format!("{} {what}", e.name()));
    }
    for p in &problems {
        crate::output::warning(p);
    }
    let verified = if !args.verify {
        Ok(())
    } else if set.has_errors() {
        crate::output::warning("verify skipped: the migration files have errors (listed above)");
        Ok(())
    } else {
        verify::verify(ctx, &set, &VerifyArgs::default()).await
    };
    let lint_result = match (lint_result, verified) {
        (Err(e), Err(v)) => {
            eprintln_report(miette::Report::new(v));
            Err(e)
        }
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(())) => Ok(()),
    };
    match (lint_result, problems.len()) {
        (Err(e), _) => Err(e),
        (Ok(()), 0) => {
            ctx.status(
                "Checked",
                &format!("{} migration(s): all applied and clean", entries.len()),
            );
            Ok(())
        }
        (Ok(()), n) => Err(Error::refused(
            format!("{n} migration(s) need attention (listed above)"),
            "each line above says what to run",
        )),
    }
}
