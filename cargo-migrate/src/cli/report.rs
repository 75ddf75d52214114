//! Diagnostics and reports as the terminal shows them: the miette handler, errors rendered with
//! every known password masked and ended with their exit code, the SQL of a dry run, and the
//! report of `verify` (a diagnostic per problem as the engine finds it, then the summary).

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use build_support::{Migration, ScriptSource, SqlFile};
use miette::{Diagnostic, MietteHandler, MietteHandlerOpts, ReportHandler, SourceSpan};

use crate::cli::output;
use crate::error::{Error, Result, exit};
use crate::script::Script;
use crate::secrets::scrub;
use crate::snapshot::{Change, Difference};
use crate::verify::{Problem, Report, Stop};

/// How diagnostics render.
fn handler() -> MietteHandler {
    let mut opts = MietteHandlerOpts::new()
        .terminal_links(false)
        .color(output::colored());
    // Logs and pipes get whole lines, so a message can be searched for.
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        opts = opts.width(400);
    }
    opts.build()
}

/// Makes every `miette::Report` render as [`eprintln_diagnostic`] does (once per process; later
/// calls change nothing).
pub fn install_report_hook() {
    let _ = miette::set_hook(Box::new(|_| Box::new(handler())));
}

/// Renders a diagnostic to stderr, with every known password masked.
pub fn eprintln_diagnostic(diagnostic: &dyn Diagnostic) {
    struct Rendered<'a>(&'a dyn Diagnostic);
    impl fmt::Display for Rendered<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            handler().debug(self.0, f)
        }
    }
    let rendered = Rendered(diagnostic).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{}", scrub(&rendered));
}

/// Renders a diagnostic to stderr, with every known password masked.
pub fn eprintln_report(report: miette::Report) {
    eprintln_diagnostic(&*report);
}

/// The exit code of a command's result, its error rendered first.
pub fn finish(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(e) => {
            let code = e.exit_code();
            eprintln_diagnostic(&e);
            ExitCode::from(code)
        }
    }
}

