//! ## What it does
//! Flags a `-- migrate:allow <rule> <reason>` that silences nothing: the rule does not exist,
//! or it found nothing in that migration.
//!
//! ## Why is this bad?
//! A stale allow hides the next real finding of that rule in the migration, and a mistyped rule
//! id silences nothing while looking as if it did.
//!
//! ## Example
//! ```sql
//! -- migrate:allow ban-drop-tables legacy data is archived
//! DROP TABLE legacy_sessions;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:allow ban-drop-table legacy data is archived
//! DROP TABLE legacy_sessions;
//! ```

use std::collections::HashSet;

use super::{Level, Rule, RuleId};
use crate::MigrationSet;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::UnusedAllow,
    default: Level::Warn,
    check: None, // the engine knows which allows were used
};

/// The allows of every migration that were not used: `used` holds (version, rule id) pairs.
pub(super) fn check(set: &MigrationSet, used: &HashSet<(i64, String)>) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &set.migrations {
        for allow in &m.directives().allow {
            if used.contains(&(m.version, allow.rule.clone())) {
                continue;
            }
            let (message, help) = if allow.rule.parse::<RuleId>().is_err() {
                (
                    format!(
                        "`-- migrate:allow {}`: there is no rule with that id",
                        allow.rule
                    ),
                    "check the spelling; `cargo migrate lint --format json` shows the rule ids"
                        .to_owned(),
                )
            } else {
                (
                    format!(
                        "`-- migrate:allow {}` silences nothing in this migration",
                        allow.rule
                    ),
                    "remove it, so that it does not hide a future finding".to_owned(),
                )
            };
            out.push(
                Finding::warning(RULE.id, &m.up.display, message)
                    .at(m.up.text.clone(), allow.span.clone(), "this allow")
                    .with_help(help)
                    .in_migration(m.version),
            );
        }
    }
    out
}

bad_and_good_test!(
    Postgres,
    "unused-allow",
    &[(
        "1_a.sql",
        "-- migrate:irreversible cleanup\n-- migrate:allow ban-drop-tables archived\n-- migrate:allow ban-drop-column nothing to see\nDROP TABLE legacy;"
    )],
    &[(
        "1_a.sql",
        "-- migrate:irreversible cleanup\n-- migrate:allow ban-drop-table archived\nDROP TABLE legacy;"
    )]
);
