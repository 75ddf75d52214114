//! The tracking table: its rows, its columns and every statement on it, written once. A
//! backend supplies its [`Spelling`] (column types, quoting, placeholders, the current time,
//! whether a script and its row go in one round trip) and its driver [`Connection`];
//! [`Tracking`] runs the statements, for every backend alike.

use super::Backend;
use crate::error::{DbContext, Error, Result};

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
    /// Recorded by `baseline`: marked as applied without being run.
    pub baseline: bool,
    /// UTC, RFC 3339: when `repair` last changed this row.
    pub repaired_at: Option<String>,
    pub repaired_by: Option<String>,
    /// A failed run that `repair` cleared: not applied (`up` runs it again and reuses the
    /// row), kept so that the repair's who and when stay on record.
    pub cleared: bool,
}

/// The columns added to the tracking table after its first release, in the order
/// [`select_columns`] reads them. A table made by an earlier version gets them on the first
/// writing run (under the run lock); until then they read as not recorded.
pub const ADDED_COLUMNS: [&str; 5] = [
    "up_script",
    "baseline",
    "repaired_at",
    "repaired_by",
    "cleared",
];

/// How a backend spells the types of the tracking table's columns.
#[derive(Debug)]
pub struct TrackingTypes {
    /// `version` and `execution_us`.
    pub integer: &'static str,
    /// `description`, `applied_by` and `repaired_by`.
    pub name: &'static str,
    /// `up_checksum` and `down_checksum` (64 hex digits).
    pub checksum: &'static str,
    /// `up_script`: a whole migration.
    pub script: &'static str,
    /// `applied_at` and `repaired_at`.
    pub timestamp: &'static str,
    /// The current time as the default of `applied_at`.
    pub now: &'static str,
}

/// The definition of one tracking-table column (`name TYPE …`), for `CREATE TABLE` and for
/// adding the [`ADDED_COLUMNS`] to a table made by an earlier version.
pub(crate) fn tracking_column(types: &TrackingTypes, column: &str) -> String {
    let TrackingTypes {
        integer,
        name,
        checksum,
        script,
        timestamp,
        now,
    } = types;
    let definition = match column {
        "version" => format!("{integer} PRIMARY KEY"),
        "description" | "applied_by" => format!("{name} NOT NULL"),
        "up_checksum" => format!("{checksum} NOT NULL"),
        "down_checksum" => (*checksum).to_owned(),
        "applied_at" => format!("{timestamp} NOT NULL DEFAULT {now}"),
        "execution_us" => format!("{integer} NOT NULL"),
        "success" => "BOOLEAN NOT NULL".to_owned(),
        "up_script" => (*script).to_owned(),
        "baseline" | "cleared" => "BOOLEAN NOT NULL DEFAULT FALSE".to_owned(),
        "repaired_at" => (*timestamp).to_owned(),
        "repaired_by" => (*name).to_owned(),
        other => unreachable!("unknown tracking column {other}"),
    };
    format!("{column} {definition}")
}

