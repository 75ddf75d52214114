//! ## What it does
//! Flags an up that removes something that existed before the migration (a table, column,
//! index, constraint, view, function, …, dropped on its own or with the table or, on
//! PostgreSQL, the column it was on) when the down does not create it again.
//!
//! ## Why is this bad?
//! After the down the schema is not what it was before the up: the table or index is simply
//! missing, and the migrations before this one, and the code of the release being rolled back
//! to, expect it. The down cannot bring back the rows, but it can and must bring back the
//! schema; a migration that cannot be reversed says so with `-- migrate:irreversible <reason>`.
//!
//! ## Example
//! ```sql
//! -- up
//! ALTER TABLE books DROP COLUMN author_id;  -- its foreign key goes with it
//! -- down
//! ALTER TABLE books ADD COLUMN author_id BIGINT;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- down
//! ALTER TABLE books ADD COLUMN author_id BIGINT;
//! ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownDoesNotRestore,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object) in &cx.facts.drops_not_restored {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!("this statement removes {object}, which existed before the migration, and the down script does not create it again: after the down it is missing"),
                format!("removes {object}"),
            )
            .with_help(format!(
                "create {object} again in the down script as the earlier migrations left it, or mark the migration `-- migrate:irreversible <reason>`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::{bad_not_good, check};

    const FIRST: (&str, &str) = (
        "1_books.up.sql",
        "CREATE TABLE authors (id BIGINT PRIMARY KEY);\nCREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT, title TEXT, CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id));\nCREATE INDEX books_title ON books (title);\nCREATE TABLE notes (id BIGINT);",
    );
    const FIRST_DOWN: (&str, &str) = (
        "1_books.down.sql",
        "DROP TABLE notes;\nDROP TABLE books;\nDROP TABLE authors;",
    );

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "down-does-not-restore",
            &[
                FIRST,
                FIRST_DOWN,
                ("2_drop.up.sql", "ALTER TABLE books DROP COLUMN author_id;"),
                (
                    "2_drop.down.sql",
                    "ALTER TABLE books ADD COLUMN author_id BIGINT;"
                ),
            ],
            &[
                FIRST,
                FIRST_DOWN,
                ("2_drop.up.sql", "ALTER TABLE books DROP COLUMN author_id;"),
                (
                    "2_drop.down.sql",
                    "ALTER TABLE books ADD COLUMN author_id BIGINT;\nALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id);"
                ),
            ]
        ));
    }

    /// (dialect, the second migration's up and down, whether it is flagged), after `FIRST`.
    #[test]
    fn what_the_up_removed_comes_back() {
        let cases: &[(Dialect, &str, &str, bool)] = &[
            // A table dropped and never made again; made again.
            (Dialect::Postgres, "DROP TABLE notes;", "SELECT 1;", true),
            (
                Dialect::Postgres,
                "DROP TABLE notes;",
                "CREATE TABLE notes (id BIGINT);",
                false,
            ),
            (Dialect::Sqlite, "DROP TABLE notes;", "SELECT 1;", true),
            // An index dropped with its table: the table alone is not enough.
            (
                Dialect::Postgres,
                "DROP TABLE books;",
                "CREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT, title TEXT, CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id));",
                true,
            ),
            (
                Dialect::Postgres,
                "DROP TABLE books;",
                "CREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT, title TEXT, CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id));\nCREATE INDEX books_title ON books (title);",
                false,
            ),
            // A dropped index, and a column, not given back.
            (
                Dialect::Postgres,
                "DROP INDEX books_title;",
                "SELECT 1;",
                true,
            ),
            (
                Dialect::Postgres,
                "DROP INDEX books_title;",
                "CREATE INDEX books_title ON books (title);",
                false,
            ),
            (
                Dialect::Postgres,
                "ALTER TABLE books DROP COLUMN title;",
                "SELECT 1;",
                true,
            ),
            // Made again by the up itself: not removed.
            (
                Dialect::Postgres,
                "DROP INDEX books_title;\nCREATE INDEX books_title ON books (title, id);",
                "DROP INDEX books_title;\nCREATE INDEX books_title ON books (title);",
                false,
            ),
            // The down's effect is not known: quiet.
            (
                Dialect::Postgres,
                "DROP TABLE notes;",
                "DO $$ BEGIN EXECUTE 'CREATE TABLE notes (id BIGINT)'; END $$;",
                false,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let files = [
                FIRST,
                FIRST_DOWN,
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(*dialect, &files, "down-does-not-restore");
            assert_eq!(
                !found.is_empty(),
                *flagged,
                "{dialect:?}: {up}\n{down}\n{found}"
            );
        }
    }
}
