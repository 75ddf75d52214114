//! What one trial does, decided from the seed alone before anything runs: the migrations of
//! its project and when its fault lands.

use std::fmt;

use super::rng::Rng;

/// A database the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Db {
    Sqlite,
    Postgres,
    Mysql,
}

impl Db {
    pub const ALL: [Db; 3] = [Db::Sqlite, Db::Postgres, Db::Mysql];

    pub fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
            Db::Mysql => "mysql",
        }
    }

    fn code(self) -> u64 {
        match self {
            Db::Sqlite => 1,
            Db::Postgres => 2,
            Db::Mysql => 3,
        }
    }
}

impl fmt::Display for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The one fault a trial injects into a running `migrate up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// SIGKILL of the process.
    Sigkill,
    /// The harness's proxy closes both sides of every open connection.
    Drop,
    /// The harness's proxy stops forwarding on every open connection and keeps the sockets.
    Freeze,
    /// The server ends the run's session: `pg_terminate_backend`, MariaDB's `KILL`.
    ServerKill,
    /// The server crashes and starts again (`pg_ctl restart -m immediate`, on a PostgreSQL
    /// server of the suite's own).
    Restart,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Sigkill,
        Fault::Drop,
        Fault::Freeze,
        Fault::ServerKill,
        Fault::Restart,
    ];

    pub fn name(self, db: Db) -> &'static str {
        match (self, db) {
            (Fault::Sigkill, _) => "sigkill",
            (Fault::Drop, _) => "drop",
            (Fault::Freeze, _) => "freeze",
            (Fault::ServerKill, Db::Mysql) => "KILL",
            (Fault::ServerKill, _) => "terminate",
            (Fault::Restart, _) => "restart",
        }
    }

    /// SQLite has no connection to cut and no server to end a session; only PostgreSQL is
    /// restarted (on a server of the suite's own).
    pub fn applies_to(self, db: Db) -> bool {
        match self {
            Fault::Sigkill => true,
            Fault::Restart => db == Db::Postgres,
            _ => db != Db::Sqlite,
        }
    }

    /// Trials per database without `--trials`.
    pub fn default_trials(self) -> usize {
        match self {
            Fault::Sigkill => 30,
            _ => 10,
        }
    }

    fn code(self) -> u64 {
        match self {
            Fault::Sigkill => 1,
            Fault::Drop => 2,
            Fault::Freeze => 3,
            Fault::ServerKill => 4,
            Fault::Restart => 5,
        }
    }
}

/// How a migration is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Several quick statements in one transaction (where the database has transactional DDL).
    Multi,
    /// A statement that takes `ms` (pg_sleep, SLEEP, a counting recursive CTE on SQLite)
    /// before or after the marker table is made.
    Slow { ms: u64, marker_first: bool },
    /// `-- migrate:no-transaction`: the statements commit one by one, a slow one among them.
    NoTransaction { ms: u64, marker_first: bool },
}

/// One migration of a trial's project. Each one makes the marker table `m_<version>` and
/// nothing else outside it, so undoing it by hand is dropping that table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub shape: Shape,
    pub up: String,
    pub down: String,
}

impl Migration {
    pub fn slug(&self) -> &'static str {
        match self.shape {
            Shape::Multi => "multi",
            Shape::Slow { .. } => "slow",
            Shape::NoTransaction { .. } => "no_tx",
        }
    }

    /// `<version>_<slug>`, as the tool names the migration in its messages.
    pub fn name(&self) -> String {
        format!("{}_{}", self.version, self.slug())
    }

    pub fn marker(&self) -> String {
        marker(self.version)
    }

    fn slow_ms(&self) -> u64 {
        match self.shape {
            Shape::Multi => 0,
            Shape::Slow { ms, .. } | Shape::NoTransaction { ms, .. } => ms,
        }
    }
}

pub fn marker(version: u32) -> String {
    format!("m_{version}")
}

/// Everything a trial does, from its seed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub db: Db,
    pub fault: Fault,
    /// Which trial of this database and fault (from 0).
    pub index: usize,
    pub migrations: Vec<Migration>,
    /// When the fault lands: after the process starts (SIGKILL), or after the run's first
    /// connection is seen (the other faults, which need one).
    pub delay_ms: u64,
}

/// Roughly how long a run takes besides its slow statements: start, connect, lock, tracking
/// table, a few quick migrations.
const OVERHEAD_MS: u64 = 150;

/// Iterations of SQLite's counting CTE per millisecond, about (it runs inside SQLite's C code).
pub const SQLITE_COUNTS_PER_MS: u64 = 1_500;

impl Plan {
    pub fn new(seed: u64, db: Db, fault: Fault, index: usize) -> Plan {
        let mut rng = Rng::for_trial(seed, &[db.code(), fault.code(), index as u64]);
        let n = rng.range(3, 5) as u32;
        // One long statement at a random place, so that many faults land inside a statement.
        let long = rng.range(1, u64::from(n)) as u32;
        let migrations: Vec<Migration> = (1..=n)
            .map(|version| {
                let shape = if version == long {
                    Shape::Slow {
                        ms: rng.range(600, 1800),
                        marker_first: rng.chance(50),
                    }
                } else {
                    match rng.range(0, 9) {
                        0..=4 => Shape::Multi,
                        5 | 6 => Shape::Slow {
                            ms: rng.range(100, 400),
                            marker_first: rng.chance(50),
                        },
                        _ if db == Db::Mysql => Shape::Multi,
                        _ => Shape::NoTransaction {
                            ms: rng.range(100, 500),
                            marker_first: rng.chance(50),
                        },
                    }
                };
                build(db, version, shape)
            })
            .collect();
        let expected: u64 = OVERHEAD_MS + migrations.iter().map(Migration::slow_ms).sum::<u64>();
        let delay_ms = match fault {
            Fault::Sigkill => rng.range(0, expected),
            _ => rng.range(0, expected.saturating_sub(OVERHEAD_MS / 2)),
        };
        Plan {
            db,
            fault,
            index,
            migrations,
            delay_ms,
        }
    }

    /// `postgres drop #3`.
    pub fn label(&self) -> String {
        format!("{} {} #{}", self.db, self.fault.name(self.db), self.index)
    }

    /// The shapes in a few words, for the log: `1_multi 2_slow(1200ms, marker first) …`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .migrations
            .iter()
            .map(|m| match m.shape {
                Shape::Multi => m.name(),
                Shape::Slow { ms, marker_first } | Shape::NoTransaction { ms, marker_first } => {
                    let at = if marker_first {
                        "marker first"
                    } else {
                        "marker last"
                    };
                    format!("{}({ms}ms, {at})", m.name())
                }
            })
            .collect();
        parts.join(" ")
    }
}

