//! SQLite: the embedded default. DDL is transactional. The run lock is an exclusive `flock` on
//! the database file itself, which SQLite's own (POSIX, byte-range) locks never see.

use std::fs::File;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::{
    Access, AppliedRow, Backend, NewRow, find_near, insert_and_commit_sql, quote_table,
    snapshot_sqlite,
};
use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Result};
use crate::snapshot::Snapshot;

#[derive(Debug)]
pub struct Sqlite {
    conn: SqliteConnection,
    /// The database file, held open and `flock`ed while the run lock is taken.
    lock_file: Option<File>,
    path: Option<std::path::PathBuf>,
}

impl Backend for Sqlite {
    const TRANSACTIONAL_DDL: bool = true;

    async fn connect(url: &DbUrl, access: Access) -> Result<Option<Self>> {
        let bad = |e: sqlx::Error| Error::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let mut options = SqliteConnectOptions::from_str(url.expose()).map_err(bad)?;
        if let Some(path) = &url.sqlite_path {
            options = options.filename(path);
            if !path.exists() {
                if access == Access::ReadOnly {
                    return Ok(None);
                }
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
                }
                // A new database gets WAL, the mode that suits a local development database.
                options = options.journal_mode(SqliteJournalMode::Wal);
            }
        }
        let options = options
            .create_if_missing(access == Access::ReadWrite)
            .busy_timeout(std::time::Duration::from_secs(60))
            .disable_statement_logging();
        let conn = options.connect().await.map_err(|e| Error::Connect {
            url: url.to_string(),
            cause: e.to_string(),
            help: Some("check the path in the URL and that its directory is writable".into()),
        })?;
        Ok(Some(Sqlite {
            conn,
            lock_file: None,
            path: url.sqlite_path.clone(),
        }))
    }

    async fn lock(&mut self, _table: &str) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(()); // an in-memory database has one user by construction
        };
        let file = File::open(path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        if file.try_lock().is_err() {
            crate::output::status(
                "Waiting",
                &format!(
                    "for another cargo-migrate run on {} to finish",
                    path.display()
                ),
            );
            let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await
                .map_err(|e| Error::io("lock task failed", std::io::Error::other(e)))?
                .map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
            self.lock_file = Some(file);
        } else {
            self.lock_file = Some(file);
        }
        Ok(())
    }

    async fn unlock(&mut self, _table: &str) -> Result<()> {
        // Closing the descriptor releases the flock.
        self.lock_file = None;
        Ok(())
    }

    async fn has_tracking_table(&mut self, table: &str) -> Result<bool> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (s, n),
            None => ("main", table),
        };
        let sql = format!(
            "SELECT count(*) FROM \"{schema}\".sqlite_master WHERE type = 'table' AND name = ?"
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(name)
            .fetch_one(&mut self.conn)
            .await
            .doing("looking for the tracking table")?;
        Ok(n > 0)
    }

    async fn create_tracking_table(&mut self, table: &str) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    up_checksum TEXT NOT NULL,
    down_checksum TEXT,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    execution_us INTEGER NOT NULL,
    applied_by TEXT NOT NULL,
    success BOOLEAN NOT NULL
)",
            quote_table(table, '"')
        );
        sqlx::raw_sql(&sql)
            .execute(&mut self.conn)
            .await
            .doing("creating the tracking table")?;
        Ok(())
    }

    async fn applied(&mut self, table: &str) -> Result<Vec<AppliedRow>> {
        let sql = format!(
            "SELECT version, description, up_checksum, down_checksum, applied_at, execution_us, applied_by, success FROM {} ORDER BY version",
            quote_table(table, '"')
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
        sqlx::raw_sql("BEGIN IMMEDIATE")
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
            "INSERT INTO {} (version, description, up_checksum, down_checksum, execution_us, applied_by, success) VALUES (?, ?, ?, ?, ?, ?, ?)",
            quote_table(table, '"')
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
        let sql = format!("BEGIN IMMEDIATE;\n{sql}");
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn apply_and_record(
        &mut self,
        sql: &str,
        table: &str,
        row: &NewRow<'_>,
    ) -> sqlx::Result<()> {
        // One call into SQLite's thread: BEGIN, the script, the tracking row and COMMIT. SQLite
        // times the script itself: julianday('now') at the INSERT minus the moment we started,
        // on the same clock (millisecond precision).
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let start_julian = started / 86_400.0 + 2_440_587.5;
        let elapsed = format!(
            "max(0, CAST(round((julianday('now') - {start_julian:.10}) * 86400000000) AS INTEGER))"
        );
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let record = insert_and_commit_sql(table, '"', row, &elapsed, quote);
        let sql = if sql.is_empty() {
            format!("BEGIN IMMEDIATE;\n{record}")
        } else {
            format!("BEGIN IMMEDIATE;\n{sql};\n{record}")
        };
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn record_and_commit(&mut self, table: &str, row: &NewRow<'_>) -> sqlx::Result<()> {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let sql = insert_and_commit_sql(table, '"', row, &row.execution_us.to_string(), quote);
        sqlx::raw_sql(&sql).execute(&mut self.conn).await.map(drop)
    }

    async fn finish_row(
        &mut self,
        table: &str,
        version: i64,
        execution_us: i64,
    ) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET success = TRUE, execution_us = ? WHERE version = ?",
            quote_table(table, '"')
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
            quote_table(table, '"')
        );
        sqlx::query(&sql)
            .bind(success)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn delete_row(&mut self, table: &str, version: i64) -> sqlx::Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = ?", quote_table(table, '"'));
        sqlx::query(&sql)
            .bind(version)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    fn error_offset(error: &sqlx::Error, statement: &str) -> Option<usize> {
        let message = error.as_database_error()?.message();
        find_near(statement, message, '"', '"')
    }

    async fn close(self) {
        let _ = self.conn.close().await;
    }

    async fn snapshot(&mut self, table: &str) -> Result<Snapshot> {
        snapshot_sqlite::read(&mut self.conn, table).await
    }

    fn scratch_url(_url: &DbUrl, name: &str) -> Result<DbUrl> {
        Ok(DbUrl::sqlite_file(
            std::env::temp_dir().join(format!("{name}.db")),
        ))
    }

    async fn create_scratch(_url: &DbUrl, _scratch: &DbUrl) -> Result<()> {
        // The file is created by the first connection that writes to it.
        Ok(())
    }

    async fn drop_scratch(_url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let Some(path) = &scratch.sqlite_path else {
            return Ok(());
        };
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(
                        format!("cannot remove the scratch database {}", path.display()),
                        e,
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
