//! ## What it does
//! Flags `CREATE INDEX` without `CONCURRENTLY` on a table that existed before the migration
//! (PostgreSQL only).
//!
//! ## Why is this bad?
//! A plain `CREATE INDEX` blocks every write to the table until the index is built, which on a
//! large table is minutes of failed or queued requests.
//!
//! ## Example
//! ```sql
//! CREATE INDEX users_email_idx ON users (email);
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;
use crate::model::Effect;
use crate::sql::Syntax;

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireConcurrentIndexCreation,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        let Some(Syntax::CreateIndex {
            concurrently: false,
        }) = statement.syntax()
        else {
            continue;
        };
        let table = statement.effects.iter().find_map(|e| match e {
            Effect::Use { object } if object.parent.is_none() => Some(&object.name),
            _ => None,
        });
        if table.is_some_and(|t| cx.existed_before(t)) {
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "CREATE INDEX on the existing table {} blocks writes to it until the index is built",
                        table.map_or("", String::as_str)
                    ),
                    "locks the table",
                )
                .with_help("use CREATE INDEX CONCURRENTLY in a migration with `-- migrate:no-transaction` at its top"),
            );
        }
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
            "require-concurrent-index-creation",
            &[
                users,
                users_down,
                (
                    "2_idx.up.sql",
                    "CREATE INDEX users_email_idx ON users (email);"
                ),
                ("2_idx.down.sql", "DROP INDEX users_email_idx;")
            ],
            &[
                users,
                users_down,
                (
                    "2_idx.up.sql",
                    "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);"
                ),
                (
                    "2_idx.down.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY users_email_idx;"
                )
            ]
        ));
    }
}
