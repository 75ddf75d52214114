//! Run time in production: one runner at a time (8 concurrent `up`, `--lock-timeout` naming
//! the holder), a runner killed with SIGKILL in the middle of a migration, and `--wait` for a
//! server that is not there yet. Every wait is on something observable (the server's own view
//! of the sessions, a lock, a line the binary prints), bounded by a deadline.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{
    AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlConnection, PgConnection,
    SqliteConnection,
};

use crate::support::{
    DEADLINE, Kind, Project, TestDb, assert_contains, expect, one_line, run, states, wait_until,
};

on_every_database!(
    eight_concurrent_runs_apply_each_migration_exactly_once,
    a_second_run_waits_or_gives_up_naming_the_holder,
    sigkill_mid_migration_then_up_finishes_the_job,
    sigkill_in_a_no_transaction_migration_is_refused_until_repaired,
    wait_retries_until_the_server_appears,
    wait_gives_up_with_what_it_waited_for,
    wait_does_not_retry_what_waiting_cannot_fix,
);

// As modules of their own: `on_every_database!` already made `postgres` and `mysql`.
mod servers {
    use super::*;
    on_servers!(
        either_spelling_of_the_tracking_table_takes_the_same_lock,
        a_frozen_connection_is_given_up_on_and_the_outcome_read_again,
        a_session_ended_by_the_server_is_reported_with_its_reason,
        ctrl_c_stops_after_the_migration_in_flight,
    );
}

/// The binary running in the background, its stderr read line by line as it comes.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: String,
}

impl Running {
    fn start(project: &Project, url: &str, args: &[&str]) -> Running {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
            .current_dir(project.path())
            .arg("migrate")
            .args(args)
            .args(["--database-url", url])
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits for a line of stderr containing `needle` and returns it.
    #[track_caller]
    fn line_with(&mut self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?} on stderr; so far:\n{}", self.seen),
            }
        }
    }

    /// Waits for the process to end: its exit code (-1 when killed) and its whole stderr.
    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().expect("the binary ends");
        // The reader thread ends at EOF, which comes when the process is gone.
        for line in self.lines.iter() {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        (status.code().unwrap_or(-1), self.seen)
    }

    /// SIGKILL: no chance to roll back, unlock or say anything.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL is sent");
        let status = self.child.wait().expect("the binary ends");
        assert_eq!(status.code(), None, "it was killed, it did not exit");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// One connection of the test's own, kept open across steps (to hold a row lock, for example).
enum Conn {
    Postgres(PgConnection),
    MySql(MySqlConnection),
    Sqlite(SqliteConnection),
}

/// The test's own connection and the runtime it lives on.
struct Session {
    rt: tokio::runtime::Runtime,
    conn: Conn,
}

impl Session {
    /// A connection to `db`. SQLite connections do not wait for its locks (busy_timeout 0), so
    /// that a write lock held by a runner is seen at once.
    fn open(db: &TestDb) -> Session {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = rt.block_on(async {
            match db.kind {
                Kind::Postgres => Conn::Postgres(PgConnection::connect(&db.url).await.unwrap()),
                Kind::MySql => Conn::MySql(MySqlConnection::connect(&db.url).await.unwrap()),
                Kind::Sqlite => {
                    let options: SqliteConnectOptions = db.url.parse().unwrap();
                    Conn::Sqlite(
                        options
                            .busy_timeout(Duration::ZERO)
                            .connect()
                            .await
                            .unwrap(),
                    )
                }
            }
        });
        Session { rt, conn }
    }

    fn try_exec(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let Session { rt, conn } = self;
        rt.block_on(async {
            match conn {
                Conn::Postgres(c) => c.execute(AssertSqlSafe(sql)).await.map(drop),
                Conn::MySql(c) => c.execute(AssertSqlSafe(sql)).await.map(drop),
                Conn::Sqlite(c) => c.execute(AssertSqlSafe(sql)).await.map(drop),
            }
        })
    }

    #[track_caller]
    fn exec(&mut self, sql: &str) {
        if let Err(e) = self.try_exec(sql) {
            panic!("{sql}: {e}");
        }
    }
}

/// Versions 1..=n, all `applied`.
fn all_applied(n: i64) -> Vec<(i64, String)> {
    (1..=n).map(|v| (v, "applied".to_owned())).collect()
}

