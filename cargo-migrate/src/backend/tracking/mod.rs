//! The tracking table: its rows, its columns and every statement on it, written once. A
//! backend supplies its [`Spelling`] (column types, quoting, placeholders, the current time,
//! whether a script and its row go in one round trip) and its driver [`Connection`];
//! [`Tracking`] runs the statements, for every backend alike.
//!
//! `rows.rs`: the rows as data; `sql.rs`: the statements as text; `mod.rs`: how a backend
//! spells them and the [`Tracking`] operations that run them.

mod rows;
mod sql;

pub use rows::{ADDED_COLUMNS, NewRow, ROW_FLAG_COLUMNS, RepairRow};
pub(crate) use rows::{elapsed_us, storable_script};
pub(crate) use sql::quote_table;
pub use sql::{AddColumns, TrackingTypes};
use sql::{
    add_tracking_columns_sql, create_tracking_table_sql, insert_and_commit_sql, repair_row_sql,
    select_columns, write_row_sql,
};

use super::Backend;
use super::connection::Param;
use crate::error::{DbContext, Error, Result};
use crate::state::AppliedRow;

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
    /// The most SQL text one query should carry, if there is a limit: a script longer than
    /// that goes in several queries of whole statements, in the same transaction.
    pub max_query: Option<usize>,
}

/// The `$i` placeholders of PostgreSQL.
pub(crate) fn numbered(i: usize) -> String {
    format!("${i}")
}

/// The `?` placeholders of MySQL and SQLite.
pub(crate) fn question_mark(_: usize) -> String {
    "?".to_owned()
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

    /// The up (`column` `up_script`) or down (`down_script`) script recorded for `version`
    /// (none when it was not recorded).
    async fn recorded_text(
        &mut self,
        table: &str,
        column: &str,
        version: i64,
    ) -> Result<Option<String>> {
        let sql = format!(
            "SELECT {column} FROM {} WHERE version = {}",
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
            description,
            up_checksum,
            down_checksum,
            up_script,
            down_script,
        } = *change
        {
            params.extend([
                Param::Text(description),
                Param::Text(up_checksum),
                Param::MaybeText(down_checksum),
                Param::MaybeText(up_script),
                Param::MaybeText(down_script),
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

    /// Runs a whole up script (its `statements`) in a new transaction, inserts its tracking
    /// row and commits. `row.execution_us` is replaced by the time the script took. Where the
    /// server takes a batch, all of it is one round trip (or, past the batch's `max_query`, a
    /// few, each of whole statements) in which the server times the script, and a failing
    /// statement stops the rest, COMMIT included.
    async fn apply_and_record(
        &mut self,
        statements: &[&str],
        table: &str,
        row: &NewRow<'_>,
    ) -> sqlx::Result<()> {
        let spelling = &Self::SPELLING;
        let Some(batch) = &spelling.batch else {
            let start = std::time::Instant::now();
            self.begin_and_execute(&statements.join(";\n")).await?;
            let row = NewRow {
                execution_us: rows::elapsed_us(start),
                ..row.clone()
            };
            return self.record_and_commit(table, &row).await;
        };
        let elapsed = (batch.elapsed)();
        let table = self.tracking_table(table);
        let record = insert_and_commit_sql(&table, row, &elapsed, spelling.now, batch.literal);
        let limit = batch.max_query.unwrap_or(usize::MAX);
        let mut query = String::from(spelling.begin);
        for statement in statements {
            if !query.is_empty() && query.len().saturating_add(statement.len()) > limit {
                self.execute(&query).await?;
                query.clear();
            }
            if !query.is_empty() {
                query.push_str(";\n");
            }
            query.push_str(statement);
        }
        if !query.is_empty() {
            query.push_str(";\n");
        }
        query.push_str(&record);
        self.execute(&query).await
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
