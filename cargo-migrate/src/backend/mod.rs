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

use std::time::{Duration, Instant};
/// Runs a generic function with the backend type that matches a URL's scheme.
macro_rules! with_backend {
    ($kind:expr, $B:ident => $body:expr) => {
        match $kind {
            $crate::db_url::DbKind::Sqlite => {
                type $B = $crate::backend::Sqlite;
                $body
            }
            $crate::db_url::DbKind::Postgres => {
                type $B = $crate::backend::Postgres;
                $body
            }
            $crate::db_url::DbKind::MySql => {
                type $B = $crate::backend::MySql;
                $body
            }
        }
    };
}
pub(crate) use with_backend;

use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Help, Result, Setting};
use crate::events::{Event, Observer};
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
pub(crate) struct TrackingTypes {
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

/// One `ALTER TABLE` that adds `columns` (from [`ADDED_COLUMNS`]) to the tracking table
/// (`quoted`: its quoted name), so that they are added all or none. `add` is the clause,
/// `ADD COLUMN` or `ADD COLUMN IF NOT EXISTS`.
pub(crate) fn add_tracking_columns_sql(
    quoted: &str,
    types: &TrackingTypes,
    columns: &[&str],
    add: &str,
) -> String {
    let adds: Vec<String> = columns
        .iter()
        .map(|column| format!("{add} {}", tracking_column(types, column)))
        .collect();
    format!("ALTER TABLE {quoted} {}", adds.join(", "))
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

    /// Takes the migration lock for the whole run: one runner at a time. When another run
    /// holds it, says who (as far as the server can tell) in one status line, waits up to
    /// `timeout`, and then fails with [`Error::LockTimeout`] naming the holder.
    async fn lock(&mut self, table: &str, timeout: Duration, events: &Observer) -> Result<()>;
    async fn unlock(&mut self, table: &str) -> Result<()>;

    /// The tracking table's column names, lowercase; empty when the table does not exist.
    async fn tracking_columns(&mut self, table: &str) -> Result<Vec<String>>;
    async fn create_tracking_table(&mut self, table: &str) -> Result<()>;
    /// Adds `columns` (from [`ADDED_COLUMNS`]) to a tracking table made by an earlier version,
    /// all or none.
    async fn add_tracking_columns(&mut self, table: &str, columns: &[&str]) -> Result<()>;
    /// The rows; `extended` when the table has the [`ADDED_COLUMNS`].
    async fn applied(&mut self, table: &str, extended: bool) -> Result<Vec<AppliedRow>>;
    /// The up script recorded for `version` (none when it was not recorded).
    async fn up_script(&mut self, table: &str, version: i64) -> Result<Option<String>>;
    /// Records a repair of `version`: by whom, now, and what it changes.
    async fn repair_row(
        &mut self,
        table: &str,
        version: i64,
        repaired_by: &str,
        change: &RepairRow<'_>,
    ) -> sqlx::Result<()>;

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
            execution_us: crate::session::elapsed_us(start),
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
    /// Sets a row's `success` and `cleared` flags.
    async fn set_outcome(
        &mut self,
        table: &str,
        version: i64,
        success: bool,
        cleared: bool,
    ) -> sqlx::Result<()>;
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

/// Connects like [`Backend::connect`]; with `wait`, retries with backoff for that long while
/// the server is not reachable ([`Error::Unreachable`]: refused, timed out, starting up),
/// telling `events` what it waits for. Other failures (a bad password, an unknown database)
/// are returned at once: waiting would not fix them.
pub async fn connect<B: Backend>(
    url: &DbUrl,
    access: Access,
    wait: Option<Duration>,
    events: &Observer,
) -> Result<Option<B>> {
    let Some(wait) = wait else {
        return B::connect(url, access).await;
    };
    let deadline = deadline_after(wait);
    let mut delay = Duration::from_millis(100);
    let mut attempts = 0_u32;
    let mut shown: Option<String> = None;
    loop {
        attempts += 1;
        // A server that drops packets would keep one attempt hanging: bound each one, so that
        // the user hears what is going on, and by the window.
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_secs(1), Duration::from_secs(10));
        let cause = match tokio::time::timeout(budget, B::connect(url, access)).await {
            Ok(Err(Error::Unreachable { cause, .. })) => cause,
            Ok(other) => return other,
            Err(_) => format!("no answer within {}", for_humans(budget)),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(gave_up_waiting(url, wait, attempts, &cause));
        }
        if shown.as_deref() != Some(cause.as_str()) {
            // The window as the user gave it while hardly any of it has passed (not `999ms`
            // for `--wait 1s`), else what is left of it.
            let window = if wait.saturating_sub(left) < Duration::from_secs(1) {
                humantime::format_duration(wait).to_string()
            } else {
                for_humans(left).to_string()
            };
            events.report(Event::WaitingForServer {
                url: url.to_string(),
                address: url.address(),
                cause: cause.clone(),
                window: window.to_string(),
            });
            shown = Some(cause);
        }
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The failure of `--wait`: the server, the window, and the last reason.
fn gave_up_waiting(url: &DbUrl, wait: Duration, attempts: u32, cause: &str) -> Error {
    Error::Unreachable {
        url: url.to_string(),
        cause: format!(
            "still not reachable at {} after waiting {} ({attempts} attempt(s)); the last error: {cause}",
            url.address(),
            humantime::format_duration(wait)
        ),
        help: Some(
            Help::new(format!(
                "check that the server at {} is running and accepts connections, or wait longer (for example ",
                url.address()
            ))
            .suggest(Setting::Wait, Duration::from_secs(300))
            .then(")"),
        ),
    }
}

/// The moment `d` from now; a duration too long to add (`--lock-timeout 1000000y`) is a century.
pub(crate) fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// A query as one short line, for a message.
pub(crate) fn one_line(query: &str) -> String {
    let flat = query.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(80).collect::<String>())
    } else {
        flat
    }
}

/// A computed duration (time left, say) as people read it: `250ms`, `2s`, `1m 30s` (whole
/// seconds from one second on). Durations the user gave are shown as given.
pub(crate) fn for_humans(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(rounded(d))
}

/// `d` to the precision [`for_humans`] shows.
fn rounded(d: Duration) -> Duration {
    if d >= Duration::from_secs(1) {
        Duration::from_secs(d.as_secs() + u64::from(d.subsec_millis() >= 500))
    } else {
        Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The help of a server that is not reachable (yet).
pub(crate) fn retry_help(url: &DbUrl) -> Help {
    Help::new(format!(
        "is the server running and reachable at {}? ",
        url.address()
    ))
    .suggest(Setting::Wait, Duration::from_secs(30))
    .then(" retries while it starts")
}

/// Tells `events` that a run waits for the migration lock.
pub(crate) fn say_waiting_for_lock(
    events: &Observer,
    database: &str,
    holder: &str,
    timeout: Duration,
) {
    if timeout.is_zero() {
        return; // no waiting: the failure says it all
    }
    events.report(Event::WaitingForLock {
        database: database.to_owned(),
        holder: holder.to_owned(),
        timeout,
    });
}

/// The diagnostic of a run that waited `timeout` for the lock. `end_it` says how to end the
/// holder's session when it is stuck, where the server allows that.
pub(crate) fn lock_timed_out(
    database: &str,
    holder: String,
    timeout: Duration,
    end_it: Option<String>,
) -> Error {
    let help = Help::new(
        "another run is migrating this database: wait for it to finish and run the command again, or give it longer with ",
    )
    .suggest(
        Setting::LockTimeout,
        rounded((timeout * 5).max(Duration::from_secs(300))),
    )
    .then(match end_it {
        Some(end_it) => format!("; if that process is gone or stuck, check it first, then {end_it}"),
        None => "; if no such process is running, check for one that is stuck".to_owned(),
    });
    Error::LockTimeout {
        database: database.to_owned(),
        waited: humantime::format_duration(timeout).to_string(),
        holder,
        help,
    }
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

/// Reads the tracking table with `sql` (its columns from [`select_columns`]): every backend's
/// `applied`, whatever its quoting and time format.
pub(crate) async fn fetch_applied<'q, DB, E>(executor: E, sql: &'q str) -> Result<Vec<AppliedRow>>
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

/// The up script recorded for `version`, read with `sql` (it selects `up_script` with the
/// version as its one parameter): every backend's `up_script`, whatever its placeholders.
pub(crate) async fn fetch_up_script<'q, DB, E>(
    executor: E,
    sql: &'q str,
    version: i64,
) -> Result<Option<String>>
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

/// Runs the statement [`repair_row_sql`] wrote, binding its parameters in its order: every
/// backend's `repair_row`, whatever its placeholders.
pub(crate) async fn execute_repair<'q, DB, E>(
    executor: E,
    sql: &'q str,
    version: i64,
    repaired_by: &'q str,
    change: &RepairRow<'q>,
) -> sqlx::Result<()>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'q, Database = DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::query::<DB>(sql);
    if let RepairRow::AcceptEdit {
        up_checksum,
        down_checksum,
        up_script,
    } = change
    {
        query = query
            .bind(*up_checksum)
            .bind(*down_checksum)
            .bind(*up_script);
    }
    query
        .bind(repaired_by)
        .bind(version)
        .execute(executor)
        .await
        .map(drop)
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
/// the tracking row and the commit in one round trip. `quote` writes a string literal;
/// `execution_us` is the SQL for the execution time (the row's value, or a server expression);
/// `now` the SQL for the current time as `applied_at` stores it. A row that
/// [`NewRow::replaces`] a cleared one is an `UPDATE` of it instead.
pub(crate) fn insert_and_commit_sql(
    table: &str,
    quote_char: char,
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
    let table = quote_table(table, quote_char);
    let write = write_row(&table, row.replaces, now, &values, &row.version.to_string());
    format!("{write}; COMMIT")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let shown = |d: Duration| for_humans(d).to_string();
        assert_eq!(shown(Duration::from_millis(500)), "500ms");
        assert_eq!(shown(Duration::from_millis(1_999)), "2s");
        assert_eq!(shown(Duration::from_millis(90_400)), "1m 30s");
        assert_eq!(shown(Duration::ZERO), "0s");
    }