pub fn eight_concurrent_runs_apply_each_migration_exactly_once(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    // Each migration writes its version into `ran`: a migration run twice would show twice
    // (and on MySQL, whose DDL is not transactional, also leave a failed record).
    p.pair(
        "1_ran",
        "CREATE TABLE ran (version INT NOT NULL);\nINSERT INTO ran (version) VALUES (1);\n",
        "DROP TABLE ran;\n",
    );
    for v in 2..=6 {
        p.pair(
            &format!("{v}_table_{v}"),
            &format!(
                "CREATE TABLE table_{v} (id INT PRIMARY KEY);\nINSERT INTO ran (version) VALUES ({v});\n"
            ),
            &format!("DROP TABLE table_{v};\nDELETE FROM ran WHERE version = {v};\n"),
        );
    }
    // All eight start at once against a database nobody has migrated (for SQLite, a file
    // that does not exist yet).
    let runs: Vec<Running> = (0..8)
        .map(|_| Running::start(&p, &db.url, &["up", "--lock-timeout", "5m"]))
        .collect();
    let outputs: Vec<(i32, String)> = runs.into_iter().map(Running::finish).collect();
    for (code, stderr) in &outputs {
        assert_eq!(*code, 0, "every run exits 0:\n{stderr}");
    }
    // The lock is held for the whole run: the first applies everything, the others find
    // nothing left to do.
    let applied_all = outputs
        .iter()
        .filter(|(_, e)| e.contains("applied 6 migration(s)"))
        .count();
    let nothing = outputs
        .iter()
        .filter(|(_, e)| e.contains("nothing to apply"))
        .count();
    assert_eq!(
        (applied_all, nothing),
        (1, 7),
        "{:#?}",
        outputs.iter().map(|(_, e)| e).collect::<Vec<_>>()
    );
    assert_eq!(states(&p, &db), all_applied(6));
    let mut ran: Vec<String> = db
        .strings("SELECT CAST(version AS CHAR(8)) FROM ran")
        .iter()
        .map(|v| v.trim().to_owned())
        .collect();
    ran.sort();
    assert_eq!(ran, ["1", "2", "3", "4", "5", "6"]);
    let history = expect(p.on(&db, &["history", "--format", "json"]), 0);
    let history: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let rows = &history["migrations"];
    assert_eq!(rows.as_array().unwrap().len(), 6, "{rows}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == true),
        "{rows}"
    );
}

/// A project whose migration 2 blocks, on PostgreSQL and MySQL, on a row of `gate` that the
/// test locks, and on SQLite runs for as long as `gate.n` says (a counting CTE); migration 1
/// creates `gate`, migration 3 is one more to apply.
fn gated_project(kind: Kind) -> Project {
    gated_project_with(kind, "")
}

/// [`gated_project`] with `directives` at the top of migration 2's up script.
fn gated_project_with(kind: Kind, directives: &str) -> Project {
    let p = Project::new();
    p.pair(
        "1_gate",
        "CREATE TABLE gate (id INT PRIMARY KEY, n BIGINT NOT NULL);\nINSERT INTO gate (id, n) VALUES (1, 2000000000);\n",
        "DROP TABLE gate;\n",
    );
    let wait = match kind {
        Kind::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM gate)) SELECT count(*) FROM c"
        }
        _ => "UPDATE gate SET n = n WHERE id = 1",
    };
    p.pair(
        "2_half",
        &format!(
            "{directives}CREATE TABLE half (id INT);\n{wait};\nCREATE TABLE after_gate (id INT);\n"
        ),
        "DROP TABLE after_gate;\nDROP TABLE half;\n",
    );
    p.pair(
        "3_last",
        "CREATE TABLE last (id INT);\n",
        "DROP TABLE last;\n",
    );
    p
}

/// Locks the row migration 2 needs (PostgreSQL, MySQL): it waits until `release`.
fn close_gate(db: &TestDb) -> Session {
    let mut s = Session::open(db);
    s.exec(match db.kind {
        Kind::MySql => "START TRANSACTION",
        _ => "BEGIN",
    });
    s.exec("SELECT id FROM gate WHERE id = 1 FOR UPDATE");
    s
}

/// The server session of a cargo-migrate run that waits for a row lock in `db`, once there is
/// one: PostgreSQL's backend pid or MySQL's connection id.
fn session_waiting_at_the_gate(db: &TestDb) -> Option<String> {
    let sql = match db.kind {
        Kind::Postgres => {
            "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'cargo-migrate pid %' AND pid <> pg_backend_pid()"
        }
        _ => {
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE 'UPDATE gate%'"
        }
    };
    db.strings(sql).into_iter().next()
}

