//! The error vocabulary of the run-time library, and the exit codes it maps to.

use std::sync::Arc;

use build_support::Finding;
use miette::{Diagnostic, NamedSource, SourceSpan};

/// Exit codes, documented in the README (one place for all of them).
pub mod exit {
    /// Everything worked (also: stdout was closed early by the reader).
    pub const SUCCESS: u8 = 0;
    /// A check failed, a migration failed, or the tool refused to run on the current state.
    pub const FAILURE: u8 = 1;
    /// Bad usage or configuration: a wrong flag, a bad URL, an unreachable database.
    pub const USAGE: u8 = 2;
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

    #[error("cannot connect to {url}: {cause}")]
    #[diagnostic(code(migrate::connect))]
    Connect {
        url: String,
        cause: String,
        #[help]
        help: Option<String>,
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

    #[error("{count} problem(s) in the migrations in {dir}")]
    #[diagnostic(
        code(migrate::invalid_migrations),
        help("nothing was run; fix the files named above and try again")
    )]
    Invalid {
        dir: String,
        count: usize,
        #[related]
        findings: Vec<Finding>,
    },

    #[error("{message}")]
    #[diagnostic(code(migrate::refused))]
    Refused {
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    MigrationFailed(Box<MigrationFailure>),

    #[error("database error while {doing}: {source}")]
    #[diagnostic(code(migrate::database))]
    Database {
        doing: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("{what}: {source}")]
    #[diagnostic(code(migrate::io))]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// A statement of a migration failed on the server: where, why, and what state it left.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("migration {name} failed at {location}: {message}")]
#[diagnostic(code(migrate::migration_failed))]
pub struct MigrationFailure {
    pub name: String,
    pub location: String,
    pub message: String,
    #[source_code]
    pub src: NamedSource<Arc<str>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadUrl { .. } | Error::Connect { .. } | Error::Config { .. } => exit::USAGE,
            Error::Load(build_support::LoadError::Missing { .. }) => exit::USAGE,
            _ => exit::FAILURE,
        }
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
