//! ## What it does
//! Flags an up script that drops a table.
//!
//! ## Why is this bad?
//! The table's data is gone for good, and the previous release of the application, still
//! running during a rolling deploy, fails on every query that reads it.
//!
//! ## Example
//! ```sql
//! DROP TABLE legacy_sessions;
//! ```
//!
//! ## Use instead
//! Stop using the table in one release, drop it in a later one, and say that it is meant:
//! ```sql
//! -- migrate:allow ban-drop-table unused since release 42, data archived
//! DROP TABLE legacy_sessions;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::BanDropTable,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object) in cx.up_drops(ObjectKind::Table) {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!("the up script drops table {}: its data is lost", object.name),
                "drops a table",
            )
            .with_help("if that is the intent, say so: `-- migrate:allow ban-drop-table <reason>` at the top of the up script"),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "ban-drop-table",
    &[(
        "1_a.sql",
        "-- migrate:irreversible cleanup\nDROP TABLE legacy_sessions;"
    )],
    &[(
        "1_a.sql",
        "-- migrate:irreversible cleanup\n-- migrate:allow ban-drop-table archived\nDROP TABLE legacy_sessions;"
    )]
);
