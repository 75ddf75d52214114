//! `cargo migrate pre-commit`: the commit gate, run by `.githooks/pre-commit`.
//!
//! It looks at what `git commit` is about to record (the index against HEAD). A commit that
//! stages no migration file is let through at once, before the configuration is even read. A
//! commit that stages one is blocked while a staged migration is not what the work tree holds,
//! fails lint at deny level, is unreviewed, conflicts with the main branch, or is not applied
//! to the developer's own database; every problem is reported, each with the command that
//! fixes it.
//!
//! [`check`] is the library entry point (`cargo xtask pre-commit` calls it in-process);
//! [`main`] renders its outcome and returns the exit code.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use build_support::git::BranchCheck;
use build_support::lints::RuleId;
use build_support::{Finding, MigrationSet, Severity, lock, parse_file_name};

use crate::cli::output;
use crate::cli::report::{self, install_report_hook};
use crate::commands::{Ctx, lint, read_applied, with_backend};
use crate::config::{Config, Overrides};
use crate::error::{Error, Result, exit};
use crate::staged::{Repo, Unstaged};
use crate::state::{State, status};

/// How long the gate waits for the developer's database before it gives up (a commit must not
/// hang on a server that does not answer).
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the gate decided.
#[derive(Debug)]
pub enum Outcome {
    /// No migration file is staged: nothing to check.
    NothingStaged,
    /// Every staged migration passed every check.
    Passed {
        /// The staged migrations, as `<VERSION>_<slug>`.
        migrations: Vec<String>,
        /// The database they are applied to (password masked).
        database: String,
        /// Why branch conflicts were not checked (on the main branch, no main branch, a
        /// shallow clone…), if they were not.
        conflicts_skipped: Option<String>,
    },
    /// The commit must not go ahead.
    Blocked(Vec<Problem>),
}

/// Why a staged migration blocks the commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// The work tree differs from the index in the migrations directory, so what was checked
    /// would not be what is committed.
    Unstaged,
    /// A deny-level lint finding.
    Lint,
    /// Not recorded in `migrations/migrate.lock` with its current checksums.
    Unreviewed,
    /// Conflicts with migrations the main branch added.
    Conflict,
    /// Not applied (or not as it is now) to the developer's database.
    Pending,
    /// The developer's database could not be asked.
    Database,
    /// A reviewed migration's file is deleted.
    Deleted,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Unstaged => "unstaged",
            Cause::Lint => "lint",
            Cause::Unreviewed => "unreviewed",
            Cause::Conflict => "conflict",
            Cause::Pending => "pending",
            Cause::Database => "database",
            Cause::Deleted => "deleted",
        }
    }
}

/// One reason to block the commit: what, where, and the command that fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub cause: Cause,
    /// Where: a file (`file:line:col` when known), or the database.
    pub subject: String,
    pub message: String,
    /// What to run (or do) to fix it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error[{}]: {}: {}\n    fix: {}",
            self.cause.as_str(),
            self.subject,
            self.message,
            self.fix
        )
    }
}

