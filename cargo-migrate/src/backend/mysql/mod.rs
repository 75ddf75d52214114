//! MySQL and MariaDB: DDL commits implicitly, so a migration is marked as failed before it
//! starts and marked done when it ends; a half-applied one stays failed until repaired. The run
//! lock is `GET_LOCK`, named after the database (its names are global to the server).

mod snapshot;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection as _, MySqlConnection, Row};

use super::tracking::{AddColumns, Spelling, TrackingTypes, question_mark};
use super::{Access, Backend, Connection, find_near, watchdog};

use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Help, Result};
use crate::events::Observer;
use crate::snapshot::Snapshot;

/// The types of the tracking table's columns.
const TYPES: TrackingTypes = TrackingTypes {
    integer: "BIGINT",
    name: "VARCHAR(255)",
    checksum: "CHAR(64)",
    script: "LONGTEXT",
    timestamp: "DATETIME(6)",
    now: "CURRENT_TIMESTAMP(6)",
};

#[derive(Debug)]
pub struct MySql {
    conn: MySqlConnection,
    /// The scratch database this session is in and its connection id, when it is one of
    /// [`SCRATCH_SESSIONS`].
    scratch_session: Option<(String, u64)>,
    /// This session's connection id (`CONNECTION_ID()`).
    id: u64,
    /// The run locks this session holds (see [`MySql::lock_names`]).
    lock_names: Vec<String>,
}

/// The sessions this process opened in each scratch database it created, by connection id.
/// When a run is interrupted its sessions are dropped without being closed, and the server
/// keeps running their statements (holding metadata locks that make DROP DATABASE wait), so
/// `drop_scratch` ends them with KILL. It must end only these: the server's process list is
/// no guide. Under load MariaDB 10.11 was seen to list a session under the scratch database
/// that a moment later was another run's session in another database, and killing it broke
/// that run.
static SCRATCH_SESSIONS: Mutex<BTreeMap<String, Vec<u64>>> = Mutex::new(BTreeMap::new());

fn scratch_sessions() -> std::sync::MutexGuard<'static, BTreeMap<String, Vec<u64>>> {
    SCRATCH_SESSIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Lock names are global to the server and at most 64 characters: a hash of database and
/// table keeps them unique and short. The first is the table's own (a name given without its
/// database is in the current one), the second what earlier releases took: the spelling
/// within the current database.
const LOCK_NAMES: &str = "SELECT CONCAT('cargo-migrate:', SHA1(IF(LOCATE('.', ?) > 0, ?, CONCAT(COALESCE(DATABASE(), ''), '.', ?)))),
        CONCAT('cargo-migrate:', SHA1(CONCAT(COALESCE(DATABASE(), ''), '.', ?)))";

impl MySql {
    async fn database_name(&mut self) -> String {
        sqlx::query_scalar::<_, Option<String>>("SELECT DATABASE()")
            .fetch_one(&mut self.conn)
            .await
            .ok()
            .flatten()
            .map_or_else(|| "the database".to_owned(), |d| format!("database {d}"))
    }

    /// The names of the run locks on the tracking table `table` (as configured), taken in this
    /// order: the database-qualified table itself, so that `_cargo_migrate` and
    /// `db._cargo_migrate` exclude each other, and, for a name given with its database, the
    /// lock that earlier releases keyed on that spelling within the current database, so that
    /// a runner of an older release during a rolling upgrade is excluded too.
    async fn lock_names(&mut self, table: &str) -> Result<Vec<String>> {
        let (own, legacy): (String, String) = sqlx::query_as(LOCK_NAMES)
            .bind(table)
            .bind(table)
            .bind(table)
            .bind(table)
            .fetch_one(&mut self.conn)
            .await
            .doing("naming the migration lock")?;
        Ok(if own == legacy {
            vec![own]
        } else {
            vec![own, legacy]
        })
    }

    /// Takes the lock `name` by `deadline`; messages name the whole `timeout`.
    async fn lock_one(
        &mut self,
        name: &str,
        timeout: Duration,
        deadline: std::time::Instant,
        events: &Observer,
    ) -> Result<()> {
        let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(name)
            .fetch_one(&mut self.conn)
            .await
            .doing("taking the migration lock")?;
        if got == Some(1) {
            return Ok(());
        }
        let database = self.database_name().await;
        let (_, holder) = self.lock_holder(name).await;
        super::connect::say_waiting_for_lock(events, &database, &holder, timeout);
        // GET_LOCK waits on the server, in seconds (fractions allowed): 1 taken, 0 timed out.
        let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(name)
            .bind(
                deadline
                    .saturating_duration_since(std::time::Instant::now())
                    .as_secs_f64(),
            )
            .fetch_one(&mut self.conn)
            .await
            .doing("waiting for the migration lock")?;
        match got {
            Some(1) => return Ok(()),
            Some(_) => {}
            // NULL: the server ended the wait itself (this session was killed, say).
            None => {
                return Err(Error::refused(
                    format!("the server ended the wait for the migration lock on {database}"),
                    "nothing was run; run the command again",
                ));
            }
        }
        let (id, holder) = self.lock_holder(name).await;
        Err(super::connect::lock_timed_out(
            &database,
            holder,
            timeout,
            id.map(|id| format!("end its session with `KILL {id}`, which releases the lock")),
        ))
    }