/// The statement that takes about `ms` on `db`.
fn slow_statement(db: Db, ms: u64) -> String {
    let secs = format!("{}.{:03}", ms / 1000, ms % 1000);
    match db {
        Db::Postgres => format!("SELECT pg_sleep({secs})"),
        Db::Mysql => format!("SELECT SLEEP({secs})"),
        Db::Sqlite => format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c",
            ms * SQLITE_COUNTS_PER_MS
        ),
    }
}

fn build(db: Db, version: u32, shape: Shape) -> Migration {
    let m = marker(version);
    let create = format!("CREATE TABLE {m} (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL)");
    let statements: Vec<String> = match shape {
        Shape::Multi => vec![
            create,
            format!("INSERT INTO {m} (id, note) VALUES (1, 'a'), (2, 'b')"),
            format!("CREATE INDEX {m}_note ON {m} (note)"),
            format!("UPDATE {m} SET note = 'c' WHERE id = 2"),
        ],
        Shape::Slow { ms, marker_first } => {
            let slow = slow_statement(db, ms);
            let insert = format!("INSERT INTO {m} (id, note) VALUES (1, 'slow')");
            if marker_first {
                vec![create, slow, insert]
            } else {
                vec![slow, create, insert]
            }
        }
        Shape::NoTransaction { ms, marker_first } => {
            let slow = slow_statement(db, ms);
            let index = match db {
                Db::Postgres => format!("CREATE INDEX CONCURRENTLY {m}_note ON {m} (note)"),
                _ => format!("CREATE INDEX {m}_note ON {m} (note)"),
            };
            if marker_first {
                vec![create, slow, index]
            } else {
                vec![slow, create, index]
            }
        }
    };
    let directive = match shape {
        Shape::NoTransaction { .. } => "-- migrate:no-transaction\n",
        _ => "",
    };
    Migration {
        version,
        shape,
        up: format!("{directive}{};\n", statements.join(";\n")),
        down: format!("{directive}DROP TABLE {m};\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_the_same_trial() {
        let a = Plan::new(42, Db::Postgres, Fault::Drop, 3);
        let b = Plan::new(42, Db::Postgres, Fault::Drop, 3);
        assert_eq!(a.migrations, b.migrations);
        assert_eq!(a.delay_ms, b.delay_ms);
        let seeds: Vec<String> = (0..20)
            .map(|i| Plan::new(42, Db::Postgres, Fault::Drop, i).summary())
            .collect();
        assert!(seeds.iter().any(|s| *s != seeds[0]), "trials vary");
    }

    #[test]
    fn every_project_has_a_long_statement_and_markers() {
        for db in Db::ALL {
            for i in 0..50 {
                let plan = Plan::new(1, db, Fault::Sigkill, i);
                assert!((3..=5).contains(&plan.migrations.len()));
                assert!(
                    plan.migrations
                        .iter()
                        .any(|m| matches!(m.shape, Shape::Slow { ms, .. } if ms >= 600))
                );
                for m in &plan.migrations {
                    assert!(m.up.contains(&format!("CREATE TABLE {} ", m.marker())));
                    assert_eq!(
                        m.up.starts_with("-- migrate:no-transaction"),
                        matches!(m.shape, Shape::NoTransaction { .. })
                    );
                    if db == Db::Mysql {
                        assert!(!matches!(m.shape, Shape::NoTransaction { .. }));
                    }
                }
            }
        }
    }

    #[test]
    fn slow_statements_per_database() {
        assert_eq!(slow_statement(Db::Postgres, 1250), "SELECT pg_sleep(1.250)");
        assert_eq!(slow_statement(Db::Mysql, 80), "SELECT SLEEP(0.080)");
        assert!(
            slow_statement(Db::Sqlite, 2).contains(&format!("x < {}", 2 * SQLITE_COUNTS_PER_MS))
        );
    }
}
