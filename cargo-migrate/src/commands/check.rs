//! `cargo migrate check`: one command for CI that fails when anything needs attention.

use build_support::{MigrationSet, Severity};

use serde::Serialize;

use crate::cli::args::{CheckArgs, Format, ReportFormat};
use crate::cli::machine::{self, FindingOut, LintSummary};
use crate::cli::output;
use crate::cli::report::eprintln_report;
use crate::commands::{
    Ctx, lint, protect, read_applied, read_recorded, read_recorded_down, verify, with_backend,
};
use crate::drift::{down_drift_details, drift_refusal};
use crate::error::{Error, Result};
use crate::migrate::renamed_warning;
use crate::state::{State, status};
use crate::verify::Options;

/// The JSON document of `check`: the lint counts and findings, where every migration stands
/// (with what to do where it needs attention), and whether `--verify` passed.
#[derive(Debug, Serialize)]
struct CheckDocument<'a> {
    #[serde(flatten)]
    summary: LintSummary<'a>,
    findings: Vec<FindingOut<'a>>,
    migrations: Vec<CheckedMigration<'a>>,
    /// `true` or `false` with `--verify`, else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    /// Whether the check passed (the exit code is 0 exactly then).
    ok: bool,
}

/// One migration of `check`'s document.
#[derive(Debug, Serialize)]
struct CheckedMigration<'a> {
    version: i64,
    name: &'a str,
    state: State,
    /// What needs attention and what to run, for a migration that fails the check.
    problem: Option<&'a str>,
}

pub async fn run(ctx: &Ctx, args: &CheckArgs) -> Result<()> {
    ctx.announce_database();
    if args.verify {
        protect::refuse_scratch(ctx)?;
    }
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let branch = lint::branch(ctx, &set);
    let mut findings = lint::findings(ctx, &set, &branch)?;
    let team = lint::team_findings(ctx, &set, branch, true)?;
    findings.extend(team.findings);
    if let Some(reason) = &team.skipped {
        ctx.status("Skipped", reason);
    }
    if args.report.format == ReportFormat::Human {
        lint::print_findings(&findings, args.report.message_format, false);
    }
    let lint_result = lint::summarize(ctx, "check", &set, &findings);

    let rows = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await?);
    if rows.is_empty() {
        crate::commands::status::warn_of_another_tool(ctx).await;
    }
    let entries = status(&set, &rows);
    let mut problems = Vec::new();
    // Not failures: the schema is what was applied, but `down` would run another script than
    // the one recorded, and a renamed file no longer names what was applied.
    for e in &entries {
        let (Some(m), Some(row)) = (e.migration, e.row) else {
            continue;
        };
        if let Some(old) = e.renamed_from {
            output::warning(&renamed_warning(m, e.version, old));
        }
        if e.down_modified {
            let recorded = with_backend!(ctx.cfg.url.kind, B => read_recorded_down::<B>(&ctx.cfg, e.version).await?);
            output::warning(&format!(
                "the down script of {} was edited after it was applied: `cargo migrate down` would run it as it is now; restore it, or `cargo migrate repair {}` if the edit is deliberate",
                e.name(),
                e.version
            ));
            output::stderr(&down_drift_details(m, row, recorded.as_deref()));
        }
    }
    for e in &entries {
        if e.state == State::Modified {
            // What changed, as `up` shows it: the checksums and the lines.
            let recorded = with_backend!(ctx.cfg.url.kind, B => read_recorded::<B>(&ctx.cfg, e.version).await?);
            eprintln_report(miette::Report::new(drift_refusal(e, recorded.as_deref())));
        }
        let what = match e.state {
            State::Applied => continue,
            State::Pending => "is pending: run `cargo migrate up`".to_owned(),
            State::OutOfOrder => {
                "is pending but older than an applied migration: if it came from the main branch, do not renumber it (revert the newer ones, or `cargo migrate rebase` this branch's); if it is yours, give it a newer version, or `cargo migrate up --allow-out-of-order`".to_owned()
            }
            State::Modified => format!(
                "was changed after it was applied (the diff is above): restore it, or `cargo migrate repair {}` if the edit is deliberate",
                e.version
            ),
            State::Missing => "is applied but its file is missing: restore the file".to_owned(),
            State::Invalid => {
                "has an up script that cannot be used (the problem is named above): fix the file".to_owned()
            }
            State::Failed => format!(
                "is recorded as failed: fix the database by hand, then `cargo migrate repair {}`",
                e.version
            ),
        };
        problems.push((e, what));
    }
    // They fail the check: errors, not warnings.
    let github = args.report.format == ReportFormat::Human && machine::in_github_actions();
    for (e, what) in &problems {
        let message = format!("{} {what}", e.name());
        if github {
            let file = e.migration.map(|m| m.up.display.as_str());
            output::stdout(
                &(machine::annotation(Severity::Error, file, None, e.state.as_str(), &message)
                    + "\n"),
            );
        }
        output::error(&message);
    }
    let verified = if !args.verify {
        Ok(())
    } else if set.has_errors() {
        output::warning("verify skipped: the migration files have errors (listed above)");
        Ok(())
    } else {
        verify::verify(ctx, &set, &Options::default(), Format::Human).await
    };
    match args.report.format {
        ReportFormat::Human => {}
        ReportFormat::Sarif => output::stdout(&(machine::sarif(&findings) + "\n")),
        ReportFormat::Json => machine::print_json(
            "check",
            &CheckDocument {
                summary: lint::lint_summary(ctx, &set, &findings),
                findings: findings.iter().map(FindingOut::of).collect(),
                migrations: entries
                    .iter()
                    .map(|e| CheckedMigration {
                        version: e.version,
                        name: e.description(),
                        state: e.state,
                        problem: problems
                            .iter()
                            .find(|(p, _)| p.version == e.version && p.state == e.state)
                            .map(|(_, what)| what.as_str()),
                    })
                    .collect(),
                verified: args.verify.then_some(verified.is_ok()),
                ok: lint_result.is_ok() && problems.is_empty() && verified.is_ok(),
            },
        ),
    }
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
            format!("check failed: {n} migration(s) need attention (the errors above)"),
            "each error above says what to run",
        )),
    }
}
