//! The harness's own view of a trial's database, through the command-line clients (`psql`,
//! `mysql`, `sqlite3`): making and dropping it, finding and ending the run's server session,
//! and reading back what the run left (tracking rows, marker tables).

use std::collections::BTreeSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::plan::Db;
use super::run::{Finished, run_bounded};
use crate::Result;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";
/// The tool's tracking table (its default name).
pub const TRACKING_TABLE: &str = "_cargo_migrate";
/// No query of the harness's may take longer (a server-side lock held by a session the fault
/// left behind must not hang the suite).
const QUERY_LIMIT: Duration = Duration::from_secs(30);

/// A server the suite makes its databases on (nothing for SQLite: a file per trial).
#[derive(Debug, Clone)]
pub struct Server {
    pub db: Db,
    url: Option<url::Url>,
}

impl Server {
    /// The server of `$TEST_POSTGRES_URL` or `$TEST_MYSQL_URL` (or the local default), once
    /// its client is found and it answers.
    pub fn connect(db: Db) -> Result<Server> {
        let (var, default, client) = match db {
            Db::Sqlite => {
                crate::process::require(
                    "sqlite3",
                    "install the SQLite shell (e.g. `apt-get install sqlite3`)",
                )?;
                return Ok(Server { db, url: None });
            }
            Db::Postgres => ("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, "psql"),
            Db::Mysql => ("TEST_MYSQL_URL", DEFAULT_MYSQL_URL, "mysql"),
        };
        crate::process::require(
            client,
            &format!("install the {client} client, or leave {db} out with --db"),
        )?;
        let text = std::env::var(var)
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| default.to_owned());
        let url = url::Url::parse(&text).map_err(|e| format!("{var} `{text}`: {e}"))?;
        if url.host_str().is_none() {
            return Err(format!("{var} `{text}` names no host"));
        }
        let server = Server { db, url: Some(url) };
        server.admin("SELECT 1").map_err(|e| {
            format!("{db} is not reachable: {e}\n  hint: start it, set {var}, or leave {db} out with --db")
        })?;
        Ok(server)
    }

    /// A PostgreSQL server at `url` (the suite's own, for the restart fault).
    pub fn postgres_at(url: &str) -> Result<Server> {
        Ok(Server {
            db: Db::Postgres,
            url: Some(url::Url::parse(url).map_err(|e| format!("`{url}`: {e}"))?),
        })
    }

    /// Fails unless the server answers.
    pub fn check(&self) -> Result<()> {
        self.admin("SELECT 1").map(drop)
    }

    /// Where the proxy forwards to.
    pub fn addr(&self) -> Result<SocketAddr> {
        let url = self.url.as_ref().ok_or("SQLite has no server")?;
        let host = url.host_str().unwrap_or("127.0.0.1");
        let port = url.port().unwrap_or(match self.db {
            Db::Mysql => 3306,
            _ => 5432,
        });
        (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("{host}:{port}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host}:{port} resolves to nothing"))
    }

    /// A fresh database for one trial (`chaos_<pid>_<n>`), dropped with the guard; SQLite's
    /// file goes in `dir`.
    pub fn create(&self, dir: &Path) -> Result<TrialDb> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "chaos_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let file = dir.join(format!("{name}.sqlite3"));
        match self.db {
            Db::Sqlite => {}
            Db::Postgres | Db::Mysql => drop(self.admin(&format!("CREATE DATABASE {name}"))?),
        }
        Ok(TrialDb {
            server: self.clone(),
            name,
            file,
        })
    }

    /// One statement on the server's own database (not a trial's).
    fn admin(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        self.query(None, sql)
    }

    fn query(&self, database: Option<&str>, sql: &str) -> Result<Vec<Vec<String>>> {
        let url = self.url.as_ref().ok_or("SQLite has no server")?;
        let mut cmd = match self.db {
            Db::Postgres => {
                let mut target = url.clone();
                if let Some(database) = database {
                    target.set_path(database);
                }
                let mut cmd = Command::new("psql");
                cmd.args(["-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d"])
                    .arg(target.as_str())
                    .args(["-c", sql])
                    .env("PGCONNECT_TIMEOUT", "10")
                    .env(
                        "PGOPTIONS",
                        "-c statement_timeout=20000 -c lock_timeout=20000",
                    );
                cmd
            }
            _ => {
                let mut cmd = Command::new("mysql");
                cmd.args(["--protocol=TCP", "-N", "-B", "--connect-timeout=10"])
                    .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
                    .arg(format!("--port={}", url.port().unwrap_or(3306)))
                    .arg(format!("--user={}", url.username()))
                    .arg("-e")
                    .arg(format!("SET SESSION lock_wait_timeout = 20; {sql}"));
                if let Some(password) = url.password() {
                    cmd.env("MYSQL_PWD", password);
                }
                if let Some(database) = database {
                    cmd.arg(database);
                }
                cmd
            }
        };
        rows(run_bounded(&mut cmd, QUERY_LIMIT), sql)
    }
}

/// One trial's database.
#[derive(Debug)]
pub struct TrialDb {
    server: Server,
    pub name: String,
    file: PathBuf,
}

/// A row of the tracking table, as far as the oracle reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingRow {
    pub version: u32,
    pub success: bool,
    /// A failed run that `repair` cleared: read as not applied.
    pub cleared: bool,
}

/// What a run left in its database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// `None`: there is no tracking table.
    pub rows: Option<Vec<TrackingRow>>,
    pub markers: BTreeSet<u32>,
}

