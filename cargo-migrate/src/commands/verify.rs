//! `cargo migrate verify`: proves, in a scratch database, that each down script undoes its up
//! script (SPEC §8). The engine is [`crate::verify`]; this command refuses a protected
//! environment, cancels the run on Ctrl-C and prints the report.

use build_support::MigrationSet;

use serde::Serialize;

use crate::cli::args::{Format, VerifyArgs};
use crate::cli::interrupt::Progress;
use crate::cli::machine;
use crate::cli::output;
use crate::cli::report;
use crate::commands::{Ctx, protect};
use crate::config::Config;
use crate::error::Result;
use crate::events::{Event, Observer};
use crate::verify::{Options, Problem, Report, Stop};

pub async fn run(ctx: &Ctx, args: &VerifyArgs) -> Result<()> {
    ctx.announce_database();
    protect::refuse_scratch(ctx)?;
    let set = ctx.load_strict()?;
    verify(ctx, &set, &args.into(), args.format).await
}

/// Verifies a loaded, valid migration set (for `verify`, and `check --verify` in `human`), and
/// prints its JSON document with `Format::Json`.
pub async fn verify(
    ctx: &Ctx,
    set: &MigrationSet,
    options: &Options,
    format: Format,
) -> Result<()> {
    let cfg = with_progress(&ctx.cfg, set, options.to);
    let report =
        crate::verify::verify(&cfg, set, options, ctrl_c(), report::verify_problem).await?;
    if format == Format::Json {
        machine::print_json("verify", &document(&report));
    }
    report::verify_outcome(report)
}

/// `cfg` whose events print each migration's line with `[n/N]` (of the migrations up to
/// `to`), as `up` and `down` do.
fn with_progress(cfg: &Config, set: &MigrationSet, to: Option<i64>) -> Config {
    let total = set
        .migrations
        .iter()
        .filter(|m| to.is_none_or(|to| m.version <= to))
        .count();
    let progress = Progress::new(total);
    let mut cfg = cfg.clone();
    cfg.events = Observer::new(move |event: &Event| match event {
        Event::Verifying { .. } => {
            output::status(event.verb(), &progress.next_line(&event.to_string()));
        }
        _ => output::print_event(event),
    });
    cfg
}

/// The JSON document of `verify`: every migration the run got to with what was found, why
/// the run stopped early (if it did), and whether it passed (the exit code is 0 exactly then).
#[derive(Debug, Serialize)]
struct VerifyDocument<'a> {
    migrations: Vec<VerifiedMigration<'a>>,
    /// `fail-fast`, `up-failed`, `cancelled` or `error`, with `stopped_because`; absent when
    /// the run got to the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_because: Option<String>,
    passed: bool,
}

/// One migration of `verify`'s document.
#[derive(Debug, Serialize)]
struct VerifiedMigration<'a> {
    version: i64,
    name: &'a str,
    /// `verified` (its down undoes its up), `failed`, or `applied` (applied only: before
    /// `--from`, or irreversible).
    result: &'static str,
    problems: Vec<ProblemOut<'a>>,
}

/// One problem: its kind (`no-down`, `up-failed`, `down-failed`, `not-undone`,
/// `up-failed-again`), the error's message, and for `not-undone` the schema differences.
#[derive(Debug, Serialize)]
struct ProblemOut<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    differences: Option<&'a [crate::snapshot::Difference]>,
}

fn document<'a>(report: &'a Report<'_>) -> VerifyDocument<'a> {
    let migrations = report
        .migrations
        .iter()
        .map(|c| VerifiedMigration {
            version: c.migration.version,
            name: &c.migration.slug,
            result: if c.verified() {
                "verified"
            } else if c.failed() || !c.problems.is_empty() {
                "failed"
            } else {
                "applied"
            },
            problems: c.problems.iter().map(problem).collect(),
        })
        .collect();
    let (stopped, stopped_because) = match &report.stopped {
        None => (None, None),
        Some(Stop::FailFast) => (Some("fail-fast"), None),
        Some(Stop::UpFailed { migration, .. }) => (
            Some("up-failed"),
            Some(format!("the up script of {migration} failed")),
        ),
        Some(Stop::Cancelled) => (Some("cancelled"), None),
        Some(Stop::Error(e)) => (Some("error"), Some(e.to_string())),
    };
    VerifyDocument {
        migrations,
        stopped,
        stopped_because,
        passed: report.passed(),
    }
}

fn problem(problem: &Problem) -> ProblemOut<'_> {
    let (kind, message, differences) = match problem {
        Problem::NoDown => ("no-down", None, None),
        Problem::UpFailed(e) => ("up-failed", Some(e.to_string()), None),
        Problem::DownFailed { error, .. } => ("down-failed", Some(error.to_string()), None),
        Problem::NotUndone(d) => ("not-undone", None, Some(d.as_slice())),
        Problem::UpFailedAgain { error, .. } => ("up-failed-again", Some(error.to_string()), None),
    };
    ProblemOut {
        kind,
        message,
        differences,
    }
}

/// Completes on Ctrl-C; never, where signals cannot be handled. The handler is installed when
/// the engine first polls it, before it creates the scratch database.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
