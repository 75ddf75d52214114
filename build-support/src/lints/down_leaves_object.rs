//! ## What it does
//! Applies each up script and then its down script to the schema built by the migrations before
//! it, and flags every object the up creates (table, column, index, constraint, view, type,
//! sequence, function, trigger, extension) that is still there after the down — neither dropped
//! nor removed with its table.
//!
//! ## Why is this bad?
//! After a rollback the schema is not what the previous migration left, so running the up again
//! fails ("relation already exists"), and the leftover object lingers in production.
//!
//! ## Example
//! ```sql
//! -- up
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! CREATE INDEX users_created_idx ON users (id);
//! CREATE TABLE audit (id BIGINT);
//! -- down
//! DROP TABLE users;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- down
//! DROP TABLE audit;
//! DROP TABLE users;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownLeavesObject,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let left = &cx.facts.left_by_down;
    let Some(down) = &cx.migration.down else {
        return;
    };
    for (index, object) in left {
        // A column or constraint of a table that is itself left is reported with the table.
        let table_left = object.parent.as_ref().is_some_and(|t| {
            left.iter()
                .any(|(_, o)| o.kind == ObjectKind::Table && &o.name == t)
        });
        if table_left {
            continue;
        }
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!("{object} is created here and is still there after the down script"),
                format!("creates {object}"),
            )
            .with_help(format!(
                "drop it in {}, in the reverse order of the up script",
                down.display
            )),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "down-leaves-object",
    &[
        (
            "1_a.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);\nCREATE TABLE audit (id BIGINT);\nCREATE INDEX audit_id_idx ON audit (id);\n"
        ),
        ("1_a.down.sql", "DROP TABLE users;\n"),
    ],
    &[
        (
            "1_a.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);\nCREATE INDEX users_id_idx ON users (id);\nALTER TABLE users ADD COLUMN email TEXT;\n"
        ),
        // The index and the column go with their table.
        ("1_a.down.sql", "DROP TABLE users;\n"),
    ]
);
