//! One file per database behind one small trait. The generic logic (planning, ordering,
//! recording, error locations) lives in [`crate::runner`]; a backend only knows how to talk to
//! its server.

mod mysql;
mod postgres;
mod snapshot_mysql;
mod snapshot_postgres;
mod snapshot_sqlite;
mod sqlite;

pub use mysql::MySql;
pub use postgres::Postgres;
pub use sqlite::Sqlite;

use crate::db_url::DbUrl;
use crate::error::Result;
use crate::snapshot::Snapshot;

/// A row of the tracking table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRow {
    pub version: i64,
    pub description: String,
    pub up_checksum: String,
    pub down_checksum: Option<String>,
    /// UTC, RFC 3339.
    pub applied_at: String,
    pub execution_us: i64,
    pub applied_by: String,
    pub success: bool,
}

impl AppliedRow {
    /// Reads a row selected as `version, description, up_checksum, down_checksum, applied_at
    /// (as text), execution_us, applied_by, success`, whatever the database.
    pub(crate) fn from_row<'r, R>(r: &'r R) -> sqlx::Result<AppliedRow>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(AppliedRow {
            version: r.try_get(0)?,
            description: r.try_get(1)?,
            up_checksum: r.try_get(2)?,
            down_checksum: r.try_get(3)?,
            applied_at: r.try_get(4)?,
            execution_us: r.try_get(5)?,
            applied_by: r.try_get(6)?,
            success: r.try_get(7)?,
        })
    }
}

/// What to write into the tracking table for one migration.
#[derive(Clone, Debug)]
pub struct NewRow<'a> {
    pub version: i64,
    pub description: &'a str,
    pub up_checksum: &'a str,
    pub down_checksum: Option<&'a str>,
    pub execution_us: i64,
    pub applied_by: &'a str,
    pub success: bool,
}

/// Whether a command may create things (the SQLite file, the tracking table) or only look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

/// One database connection and the statements cargo-migrate needs from it.
///
/// Every method is a single, plain operation; transactions are driven by the runner with
/// `begin`/`commit`/`rollback` so that the same flow serves every backend.
#[allow(async_fn_in_trait)] // used through generics on a current-thread runtime only
pub trait Backend: Sized {
    /// Whether DDL runs inside a transaction (and rolls back with it).
    const TRANSACTIONAL_DDL: bool;

    /// Connects. With `Access::ReadOnly`, a database that does not exist yet (a SQLite file
    /// not created) is `Ok(None)` rather than being created.
    async fn connect(url: &DbUrl, access: Access) -> Result<Option<Self>>;

    /// Takes the migration lock for the whole run: one runner at a time.
    async fn lock(&mut self, table: &str) -> Result<()>;
    async fn unlock(&mut self, table: &str) -> Result<()>;

    async fn has_tracking_table(&mut self, table: &str) -> Result<bool>;
    async fn create_tracking_table(&mut self, table: &str) -> Result<()>;
    async fn applied(&mut self, table: &str) -> Result<Vec<AppliedRow>>;

    async fn begin(&mut self) -> sqlx::Result<()>;
    async fn commit(&mut self) -> sqlx::Result<()>;
    async fn rollback(&mut self) -> sqlx::Result<()>;
    /// Runs one statement of a migration script, unprepared.
    async fn execute(&mut self, sql: &str) -> sqlx::Result<()>;