/// Whether someone holds SQLite's write lock on `db` (a transaction is open), seen through
/// a connection that does not wait.
fn sqlite_write_locked(db: &TestDb) -> bool {
    let mut s = Session::open(db);
    match s.try_exec("BEGIN IMMEDIATE") {
        Ok(()) => {
            s.exec("ROLLBACK");
            false
        }
        Err(e) => {
            assert!(e.to_string().contains("locked"), "{e}");
            true
        }
    }
}

pub fn a_second_run_waits_or_gives_up_naming_the_holder(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project(kind);
    expect(p.on(&db, &["up", "--to", "1"]), 0);

    if kind == Kind::Sqlite {
        // SQLite's lock is a flock on the database file; the test holds it itself.
        let file = std::fs::File::open(db.sqlite_path()).unwrap();
        file.lock().unwrap();
        let out = expect(p.on(&db, &["up", "-q", "--lock-timeout", "300ms"]), 1).stderr;
        assert!(
            !out.contains("Waiting"),
            "--quiet prints no status line:\n{out}"
        );
        assert_contains(
            &out,
            &format!(
                "gave up after 300ms waiting for the migration lock on {}",
                db.sqlite_path().display()
            ),
        );
        // Linux says who holds a flock (/proc/locks): here, the test itself.
        #[cfg(target_os = "linux")]
        {
            assert_contains(&out, &format!("held by process {} (`", std::process::id()));
            assert_contains(&out, &format!("`kill {}`", std::process::id()));
        }
        assert_contains(&out, "--lock-timeout 5m");
        assert_eq!(states(&p, &db)[1].1, "pending", "nothing ran");

        // A run with time to spare says what it waits for, and goes on once the lock is free.
        db.exec("UPDATE gate SET n = 1");
        let mut waiting = Running::start(&p, &db.url, &["up"]);
        let line = waiting.line_with("Waiting");
        assert_contains(&line, "for the migration lock on");
        assert_contains(&line, "(gives up after 1m)");
        drop(file);
        let (code, out) = waiting.finish();
        assert_eq!(code, 0, "{out}");
        assert_eq!(states(&p, &db), all_applied(3));
        return;
    }

    if kind == Kind::Postgres {
        // Settings of the database's own, which the lock wait must leave as they were.
        db.exec(
            "DO $$ BEGIN
               EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''41s''', current_database());
               EXECUTE format('ALTER DATABASE %I SET statement_timeout = ''42s''', current_database());
             END $$",
        );
    }
    // A first run blocks inside migration 2, holding the migration lock.
    let mut gate = close_gate(&db);
    let first = Running::start(&p, &db.url, &["up"]);
    let mut holder = None;
    wait_until("the first run to wait at the gate", || {
        holder = session_waiting_at_the_gate(&db);
        holder.is_some()
    });
    let holder = holder.unwrap();

    let out = expect(p.on(&db, &["up", "--lock-timeout", "500ms"]), 1).stderr;
    assert_contains(
        &out,
        "gave up after 500ms waiting for the migration lock on database cm_test_",
    );
    match kind {
        Kind::Postgres => {
            assert_contains(&out, &format!("held by server process {holder} ("));
            assert_contains(
                &out,
                &format!("application `cargo-migrate pid {}`", first.pid()),
            );
            assert_contains(&out, "running `BEGIN; CREATE TABLE half");
            assert_contains(&out, &format!("`SELECT pg_terminate_backend({holder})`"));
        }
        _ => {
            assert_contains(&out, &format!("held by connection {holder} ("));
            assert_contains(&out, "running `UPDATE gate SET n = n WHERE id = 1`");
            assert_contains(&out, &format!("`KILL {holder}`"));
        }
    }
    assert_contains(&out, "or give it longer with `--lock-timeout 5m`");

    // A run with the default timeout says what it waits for, and goes on when the first ends,
    // with a migration the first did not plan: it reads the tracking table after the lock.
    let seen = match kind {
        Kind::Postgres => {
            "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;\n"
        }
        _ => "CREATE TABLE seen (id INT);\n",
    };
    p.pair("4_seen", seen, "DROP TABLE seen;\n");
    let mut second = Running::start(&p, &db.url, &["up"]);
    let line = second.line_with("Waiting");
    assert_contains(&line, "for the migration lock on database cm_test_");
    assert_contains(
        &line,
        &format!(
            "held by {}",
            match kind {
                Kind::Postgres => format!("server process {holder}"),
                _ => format!("connection {holder}"),
            }
        ),
    );
    gate.exec("COMMIT");
    let (code, out) = first.finish();
    assert_eq!(code, 0, "{out}");
    assert_contains(&out, "applied 2 migration(s)");
    let (code, out) = second.finish();
    assert_eq!(code, 0, "{out}");
    assert_contains(&out, "applied 1 migration(s)");
    assert_eq!(states(&p, &db), all_applied(4));
    if kind == Kind::Postgres {
        // The wait ran under --lock-timeout; the migration under the database's settings.
        assert_eq!(db.strings("SELECT lt || ' ' || st FROM seen"), ["41s 42s"]);
    }
}

