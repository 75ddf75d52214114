//! The command line's arguments (clap only; each command lives in [`crate::commands`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The arguments of `cargo migrate …` (cargo runs `cargo-migrate migrate …`) or of
/// `cargo-migrate …` run on its own; `Err` is clap's error (or `--help`, `--version`).
pub fn parse(mut argv: Vec<std::ffi::OsString>) -> Result<MigrateArgs, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let via_cargo = argv.get(1).is_some_and(|a| a == "migrate");
    if via_cargo {
        argv.remove(1);
    }
    let mut command = MigrateArgs::command().bin_name(if via_cargo {
        "cargo migrate"
    } else {
        "cargo-migrate"
    });
    let matches = command
        .try_get_matches_from_mut(&argv)
        .map_err(|e| better_suggestion(e, &mut command))?;
    MigrateArgs::from_arg_matches(&matches).map_err(|e| e.with_cmd(&command))
}

/// Words people try for a command this tool spells otherwise, and the command to offer:
/// clap's closest spelling of `revert` would be `review`.
const INSTEAD: &[(&str, &str)] = &[
    ("revert", "down"),
    ("rollback", "down"),
    ("undo", "down"),
    ("migrate", "up"),
    ("apply", "up"),
    ("info", "status"),
    ("create", "new"),
    ("generate", "new"),
];

fn better_suggestion(error: clap::Error, command: &mut clap::Command) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let Some(ContextValue::String(given)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    let Some((_, instead)) = INSTEAD.iter().find(|(word, _)| word == given) else {
        return error;
    };
    let mut better = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(command);
    better.insert(
        ContextKind::InvalidSubcommand,
        ContextValue::String(given.clone()),
    );
    better.insert(
        ContextKind::SuggestedSubcommand,
        ContextValue::String((*instead).to_owned()),
    );
    better.insert(
        ContextKind::Usage,
        ContextValue::StyledStr(command.render_usage()),
    );
    better
}

