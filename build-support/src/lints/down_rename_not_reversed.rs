//! ## What it does
//! Flags a rename in an up script (of a table, column, index, type, …) that its down script
//! does not rename back.
//!
//! ## Why is this bad?
//! After a rollback, the previous release's code looks for the old name and does not find it.
//!
//! ## Example
//! ```sql
//! -- up
//! ALTER TABLE users RENAME COLUMN name TO full_name;
//! -- down
//! ALTER TABLE users DROP COLUMN full_name;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- down
//! ALTER TABLE users RENAME COLUMN full_name TO name;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownRenameNotReversed,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, from, to) in &cx.facts.renames_not_reversed {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!(
                    "{from} is renamed to `{}` here, but the down script does not rename it back",
                    to.name
                ),
                "renamed here",
            )
            .with_help(format!(
                "rename `{}` back to `{}` in the down script",
                to.name, from.name
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn bad_and_good() {
        let base = [
            (
                "1_users.up.sql",
                "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT);",
            ),
            ("1_users.down.sql", "DROP TABLE users;"),
        ];
        let mut bad = base.to_vec();
        bad.push((
            "2_rename.up.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        ));
        bad.push((
            "2_rename.down.sql",
            "ALTER TABLE users DROP COLUMN full_name;",
        ));
        insta::assert_snapshot!(check(Dialect::Postgres, &bad, "down-rename-not-reversed"));
        let mut good = base.to_vec();
        good.push((
            "2_rename.up.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        ));
        good.push((
            "2_rename.down.sql",
            "ALTER TABLE users RENAME COLUMN full_name TO name;",
        ));
        assert_eq!(
            check(Dialect::Postgres, &good, "down-rename-not-reversed"),
            ""
        );
    }
}