/// `CREATE TABLE IF NOT EXISTS` for the tracking table (`quoted`: its quoted name).
pub(crate) fn create_tracking_table_sql(quoted: &str, types: &TrackingTypes) -> String {
    const FIRST_RELEASE: [&str; 8] = [
        "version",
        "description",
        "up_checksum",
        "down_checksum",
        "applied_at",
        "execution_us",
        "applied_by",
        "success",
    ];
    let columns: Vec<String> = FIRST_RELEASE
        .into_iter()
        .chain(ADDED_COLUMNS)
        .map(|c| format!("    {}", tracking_column(types, c)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {quoted} (\n{}\n)",
        columns.join(",\n")
    )
}

/// How a server adds columns to a table all or none.
#[derive(Debug)]
pub enum AddColumns {
    /// One `ALTER TABLE` with a clause per column; the clause is `ADD COLUMN` or
    /// `ADD COLUMN IF NOT EXISTS`.
    InOneAlter(&'static str),
    /// An `ALTER TABLE … ADD COLUMN` per column, in one transaction started with the given
    /// statement.
    OneAlterEach { begin: &'static str },
}

/// The statement(s) that add `columns` (from [`ADDED_COLUMNS`]) to the tracking table
/// (`quoted`: its quoted name), so that they are added all or none.
pub(crate) fn add_tracking_columns_sql(
    quoted: &str,
    types: &TrackingTypes,
    columns: &[&str],
    add: &AddColumns,
) -> String {
    match add {
        AddColumns::InOneAlter(clause) => {
            let adds: Vec<String> = columns
                .iter()
                .map(|column| format!("{clause} {}", tracking_column(types, column)))
                .collect();
            format!("ALTER TABLE {quoted} {}", adds.join(", "))
        }
        AddColumns::OneAlterEach { begin } => {
            let mut sql = format!("{begin};\n");
            for column in columns {
                let definition = tracking_column(types, column);
                sql.push_str(&format!("ALTER TABLE {quoted} ADD COLUMN {definition};\n"));
            }
            sql.push_str("COMMIT");
            sql
        }
    }
}

/// The select list [`AppliedRow::from_row`] reads: the first release's columns, then, when the
/// table has them (`extended`), `baseline` and the repair columns. `time` formats a timestamp
/// column as RFC 3339 text.
pub(crate) fn select_columns(extended: bool, time: impl Fn(&str) -> String) -> String {
    let mut list = format!(
        "version, description, up_checksum, down_checksum, {}, execution_us, applied_by, success",
        time("applied_at")
    );
    if extended {
        list.push_str(&format!(
            ", baseline, {}, repaired_by, cleared",
            time("repaired_at")
        ));
    }
    list
}

impl AppliedRow {
    /// Reads a row selected by [`select_columns`], whatever the database.
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
            baseline: if r.len() > 8 { r.try_get(8)? } else { false },
            repaired_at: if r.len() > 8 { r.try_get(9)? } else { None },
            repaired_by: if r.len() > 8 { r.try_get(10)? } else { None },
            cleared: if r.len() > 8 { r.try_get(11)? } else { false },
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
    /// The up script as applied, so that a later edit can be shown as a diff.
    pub up_script: Option<&'a str>,
    pub baseline: bool,
    /// The version has a cleared row (see [`AppliedRow::cleared`]): it is overwritten, keeping
    /// the repair's who and when, instead of a new row being inserted.
    pub replaces: bool,
}

/// What `repair` changes in a row, besides recording who and when.
#[derive(Clone, Debug)]
pub enum RepairRow<'a> {
    /// A failed migration undone by hand: mark the row cleared, so that `up` runs it again.
    Clear,
    /// A failed migration finished by hand: record it as applied.
    MarkApplied,
    /// A deliberate edit of an applied migration: record the file as it is now.
    AcceptEdit {
        up_checksum: &'a str,
        down_checksum: Option<&'a str>,
        up_script: Option<&'a str>,
    },
}

/// The text to store as `up_script`: none when the database could not hold it (a NUL).
pub(crate) fn storable_script(text: &str) -> Option<&str> {
    (!text.contains('\0')).then_some(text)
}

/// How a server spells the statements on the tracking table: everything in which the
/// backends' copies of those statements used to differ.
#[derive(Debug)]
pub struct Spelling {
    /// The column types.
    pub types: TrackingTypes,
    /// The identifier quote.
    pub quote: char,
    /// The `i`-th bound parameter, from 1: `?` or `$i`.
    pub placeholder: fn(usize) -> String,
    /// The current time as `applied_at` and `repaired_at` store it.
    pub now: &'static str,
    /// A timestamp column read as RFC 3339 text.
    pub time: fn(&str) -> String,
    /// The statement that starts a migration's transaction.
    pub begin: &'static str,
    /// How the columns added since the first release are added to an older table.
    pub add_columns: AddColumns,
    /// Where the server takes several statements in one simple query: how the tracking row
    /// goes in the same round trip as the script and the COMMIT. `None`: one at a time.
    pub batch: Option<Batch>,
}

/// What it takes to send a script, its tracking row and COMMIT as one simple query.
#[derive(Debug)]
pub struct Batch {
    /// A string literal holding the text.
    pub literal: fn(&str) -> String,
    /// SQL for the microseconds since the transaction began, evaluated by the server where the
    /// tracking row is written; called just before the transaction begins.
    pub elapsed: fn() -> String,
}

/// The `$i` placeholders of PostgreSQL.
pub(crate) fn numbered(i: usize) -> String {
    format!("${i}")
}

/// The `?` placeholders of MySQL and SQLite.
pub(crate) fn question_mark(_: usize) -> String {
    "?".to_owned()
}

/// A backend's driver connection, so that the statements below are written once.
#[derive(Debug)]
pub enum Connection<'c> {
    Postgres(&'c mut sqlx::PgConnection),
    MySql(&'c mut sqlx::MySqlConnection),
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
            Connection::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
            Connection::MySql(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
            Connection::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
        }
    }

    /// Runs the one statement `sql` with `params` bound in order.
    async fn execute(self, sql: &str, params: &[Param<'_>]) -> sqlx::Result<()> {
        match self {
            Connection::Postgres(c) => execute_bound(c, sql, params).await,
            Connection::MySql(c) => execute_bound(c, sql, params).await,
            Connection::Sqlite(c) => execute_bound(c, sql, params).await,
        }
    }

    /// The rows `sql` selects (its columns from [`select_columns`]).
    async fn applied(self, sql: &str) -> Result<Vec<AppliedRow>> {
        match self {
            Connection::Postgres(c) => fetch_applied(c, sql).await,
            Connection::MySql(c) => fetch_applied(c, sql).await,
            Connection::Sqlite(c) => fetch_applied(c, sql).await,
        }
    }

    /// The text `sql` selects, with `version` as its one parameter.
    async fn text(self, sql: &str, version: i64) -> Result<Option<String>> {
        match self {
            Connection::Postgres(c) => fetch_text(c, sql, version).await,
            Connection::MySql(c) => fetch_text(c, sql, version).await,
            Connection::Sqlite(c) => fetch_text(c, sql, version).await,
        }
    }
}

async fn execute_bound<'q, DB, E>(
    executor: E,
    sql: &'q str,
    params: &'q [Param<'q>],
) -> sqlx::Result<()>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'q, Database = DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::query::<DB>(sql);
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

async fn fetch_applied<'q, DB, E>(executor: E, sql: &'q str) -> Result<Vec<AppliedRow>>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'q, Database = DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'r> i64: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r> bool: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    let rows = sqlx::query::<DB>(sql)
        .fetch_all(executor)
        .await
        .doing("reading the tracking table")?;
    rows.iter()
        .map(AppliedRow::from_row)
        .collect::<sqlx::Result<_>>()
        .doing("reading the tracking table")
}