/// Checks what `git commit` is about to record in the repository around `cwd`.
///
/// Synchronous: it starts its own single-threaded runtime, and only when a migration is staged
/// and the database has to be asked. Outside a git work tree it is a configuration error.
pub fn check(cwd: &Path, overrides: &Overrides) -> Result<Outcome> {
    let Some(repo) = Repo::open(cwd)? else {
        return Err(Error::config(
            format!(
                "{} is not inside a git work tree: the commit gate checks what `git commit` is about to record",
                cwd.display()
            ),
            Some(
                "run it inside the repository (its pre-commit hook does); `cargo migrate init` in a git work tree enables the hook"
                    .to_owned(),
            ),
        ));
    };
    // The fast path: no `.sql` file staged anywhere, so no migration either. Nothing else is
    // read (not even the configuration, which costs a `cargo metadata`).
    let (staged_sql, deleted_sql) = repo.staged_sql_changes()?;
    if staged_sql.is_empty() && deleted_sql.is_empty() {
        return Ok(Outcome::NothingStaged);
    }
    let cfg = Config::load(cwd, overrides)?;
    let Some(rel_dir) = repo.relative(&cfg.dir) else {
        // The migrations directory does not exist or lies outside this repository.
        return Ok(Outcome::NothingStaged);
    };
    let prefix = if rel_dir.is_empty() {
        String::new()
    } else {
        format!("{rel_dir}/")
    };
    // Migration files sit directly in the directory; anything deeper is not a migration.
    let in_dir = |path: &str| -> Option<String> {
        let name = path.strip_prefix(&prefix)?;
        (!name.contains('/')).then(|| name.to_owned())
    };
    let staged_names: Vec<String> = staged_sql.iter().filter_map(|p| in_dir(p)).collect();
    let deleted: Vec<(String, String)> = deleted_sql
        .iter()
        .filter_map(|p| Some((p.clone(), in_dir(p)?)))
        .collect();
    if staged_names.is_empty() && deleted.is_empty() {
        return Ok(Outcome::NothingStaged);
    }
    let ctx = Ctx {
        cfg,
        quiet: true,
        yes: false,
    };
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let staged = Staged {
        files: staged_names.iter().map(|n| set.display_path(n)).collect(),
        versions: staged_names
            .iter()
            .filter_map(|n| parse_file_name(n).ok().flatten())
            .map(|n| n.version)
            .collect(),
    };

    let mut problems = Vec::new();
    for (path, change) in repo.unstaged_under(&rel_dir)? {
        let Some(name) = in_dir(&path) else { continue };
        if parse_file_name(&name) == Ok(None) && name != lock::LOCK_FILE {
            continue;
        }
        problems.push(unstaged_problem(&set.display_path(&name), &path, change));
    }
    problems.extend(deletion_problems(&set, &ctx.cfg.dir, &deleted));
    let branch = lint::branch(&ctx, &set);
    problems.extend(lint_problems(&ctx, &set, &branch, &staged)?);
    let team = lint::team_findings(&ctx, &set, branch, true)?;
    problems.extend(team_problems(team.findings, &staged));
    let conflicts_skipped = team.skipped;

    let migrations: Vec<String> = set
        .migrations
        .iter()
        .filter(|m| staged.versions.contains(&m.version))
        .map(|m| m.name())
        .collect();
    if !migrations.is_empty() {
        problems.extend(database_problems(&ctx.cfg, &set, &staged.versions));
    }

    problems.sort_by(|a, b| (a.cause, &a.subject).cmp(&(b.cause, &b.subject)));
    problems.dedup();
    if !problems.is_empty() {
        return Ok(Outcome::Blocked(problems));
    }
    Ok(Outcome::Passed {
        migrations,
        database: ctx.cfg.url.to_string(),
        conflicts_skipped,
    })
}

/// What the commit stages in the migrations directory.
struct Staged {
    /// The files, as the migration set shows them.
    files: BTreeSet<String>,
    /// The versions of the migrations they belong to.
    versions: BTreeSet<i64>,
}

impl Staged {
    /// Whether a finding is about a staged migration.
    fn has(&self, finding: &Finding) -> bool {
        finding.version.is_some_and(|v| self.versions.contains(&v))
            || self.files.contains(&finding.file)
    }
}

/// Staged deletions of reviewed migrations: once reviewed, a migration may have run anywhere,
/// and every database that ran it would find it missing. (`path` relative to the work tree,
/// `name` to the migrations directory.)
fn deletion_problems(set: &MigrationSet, dir: &Path, deleted: &[(String, String)]) -> Vec<Problem> {
    let display = lock::lock_display(set);
    // A lock that cannot be read is a problem of its own (damaged-lock).
    let Ok(Some(reviewed)) = lock::Lock::read(dir, &display) else {
        return Vec::new();
    };
    deleted
        .iter()
        .filter_map(|(path, name)| {
            let file = parse_file_name(name).ok().flatten()?;
            // Its down alone, or a file whose version still has an up: lint judges what is left.
            let up = matches!(file.kind, build_support::FileKind::Up | build_support::FileKind::UpOnly);
            if !up || set.get(file.version).is_some() {
                return None;
            }
            let entry = reviewed.get(file.version)?;
            Some(Problem {
                cause: Cause::Deleted,
                subject: set.display_path(name),
                message: format!(
                    "{} is deleted, but it is reviewed (in {}): it may have run in any database, and each would report it missing",
                    entry.name(),
                    display
                ),
                fix: format!(
                    "restore it with `git restore --staged --worktree {path}`; to undo what it did, add a migration that reverses it (`cargo migrate new <name>`)"
                ),
            })
        })
        .collect()
}

