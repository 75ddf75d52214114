//! Diagnostics and reports as the terminal shows them: the miette handler, errors rendered with
//! every known password masked and ended with their exit code, and the SQL of a dry run.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use build_support::Migration;
use miette::{Diagnostic, MietteHandler, MietteHandlerOpts, ReportHandler};

use crate::error::{Result, exit};
use crate::script::Script;
use crate::secrets::scrub;

/// How diagnostics render.
fn handler() -> MietteHandler {
    let mut opts = MietteHandlerOpts::new().terminal_links(false);
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
