//! One module per command. `main` parses the command line, runs the command on a
//! current-thread runtime and hands its result to [`crate::cli::report::finish`], which renders
//! an error as a diagnostic and returns its exit code.

mod baseline;
mod check;
mod down;
pub(crate) mod dump;
mod explain;
mod history;
mod import;
mod init;
mod lint;
mod new;
pub mod pre_commit;
mod protect;
mod rebase;
mod repair;
mod review;
mod status;
mod up;
mod verify;

use std::process::ExitCode;

use build_support::{MigrationSet, Read};

use crate::cli::args::Command;
use crate::cli::output;
use crate::cli::report::{self, eprintln_report, install_report_hook};
use crate::config::{Config, Overrides, UrlOrigin, display_relative};
use crate::error::{Error, Result};

pub(crate) use crate::backend::with_backend;
pub use crate::migrate::{read_applied, read_recorded, read_recorded_down, with_lock, with_reader};

/// What every command gets.
#[derive(Debug)]
pub struct Ctx {
    pub cfg: Config,
    pub quiet: bool,
    /// `--yes`: confirms a command on a protected environment.
    pub yes: bool,
}

impl Ctx {
    pub fn status(&self, verb: &str, message: &str) {
        if !self.quiet {
            output::status(verb, message);
        }
    }

    /// Says which database a command works on and where that choice came from.
    pub fn announce_database(&self) {
        let origin = self.cfg.url_origin.describe();
        let env = match &self.cfg.environment {
            Some((name, _)) => format!(" [env {name}]"),
            None => String::new(),
        };
        let url = match (&self.cfg.url_origin, &self.cfg.url.sqlite_path) {
            (UrlOrigin::EmbeddedDefault, Some(path)) => {
                let cwd = std::env::current_dir().unwrap_or_default();
                format!("sqlite:{}", display_relative(path, &cwd))
            }
            _ => self.cfg.url.to_string(),
        };
        self.status("Database", &format!("{url}{env} ({origin})"));
    }

    /// Loads the migration set; problems in it are printed as warnings.
    pub fn load_lenient(&self, read: Read) -> Result<MigrationSet> {
        let set = MigrationSet::load_with(&self.cfg.dir, &self.cfg.dir_display, read)?;
        for finding in &set.findings {
            eprintln_report(miette::Report::new(finding.clone()));
        }
        Ok(set)
    }

    /// Loads the migration set and refuses to go on if anything in it is wrong.
    pub fn load_strict(&self) -> Result<MigrationSet> {
        let set = MigrationSet::load(&self.cfg.dir, &self.cfg.dir_display)?;
        if set.has_errors() {
            return Err(Error::Invalid {
                dir: self.cfg.dir_display.clone(),
                count: set.findings.len(),
                findings: set.findings,
            });
        }
        Ok(set)
    }
}

/// The command line's definition, for generated documents (the xtask's man pages).
pub fn cli_command() -> clap::Command {
    <crate::cli::args::MigrateArgs as clap::CommandFactory>::command().bin_name("cargo migrate")
}

pub fn main() -> ExitCode {
    install_report_hook();
    let args = match crate::cli::args::parse(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    output::set_quiet(args.global.quiet);
    output::set_colored(args.global.color.colored());
    let overrides = Overrides {
        database_url: args.global.database_url.clone(),
        env: args.global.env.clone(),
        dir: args.global.dir.clone(),
        manifest_path: args.global.manifest_path.clone(),
        lock_timeout: Some(args.global.lock_timeout),
        wait: args.global.wait,
        no_dotenv: args.global.no_dotenv,
    };
    let cwd = std::env::current_dir();
    if let Command::Completions(completions) = &args.command {
        // No project needed: the script is the command line's.
        let mut out = Vec::new();
        let mut command = <crate::cli::args::MigrateArgs as clap::CommandFactory>::command();
        clap_complete::generate(completions.shell, &mut command, "cargo-migrate", &mut out);
        output::stdout(&String::from_utf8_lossy(&out));
        return ExitCode::SUCCESS;
    }
    if let (Command::PreCommit, Ok(cwd)) = (&args.command, &cwd) {
        // Before the configuration is loaded: a commit that stages no migration must not
        // wait for `cargo metadata`.
        return pre_commit::main(cwd, &overrides, args.global.quiet);
    }
    let result = (|| {
        let cwd = cwd.map_err(|e| Error::io("cannot read the working directory", e))?;
        let mut cfg = Config::load(&cwd, &overrides)?;
        cfg.events = output::printer();
        let ctx = Ctx {
            cfg,
            quiet: args.global.quiet,
            yes: args.global.yes,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the async runtime", e))?;
        runtime.block_on(run(&ctx, args.command))
    })();
    report::finish(result)
}

async fn run(ctx: &Ctx, command: Command) -> Result<()> {
    match command {
        Command::Init => init::run(ctx),
        Command::New(args) => new::run(ctx, &args),
        Command::Up(args) => up::run(ctx, &args).await,
        Command::Down(args) => down::run(ctx, &args).await,
        Command::Redo => down::redo(ctx).await,
        Command::Status(args) => status::run(ctx, args.format).await,
        Command::History(args) => history::run(ctx, args.format).await,
        Command::Repair(args) => repair::run(ctx, &args).await,
        Command::Baseline(args) => baseline::run(ctx, &args).await,
        Command::Lint(args) => lint::run(ctx, args.report),
        Command::Check(args) => check::run(ctx, &args).await,
        Command::Verify(args) => verify::run(ctx, &args).await,
        Command::Explain(args) => explain::run(ctx, &args),
        Command::Dump(args) => dump::run(ctx, args.format).await,
        Command::Review(args) => review::run(ctx, &args),
        Command::Rebase => rebase::run(ctx).await,
        Command::Import(args) => import::run(ctx, &args).await,
        Command::PreCommit | Command::Completions(_) => {
            unreachable!("`main` runs these before loading the config")
        }
    }
}