async fn fetch_text<'q, DB, E>(executor: E, sql: &'q str, version: i64) -> Result<Option<String>>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'q, Database = DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (Option<String>,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let text: Option<Option<String>> = sqlx::query_scalar::<DB, Option<String>>(sql)
        .bind(version)
        .fetch_optional(executor)
        .await
        .doing("reading the recorded up script")?;
    Ok(text.flatten())
}

/// The statements on the tracking table, for every backend, from its [`Spelling`].
#[allow(async_fn_in_trait)] // used through generics on a current-thread runtime only
pub(crate) trait Tracking: Backend {
    async fn create_tracking_table(&mut self, table: &str) -> Result<()> {
        let qualified = self.qualified(table);
        let quoted = quote_table(&qualified, Self::SPELLING.quote);
        let sql = create_tracking_table_sql(&quoted, &Self::SPELLING.types);
        match self.execute(&sql).await {
            // A `table = "app._migrations"` whose schema (database) is not there.
            Err(e) => match (Self::missing_container(&e), qualified.split_once('.')) {
                (Some(container), Some((name, _))) => {
                    Err(tracking_table_has_no_home(&qualified, container, name))
                }
                _ => Err(e).doing("creating the tracking table"),
            },
            Ok(()) => Ok(()),
        }
    }

    /// Adds `columns` (from [`ADDED_COLUMNS`]) to a tracking table made by an earlier version,
    /// all or none.
    async fn add_tracking_columns(&mut self, table: &str, columns: &[&str]) -> Result<()> {
        let spelling = &Self::SPELLING;
        let quoted = self.tracking_table(table);
        let sql =
            add_tracking_columns_sql(&quoted, &spelling.types, columns, &spelling.add_columns);
        if let Err(e) = self.execute(&sql).await {
            if let AddColumns::OneAlterEach { .. } = spelling.add_columns {
                let _ = self.rollback().await;
            }
            return Err(e).doing("adding the new columns to the tracking table");
        }
        Ok(())
    }