    async fn insert_row(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()>;

    /// Starts a transaction and runs `sql` (statements separated by `;`) in it.
    async fn begin_and_execute(&mut self, sql: &str) -> sqlx::Result<()> {
        self.begin().await?;
        if sql.is_empty() {
            return Ok(());
        }
        self.execute(sql).await
    }

    /// Runs a whole up script (`sql`) in a new transaction, inserts its tracking row and
    /// commits. `row.execution_us` is replaced by the time the script took.
    async fn apply_and_record(
        &mut self,
        sql: &str,
        table: &str,
        row: &NewRow<'_>,
    ) -> sqlx::Result<()> {
        let start = std::time::Instant::now();
        self.begin_and_execute(sql).await?;
        let row = NewRow {
            execution_us: crate::runner::elapsed_us(start),
            ..row.clone()
        };
        self.record_and_commit(table, &row).await
    }

    /// Inserts the tracking row and commits the open transaction.
    async fn record_and_commit(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        self.insert_row(table, row).await?;
        self.commit().await
    }
    async fn finish_row(
        &mut self,
        table: &str,
        version: i64,
        execution_us: i64,
    ) -> sqlx::Result<()>;
    async fn set_success(&mut self, table: &str, version: i64, success: bool) -> sqlx::Result<()>;
    async fn delete_row(&mut self, table: &str, version: i64) -> sqlx::Result<()>;

    /// Where in `statement` the server says the error is, as a byte offset, if it says.
    fn error_offset(error: &sqlx::Error, statement: &str) -> Option<usize>;

    async fn close(self);

    /// The schema as the server's own catalogs describe it, normalised (see
    /// [`crate::snapshot`]), without the tracking table `table`.
    async fn snapshot(&mut self, table: &str) -> Result<Snapshot>;

    /// For a scratch database: starts recording schema changes so that later snapshots on this
    /// connection read again only what changed. `false` where the backend cannot (then every
    /// snapshot reads everything).
    async fn track_changes(&mut self, table: &str) -> Result<bool> {
        let _ = table;
        Ok(false)
    }

    /// Where a scratch database called `name` lives: on the server `url` points at, or for
    /// SQLite a file of that name in the temporary directory.
    fn scratch_url(url: &DbUrl, name: &str) -> Result<DbUrl>;

    /// Creates the empty scratch database `scratch` (from [`Backend::scratch_url`]). The
    /// database `url` names is not touched; it need not even exist.
    async fn create_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()>;

    /// Drops a scratch database made by [`Backend::create_scratch`], ending any session still
    /// connected to it. One that is already gone is not an error.
    async fn drop_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()>;
}

/// The account may not create databases: verify cannot make its scratch database there.
pub(crate) fn cannot_create_scratch(url: &DbUrl, message: &str) -> crate::error::Error {
    crate::error::Error::config(
        format!(
            "verify cannot create its scratch database on the server of {url}: {message}"
        ),
        Some(
            "verify needs an account that may create and drop databases (PostgreSQL: CREATEDB; MySQL: CREATE and DROP privileges); pass such a --database-url, for example a local or CI server's, or run `cargo migrate verify` where you have one".to_owned(),
        ),
    )
}

/// Quotes each part of a `schema.table` name with `quote`.
pub(crate) fn quote_table(table: &str, quote: char) -> String {
    table
        .split('.')
        .map(|part| format!("{quote}{part}{quote}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// `INSERT … VALUES (…); COMMIT` with the row written as literals, so that a backend can send
/// the tracking row and the commit in one round trip. `quote` writes a string literal;
/// `execution_us` is the SQL for the execution time (the row's value, or a server expression).
pub(crate) fn insert_and_commit_sql(
    table: &str,
    quote_char: char,
    row: &NewRow<'_>,
    execution_us: &str,
    quote: impl Fn(&str) -> String,
) -> String {
    format!(
        "INSERT INTO {} (version, description, up_checksum, down_checksum, execution_us, applied_by, success) VALUES ({}, {}, {}, {}, {}, {}, {}); COMMIT",
        quote_table(table, quote_char),
        row.version,
        quote(row.description),
        quote(row.up_checksum),
        row.down_checksum.map_or_else(|| "NULL".to_owned(), &quote),
        execution_us,
        quote(row.applied_by),
        if row.success { "TRUE" } else { "FALSE" },
    )
}

/// Byte offset of the `chars`-th character (0-based) of `text`.
pub(crate) fn char_to_byte(text: &str, chars: usize) -> Option<usize> {
    text.char_indices().nth(chars).map(|(i, _)| i)
}

/// Finds `near "token"`-style fragments of an error message in the statement.
pub(crate) fn find_near(statement: &str, message: &str, open: char, close: char) -> Option<usize> {
    let start = message.find(&format!("near {open}"))? + 6;
    let rest = &message[start..];
    let end = rest.rfind(close).unwrap_or(rest.len());
    let fragment = &rest[..end];
    let fragment = fragment.lines().next().unwrap_or("").trim_end();
    if fragment.is_empty() {
        return None;
    }
    statement.find(fragment)
}
