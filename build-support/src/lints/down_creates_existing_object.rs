//! ## What it does
//! Flags a down statement that creates a table, index, view or type under a name that is
//! taken at that point of the script: the up made an object by that name, or the down renamed
//! a table away and its index kept its name.
//!
//! ## Why is this bad?
//! The server refuses the statement ("relation already exists"), so the rollback fails
//! halfway, although the same down may work on its own against the schema before the up. Index
//! names belong to the schema, not to a table, on PostgreSQL and SQLite: renaming a table to
//! keep its rows (`ALTER TABLE t RENAME TO t_old`) keeps its indexes' names taken.
//!
//! ## Example
//! ```sql
//! -- down
//! ALTER TABLE users RENAME TO users_old;
//! CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);
//! CREATE UNIQUE INDEX users_email_key ON users (email);
//! ```
//!
//! ## Use instead
//! Drop or rename the old object first:
//! ```sql
//! -- down
//! ALTER TABLE users RENAME TO users_old;
//! ALTER INDEX users_email_key RENAME TO users_old_email_key;
//! CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);
//! CREATE UNIQUE INDEX users_email_key ON users (email);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownCreatesExistingObject,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object) in &cx.facts.down_creates_existing {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Down,
                *index,
                format!("{object} is created here, but its name is taken at this point of the down script: the server refuses it"),
                format!("{object} exists already"),
            )
            .with_help(format!(
                "drop or rename the {} that has this name before creating it again (an index keeps its name when its table is renamed)",
                object.kind.as_str()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::{bad_not_good, check};

    const FIRST: (&str, &str) = (
        "1_users.up.sql",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE UNIQUE INDEX users_email_key ON users (email);",
    );
    const FIRST_DOWN: (&str, &str) = ("1_users.down.sql", "DROP TABLE users;");
    const UP: (&str, &str) = ("2_rebuild.up.sql", "CREATE TABLE audit (id BIGINT);");

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "down-creates-existing-object",
            &[
                FIRST,
                FIRST_DOWN,
                UP,
                (
                    "2_rebuild.down.sql",
                    "ALTER TABLE users RENAME TO users_old;\nCREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE UNIQUE INDEX users_email_key ON users (email);\nDROP TABLE users_old;\nDROP TABLE audit;"
                ),
            ],
            &[
                FIRST,
                FIRST_DOWN,
                UP,
                (
                    "2_rebuild.down.sql",
                    "ALTER TABLE users RENAME TO users_old;\nALTER INDEX users_email_key RENAME TO users_old_email_key;\nCREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE UNIQUE INDEX users_email_key ON users (email);\nDROP TABLE users_old;\nDROP TABLE audit;"
                ),
            ]
        ));
    }

    /// (the second migration's down, whether it is flagged), after `FIRST` and `UP`.
    #[test]
    fn only_names_the_statement_gives() {
        let cases: &[(Dialect, &str, bool)] = &[
            // What the up made, created again without dropping it.
            (Dialect::Postgres, "CREATE TABLE audit (id BIGINT);", true),
            (Dialect::Sqlite, "CREATE TABLE audit (id BIGINT);", true),
            // IF NOT EXISTS and OR REPLACE are fine.
            (
                Dialect::Postgres,
                "CREATE TABLE IF NOT EXISTS audit (id BIGINT);\nDROP TABLE audit;",
                false,
            ),
            (
                Dialect::Postgres,
                "CREATE OR REPLACE VIEW audit_view AS SELECT 1 AS one;\nDROP VIEW audit_view;\nDROP TABLE audit;",
                false,
            ),
            // Dropped first, then made again.
            (
                Dialect::Postgres,
                "DROP TABLE audit;\nCREATE TABLE audit (id BIGINT);\nDROP TABLE audit;",
                false,
            ),
            // A serial's sequence and a constraint's index get free names from the server.
            (
                Dialect::Postgres,
                "ALTER TABLE users RENAME TO users_old;\nCREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT UNIQUE);\nDROP TABLE users_old;\nDROP TABLE audit;",
                false,
            ),
            // After a CASCADE the model does not know what went with it (a view reading the
            // table, say).
            (
                Dialect::Postgres,
                "DROP TABLE audit CASCADE;\nCREATE TABLE audit (id BIGINT);\nCREATE TABLE audit (id BIGINT);",
                false,
            ),
            // SQLite's index names are the schema's too.
            (
                Dialect::Sqlite,
                "ALTER TABLE users RENAME TO users_old;\nCREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE UNIQUE INDEX users_email_key ON users (email);\nDROP TABLE users_old;\nDROP TABLE audit;",
                true,
            ),
        ];
        for (dialect, down, flagged) in cases {
            let files = [FIRST, FIRST_DOWN, UP, ("2_rebuild.down.sql", *down)];
            let found = check(*dialect, &files, "down-creates-existing-object");
            assert_eq!(!found.is_empty(), *flagged, "{dialect:?}: {down}\n{found}");
        }
    }
}
