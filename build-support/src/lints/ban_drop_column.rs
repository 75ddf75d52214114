//! ## What it does
//! Flags an up script that drops a column.
//!
//! ## Why is this bad?
//! The column's data is gone for good, and the previous release of the application, still
//! running during a rolling deploy, fails on every query that names the column.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Stop reading and writing the column in one release, drop it in a later one, and say that it
//! is meant:
//! ```sql
//! -- migrate:allow ban-drop-column unused since release 42
//! ALTER TABLE users DROP COLUMN nickname;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::BanDropColumn,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object) in cx.up_drops(ObjectKind::Column) {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "the up script drops column {}.{}: its data is lost",
                    object.parent.as_deref().unwrap_or("?"),
                    object.name
                ),
                "drops a column",
            )
            .with_help("if that is the intent, say so: `-- migrate:allow ban-drop-column <reason>` at the top of the up script"),
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
            "CREATE TABLE users (id BIGINT PRIMARY KEY, nickname TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "ban-drop-column",
            &[
                users,
                users_down,
                ("2_drop.up.sql", "ALTER TABLE users DROP COLUMN nickname;"),
                (
                    "2_drop.down.sql",
                    "ALTER TABLE users ADD COLUMN nickname TEXT;"
                )
            ],
            &[
                users,
                users_down,
                (
                    "2_drop.up.sql",
                    "-- migrate:allow ban-drop-column unused since 42\nALTER TABLE users DROP COLUMN nickname;"
                ),
                (
                    "2_drop.down.sql",
                    "ALTER TABLE users ADD COLUMN nickname TEXT;"
                )
            ]
        ));
    }
}
