//! `cargo migrate verify`: proves, in a scratch database, that each down script undoes its up
//! script (SPEC §8). The engine is [`crate::verify`]; this command refuses a protected
//! environment, cancels the run on Ctrl-C and prints the report.

use build_support::lock_model::{Relation, Rewrite};
use build_support::{LockMode, Migration, MigrationSet};

use serde::Serialize;

use crate::cli::args::{Format, VerifyArgs};
use crate::cli::interrupt::Progress;
use crate::cli::machine;
use crate::cli::output;
use crate::cli::report;
use crate::commands::{Ctx, protect};
use crate::config::Config;
use crate::db_url::DbKind;
use crate::error::Result;
use crate::events::{Event, Observer};
use crate::locks::{MigrationLocks, TracedLock, TracedStatement};
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
    if options.locks && cfg.url.kind != DbKind::Postgres {
        output::warning(&not_traced(cfg.url.kind));
    }
    let report =
        crate::verify::verify(&cfg, set, options, ctrl_c(), report::verify_problem).await?;
    if options.locks {
        print_model_gaps(&report);
    }
    if format == Format::Json {
        machine::print_json("verify", &document(&report, options.locks, cfg.url.kind));
    } else if report.traced_on.is_some() {
        output::stdout(&locks_text(&report));
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
    /// With `--locks`: whether they were traced (PostgreSQL only; else why not), on which
    /// server version, and how many model gaps were found (they do not change `passed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    locks: Option<LocksOut<'a>>,
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
    /// With `--locks` on PostgreSQL, for the migrations it checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    locks: Option<MigrationLocksOut<'a>>,
}

#[derive(Debug, Serialize)]
struct LocksOut<'a> {
    traced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    model_gaps: usize,
}

/// One migration's traced locks: `traced` false for a `no-transaction` script (with
/// `reason`); else per statement, and the statement that failed if one did.
#[derive(Debug, Serialize)]
struct MigrationLocksOut<'a> {
    traced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    statements: Vec<StatementLocksOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed: Option<FailedOut<'a>>,
}

#[derive(Debug, Serialize)]
struct FailedOut<'a> {
    /// 0-based, as `statements`.
    statement: usize,
    message: &'a str,
}

/// One statement: `location` is `file:line`; `locks` what it newly took (strongest first),
/// `rewrite` whether a table's storage changed (`rewritten`, which), `predicted` the lock
/// model's, and `model_gaps` where the server took more (each a sentence).
#[derive(Debug, Serialize)]
struct StatementLocksOut<'a> {
    location: String,
    statement: &'a str,
    locks: Vec<LockOut>,
    /// The relations the prediction names that the transaction held already (as strongly).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    held_already: Vec<LockOut>,
    rewrite: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rewritten: Vec<&'a str>,
    predicted: PredictedOut,
    model_gaps: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LockOut {
    relation: String,
    kind: &'static str,
    mode: &'static str,
}

/// `known` false when the model has no entry for the statement; `locks` as `locks` of the
/// trace, with the kind `indexes` for each index of the table `relation`; `rewrite` is `no`,
/// `yes` or `unless: <why>`.
#[derive(Debug, Serialize)]
struct PredictedOut {
    known: bool,
    locks: Vec<LockOut>,
    rewrite: String,
}

fn lock_out(lock: &TracedLock) -> LockOut {
    LockOut {
        relation: lock.relation.clone(),
        kind: lock.kind.as_str(),
        mode: lock.mode.as_str(),
    }
}

