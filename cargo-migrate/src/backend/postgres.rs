//! PostgreSQL: transactional DDL; the run lock is a session advisory lock (advisory locks are
//! per database, so one key serves every database on a server).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition};
use sqlx::{ConnectOptions, Connection, PgConnection};

use super::{
    Access, AppliedRow, Backend, NewRow, char_to_byte, insert_and_commit_sql, quote_table,
    snapshot_postgres,
};
use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Result};
use crate::snapshot::Snapshot;

#[derive(Debug)]
pub struct Postgres {
    conn: PgConnection,
    /// The schema the tracking table lives in when its name has none: the connection's
    /// current schema, read once, so that a script's `SET search_path` cannot move it.
    schema: String,
    /// Keeps the snapshot of a scratch database up to date, once `track_changes` is called.
    tracker: Option<Box<snapshot_postgres::Tracker>>,
}

impl Postgres {
    /// `schema.table`, unquoted, for a tracking table named without its schema.
    fn qualify(&self, table: &str) -> String {
        if table.contains('.') {
            table.to_owned()
        } else {
            format!("{}.{table}", self.schema)
        }
    }
}

/// The advisory lock key: a stable hash of the tracking table name, so that two projects with
/// different tracking tables in one database do not block each other.
fn lock_key(table: &str) -> i64 {
    // FNV-1a, 64 bit.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("cargo-migrate:{table}").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

impl Backend for Postgres {
    const TRANSACTIONAL_DDL: bool = true;

    async fn connect(url: &DbUrl, _access: Access) -> Result<Option<Self>> {
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|e| Error::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?
            .application_name("cargo-migrate")
            .disable_statement_logging();
        let mut conn = options.connect().await.map_err(|e| connect_error(url, e))?;
        let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&mut conn)
            .await
            .doing("reading the current schema")?;
        Ok(Some(Postgres {
            conn,
            schema: schema.unwrap_or_else(|| "public".to_owned()),
            tracker: None,
        }))
    }

    async fn lock(&mut self, table: &str) -> Result<()> {
        let key = lock_key(table);
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut self.conn)
            .await
            .doing("taking the migration lock")?;
        if !got {
            let holder: Option<String> = sqlx::query_scalar(
                "SELECT format('pid %s (%s@%s, %s)', a.pid, a.usename, coalesce(a.client_addr::text, 'local'), a.application_name)
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND (l.classid::bigint << 32 | l.objid::bigint) = $1 LIMIT 1",
            )
            .bind(key)
            .fetch_optional(&mut self.conn)
            .await
            .unwrap_or(None);
            crate::output::status(
                "Waiting",
                &format!(
                    "for the migration lock held by {}",
                    holder.as_deref().unwrap_or("another session")
                ),
            );
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(key)
                .execute(&mut self.conn)
                .await
                .doing("waiting for the migration lock")?;
        }
        Ok(())
    }

    async fn unlock(&mut self, table: &str) -> Result<()> {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(lock_key(table))
            .execute(&mut self.conn)
            .await
            .doing("releasing the migration lock")?;
        Ok(())
    }

    async fn has_tracking_table(&mut self, table: &str) -> Result<bool> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(quote_table(&self.qualify(table), '"'))
            .fetch_one(&mut self.conn)
            .await
            .doing("looking for the tracking table")?;
        Ok(exists)
    }

    async fn create_tracking_table(&mut self, table: &str) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    up_checksum TEXT NOT NULL,
    down_checksum TEXT,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    execution_us BIGINT NOT NULL,
    applied_by TEXT NOT NULL,
    success BOOLEAN NOT NULL
)",
            quote_table(&self.qualify(table), '"')
        );
        sqlx::raw_sql(&sql)
            .execute(&mut self.conn)
            .await
            .doing("creating the tracking table")?;
        Ok(())
    }

    async fn applied(&mut self, table: &str) -> Result<Vec<AppliedRow>> {
        let sql = format!(
            "SELECT version, description, up_checksum, down_checksum,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    execution_us, applied_by, success
             FROM {} ORDER BY version",
            quote_table(&self.qualify(table), '"')
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
        sqlx::raw_sql("BEGIN")
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
            "INSERT INTO {} (version, description, up_checksum, down_checksum, execution_us, applied_by, success) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            quote_table(&self.qualify(table), '"')
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

    async fn begin_and_execute(&mut self, sql: &str) -> sqlx::Result<()> {
        // One round trip: the statements follow BEGIN in the same simple query.
        let sql = format!("BEGIN;\n{sql}");
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn apply_and_record(
        &mut self,
        sql: &str,
        table: &str,
        row: &NewRow<'_>,
    ) -> sqlx::Result<()> {
        // One round trip: BEGIN, the script, the tracking row and COMMIT in one simple query. The
        // server times the script: now() is the transaction's start, clock_timestamp() the
        // present. A failing statement stops the rest, COMMIT included.
        let quote = |s: &str| format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        let elapsed = "(extract(epoch FROM clock_timestamp() - now()) * 1000000)::bigint";
        let record = insert_and_commit_sql(&self.qualify(table), '"', row, elapsed, quote);
        let sql = if sql.is_empty() {
            format!("BEGIN;\n{record}")
        } else {
            format!("BEGIN;\n{sql};\n{record}")
        };
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn record_and_commit(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        // An escape string literal reads the same whatever standard_conforming_strings says.
        let quote = |s: &str| format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        let sql = insert_and_commit_sql(
            &self.qualify(table),
            '"',
            row,
            &row.execution_us.to_string(),
            quote,
        );
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn finish_row(
        &mut self,
        table: &str,
        version: i64,
        execution_us: i64,
    ) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET success = TRUE, execution_us = $1 WHERE version = $2",
            quote_table(&self.qualify(table), '"')
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
            "UPDATE {} SET success = $1 WHERE version = $2",
            quote_table(&self.qualify(table), '"')
        );
        sqlx::query(&sql)
            .bind(success)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn delete_row(&mut self, table: &str, version: i64) -> sqlx::Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE version = $1",
            quote_table(&self.qualify(table), '"')
        );
        sqlx::query(&sql)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    fn error_offset(error: &sqlx::Error, statement: &str) -> Option<usize> {
        let pg = error
            .as_database_error()?
            .try_downcast_ref::<PgDatabaseError>()?;
        match pg.position()? {
            // A 1-based character position in the statement we sent.
            PgErrorPosition::Original(pos) => char_to_byte(statement, pos.checked_sub(1)?),
            PgErrorPosition::Internal { .. } => None,
        }
    }

    async fn close(self) {
        let _ = self.conn.close().await;
    }

    async fn snapshot(&mut self, table: &str) -> Result<Snapshot> {
        match &mut self.tracker {
            Some(tracker) => tracker.snapshot(&mut self.conn).await,
            None => snapshot_postgres::read(&mut self.conn, table).await,
        }
    }

    async fn track_changes(&mut self, table: &str) -> Result<bool> {
        self.tracker = snapshot_postgres::Tracker::start(&mut self.conn, table)
            .await?
            .map(Box::new);
        Ok(self.tracker.is_some())
    }

    fn scratch_url(url: &DbUrl, name: &str) -> Result<DbUrl> {
        url.with_database(name)
    }

    async fn create_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let name = scratch.database_name().unwrap_or_default();
        let mut admin = admin_connection(url).await?;
        let doing = format!("creating the scratch database {name}");
        match sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
                let _ = admin.close().await;
                return Err(super::cannot_create_scratch(url, e.message()));
            }
            Err(e) => {
                let _ = admin.close().await;
                return Err(e).doing(&doing);
            }
        }
        // Nothing in a scratch database needs to survive a crash: commits need not wait for
        // the disk.
        let tuned = sqlx::raw_sql(&format!(
            "ALTER DATABASE \"{name}\" SET synchronous_commit = off"
        ))
        .execute(&mut admin)
        .await;
        let _ = admin.close().await;
        if let Err(e) = tuned {
            let _ = Self::drop_scratch(url, scratch).await;
            return Err(e).doing(&doing);
        }
        Ok(())
    }

    async fn drop_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let Some(name) = scratch.database_name() else {
            return Ok(());
        };
        let doing = format!("dropping the scratch database {name}");
        let mut admin = admin_connection(url).await?;
        let forced = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .await;
        let result = match forced {
            // Before PostgreSQL 13 there is no FORCE: end the sessions, then drop.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42601") => {
                let _ = sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .execute(&mut admin)
                .await;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                    .execute(&mut admin)
                    .await
                    .map(drop)
            }
            other => other.map(drop),
        };
        let _ = admin.close().await;
        result.doing(&doing)
    }
}