#[derive(Debug, Parser)]
#[command(
    name = "cargo-migrate",
    styles = clap::builder::Styles::styled(),
    version,
    about = "SQL migrations checked at build time, at commit time, in CI and at run time",
    after_help = "Exit codes: 0 success, 1 a migration or check failed (or the state was refused), 2 usage or configuration error (bad flag, bad URL, unreachable database), 130 stopped by Ctrl-C.\nThe database URL comes from --database-url, then $DATABASE_URL (or the config's `database_url_env`), then .env; with none, a SQLite file under target/ is used."
)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database URL (postgres://…, mysql://…, mariadb://…, sqlite:…); overrides the environment
    #[arg(long, short = 'D', global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Do not read the database URL from a `.env` file (only from the environment or the flag)
    #[arg(long, global = true)]
    pub no_dotenv: bool,
    /// Use the named environment from the config (`[…metadata.migrate.env.NAME]`)
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// The migrations directory (default: `dir` from the config, else `migrations-dir` from
    /// sqlx.toml, else `migrations`); `--source` as sqlx-cli spells it
    #[arg(long, visible_alias = "source", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Path to Cargo.toml
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Print no status lines on stderr (errors still print)
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// How long to wait for another run holding the migration lock (`500ms`, `10s`, `2m`)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub lock_timeout: std::time::Duration,
    /// Retry connecting, with backoff, while the server is not reachable yet (`30s`, `2m`)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<std::time::Duration>,
    /// Confirm without asking: `review` records without a y/N question, and `down`, `redo`,
    /// `baseline`, `repair` or `verify` on a protected environment go ahead without the database
    /// name typed (required where there is no terminal, as in CI)
    #[arg(long, global = true)]
    pub yes: bool,
    /// When to use colours: `auto` (on a terminal, unless NO_COLOR is set), `always` or
    /// `never`; taken from $CARGO_TERM_COLOR when the flag is not given, as cargo does
    #[arg(long, global = true, value_enum, value_name = "WHEN", env = "CARGO_TERM_COLOR", hide_env_values = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether output on stderr is coloured.
    pub fn colored(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::IsTerminal::is_terminal(&std::io::stderr())
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// A duration as people write it: `500ms`, `10s`, `2m`, `1h 30m` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{e}; write a duration such as `500ms`, `10s` or `2m`"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the migrations directory and the config in Cargo.toml
    Init,
    /// Create a new migration (an up/down pair) with a version newer than every existing one
    New(NewArgs),
    /// Apply pending migrations in order
    Up(UpArgs),
    /// Revert applied migrations, newest first
    Down(DownArgs),
    /// Revert the newest applied migration and apply it again
    Redo,
    /// Show every migration: applied, pending, out-of-order, missing, modified or failed
    Status(FormatArgs),
    /// Show what was applied when, by whom, and how long it took
    History(FormatArgs),
    /// Clear a failed migration's record, or accept a deliberate edit of an applied migration;
    /// without a version, list the migrations that need it
    Repair(RepairArgs),
    /// Adopt an existing database: record every migration up to VERSION as applied, without
    /// running it
    Baseline(BaselineArgs),
    /// Run the build-time checks on the migrations (no database needed)
    Lint(LintArgs),
    /// For CI: fail if anything is pending, modified, failed, out of order, unreviewed, in
    /// conflict with the main branch, or fails lint
    Check(CheckArgs),
    /// Prove that each down script undoes its up script, in a scratch database
    Verify(VerifyArgs),
    /// Show what each statement locks, for how long, and whether it rewrites or scans a table,
    /// from the lock model (no database needed)
    Explain(ExplainArgs),
    /// Print the database's schema, normalised, for review and for diffing environments
    Dump(DumpArgs),
    /// Show each unreviewed migration (SQL, findings, what its down does) and record it in
    /// migrations/migrate.lock
    Review(ReviewArgs),
    /// Renumber this branch's new migrations after the main branch's newest (files renamed,
    /// review lock kept)
    Rebase,
    /// Adopt another tool's history: convert its migration files in place and, with a database,
    /// record what its tracking table says was applied (that table is left untouched)
    Import(ImportArgs),
    /// The commit gate (run by the git hook): block a commit whose staged migrations are
    /// unreviewed, fail lint, conflict with main, or are not applied to your database
    PreCommit,
    /// Print the shell completion script for `cargo-migrate` (bash, zsh, fish, elvish,
    /// powershell), for example `cargo migrate completions bash > ~/.local/share/bash-completion/completions/cargo-migrate`
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tool whose files (and tracking table) to import
    #[arg(long, value_name = "TOOL", value_parser = parse_tool)]
    pub from: crate::foreign::Tool,
    /// Print the conversion plan (renames, renumbering) and what would be recorded; change
    /// nothing
    #[arg(long)]
    pub dry_run: bool,
    /// First prove that the converted history builds the live schema: apply it in a scratch
    /// database on the same server and compare its `dump` with the database's, per object
    #[arg(long)]
    pub verify: bool,
}

fn parse_tool(text: &str) -> Result<crate::foreign::Tool, String> {
    text.parse().map_err(|e| {
        let ids: Vec<&str> = crate::foreign::Tool::ALL.iter().map(|t| t.id()).collect();
        format!("{e}; one of: {}", ids.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The migrations to review (default: every unreviewed one)
    #[arg(value_name = "VERSION")]
    pub versions: Vec<i64>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, in a few words (becomes the file name's slug)
    pub name: String,
    /// Start from a template, written for the configured database
    #[arg(long, value_enum)]
    pub template: Option<Template>,
    /// Write a single up-only (irreversible) `<VERSION>_<name>.sql`
    #[arg(long)]
    pub up_only: bool,
    /// The table the template works on (default: taken from the name)
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,
    /// The column the template works on
    #[arg(long, value_name = "COLUMN")]
    pub column: Option<String>,
    /// The referenced table, for add_foreign_key
    #[arg(long, value_name = "TABLE")]
    pub references: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Template {
    CreateTable,
    AddColumn,
    AddIndex,
    AddForeignKey,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply up to and including this version (`--target-version` as sqlx-cli spells it)
    #[arg(long, visible_alias = "target-version", value_name = "VERSION")]
    pub to: Option<i64>,
    /// Print the plan and the SQL that would run; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply pending migrations older than the newest applied one
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Do not refuse when an applied migration's file is missing
    #[arg(long)]
    pub ignore_missing: bool,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct DownSelection {
    /// Revert this many migrations (default 1)
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Revert every migration newer than this version (`--target-version` as sqlx-cli spells
    /// it)
    #[arg(long, visible_alias = "target-version", value_name = "VERSION")]
    pub to: Option<i64>,
    /// Revert every applied migration
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub selection: DownSelection,
    /// Print the plan and the SQL that would run; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// How to print the result: `human` (a table, for people) or `json` (a versioned document,
    /// for scripts and CI)
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table and status lines, for people
    #[default]
    Human,
    /// A JSON document on stdout (`format_version` 1), for scripts and CI
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also run `verify`: prove every down script in a scratch database
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub report: ReportArgs,
}

/// How `lint` and `check` print their findings.
#[derive(Clone, Copy, Debug, Default, Args)]
pub struct ReportArgs {
    /// How to print the findings: `human` (diagnostics on stderr), `json` (a versioned
    /// document on stdout) or `sarif` (SARIF 2.1.0 on stdout, for code scanning). In GitHub
    /// Actions (`GITHUB_ACTIONS=true`) `human` also prints each finding as an annotation
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// With `--format human`: `human` (a report with the source lines) or `short` (one
    /// `file:line:col: level[rule]: message` line per finding)
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, value_name = "FMT")]
    pub message_format: MessageFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Diagnostics and status lines on stderr, for people
    #[default]
    Human,
    /// A JSON document on stdout (`format_version` 1), for scripts and CI
    Json,
    /// SARIF 2.1.0 on stdout, for code scanning (GitHub, GitLab, Azure DevOps)
    Sarif,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// A report per finding, with the source lines it points at
    #[default]
    Human,
    /// One `file:line:col: level[rule]: message` line per finding
    Short,
}

#[derive(Clone, Debug, Default, Args)]
pub struct VerifyArgs {
    /// Verify from this version on (earlier migrations are applied, not verified)
    #[arg(long, value_name = "VERSION")]
    pub from: Option<i64>,
    /// Verify up to and including this version (later migrations are not run)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<i64>,
    /// Stop at the first migration whose down script fails or does not undo its up script
    #[arg(long)]
    pub fail_fast: bool,
    /// Read the whole schema for every snapshot, not only what changed (slower)
    #[arg(long)]
    pub full_snapshots: bool,
    /// PostgreSQL: also trace the locks each up script takes, statement by statement, and
    /// compare them with the lock model's (model gaps are warnings; they do not change the exit
    /// code)
    #[arg(long)]
    pub locks: bool,
    /// How to print the result: `human` (diagnostics and a summary on stderr) or `json` (a
    /// versioned document on stdout, besides the diagnostics)
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    pub format: Format,
}

impl From<&UpArgs> for crate::plan::UpOptions {
    fn from(args: &UpArgs) -> Self {
        crate::plan::UpOptions {
            to: args.to,
            allow_out_of_order: args.allow_out_of_order,
            ignore_missing: args.ignore_missing,
        }
    }
}

impl From<&VerifyArgs> for crate::verify::Options {
    fn from(args: &VerifyArgs) -> Self {
        crate::verify::Options {
            from: args.from,
            to: args.to,
            fail_fast: args.fail_fast,
            full_snapshots: args.full_snapshots,
            locks: args.locks,
        }
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The migrations to explain (default: every one that takes a lock)
    #[arg(value_name = "VERSION")]
    pub versions: Vec<i64>,
    /// How to print: `human` (on stdout) or `json` (every migration, a versioned document)
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// How to print the schema: `sql` (SQL-ish text, for review and diffs) or `json`
    #[arg(long, value_enum, default_value_t = DumpFormat::Sql, value_name = "FORMAT")]
    pub format: DumpFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// SQL-ish text, one object after another in a fixed order
    Sql,
    /// The snapshot model as JSON
    Json,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The migration to repair (without it: list the migrations that need repair)
    pub version: Option<i64>,
    /// For a failed migration you finished by hand: record it as applied instead of clearing it
    #[arg(long, requires = "version")]
    pub mark_applied: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The newest migration the database already has (its version)
    pub version: i64,
    /// First prove that the migrations up to VERSION build the live schema: apply them in a
    /// scratch database on the same server and compare its `dump` with the database's, per
    /// object
    #[arg(long)]
    pub verify: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// `cargo migrate <args>` as cargo runs it.
    fn cargo(args: &[&str]) -> Result<MigrateArgs, clap::Error> {
        let argv = ["cargo-migrate", "migrate"].iter().chain(args);
        parse(argv.map(std::ffi::OsString::from).collect())
    }

    #[test]
    fn cli_definition_is_valid() {
        MigrateArgs::command().debug_assert();
    }

    #[test]
    fn parses_cargo_style() {
        let args = cargo(&["down", "--steps", "2", "--dry-run"]).unwrap();
        let Command::Down(down) = args.command else {
            panic!("expected down")
        };
        assert_eq!(down.selection.steps, Some(2));
        assert!(down.dry_run);
        assert!(cargo(&["down", "--steps", "2", "--all"]).is_err());
    }

    #[test]
    fn parses_repair_baseline_and_yes() {
        let parse = cargo;
        let args = parse(&["repair"]).unwrap();
        assert!(matches!(
            args.command,
            Command::Repair(RepairArgs {
                version: None,
                mark_applied: false
            })
        ));
        assert!(
            parse(&["repair", "--mark-applied"]).is_err(),
            "--mark-applied needs a version"
        );
        let args = parse(&["--env", "production", "baseline", "7", "--yes"]).unwrap();
        assert!(args.global.yes);
        assert!(matches!(
            args.command,
            Command::Baseline(BaselineArgs {
                version: 7,
                verify: false
            })
        ));
        assert!(parse(&["baseline"]).is_err(), "baseline needs a version");
    }

    #[test]
    fn parses_verify_dump_and_check_verify() {
        let args = cargo(&["verify", "--from", "2", "--to", "5", "--fail-fast"]).unwrap();
        let Command::Verify(verify) = args.command else {
            panic!("expected verify")
        };
        assert_eq!(
            (verify.from, verify.to, verify.fail_fast),
            (Some(2), Some(5), true)
        );
        let args = cargo(&["dump", "--format", "json"]).unwrap();
        assert!(matches!(
            args.command,
            Command::Dump(DumpArgs {
                format: DumpFormat::Json
            })
        ));
        let args = cargo(&["check", "--verify"]).unwrap();
        assert!(matches!(
            args.command,
            Command::Check(CheckArgs { verify: true, .. })
        ));
    }

    #[test]
    fn parses_lock_timeout_and_wait() {
        use std::time::Duration;
        let args = cargo(&["up"]).unwrap();
        assert_eq!(args.global.lock_timeout, Duration::from_secs(60));
        assert_eq!(args.global.wait, None);
        let args = cargo(&["up", "--lock-timeout", "500ms", "--wait", "2m"]).unwrap();
        assert_eq!(args.global.lock_timeout, Duration::from_millis(500));
        assert_eq!(args.global.wait, Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        let err = cargo(&["up", "--wait", "soon"]).unwrap_err();
        assert!(err.to_string().contains("such as `500ms`"), "{err}");
    }

    #[test]
    fn parses_review_and_rebase() {
        let args = cargo(&["review", "3", "5", "--yes"]).unwrap();
        let Command::Review(review) = args.command else {
            panic!("expected review")
        };
        assert_eq!(
            (review.versions.as_slice(), args.global.yes),
            (&[3, 5][..], true)
        );
        let args = cargo(&["rebase"]).unwrap();
        assert!(matches!(args.command, Command::Rebase));
    }

    #[test]
    fn runs_as_cargo_runs_it_and_on_its_own() {
        let on_its_own = |args: &[&str]| {
            let argv = ["cargo-migrate"].iter().chain(args);
            parse(argv.map(std::ffi::OsString::from).collect())
        };
        assert!(matches!(
            on_its_own(&["status"]).unwrap().command,
            Command::Status(_)
        ));
        assert!(matches!(
            cargo(&["status"]).unwrap().command,
            Command::Status(_)
        ));
        for version in [on_its_own(&["--version"]), cargo(&["--version"])] {
            let shown = version.unwrap_err().to_string();
            assert!(shown.contains(env!("CARGO_PKG_VERSION")), "{shown}");
        }
        let usage = cargo(&["--help"]).unwrap_err().to_string();
        assert!(usage.contains("Usage: cargo migrate"), "{usage}");
    }

    #[test]
    fn revert_is_offered_down_not_review() {
        let err = cargo(&["revert"]).unwrap_err().to_string();
        assert!(err.contains("'down'"), "{err}");
        assert!(!err.contains("'review'"), "{err}");
    }

    /// `--help` of the tool and of every command, as people see it: a change to a flag or its
    /// text shows in review.
    #[test]
    fn help_of_every_command() {
        let mut root = MigrateArgs::command()
            .bin_name("cargo migrate")
            .term_width(100);
        root.build();
        insta::assert_snapshot!("help", root.render_long_help().to_string());
        for sub in root.get_subcommands_mut() {
            let name = sub.get_name().to_owned();
            let help = sub.render_long_help().to_string();
            insta::assert_snapshot!(format!("help_{name}"), help);
        }
    }
}
