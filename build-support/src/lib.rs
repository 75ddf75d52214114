//! Build-time checks for cargo-migrate migrations, called from a crate's `build.rs`.
//!
//! ```no_run
//! // in build.rs's `fn main()`:
//! cargo_migrate_build_support::check_migrations("migrations");
//! ```
//!
//! [`check_migrations`] fails the build on invalid migrations (file names and order, down scripts
//! that are missing or do not undo their up, dangerous statements, branch conflicts) with
//! diagnostics that point at file, line and column; [`embed_migrations`] checks the same way and
//! writes [`EMBEDDED_FILE`] into `OUT_DIR`, which `cargo_migrate::embedded_migrations!()`
//! includes so an application migrates at start-up:
//!
//! ```no_run
//! // build.rs of an application that migrates its database when it starts:
//! cargo_migrate_build_support::embed_migrations("migrations");
//! // and in its code: cargo_migrate::embedded::Migrator::new(
//! //     cargo_migrate::embedded_migrations!(), &database_url)?.up().await?;
//! ```
//!
//! The checks are configured in `[package.metadata.migrate]` (or the workspace's), as for the
//! `cargo migrate` command: the `dialect` the SQL is checked as (else the scheme of the URL in
//! use, else SQLite, the embedded default) and the level of each rule:
//!
//! ```toml
//! [package.metadata.migrate]
//! dialect = "postgres"
//! [package.metadata.migrate.lints]
//! ban-drop-column = "warn"
//! ```
//!
//! Features: `git` (default) finds migrations that conflict with the main branch, reading the
//! repository through the `git` command (no C library in the build); `libgit2` (off by default)
//! reads it with libgit2 where no `git` command is installed. Without either there is no branch
//! check.
//!
//! Everything else this crate holds is the checker the `cargo migrate` command line shares with
//! the build script: hidden from the docs, and not a stable API.
//!
//! The crate reads a migration directory and returns data; it never touches a database, never
//! starts an async runtime, and only the two entry points print (as build scripts must).

#[doc(hidden)]
pub mod analysis;
mod build_script;
mod catalog;
#[doc(hidden)]
pub mod config;
#[doc(hidden)]
pub mod conflicts;
mod dialect;
#[doc(hidden)]
pub mod effects;
mod finding;
#[cfg(feature = "git")]
#[doc(hidden)]
pub mod git;
#[doc(hidden)]
pub mod lints;
#[doc(hidden)]
pub mod lock;
#[doc(hidden)]
pub mod lock_model;
#[doc(hidden)]
pub mod model;
mod set;
mod sql;

#[doc(hidden)]
pub use build_script::{BuildReport, write_embedded};
pub use build_script::{EMBEDDED_FILE, check_migrations, embed_migrations};
#[doc(hidden)]
pub use dialect::Dialect;
#[doc(hidden)]
pub use finding::{DOCS_URL, Finding, ScriptSource, Severity, read_script_span};
#[doc(hidden)]
pub use set::{
    Allow, Checksum, Directives, FileKind, LoadError, Migration, MigrationName, MigrationSet, Read,
    SqlFile, parse_file_name,
};
#[doc(hidden)]
pub use sql::unparsed;
#[doc(hidden)]
pub use sql::{
    AddedColumn, Alter, ConstraintKind, DefaultKind, LockMode, Op, ParsedStatement, SplitError,
    Statement, StatementKind, Syntax, parse_script, split_in_pieces, split_statements,
    transaction_control,
};

/// Line and column (both 1-based, column counted in characters) of a byte offset in `text`.
#[doc(hidden)]
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}
