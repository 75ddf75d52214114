//! MySQL and MariaDB: DDL commits implicitly, so a migration is marked as failed before it
//! starts and marked done when it ends; a half-applied one stays failed until repaired. The run
//! lock is `GET_LOCK`, named after the database (its names are global to the server).

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sqlx::{ConnectOptions, Connection, MySqlConnection};

use super::{Access, AppliedRow, Backend, NewRow, find_near, quote_table, snapshot_mysql};
use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Result};
use crate::snapshot::Snapshot;

#[derive(Debug)]
pub struct MySql {
    conn: MySqlConnection,
}

/// Lock names are global to the server and at most 64 characters: a hash of database and
/// table keeps them unique and short.
const LOCK_NAME: &str = "SELECT CONCAT('cargo-migrate:', SHA1(CONCAT(DATABASE(), '.', ?)))";

impl Backend for MySql {
    const TRANSACTIONAL_DDL: bool = false;

    async fn connect(url: &DbUrl, _access: Access) -> Result<Option<Self>> {
        let options = MySqlConnectOptions::from_str(url.expose())
            .map_err(|e| Error::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?
            .disable_statement_logging();
        let conn = options.connect().await.map_err(|e| {
            let help = match &e {
                sqlx::Error::Io(_) => {
                    Some("is the server running and reachable at that host and port?".to_owned())
                }
                sqlx::Error::Database(db) => match db
                    .try_downcast_ref::<MySqlDatabaseError>()
                    .map(|d| d.number())
                {
                    Some(1045) => Some("check the user name and password in the URL".to_owned()),
                    Some(1049) => {
                        Some("create the database first (`CREATE DATABASE <name>`)".to_owned())
                    }
                    _ => None,
                },
                _ => None,
            };
            Error::Connect {
                url: url.to_string(),
                cause: e.to_string(),
                help,
            }
        })?;
        Ok(Some(MySql { conn }))
    }

    async fn lock(&mut self, table: &str) -> Result<()> {
        let name: String = sqlx::query_scalar(LOCK_NAME)
            .bind(table)
            .fetch_one(&mut self.conn)
            .await
            .doing("naming the migration lock")?;
        let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&name)
            .fetch_one(&mut self.conn)
            .await
            .doing("taking the migration lock")?;
        if got != Some(1) {
            let holder: Option<i64> = sqlx::query_scalar("SELECT IS_USED_LOCK(?)")
                .bind(&name)
                .fetch_one(&mut self.conn)
                .await
                .unwrap_or(None);
            crate::output::status(
                "Waiting",
                &format!(
                    "for the migration lock held by {}",
                    holder.map_or("another session".to_owned(), |id| format!(
                        "connection {id}"
                    ))
                ),
            );
            loop {
                let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 60)")
                    .bind(&name)
                    .fetch_one(&mut self.conn)
                    .await
                    .doing("waiting for the migration lock")?;
                if got == Some(1) {
                    break;
                }
            }
        }
        Ok(())
    }

    async fn unlock(&mut self, table: &str) -> Result<()> {
        let name: String = sqlx::query_scalar(LOCK_NAME)
            .bind(table)
            .fetch_one(&mut self.conn)
            .await
            .doing("naming the migration lock")?;
        sqlx::query("SELECT RELEASE_LOCK(?)")
            .bind(name)
            .execute(&mut self.conn)
            .await
            .doing("releasing the migration lock")?;
        Ok(())
    }

    async fn has_tracking_table(&mut self, table: &str) -> Result<bool> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, table),
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
        )
        .bind(schema)
        .bind(name)
        .fetch_one(&mut self.conn)
        .await
        .doing("looking for the tracking table")?;
        Ok(n > 0)
    }

    async fn create_tracking_table(&mut self, table: &str) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
    version BIGINT PRIMARY KEY,
    description VARCHAR(255) NOT NULL,
    up_checksum CHAR(64) NOT NULL,
    down_checksum CHAR(64),
    applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    execution_us BIGINT NOT NULL,
    applied_by VARCHAR(255) NOT NULL,
    success BOOLEAN NOT NULL
)",
            quote_table(table, '`')
        );
        sqlx::raw_sql(&sql)
            .execute(&mut self.conn)
            .await
            .doing("creating the tracking table")?;
        Ok(())
    }

    async fn applied(&mut self, table: &str) -> Result<Vec<AppliedRow>> {
        // applied_at is written as UTC_TIMESTAMP(6) by insert_row.
        let sql = format!(
            "SELECT version, description, up_checksum, down_checksum,
                    DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%sZ'),
                    execution_us, applied_by, success
             FROM {} ORDER BY version",
            quote_table(table, '`')
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&mut self.conn)
            .await
            .doing("reading the tracking table")?;
        rows.iter()
            .map(AppliedRow::from_row)
            .collect::<sqlx::Result<_>>()
            .doing("reading the tracking table")
    }

    async fn begin(&mut self) -> sqlx::Result<()> {
        sqlx::raw_sql("START TRANSACTION")
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn commit(&mut self) -> sqlx::Result<()> {
        sqlx::raw_sql("COMMIT")
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn rollback(&mut self) -> sqlx::Result<()> {
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn execute(&mut self, sql: &str) -> sqlx::Result<()> {
        sqlx::raw_sql(sql).execute(&mut self.conn).await.map(drop)
    }

    async fn insert_row(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        let sql = format!(
            "INSERT INTO {} (version, description, up_checksum, down_checksum, applied_at, execution_us, applied_by, success) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?, ?, ?)",
            quote_table(table, '`')
        );
        sqlx::query(&sql)
            .bind(row.version)
            .bind(row.description)
            .bind(row.up_checksum)
            .bind(row.down_checksum)
            .bind(row.execution_us)
            .bind(row.applied_by)
            .bind(row.success)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn finish_row(
        &mut self,
        table: &str,
        version: i64,
        execution_us: i64,
    ) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET success = TRUE, execution_us = ? WHERE version = ?",
            quote_table(table, '`')
        );
        sqlx::query(&sql)
            .bind(execution_us)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn set_success(&mut self, table: &str, version: i64, success: bool) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET success = ? WHERE version = ?",
            quote_table(table, '`')
        );
        sqlx::query(&sql)
            .bind(success)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn delete_row(&mut self, table: &str, version: i64) -> sqlx::Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = ?", quote_table(table, '`'));
        sqlx::query(&sql)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    fn error_offset(error: &sqlx::Error, statement: &str) -> Option<usize> {
        let message = error.as_database_error()?.message();
        // "… near 'FROMM users' at line 3": the fragment starts where the parser stopped, on
        // that line of the statement.
        let line: usize = message
            .rsplit_once("at line ")
            .and_then(|(_, n)| n.trim().parse().ok())?;
        let line_start: usize = statement
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        find_near(&statement[line_start..], message, '\'', '\'')
            .map(|at| line_start + at)
            .or(Some(line_start))
    }

    async fn close(self) {
        let _ = self.conn.close().await;
    }

    async fn snapshot(&mut self, table: &str) -> Result<Snapshot> {
        snapshot_mysql::read(&mut self.conn, table).await
    }

    fn scratch_url(url: &DbUrl, name: &str) -> Result<DbUrl> {
        url.with_database(name)
    }

    async fn create_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let name = scratch.database_name().unwrap_or_default();
        let mut admin = admin_connection(url).await?;
        let created = sqlx::raw_sql(&format!("CREATE DATABASE `{name}`"))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
        match created {
            Ok(_) => Ok(()),
            // ER_DBACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR
            Err(sqlx::Error::Database(e))
                if e.try_downcast_ref::<MySqlDatabaseError>()
                    .is_some_and(|m| matches!(m.number(), 1044 | 1227)) =>
            {
                Err(super::cannot_create_scratch(url, e.message()))
            }
            Err(e) => Err(e).doing(&format!("creating the scratch database {name}")),
        }
    }

    async fn drop_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let Some(name) = scratch.database_name() else {
            return Ok(());
        };
        let mut admin = admin_connection(url).await?;
        // A session left behind (an interrupted run) would hold metadata locks that make
        // DROP DATABASE wait: end it first. Without the PROCESS privilege only our own
        // sessions are listed, which are the ones that matter.
        let sessions: Vec<i64> = sqlx::query_scalar(
            "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
        )
        .bind(&name)
        .fetch_all(&mut admin)
        .await
        .unwrap_or_default();
        for id in sessions {
            let _ = sqlx::raw_sql(&format!("KILL {id}"))
                .execute(&mut admin)
                .await;
        }
        let dropped = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
        dropped
            .map(drop)
            .doing(&format!("dropping the scratch database {name}"))
    }
}

/// A connection for creating and dropping databases: to the URL's own database when it exists
/// (nothing is run in it), else to information_schema, which every account may use.
async fn admin_connection(url: &DbUrl) -> Result<MySqlConnection> {
    match MySql::connect(url, Access::ReadOnly).await {
        Ok(Some(db)) => Ok(db.conn),
        Err(Error::Connect { cause, .. }) if cause.contains("1049") => {
            let fallback = url.with_database("information_schema")?;
            match MySql::connect(&fallback, Access::ReadOnly).await? {
                Some(db) => Ok(db.conn),
                None => unreachable!("a server connection is never absent"),
            }
        }
        Ok(None) => unreachable!("a server connection is never absent"),
        Err(e) => Err(e),
    }
}
