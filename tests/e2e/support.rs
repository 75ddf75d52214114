//! The harness: throwaway databases (a SQLite file, or a database created on the PostgreSQL or
//! MariaDB server named by TEST_POSTGRES_URL / TEST_MYSQL_URL and dropped afterwards) and
//! temporary project directories, driven through the real binary.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use sqlx::{Connection, Executor, MySqlConnection, PgConnection, Row, SqliteConnection};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
    MySql,
}

/// A database that exists for one test.
pub struct TestDb {
    pub kind: Kind,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

fn unique_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "cm_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server URL from `var`, or `None` (and a note) when it is not set. In CI it must be set.
fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} must be set in CI: the server tests may not be skipped there")
        }
        _ => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// `url` with its database (the path) replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.db");
        TestDb {
            kind: Kind::Sqlite,
            url: format!("sqlite:{}", path.display()),
            admin_url: None,
            name: path.display().to_string(),
            _dir: Some(dir),
        }
    }

    pub fn postgres() -> Option<TestDb> {
        let admin = server_url("TEST_POSTGRES_URL")?;
        let name = unique_name();
        block_on(async {
            let mut c = PgConnection::connect(&admin)
                .await
                .expect("connect to TEST_POSTGRES_URL");
            c.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
        });
        Some(TestDb {
            kind: Kind::Postgres,
            url: with_database(&admin, &name),
            admin_url: Some(admin),
            name,
            _dir: None,
        })
    }

    pub fn mysql() -> Option<TestDb> {
        let admin = server_url("TEST_MYSQL_URL")?;
        let name = unique_name();
        block_on(async {
            let mut c = MySqlConnection::connect(&admin)
                .await
                .expect("connect to TEST_MYSQL_URL");
            c.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
        });
        Some(TestDb {
            kind: Kind::MySql,
            url: with_database(&admin, &name),
            admin_url: Some(admin),
            name,
            _dir: None,
        })
    }

    /// A test database of the given kind, `None` when its server is not configured.
    pub fn of(kind: Kind) -> Option<TestDb> {
        match kind {
            Kind::Sqlite => Some(TestDb::sqlite()),
            Kind::Postgres => TestDb::postgres(),
            Kind::MySql => TestDb::mysql(),
        }
    }

    /// The name a protected environment asks to be typed: the database's, or the SQLite file's.
    pub fn database_name(&self) -> String {
        match self.kind {
            Kind::Sqlite => self
                .sqlite_path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            _ => self.name.clone(),
        }
    }

    pub fn sqlite_path(&self) -> &Path {
        Path::new(&self.name)
    }

    /// The user tables in the database, sorted, without the tracking table.
    pub fn tables(&self) -> Vec<String> {
        let sql = match self.kind {
            Kind::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Kind::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
            Kind::MySql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()"
            }
        };
        let mut names: Vec<String> = self
            .strings(sql)
            .into_iter()
            .filter(|t| t != "_cargo_migrate")
            .collect();
        names.sort();
        names
    }

    /// Runs one statement (creating the SQLite file if it does not exist yet).
    pub fn exec(&self, sql: &str) {
        block_on(async {
            match self.kind {
                Kind::Sqlite => SqliteConnection::connect(&format!("{}?mode=rwc", self.url))
                    .await
                    .unwrap()
                    .execute(sql)
                    .await
                    .map(drop),
                Kind::Postgres => PgConnection::connect(&self.url)
                    .await
                    .unwrap()
                    .execute(sql)
                    .await
                    .map(drop),
                Kind::MySql => MySqlConnection::connect(&self.url)
                    .await
                    .unwrap()
                    .execute(sql)
                    .await
                    .map(drop),
            }
        })
        .unwrap();
    }

    /// The first column of every row, as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        if self.kind == Kind::Sqlite && !self.sqlite_path().exists() {
            return Vec::new();
        }
        block_on(async {
            match self.kind {
                Kind::Sqlite => {
                    let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect()
                }
                Kind::Postgres => {
                    let mut c = PgConnection::connect(&self.url).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect()
                }
                Kind::MySql => {
                    let mut c = MySqlConnection::connect(&self.url).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect()
                }
            }
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = &self.admin_url else { return };
        let sql = match self.kind {
            Kind::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        block_on(async {
            let result = match self.kind {
                Kind::Postgres => match PgConnection::connect(admin).await {
                    Ok(mut c) => c.execute(sql.as_str()).await.map(drop),
                    Err(e) => Err(e),
                },
                _ => match MySqlConnection::connect(admin).await {
                    Ok(mut c) => c.execute(sql.as_str()).await.map(drop),
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = result {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
        });
    }
}

/// A temporary project directory with a `migrations/` directory and no Cargo.toml.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Makes the directory a Cargo package named `app` (Cargo.toml and an empty src/lib.rs),
    /// its manifest ending with `extra` (a `[package.metadata.migrate…]` table, say).
    pub fn package(&self, extra: &str) -> &Self {
        std::fs::write(
            self.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{extra}"
            ),
        )
        .unwrap();
        std::fs::create_dir_all(self.path().join("src")).unwrap();
        std::fs::write(self.path().join("src/lib.rs"), "").unwrap();
        self
    }

    /// Writes `migrations/<name>`.
    pub fn write(&self, name: &str, body: &str) -> &Self {
        std::fs::write(self.migrations().join(name), body).unwrap();
        self
    }

    /// Writes a reversible pair.
    pub fn pair(&self, base: &str, up: &str, down: &str) -> &Self {
        self.write(&format!("{base}.up.sql"), up)
            .write(&format!("{base}.down.sql"), down)
    }

    /// `cargo-migrate migrate <args…>` in the project directory, with no database URL from the
    /// test's own environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
        cmd.current_dir(self.path())
            .arg("migrate")
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("CARGO_MIGRATE_USER")
            .env("NO_COLOR", "1");
        cmd
    }

    /// The same, against `db`.
    pub fn on(&self, db: &TestDb, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.args(["--database-url", &db.url]);
        cmd
    }
}

/// What a finished command printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn expect(cmd: Command, code: i32) -> Output {
    let out = run(cmd);
    assert_eq!(
        out.code, code,
        "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

/// `status --format json` as (version, state) pairs.
pub fn states(project: &Project, db: &TestDb) -> Vec<(i64, String)> {
    let out = expect(project.on(db, &["status", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("status JSON parses");
    json.as_array()
        .expect("an array")
        .iter()
        .map(|m| {
            (
                m["version"].as_i64().unwrap(),
                m["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Asserts that `text` contains `needle`, showing the whole text when it does not.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
}

/// Runs `command` (a shell command line) in `dir` on a pseudo-terminal (util-linux `script`),
/// with `envs` set and `DATABASE_URL` unset, typing `input`; what the terminal showed is
/// `stdout`.
pub fn on_pty(dir: &Path, command: &str, envs: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("SHELL", "/bin/sh")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    // Kept open until the command ends: `script` would pass an end of input on to the
    // terminal, and what is typed must arrive as lines, not cut short by it.
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// How long any wait of the tests may take before it is a failure (generous: the machine
/// may be busy compiling).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `ready` until it is true, failing the test after [`DEADLINE`] with `what`.
#[track_caller]
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
