//! A backend's driver connection as one enum, so that the statements every backend runs alike
//! (the tracking table's, a script's raw SQL) are written once.

use sqlx::AssertSqlSafe;

use crate::error::{DbContext, Result};
use crate::state::AppliedRow;

/// A backend's driver connection, so that the statements below are written once.
#[derive(Debug)]
pub enum Connection<'c> {
    #[cfg(feature = "postgres")]
    Postgres(&'c mut sqlx::PgConnection),
    #[cfg(feature = "mysql")]
    MySql(&'c mut sqlx::MySqlConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(&'c mut sqlx::SqliteConnection),
}

/// A bound parameter of a tracking-table statement.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Int(i64),
    Bool(bool),
    Text(&'a str),
    MaybeText(Option<&'a str>),
}

impl Connection<'_> {
    /// Runs `sql` unprepared, as a simple query (several statements allowed where the server
    /// takes them).
    pub(crate) async fn execute_raw(self, sql: &str) -> sqlx::Result<()> {
        match self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => sqlx::raw_sql(AssertSqlSafe(sql)).execute(c).await.map(drop),
            #[cfg(feature = "mysql")]
            Connection::MySql(c) => sqlx::raw_sql(AssertSqlSafe(sql)).execute(c).await.map(drop),
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => sqlx::raw_sql(AssertSqlSafe(sql)).execute(c).await.map(drop),
        }
    }

    /// Runs the one statement `sql` with `params` bound in order.
    pub(crate) async fn execute(self, sql: &str, params: &[Param<'_>]) -> sqlx::Result<()> {
        match self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => execute_bound(c, sql, params).await,
            #[cfg(feature = "mysql")]
            Connection::MySql(c) => execute_bound(c, sql, params).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => execute_bound(c, sql, params).await,
        }
    }

    /// The rows `sql` selects (its columns from [`select_columns`]).
    pub(crate) async fn applied(self, sql: &str) -> Result<Vec<AppliedRow>> {
        match self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => fetch_applied(c, sql).await,
            #[cfg(feature = "mysql")]
            Connection::MySql(c) => fetch_applied(c, sql).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => fetch_applied(c, sql).await,
        }
    }

    /// The text `sql` selects, with `version` as its one parameter.
    pub(crate) async fn text(self, sql: &str, version: i64) -> Result<Option<String>> {
        match self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => fetch_text(c, sql, version).await,
            #[cfg(feature = "mysql")]
            Connection::MySql(c) => fetch_text(c, sql, version).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => fetch_text(c, sql, version).await,
        }
    }
}

async fn execute_bound<'c, DB, E>(executor: E, sql: &str, params: &[Param<'_>]) -> sqlx::Result<()>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::query::<DB>(AssertSqlSafe(sql));
    for param in params {
        query = match *param {
            Param::Int(v) => query.bind(v),
            Param::Bool(v) => query.bind(v),
            Param::Text(v) => query.bind(v),
            Param::MaybeText(v) => query.bind(v),
        };
    }
    query.execute(executor).await.map(drop)
}

async fn fetch_applied<'c, DB, E>(executor: E, sql: &str) -> Result<Vec<AppliedRow>>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'r> i64: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r> bool: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
        .fetch_all(executor)
        .await
        .doing("reading the tracking table")?;
    rows.iter()
        .map(AppliedRow::from_row)
        .collect::<sqlx::Result<_>>()
        .doing("reading the tracking table")
}

async fn fetch_text<'c, DB, E>(executor: E, sql: &str, version: i64) -> Result<Option<String>>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
    (Option<String>,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let text: Option<Option<String>> = sqlx::query_scalar::<DB, Option<String>>(AssertSqlSafe(sql))
        .bind(version)
        .fetch_optional(executor)
        .await
        .doing("reading the recorded up script")?;
    Ok(text.flatten())
}

impl Connection<'_> {
    /// The rows `sql` selects, every column read as text (the statement casts each one: see
    /// [`crate::foreign`]), `None` for NULL.
    pub(crate) async fn text_rows(self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        match self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(c) => fetch_text_rows(c, sql).await,
            #[cfg(feature = "mysql")]
            Connection::MySql(c) => fetch_text_rows(c, sql).await,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(c) => fetch_text_rows(c, sql).await,
        }
    }
}

async fn fetch_text_rows<'c, DB, E>(executor: E, sql: &str) -> Result<Vec<Vec<Option<String>>>>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'r> Option<String>: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    use sqlx::Row;
    let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
        .fetch_all(executor)
        .await
        .doing("reading another tool's tracking table")?;
    rows.iter()
        .map(|row| (0..row.len()).map(|i| row.try_get(i)).collect())
        .collect::<sqlx::Result<_>>()
        .doing("reading another tool's tracking table")
}
