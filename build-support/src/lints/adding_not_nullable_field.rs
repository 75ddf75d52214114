//! ## What it does
//! Flags `ADD COLUMN … NOT NULL` without a `DEFAULT` on a table that existed before the
//! migration (identity, generated and serial columns have values and are not flagged).
//!
//! ## Why is this bad?
//! On a table that has rows the statement fails: the existing rows would hold NULL in a
//! column that forbids it. It passes on an empty development database and fails in production.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';
//! ```
//! or add the column as nullable, backfill it, then set `NOT NULL` in a later migration.

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::{Effect, ObjectKind};
use crate::sql::Syntax;

pub(super) const RULE: Rule = Rule {
    id: RuleId::AddingNotNullableField,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        let Some(Syntax::AlterTable { added_columns, .. }) = statement.syntax() else {
            continue;
        };
        let Some(table) = statement.used_table() else {
            continue;
        };
        if !cx.facts.preexisting_tables.contains(table) || emptied_before(cx, index, table) {
            continue;
        }
        for column in added_columns {
            if column.needs_a_value {
                out.push(
                    cx.at_statement(
                        RULE.id,
                        Script::Up,
                        index,
                        format!(
                            "column {table}.{} is added NOT NULL without a DEFAULT to a table that already exists",
                            column.name
                        ),
                        "fails if the table has rows",
                    )
                    .with_help("give it a DEFAULT, or add it nullable, backfill it, and set NOT NULL in a later migration"),
                );
            }
        }
    }
}

/// Whether an earlier statement of the up empties `table` (`DELETE FROM t` with no WHERE, or
/// `TRUNCATE t`): then it has no rows to fill.
fn emptied_before(cx: &Cx<'_>, index: usize, table: &str) -> bool {
    cx.facts.up.statements[..index].iter().any(|s| {
        let empties = matches!(
            s.syntax(),
            Some(Syntax::Delete { every_row: true } | Syntax::Truncate)
        );
        empties
            && s.effects.iter().any(|e| {
                matches!(e, Effect::Use { object } if object.kind == ObjectKind::Table && object.name == table)
            })
    })
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "adding-not-nullable-field",
            &[
                users,
                users_down,
                (
                    "2_plan.up.sql",
                    "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;"
                ),
                ("2_plan.down.sql", "ALTER TABLE users DROP COLUMN plan;")
            ],
            &[
                users,
                users_down,
                (
                    "2_plan.up.sql",
                    "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';\nALTER TABLE users ADD COLUMN n BIGSERIAL NOT NULL;\nALTER TABLE users ADD COLUMN note TEXT;"
                ),
                (
                    "2_plan.down.sql",
                    "ALTER TABLE users DROP COLUMN note;\nALTER TABLE users DROP COLUMN n;\nALTER TABLE users DROP COLUMN plan;"
                ),
                // A table emptied first, or created in the same migration, has no rows.
                (
                    "4_e.up.sql",
                    "DELETE FROM users;\nALTER TABLE users ADD COLUMN code TEXT NOT NULL;"
                ),
                ("4_e.down.sql", "ALTER TABLE users DROP COLUMN code;"),
                (
                    "3_t.up.sql",
                    "CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN x TEXT NOT NULL;"
                ),
                ("3_t.down.sql", "DROP TABLE t;"),
            ]
        ));
    }
}
