//! Build-time side of cargo-migrate.
//!
//! This crate reads a migration directory and returns data: the migration set, the findings
//! about it, and each script split into statements with their positions. It never touches a
//! database, never starts an async runtime and never prints; callers (the `cargo migrate`
//! binary, a user's build.rs) decide how to render what it returns.

pub mod analysis;
mod build_script;
mod catalog;
pub mod config;
pub mod conflicts;
mod dialect;
pub mod effects;
mod finding;
#[cfg(feature = "git")]
pub mod git;
pub mod lints;
pub mod lock;
pub mod model;
mod set;
mod sql;

pub use build_script::{
    BuildReport, EMBEDDED_FILE, check_migrations, embed_migrations, write_embedded,
};
pub use dialect::Dialect;
pub use finding::{DOCS_URL, Finding, ScriptSource, Severity, read_script_span};
pub use set::{
    Allow, Checksum, Directives, FileKind, LoadError, Migration, MigrationName, MigrationSet, Read,
    SqlFile, parse_file_name,
};
pub use sql::unparsed;
pub use sql::{
    ParsedStatement, SplitError, Statement, StatementKind, parse_script, split_statements,
    transaction_control,
};

/// Line and column (both 1-based, column counted in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}
