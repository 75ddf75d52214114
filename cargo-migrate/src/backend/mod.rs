//! The databases, one folder each behind one small trait. The generic logic (planning,
//! ordering, recording, error locations) lives in the migrator's modules ([`crate::session`],
//! [`crate::migrate`]); a backend only knows how to talk to its server. The statements on the
//! tracking table are written once, in [`tracking`], from each backend's [`Spelling`];
//! connecting with `--wait` and the lock-wait messages are in [`connect`].

pub(crate) mod connect;
mod connection;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
pub(crate) mod tracking;
pub(crate) mod watchdog;

#[cfg(feature = "mysql")]
pub use mysql::MySql;
#[cfg(feature = "postgres")]
pub use postgres::Postgres;
#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;

pub(crate) use connect::connect;
pub(crate) use connection::Connection;
pub(crate) use tracking::{
    ADDED_COLUMNS, NewRow, ROW_FLAG_COLUMNS, RepairRow, Spelling, Tracking, elapsed_us,
    quote_table, storable_script,
};

use std::time::Duration;

/// Runs a generic function with the backend type that matches a URL's scheme. A scheme whose
/// driver this build leaves out (see the crate's features) is refused by [`DbUrl::parse`], so
/// its arm only returns that same error.
macro_rules! with_backend {
    ($kind:expr, $B:ident => $body:expr) => {
        match $kind {
            #[cfg(feature = "sqlite")]
            $crate::db_url::DbKind::Sqlite => {
                type $B = $crate::backend::Sqlite;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::db_url::DbKind::Postgres => {
                type $B = $crate::backend::Postgres;
                $body
            }
            #[cfg(feature = "mysql")]
            $crate::db_url::DbKind::MySql => {
                type $B = $crate::backend::MySql;
                $body
            }
            // Only in a build without every driver (never the command line's, which has all).
            #[cfg(not(all(feature = "sqlite", feature = "postgres", feature = "mysql")))]
            missing => return Err($crate::error::Error::DriverNotBuilt(missing).into()),
        }
    };
}
pub(crate) use with_backend;

use crate::db_url::DbUrl;
use crate::error::{Error, Result};
use crate::events::Observer;
use crate::snapshot::Snapshot;

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
    /// How this server spells the statements on the tracking table (see [`tracking`]).
    const SPELLING: Spelling;

    /// Connects. With `Access::ReadOnly`, a database that does not exist yet (a SQLite file
    /// not created) is `Ok(None)` rather than being created.
    async fn connect(url: &DbUrl, access: Access) -> Result<Option<Self>>;

    /// Takes the migration lock for the whole run: one runner at a time. When another run
    /// holds it, tells `events` who (as far as the server can tell), waits up to
    /// `timeout`, and then fails with [`crate::error::Error::LockTimeout`] naming the holder.
    async fn lock(&mut self, table: &str, timeout: Duration, events: &Observer) -> Result<()>;
    async fn unlock(&mut self, table: &str) -> Result<()>;

    /// The tracking table's column names, lowercase; empty when the table does not exist.
    async fn tracking_columns(&mut self, table: &str) -> Result<Vec<String>>;

    /// The tracking table `table` with what this session adds to it (PostgreSQL: the schema
    /// when it names none), unquoted.
    fn qualified(&self, table: &str) -> String {
        table.to_owned()
    }

    /// The tracking table `table` as this session's statements name it, quoted.
    fn tracking_table(&self, table: &str) -> String {
        quote_table(&self.qualified(table), Self::SPELLING.quote)
    }

    /// `"schema"` or `"database"`, when `error` (from creating the tracking table) says that
    /// the schema or database its name is in does not exist.
    fn missing_container(error: &sqlx::Error) -> Option<&'static str> {
        let _ = error;
        None
    }

    /// The driver's connection, for the statements written once in [`tracking`].
    fn connection(&mut self) -> Connection<'_>;

    async fn begin(&mut self) -> sqlx::Result<()> {
        self.execute(Self::SPELLING.begin).await
    }
    async fn commit(&mut self) -> sqlx::Result<()> {
        self.execute("COMMIT").await
    }
    async fn rollback(&mut self) -> sqlx::Result<()> {
        self.execute("ROLLBACK").await
    }
    /// Runs one statement of a migration script (or several, separated by `;`), unprepared.
    async fn execute(&mut self, sql: &str) -> sqlx::Result<()> {
        self.connection().execute_raw(sql).await
    }

    /// The indexes left INVALID in this database (schema-qualified, quoted where needed): a
    /// `CREATE INDEX CONCURRENTLY` or `REINDEX CONCURRENTLY` that fails leaves one behind.
    /// Empty where the database has no such thing.
    async fn invalid_indexes(&mut self) -> sqlx::Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Why `statement`, which failed with `error` outside a transaction, may still have
    /// changed the database, when it may: the server does not promise that a failed
    /// statement changed nothing.
    fn failure_may_have_left(error: &sqlx::Error, statement: &str) -> Option<&'static str> {
        let _ = (error, statement);
        None
    }

    /// This session's id on the server (PostgreSQL's backend pid, MySQL's connection id),
    /// read when it connected, so that another connection can look at it; `None` where there
    /// is no server (SQLite).
    fn session_id(&self) -> Option<i64> {
        None
    }

    /// How the server sees its session `id` now: asked on another connection by the
    /// [`watchdog`] while this session's answer is long in coming.
    async fn session_state(&mut self, id: i64) -> sqlx::Result<watchdog::SessionState> {
        let _ = id;
        Ok(watchdog::SessionState::Busy)
    }

    /// Ends the server's session `id` (one of this process's own): its transaction rolls back
    /// and its locks are released.
    async fn end_session(&mut self, id: i64) -> sqlx::Result<()> {
        let _ = id;
        Ok(())
    }

    /// For `verify --locks`: every relation of the user's schemas (not the tracking table
    /// `table`) with its storage and the table-level locks this session holds on it, and the
    /// relations it holds locks on that its transaction dropped; `None` where the backend
    /// cannot tell (every backend but PostgreSQL). See [`crate::locks`].
    async fn relation_locks(&mut self, table: &str) -> sqlx::Result<Option<Vec<HeldRelation>>> {
        let _ = table;
        Ok(None)
    }

    /// The server's version as it says it (`SHOW server_version`), for the lock model.
    async fn server_version(&mut self) -> sqlx::Result<String>;

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