/// Deny-level lint findings in staged migrations.
fn lint_problems(
    ctx: &Ctx,
    set: &MigrationSet,
    branch: &BranchCheck,
    staged: &Staged,
) -> Result<Vec<Problem>> {
    Ok(lint::findings(ctx, set, branch)?
        .into_iter()
        .filter(|f| f.severity == Severity::Error && staged.has(f))
        .map(|f| Problem {
            cause: Cause::Lint,
            subject: f.location(),
            message: format!("[{}] {}", f.rule, f.message),
            fix: format!(
                "{}; `cargo migrate lint` shows the finding in full",
                help_of(&f)
            ),
        })
        .collect())
}

/// Unreviewed staged migrations, a damaged lock (which blocks every commit of a migration:
/// nothing is known reviewed) and staged migrations that conflict with the main branch, at
/// deny level (their default).
fn team_problems(findings: Vec<Finding>, staged: &Staged) -> Vec<Problem> {
    findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| {
            let cause = match f.rule {
                RuleId::UnreviewedMigration if staged.has(&f) => Cause::Unreviewed,
                RuleId::DamagedLock => Cause::Unreviewed,
                RuleId::BranchConflict if staged.has(&f) => Cause::Conflict,
                _ => return None,
            };
            Some(Problem {
                cause,
                subject: f.location(),
                fix: help_of(&f),
                message: f.message,
            })
        })
        .collect()
}

/// A finding's help, else where its rule is documented.
fn help_of(finding: &Finding) -> String {
    finding
        .help
        .clone()
        .unwrap_or_else(|| format!("see {}/{}.md", build_support::DOCS_URL, finding.rule))
}

fn unstaged_problem(shown: &str, path: &str, change: Unstaged) -> Problem {
    let fix = match change {
        Unstaged::Untracked => {
            format!("`git add {path}` to commit it too, or move it out of the migrations directory")
        }
        Unstaged::Modified => format!(
            "`git add {path}` to commit the change too, or `git stash --keep-index` to set it aside"
        ),
        Unstaged::Deleted => {
            format!(
                "`git rm {path}` to commit the deletion, or `git checkout -- {path}` to restore it"
            )
        }
    };
    Problem {
        cause: Cause::Unstaged,
        subject: shown.to_owned(),
        message: format!(
            "{}: the gate checks the migrations as they are in the work tree, which is not what this commit records",
            change.as_str()
        ),
        fix,
    }
}