fn locks_out<'a>(m: &'a Migration, locks: &'a MigrationLocks) -> MigrationLocksOut<'a> {
    let (statements, failed) = match locks {
        MigrationLocks::NotTraced => {
            return MigrationLocksOut {
                traced: false,
                reason: Some("no-transaction: its statements cannot run in a transaction"),
                statements: Vec::new(),
                failed: None,
            };
        }
        MigrationLocks::Traced { statements, failed } => (statements, failed),
    };
    let statements = statements
        .iter()
        .map(|s| StatementLocksOut {
            location: location(m, s),
            statement: &m.up.text[s.span.clone()],
            locks: s.locks.iter().map(lock_out).collect(),
            held_already: s.held_already.iter().map(lock_out).collect(),
            rewrite: !s.rewritten.is_empty(),
            rewritten: s.rewritten.iter().map(String::as_str).collect(),
            predicted: PredictedOut {
                known: s.modelled,
                locks: predicted_locks(s)
                    .into_iter()
                    .map(|(kind, relation, mode)| LockOut {
                        relation,
                        kind,
                        mode: mode.as_str(),
                    })
                    .collect(),
                rewrite: match s.predicted_rewrite() {
                    Rewrite::No => "no".to_owned(),
                    Rewrite::Yes => "yes".to_owned(),
                    Rewrite::Unless(why) => format!("unless: {why}"),
                },
            },
            model_gaps: s.gaps.iter().map(ToString::to_string).collect(),
        })
        .collect();
    MigrationLocksOut {
        traced: true,
        reason: None,
        statements,
        failed: failed.as_ref().map(|(i, message)| FailedOut {
            statement: *i,
            message,
        }),
    }
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

/// Why `--locks` traced nothing on `kind`.
fn not_traced(kind: DbKind) -> String {
    format!(
        "verify --locks traces PostgreSQL only: locks are not traced on {}, the rest of verify runs as usual",
        match kind {
            DbKind::MySql => "MySQL or MariaDB",
            DbKind::Sqlite => "SQLite",
            DbKind::Postgres => "PostgreSQL",
        }
    )
}

/// Where a statement of a migration's up script is: `file:line`.
fn location(migration: &Migration, statement: &TracedStatement) -> String {
    format!("{}:{}", migration.up.display, statement.line)
}

/// A statement's first line, shortened to fit a line of the report.
fn statement_text(migration: &Migration, statement: &TracedStatement) -> String {
    let text = &migration.up.text[statement.span.clone()];
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(72) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

/// Every model gap as a warning, as `file:line: …`.
fn print_model_gaps(report: &Report<'_>) {
    for checked in &report.migrations {
        let Some(locks) = &checked.locks else {
            continue;
        };
        for (statement, gap) in locks.gaps() {
            output::warning(&format!(
                "model gap at {}: {gap} (the lock model, which `explain` and the lock rules use, underestimates this statement: please report it)",
                location(checked.migration, statement)
            ));
        }
    }
}

/// `relation MODE, …`, or `empty` for none.
fn modes(locks: impl IntoIterator<Item = (String, LockMode)>, empty: &str) -> String {
    let parts: Vec<String> = locks
        .into_iter()
        .map(|(name, mode)| format!("{name} {}", mode.as_str()))
        .collect();
    if parts.is_empty() {
        empty.to_owned()
    } else {
        parts.join(", ")
    }
}

/// The model's predictions for a statement, in one line.
fn predicted_text(statement: &TracedStatement) -> String {
    if !statement.modelled {
        return "no entry in the lock model".to_owned();
    }
    let locks = modes(
        predicted_locks(statement)
            .into_iter()
            .map(|(kind, name, mode)| match kind {
                "indexes" => (format!("each index of {name}"), mode),
                _ => (format!("{kind} {name}"), mode),
            }),
        "no lock on an existing relation",
    );
    let rewrite = match statement.predicted_rewrite() {
        Rewrite::No => "no rewrite".to_owned(),
        Rewrite::Yes => "rewrites".to_owned(),
        Rewrite::Unless(why) => format!("rewrites unless {why}"),
    };
    format!("{locks}; {rewrite}")
}

/// The locks the model predicts for a statement, as (kind, relation, mode): `table`, `index`,
/// or `indexes` (each index of the table `relation`).
fn predicted_locks(statement: &TracedStatement) -> Vec<(&'static str, String, LockMode)> {
    statement
        .predictions
        .iter()
        .flat_map(|p| {
            let named = p.locks.iter().map(|l| {
                let kind = match l.relation {
                    Relation::Table => "table",
                    Relation::Index => "index",
                };
                (kind, l.name.clone(), l.mode)
            });
            let tables = p.locks.iter().filter(|l| l.relation == Relation::Table);
            let each_index = p.each_index.into_iter().flat_map(move |mode| {
                tables
                    .clone()
                    .map(move |t| ("indexes", t.name.clone(), mode))
            });
            named.chain(each_index)
        })
        .collect()
}

/// The human report of `--locks`: per migration, per statement, what it took and what the
/// model predicted.
fn locks_text(report: &Report<'_>) -> String {
    let mut out = format!(
        "Locks traced on PostgreSQL {} (each up script ran once more in a transaction rolled back; a lock the transaction already held is not seen again):\n",
        report.traced_on.as_deref().unwrap_or("?")
    );
    for checked in &report.migrations {
        let m = checked.migration;
        match &checked.locks {
            None => {}
            Some(MigrationLocks::NotTraced) => out.push_str(&format!(
                "{}: not traced (no-transaction: its statements cannot run in a transaction)\n",
                m.name()
            )),
            Some(MigrationLocks::Traced { statements, failed }) => {
                out.push_str(&format!("{}\n", m.name()));
                for statement in statements {
                    let traced = modes(
                        statement
                            .locks
                            .iter()
                            .map(|l| (format!("{} {}", l.kind.as_str(), l.relation), l.mode)),
                        "nothing new",
                    );
                    let traced = if statement.held_already.is_empty() {
                        traced
                    } else {
                        let held = modes(
                            statement
                                .held_already
                                .iter()
                                .map(|l| (format!("{} {}", l.kind.as_str(), l.relation), l.mode)),
                            "",
                        );
                        format!("{traced} (held already: {held})")
                    };
                    let rewrite = if statement.rewritten.is_empty() {
                        "no rewrite".to_owned()
                    } else {
                        format!("rewrote {}", statement.rewritten.join(", "))
                    };
                    out.push_str(&format!(
                        "  {}  {}\n    traced     {traced}; {rewrite}\n    predicted  {}\n",
                        location(m, statement),
                        statement_text(m, statement),
                        predicted_text(statement)
                    ));
                    for gap in &statement.gaps {
                        out.push_str(&format!("    MODEL GAP  {gap}\n"));
                    }
                }
                if let Some((i, message)) = failed {
                    out.push_str(&format!(
                        "  statement {} failed, the trace stopped there: {message}\n",
                        i + 1
                    ));
                }
            }
        }
    }
    out
}

fn document<'a>(report: &'a Report<'_>, locks: bool, kind: DbKind) -> VerifyDocument<'a> {
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
            locks: c.locks.as_ref().map(|l| locks_out(c.migration, l)),
        })
        .collect();
    let locks = locks.then(|| LocksOut {
        traced: report.traced_on.is_some(),
        server_version: report.traced_on.as_deref(),
        reason: (kind != DbKind::Postgres).then(|| not_traced(kind)),
        model_gaps: report
            .migrations
            .iter()
            .filter_map(|c| c.locks.as_ref())
            .map(|l| l.gaps().count())
            .sum(),
    });
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
        locks,
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
