//! ## What it does
//! Flags an up script that renames a table that existed before the migration.
//!
//! ## Why is this bad?
//! During a deploy the previous release of the application is still running, and every query
//! it sends names the old table: they all fail from the moment the migration commits until the
//! last old instance stops. A table the same migration created is not flagged: nothing uses it
//! yet.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users RENAME TO accounts;
//! ```
//!
//! ## Use instead
//! Create the new table (or a view named like the old one over it), have one release write
//! both and read the new one, and drop the old name in a later release; or, if no running code
//! uses the table, say so:
//! ```sql
//! -- migrate:allow renaming-table the table is read only by the admin job, stopped for the deploy
//! ALTER TABLE users RENAME TO accounts;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::RenamingTable,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, from, to) in cx.up_renames(ObjectKind::Table) {
        if !cx.existed_before(&from.name) {
            continue;
        }
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "the up script renames the existing table {} to {}: the application still running during the deploy names {}",
                    from.name, to.name, from.name
                ),
                "renames a table in use",
            )
            .with_help("add the new table beside the old one and move over in steps, or say that no running code uses it: `-- migrate:allow renaming-table <reason>`"),
        );
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
            "CREATE TABLE users (id BIGINT PRIMARY KEY);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "renaming-table",
            &[
                users,
                users_down,
                ("2_rename.up.sql", "ALTER TABLE users RENAME TO accounts;"),
                ("2_rename.down.sql", "ALTER TABLE accounts RENAME TO users;"),
            ],
            &[
                users,
                users_down,
                // A table created by the same migration is not in use yet.
                (
                    "2_new.up.sql",
                    "CREATE TABLE staging (id BIGINT PRIMARY KEY);\nALTER TABLE staging RENAME TO accounts;"
                ),
                ("2_new.down.sql", "DROP TABLE accounts;"),
            ]
        ));
    }
}
