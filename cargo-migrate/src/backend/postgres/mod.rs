//! PostgreSQL: transactional DDL; the run lock is a session advisory lock (advisory locks are
//! per database, so one key serves every database on a server).
//!
//! Why a session lock and not one per transaction (`pg_advisory_xact_lock`), which a
//! transaction-pooling proxy (PgBouncer in transaction mode) would carry correctly: a run is
//! many transactions, one per migration, and a transaction-level lock is released at each
//! commit. Another runner could then slip in between two migrations of the same run, after this
//! one planned them, and `no-transaction` migrations would run with no lock at all. So the whole
//! run holds one session lock on one dedicated connection, and through a transaction-mode pooler
//! (where the session lock would stay on whichever server connection took it) the migrator must
//! connect to the server directly or through a session-mode pool; the README says so.
//!
//! Waiting for the lock is the server's (`pg_advisory_lock` under `lock_timeout`), so runners
//! get it in the order they asked. On PostgreSQL 14 and later each connection also sets
//! `client_connection_check_interval`, so that the statement of a runner that was killed is
//! aborted and rolled back within seconds instead of running on with the lock held.

mod locks;
mod snapshot;
mod tracker;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection as _, PgConnection, Row};

use super::tracking::{AddColumns, Batch, Spelling, TrackingTypes, numbered, quote_table};
use super::{Access, Backend, Connection, HeldRelation, char_to_byte, watchdog};

use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Help, Result};
use crate::events::Observer;
use crate::snapshot::Snapshot;

/// The types of the tracking table's columns.
const TYPES: TrackingTypes = TrackingTypes {
    integer: "BIGINT",
    name: "TEXT",
    checksum: "TEXT",
    script: "TEXT",
    timestamp: "TIMESTAMPTZ",
    now: "now()",
};

#[derive(Debug)]
pub struct Postgres {
    conn: PgConnection,
    /// The schema the tracking table lives in when its name has none: the connection's
    /// current schema, read once, so that a script's `SET search_path` cannot move it.
    schema: String,
    /// The server process of this session (`pg_backend_pid()`).
    pid: i32,
    /// Keeps the snapshot of a scratch database up to date, once `track_changes` is called.
    tracker: Option<Box<tracker::Tracker>>,
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

/// `cargo-migrate pid N`: pg_stat_activity then says which process on the client holds the
/// migration lock.
fn application_name() -> String {
    format!("cargo-migrate pid {}", std::process::id())
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

/// The advisory locks a run takes on the tracking table `table` (as configured), whose
/// schema-qualified name is `qualified`: the lock of the table itself, so that `_cargo_migrate`
/// and `public._cargo_migrate` exclude each other, and, for a name given without its schema,
/// the lock that earlier releases keyed on that spelling, so that a runner of an older
/// release during a rolling upgrade is excluded too. Always taken in this order.
fn lock_keys(table: &str, qualified: &str) -> Vec<i64> {
    let mut keys = vec![lock_key(qualified)];
    if table != qualified {
        keys.push(lock_key(table));
    }
    keys
}

/// The session holding the advisory lock, as far as pg_stat_activity shows it to this
/// account (other users' sessions hide their address and query without pg_read_all_stats).
#[derive(Debug, Default)]
struct Holder {
    pid: Option<i32>,
    user: Option<String>,
    client: Option<String>,
    application: Option<String>,
    connected: Option<String>,
    state: Option<String>,
    for_secs: Option<i64>,
    query: Option<String>,
}

impl Holder {
    fn describe(&self) -> String {
        let Some(pid) = self.pid else {
            // Released between our try and our look: the wait will be short.
            return "another session".to_owned();
        };
        let mut parts = Vec::new();
        // No client: another account's session, whose address this one may not see.
        match (&self.user, &self.client) {
            (Some(user), Some(client)) => parts.push(format!("{user}@{client}")),
            (Some(user), None) => parts.push(format!("user {user}")),
            _ => {}
        }
        if let Some(app) = self.application.as_deref().filter(|a| !a.is_empty()) {
            parts.push(format!("application `{app}`"));
        }
        if let Some(at) = &self.connected {
            parts.push(format!("connected since {at}"));
        }
        match (&self.state, self.for_secs, &self.query) {
            (Some(state), Some(secs), Some(query)) if state == "active" => {
                parts.push(format!(
                    "running `{}` for {secs} s",
                    super::connect::one_line(query)
                ));
            }
            (Some(state), Some(secs), _) => parts.push(format!("{state} for {secs} s")),
            _ => {}
        }
        if parts.is_empty() {
            format!("server process {pid}")
        } else {
            format!("server process {pid} ({})", parts.join(", "))
        }
    }
}

impl Postgres {
    async fn database_name(&mut self) -> String {
        sqlx::query_scalar::<_, String>("SELECT current_database()::text")
            .fetch_one(&mut self.conn)
            .await
            .map_or_else(|_| "the database".to_owned(), |d| format!("database {d}"))
    }

    /// Takes the advisory lock `key`, waiting up to `timeout` (see [`Backend::lock`]).
    /// Takes the advisory lock `key` by `deadline`; messages name the whole `timeout`.
    async fn lock_one(
        &mut self,
        key: i64,
        timeout: Duration,
        deadline: std::time::Instant,
        events: &Observer,
    ) -> Result<()> {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut self.conn)
            .await
            .doing("taking the migration lock")?;
        if got {
            return Ok(());
        }
        let database = self.database_name().await;
        let holder = self.lock_holder(key).await;
        super::connect::say_waiting_for_lock(events, &database, &holder.describe(), timeout);
        // The server waits (in the order runners asked) and gives up after `lock_timeout`;
        // statement_timeout (an account's default, say) must not cut the wait short. Both are
        // put back as they were afterwards, so that the migrations run under the session's own.
        let (lock_saved, statement_saved): (String, String) = sqlx::query_as(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')",
        )
        .fetch_one(&mut self.conn)
        .await
        .doing("reading lock_timeout")?;
        let set = "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)";
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = left.as_millis().clamp(1, i32::MAX as u128).to_string();
        sqlx::query(set)
            .bind(&ms)
            .bind("0")
            .execute(&mut self.conn)
            .await
            .doing("setting lock_timeout")?;
        let waited = sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut self.conn)
            .await;
        sqlx::query(set)
            .bind(&lock_saved)
            .bind(&statement_saved)
            .execute(&mut self.conn)
            .await
            .doing("restoring lock_timeout")?;
        match waited {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => {
                let holder = self.lock_holder(key).await;
                Err(super::connect::lock_timed_out(
                    &database,
                    holder.describe(),
                    timeout,
                    holder.pid.map(|pid| {
                        format!("end its server session with `SELECT pg_terminate_backend({pid})`, which releases the lock")
                    }),
                ))
            }
            Err(e) => Err(e).doing("waiting for the migration lock"),
        }
    }

