//! `cargo migrate lint`: the build-time checks, on demand.

use build_support::lints::{LintConfig, lint};
use build_support::{Finding, MigrationSet, Severity};

use crate::cli::Format;
use crate::commands::{Ctx, eprintln_report};
use crate::error::{Error, Result};
use crate::output;

pub fn run(ctx: &Ctx, format: Format) -> Result<()> {
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let findings = findings(ctx, &set)?;
    match format {
        Format::Json => output::stdout(&(json(&findings) + "\n")),
        Format::Human => {
            for finding in &findings {
                eprintln_report(miette::Report::new(finding.clone()));
            }
        }
    }
    summarize(ctx, &set, &findings)
}

/// Lints the set with the configured dialect and levels.
pub fn findings(ctx: &Ctx, set: &MigrationSet) -> Result<Vec<Finding>> {
    let config = LintConfig::new(ctx.cfg.lint_dialect)
        .with_levels(ctx.cfg.metadata.lints.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| {
            Error::config(
                e,
                Some("set each rule in [...metadata.migrate.lints] to \"allow\", \"warn\" or \"deny\"; the rules are listed in docs/lints/".to_owned()),
            )
        })?;
    Ok(lint(set, &config))
}

/// The closing status line; an error when any finding is an error.
pub fn summarize(ctx: &Ctx, set: &MigrationSet, findings: &[Finding]) -> Result<()> {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let checked = format!(
        "{} migration(s) in {} ({} dialect): {errors} error(s), {warnings} warning(s)",
        set.migrations.len(),
        ctx.cfg.dir_display,
        ctx.cfg.lint_dialect
    );
    if errors > 0 {
        return Err(Error::refused(
            format!("lint failed: {checked}"),
            "fix the errors above; a rule can be silenced for one migration with `-- migrate:allow <rule> <reason>`",
        ));
    }
    ctx.status("Checked", &checked);
    Ok(())
}

fn json(findings: &[Finding]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let (line, column) = match (&f.source, &f.span) {
                (Some(src), Some(span)) => {
                    let (l, c) = build_support::line_col(src, span.start);
                    (Some(l), Some(c))
                }
                _ => (None, None),
            };
            serde_json::json!({
                "rule": f.rule,
                "severity": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": f.message,
                "file": f.file,
                "line": line,
                "column": column,
                "version": f.version,
                "help": f.help,
                "doc": format!("{}/{}.md", build_support::DOCS_URL, f.rule),
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("JSON values always serialise")
}
