//! Throwaway databases for tests: a SQLite file in a temporary directory, or a database
//! created on the PostgreSQL or MariaDB server named by TEST_POSTGRES_URL / TEST_MYSQL_URL and
//! dropped when the test ends. Without the variable a server test is skipped (with a note);
//! when CI is set it must not be.
//!
//! Shared by the e2e suite and `example-app/tests/startup.rs` (which includes this file with
//! `#[path]`), so it uses only sqlx, tokio and tempfile.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{
    AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection, Row, SqliteConnection,
};

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

/// Runs one statement on a new connection to `url` (a SQLite file is created if missing).
fn execute(kind: Kind, url: &str, sql: &str) -> sqlx::Result<()> {
    block_on(async {
        match kind {
            Kind::Sqlite => {
                let mut c = SqliteConnection::connect(&format!("{url}?mode=rwc")).await?;
                c.execute(AssertSqlSafe(sql)).await.map(drop)
            }
            Kind::Postgres => PgConnection::connect(url)
                .await?
                .execute(AssertSqlSafe(sql))
                .await
                .map(drop),
            Kind::MySql => MySqlConnection::connect(url)
                .await?
                .execute(AssertSqlSafe(sql))
                .await
                .map(drop),
        }
    })
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
        TestDb::of(Kind::Postgres)
    }

    pub fn mysql() -> Option<TestDb> {
        TestDb::of(Kind::MySql)
    }

    /// A test database of the given kind, `None` when its server is not configured.
    pub fn of(kind: Kind) -> Option<TestDb> {
        let var = match kind {
            Kind::Sqlite => return Some(TestDb::sqlite()),
            Kind::Postgres => "TEST_POSTGRES_URL",
            Kind::MySql => "TEST_MYSQL_URL",
        };
        let admin = server_url(var)?;
        let name = unique_name();
        execute(kind, &admin, &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating {name} through {var}: {e}"));
        Some(TestDb {
            kind,
            url: with_database(&admin, &name),
            admin_url: Some(admin),
            name,
            _dir: None,
        })
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
        execute(self.kind, &self.url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs one statement, returning the server's refusal instead of failing the test.
    pub fn try_exec(&self, sql: &str) -> sqlx::Result<()> {
        execute(self.kind, &self.url, sql)
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
                    let rows = sqlx::query(AssertSqlSafe(sql))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect()
                }
                Kind::Postgres => {
                    let mut c = PgConnection::connect(&self.url).await.unwrap();
                    let rows = sqlx::query(AssertSqlSafe(sql))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect()
                }
                Kind::MySql => {
                    let mut c = MySqlConnection::connect(&self.url).await.unwrap();
                    let rows = sqlx::query(AssertSqlSafe(sql))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
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
        if let Err(e) = execute(self.kind, admin, &sql) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}
