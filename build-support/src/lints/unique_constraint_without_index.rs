//! ## What it does
//! Flags `ALTER TABLE … ADD CONSTRAINT … UNIQUE (…)` or `PRIMARY KEY (…)`, and a column added
//! with `UNIQUE` or `PRIMARY KEY`, on a table that existed before the migration (PostgreSQL
//! only). `ADD CONSTRAINT … USING INDEX` is not flagged.
//!
//! ## Why is this bad?
//! The constraint's unique index is built while the `ALTER TABLE` holds ACCESS EXCLUSIVE on
//! the table: no query reads or writes it until every row is indexed. Built first with
//! `CREATE UNIQUE INDEX CONCURRENTLY`, which blocks neither, the index becomes the constraint
//! with `USING INDEX`, which takes ACCESS EXCLUSIVE only for a moment (for a primary key, the
//! columns must already be `NOT NULL`, or that is checked by a scan). A table the same
//! migration creates is empty and not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
//! ```
//! and in the next migration:
//! ```sql
//! ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::sql::{Alter, ConstraintKind};
use crate::{Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::UniqueConstraintWithoutIndex,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        for op in &statement.ops {
            let Op::Alter { table, action } = op else {
                continue;
            };
            if !cx.existed_before(table) {
                continue;
            }
            let (what, help) = match action {
                Alter::AddConstraint {
                    name,
                    kind: kind @ (ConstraintKind::Unique | ConstraintKind::PrimaryKey),
                    ..
                } => {
                    let name = name.as_deref().unwrap_or("<name>");
                    let (what, key, extra) = if *kind == ConstraintKind::Unique {
                        ("a UNIQUE constraint", "UNIQUE", "")
                    } else {
                        (
                            "a PRIMARY KEY",
                            "PRIMARY KEY",
                            " (with the columns already NOT NULL)",
                        )
                    };
                    (
                        what,
                        format!(
                            "build the index first: `CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} (…)` in a `-- migrate:no-transaction` migration, then `ALTER TABLE {table} ADD CONSTRAINT {name} {key} USING INDEX {name}`{extra}"
                        ),
                    )
                }
                Alter::AddColumn {
                    column,
                    unique: true,
                    ..
                } => (
                    "a column with a unique index",
                    format!(
                        "add {column} without UNIQUE or PRIMARY KEY, then build the index with `CREATE UNIQUE INDEX CONCURRENTLY` in a `-- migrate:no-transaction` migration and make it the constraint with `ADD CONSTRAINT … USING INDEX`"
                    ),
                ),
                _ => continue,
            };
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "adding {what} to the existing table {table} builds its index while holding ACCESS EXCLUSIVE: no reads or writes of {table} until every row is indexed"
                    ),
                    "builds a unique index under ACCESS EXCLUSIVE",
                )
                .with_help(help),
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
            "CREATE TABLE users (id BIGINT NOT NULL, email TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "unique-constraint-without-index",
            &[
                users,
                users_down,
                (
                    "2_keys.up.sql",
                    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE users ADD PRIMARY KEY (id);\nALTER TABLE users ADD COLUMN handle TEXT UNIQUE;"
                ),
                (
                    "2_keys.down.sql",
                    "ALTER TABLE users DROP COLUMN handle;\nALTER TABLE users DROP CONSTRAINT users_pkey;\nALTER TABLE users DROP CONSTRAINT users_email_key;"
                ),
            ],
            &[
                users,
                users_down,
                (
                    "2_index.up.sql",
                    "-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_pkey ON users (id);"
                ),
                (
                    "2_index.down.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_pkey;\nDROP INDEX CONCURRENTLY IF EXISTS users_email_key;"
                ),
                (
                    "3_keys.up.sql",
                    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey;\nCREATE TABLE notes (id BIGINT, body TEXT);\nALTER TABLE notes ADD PRIMARY KEY (id);\nALTER TABLE notes ADD CONSTRAINT notes_body_key UNIQUE (body);"
                ),
                (
                    "3_keys.down.sql",
                    "DROP TABLE notes;\nALTER TABLE users DROP CONSTRAINT users_pkey;\nALTER TABLE users DROP CONSTRAINT users_email_key;"
                ),
            ]
        ));
    }
}