/// What kind of relation a [`HeldRelation`] is, as far as lock tracing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// A table, a partitioned table, a materialized view or a foreign table: what the lock
    /// model calls a table.
    Table,
    Index,
    Sequence,
    View,
    /// A composite type's relation and the like.
    Other,
}

impl RelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::Index => "index",
            RelationKind::Sequence => "sequence",
            RelationKind::View => "view",
            RelationKind::Other => "relation",
        }
    }
}

/// One relation and the locks a session holds on it, at one moment of its transaction
/// ([`Backend::relation_locks`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRelation {
    /// The server's id of the relation (PostgreSQL's oid).
    pub id: i64,
    /// `None` for a relation the transaction dropped: its catalog row is gone, its lock is not.
    pub name: Option<String>,
    pub kind: RelationKind,
    /// Its storage (PostgreSQL's relfilenode): a table written anew gets another; 0 where it
    /// has none (a partitioned table, a view).
    pub storage: i64,
    /// The table an index is of, or the partitioned table a partition is a partition of.
    pub owner: Option<i64>,
    /// The modes held, each once.
    pub modes: Vec<build_support::LockMode>,
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

/// The account may not create databases: verify cannot make its scratch database there.
pub(crate) fn cannot_create_scratch(url: &DbUrl, message: &str) -> Error {
    Error::config(
        format!(
            "verify cannot create its scratch database on the server of {url}: {message}"
        ),
        Some(
            "verify needs an account that may create and drop databases (PostgreSQL: CREATEDB; MySQL: CREATE and DROP privileges); pass such a --database-url, for example a local or CI server's, or run `cargo migrate verify` where you have one".to_owned(),
        ),
    )
}