pub fn sigkill_mid_migration_then_up_finishes_the_job(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project(kind);
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let mut gate = (kind != Kind::Sqlite).then(|| close_gate(&db));

    let runner = Running::start(&p, &db.url, &["up"]);
    let pid = runner.pid();
    match kind {
        // Migration 2's transaction is open once SQLite's write lock is taken: nothing else
        // writes during this run.
        Kind::Sqlite => wait_until("the run to be inside migration 2", || {
            sqlite_write_locked(&db)
        }),
        _ => wait_until("the run to wait at the gate, inside migration 2", || {
            session_waiting_at_the_gate(&db).is_some()
        }),
    }
    runner.kill();

    match kind {
        Kind::Postgres => {
            // The server notices the client is gone (client_connection_check_interval, set by
            // cargo-migrate) and rolls the migration back without waiting for the gate.
            wait_until("the killed run's server session to end", || {
                db.strings(&format!(
                    "SELECT pid::text FROM pg_stat_activity WHERE application_name = 'cargo-migrate pid {pid}'"
                ))
                .is_empty()
            });
        }
        Kind::Sqlite => {}
        Kind::MySql => {
            // MySQL commits DDL at once: `half` is there and the record says the migration
            // failed. The killed session's statement ends when the gate opens.
            assert_eq!(db.tables(), ["gate", "half"]);
            gate.take().unwrap().exec("COMMIT");
            let refused = expect(p.on(&db, &["up"]), 1).all();
            assert_contains(&refused, "migration 2_half is recorded as failed");
            assert_contains(&refused, "cargo migrate repair 2");
            assert_eq!(
                states(&p, &db),
                [
                    (1, "applied".into()),
                    (2, "failed".into()),
                    (3, "pending".into())
                ]
            );
            // What the guidance says: undo the partial migration, repair, go on.
            db.exec("DROP TABLE half");
            expect(p.on(&db, &["repair", "2"]), 0);
            expect(p.on(&db, &["up"]), 0);
            assert_eq!(states(&p, &db), all_applied(3));
            assert_eq!(db.tables(), ["after_gate", "gate", "half", "last"]);
            return;
        }
    }

    // PostgreSQL and SQLite: at the boundary before migration 2, tracking table included.
    assert_eq!(db.tables(), ["gate"]);
    assert_eq!(
        states(&p, &db),
        [
            (1, "applied".into()),
            (2, "pending".into()),
            (3, "pending".into())
        ]
    );
    match gate.take() {
        Some(mut gate) => gate.exec("COMMIT"),
        None => db.exec("UPDATE gate SET n = 1"),
    }
    let up = expect(p.on(&db, &["up"]), 0);
    assert_contains(&up.stderr, "applied 2 migration(s)");
    assert_eq!(states(&p, &db), all_applied(3));
    assert_eq!(db.tables(), ["after_gate", "gate", "half", "last"]);
}

