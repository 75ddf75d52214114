//! ## What it does
//! Flags an `ALTER TABLE` of a table that existed before the migration without
//! `ALGORITHM=INSTANT` or `ALGORITHM=INPLACE, LOCK=NONE` (MySQL and MariaDB), and says what
//! the lock model predicts the server would do with it; and flags an explicit
//! `ALGORITHM`/`LOCK` the model predicts the server refuses (a type change asked to run
//! `INSTANT`). The server version is the configured `mysql_version`.
//!
//! ## Why is this bad?
//! Without the clauses the server picks the best algorithm it can, and when that is a table
//! COPY it silently blocks every write for as long as the copy takes. With them, a change the
//! server cannot make online fails at once instead, before anything is locked.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname VARCHAR(50);
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname VARCHAR(50), ALGORITHM=INSTANT;
//! ```
//! A change that cannot run online (a type change, a foreign key checked against every row)
//! belongs in a maintenance window or an online schema-change tool (gh-ost,
//! pt-online-schema-change); say so with `-- migrate:allow require-online-ddl <reason>`.

use std::collections::BTreeMap;

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::{Algorithm, Online, ServerVersion};
use crate::{Alter, Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireOnlineDdl,
    default: Level::Warn,
    check: Some(check),
};

/// One `ALTER TABLE` statement: its table, its `ALGORITHM` and `LOCK` clauses, and the
/// slowest online DDL of its actions.
#[derive(Default)]
struct Statement<'a> {
    table: &'a str,
    algorithm: Option<&'a str>,
    lock: Option<&'a str>,
    online: Option<Online>,
}

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::MySql {
        return;
    }
    let mut statements: BTreeMap<usize, Statement<'_>> = BTreeMap::new();
    for (index, op, prediction) in cx.up_predictions() {
        let Op::Alter { table, action } = op else {
            continue;
        };
        let statement = statements.entry(index).or_default();
        statement.table = table;
        match action {
            Alter::Algorithm(a) => statement.algorithm = Some(a),
            Alter::Lock(l) => statement.lock = Some(l),
            _ => {
                if let Some(online) = prediction.online {
                    statement.online = Some(match statement.online {
                        Some(o) => Online {
                            algorithm: o.algorithm.max(online.algorithm),
                            concurrent_writes: o.concurrent_writes && online.concurrent_writes,
                        },
                        None => online,
                    });
                }
            }
        }
    }
    for (index, statement) in statements {
        let Some(online) = statement.online else {
            continue;
        };
        if !cx.existed_before(statement.table) {
            continue;
        }
        let server = server(cx.version);
        let table = statement.table;
        let finding = match refused(&statement, online) {
            Some(clause) => cx
                .at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "{server} refuses {clause} for this ALTER TABLE of {table}: it {}",
                        predicted(online)
                    ),
                    "refused by the server",
                )
                .with_help(help(online)),
            None if !online_clauses(&statement) => cx
                .at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "ALTER TABLE of the existing table {table} without ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE: {server} {}",
                        predicted(online)
                    ),
                    "no online DDL clauses",
                )
                .with_help(help(online)),
            None => continue,
        };
        out.push(finding);
    }
}

fn server(version: ServerVersion) -> String {
    let name = if version.is_mariadb() {
        "MariaDB"
    } else {
        "MySQL"
    };
    format!("{name} {version}")
}

/// Whether the statement asks for online DDL: `ALGORITHM=INSTANT` (with no `LOCK`, or
/// `LOCK=DEFAULT|NONE`), or `ALGORITHM=INPLACE` (MariaDB also `NOCOPY`) with `LOCK=NONE`.
fn online_clauses(statement: &Statement<'_>) -> bool {
    matches!(
        (statement.algorithm, statement.lock),
        (Some("INSTANT"), None | Some("DEFAULT" | "NONE"))
            | (Some("INPLACE" | "NOCOPY"), Some("NONE"))
    )
}

/// The clause the model predicts the server refuses, if any.
fn refused(statement: &Statement<'_>, online: Online) -> Option<String> {
    let algorithm_refused = match statement.algorithm {
        Some("INSTANT") => online.algorithm > Algorithm::Instant,
        Some("INPLACE" | "NOCOPY") => online.algorithm > Algorithm::Inplace,
        _ => false,
    };
    if algorithm_refused {
        return statement.algorithm.map(|a| format!("ALGORITHM={a}"));
    }
    (statement.lock == Some("NONE") && !online.concurrent_writes).then(|| "LOCK=NONE".to_owned())
}

/// What the model predicts the server does, after the server's name.
fn predicted(online: Online) -> &'static str {
    match (online.algorithm, online.concurrent_writes) {
        (Algorithm::Instant, true) => "can run this INSTANT, changing only metadata",
        (Algorithm::Instant, false) => "can run this INSTANT, but not with writes going on",
        (Algorithm::Inplace, true) => "can run this INPLACE with writes going on",
        (Algorithm::Inplace, false) => "runs this INPLACE but blocks writes until it is done",
        (Algorithm::Copy, _) => "needs a table COPY that blocks writes until it is done",
    }
}

fn help(online: Online) -> &'static str {
    match (online.algorithm, online.concurrent_writes) {
        (Algorithm::Instant, _) => {
            "add `, ALGORITHM=INSTANT` so that the server refuses instead of copying the table"
        }
        (Algorithm::Inplace, true) => {
            "add `, ALGORITHM=INPLACE, LOCK=NONE` so that the server refuses instead of blocking writes"
        }
        _ => {
            "run it in a maintenance window or with an online schema-change tool, and say so: `-- migrate:allow require-online-ddl <reason>`"
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::LintConfig;
    use crate::lints::test_support::bad_not_good_with;

    #[test]
    fn bad_and_good() {
        let mariadb = LintConfig::new(Dialect::MySql)
            .with_version(Some("10.11"))
            .unwrap();
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(200), age INT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good_with(
            &mariadb,
            "require-online-ddl",
            &[
                users,
                users_down,
                (
                    "2_alter.up.sql",
                    "ALTER TABLE users ADD COLUMN nickname VARCHAR(50);\nALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE;\nALTER TABLE users MODIFY age BIGINT;\nALTER TABLE users MODIFY email VARCHAR(100), ALGORITHM=INSTANT;"
                ),
                ("2_alter.down.sql", "SELECT 1;"),
            ],
            &[
                users,
                users_down,
                (
                    "2_alter.up.sql",
                    "ALTER TABLE users ADD COLUMN nickname VARCHAR(50), ALGORITHM=INSTANT;\nALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;\nALTER TABLE users DROP COLUMN nickname, ALGORITHM=INSTANT, LOCK=DEFAULT;"
                ),
                ("2_alter.down.sql", "SELECT 1;"),
                // A table this migration creates is empty.
                (
                    "3_tags.up.sql",
                    "CREATE TABLE tags (id BIGINT PRIMARY KEY, name VARCHAR(20));\nALTER TABLE tags MODIFY name VARCHAR(50);"
                ),
                ("3_tags.down.sql", "DROP TABLE tags;"),
            ]
        ));
    }
}
