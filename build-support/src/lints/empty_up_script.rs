//! ## What it does
//! Flags an up script with no statement in it (empty, or only comments) that is still to be
//! written: the file `cargo migrate new` writes, untouched, or a migration not deployed yet —
//! one not committed on the main branch where git can tell, else the newest of the set. Any
//! other empty up is a placeholder kept in the history, which `placeholder-migration` reports
//! as a warning instead.
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

/// A line of the up script `cargo migrate new` writes (cargo-migrate's `templates.rs`).
const TEMPLATE_LINE: &str = "-- Write the schema change here.";

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    // A placeholder that says why with `-- migrate:allow empty-up-script` (written before
    // `placeholder-migration` existed) is still this rule's, so that its allow silences it.
    if is_empty_up(cx) && (still_to_write(cx) || allowed_here(cx)) {
        out.push(
            cx.at_file(RULE.id, Script::Up, "the up script has no statement: applying it would change nothing")
                .with_help("write the schema change in it; if the migration is meant to do nothing, say why with `-- migrate:allow empty-up-script <reason>`"),
        );
    }
}

/// The up script parses and has no statement.
pub(super) fn is_empty_up(cx: &Cx<'_>) -> bool {
    let up = &cx.facts.up;
    up.error.is_none() && up.statements.is_empty()
}

/// The migration says `-- migrate:allow empty-up-script`.
pub(super) fn allowed_here(cx: &Cx<'_>) -> bool {
    cx.migration
        .directives()
        .allow
        .iter()
        .any(|a| a.rule == RULE.id.as_str())
}

/// An empty up that cannot be a placeholder kept in the history: the template, untouched, or
/// a migration not applied anywhere yet. Where git can tell, that is one not committed on the
/// main branch (new on this branch, or not committed at all); without git, the newest one.
pub(super) fn still_to_write(cx: &Cx<'_>) -> bool {
    let version = cx.migration.version;
    cx.migration.up.text.contains(TEMPLATE_LINE)
        || match cx.on_main {
            Some(on_main) => !on_main.contains(&version),
            None => cx
                .set
                .migrations
                .last()
                .is_some_and(|m| m.version == version),
        }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::LintConfig;
    use crate::lints::test_support::{check, check_with};

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

    /// (files, whether `empty-up-script` reports migration 1, whether `placeholder-migration`
    /// does).
    #[test]
    fn placeholders_in_history_are_not_errors() {
        let later = [
            ("2_b.up.sql", "CREATE TABLE b (id INT);"),
            ("2_b.down.sql", "DROP TABLE b;"),
        ];
        type Files<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Files, bool, bool)] = &[
            // The template, untouched, also with later migrations after it.
            (
                &[
                    (
                        "1_a.up.sql",
                        "-- a\n-- Write the schema change here. Each statement ends with `;`.\n",
                    ),
                    ("1_a.down.sql", "-- Revert a\n"),
                    later[0],
                    later[1],
                ],
                true,
                false,
            ),
            // An empty newest migration is still to be written.
            (
                &[
                    ("1_a.up.sql", "-- renumbered, nothing to do\n"),
                    ("1_a.down.sql", ""),
                ],
                true,
                false,
            ),
            // A placeholder with later migrations after it.
            (
                &[
                    ("1_a.up.sql", "-- kept so that the numbers stay\n"),
                    ("1_a.down.sql", "-- nothing\n"),
                    later[0],
                    later[1],
                ],
                false,
                true,
            ),
            (
                &[("1_a.sql", "/* moved to 2 */"), later[0], later[1]],
                false,
                true,
            ),
        ];
        for (files, error, warning) in cases {
            let errors = check(Dialect::Postgres, files, "empty-up-script");
            let warnings = check(Dialect::Postgres, files, "placeholder-migration");
            let unused = check(Dialect::Postgres, files, "unused-allow");
            assert_eq!(
                (
                    errors.contains("1_a"),
                    warnings.contains("1_a"),
                    unused.as_str()
                ),
                (*error, *warning, ""),
                "{files:?}\n{errors}\n{warnings}"
            );
        }
    }

    /// Where git tells which migrations the main branch has, an empty up committed there is a
    /// placeholder even when it is the newest; one the main branch does not have is new here
    /// (on this branch, or not committed), even with later migrations after it.
    #[test]
    fn git_tells_what_is_deployed() {
        let files = [
            ("1_a.up.sql", "-- nothing left to do: moved to 2\n"),
            ("1_a.down.sql", ""),
            ("2_b.up.sql", "-- kept so that the numbers stay\n"),
            ("2_b.down.sql", ""),
        ];
        // (versions on main, reported by `empty-up-script`, by `placeholder-migration`)
        let cases: &[(&[i64], &[&str], &[&str])] = &[
            (&[1, 2], &[], &["1_a", "2_b"]),
            (&[1], &["2_b"], &["1_a"]),
            (&[2], &["1_a"], &["2_b"]),
            (&[], &["1_a", "2_b"], &[]),
        ];
        for (on_main, errors, warnings) in cases {
            let config = LintConfig::new(Dialect::Postgres)
                .with_on_main(Some(on_main.iter().copied().collect()));
            let reported = |rule: &str| -> Vec<&str> {
                let out = check_with(&config, &files, rule);
                ["1_a", "2_b"]
                    .into_iter()
                    .filter(|m| out.contains(&format!("{m}.up.sql")))
                    .collect()
            };
            assert_eq!(
                (
                    reported("empty-up-script"),
                    reported("placeholder-migration")
                ),
                (errors.to_vec(), warnings.to_vec()),
                "on main: {on_main:?}"
            );
        }
    }
}