/// Whether each staged migration is applied, as it is now, to the developer's database.
fn database_problems(cfg: &Config, set: &MigrationSet, versions: &BTreeSet<i64>) -> Vec<Problem> {
    let database = describe_database(cfg);
    let rows = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
        .and_then(|runtime| {
            runtime.block_on(async {
                let read = async { with_backend!(cfg.url.kind, B => read_applied::<B>(cfg).await) };
                tokio::time::timeout(DATABASE_TIMEOUT, read)
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::Connect {
                            url: cfg.url.to_string(),
                            cause: format!("no answer within {} s", DATABASE_TIMEOUT.as_secs()),
                            help: None,
                        })
                    })
            })
        });
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            let reason = crate::secrets::scrub(&e.to_string());
            let hint = match &e {
                Error::Connect { help: Some(h), .. } | Error::Unreachable { help: Some(h), .. } => {
                    format!(" ({h})")
                }
                _ => String::new(),
            };
            return vec![Problem {
                cause: Cause::Database,
                subject: database,
                message: format!(
                    "cannot tell whether the staged migrations are applied: {reason}{hint}"
                ),
                fix: "start the database (or point the URL at the right one), then run `cargo migrate up` once it is up".to_owned(),
            }];
        }
    };
    let entries = status(set, &rows);
    let mut problems = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !versions.contains(&e.version) {
            continue;
        }
        let Some(m) = e.migration else { continue };
        let previous = entries[..i].iter().rev().find(|p| p.row.is_some());
        let revert = match previous {
            Some(p) => format!("cargo migrate down --to {}", p.version),
            None => "cargo migrate down --all".to_owned(),
        };
        let (message, fix) = match e.state {
            State::Applied | State::Missing | State::Invalid => continue,
            State::Pending => (
                format!("{} is not applied to your database {database}", e.name()),
                "run `cargo migrate up`".to_owned(),
            ),
            State::OutOfOrder => (
                {
                    let newest = entries
                        .iter()
                        .filter(|n| n.row.is_some_and(|r| r.success))
                        .map(|n| n.name())
                        .next_back()
                        .unwrap_or_default();
                    format!(
                        "{} is not applied to your database {database}, and is older than {newest}, which is applied",
                        e.name()
                    )
                },
                "run `cargo migrate rebase` if it conflicts with main, else `cargo migrate up --allow-out-of-order`".to_owned(),
            ),
            State::Modified => (
                format!(
                    "{} changed after it was applied to your database {database}: the committed text never ran",
                    e.name()
                ),
                format!("run `{revert}` (it uses the current down script), then `cargo migrate up`"),
            ),
            State::Failed => (
                format!(
                    "{} is recorded as failed in your database {database}",
                    e.name()
                ),
                format!(
                    "bring the database back to where it was before it, run `cargo migrate repair {}`, then `cargo migrate up`",
                    e.version
                ),
            ),
        };
        problems.push(Problem {
            cause: Cause::Pending,
            subject: m.up.display.clone(),
            message,
            fix,
        });
    }
    problems
}

/// The database and where its URL came from, as the gate names it.
fn describe_database(cfg: &Config) -> String {
    format!("{} ({})", cfg.url, cfg.url_origin.describe())
}

/// Runs the gate in `cwd` and renders its outcome on stderr; the exit code is 0 when the
/// commit may go ahead, 1 when it is blocked, 2 for a usage or configuration error.
pub fn main(cwd: &Path, overrides: &Overrides, quiet: bool) -> ExitCode {
    install_report_hook();
    let status = |verb: &str, message: &str| {
        if !quiet {
            output::status(verb, message);
        }
    };
    let error = match check(cwd, overrides) {
        Ok(Outcome::NothingStaged) => return ExitCode::from(exit::SUCCESS),
        Ok(Outcome::Passed {
            migrations,
            database,
            conflicts_skipped,
        }) => {
            let conflicts = match &conflicts_skipped {
                None => ", no conflict with main",
                Some(_) => "",
            };
            status(
                "Checked",
                &format!(
                    "{} staged migration(s) ({}): reviewed, lint-clean{conflicts}, applied to {database}",
                    migrations.len(),
                    migrations.join(", ")
                ),
            );
            if let Some(reason) = conflicts_skipped {
                status("Skipped", &reason);
            }
            return ExitCode::from(exit::SUCCESS);
        }
        Ok(Outcome::Blocked(problems)) => {
            let mut text = String::new();
            for p in &problems {
                text.push_str(&p.to_string());
                text.push('\n');
            }
            output::stderr(&text);
            // The hook runs at the work tree's root with `--manifest-path` when the crate is
            // below it; the fix commands, written without it, must run in the crate.
            let crate_dir = overrides
                .manifest_path
                .as_deref()
                .and_then(Path::parent)
                .filter(|d| !d.as_os_str().is_empty() && cwd.join(d) != cwd);
            let help = match crate_dir {
                Some(d) => {
                    let shown = d.display().to_string();
                    format!(
                        "run the command under each problem in {shown} (`cd {}` from the repository's root), stage what it changed (`git add`), and commit again",
                        crate::commands::init::sh_quote(&shown)
                    )
                }
                None => "run the command under each problem, stage what it changed (`git add`), and commit again".to_owned(),
            };
            Error::refused(
                format!(
                    "commit blocked: {} problem(s) with the staged migrations (listed above)",
                    problems.len()
                ),
                help,
            )
        }
        Err(e) => e,
    };
    report::finish(Err(error))
}
