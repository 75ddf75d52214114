//! `cargo migrate lint`: the build-time checks, on demand.

use build_support::git::BranchCheck;
use build_support::lints::{LintConfig, RuleId, lint};
use build_support::{Finding, MigrationSet, Severity, lock};

use serde::Serialize;

use crate::cli::args::{MessageFormat, ReportArgs, ReportFormat};
use crate::cli::machine::{self, FindingOut, LintSummary};
use crate::cli::output;
use crate::cli::report::eprintln_report;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx, report: ReportArgs) -> Result<()> {
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let branch = branch(ctx, &set);
    let mut findings = findings(ctx, &set, &branch)?;
    let team = team_findings(ctx, &set, branch, false)?;
    findings.extend(team.findings);
    match report.format {
        ReportFormat::Json => machine::print_json(
            "lint",
            &LintDocument {
                summary: lint_summary(ctx, &set, &findings),
                findings: findings.iter().map(FindingOut::of).collect(),
            },
        ),
        ReportFormat::Sarif => output::stdout(&(machine::sarif(&findings) + "\n")),
        ReportFormat::Human => {
            // -q keeps the errors, and says how many warnings it left out in one line.
            print_findings(&findings, report.message_format, ctx.quiet);
            if let Some(reason) = &team.skipped {
                ctx.status("Skipped", reason);
            }
        }
    }
    summarize(ctx, "lint", &set, &findings)
}

/// The JSON document of `lint`: the counts, then every finding.
#[derive(Debug, Serialize)]
struct LintDocument<'a> {
    #[serde(flatten)]
    summary: LintSummary<'a>,
    findings: Vec<FindingOut<'a>>,
}

/// The counts of a lint run over `set`, for the JSON documents of `lint` and `check`.
pub fn lint_summary<'a>(ctx: &'a Ctx, set: &MigrationSet, findings: &[Finding]) -> LintSummary<'a> {
    LintSummary::new(
        &ctx.cfg.dir_display,
        ctx.cfg.lint_dialect.to_string(),
        set.migrations.len(),
        findings,
    )
}

/// Prints the findings on stderr as reports (`--message-format human`) or one line each
/// (`short`), and, in GitHub Actions, as annotations on stdout. With `hide_warnings` (`-q`),
/// the warnings are counted in one line instead (annotations still show them).
pub fn print_findings(findings: &[Finding], format: MessageFormat, hide_warnings: bool) {
    let github = machine::in_github_actions();
    let mut hidden = 0;
    for finding in findings {
        if github {
            output::stdout(&(machine::github_annotation(finding) + "\n"));
        }
        if hide_warnings && finding.severity == Severity::Warning {
            hidden += 1;
            continue;
        }
        match format {
            MessageFormat::Human => eprintln_report(miette::Report::new(finding.clone())),
            MessageFormat::Short => output::stderr(&(machine::short_line(finding) + "\n")),
        }
    }
    if hidden > 0 {
        output::status_always(
            "Hidden",
            &format!("{hidden} warning(s) (-q); `cargo migrate lint` shows them"),
        );
    }
}

/// What the team checks found: branch conflicts, a damaged review lock and (when asked for)
/// unreviewed migrations, each at its rule's configured level; and why the branch check was
/// skipped.
#[derive(Debug, Default)]
pub struct TeamFindings {
    pub findings: Vec<Finding>,
    pub skipped: Option<String>,
}

/// The branch check's conflicts and the review lock, for `lint` and `check`.
pub fn team_findings(
    ctx: &Ctx,
    set: &MigrationSet,
    branch: BranchCheck,
    unreviewed: bool,
) -> Result<TeamFindings> {
    let config = config(ctx)?;
    let mut team = TeamFindings {
        findings: branch.conflicts,
        skipped: branch.skipped,
    };
    match lock::review_status(&ctx.cfg.dir, set) {
        Ok(status) => {
            let configured = config.configured(RuleId::UnreviewedMigration);
            if unreviewed && lock::reviews_required(&status, configured) {
                team.findings
                    .extend(lock::unreviewed_findings(set, &status, Severity::Error));
            }
        }
        Err(damaged) => team.findings.push(*damaged),
    }
    team.findings = team
        .findings
        .into_iter()
        .filter_map(|f| config.apply_level(f))
        .collect();
    Ok(team)
}

/// The branch check against the main branch: its conflicts, and the migrations this branch
/// added, which the lint rules take as deployed nowhere yet.
pub fn branch(ctx: &Ctx, set: &MigrationSet) -> BranchCheck {
    build_support::git::check_branch(
        &ctx.cfg.dir,
        set,
        ctx.cfg.lint_dialect,
        ctx.cfg.metadata.main_branch.as_deref(),
    )
}

/// Lints the set with the configured dialect, levels and server version; the migrations the
/// branch added are not deployed yet.
pub fn findings(ctx: &Ctx, set: &MigrationSet, branch: &BranchCheck) -> Result<Vec<Finding>> {
    let config = config(ctx)?
        .with_undeployed(branch.branch_migrations.iter().map(|(v, _)| *v))
        .with_on_main(branch.on_main.clone());
    Ok(lint(set, &config))
}

/// The configured dialect and levels; a configuration error when a rule or level is unknown.
pub fn config(ctx: &Ctx) -> Result<LintConfig> {
    LintConfig::new(ctx.cfg.lint_dialect)
        .with_levels(ctx.cfg.metadata.lints.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .and_then(|c| c.with_version(ctx.cfg.metadata.server_version(ctx.cfg.lint_dialect)))
        .map_err(|e| {
            Error::config(
                e,
                Some("set each rule in [...metadata.migrate.lints] to \"allow\", \"warn\" or \"deny\" (the rules are listed in docs/lints/), and postgres_version/mysql_version to a version such as \"15\"".to_owned()),
            )
        })
}

/// The closing status line of `command` (`lint`, or `check`, whose findings also include the
/// unreviewed migrations); an error when any finding is an error.
pub fn summarize(ctx: &Ctx, command: &str, set: &MigrationSet, findings: &[Finding]) -> Result<()> {
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
        let is = |rule: RuleId| {
            findings
                .iter()
                .any(|f| f.severity == Severity::Error && f.rule == rule)
        };
        let mut help = vec![
            "fix the errors above; a rule can be silenced for one migration with `-- migrate:allow <rule> <reason>`",
        ];
        if is(RuleId::BranchConflict) {
            help.push("`cargo migrate rebase` renumbers this branch's migrations after main's");
        }
        if is(RuleId::UnreviewedMigration) {
            help.push("`cargo migrate review` shows and records the unreviewed migrations");
        }
        return Err(Error::refused(
            format!("{command} failed: {checked}"),
            help.join("; "),
        ));
    }
    // In `check` this line counts the lint findings only: the state's come after it.
    ctx.status(
        if command == "check" {
            "Linted"
        } else {
            "Checked"
        },
        &checked,
    );
    Ok(())
}
