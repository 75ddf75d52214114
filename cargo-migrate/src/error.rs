//! The error vocabulary of the run-time library, and the exit codes it maps to.

use build_support::{Finding, ScriptSource};
use miette::{Diagnostic, SourceSpan};

use build_support::config::ConfigError;

use crate::db_url::UrlError;
use crate::state::State;

/// Exit codes, documented in the README (one place for all of them).
pub mod exit {
    /// Everything worked (also: stdout was closed early by the reader).
    pub const SUCCESS: u8 = 0;
    /// A check failed, a migration failed, or the tool refused to run on the current state.
    pub const FAILURE: u8 = 1;
    /// Bad usage or configuration: a wrong flag, a bad URL, an unreachable database.
    pub const USAGE: u8 = 2;
    /// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    #[error("invalid database URL `{url}`: {reason}")]
    #[diagnostic(
        code(migrate::bad_url),
        help(
            "database URLs look like `postgres://user:password@host:5432/db`, `mysql://user:password@host:3306/db` or `sqlite:path/to/file.db`"
        )
    )]
    BadUrl { url: String, reason: String },

    /// A database whose driver this build leaves out (the crate's per-database features).
    #[error("this build of cargo-migrate has no {} driver", .0.dialect())]
    #[diagnostic(
        code(migrate::driver_not_built),
        help("enable the `{}` feature of the `cargo-migrate` dependency", .0.feature())
    )]
    DriverNotBuilt(crate::db_url::DbKind),

    #[error("cannot connect to {url}: {cause}")]
    #[diagnostic(code(migrate::connect))]
    Connect {
        url: String,
        cause: String,
        #[help]
        help: Option<Help>,
    },

    /// The server could not be reached (refused, timed out, still starting up): unlike
    /// [`Error::Connect`], trying again later may work, which is what `--wait` does.
    #[error("cannot connect to {url}: {cause}")]
    #[diagnostic(code(migrate::unreachable))]
    Unreachable {
        url: String,
        cause: String,
        #[help]
        help: Option<Help>,
    },

    /// Another run held the migration lock for longer than `--lock-timeout`.
    #[error(
        "gave up after {waited} waiting for the migration lock on {database}, held by {holder}"
    )]
    #[diagnostic(code(migrate::lock_timeout))]
    LockTimeout {
        database: String,
        waited: String,
        holder: String,
        #[help]
        help: Help,
    },

    #[error("{message}")]
    #[diagnostic(code(migrate::config))]
    Config {
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] build_support::LoadError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] build_support::lock::LockError),

    #[error("{count} problem(s) in the migrations in {dir}")]
    #[diagnostic(
        code(migrate::invalid_migrations),
        help("nothing was run; fix the files named below and try again")
    )]
    Invalid {
        dir: String,
        count: usize,
        #[related]
        findings: Vec<Finding>,
    },

    /// A run stopped by Ctrl-C between two migrations: what was done and what was not.
    #[error("{message}")]
    #[diagnostic(code(migrate::interrupted))]
    Interrupted {
        message: String,
        #[help]
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(migrate::refused))]
    Refused {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// An applied migration whose file changed: what was recorded, what is there now, and the
    /// lines that differ (when the applied text was recorded).
    #[error("{message}\n{details}")]
    #[diagnostic(code(migrate::modified))]
    Drift {
        message: String,
        details: String,
        #[help]
        help: String,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    MigrationFailed(Box<MigrationFailure>),

    /// An application that refuses to start: migrations are pending, or in a state `up` would
    /// refuse ([`crate::embedded::Migrator::check`]).
    #[error("the database is not up to date: {}", describe(outstanding))]
    #[diagnostic(
        code(migrate::not_up_to_date),
        help(
            "apply them with `cargo migrate up --database-url <URL>` from the repository, or let the application apply them at start-up; `cargo migrate status` shows the state of each one, and for a failed or modified one `cargo migrate up` says how to repair it"
        )
    )]
    NotUpToDate { outstanding: Vec<Outstanding> },

    /// The connection was lost while a migration ran: why, and what the tracking table said
    /// after reconnecting (or that it could not be read).
    #[error("{message}")]
    #[diagnostic(code(migrate::connection_lost))]
    ConnectionLost {
        message: String,
        #[help]
        help: String,
    },

    #[error("database error while {doing}: {source}")]
    #[diagnostic(code(migrate::database))]
    Database {
        doing: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("git: {doing}: {message}")]
    #[diagnostic(
        code(migrate::git),
        help(
            "`git status` in the same directory shows whether git itself can read the repository"
        )
    )]
    Git { doing: String, message: String },

    #[error("{what}: {source}")]
    #[diagnostic(code(migrate::io))]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// A statement of a migration failed on the server: where, why, and what state it left.
