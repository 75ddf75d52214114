//! ## What it does
//! Flags a down script with no statement in it (empty, or only comments) when its up script
//! changes the schema: creates something new, drops, renames or alters something. An up that
//! only changes data, or whose DDL finds everything there already (`ADD COLUMN IF NOT EXISTS`
//! on a column that exists), may have an empty down; so may one whose effects are unknown (a
//! `DO` block).
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
use crate::model::Effect;

pub(super) const RULE: Rule = Rule {
    id: RuleId::EmptyDownScript,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Some(down) = &cx.facts.down else { return };
    if down.error.is_none() && down.statements.is_empty() && up_changes_schema(cx) {
        out.push(
            cx.at_file(RULE.id, Script::Down, "the down script has no statement: it undoes nothing")
                .with_help("write the statements that undo the up script, in reverse order; if it cannot be undone, delete the down script and mark the up `-- migrate:irreversible <reason>`"),
        );
    }
}

/// The up changes the schema in the replay: it creates something new, drops or renames
/// something that existed (a `DROP … IF EXISTS` of nothing changes nothing), or changes
/// something in a way the model does not follow. An up that
/// only changes data (which an empty down leaves as it is, like any down), or whose DDL finds
/// its objects there already (`ADD COLUMN IF NOT EXISTS` on a column that exists), does not.
fn up_changes_schema(cx: &Cx<'_>) -> bool {
    // An up that may do anything (a `DO` block) is not judged: what it changes is unknown.
    if cx.facts.opaque {
        return false;
    }
    !cx.facts.created.is_empty()
        || cx.facts.changes_existing
        || cx.facts.up.statements.iter().any(|s| {
            s.effects
                .iter()
                .any(|e| matches!(e, Effect::Uncertain { .. }))
        })
}

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (dialect, files, whether `empty-down-script` reports migration 2).
    #[test]
    fn only_an_up_that_changes_the_schema_needs_a_down() {
        let base = [
            ("1_t.up.sql", "CREATE TABLE t (id INT, note TEXT);"),
            ("1_t.down.sql", "DROP TABLE t;"),
        ];
        let cases: &[(Dialect, &str, bool)] = &[
            (Dialect::Postgres, "INSERT INTO t (id) VALUES (1);", false),
            (
                Dialect::Postgres,
                "UPDATE t SET note = 'x' WHERE id = 1;\nDELETE FROM t WHERE id = 2;",
                false,
            ),
            (
                Dialect::Postgres,
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS note TEXT;",
                false,
            ),
            (Dialect::MySql, "INSERT INTO t (id) VALUES (1);", false),
            (Dialect::Sqlite, "DELETE FROM t;", false),
            (
                Dialect::Postgres,
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS extra TEXT;",
                true,
            ),
            (Dialect::Postgres, "CREATE INDEX t_note ON t (note);", true),
            (Dialect::Postgres, "ALTER TABLE t DROP COLUMN note;", true),
            (
                Dialect::Postgres,
                "ALTER TABLE t RENAME COLUMN note TO remark;",
                true,
            ),
            (Dialect::Sqlite, "CREATE TABLE u (id INT);", true),
        ];
        for (dialect, up, reported) in cases {
            let files = [
                base[0],
                base[1],
                ("2_x.up.sql", *up),
                ("2_x.down.sql", "-- nothing\n"),
            ];
            let found = check(*dialect, &files, "empty-down-script");
            assert_eq!(
                found.contains("2_x.down.sql"),
                *reported,
                "{dialect:?} {up}\n{found}"
            );
        }
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