    #[test]
    fn a_lock_timeout_says_who_and_what_to_do() {
        let e = lock_timed_out(
            "database app",
            "server process 42 (deploy@10.0.0.7:5000)".to_owned(),
            Duration::from_secs(60),
            Some("end its server session with `SELECT pg_terminate_backend(42)`".to_owned()),
        );
        assert_eq!(
            e.to_string(),
            "gave up after 1m waiting for the migration lock on database app, held by server process 42 (deploy@10.0.0.7:5000)"
        );
        let Error::LockTimeout { help, .. } = &e else {
            panic!("{e:?}")
        };
        let help = help.to_string();
        assert!(help.contains("`--lock-timeout 5m`"), "{help}");
        assert!(help.contains("pg_terminate_backend(42)"), "{help}");
        assert_eq!(e.exit_code(), crate::error::exit::FAILURE);
        // A long timeout suggests a longer one still.
        let e = lock_timed_out(
            "x.db",
            "another process".to_owned(),
            Duration::from_secs(600),
            None,
        );
        let Error::LockTimeout { help, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(help.to_string().contains("`--lock-timeout 50m`"), "{help}");
    }

    /// The diagnostic as a user sees it (no colours).
    fn rendered(e: Error) -> String {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .render_report(&mut out, &e)
            .unwrap();
        out
    }

    #[test]
    fn rendered_lock_timeout_and_unreachable() {
        insta::assert_snapshot!(
            "lock_timeout",
            rendered(lock_timed_out(
                "database app",
                "server process 4242 (deploy@10.0.0.7:58070, application `cargo-migrate pid 99`, connected since 2026-01-02 03:04:05 UTC, running `BEGIN; CREATE INDEX i ON t (c)` for 12 s)".to_owned(),
                Duration::from_secs(60),
                Some("end its server session with `SELECT pg_terminate_backend(4242)`, which releases the lock".to_owned()),
            ))
        );
        let url = DbUrl::parse("postgres://app:hunter2@db:5432/app").unwrap();
        insta::assert_snapshot!(
            "unreachable_after_wait",
            rendered(gave_up_waiting(
                &url,
                Duration::from_secs(30),
                17,
                "error communicating with database: Connection refused (os error 111)"
            ))
        );
    }

    #[test]
    fn tracking_table_sql() {
        let types = TrackingTypes {
            integer: "BIGINT",
            name: "VARCHAR(255)",
            checksum: "CHAR(64)",
            script: "LONGTEXT",
            timestamp: "DATETIME(6)",
            now: "CURRENT_TIMESTAMP(6)",
        };
        assert_eq!(
            create_tracking_table_sql("`_cm`", &types),
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

    #[test]
    fn queries_are_shown_on_one_short_line() {
        assert_eq!(one_line("SELECT 1\n  FROM   t"), "SELECT 1 FROM t");
        let long = "x".repeat(100);
        assert_eq!(one_line(&long).chars().count(), 81);
    }
}