    async fn unlock_one(&mut self, key: i64) -> Result<()> {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut self.conn)
            .await
            .doing("releasing the migration lock")?;
        Ok(())
    }

    /// Who holds the advisory lock `key` in this database (empty when nobody does by now).
    async fn lock_holder(&mut self, key: i64) -> Holder {
        let row = sqlx::query(
            "SELECT l.pid, a.usename::text,
                    CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) || ':' || a.client_port
                         WHEN a.client_port = -1 THEN 'a local socket' END,
                    a.application_name::text,
                    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                    a.state::text,
                    extract(epoch FROM now() - a.state_change)::bigint,
                    a.query::text
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND (l.classid::bigint << 32 | l.objid::bigint) = $1
             LIMIT 1",
        )
        .bind(key)
        .fetch_optional(&mut self.conn)
        .await;
        match row {
            Ok(Some(r)) => Holder {
                pid: r.try_get(0).ok(),
                user: r.try_get(1).ok().flatten(),
                client: r.try_get(2).ok().flatten(),
                application: r.try_get(3).ok().flatten(),
                connected: r.try_get(4).ok().flatten(),
                state: r.try_get(5).ok().flatten(),
                for_secs: r.try_get(6).ok().flatten(),
                query: r.try_get(7).ok().flatten(),
            },
            _ => Holder::default(),
        }
    }
}

impl Backend for Postgres {
    const TRANSACTIONAL_DDL: bool = true;
    const SPELLING: Spelling = Spelling {
        types: TYPES,
        quote: '"',
        placeholder: numbered,
        now: "now()",
        time: |column| {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
        },
        begin: "BEGIN",
        add_columns: AddColumns::InOneAlter("ADD COLUMN IF NOT EXISTS"),
        // now() is the transaction's start, clock_timestamp() the present. An escape string
        // literal reads the same whatever standard_conforming_strings says.
        batch: Some(Batch {
            literal: |s| format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
            elapsed: || {
                "(extract(epoch FROM clock_timestamp() - now()) * 1000000)::bigint".to_owned()
            },
            // The server parses a simple query whole, in time linear in its length.
            max_query: None,
        }),
    };

