//! SQLite: the embedded default. DDL is transactional. The run lock is an exclusive `flock` on
//! the database file itself, which SQLite's own (POSIX, byte-range) locks never see.

mod snapshot;

use std::fs::{File, TryLockError};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection as _, SqliteConnection};

use super::tracking::{AddColumns, Batch, Spelling, TrackingTypes, question_mark};
use super::{Access, Backend, Connection, find_near};

use crate::db_url::DbUrl;
use crate::error::{DbContext, Error, Result};
use crate::events::Observer;
use crate::snapshot::Snapshot;

/// The types of the tracking table's columns.
const TYPES: TrackingTypes = TrackingTypes {
    integer: "INTEGER",
    name: "TEXT",
    checksum: "TEXT",
    script: "TEXT",
    timestamp: "TEXT",
    now: "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
};

/// The current time as the tracking table stores it.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

#[derive(Debug)]
pub struct Sqlite {
    conn: SqliteConnection,
    /// The database file, held open and `flock`ed while the run lock is taken.
    lock_file: Option<File>,
    path: Option<std::path::PathBuf>,
}

/// The process holding the flock on `file`, where the system says: Linux lists every lock in
/// /proc/locks (`1: FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF`).
#[cfg(target_os = "linux")]
fn flock_holder(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    flock_pid(&locks, meta.dev(), meta.ino())
}

#[cfg(not(target_os = "linux"))]
fn flock_holder(_file: &File) -> Option<u32> {
    None
}

/// The pid of the exclusive flock on device `dev`, inode `ino` in a /proc/locks text. Some file
/// systems (btrfs, overlays) show another device number there than `stat` does: then the
/// inode alone decides, when only one lock has it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn flock_pid(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let device = format!("{major:02x}:{minor:02x}");
    // Waiters are listed as `1: -> FLOCK …` and do not match.
    let held: Vec<(u32, &str)> = locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [_, "FLOCK", _, "WRITE", pid, id, ..] => {
                    let (dev, inode) = id.rsplit_once(':')?;
                    (inode.parse() == Ok(ino)).then_some((pid.parse().ok()?, dev))
                }
                _ => None,
            }
        })
        .collect();
    match held.iter().find(|(_, d)| *d == device) {
        Some((pid, _)) => Some(*pid),
        None if held.len() == 1 => Some(held[0].0),
        None => None,
    }
}

/// Creates the database file `path` (and its directory) and takes the run lock on it, so that
/// the run that created a database is the first to use it. `None` when another process created
/// it first, or already holds its lock.
fn create_locked(path: &std::path::Path) -> Result<Option<File>> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    let file = match File::create_new(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot create {}", path.display()), e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(Error::io(format!("cannot lock {}", path.display()), e)),
    }
}

/// The holder as the messages name it: the process and its program name, or plainly that the
/// system does not say.
fn describe_holder(pid: Option<u32>) -> String {
    match pid {
        // Only the program name: another program's arguments may hold secrets.
        Some(pid) => match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
            Ok(name) => format!("process {pid} (`{}`)", name.trim()),
            Err(_) => format!("process {pid}"),
        },
        None => "another process (the system does not say which: `fuser` or `lsof` on the file lists the processes that have it open)".to_owned(),
    }
}

/// SQL for the microseconds from now to the moment SQLite evaluates it: julianday('now') at the
/// tracking row's INSERT minus this moment, on the same clock (millisecond precision), so that
/// SQLite times the script itself.
fn elapsed_since_now() -> String {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let start_julian = started / 86_400.0 + 2_440_587.5;
    format!("max(0, CAST(round((julianday('now') - {start_julian:.10}) * 86400000000) AS INTEGER))")
}

/// The most SQL text one query carries when a script runs. SQLite compiles a query one
/// statement at a time and copies what is left of the text for each (`sqlite3_prepare_v3` copies
/// a text that does not end in a NUL, and sqlx's does not): a script sent whole cost time
/// quadratic in its length (a 4 MB one of INSERTs took 27 s where the sqlite3 shell takes half
/// a second). In queries of a few kilobytes the copies stay small and the round trips to
/// sqlx's worker thread few.
const MAX_QUERY: usize = 4 * 1024;

impl Backend for Sqlite {
    const TRANSACTIONAL_DDL: bool = true;
    const SPELLING: Spelling = Spelling {
        types: TYPES,
        quote: '"',
        placeholder: question_mark,
        now: NOW,
        time: str::to_owned,
        begin: "BEGIN IMMEDIATE",
        add_columns: AddColumns::OneAlterEach {
            begin: "BEGIN IMMEDIATE",
        },
        batch: Some(Batch {
            literal: |s| format!("'{}'", s.replace('\'', "''")),
            elapsed: elapsed_since_now,
            max_query: Some(MAX_QUERY),
        }),
    };

