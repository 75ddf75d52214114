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

/// Implicit drops: what goes away with what the down drops is not left behind, and a down that
/// really leaves something still is. (dialect, files, what `down-leaves-object` names, if
/// anything.)
#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn what_goes_with_a_drop_is_not_left_behind() {
        let pg = Dialect::Postgres;
        type Files<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Dialect, Files, Option<&str>)] = &[
            // A column's indexes and constraints go with it.
            (
                pg,
                &[
                    ("1_t.up.sql", "CREATE TABLE shelf (id INT, label TEXT);"),
                    ("1_t.down.sql", "DROP TABLE shelf;"),
                    (
                        "2_c.up.sql",
                        "ALTER TABLE shelf ADD COLUMN depth INT;\nCREATE INDEX shelf_depth ON shelf (depth);\nALTER TABLE shelf ADD CONSTRAINT shelf_depth_key UNIQUE (depth);\nALTER TABLE shelf ADD CONSTRAINT shelf_depth_positive CHECK (depth > 0);",
                    ),
                    ("2_c.down.sql", "ALTER TABLE shelf DROP COLUMN depth;"),
                ],
                None,
            ),
            // A table's indexes, triggers and owned sequences go with it.
            (
                pg,
                &[
                    (
                        "1_t.up.sql",
                        "CREATE TABLE bins (id SERIAL PRIMARY KEY, size INT);\nCREATE INDEX bins_size ON bins (size);\nCREATE FUNCTION bins_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER bins_touch BEFORE UPDATE ON bins FOR EACH ROW EXECUTE FUNCTION bins_touch();\nCREATE SEQUENCE bins_ticket OWNED BY bins.size;",
                    ),
                    (
                        "1_t.down.sql",
                        "DROP TABLE bins;\nDROP FUNCTION bins_touch();",
                    ),
                ],
                None,
            ),
            // A partition's index attached to the partitioned table's index goes with it; so
            // may the index of a partition the model did not see made.
            (
                pg,
                &[
                    (
                        "1_p.up.sql",
                        "CREATE TABLE visits (at DATE NOT NULL, page TEXT) PARTITION BY RANGE (at);\nCREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
                    ),
                    ("1_p.down.sql", "DROP TABLE visits;"),
                    (
                        "2_i.up.sql",
                        "CREATE INDEX visits_2024_page ON visits_2024 (page);\nCREATE INDEX visits_2025_page ON visits_2025 (page);\nCREATE INDEX visits_page ON visits (page);",
                    ),
                    ("2_i.down.sql", "DROP INDEX visits_page;"),
                ],
                None,
            ),
            // Columns added before the table is renamed are dropped under its new name.
            (
                pg,
                &[
                    ("1_t.up.sql", "CREATE TABLE notes (id INT);"),
                    ("1_t.down.sql", "DROP TABLE notes;"),
                    (
                        "2_r.up.sql",
                        "ALTER TABLE notes ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;\nALTER TABLE notes RENAME TO memos;",
                    ),
                    (
                        "2_r.down.sql",
                        "ALTER TABLE memos DROP COLUMN pinned;\nALTER TABLE memos RENAME TO notes;",
                    ),
                ],
                None,
            ),
            // SQLite's rebuild of a table through a new one renamed to its name, both ways.
            (
                Dialect::Sqlite,
                &[
                    (
                        "1_t.up.sql",
                        "CREATE TABLE keys (id INTEGER PRIMARY KEY, label TEXT);",
                    ),
                    ("1_t.down.sql", "DROP TABLE keys;"),
                    (
                        "2_r.up.sql",
                        "CREATE TABLE keys_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL, kind TEXT);\nINSERT INTO keys_new (id, label) SELECT id, label FROM keys;\nDROP TABLE keys;\nALTER TABLE keys_new RENAME TO keys;",
                    ),
                    (
                        "2_r.down.sql",
                        "CREATE TABLE keys_old (id INTEGER PRIMARY KEY, label TEXT);\nINSERT INTO keys_old (id, label) SELECT id, label FROM keys;\nDROP TABLE keys;\nALTER TABLE keys_old RENAME TO keys;",
                    ),
                ],
                None,
            ),
            // Still caught: an index of a known table the down leaves.
            (
                pg,
                &[
                    ("1_t.up.sql", "CREATE TABLE shelf (id INT, label TEXT);"),
                    ("1_t.down.sql", "DROP TABLE shelf;"),
                    ("2_i.up.sql", "CREATE INDEX shelf_label ON shelf (label);"),
                    ("2_i.down.sql", "SELECT 1;"),
                ],
                Some("index shelf_label"),
            ),
        ];
        for (dialect, files, left) in cases {
            let found = check(*dialect, files, "down-leaves-object")
                + &check(*dialect, files, "down-drops-foreign-object");
            match left {
                None => assert_eq!(found, "", "{files:?}"),
                Some(object) => assert!(found.contains(object), "{files:?}\n{found}"),
            }
        }
    }
}