/// The SQL a plan would run, as `--dry-run` prints it.
pub fn dry_run_sql(what: &str, migrations: &[&Migration], scripts: &[Script<'_>]) -> String {
    use std::fmt::Write;
    let items: Vec<(String, &Script<'_>)> =
        migrations.iter().map(|m| m.name()).zip(scripts).collect();
    let mut out = String::new();
    if items.is_empty() {
        let _ = writeln!(out, "-- nothing to {what}");
        return out;
    }
    let _ = writeln!(
        out,
        "-- dry run: {} migration(s) would be {what}, in this order",
        items.len()
    );
    for (name, script) in items {
        let _ = writeln!(out, "\n-- {name} ({})", script.file.display);
        let transactional = !script.no_transaction();
        if transactional {
            let _ = writeln!(out, "BEGIN;");
        } else {
            let _ = writeln!(
                out,
                "-- migrate:no-transaction: each statement runs on its own"
            );
        }
        for statement in &script.statements {
            let _ = writeln!(out, "{};", statement.text(&script.file.text));
        }
        if transactional {
            let _ = writeln!(out, "COMMIT;");
        }
    }
    out
}

/// Prints what `verify` found wrong with a migration, as it finds it: a diagnostic pointing into
/// the script (`file:line:col`), with help that says what to fix.
pub fn verify_problem(m: &Migration, problem: &Problem) {
    let name = m.name();
    match problem {
        Problem::NoDown => {
            let down = m.up.display.replace(".up.sql", ".down.sql");
            eprintln_diagnostic(&Error::refused(
                format!("{name} has no down script, so it cannot be verified"),
                format!(
                    "write {down}, or mark the migration irreversible with `-- migrate:irreversible <reason>` at the top of {}",
                    m.up.display
                ),
            ));
        }
        Problem::UpFailed(error) => failure(
            error,
            format!(
                "the up script of {name} fails in a new, empty database after the migrations before it; fix the statement and run `cargo migrate verify` again; verify stops here, because every later migration builds on this one"
            ),
        ),
        Problem::DownFailed { error, rolled_back } => {
            let then = if *rolled_back {
                "the failed down was rolled back and verify went on with the next migration"
            } else {
                "the statements before it stayed applied (MySQL commits schema changes at once, and `-- migrate:no-transaction` scripts run outside a transaction), so verify rebuilds its scratch database up to this migration's up and goes on with the next one"
            };
            failure(
                error,
                format!(
                    "the down script of {name} fails right after its up script; fix the statement; {then}"
                ),
            );
        }
        Problem::NotUndone(differences) => not_undone(m, differences),
        Problem::UpFailedAgain { error, not_undone } => {
            let because = if *not_undone {
                "the down leaves behind what is listed above"
            } else {
                "the down leaves data behind that the up cannot insert twice, or the up depends on something the down changes"
            };
            failure(
                error,
                format!(
                    "the up script of {name} fails when it runs again after its down script: {because}; verify rebuilds its scratch database up to this migration's up and goes on (with --fail-fast it stops here)"
                ),
            );
        }
    }
}

/// Prints a failed statement's diagnostic with help that fits verify; any other error as it is.
fn failure(error: &Error, help: String) {
    match error {
        Error::MigrationFailed(failure) => {
            let mut failure = failure.clone();
            failure.help = Some(help);
            eprintln_diagnostic(&*failure);
        }
        other => eprintln_diagnostic(other),
    }
}

/// One thing the down script did not bring back, in one migration.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{migration}: {message}")]
#[diagnostic(code(migrate::verify::down_does_not_undo_up))]
struct NotUndone {
    migration: String,
    message: String,
    #[source_code]
    src: Option<ScriptSource>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: String,
}

/// Prints one diagnostic per difference, each pointing into a script where the object's name
/// appears once.
fn not_undone(m: &Migration, differences: &[Difference]) {
    let Some(down) = &m.down else {
        return;
    };
    let up = &m.up;
    let check = format!(
        "then check it alone with `cargo migrate verify --from {v} --to {v}`",
        v = m.version
    );
    let (up_file, down_file) = (&up.display, &down.display);
    for d in differences {
        let (place, help) = match &d.change {
            Change::Left => (
                locate(
                    up,
                    &d.name,
                    "created here; the down script does not drop it",
                ),
                format!("drop it in {down_file}, {check}"),
            ),
            Change::Missing => (
                locate(down, &d.name, "dropped here").or_else(|| {
                    locate(
                        up,
                        &d.name,
                        "changed here; the down script does not restore it",
                    )
                }),
                format!(
                    "{down_file} drops it although {up_file} did not create it, or does not create again what {up_file} dropped; fix it, {check}"
                ),
            ),
            Change::Changed { attribute, .. } => (
                locate(down, &d.name, "set here by the down script").or_else(|| {
                    locate(
                        up,
                        &d.name,
                        "changed here; the down script does not restore it",
                    )
                }),
                format!(
                    "make {down_file} restore its {attribute} as it was before {up_file} ran, {check}"
                ),
            ),
        };
        let (src, span, label) = match place {
            Some((src, span, label)) => (Some(src), Some(span), label),
            None => (None, None, String::new()),
        };
        eprintln_diagnostic(&NotUndone {
            migration: m.name(),
            message: d.to_string(),
            src,
            span,
            label,
            help,
        });
    }
}

/// Where `name` appears in the script, if it appears exactly once as a whole word (anything
/// else would be a guess).
fn locate(file: &SqlFile, name: &str, label: &str) -> Option<(ScriptSource, SourceSpan, String)> {
    let name = name.rsplit('.').next().unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    let text = &file.text;
    let lower = text.to_ascii_lowercase();
    let needle = name.to_ascii_lowercase();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut hits = lower.match_indices(&needle).filter(|(at, _)| {
        let before = lower.as_bytes().get(at.wrapping_sub(1)).copied();
        let after = lower.as_bytes().get(at + needle.len()).copied();
        (*at == 0 || !before.is_some_and(is_word)) && !after.is_some_and(is_word)
    });
    let (at, _) = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    Some((
        ScriptSource::new(&file.display, text.clone()),
        (at, needle.len()).into(),
        label.to_owned(),
    ))
}

/// The end of `verify`, once each problem has been printed: the command's result. A run that
/// passed was announced by the engine (`Verified`); a failed one is summed up in the error.
pub fn verify_outcome(report: Report<'_>) -> Result<()> {
    if report.nothing_to_verify() {
        output::status("Finished", "nothing to verify: there are no migrations");
        return Ok(());
    }
    let summary = verify_summary(&report);
    let Report {
        stopped,
        not_dropped,
        ..
    } = report;
    match (stopped, summary, not_dropped) {
        (Some(Stop::Cancelled), _, Some(d)) => Err(d),
        (Some(Stop::Cancelled), _, None) => Err(Error::refused(
            "verify was interrupted",
            "the scratch database was dropped and nothing else was changed; run `cargo migrate verify` again",
        )),
        (Some(Stop::Error(e)), _, not_dropped) => {
            if let Some(d) = not_dropped {
                eprintln_diagnostic(&d);
            }
            Err(e)
        }
        (_, Ok(()), None) => Ok(()),
        (_, Ok(()), Some(d)) => Err(d),
        (_, Err(e), not_dropped) => {
            if let Some(d) = not_dropped {
                eprintln_diagnostic(&d);
            }
            Err(e)
        }
    }
}

/// A failed run as one error: what failed, how many were verified, where it stopped.
fn verify_summary(report: &Report<'_>) -> Result<()> {
    if report.passed() {
        return Ok(());
    }
    let stopped = match &report.stopped {
        None | Some(Stop::Cancelled | Stop::Error(_)) => String::new(),
        Some(Stop::FailFast) => "; it stopped early (--fail-fast)".to_owned(),
        Some(Stop::UpFailed {
            migration,
            after_down,
        }) => format!(
            "; it stopped early (the up script of {migration} failed{})",
            if *after_down { " after its down" } else { "" }
        ),
    };
    let failed: Vec<String> = report.failed().map(Migration::name).collect();
    let failed = if failed.is_empty() {
        String::new()
    } else {
        format!(
            "{} migration(s) not undone by their down script: {}",
            failed.len(),
            failed.join(", ")
        )
    };
    Err(Error::refused(
        format!(
            "verify failed: {failed}{sep}{} verified{stopped}",
            report.verified(),
            sep = if failed.is_empty() { "" } else { "; " },
        ),
        "each problem is described above with its migration and file; fix it and run `cargo migrate verify` again (`--from V --to V` checks one migration)",
    ))
}
