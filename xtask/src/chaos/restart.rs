//! The server-restart fault needs a PostgreSQL server of the suite's own (the shared one is
//! never restarted): initdb into a temporary directory, started on a free port, restarted
//! with `pg_ctl restart -m immediate` (a crash: no checkpoint, recovery from the WAL) at the
//! fault, one trial at a time, stopped and removed at the end.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::db::Server;
use crate::Result;

const PG_CTL_LIMIT: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    /// Run the server's programs as the `postgres` user (this process is root).
    as_postgres: bool,
    pub server: Server,
    /// A restart ends every session on the server: its trials run one at a time.
    turn: Mutex<()>,
}

impl PrivatePostgres {
    /// initdb and start, or why not.
    pub fn start() -> Result<PrivatePostgres> {
        let bin = server_bin()?;
        let as_postgres = is_root();
        let data =
            std::env::temp_dir().join(format!("cargo-migrate-chaos-pg-{}", std::process::id()));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let pg = PrivatePostgres {
            bin,
            data,
            as_postgres,
            server: Server::postgres_at(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))?,
            turn: Mutex::new(()),
        };
        let data = pg.data.display().to_string();
        pg.tool(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        )?;
        let options = format!(
            "-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        );
        let log = format!("{data}/server.log");
        pg.tool(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &options, "start"],
        )?;
        pg.server.check()?;
        Ok(pg)
    }

    /// Held for a whole restart trial.
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault: the server crashes (immediate shutdown) and starts again.
    pub fn restart(&self) -> Result<()> {
        let data = self.data.display().to_string();
        let log = format!("{data}/server.log");
        self.tool(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-m", "immediate", "-w", "restart"],
        )
    }

    /// Runs one of the server's programs. Its output goes to a file, not a pipe: the server
    /// `pg_ctl` starts keeps the descriptors it inherits, and a pipe would never end.
    fn tool(&self, program: &str, args: &[&str]) -> Result<()> {
        let path = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(&path);
            cmd
        } else {
            Command::new(&path)
        };
        let out_path = self.data.with_extension("out");
        let out = std::fs::File::create(&out_path)
            .map_err(|e| format!("cannot create {}: {e}", out_path.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("{}: {e}", out_path.display()))?;
        cmd.args(args)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let what = format!("`{program} {}`", args.join(" "));
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{what}: cannot start it: {e}"))?;
        let deadline = Instant::now() + PG_CTL_LIMIT;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| format!("{what}: {e}"))? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} took more than {PG_CTL_LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let said = std::fs::read_to_string(&out_path).unwrap_or_default();
        let _ = std::fs::remove_file(&out_path);
        if status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed ({status}): {}", said.trim()))
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.tool("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// PostgreSQL's server programs: `pg_config --bindir`, else the newest
/// /usr/lib/postgresql/<version>/bin.
fn server_bin() -> Result<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL server programs (initdb, pg_ctl) found".to_owned())?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|p| version_of(p));
    versions
        .pop()
        .ok_or_else(|| "no PostgreSQL server programs (initdb, pg_ctl) found".to_owned())
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(Path::file_name)
        .and_then(|v| v.to_str()?.parse().ok())
        .unwrap_or(0)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