/// A connection for creating and dropping databases: to the URL's own database when it exists
/// (nothing is run in it), else to the `postgres` maintenance database.
async fn admin_connection(url: &DbUrl) -> Result<PgConnection> {
    let options = |url: &DbUrl| {
        PgConnectOptions::from_str(url.expose())
            .map(|o| {
                o.application_name("cargo-migrate")
                    .disable_statement_logging()
            })
            .map_err(|e| Error::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })
    };
    match options(url)?.connect().await {
        Ok(conn) => Ok(conn),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
            let maintenance = url.with_database("postgres")?;
            options(&maintenance)?
                .connect()
                .await
                .map_err(|e| connect_error(&maintenance, e))
        }
        Err(e) => Err(connect_error(url, e)),
    }
}

/// A connection failure as the user needs to see it: which server, why, and what to check.
pub(super) fn connect_error(url: &DbUrl, e: sqlx::Error) -> Error {
    let help = match &e {
        sqlx::Error::Io(_) => {
            Some("is the server running and reachable at that host and port?".to_owned())
        }
        sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000") => {
            Some("create the database first (for example `createdb <name>`)".to_owned())
        }
        sqlx::Error::Database(db)
            if db.code().as_deref() == Some("28P01") || db.code().as_deref() == Some("28000") =>
        {
            Some("check the user name and password in the URL".to_owned())
        }
        sqlx::Error::Tls(_) => {
            Some("check the server's TLS setup or the `sslmode` in the URL".to_owned())
        }
        _ => None,
    };
    Error::Connect {
        url: url.to_string(),
        cause: e.to_string(),
        help,
    }
}
