//! ## What it does
//! Flags an up script that renames a column of a table that existed before the migration.
//!
//! ## Why is this bad?
//! During a deploy the previous release of the application is still running, and every query
//! it sends names the old column: they fail from the moment the migration commits until the
//! last old instance stops. A column of a table the same migration created is not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users RENAME COLUMN name TO full_name;
//! ```
//!
//! ## Use instead
//! Add the new column, write both and backfill in one release, read the new one in the next,
//! and drop the old one after that; or, if no running code uses the column, say so:
//! ```sql
//! -- migrate:allow renaming-column nothing reads users.name since release 42
//! ALTER TABLE users RENAME COLUMN name TO full_name;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::RenamingColumn,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, from, to) in cx.up_renames(ObjectKind::Column) {
        let Some(table) = from.parent.as_deref() else {
            continue;
        };
        // A column this migration adds is not in use yet, even on an existing table.
        if !cx.existed_before(table) || cx.made_by(index, from) {
            continue;
        }
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "the up script renames column {table}.{} to {}: the application still running during the deploy names {}",
                    from.name, to.name, from.name
                ),
                "renames a column in use",
            )
            .with_help("add the new column and move over in steps, or say that no running code uses it: `-- migrate:allow renaming-column <reason>`"),
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
            "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "renaming-column",
            &[
                users,
                users_down,
                (
                    "2_rename.up.sql",
                    "ALTER TABLE users RENAME COLUMN name TO full_name;"
                ),
                (
                    "2_rename.down.sql",
                    "ALTER TABLE users RENAME COLUMN full_name TO name;"
                ),
                // Renamed away, then added again under its name: in use until then.
                (
                    "3_again.up.sql",
                    "ALTER TABLE users RENAME COLUMN full_name TO legacy_name;\nALTER TABLE users ADD COLUMN full_name TEXT;"
                ),
                (
                    "3_again.down.sql",
                    "ALTER TABLE users DROP COLUMN full_name;\nALTER TABLE users RENAME COLUMN legacy_name TO full_name;"
                ),
            ],
            &[
                users,
                users_down,
                (
                    "2_new.up.sql",
                    "CREATE TABLE teams (id BIGINT PRIMARY KEY, title TEXT);\nALTER TABLE teams RENAME COLUMN title TO name;\nALTER TABLE users ADD COLUMN nick TEXT;\nALTER TABLE users RENAME COLUMN nick TO handle;"
                ),
                (
                    "2_new.down.sql",
                    "ALTER TABLE users DROP COLUMN handle;\nDROP TABLE teams;"
                ),
            ]
        ));
    }
}