/// A `-- migrate:no-transaction` migration runs its statements one by one on every database:
/// killed midway, it stays recorded as failed, and `up` refuses until it is repaired.
pub fn sigkill_in_a_no_transaction_migration_is_refused_until_repaired(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project_with(kind, "-- migrate:no-transaction\n");
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let mut gate = (kind != Kind::Sqlite).then(|| close_gate(&db));
    let runner = Running::start(&p, &db.url, &["up"]);
    let pid = runner.pid();
    match kind {
        // `half` is committed on its own; the counting statement after it runs for as long
        // as `gate.n` says.
        Kind::Sqlite => wait_until("migration 2's first statement", || {
            db.tables().contains(&"half".to_owned())
        }),
        _ => wait_until("the run to wait at the gate, inside migration 2", || {
            session_waiting_at_the_gate(&db).is_some()
        }),
    }
    runner.kill();
    match kind {
        Kind::Postgres => wait_until("the killed run's server session to end", || {
            db.strings(&format!(
                "SELECT pid::text FROM pg_stat_activity WHERE application_name = 'cargo-migrate pid {pid}'"
            ))
            .is_empty()
        }),
        Kind::MySql => gate.take().unwrap().exec("COMMIT"),
        Kind::Sqlite => {}
    }
    assert_eq!(db.tables(), ["gate", "half"]);
    assert_eq!(
        states(&p, &db),
        [
            (1, "applied".into()),
            (2, "failed".into()),
            (3, "pending".into())
        ]
    );
    let refused = expect(p.on(&db, &["up"]), 1).all();
    assert_contains(&refused, "migration 2_half is recorded as failed");
    assert_contains(&refused, "cargo migrate repair 2");
    db.exec("DROP TABLE half");
    match gate.take() {
        Some(mut gate) => gate.exec("COMMIT"),
        None => db.exec("UPDATE gate SET n = 1"),
    }
    expect(p.on(&db, &["repair", "2"]), 0);
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), all_applied(3));
    assert_eq!(db.tables(), ["after_gate", "gate", "half", "last"]);
}

/// A port on 127.0.0.1 that nothing listens on (free a moment ago).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `url` pointing at 127.0.0.1:`port` instead of its own host and port.
fn at_port(url: &str, port: u16) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_host(Some("127.0.0.1")).unwrap();
    parsed.set_port(Some(port)).unwrap();
    parsed.to_string()
}

/// From now on forwards every connection to `port` on 127.0.0.1 to `target`: the server
/// "appears" there.
fn start_forwarding(port: u16, target: String) {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the freed port is still free");
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            forward(client, &target);
        }
    });
}

/// Pipes `client` to a new connection to `target`, both ways, until either side closes.
fn forward(client: TcpStream, target: &str) {
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    for (mut from, mut to) in [
        (client.try_clone().unwrap(), server.try_clone().unwrap()),
        (server, client),
    ] {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }
}

/// Answers like a PostgreSQL server that is still starting up (SQLSTATE 57P03) until `ready`
/// is set, then forwards to `target`.
fn start_postgres_starting_up(target: String, ready: Arc<AtomicBool>) -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            if ready.load(Ordering::SeqCst) {
                forward(client, &target);
                continue;
            }
            // An SSLRequest (length 8, code 80877103) is declined with `N`; then comes the
            // startup message, answered with the error a starting server sends.
            let mut head = [0u8; 8];
            if client.read_exact(&mut head).is_err() {
                continue;
            }
            let mut len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
            if head == [0, 0, 0, 8, 4, 210, 22, 47] {
                if client.write_all(b"N").is_err() || client.read_exact(&mut head[..4]).is_err() {
                    continue;
                }
                len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
                let mut rest = vec![0u8; len.saturating_sub(4)];
                let _ = client.read_exact(&mut rest);
            } else {
                let mut rest = vec![0u8; len.saturating_sub(8)];
                let _ = client.read_exact(&mut rest);
            }
            let mut fields = Vec::new();
            for (code, value) in [
                (b'S', "FATAL"),
                (b'V', "FATAL"),
                (b'C', "57P03"),
                (b'M', "the database system is starting up"),
            ] {
                fields.push(code);
                fields.extend_from_slice(value.as_bytes());
                fields.push(0);
            }
            fields.push(0);
            let mut message = vec![b'E'];
            message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
            message.extend_from_slice(&fields);
            let _ = client.write_all(&message);
        }
    });
    port
}