    async fn unlock_one(&mut self, name: &str) -> Result<()> {
        sqlx::query("SELECT RELEASE_LOCK(?)")
            .bind(name)
            .execute(&mut self.conn)
            .await
            .doing("releasing the migration lock")?;
        Ok(())
    }

    /// The connection holding the lock `name` and how the process list describes it (only
    /// the account's own sessions without the PROCESS privilege).
    async fn lock_holder(&mut self, name: &str) -> (Option<i64>, String) {
        let id: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
            .bind(name)
            .fetch_one(&mut self.conn)
            .await
            .ok()
            .flatten();
        let Some(id) = id else {
            return (None, "another session".to_owned());
        };
        let row = sqlx::query(
            "SELECT CAST(USER AS CHAR), CAST(HOST AS CHAR), CAST(COMMAND AS CHAR), CAST(TIME AS SIGNED), CAST(INFO AS CHAR)
             FROM information_schema.PROCESSLIST WHERE ID = ?",
        )
        .bind(id)
        .fetch_optional(&mut self.conn)
        .await;
        let described = match row {
            Ok(Some(r)) => {
                let user: Option<String> = r.try_get(0).ok().flatten();
                let host: Option<String> = r.try_get(1).ok().flatten();
                let command: Option<String> = r.try_get(2).ok().flatten();
                let secs: Option<i64> = r.try_get(3).ok().flatten();
                let info: Option<String> = r.try_get(4).ok().flatten();
                let mut parts = vec![format!(
                    "{}@{}",
                    user.unwrap_or_default(),
                    host.unwrap_or_default()
                )];
                match (info, secs) {
                    (Some(info), Some(secs)) => {
                        parts.push(format!(
                            "running `{}` for {secs} s",
                            super::connect::one_line(&info)
                        ));
                    }
                    (None, Some(secs)) => parts.push(format!(
                        "{} for {secs} s",
                        command.unwrap_or_else(|| "idle".to_owned()).to_lowercase()
                    )),
                    _ => {}
                }
                format!("connection {id} ({})", parts.join(", "))
            }
            _ => format!("connection {id} (its details need the PROCESS privilege to be seen)"),
        };
        (Some(id), described)
    }
}

impl Backend for MySql {
    const TRANSACTIONAL_DDL: bool = false;
    // applied_at and repaired_at are written as UTC_TIMESTAMP(6).
    const SPELLING: Spelling = Spelling {
        types: TYPES,
        quote: '`',
        placeholder: question_mark,
        now: "UTC_TIMESTAMP(6)",
        time: |column| format!("DATE_FORMAT({column}, '%Y-%m-%dT%H:%i:%sZ')"),
        begin: "START TRANSACTION",
        add_columns: AddColumns::InOneAlter("ADD COLUMN"),
        batch: None,
    };

    async fn connect(url: &DbUrl, _access: Access) -> Result<Option<Self>> {
        let options = MySqlConnectOptions::from_str(url.expose())
            .map_err(|e| Error::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?
            .disable_statement_logging();
        let conn = options.connect().await.map_err(|e| {
            if matches!(e, sqlx::Error::Io(_)) {
                return Error::Unreachable {
                    url: url.to_string(),
                    cause: e.to_string(),
                    help: Some(super::connect::retry_help(url)),
                };
            }
            let help = match &e {
                sqlx::Error::Database(db) => match db
                    .try_downcast_ref::<MySqlDatabaseError>()
                    .map(|d| d.number())
                {
                    Some(1045) => Some("check the user name and password in the URL".to_owned()),
                    Some(1049) => Some(format!(
                        "create the database first (`CREATE DATABASE {};`)",
                        url.database_name().unwrap_or_else(|| "<name>".to_owned())
                    )),
                    _ => None,
                },
                _ => None,
            };
            Error::Connect {
                url: url.to_string(),
                cause: e.to_string(),
                help: help.map(Help::from),
            }
        })?;
        let mut conn = conn;
        let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut conn)
            .await
            .doing("asking the server for this session's id")?;
        let mut db = MySql {
            conn,
            scratch_session: None,
            id,
            lock_names: Vec::new(),
        };
        if let Some(name) = url.database_name()
            && scratch_sessions().contains_key(&name)
        {
            scratch_sessions().entry(name.clone()).or_default().push(id);
            db.scratch_session = Some((name, id));
        }
        Ok(Some(db))
    }