    /// The rows; `extended` when the table has the [`ADDED_COLUMNS`].
    async fn applied(&mut self, table: &str, extended: bool) -> Result<Vec<AppliedRow>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY version",
            select_columns(extended, Self::SPELLING.time),
            self.tracking_table(table)
        );
        self.connection().applied(&sql).await
    }

    /// The up script recorded for `version` (none when it was not recorded).
    async fn up_script(&mut self, table: &str, version: i64) -> Result<Option<String>> {
        let sql = format!(
            "SELECT up_script FROM {} WHERE version = {}",
            self.tracking_table(table),
            (Self::SPELLING.placeholder)(1)
        );
        self.connection().text(&sql, version).await
    }

    /// Records a repair of `version`: by whom, now, and what it changes.
    async fn repair_row(
        &mut self,
        table: &str,
        version: i64,
        repaired_by: &str,
        change: &RepairRow<'_>,
    ) -> sqlx::Result<()> {
        let spelling = &Self::SPELLING;
        let sql = repair_row_sql(
            &self.tracking_table(table),
            change,
            spelling.now,
            spelling.placeholder,
        );
        let mut params = Vec::new();
        if let RepairRow::AcceptEdit {
            up_checksum,
            down_checksum,
            up_script,
        } = *change
        {
            params.extend([
                Param::Text(up_checksum),
                Param::MaybeText(down_checksum),
                Param::MaybeText(up_script),
            ]);
        }
        params.extend([Param::Text(repaired_by), Param::Int(version)]);
        self.connection().execute(&sql, &params).await
    }

    async fn insert_row(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        let spelling = &Self::SPELLING;
        let sql = write_row_sql(
            &self.tracking_table(table),
            row.replaces,
            spelling.now,
            spelling.placeholder,
        );
        self.connection().execute(&sql, &row.params()).await
    }

    /// Starts a transaction and runs `sql` (statements separated by `;`) in it: in one round
    /// trip where the server takes a batch.
    async fn begin_and_execute(&mut self, sql: &str) -> sqlx::Result<()> {
        if Self::SPELLING.batch.is_some() {
            return self
                .execute(&format!("{};\n{sql}", Self::SPELLING.begin))
                .await;
        }
        self.begin().await?;
        if sql.is_empty() {
            return Ok(());
        }
        self.execute(sql).await
    }

    /// Runs a whole up script (`sql`) in a new transaction, inserts its tracking row and
    /// commits. `row.execution_us` is replaced by the time the script took. Where the server
    /// takes a batch, all of it is one round trip in which the server times the script, and a
    /// failing statement stops the rest, COMMIT included.
    async fn apply_and_record(
        &mut self,
        sql: &str,
        table: &str,
        row: &NewRow<'_>,
    ) -> sqlx::Result<()> {
        let spelling = &Self::SPELLING;
        let Some(batch) = &spelling.batch else {
            let start = std::time::Instant::now();
            self.begin_and_execute(sql).await?;
            let row = NewRow {
                execution_us: crate::session::elapsed_us(start),
                ..row.clone()
            };
            return self.record_and_commit(table, &row).await;
        };
        let elapsed = (batch.elapsed)();
        let table = self.tracking_table(table);
        let record = insert_and_commit_sql(&table, row, &elapsed, spelling.now, batch.literal);
        let sql = if sql.is_empty() {
            format!("{};\n{record}", spelling.begin)
        } else {
            format!("{};\n{sql};\n{record}", spelling.begin)
        };
        self.execute(&sql).await
    }

    /// Inserts the tracking row and commits the open transaction (in one round trip where the
    /// server takes a batch).
    async fn record_and_commit(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        let spelling = &Self::SPELLING;
        let Some(batch) = &spelling.batch else {
            self.insert_row(table, row).await?;
            return self.commit().await;
        };
        let execution_us = row.execution_us.to_string();
        let table = self.tracking_table(table);
        let sql = insert_and_commit_sql(&table, row, &execution_us, spelling.now, batch.literal);
        self.execute(&sql).await
    }

    async fn finish_row(
        &mut self,
        table: &str,
        version: i64,
        execution_us: i64,
    ) -> sqlx::Result<()> {
        let p = Self::SPELLING.placeholder;
        let sql = format!(
            "UPDATE {} SET success = TRUE, execution_us = {} WHERE version = {}",
            self.tracking_table(table),
            p(1),
            p(2)
        );
        let params = [Param::Int(execution_us), Param::Int(version)];
        self.connection().execute(&sql, &params).await
    }

    /// Sets a row's `success` and `cleared` flags.
    async fn set_outcome(
        &mut self,
        table: &str,
        version: i64,
        success: bool,
        cleared: bool,
    ) -> sqlx::Result<()> {
        let p = Self::SPELLING.placeholder;
        let sql = format!(
            "UPDATE {} SET success = {}, cleared = {} WHERE version = {}",
            self.tracking_table(table),
            p(1),
            p(2),
            p(3)
        );
        let params = [
            Param::Bool(success),
            Param::Bool(cleared),
            Param::Int(version),
        ];
        self.connection().execute(&sql, &params).await
    }

    async fn delete_row(&mut self, table: &str, version: i64) -> sqlx::Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE version = {}",
            self.tracking_table(table),
            (Self::SPELLING.placeholder)(1)
        );
        self.connection()
            .execute(&sql, &[Param::Int(version)])
            .await
    }
}

