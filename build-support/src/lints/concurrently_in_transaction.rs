//! ## What it does
//! Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` and `REINDEX … CONCURRENTLY` in
//! a script that runs inside a transaction (PostgreSQL), that is, without
//! `-- migrate:no-transaction` at its top.
//!
//! ## Why is this bad?
//! PostgreSQL refuses these statements inside a transaction block: the migration fails at
//! deploy time, every time.
//!
//! ## Example
//! ```sql
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```

use super::{Cx, Level, Rule, RuleId};
use crate::Dialect;
use crate::finding::Finding;
use crate::sql::{StatementKind, Syntax};

pub(super) const RULE: Rule = Rule {
    id: RuleId::ConcurrentlyInTransaction,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (script, file, index, statement) in cx.transactional_statements() {
        let concurrent = match &statement.kind {
            StatementKind::Parsed(syntax) => *syntax == Syntax::CreateIndex { concurrently: true },
            StatementKind::Recognized(form) => form.contains("concurrently"),
            StatementKind::Invalid { .. } => false,
        };
        if concurrent {
            out.push(
                cx.at_statement(
                    RULE.id,
                    script,
                    index,
                    "CONCURRENTLY cannot run inside a transaction, and this script runs in one",
                    "fails inside a transaction block",
                )
                .with_help(format!(
                    "add `-- migrate:no-transaction` at the top of {}",
                    file.display
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn bad_and_good() {
        let users = [
            (
                "1_users.up.sql",
                "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);",
            ),
            ("1_users.down.sql", "DROP TABLE users;"),
        ];
        let mut bad = users.to_vec();
        bad.push((
            "2_idx.up.sql",
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        ));
        bad.push(("2_idx.down.sql", "DROP INDEX users_email_idx;"));
        insta::assert_snapshot!(check(
            Dialect::Postgres,
            &bad,
            "concurrently-in-transaction"
        ));
        let mut good = users.to_vec();
        good.push(("2_idx.up.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);"));
        good.push((
            "2_idx.down.sql",
            "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY users_email_idx;",
        ));
        assert_eq!(
            check(Dialect::Postgres, &good, "concurrently-in-transaction"),
            ""
        );
    }
}
