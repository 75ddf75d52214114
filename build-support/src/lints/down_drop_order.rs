//! ## What it does
//! Flags a down script that drops a table while another table still references it through a
//! foreign key at that point of the script.
//!
//! ## Why is this bad?
//! PostgreSQL and MySQL refuse to drop a referenced table, so the rollback fails halfway.
//! (`DROP TABLE … CASCADE` is not flagged: it drops the referencing constraint on purpose; nor
//! is SQLite, which lets a referenced table be dropped.)
//!
//! ## Example
//! ```sql
//! -- up
//! CREATE TABLE authors (id BIGINT PRIMARY KEY);
//! CREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT REFERENCES authors (id));
//! -- down
//! DROP TABLE authors;
//! DROP TABLE books;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- down
//! DROP TABLE books;
//! DROP TABLE authors;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownDropOrder,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect == Dialect::Sqlite {
        return;
    }
    for (index, table, from, constraint) in &cx.facts.drop_order {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Down,
                *index,
                format!("table {table} is dropped while table {from} still references it (constraint {constraint})"),
                format!("{from} still references {table}"),
            )
            .with_help(format!(
                "drop {from} (or its constraint {constraint}) before {table}: a down script drops in the reverse order of its up"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::{bad_not_good, check};

    #[test]
    fn bad_and_good() {
        let up = "CREATE TABLE authors (id BIGINT PRIMARY KEY);\nCREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT REFERENCES authors (id));\n";
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "down-drop-order",
            &[
                ("1_a.up.sql", up),
                ("1_a.down.sql", "DROP TABLE authors;\nDROP TABLE books;\n")
            ],
            &[
                ("1_a.up.sql", up),
                ("1_a.down.sql", "DROP TABLE books;\nDROP TABLE authors;\n")
            ]
        ));
        // Both in one statement, and SQLite, which allows it.
        assert_eq!(
            check(
                Dialect::Postgres,
                &[
                    ("1_a.up.sql", up),
                    ("1_a.down.sql", "DROP TABLE authors, books;\n")
                ],
                "down-drop-order"
            ),
            ""
        );
        assert_eq!(
            check(
                Dialect::Sqlite,
                &[
                    ("1_a.up.sql", up),
                    ("1_a.down.sql", "DROP TABLE authors;\nDROP TABLE books;\n")
                ],
                "down-drop-order"
            ),
            ""
        );
    }
}
