//! ## What it does
//! Flags, in an up script that runs in a transaction, the first statement after one that
//! takes an ACCESS EXCLUSIVE lock on a table or index that existed before the migration
//! (PostgreSQL only). A `SET` and statements that do nothing are not counted; any other
//! statement is, including a second `ALTER TABLE` of the same table.
//!
//! ## Why is this bad?
//! A lock is held until the transaction ends: in a migration, until its COMMIT. While the
//! statements after the ACCESS EXCLUSIVE one run, no query can read or write the table, so
//! their whole run time (a backfill, an index build, another table's lock wait) is added to
//! the outage. Locks accumulate too: each later statement may wait for a lock of its own while
//! already holding the first one. A table the migration creates is empty and not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname TEXT;
//! UPDATE users SET nickname = email;
//! ```
//!
//! ## Use instead
//! Make the statement that takes ACCESS EXCLUSIVE the last of its transaction, and put the
//! rest in a migration of its own:
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname TEXT;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::{self, LockMode, Relation};
use crate::{Dialect, Op, ParsedStatement};

pub(super) const RULE: Rule = Rule {
    id: RuleId::LockHeldAfterExclusive,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres || cx.migration.up.directives.no_transaction {
        return;
    }
    let statements = &cx.facts.up.statements;
    let first = statements
        .iter()
        .enumerate()
        .find_map(|(index, statement)| {
            statement
                .ops
                .iter()
                .filter_map(|op| lock_model::predict(op, cx.dialect, cx.version))
                .flat_map(|p| p.locks)
                .find(|lock| {
                    lock.mode == LockMode::AccessExclusive && cx.locks_existing(index, lock)
                })
                .map(|lock| (index, lock))
        });
    let Some((locked_at, lock)) = first else {
        return;
    };
    let Some(later) = (locked_at + 1..statements.len()).find(|&i| !trivial(&statements[i])) else {
        return;
    };
    let of = match lock.relation {
        Relation::Table => lock.name.clone(),
        Relation::Index => "its table".to_owned(),
    };
    out.push(
        cx.at_statement(
            RULE.id,
            Script::Up,
            later,
            format!(
                "this statement runs while the ACCESS EXCLUSIVE lock on the existing {} {} taken at line {} is still held: no query reads or writes {of} until the migration's transaction commits",
                lock.relation.as_str(),
                lock.name,
                cx.up_line(locked_at),
            ),
            format!("{} still locked", lock.name),
        )
        .with_help("make the statement that takes ACCESS EXCLUSIVE the last of its transaction: move what follows it into a migration of its own, or before it"),
    );
}

/// A statement that does nothing while the lock is held: a `SET`, or one the model sees no
/// effect or operation in.
fn trivial(statement: &ParsedStatement) -> bool {
    statement.effects.is_empty()
        && statement
            .ops
            .iter()
            .all(|op| matches!(op, Op::SetLockTimeout { .. }))
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "lock-held-after-exclusive",
            &[
                users,
                users_down,
                // Two ALTERs of an existing table in one transaction: the second waits for
                // nothing new but keeps the first one's lock.
                (
                    "2_nickname.up.sql",
                    "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname TEXT;\nSET statement_timeout = '10s';\nALTER TABLE users ADD COLUMN bio TEXT;\nUPDATE users SET nickname = email;"
                ),
                (
                    "2_nickname.down.sql",
                    "ALTER TABLE users DROP COLUMN bio;\nALTER TABLE users DROP COLUMN nickname;"
                ),
            ],
            &[
                users,
                users_down,
                // The ACCESS EXCLUSIVE statement last; before it, a new table and a write.
                (
                    "2_nickname.up.sql",
                    "SET lock_timeout = '5s';\nCREATE TABLE notes (id BIGINT PRIMARY KEY);\nALTER TABLE notes ADD COLUMN body TEXT;\nINSERT INTO users (id, email) VALUES (1, 'a@example.com');\nALTER TABLE users ADD COLUMN nickname TEXT, ADD COLUMN bio TEXT;\nSET statement_timeout = 0;"
                ),
                (
                    "2_nickname.down.sql",
                    "ALTER TABLE users DROP COLUMN bio, DROP COLUMN nickname;\nDELETE FROM users WHERE id = 1;\nDROP TABLE notes;"
                ),
                // Without a transaction, each statement commits on its own.
                (
                    "3_more.up.sql",
                    "-- migrate:no-transaction\nALTER TABLE users ADD COLUMN IF NOT EXISTS age INT;\nUPDATE users SET age = 0;"
                ),
                ("3_more.down.sql", "ALTER TABLE users DROP COLUMN age;"),
            ]
        ));
    }
}
