//! ## What it does
//! Flags the first statement of an up script that takes a lock blocking writes (SHARE or
//! stronger: `ALTER TABLE`, `CREATE INDEX`, `CREATE TRIGGER`, a `REFERENCES` to the table, …)
//! on a table or index that existed before the migration, when no `SET lock_timeout` to a
//! non-zero value comes before it in the script (PostgreSQL only). One finding per migration.
//!
//! ## Why is this bad?
//! A lock is queued behind every lock that conflicts with it, and everything that asks later
//! is queued behind it. When the statement waits for a long transaction, a report or a
//! `VACUUM` that holds even a weak lock on the table, every write (with ACCESS EXCLUSIVE,
//! every read) of the table waits behind it: the application stops for as long as that
//! transaction runs, although the statement itself would take a millisecond. A
//! `lock_timeout` makes it give up instead, and the migration can be run again later. The
//! `CONCURRENTLY` forms take SHARE UPDATE EXCLUSIVE, which blocks neither, and are not
//! flagged (nor is `REFRESH MATERIALIZED VIEW CONCURRENTLY`: its EXCLUSIVE lets the view's
//! reads go on, and only a refresh writes a view); nor are tables the same migration
//! creates. `SET LOCAL` counts only in a script that runs in a transaction (outside one
//! PostgreSQL ignores it).
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname TEXT;
//! ```
//!
//! ## Use instead
//! ```sql
//! SET lock_timeout = '5s';
//! ALTER TABLE users ADD COLUMN nickname TEXT;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::{self, Relation};
use crate::{Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireLockTimeout,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    let no_transaction = cx.migration.up.directives.no_transaction;
    let mut timeout = false;
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        for op in &statement.ops {
            match op {
                Op::SetLockTimeout { local: true, .. } if no_transaction => {}
                Op::SetLockTimeout { off, .. } => timeout = !off,
                _ => {}
            }
        }
        if timeout {
            continue;
        }
        let blocking = statement
            .ops
            .iter()
            // It takes EXCLUSIVE on a view nothing else writes: its reads go on.
            .filter(|op| {
                !matches!(
                    op,
                    Op::RefreshMaterializedView {
                        concurrently: true,
                        ..
                    }
                )
            })
            .filter_map(|op| lock_model::predict(op, cx.dialect, cx.version))
            .flat_map(|p| p.locks)
            .filter(|lock| lock.mode.blocks_writes() && cx.locks_existing(index, lock))
            .max_by_key(|lock| lock.mode);
        let Some(lock) = blocking else {
            continue;
        };
        let blocked = if lock.mode.blocks_reads() {
            "reads and writes"
        } else {
            "writes"
        };
        let of = match lock.relation {
            Relation::Table => lock.name.clone(),
            Relation::Index => "its table".to_owned(),
        };
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "this statement takes {} on the existing {} {} with no lock_timeout set before it: while it waits behind another transaction, {blocked} of {of} queue behind it",
                    lock.mode.as_str(),
                    lock.relation.as_str(),
                    lock.name,
                ),
                format!("{} without a lock_timeout", lock.mode.as_str()),
            )
            .with_help("put `SET lock_timeout = '5s';` at the top of the script, so that the statement gives up instead of blocking the table, and run the migration again when it fails"),
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE INDEX users_id_idx ON users (id);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "require-lock-timeout",
            &[
                users,
                users_down,
                // A timeout turned off again, then a table created with a foreign key to
                // the existing table: the first finding of the migration is the only one.
                (
                    "2_orders.up.sql",
                    "SET lock_timeout = '5s';\nSET lock_timeout = 0;\nCREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id));\nALTER TABLE users ADD COLUMN nickname TEXT;"
                ),
                (
                    "2_orders.down.sql",
                    "ALTER TABLE users DROP COLUMN nickname;\nDROP TABLE orders;"
                ),
                // SET LOCAL does nothing outside a transaction.
                (
                    "3_idx.up.sql",
                    "-- migrate:no-transaction\nSET LOCAL lock_timeout = '5s';\nDROP INDEX users_id_idx;"
                ),
                ("3_idx.down.sql", "CREATE INDEX users_id_idx ON users (id);"),
            ],
            &[
                users,
                users_down,
                // A new table's own locks, and writes to an existing one, block nothing.
                (
                    "2_orders.up.sql",
                    "CREATE TABLE orders (id BIGINT PRIMARY KEY, note TEXT);\nALTER TABLE orders ADD COLUMN total BIGINT;\nCREATE INDEX orders_total_idx ON orders (total);\nINSERT INTO users (id, email) VALUES (1, 'a@example.com');\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname TEXT;"
                ),
                (
                    "2_orders.down.sql",
                    "ALTER TABLE users DROP COLUMN nickname;\nDELETE FROM users WHERE id = 1;\nDROP TABLE orders;"
                ),
                // CONCURRENTLY takes SHARE UPDATE EXCLUSIVE.
                (
                    "3_idx.up.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nSET lock_timeout = '5s';\nDROP INDEX users_id_idx;"
                ),
                (
                    "3_idx.down.sql",
                    "-- migrate:no-transaction\nCREATE INDEX users_id_idx ON users (id);\nDROP INDEX CONCURRENTLY users_email_idx;"
                ),
                (
                    "4_names.up.sql",
                    "CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;\nCREATE UNIQUE INDEX user_emails_id_idx ON user_emails (id);"
                ),
                ("4_names.down.sql", "DROP MATERIALIZED VIEW user_emails;"),
                // Reads of the view go on while it is refreshed concurrently.
                (
                    "5_refresh.up.sql",
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY user_emails;"
                ),
                ("5_refresh.down.sql", "SELECT 1;"),
            ]
        ));
    }
}