    async fn connect(url: &DbUrl, access: Access) -> Result<Option<Self>> {
        let bad = |e: sqlx::Error| Error::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let mut options = SqliteConnectOptions::from_str(url.expose()).map_err(bad)?;
        let mut lock_file = None;
        if let Some(path) = &url.sqlite_path {
            options = options.filename(path);
            if !path.exists() {
                if access == Access::ReadOnly {
                    return Ok(None);
                }
                lock_file = create_locked(path)?;
                if lock_file.is_some() {
                    // A new database gets WAL, the mode that suits a local development
                    // database. Only the process that created the file switches, holding the
                    // run lock: two runs switching one new file at once could make one fail
                    // with "database is locked" (SQLite does not wait where waiting could
                    // deadlock).
                    options = options.journal_mode(SqliteJournalMode::Wal);
                }
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
            lock_file,
            path: url.sqlite_path.clone(),
        }))
    }

    async fn lock(&mut self, _table: &str, timeout: Duration, events: &Observer) -> Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(()); // an in-memory database has one user by construction
        };
        if self.lock_file.is_some() {
            return Ok(()); // taken when this connection created the file
        }
        let file = File::open(&path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        let cannot_lock = |e| Error::io(format!("cannot lock {}", path.display()), e);
        // flock has no timeout: try, and try again with backoff until the deadline.
        let deadline = super::connect::deadline_after(timeout);
        let mut delay = Duration::from_millis(10);
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    self.lock_file = Some(file);
                    return Ok(());
                }
                Err(TryLockError::Error(e)) => return Err(cannot_lock(e)),
                Err(TryLockError::WouldBlock) => {}
            }
            let database = path.display().to_string();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let pid = flock_holder(&file);
                return Err(super::connect::lock_timed_out(
                    &database,
                    describe_holder(pid),
                    timeout,
                    pid.map(|pid| {
                        format!("end it with `kill {pid}` (a run killed midway is rolled back)")
                    }),
                ));
            }
            if !said {
                let holder = describe_holder(flock_holder(&file));
                super::connect::say_waiting_for_lock(events, &database, &holder, timeout);
                said = true;
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay * 2).min(Duration::from_millis(250));
        }
    }

    async fn unlock(&mut self, _table: &str) -> Result<()> {
        // Closing the descriptor releases the flock.
        self.lock_file = None;
        Ok(())
    }

    async fn tracking_columns(&mut self, table: &str) -> Result<Vec<String>> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (s, n),
            None => ("main", table),
        };
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT lower(name) FROM pragma_table_info(?, ?)")
                .bind(name)
                .bind(schema)
                .fetch_all(&mut self.conn)
                .await
                .doing("reading the tracking table's columns")?;
        Ok(columns)
    }

    fn connection(&mut self) -> Connection<'_> {
        Connection::Sqlite(&mut self.conn)
    }

    async fn server_version(&mut self) -> sqlx::Result<String> {
        sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(&mut self.conn)
            .await
    }

    fn error_offset(error: &sqlx::Error, statement: &str) -> Option<usize> {
        let message = error.as_database_error()?.message();
        find_near(statement, message, '"', '"')
    }

    async fn close(self) {
        let _ = self.conn.close().await;
    }

    async fn snapshot(&mut self, table: &str) -> Result<Snapshot> {
        snapshot::read(&mut self.conn, table).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_pid_of_a_flock_in_proc_locks() {
        let locks = "1: POSIX  ADVISORY  WRITE 16833 fe:00:10018867 120 120
2: FLOCK  ADVISORY  WRITE 17418 fe:00:10010785 0 EOF
2: -> FLOCK  ADVISORY  WRITE 17500 fe:00:10010785 0 EOF
3: FLOCK  ADVISORY  READ 17327 fe:00:10135964 0 EOF
";
        // st_dev 0xfe00 is major 0xfe, minor 0.
        assert_eq!(flock_pid(locks, 0xfe00, 10_010_785), Some(17418));
        // Another device number (an overlay): the inode alone, as it is unique.
        assert_eq!(flock_pid(locks, 0x0801, 10_010_785), Some(17418));
        // A shared lock, a POSIX lock (SQLite's own) and an unknown inode are not it.
        assert_eq!(flock_pid(locks, 0xfe00, 10_135_964), None);
        assert_eq!(flock_pid(locks, 0xfe00, 10_018_867), None);
        assert_eq!(flock_pid(locks, 0xfe00, 1), None);
    }

    #[test]
    fn an_unknown_holder_is_said_plainly() {
        assert!(
            describe_holder(None).starts_with("another process (the system does not say which")
        );
    }
}
