//! ## What it does
//! Flags, as a warning, an up script with no statement in it (empty, or only comments) that is
//! already deployed: committed on the main branch where git can tell, else one with later
//! migrations after it. It is a placeholder kept in the history, such as the number of a
//! migration that was moved or squashed.
//!
//! ## Why is this bad?
//! Usually it is not: databases that applied it record it, and it changes nothing. It is worth
//! a look because an empty up that was meant to hold a change never runs it anywhere. The
//! template `cargo migrate new` writes and an empty up not deployed yet (new on this branch,
//! or the newest without git) are `empty-up-script` errors instead.
//!
//! ## Example
//! ```sql
//! -- 20240101120000_old_numbering.up.sql
//! -- squashed into 20240301000000_init
//! ```
//!
//! ## Use instead
//! Say why it is empty: `-- migrate:allow placeholder-migration squashed into the init`.

use super::empty_up_script::{allowed_here, is_empty_up, still_to_write};
use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::PlaceholderMigration,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if is_empty_up(cx) && !still_to_write(cx) && !allowed_here(cx) {
        out.push(
            cx.at_file(RULE.id, Script::Up, "the up script has no statement: a placeholder in the history, applying it changes nothing")
                .with_help("if it was meant to hold a change, that change never ran anywhere: put it in a new migration; if it is empty on purpose, say why with `-- migrate:allow placeholder-migration <reason>`"),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "placeholder-migration",
    &[
        ("1_a.up.sql", "-- the numbering of a squashed migration\n"),
        ("1_a.down.sql", ""),
        ("2_b.up.sql", "CREATE TABLE b (id INT);"),
        ("2_b.down.sql", "DROP TABLE b;"),
    ],
    &[
        (
            "1_a.up.sql",
            "-- migrate:allow placeholder-migration the numbering of a squashed migration\n"
        ),
        ("1_a.down.sql", ""),
        ("2_b.up.sql", "CREATE TABLE b (id INT);"),
        ("2_b.down.sql", "DROP TABLE b;"),
    ],
);
