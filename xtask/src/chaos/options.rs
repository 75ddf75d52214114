//! `cargo xtask chaos` flags.

use std::path::PathBuf;

use super::plan::{Db, Fault};
use crate::Result;
use crate::flags::{Flags, parse_count};

pub const USAGE: &str = "\
usage: cargo xtask chaos [options]

Fault injection: each trial makes a project of a few migrations (several statements in one
transaction, a slow statement, on PostgreSQL and SQLite a `-- migrate:no-transaction` one;
each makes the marker table m_<version>) and a fresh database, runs `cargo-migrate migrate up`
and injects one fault at a moment drawn from the seed: SIGKILL of the process; on PostgreSQL
and MariaDB, a dropped or a frozen connection (through a TCP proxy of the harness's) and the
server ending the run's session (pg_terminate_backend, KILL); and a crash and restart of a
PostgreSQL server of the suite's own (initdb in a temporary directory). Then it checks that the tracking
table agrees with the marker tables, that the process exited within 90 s of the fault, that no
message claims an outcome the database contradicts, and that `status`, `repair` (as the tool
asks) and `up` recover. A fault that misses (the run had ended) is tried again, up to 3 times,
with half the delay each time. Prints a table per database on stdout; exits 1 if anything was
found.
Every trial's details go to target/chaos/seed-<seed>.log.

options:
  --db LIST        sqlite, postgres, mysql or all, comma-separated (default all)
  --trials N       trials per fault and database (default 30 SIGKILL, 10 of each other fault)
  --faults LIST    sigkill, drop, freeze, server-kill, restart or all, comma-separated (default
                   all; without PostgreSQL's initdb and pg_ctl, restart is skipped with a
                   warning unless --faults names it)
  --seed S         the seed (a number; default: from the clock, printed, so a run can be repeated)
  --bin PATH       the cargo-migrate binary to test (default: build the workspace's, debug)
  --release        build and test the release binary instead (without --bin)
  --jobs N         trials run at once (default 4; a frozen run waits 90 s, mostly idle)
  -h, --help       show this help

environment:
  TEST_POSTGRES_URL  server for PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres)
  TEST_MYSQL_URL     server for MariaDB/MySQL (default mysql://root@127.0.0.1:3306/mysql)
                     every trial creates its own database chaos_<pid>_<n> there and drops it
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub dbs: Vec<Db>,
    pub faults: Vec<Fault>,
    /// `--faults` was given (a fault it names cannot be skipped).
    pub faults_named: bool,
    /// `None`: each fault's default count.
    pub trials: Option<usize>,
    pub seed: Option<u64>,
    pub bin: Option<PathBuf>,
    pub release: bool,
    pub jobs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dbs: Db::ALL.to_vec(),
            faults: Fault::ALL.to_vec(),
            faults_named: false,
            trials: None,
            seed: None,
            bin: None,
            release: false,
            jobs: 4,
        }
    }
}

impl Options {
    /// `Ok(None)` when help was asked for.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
        let mut opts = Options::default();
        let mut flags = Flags::new(args);
        while let Some((flag, inline)) = flags.next() {
            let mut value = || flags.value(&flag, inline.clone());
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--db" => opts.dbs = parse_dbs(&value()?)?,
                "--faults" => {
                    opts.faults = parse_faults(&value()?)?;
                    opts.faults_named = true;
                }
                "--trials" => opts.trials = Some(parse_count("--trials", &value()?, 1)?),
                "--seed" => {
                    let text = value()?;
                    opts.seed = Some(
                        text.parse()
                            .map_err(|_| format!("--seed: expected a number, got `{text}`"))?,
                    );
                }
                "--bin" => opts.bin = Some(PathBuf::from(value()?)),
                "--release" => opts.release = true,
                "--jobs" => opts.jobs = parse_count("--jobs", &value()?, 1)?,
                _ => return Err(format!("unknown option `{flag}`\n\n{USAGE}")),
            }
        }
        if opts.release && opts.bin.is_some() {
            return Err("--release builds the binary; --bin names one: give one of them".into());
        }
        Ok(Some(opts))
    }

    /// How many trials of `fault` run on each database.
    pub fn trials_of(&self, fault: Fault) -> usize {
        if !self.faults.contains(&fault) {
            return 0;
        }
        self.trials.unwrap_or_else(|| fault.default_trials())
    }
}

fn parse_dbs(text: &str) -> Result<Vec<Db>> {
    let mut dbs = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let picked: &[Db] = match part {
            "all" => &Db::ALL,
            "sqlite" => &[Db::Sqlite],
            "postgres" | "postgresql" | "pg" => &[Db::Postgres],
            "mysql" | "mariadb" => &[Db::Mysql],
            other => {
                return Err(format!(
                    "--db: `{other}` is not sqlite, postgres, mysql or all"
                ));
            }
        };
        for db in picked {
            if !dbs.contains(db) {
                dbs.push(*db);
            }
        }
    }
    if dbs.is_empty() {
        return Err("--db needs a database: sqlite, postgres, mysql or all".into());
    }
    dbs.sort();
    Ok(dbs)
}

fn parse_faults(text: &str) -> Result<Vec<Fault>> {
    let mut faults = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let picked: &[Fault] = match part {
            "all" => &Fault::ALL,
            "sigkill" | "kill" => &[Fault::Sigkill],
            "drop" => &[Fault::Drop],
            "freeze" => &[Fault::Freeze],
            "server-kill" | "terminate" => &[Fault::ServerKill],
            "restart" => &[Fault::Restart],
            other => {
                return Err(format!(
                    "--faults: `{other}` is not sigkill, drop, freeze, server-kill, restart or all"
                ));
            }
        };
        for fault in picked {
            if !faults.contains(fault) {
                faults.push(*fault);
            }
        }
    }
    if faults.is_empty() {
        return Err(
            "--faults needs a fault: sigkill, drop, freeze, server-kill, restart or all".into(),
        );
    }
    faults.sort();
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>> {
        Options::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_run_everything_with_the_default_counts() {
        let opts = parse(&[]).unwrap().unwrap();
        assert_eq!(opts, Options::default());
        assert_eq!(opts.trials_of(Fault::Sigkill), 30);
        assert_eq!(opts.trials_of(Fault::Freeze), 10);
    }

    #[test]
    fn flags() {
        let opts = parse(&[
            "--db",
            "mysql,sqlite",
            "--trials=3",
            "--seed",
            "42",
            "--jobs",
            "2",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(opts.dbs, [Db::Sqlite, Db::Mysql]);
        assert_eq!(opts.trials_of(Fault::Sigkill), 3);
        assert_eq!(opts.seed, Some(42));
        assert_eq!(opts.jobs, 2);
        assert_eq!(parse(&["--db", "all"]).unwrap().unwrap().dbs, Db::ALL);
        let only = parse(&["--faults", "freeze,sigkill"]).unwrap().unwrap();
        assert_eq!(only.faults, [Fault::Sigkill, Fault::Freeze]);
        assert_eq!(only.trials_of(Fault::Drop), 0);
        assert_eq!(only.trials_of(Fault::Sigkill), 30);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse(&["--db", "oracle"]).is_err());
        assert!(parse(&["--faults", "flood"]).is_err());
        assert!(parse(&["--trials", "0"]).is_err());
        assert!(parse(&["--seed", "x"]).is_err());
        assert!(parse(&["--release", "--bin", "b"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert_eq!(parse(&["-h"]), Ok(None));
    }
}