/// PostgreSQL accepts connections before it can serve them ("the database system is starting
/// up"): `--wait` waits through that too.
#[test]
fn postgres_starting_up_is_waited_for() {
    let Some(db) = TestDb::postgres() else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    let real = url::Url::parse(&db.url).unwrap();
    let target = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port().unwrap_or(5432)
    );
    let ready = Arc::new(AtomicBool::new(false));
    let port = start_postgres_starting_up(target, ready.clone());
    let mut running = Running::start(&p, &at_port(&db.url, port), &["up", "--wait", "2m"]);
    let line = running.line_with("Waiting");
    assert_contains(&line, "the database system is starting up");
    ready.store(true, Ordering::SeqCst);
    let (code, out) = running.finish();
    assert_eq!(code, 0, "{out}");
    assert_eq!(states(&p, &db), all_applied(1));

    // Without --wait it is a connection error at once, with the hint.
    let mut cmd = p.cmd(&["status"]);
    ready.store(false, Ordering::SeqCst);
    cmd.args(["--database-url", &at_port(&db.url, port)]);
    let out = expect(cmd, 2);
    assert_contains(&out.stderr, "the database system is starting up");
    assert_contains(&out.stderr, "`--wait 30s` retries while it starts");
}

pub fn wait_retries_until_the_server_appears(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    if kind == Kind::Sqlite {
        // A file needs no waiting: --wait is accepted and changes nothing.
        expect(p.on(&db, &["up", "--wait", "10s"]), 0);
        assert_eq!(states(&p, &db), all_applied(1));
        return;
    }
    let real = url::Url::parse(&db.url).unwrap();
    let target = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port()
            .unwrap_or(if kind == Kind::Postgres { 5432 } else { 3306 })
    );
    let port = closed_port();
    let mut running = Running::start(&p, &at_port(&db.url, port), &["up", "--wait", "2m"]);
    let line = running.line_with("Waiting");
    assert_contains(&line, &format!("(127.0.0.1:{port}) to accept connections"));
    assert_contains(&line, "refused");
    assert_contains(&line, "retrying for up to 2m");
    start_forwarding(port, target);
    let (code, out) = running.finish();
    assert_eq!(code, 0, "{out}");
    assert_contains(&out, "applied 1 migration(s)");
    assert_eq!(states(&p, &db), all_applied(1));
}

pub fn wait_gives_up_with_what_it_waited_for(kind: Kind) {
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    if kind == Kind::Sqlite {
        // A file that cannot be created will not appear by waiting: no retry, exit 1.
        let mut cmd = p.cmd(&["up", "--wait", "10m"]);
        cmd.args(["--database-url", "sqlite:/dev/null/sub/x.db"]);
        let out = expect(cmd, 1);
        assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
        assert_contains(&out.stderr, "cannot create /dev/null/sub");
        return;
    }
    let port = closed_port();
    let url = match kind {
        Kind::Postgres => format!("postgres://app:hunter2@127.0.0.1:{port}/app"),
        _ => format!("mysql://app:hunter2@127.0.0.1:{port}/app"),
    };
    let mut cmd = p.cmd(&["up", "--wait", "1s"]);
    cmd.args(["--database-url", &url]);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{}", out.all());
    let err = out.stderr;
    assert_contains(&err, "Waiting for ");
    assert_contains(
        &err,
        &format!(
            "cannot connect to {}: still not reachable at 127.0.0.1:{port} after waiting 1s (",
            url.replace("hunter2", "***")
        ),
    );
    assert_contains(&err, "the last error: error communicating with database");
    assert_contains(&err, "or wait longer (for example `--wait 5m`)");
    assert!(!err.contains("hunter2"), "{err}");
}

pub fn wait_does_not_retry_what_waiting_cannot_fix(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    if kind == Kind::Sqlite {
        // Reading a SQLite file that does not exist yet is not an error, with or without
        // --wait: there is nothing to wait for.
        let out = expect(p.on(&db, &["status", "--wait", "10m"]), 0);
        assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
        assert_contains(&out.stdout, "pending");
        return;
    }
    // The server answers, and says the database does not exist: that is final.
    let mut missing = url::Url::parse(&db.url).unwrap();
    missing.set_path("/cm_no_such_database");
    let mut cmd = p.cmd(&["up", "--wait", "10m"]);
    cmd.args(["--database-url", missing.as_str()]);
    let out = run(cmd);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
    assert_contains(&out.stderr, "cannot connect to");
    assert_contains(&out.stderr, "cm_no_such_database");
    assert_contains(&out.stderr, "create the database first");
}