impl<B: Backend> Tracking for B {}

impl NewRow<'_> {
    /// The parameters of [`write_row_sql`]'s statement, in its order.
    fn params(&self) -> [Param<'_>; 9] {
        [
            Param::Text(self.description),
            Param::Text(self.up_checksum),
            Param::MaybeText(self.down_checksum),
            Param::Int(self.execution_us),
            Param::Text(self.applied_by),
            Param::Bool(self.success),
            Param::MaybeText(self.up_script),
            Param::Bool(self.baseline),
            Param::Int(self.version),
        ]
    }
}

/// Quotes each part of a `schema.table` name with `quote`.
pub(crate) fn quote_table(table: &str, quote: char) -> String {
    table
        .split('.')
        .map(|part| format!("{quote}{part}{quote}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The statement that writes a tracking row with bound parameters, in this order:
/// description, up_checksum, down_checksum, execution_us, applied_by, success, up_script,
/// baseline, version. `p(i)` writes the i-th placeholder (from 1), `now` the current time as
/// `applied_at` stores it. A row that [`NewRow::replaces`] a cleared one is an `UPDATE` of it.
pub(crate) fn write_row_sql(
    table: &str,
    replaces: bool,
    now: &str,
    p: impl Fn(usize) -> String,
) -> String {
    let values: Vec<String> = (1..=ROW_COLUMNS.len()).map(&p).collect();
    write_row(table, replaces, now, &values, &p(ROW_COLUMNS.len() + 1))
}

/// The columns a run writes into a tracking row, besides `version` and `applied_at`.
const ROW_COLUMNS: [&str; 8] = [
    "description",
    "up_checksum",
    "down_checksum",
    "execution_us",
    "applied_by",
    "success",
    "up_script",
    "baseline",
];

/// The statement that writes a tracking row: `values` (SQL, for [`ROW_COLUMNS`] in order),
/// `version` and `now` (for `applied_at`), as an `INSERT`, or as an `UPDATE` of the cleared
/// row it `replaces`.
fn write_row(table: &str, replaces: bool, now: &str, values: &[String], version: &str) -> String {
    if replaces {
        let set: Vec<String> = ROW_COLUMNS
            .iter()
            .zip(values)
            .map(|(c, v)| format!("{c} = {v}"))
            .collect();
        format!(
            "UPDATE {table} SET {}, applied_at = {now}, cleared = FALSE WHERE version = {version}",
            set.join(", ")
        )
    } else {
        format!(
            "INSERT INTO {table} ({}, version, applied_at) VALUES ({}, {version}, {now})",
            ROW_COLUMNS.join(", "),
            values.join(", ")
        )
    }
}

/// The statement that records a repair with bound parameters, in this order: for
/// [`RepairRow::AcceptEdit`] up_checksum, down_checksum and up_script; then repaired_by and
/// version. `p(i)` writes the i-th placeholder (from 1), `now` the current time as
/// `repaired_at` stores it.
pub(crate) fn repair_row_sql(
    table: &str,
    change: &RepairRow<'_>,
    now: &str,
    p: impl Fn(usize) -> String,
) -> String {
    let (set, next) = match change {
        RepairRow::Clear => ("cleared = TRUE".to_owned(), 1),
        RepairRow::MarkApplied => ("success = TRUE".to_owned(), 1),
        RepairRow::AcceptEdit { .. } => (
            format!(
                "up_checksum = {}, down_checksum = {}, up_script = {}",
                p(1),
                p(2),
                p(3)
            ),
            4,
        ),
    };
    format!(
        "UPDATE {table} SET {set}, repaired_at = {now}, repaired_by = {} WHERE version = {}",
        p(next),
        p(next + 1)
    )
}

/// `INSERT … VALUES (…); COMMIT` with the row written as literals, so that a backend can send
/// the tracking row and the commit in one round trip. `table` is quoted; `quote` writes a
/// string literal; `execution_us` is the SQL for the execution time (the row's value, or a
/// server expression); `now` the SQL for the current time as `applied_at` stores it. A row
/// that [`NewRow::replaces`] a cleared one is an `UPDATE` of it instead.
pub(crate) fn insert_and_commit_sql(
    table: &str,
    row: &NewRow<'_>,
    execution_us: &str,
    now: &str,
    quote: impl Fn(&str) -> String,
) -> String {
    let boolean = |b: bool| if b { "TRUE" } else { "FALSE" }.to_owned();
    let values = [
        quote(row.description),
        quote(row.up_checksum),
        row.down_checksum.map_or_else(|| "NULL".to_owned(), &quote),
        execution_us.to_owned(),
        quote(row.applied_by),
        boolean(row.success),
        row.up_script.map_or_else(|| "NULL".to_owned(), &quote),
        boolean(row.baseline),
    ];
    let write = write_row(table, row.replaces, now, &values, &row.version.to_string());
    format!("{write}; COMMIT")
}

/// The tracking table `table` cannot be created because the `container` ("schema" or
/// "database") it is in, `name`, does not exist.
pub(crate) fn tracking_table_has_no_home(table: &str, container: &str, name: &str) -> Error {
    Error::config(
        format!(
            "the tracking table {table} cannot be created: its {container} {name} does not exist"
        ),
        format!(
            "create the {container} first (`CREATE {} {name};`), or set `table` in the config to a table in a {container} that exists",
            container.to_uppercase()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_table_sql() {
        let types = &<super::super::MySql as Backend>::SPELLING.types;
        assert_eq!(
            create_tracking_table_sql("`_cm`", types),
            "CREATE TABLE IF NOT EXISTS `_cm` (
    version BIGINT PRIMARY KEY,
    description VARCHAR(255) NOT NULL,
    up_checksum CHAR(64) NOT NULL,
    down_checksum CHAR(64),
    applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    execution_us BIGINT NOT NULL,
    applied_by VARCHAR(255) NOT NULL,
    success BOOLEAN NOT NULL,
    up_script LONGTEXT,
    baseline BOOLEAN NOT NULL DEFAULT FALSE,
    repaired_at DATETIME(6),
    repaired_by VARCHAR(255),
    cleared BOOLEAN NOT NULL DEFAULT FALSE
)"
        );
        let dollar = |i: usize| format!("${i}");
        assert_eq!(
            repair_row_sql("t", &RepairRow::Clear, "now()", dollar),
            "UPDATE t SET cleared = TRUE, repaired_at = now(), repaired_by = $1 WHERE version = $2"
        );
        let edit = RepairRow::AcceptEdit {
            up_checksum: "u",
            down_checksum: None,
            up_script: None,
        };
        assert_eq!(
            repair_row_sql("t", &edit, "now()", dollar),
            "UPDATE t SET up_checksum = $1, down_checksum = $2, up_script = $3, repaired_at = now(), repaired_by = $4 WHERE version = $5"
        );
    }
}
