//! ## What it does
//! Flags an up script with no statement in it: empty, or only comments, like the file
//! `cargo migrate new` writes before the change is filled in.
//!
//! ## Why is this bad?
//! `up` records the migration as applied although nothing ran. When the SQL is written into it
//! later, every database that already "applied" it reports it as modified, and none of them
//! ever runs the change.
//!
//! ## Example
//! ```sql
//! -- 20240101120000_add_email_to_users.up.sql
//! -- Write the schema change here. Each statement ends with `;`.
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE users ADD COLUMN email TEXT;
//! ```
//!
//! A migration kept on purpose with nothing to do says so:
//! `-- migrate:allow empty-up-script <reason>`.

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::EmptyUpScript,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let up = &cx.facts.up;
    if up.error.is_none() && up.statements.is_empty() {
        out.push(
            cx.at_file(RULE.id, Script::Up, "the up script has no statement: applying it would change nothing")
                .with_help("write the schema change in it; if the migration is meant to do nothing, say why with `-- migrate:allow empty-up-script <reason>`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(check(
            Dialect::Postgres,
            &[
                (
                    "1_a.up.sql",
                    "-- a\n-- Write the schema change here. Each statement ends with `;`.\n"
                ),
                ("1_a.down.sql", "-- Revert a\n")
            ],
            "empty-up-script"
        ));
        for up in [
            "CREATE TABLE a (id INT);",
            "-- migrate:allow empty-up-script keeps the numbering of a removed migration\n",
        ] {
            assert_eq!(
                check(
                    Dialect::Postgres,
                    &[("1_a.up.sql", up), ("1_a.down.sql", "DROP TABLE a;")],
                    "empty-up-script"
                ),
                "",
                "{up}"
            );
        }
    }
}