#[derive(Clone, Debug, thiserror::Error, Diagnostic)]
#[error("migration {name} failed at {location}: {message}")]
#[diagnostic(code(migrate::migration_failed))]
pub struct MigrationFailure {
    pub name: String,
    pub location: String,
    pub message: String,
    #[source_code]
    pub src: ScriptSource,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// A migration that is not simply applied, in [`Error::NotUpToDate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outstanding {
    pub version: i64,
    /// `<VERSION>_<slug>`.
    pub name: String,
    pub state: State,
}

fn describe(outstanding: &[Outstanding]) -> String {
    let items: Vec<String> = outstanding
        .iter()
        .map(|o| format!("{} is {}", o.name, o.state.as_str()))
        .collect();
    items.join(", ")
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::config(e.message, e.help)
    }
}

impl From<UrlError> for Error {
    fn from(e: UrlError) -> Error {
        Error::BadUrl {
            url: e.url,
            reason: e.reason,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A setting that help can suggest changing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// How long to wait for the server: `--wait`, [`Config::wait`](crate::config::Config).
    Wait,
    /// How long to wait for the migration lock: `--lock-timeout`,
    /// [`Config::lock_timeout`](crate::config::Config).
    LockTimeout,
}

/// Help that may suggest a [`Setting`], named the way its reader sets it: a flag on the
/// command line (`--wait 30s`), or for an application that embeds the migrator, the field of
/// its config (as the embedded `Migrator` reports its errors).
#[derive(Clone, Debug)]
pub struct Help {
    parts: Vec<HelpPart>,
    in_application: bool,
}

#[derive(Clone, Debug)]
enum HelpPart {
    Text(String),
    Suggest(Setting, std::time::Duration),
}

impl Help {
    pub fn new(text: impl Into<String>) -> Self {
        Help {
            parts: vec![HelpPart::Text(text.into())],
            in_application: false,
        }
    }

    /// Appends text.
    pub fn then(mut self, text: impl Into<String>) -> Self {
        self.parts.push(HelpPart::Text(text.into()));
        self
    }

    /// Appends a suggestion to set `setting` to `value`.
    pub fn suggest(mut self, setting: Setting, value: std::time::Duration) -> Self {
        self.parts.push(HelpPart::Suggest(setting, value));
        self
    }
}

impl From<String> for Help {
    fn from(text: String) -> Self {
        Help::new(text)
    }
}

impl From<&str> for Help {
    fn from(text: &str) -> Self {
        Help::new(text)
    }
}

impl std::fmt::Display for Help {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                HelpPart::Text(text) => f.write_str(text)?,
                HelpPart::Suggest(setting, value) => {
                    let value = humantime::format_duration(*value);
                    match (self.in_application, setting) {
                        (false, Setting::Wait) => write!(f, "`--wait {value}`")?,
                        (false, Setting::LockTimeout) => write!(f, "`--lock-timeout {value}`")?,
                        (true, Setting::Wait) => {
                            write!(f, "`Migrator::config_mut().wait` = {value}")?;
                        }
                        (true, Setting::LockTimeout) => {
                            write!(f, "`Migrator::config_mut().lock_timeout` = {value}")?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Error {
    /// The error as an application that embeds the migrator reports it: it has no `--wait` or
    /// `--lock-timeout`, so suggested settings are named as fields of its config.
    pub(crate) fn in_application_terms(mut self) -> Self {
        if let Error::Connect {
            help: Some(help), ..
        }
        | Error::Unreachable {
            help: Some(help), ..
        }
        | Error::LockTimeout { help, .. } = &mut self
        {
            help.in_application = true;
        }
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadUrl { .. }
            | Error::Connect { .. }
            | Error::Unreachable { .. }
            | Error::Config { .. } => exit::USAGE,
            Error::Load(build_support::LoadError::Missing { .. }) => exit::USAGE,
            Error::Interrupted { .. } => exit::INTERRUPTED,
            _ => exit::FAILURE,
        }
    }

    /// The diagnostic as text, for an application's log: rendered without colours, every
    /// known password masked (the CLI renders its own errors the same way).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_links(false)
                .with_width(120);
        if handler.render_report(&mut out, self).is_err() {
            out = self.to_string();
        }
        crate::secrets::scrub(&out)
    }

    pub fn config(message: impl Into<String>, help: impl Into<Option<String>>) -> Self {
        Error::Config {
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn refused(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Refused {
            message: message.into(),
            help: Some(help.into()),
        }
    }

    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// Adds context to a database error.
pub(crate) trait DbContext<T> {
    fn doing(self, doing: &str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, sqlx::Error> {
    fn doing(self, doing: &str) -> Result<T> {
        self.map_err(|source| Error::Database {
            doing: doing.to_owned(),
            source,
        })
    }
}