impl TrialDb {
    /// The URL the tool is given; `via` sends it through the proxy's port instead.
    pub fn url(&self, via: Option<u16>) -> String {
        let Some(base) = &self.server.url else {
            return format!("sqlite:{}", self.file.display());
        };
        let mut url = base.clone();
        url.set_path(&self.name);
        if let Some(port) = via {
            let _ = url.set_host(Some("127.0.0.1"));
            let _ = url.set_port(Some(port));
        }
        url.to_string()
    }

    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        match self.server.db {
            Db::Sqlite => {
                let mut cmd = Command::new("sqlite3");
                cmd.args([
                    "-batch",
                    "-bail",
                    "-separator",
                    "\t",
                    "-cmd",
                    ".timeout 20000",
                ])
                .arg(&self.file)
                .arg(sql);
                rows(run_bounded(&mut cmd, QUERY_LIMIT), sql)
            }
            _ => self.server.query(Some(&self.name), sql),
        }
    }

    /// The run's server sessions: PostgreSQL backends named `cargo-migrate pid <pid>`, MySQL
    /// connections to this trial's database (the harness's own name none). Empty for SQLite.
    pub fn sessions(&self, pid: u32) -> Result<Vec<String>> {
        let sql = match self.server.db {
            Db::Sqlite => return Ok(Vec::new()),
            Db::Postgres => format!(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'cargo-migrate pid {pid}' ORDER BY backend_start"
            ),
            Db::Mysql => format!(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{}' ORDER BY ID",
                self.name
            ),
        };
        Ok(self
            .server
            .admin(&sql)?
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    /// Ends one server session (`pg_terminate_backend`, `KILL`); false when it was gone.
    pub fn end_session(&self, id: &str) -> Result<bool> {
        match self.server.db {
            Db::Sqlite => Ok(false),
            Db::Postgres => {
                let id: i64 = id.parse().map_err(|_| format!("backend pid `{id}`"))?;
                let rows = self
                    .server
                    .admin(&format!("SELECT pg_terminate_backend({id})"))?;
                Ok(rows
                    .first()
                    .and_then(|r| r.first())
                    .is_some_and(|v| v == "t"))
            }
            Db::Mysql => {
                let id: i64 = id.parse().map_err(|_| format!("connection id `{id}`"))?;
                match self.server.admin(&format!("KILL {id}")) {
                    Ok(_) => Ok(true),
                    Err(e) if e.contains("Unknown thread id") => Ok(false),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The tracking rows and the marker tables.
    pub fn observe(&self) -> Result<Observed> {
        let (has_tracking, markers) = match self.server.db {
            Db::Postgres => (
                format!("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '{TRACKING_TABLE}'"),
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'm\\_%'".to_owned(),
            ),
            Db::Mysql => (
                format!("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{TRACKING_TABLE}'"),
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'm\\_%'".to_owned(),
            ),
            Db::Sqlite => (
                format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{TRACKING_TABLE}'"),
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'm\\_%' ESCAPE '\\'".to_owned(),
            ),
        };
        let markers = self
            .query(&markers)?
            .into_iter()
            .filter_map(|r| r.first()?.strip_prefix("m_")?.parse().ok())
            .collect();
        let has_tracking = self
            .query(&has_tracking)?
            .first()
            .and_then(|r| r.first())
            .is_some_and(|n| n != "0");
        let rows = if has_tracking {
            let read = self.query(&format!(
                "SELECT version, success, cleared FROM {TRACKING_TABLE} ORDER BY version"
            ))?;
            let mut rows = Vec::new();
            for r in read {
                let [version, success, cleared] = r.as_slice() else {
                    return Err(format!("a tracking row of {} columns: {r:?}", r.len()));
                };
                rows.push(TrackingRow {
                    version: version
                        .parse()
                        .map_err(|_| format!("tracking version `{version}`"))?,
                    success: truth(success)?,
                    cleared: truth(cleared)?,
                });
            }
            Some(rows)
        } else {
            None
        };
        Ok(Observed { rows, markers })
    }

    /// Undoes a migration by hand, as the tool asks before `repair`: every trial migration
    /// makes its marker table and nothing else.
    pub fn drop_marker(&self, version: u32) -> Result<()> {
        self.query(&format!(
            "DROP TABLE IF EXISTS {}",
            super::plan::marker(version)
        ))
        .map(drop)
    }
}

impl Drop for TrialDb {
    fn drop(&mut self) {
        let dropped = match self.server.db {
            Db::Sqlite => {
                for suffix in ["", "-journal", "-wal", "-shm"] {
                    let mut path = self.file.clone().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
                Ok(Vec::new())
            }
            Db::Postgres => self.server.admin(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )),
            Db::Mysql => self
                .server
                .admin(&format!("DROP DATABASE IF EXISTS {}", self.name)),
        };
        if let Err(e) = dropped {
            eprintln!("chaos: warning: cannot drop database {}: {e}", self.name);
        }
    }
}

fn truth(text: &str) -> Result<bool> {
    match text {
        "t" | "1" | "true" | "TRUE" => Ok(true),
        "f" | "0" | "false" | "FALSE" => Ok(false),
        other => Err(format!("a boolean `{other}`")),
    }
}

/// A client's tab-separated output as rows, or its error.
fn rows(finished: Result<Finished>, sql: &str) -> Result<Vec<Vec<String>>> {
    let finished = finished?;
    if finished.timed_out {
        return Err(format!("`{sql}` took more than {QUERY_LIMIT:?}"));
    }
    if finished.code != Some(0) {
        return Err(format!("`{sql}`: {}", finished.stderr.trim()));
    }
    Ok(finished
        .stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect())
}