    async fn lock(&mut self, table: &str, timeout: Duration, events: &Observer) -> Result<()> {
        let deadline = super::connect::deadline_after(timeout);
        let names = self.lock_names(table).await?;
        for (i, name) in names.iter().enumerate() {
            if let Err(e) = self.lock_one(name, timeout, deadline, events).await {
                for taken in &names[..i] {
                    let _ = self.unlock_one(taken).await;
                }
                return Err(e);
            }
        }
        self.lock_names = names;
        Ok(())
    }

    async fn unlock(&mut self, _table: &str) -> Result<()> {
        // The names taken, not the names now: a script's `USE` changes DATABASE().
        for name in std::mem::take(&mut self.lock_names) {
            self.unlock_one(&name).await?;
        }
        Ok(())
    }

    async fn tracking_columns(&mut self, table: &str) -> Result<Vec<String>> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, table),
        };
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(LOWER(column_name) AS CHAR) FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&mut self.conn)
        .await
        .doing("reading the tracking table's columns")?;
        Ok(columns)
    }

    fn missing_container(error: &sqlx::Error) -> Option<&'static str> {
        // 1049 ER_BAD_DB_ERROR
        let number = error
            .as_database_error()?
            .try_downcast_ref::<MySqlDatabaseError>()?
            .number();
        (number == 1049).then_some("database")
    }

    fn connection(&mut self) -> Connection<'_> {
        Connection::MySql(&mut self.conn)
    }

    fn session_id(&self) -> Option<i64> {
        i64::try_from(self.id).ok()
    }

    async fn session_state(&mut self, id: i64) -> sqlx::Result<watchdog::SessionState> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT COMMAND, STATE FROM information_schema.PROCESSLIST WHERE ID = ?",
        )
        .bind(id)
        .fetch_optional(&mut self.conn)
        .await?;
        Ok(match row {
            None => watchdog::SessionState::Gone,
            Some((command, _)) if command == "Sleep" => watchdog::SessionState::Idle,
            // Writing the answer to a client that does not read it is not working on it.
            Some((_, Some(state))) if state == "Writing to net" => watchdog::SessionState::Idle,
            Some(_) => watchdog::SessionState::Busy,
        })
    }

    async fn end_session(&mut self, id: i64) -> sqlx::Result<()> {
        // KILL takes no placeholder; `id` is a number.
        sqlx::raw_sql(AssertSqlSafe(format!("KILL CONNECTION {id}")))
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    fn failure_may_have_left(error: &sqlx::Error, _statement: &str) -> Option<&'static str> {
        // Refused before it did anything: the server could not parse it (1064), or a name in
        // it did not resolve (1050 table exists, 1054 unknown column, 1060 duplicate column,
        // 1061 duplicate key name, 1146 no such table).
        let refused_before = error
            .as_database_error()
            .and_then(|e| e.try_downcast_ref::<MySqlDatabaseError>())
            .is_some_and(|e| matches!(e.number(), 1050 | 1054 | 1060 | 1061 | 1064 | 1146));
        (!refused_before).then_some(
            "MySQL and MariaDB do not undo the part of a failed statement that was done (a `DROP TABLE a, b, missing` drops `a` and `b`, a multi-row INSERT into a MyISAM table keeps its first rows)",
        )
    }

    async fn server_version(&mut self) -> sqlx::Result<String> {
        sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)")
            .fetch_one(&mut self.conn)
            .await
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
        if let Some((name, id)) = self.scratch_session
            && let Some(ids) = scratch_sessions().get_mut(&name)
        {
            ids.retain(|i| *i != id);
        }
    }

    async fn snapshot(&mut self, table: &str) -> Result<Snapshot> {
        snapshot::read(&mut self.conn, table).await
    }

    fn scratch_url(url: &DbUrl, name: &str) -> Result<DbUrl> {
        Ok(url.with_database(name)?)
    }

    async fn create_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let name = scratch.database_name().unwrap_or_default();
        let mut admin = admin_connection(url).await?;
        let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
        match created {
            Ok(_) => {
                scratch_sessions().insert(name, Vec::new());
                Ok(())
            }
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
        // A session of ours left behind (an interrupted run) would hold metadata locks that
        // make DROP DATABASE wait: end it first. Only ours, and only while it is still there.
        let ours = scratch_sessions().remove(&name).unwrap_or_default();
        for id in ours {
            let there: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(1 AS SIGNED) FROM information_schema.PROCESSLIST WHERE ID = ? AND DB = ?",
            )
            .bind(id)
            .bind(&name)
            .fetch_optional(&mut admin)
            .await
            .unwrap_or_default();
            if there.is_some() {
                let _ = sqlx::raw_sql(AssertSqlSafe(format!("KILL {id}")))
                    .execute(&mut admin)
                    .await;
            }
        }
        let dropped = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
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
