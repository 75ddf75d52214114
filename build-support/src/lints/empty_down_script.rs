//! ## What it does
//! Flags a down script with no statement in it (empty, or only comments) when its up script
//! does something.
//!
//! ## Why is this bad?
//! A rollback "succeeds" and the schema stays as the up script left it: the tracking table now
//! says the migration is not applied while its changes are all still there.
//!
//! ## Example
//! ```sql
//! -- 20240101120000_create_users.down.sql
//! -- TODO
//! ```
//!
//! ## Use instead
//! ```sql
//! DROP TABLE users;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::EmptyDownScript,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Some(down) = &cx.facts.down else { return };
    if down.error.is_none() && down.statements.is_empty() && !cx.facts.up.statements.is_empty() {
        out.push(
            cx.at_file(RULE.id, Script::Down, "the down script has no statement: it undoes nothing")
                .with_help("write the statements that undo the up script, in reverse order; if it cannot be undone, delete the down script and mark the up `-- migrate:irreversible <reason>`"),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "empty-down-script",
    &[
        ("1_a.up.sql", "CREATE TABLE a (id INT);"),
        ("1_a.down.sql", "-- TODO\n")
    ],
    &[("1_a.up.sql", "-- nothing yet\n"), ("1_a.down.sql", "")]
);
