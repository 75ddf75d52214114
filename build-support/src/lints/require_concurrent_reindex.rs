//! ## What it does
//! Flags `REINDEX` without `CONCURRENTLY` of a table that existed before the migration, or of
//! an index on one (PostgreSQL 12 and later, the versions that have `REINDEX CONCURRENTLY`;
//! the server version is the configured `postgres_version`).
//!
//! ## Why is this bad?
//! A plain `REINDEX` blocks every write to the table, and every query that would read through
//! the index being rebuilt, until the rebuild is done: on a large table, minutes.
//!
//! ## Example
//! ```sql
//! REINDEX INDEX users_email_idx;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! REINDEX INDEX CONCURRENTLY users_email_idx;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::ServerVersion;
use crate::{Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireConcurrentReindex,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    // Before 12 there is no other way to rebuild an index in place.
    if cx.dialect != Dialect::Postgres || cx.version < ServerVersion::new(12, 0, 0) {
        return;
    }
    for (statement, op, _) in cx.up_predictions() {
        let Op::Reindex {
            name,
            table,
            concurrently: false,
        } = op
        else {
            continue;
        };
        let what = if *table {
            if !cx.existed_before(name) {
                continue;
            }
            format!(
                "REINDEX TABLE {name} blocks writes to the existing table {name}, and reads through its indexes, until every index is rebuilt"
            )
        } else {
            let Some(named) = cx.index_on_existing_table(statement, name) else {
                continue;
            };
            let on = named.table.as_ref().map_or_else(
                || "its table".to_owned(),
                |t| format!("the existing table {t}"),
            );
            format!(
                "REINDEX INDEX {name} blocks writes to {on}, and reads through the index, until it is rebuilt"
            )
        };
        out.push(
            cx.at_statement(RULE.id, Script::Up, statement, what, "locks the table")
                .with_help("use REINDEX … CONCURRENTLY in a migration with `-- migrate:no-transaction` at its top"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::LintConfig;
    use crate::lints::test_support::{bad_not_good, check_with};

    const USERS: (&str, &str) = (
        "1_users.up.sql",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE INDEX users_email_idx ON users (email);",
    );
    const USERS_DOWN: (&str, &str) = ("1_users.down.sql", "DROP TABLE users;");
    const DOWN: (&str, &str) = ("2_reindex.down.sql", "SELECT 1;");

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "require-concurrent-reindex",
            &[
                USERS,
                USERS_DOWN,
                (
                    "2_reindex.up.sql",
                    "REINDEX INDEX users_email_idx;\nREINDEX TABLE users;"
                ),
                DOWN,
            ],
            &[
                USERS,
                USERS_DOWN,
                (
                    "2_reindex.up.sql",
                    "-- migrate:no-transaction\nREINDEX INDEX CONCURRENTLY users_email_idx;\nREINDEX TABLE CONCURRENTLY users;"
                ),
                DOWN,
                // A table this migration creates is empty.
                (
                    "3_tags.up.sql",
                    "CREATE TABLE tags (id BIGINT PRIMARY KEY, name TEXT);\nCREATE INDEX tags_name_idx ON tags (name);\nREINDEX INDEX tags_name_idx;\nREINDEX TABLE tags;"
                ),
                ("3_tags.down.sql", "DROP TABLE tags;"),
            ]
        ));
    }

    #[test]
    fn before_postgres_12_there_is_no_alternative() {
        let config = LintConfig::new(Dialect::Postgres)
            .with_version(Some("11"))
            .unwrap();
        let files = [
            USERS,
            USERS_DOWN,
            ("2_reindex.up.sql", "REINDEX INDEX users_email_idx;"),
            DOWN,
        ];
        assert_eq!(
            check_with(&config, &files, "require-concurrent-reindex"),
            ""
        );
    }
}
