//! ## What it does
//! Replays the up scripts in version order and flags an up script that uses a table, column or
//! type that only a *later* migration creates, naming that migration. On SQLite a foreign key
//! may name a table made later (SQLite checks `REFERENCES` only when rows are written), so such
//! a reference is not flagged there.
//!
//! ## Why is this bad?
//! Migrations run in version order. After a merge, a branch's migration can sort before the one
//! that creates what it needs: it works on the developer's database, where both already ran,
//! and fails on every fresh one and in production.
//!
//! ## Example
//! ```sql
//! -- 20240101000000_add_email.up.sql
//! ALTER TABLE users ADD COLUMN email TEXT;
//! -- 20240102000000_create_users.up.sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! ```
//!
//! ## Use instead
//! Give the migration that uses the table a version after the one that creates it:
//! ```sql
//! -- 20240102000000_create_users.up.sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! -- 20240103000000_add_email.up.sql
//! ALTER TABLE users ADD COLUMN email TEXT;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;
use crate::model::{ObjectId, ObjectKind};

pub(super) const RULE: Rule = Rule {
    id: RuleId::ObjectUsedBeforeCreated,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object, later) in &cx.facts.used_before_created {
        if cx.dialect == Dialect::Sqlite && foreign_key_target(cx, *index, object) {
            continue;
        }
        let creator = cx.name_of(*later);
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!("{object} is used before it exists: only the later migration {creator} creates it"),
                format!("{object} does not exist yet"),
            )
            .with_help(format!(
                "migrations run in version order: give {} a version after {later} (rename both of its files), or create {object} earlier",
                cx.migration.name()
            )),
        );
    }
}

/// `object` (a table, or a column of one) is the target of a foreign key the statement declares:
/// its text has `REFERENCES <table>` (SQLite gives its constraints no names, so no effect says
/// so).
fn foreign_key_target(cx: &Cx<'_>, index: usize, object: &ObjectId) -> bool {
    let table = match object.kind {
        ObjectKind::Table => &object.name,
        ObjectKind::Column => match &object.parent {
            Some(table) => table,
            None => return false,
        },
        _ => return false,
    };
    let Some(statement) = cx.facts.up.statements.get(index) else {
        return false;
    };
    let Some(text) = cx.migration.up.text.get(statement.span.clone()) else {
        return false;
    };
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words
        .windows(2)
        .any(|w| w[0] == "references" && w[1] == table.to_lowercase())
}

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (dialect, the first migration's up, whether it is flagged): the second migration creates
    /// `owners`.
    #[test]
    fn a_foreign_key_to_a_later_table_is_legal_on_sqlite_only() {
        let cases: &[(Dialect, &str, bool)] = &[
            (
                Dialect::Sqlite,
                "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners (id));",
                false,
            ),
            (
                Dialect::Sqlite,
                "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER, FOREIGN KEY (owner_id) REFERENCES owners (id));",
                false,
            ),
            (
                Dialect::Sqlite,
                "CREATE TABLE pets (id INTEGER PRIMARY KEY);\nINSERT INTO owners (id) VALUES (1);",
                true,
            ),
            (
                Dialect::Postgres,
                "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners (id));",
                true,
            ),
        ];
        for (dialect, up, flagged) in cases {
            let files = [
                ("1_pets.up.sql", *up),
                ("1_pets.down.sql", "DROP TABLE pets;"),
                (
                    "2_owners.up.sql",
                    "CREATE TABLE owners (id INTEGER PRIMARY KEY);",
                ),
                ("2_owners.down.sql", "DROP TABLE owners;"),
            ];
            let found = check(*dialect, &files, "object-used-before-created");
            assert_eq!(!found.is_empty(), *flagged, "{dialect:?} {up}\n{found}");
        }
    }
}

bad_and_good_test!(
    Postgres,
    "object-used-before-created",
    &[
        (
            "1_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;"
        ),
        (
            "1_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;"
        ),
        (
            "2_create_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);"
        ),
        ("2_create_users.down.sql", "DROP TABLE users;"),
    ],
    &[
        (
            "1_create_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);"
        ),
        ("1_create_users.down.sql", "DROP TABLE users;"),
        (
            "2_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;"
        ),
        (
            "2_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;"
        ),
        // Created outside the migrations (a baseline): not an ordering problem.
        ("3_seed.up.sql", "INSERT INTO legacy_table VALUES (1);"),
        ("3_seed.down.sql", "DELETE FROM legacy_table;"),
    ]
);
