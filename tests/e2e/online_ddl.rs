//! MySQL's online DDL as the lock model predicts it, against the real server (MariaDB in CI):
//! every `ALTER TABLE` form below is run on a table with a row, once with `ALGORITHM=INSTANT`
//! and once with `ALGORITHM=INPLACE, LOCK=NONE`, and the server must accept or refuse each as
//! `lock_model::predict` says for the server's own version. This is what keeps
//! `require-online-ddl`'s messages true.

use build_support::lock_model::{self, Algorithm, Online, ServerVersion};
use build_support::{Dialect, parse_script};

use crate::support::TestDb;

/// Each form, as the action of an `ALTER TABLE t`. Left out, since the model does not tell
/// them from a slower form and predicts that one (see `mysql_alter`): `CHANGE`/`MODIFY`
/// keeping the type, `DROP FOREIGN KEY` and `DROP CONSTRAINT` of a check, `FULLTEXT`.
const FORMS: &[&str] = &[
    "ADD COLUMN c INT",
    "ADD COLUMN c INT DEFAULT 0",
    "ADD COLUMN c INT NOT NULL DEFAULT 0",
    "ADD COLUMN c INT UNIQUE",
    "ADD COLUMN c INT AUTO_INCREMENT UNIQUE",
    "ADD COLUMN c INT AS (a + 1) STORED",
    "ADD COLUMN c INT AS (a + 1) VIRTUAL",
    "ADD COLUMN c INT REFERENCES p (id)",
    "ADD COLUMN c INT CHECK (c > 0)",
    "DROP COLUMN b",
    "RENAME COLUMN b TO b2",
    "ALTER COLUMN b SET DEFAULT 5",
    "ALTER COLUMN b DROP DEFAULT",
    "MODIFY b BIGINT",
    "MODIFY s VARCHAR(20)",
    "ADD INDEX i (b)",
    "ADD UNIQUE u (b)",
    "ADD CONSTRAINT u2 UNIQUE (b)",
    "ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES p (id)",
    "ADD CONSTRAINT ck CHECK (b > 0)",
    "ADD PRIMARY KEY (a)",
    "DROP INDEX ix",
    "RENAME TO t2",
];

/// What the model predicts for `ALTER TABLE t <action>`: the slowest algorithm of its
/// operations, writes going on only if they all allow it.
fn predicted(action: &str, version: ServerVersion) -> Online {
    let sql = format!("ALTER TABLE t {action}");
    let statements = parse_script(&sql, Dialect::MySql).unwrap();
    statements
        .iter()
        .flat_map(|s| &s.ops)
        .filter_map(|op| lock_model::predict(op, Dialect::MySql, version)?.online)
        .reduce(|a, b| Online {
            algorithm: a.algorithm.max(b.algorithm),
            concurrent_writes: a.concurrent_writes && b.concurrent_writes,
        })
        .unwrap_or_else(|| panic!("{sql}: no prediction for {:?}", statements[0].ops))
}

/// A fresh `t` (with an index to drop) and the `p` it references.
fn fresh_tables(db: &TestDb) {
    for sql in [
        "DROP TABLE IF EXISTS t",
        "DROP TABLE IF EXISTS t2",
        "DROP TABLE IF EXISTS p",
        "CREATE TABLE p (id INT PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE t (a INT NOT NULL, b INT, s VARCHAR(100), e INT, INDEX ix (e)) ENGINE=InnoDB",
        "INSERT INTO p VALUES (1)",
        "INSERT INTO t VALUES (1, 1, 'x', 1)",
    ] {
        db.exec(sql);
    }
}

/// Whether the server runs `sql`: `false` when it refuses the requested algorithm or lock
/// (SQLSTATE 0A000, "not supported"); any other error fails the test.
fn accepted(db: &TestDb, sql: &str) -> bool {
    match db.try_exec(sql) {
        Ok(()) => true,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("0A000") => false,
        Err(e) => panic!("{sql}: {e}"),
    }
}

#[test]
fn the_server_accepts_and_refuses_online_ddl_as_predicted() {
    let Some(db) = TestDb::mysql() else { return };
    let version_text = db.strings("SELECT VERSION()").remove(0);
    let version = ServerVersion::parse(&version_text).unwrap();
    let mut table = format!("server {version_text}\n");
    let mut wrong = 0;
    for action in FORMS {
        let online = predicted(action, version);
        let cases = [
            ("ALGORITHM=INSTANT", online.algorithm == Algorithm::Instant),
            (
                "ALGORITHM=INPLACE, LOCK=NONE",
                online.algorithm <= Algorithm::Inplace && online.concurrent_writes,
            ),
        ];
        for (clause, expected) in cases {
            fresh_tables(&db);
            let got = accepted(&db, &format!("ALTER TABLE t {action}, {clause}"));
            let mark = if got == expected {
                "ok"
            } else {
                wrong += 1;
                "WRONG"
            };
            let verdict = |b: bool| if b { "accepted" } else { "refused" };
            table.push_str(&format!(
                "{action:<52} {clause:<29} predicted {:<4} {:<5} {:<8} server {:<8} {mark}\n",
                online.algorithm.as_str(),
                if online.concurrent_writes {
                    "+dml"
                } else {
                    "-dml"
                },
                verdict(expected),
                verdict(got),
            ));
        }
    }
    eprintln!("{table}");
    assert_eq!(wrong, 0, "the model and the server disagree:\n{table}");
}