/// The run lock is the tracking table's, however the configuration spells it: a runner that
/// names it with its schema (PostgreSQL) or database (MySQL) waits for one that does not.
fn either_spelling_of_the_tracking_table_takes_the_same_lock(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let bare = gated_project(kind);
    expect(bare.on(&db, &["up", "--to", "1"]), 0);
    let qualified = gated_project(kind);
    let schema = match kind {
        Kind::Postgres => "public".to_owned(),
        _ => db.database_name(),
    };
    qualified.package(&format!(
        "[package.metadata.migrate]\ntable = \"{schema}._cargo_migrate\"\n"
    ));

    let mut gate = close_gate(&db);
    let first = Running::start(&bare, &db.url, &["up"]);
    wait_until("the first run to wait at the gate", || {
        session_waiting_at_the_gate(&db).is_some()
    });
    let out = expect(qualified.on(&db, &["up", "--lock-timeout", "500ms"]), 1).stderr;
    assert_contains(&out, "gave up after 500ms waiting for the migration lock");

    // And the other way round: the qualified spelling holds, the bare one waits.
    gate.exec("COMMIT");
    let (code, stderr) = first.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(states(&bare, &db), all_applied(3));
    expect(bare.on(&db, &["down", "--to", "1"]), 0);

    let mut gate = close_gate(&db);
    let second = Running::start(&qualified, &db.url, &["up"]);
    wait_until("the qualified run to wait at the gate", || {
        session_waiting_at_the_gate(&db).is_some()
    });
    let out = expect(bare.on(&db, &["up", "--lock-timeout", "500ms"]), 1).stderr;
    assert_contains(&out, "gave up after 500ms waiting for the migration lock");
    gate.exec("COMMIT");
    let (code, stderr) = second.finish();
    assert_eq!(code, 0, "{stderr}");
}

/// A TCP proxy in front of a server that the test can freeze: connections made before
/// [`Freezer::freeze`] stop passing data either way (their sockets stay open, as behind a
/// stuck proxy or a lost NAT entry); new ones pass.
struct Freezer {
    port: u16,
    opened: Arc<AtomicUsize>,
    frozen_below: Arc<AtomicUsize>,
}

