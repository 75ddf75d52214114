//! ## What it does
//! Flags `DROP INDEX` without `CONCURRENTLY` of an index on a table that existed before the
//! migration (PostgreSQL only). `DROP INDEX` names no table: the index's table is the one the
//! migration that made it names; an index the migrations never made is not flagged.
//!
//! ## Why is this bad?
//! A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: every read and
//! write of the table waits, and while the drop itself waits behind a long-running query, so
//! does everything queued after it.
//!
//! ## Example
//! ```sql
//! DROP INDEX users_email_idx;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! DROP INDEX CONCURRENTLY users_email_idx;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::{Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireConcurrentIndexDeletion,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (statement, op, _) in cx.up_predictions() {
        let Op::DropIndex {
            index,
            concurrently: false,
        } = op
        else {
            continue;
        };
        let Some(named) = cx.index_on_existing_table(statement, index) else {
            continue;
        };
        let on = named.table.as_ref().map_or_else(
            || "its table".to_owned(),
            |t| format!("the existing table {t}"),
        );
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                statement,
                format!(
                    "DROP INDEX {index} takes an ACCESS EXCLUSIVE lock on {on}: every read and write of it waits until the drop is done"
                ),
                "locks the table",
            )
            .with_help("use DROP INDEX CONCURRENTLY in a migration with `-- migrate:no-transaction` at its top"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::LintConfig;
    use crate::lints::test_support::{bad_not_good, check_with};

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE INDEX users_email_idx ON users (email);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        let index_back = (
            "2_idx.down.sql",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        );
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "require-concurrent-index-deletion",
            &[
                users,
                users_down,
                ("2_idx.up.sql", "DROP INDEX users_email_idx;"),
                index_back,
            ],
            &[
                users,
                users_down,
                (
                    "2_idx.up.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY users_email_idx;"
                ),
                index_back,
                // A table this migration creates is empty; an index no migration made is not
                // known to be on a table in use.
                (
                    "3_tags.up.sql",
                    "CREATE TABLE tags (id BIGINT PRIMARY KEY, name TEXT);\nCREATE INDEX tags_name_idx ON tags (name);\nDROP INDEX tags_name_idx;\nDROP INDEX IF EXISTS legacy_idx;"
                ),
                ("3_tags.down.sql", "DROP TABLE tags;"),
            ]
        ));
    }

    #[test]
    fn an_index_on_a_table_new_on_this_branch_is_not_in_use() {
        let files = [
            (
                "1_users.up.sql",
                "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE INDEX users_email_idx ON users (email);",
            ),
            ("1_users.down.sql", "DROP TABLE users;"),
            ("2_idx.up.sql", "DROP INDEX users_email_idx;"),
            (
                "2_idx.down.sql",
                "CREATE INDEX users_email_idx ON users (email);",
            ),
        ];
        let rule = "require-concurrent-index-deletion";
        let deployed = LintConfig::new(Dialect::Postgres);
        assert_ne!(check_with(&deployed, &files, rule), "");
        let branch_new = LintConfig::new(Dialect::Postgres).with_undeployed([1]);
        assert_eq!(check_with(&branch_new, &files, rule), "");
    }
}