    async fn connect(url: &DbUrl, _access: Access) -> Result<Option<Self>> {
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|e| Error::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?
            .application_name(&application_name())
            .disable_statement_logging();
        let mut conn = options.connect().await.map_err(|e| connect_error(url, e))?;
        // From PostgreSQL 14 on, the server checks every few seconds during a long statement
        // that the client is still there, and aborts (rolls back) the statement of a runner that
        // was killed instead of finishing it while holding the migration lock. A value the
        // account or database sets is kept. A server on a platform without the check refuses
        // the setting: then the schema is read alone.
        let checked = sqlx::query_as(
            "SELECT current_schema()::text, pg_backend_pid() FROM (SELECT CASE
                 WHEN current_setting('server_version_num')::int >= 140000
                  AND current_setting('client_connection_check_interval') = '0'
                 THEN set_config('client_connection_check_interval', '2s', false) END) AS s",
        )
        .fetch_one(&mut conn)
        .await;
        let (schema, pid): (Option<String>, i32) = match checked {
            Ok(read) => read,
            Err(sqlx::Error::Database(_)) => {
                sqlx::query_as("SELECT current_schema()::text, pg_backend_pid()")
                    .fetch_one(&mut conn)
                    .await
                    .doing("reading the current schema")?
            }
            Err(e) => return Err(e).doing("reading the current schema"),
        };
        Ok(Some(Postgres {
            conn,
            schema: schema.unwrap_or_else(|| "public".to_owned()),
            pid,
            tracker: None,
        }))
    }

    async fn lock(&mut self, table: &str, timeout: Duration, events: &Observer) -> Result<()> {
        let deadline = super::connect::deadline_after(timeout);
        let keys = lock_keys(table, &self.qualify(table));
        for (i, &key) in keys.iter().enumerate() {
            if let Err(e) = self.lock_one(key, timeout, deadline, events).await {
                for &taken in &keys[..i] {
                    let _ = self.unlock_one(taken).await;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    async fn unlock(&mut self, table: &str) -> Result<()> {
        for key in lock_keys(table, &self.qualify(table)).into_iter().rev() {
            self.unlock_one(key).await?;
        }
        Ok(())
    }

    async fn tracking_columns(&mut self, table: &str) -> Result<Vec<String>> {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT lower(attname::text) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        )
        .bind(quote_table(&self.qualify(table), '"'))
        .fetch_all(&mut self.conn)
        .await
        .doing("reading the tracking table's columns")?;
        Ok(columns)
    }

    fn qualified(&self, table: &str) -> String {
        self.qualify(table)
    }

    fn missing_container(error: &sqlx::Error) -> Option<&'static str> {
        // 3F000 invalid_schema_name
        let code = error.as_database_error()?.code()?;
        (code == "3F000").then_some("schema")
    }

    fn connection(&mut self) -> Connection<'_> {
        Connection::Postgres(&mut self.conn)
    }

    fn session_id(&self) -> Option<i64> {
        Some(i64::from(self.pid))
    }

    async fn session_state(&mut self, id: i64) -> sqlx::Result<watchdog::SessionState> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT state, wait_event FROM pg_stat_activity WHERE pid = $1::int")
                .bind(id)
                .fetch_optional(&mut self.conn)
                .await?;
        Ok(match row {
            None => watchdog::SessionState::Gone,
            // Running, or waiting for a lock: working on what it was sent. Writing the answer
            // to a client that does not read it is not.
            Some((Some(state), wait))
                if state == "active" && wait.as_deref() != Some("ClientWrite") =>
            {
                watchdog::SessionState::Busy
            }
            Some(_) => watchdog::SessionState::Idle,
        })
    }

    async fn end_session(&mut self, id: i64) -> sqlx::Result<()> {
        sqlx::query("SELECT pg_terminate_backend($1::int)")
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(drop)
    }

    async fn invalid_indexes(&mut self) -> sqlx::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT format('%I.%I', n.nspname, c.relname)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT i.indisvalid ORDER BY 1",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    fn failure_may_have_left(_error: &sqlx::Error, statement: &str) -> Option<&'static str> {
        let words: Vec<String> = statement
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        let has = |w: &str| words.iter().any(|x| x == w);
        (has("DETACH") && has("PARTITION") && has("CONCURRENTLY")).then_some(
            "a DETACH PARTITION … CONCURRENTLY that fails can leave the partition pending detach (finish it with `ALTER TABLE <parent> DETACH PARTITION <partition> FINALIZE`)",
        )
    }

    async fn server_version(&mut self) -> sqlx::Result<String> {
        sqlx::query_scalar("SELECT current_setting('server_version')")
            .fetch_one(&mut self.conn)
            .await
    }

    async fn relation_locks(&mut self, table: &str) -> sqlx::Result<Option<Vec<HeldRelation>>> {
        let tracking = quote_table(&self.qualify(table), '"');
        locks::read(&mut self.conn, &tracking).await.map(Some)
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
            None => snapshot::read(&mut self.conn, table).await,
        }
    }

    async fn track_changes(&mut self, table: &str) -> Result<bool> {
        self.tracker = tracker::Tracker::start(&mut self.conn, table)
            .await?
            .map(Box::new);
        Ok(self.tracker.is_some())
    }

    fn scratch_url(url: &DbUrl, name: &str) -> Result<DbUrl> {
        Ok(url.with_database(name)?)
    }

    async fn create_scratch(url: &DbUrl, scratch: &DbUrl) -> Result<()> {
        let name = scratch.database_name().unwrap_or_default();
        let mut admin = admin_connection(url).await?;
        let doing = format!("creating the scratch database {name}");
        match sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
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
        let tuned = sqlx::raw_sql(AssertSqlSafe(format!(
            "ALTER DATABASE \"{name}\" SET synchronous_commit = off"
        )))
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
        let forced = sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
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
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\"")))
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
                o.application_name(&application_name())
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
/// A server that is not there (yet) or still starting up is [`Error::Unreachable`], which
/// `--wait` retries.
pub(super) fn connect_error(url: &DbUrl, e: sqlx::Error) -> Error {
    let starting = matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("57P03"));
    // A listener that accepts and then closes before the server speaks (a container's proxy,
    // a load balancer in front of a database that is not ready) ends the TLS or startup
    // exchange early: sqlx calls that a protocol error. It is not there yet, like a refusal.
    let cut_short = matches!(e, sqlx::Error::Protocol(_));
    if matches!(e, sqlx::Error::Io(_)) || starting || cut_short {
        return Error::Unreachable {
            url: url.to_string(),
            cause: e.to_string(),
            help: Some(super::connect::retry_help(url)),
        };
    }
    let help = match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000") => Some(format!(
            "create the database first (for example `createdb {}`)",
            url.database_name().unwrap_or_else(|| "<name>".to_owned())
        )),
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
        help: help.map(Help::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_described_with_what_the_server_shows() {
        let full = Holder {
            pid: Some(4242),
            user: Some("deploy".into()),
            client: Some("10.0.0.7:5000".into()),
            application: Some("cargo-migrate pid 99".into()),
            connected: Some("2026-01-02 03:04:05 UTC".into()),
            state: Some("active".into()),
            for_secs: Some(12),
            query: Some("BEGIN;\nCREATE INDEX i ON t (c)".into()),
        };
        assert_eq!(
            full.describe(),
            "server process 4242 (deploy@10.0.0.7:5000, application `cargo-migrate pid 99`, connected since 2026-01-02 03:04:05 UTC, running `BEGIN; CREATE INDEX i ON t (c)` for 12 s)"
        );
        // Another account's session, without pg_read_all_stats: pid and user only.
        let hidden = Holder {
            pid: Some(7),
            user: Some("other".into()),
            ..Holder::default()
        };
        assert_eq!(hidden.describe(), "server process 7 (user other)");
        assert_eq!(Holder::default().describe(), "another session");
    }

    #[test]
    fn lock_keys_differ_per_tracking_table() {
        assert_ne!(lock_key("_cargo_migrate"), lock_key("other._cargo_migrate"));
        assert_eq!(lock_key("_cargo_migrate"), lock_key("_cargo_migrate"));
    }

    #[test]
    fn a_table_named_with_or_without_its_schema_takes_the_same_first_lock() {
        let bare = lock_keys("_cargo_migrate", "public._cargo_migrate");
        let qualified = lock_keys("public._cargo_migrate", "public._cargo_migrate");
        assert_eq!(bare[0], qualified[0]);
        assert_eq!(qualified.len(), 1);
        // The key of the spelling, as earlier releases take it, comes second.
        assert_eq!(bare[1], lock_key("_cargo_migrate"));
    }
}