impl Freezer {
    fn start(target: String) -> Freezer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let opened = Arc::new(AtomicUsize::new(0));
        let frozen_below = Arc::new(AtomicUsize::new(0));
        let (count, below) = (opened.clone(), frozen_below.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let below = below.clone();
                    std::thread::spawn(move || pipe(from, to, n, &below));
                }
            }
        });
        Freezer {
            port,
            opened,
            frozen_below,
        }
    }

    /// Every connection open now stops passing data.
    fn freeze(&self) {
        self.frozen_below
            .store(self.opened.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Copies `from` to `to` while connection `n` is not frozen; once it is, holds both open.
fn pipe(mut from: TcpStream, mut to: TcpStream, n: usize, frozen_below: &AtomicUsize) {
    use std::io::{Read, Write};
    let frozen = || n < frozen_below.load(Ordering::SeqCst);
    let mut buf = [0_u8; 16 * 1024];
    loop {
        while frozen() {
            std::thread::sleep(Duration::from_millis(50));
        }
        let Ok(read) = from.read(&mut buf) else { break };
        if read == 0 {
            break;
        }
        while frozen() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if to.write_all(&buf[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// The host:port `url` points at.
fn address_of(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port_or_known_default().unwrap()
    )
}

/// A connection that freezes while migration 2 waits at the gate: once the gate opens the
/// server finishes the statement but its answer never arrives. The run ends within the
/// documented bound (60 s), with what the tracking table says once it is read again: on
/// PostgreSQL migration 2 committed, on MySQL it is recorded as failed.
fn a_frozen_connection_is_given_up_on_and_the_outcome_read_again(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project(kind);
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let proxy = Freezer::start(address_of(&db.url));
    let url = at_port(&db.url, proxy.port);

    let mut gate = close_gate(&db);
    let runner = Running::start(&p, &url, &["up"]);
    wait_until("the run to wait at the gate", || {
        session_waiting_at_the_gate(&db).is_some()
    });
    proxy.freeze();
    gate.exec("COMMIT");
    let frozen_at = Instant::now();
    let (code, stderr) = runner.finish();
    assert!(
        frozen_at.elapsed() < Duration::from_secs(60),
        "took {:?}: {stderr}",
        frozen_at.elapsed()
    );
    assert_eq!(code, 1, "{stderr}");
    let said = one_line(&stderr);
    assert_contains(
        &said,
        "the connection to the server was lost while applying 2_half: the server finished the statement, but its answer never arrived",
    );
    match kind {
        Kind::Postgres => {
            assert_contains(
                &said,
                "after reconnecting: 2_half was applied: it committed before the connection was lost",
            );
            assert_eq!(
                states(&p, &db),
                [
                    (1, "applied".into()),
                    (2, "applied".into()),
                    (3, "pending".into())
                ]
            );
            expect(p.on(&db, &["up"]), 0);
        }
        _ => {
            assert_contains(&said, "after reconnecting: 2_half is recorded as failed");
            assert_contains(&said, "cargo migrate repair 2");
            db.exec("DROP TABLE half");
            expect(p.on(&db, &["repair", "2"]), 0);
            expect(p.on(&db, &["up"]), 0);
        }
    }
    assert_eq!(states(&p, &db), all_applied(3));
}

/// A session the server ends (an administrator's pg_terminate_backend or KILL) is reported
/// as that, with the server's words and what the tracking table says afterwards, not as a
/// statement to fix.
fn a_session_ended_by_the_server_is_reported_with_its_reason(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project(kind);
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let mut gate = close_gate(&db);
    let runner = Running::start(&p, &db.url, &["up"]);
    let mut holder = None;
    wait_until("the run to wait at the gate", || {
        holder = session_waiting_at_the_gate(&db);
        holder.is_some()
    });
    let holder = holder.unwrap();
    match kind {
        Kind::Postgres => db.exec(&format!("SELECT pg_terminate_backend({holder})")),
        _ => db.exec(&format!("KILL {holder}")),
    }
    let (code, stderr) = runner.finish();
    assert_eq!(code, 1, "{stderr}");
    let said = one_line(&stderr);
    assert!(!said.contains("fix the statement"), "{said}");
    assert_contains(
        &said,
        "the connection to the server was lost while applying 2_half:",
    );
    gate.exec("COMMIT");
    match kind {
        Kind::Postgres => {
            assert_contains(
                &said,
                "the server ended the session: terminating connection due to administrator command (SQLSTATE 57P01)",
            );
            assert_contains(
                &said,
                "after reconnecting: 2_half was not applied: the server rolled it back",
            );
            expect(p.on(&db, &["up"]), 0);
        }
        _ => {
            assert_contains(&said, "after reconnecting: 2_half is recorded as failed");
            db.exec("DROP TABLE half");
            expect(p.on(&db, &["repair", "2"]), 0);
            expect(p.on(&db, &["up"]), 0);
        }
    }
    assert_eq!(states(&p, &db), all_applied(3));
}

/// A server that accepts the connection and never says a word: without `--wait` the run
/// gives up after the connect timeout (10 s) instead of hanging.
#[test]
fn a_server_that_never_answers_is_given_up_on_after_the_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for client in listener.incoming() {
            held.extend(client.ok());
        }
    });
    let p = Project::new();
    for url in [
        format!("postgres://postgres@127.0.0.1:{port}/x"),
        format!("mysql://root@127.0.0.1:{port}/x"),
    ] {
        let start = Instant::now();
        let out = expect(p.cmd(&["status", "--database-url", &url]), 2);
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
        assert_contains(&out.stderr, "no answer within 10s");
    }
}

/// Ctrl-C during `up` stops after the migration in flight, which is applied whole, and says
/// where the database is and what is left; `up` then goes on.
fn ctrl_c_stops_after_the_migration_in_flight(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = gated_project(kind);
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let mut gate = close_gate(&db);
    let mut runner = Running::start(&p, &db.url, &["up"]);
    runner.line_with("Applying 2_half [1/2]");
    wait_until("the run to wait at the gate", || {
        session_waiting_at_the_gate(&db).is_some()
    });
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &runner.pid().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    runner.line_with("Stopping after 2_half, once it is applied");
    gate.exec("COMMIT");
    let (code, stderr) = runner.finish();
    assert_eq!(code, 130, "{stderr}");
    let said = one_line(&stderr);
    assert_contains(
        &said,
        "stopped by Ctrl-C after 1 migration(s) were applied, each one whole; the database is at 2_half, and the rest are still pending",
    );
    assert!(!said.contains("Applying 3_last"), "{said}");
    assert_eq!(
        states(&p, &db),
        [
            (1, "applied".into()),
            (2, "applied".into()),
            (3, "pending".into())
        ]
    );
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), all_applied(3));
}
