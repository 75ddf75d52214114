//! ## What it does
//! Flags `BEGIN`, `COMMIT`, `ROLLBACK` (and `START TRANSACTION`, `END`, `ABORT`) in a script
//! that cargo-migrate runs inside its own transaction (PostgreSQL and SQLite, without
//! `-- migrate:no-transaction`).
//!
//! ## Why is this bad?
//! Each migration and its tracking row are committed together. A `COMMIT` in the script commits
//! what ran before it on its own: if a later statement fails, that part stays while the
//! migration is recorded as not applied, and running it again fails.
//!
//! ## Example
//! ```sql
//! BEGIN;
//! CREATE TABLE a (id INT);
//! COMMIT;
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE a (id INT);
//! ```
//! or, for a script that must manage its own transactions, `-- migrate:no-transaction` at its
//! top.

use super::{Cx, Level, Rule, RuleId};
use crate::Dialect;
use crate::finding::Finding;
use crate::sql::transaction_control;

pub(super) const RULE: Rule = Rule {
    id: RuleId::TransactionControl,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    // MySQL migrations run statement by statement without a wrapping transaction.
    if cx.dialect == Dialect::MySql {
        return;
    }
    for (script, file, index, statement) in cx.transactional_statements() {
        if let Some(keyword) = transaction_control(statement.text(&file.text)) {
            out.push(
                cx.at_statement(
                    RULE.id,
                    script,
                    index,
                    format!("`{keyword}` inside a migration that runs in its own transaction"),
                    "controls the transaction",
                )
                .with_help(format!(
                    "remove it (each migration already runs in a transaction), or add `-- migrate:no-transaction` at the top of {}",
                    file.display
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::{bad_not_good, check};

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "transaction-control",
            &[
                ("1_a.up.sql", "BEGIN;\nCREATE TABLE a (id INT);\nCOMMIT;\n"),
                ("1_a.down.sql", "DROP TABLE a;")
            ],
            &[
                (
                    "1_a.up.sql",
                    "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE a (id INT);\nCOMMIT;\n"
                ),
                ("1_a.down.sql", "DROP TABLE a;"),
            ]
        ));
        assert_eq!(
            check(
                Dialect::MySql,
                &[
                    (
                        "1_a.up.sql",
                        "START TRANSACTION;\nINSERT INTO t VALUES (1);\nCOMMIT;\n"
                    ),
                    ("1_a.down.sql", "DELETE FROM t;")
                ],
                "transaction-control"
            ),
            ""
        );
    }
}
