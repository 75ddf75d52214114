//! ## What it does
//! Flags an up script that adds a value to an enum type (`ALTER TYPE … ADD VALUE`) in a
//! migration whose down script does not create that type again.
//!
//! ## Why is this bad?
//! PostgreSQL cannot remove a value from an enum type: the down leaves the value, and an up
//! applied again after it fails (`enum label … already exists`) unless it says `IF NOT EXISTS`.
//! The migration is irreversible unless the down rebuilds the type.
//!
//! ## Example
//! ```sql
//! -- 20240101000000_add_paused.up.sql
//! ALTER TYPE job_state ADD VALUE 'paused';
//! -- 20240101000000_add_paused.down.sql
//! -- (nothing can remove it)
//! ```
//!
//! ## Use instead
//! Delete the down script and say why at the top of the up script:
//! ```sql
//! -- migrate:irreversible PostgreSQL cannot remove an enum value
//! ALTER TYPE job_state ADD VALUE 'paused';
//! ```
//! or, in the down script, create the type again without the value (a new type, the columns
//! moved to it, the old one dropped and the new one renamed).

use crate::sql::Syntax;

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::{Effect, ObjectKind};

pub(super) const RULE: Rule = Rule {
    id: RuleId::EnumValueNotRemovable,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Some(down) = &cx.facts.down else { return };
    if cx.migration.directives().irreversible.is_some() || down.error.is_some() {
        return;
    }
    for (i, s) in cx.facts.up.statements.iter().enumerate() {
        if s.syntax() != Some(&Syntax::AlterTypeAddValue) {
            continue;
        }
        let Some(ty) = s.effects.iter().find_map(|e| match e {
            Effect::Use { object } if object.kind == ObjectKind::Type => Some(object.clone()),
            _ => None,
        }) else {
            continue;
        };
        let rebuilt = down
            .statements
            .iter()
            .flat_map(|s| &s.effects)
            .any(|e| match e {
                Effect::Create { object, .. } | Effect::Rename { to: object, .. } => object == &ty,
                Effect::Opaque => true,
                _ => false,
            });
        if rebuilt {
            continue;
        }
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                i,
                format!("{ty} gets a new value here, which no down script can remove: the down leaves it, and this up fails when it runs again"),
                "adds an enum value".to_owned(),
            )
            .with_help(format!(
                "delete {} and put `-- migrate:irreversible PostgreSQL cannot remove an enum value` at the top of {}, or create {ty} again without the value in the down script",
                cx.migration.down.as_ref().map_or("the down script", |d| d.display.as_str()),
                cx.migration.up.display
            )),
        );
    }
}

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (the second migration's up, its down or none, whether it is flagged): the first creates
    /// the enum `mood`.
    #[test]
    fn enum_values_cannot_be_removed() {
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("ALTER TYPE mood ADD VALUE 'meh';", Some("SELECT 1;"), true),
            (
                "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad';",
                Some("SELECT 1;"),
                true,
            ),
            (
                "-- migrate:irreversible PostgreSQL cannot remove an enum value\nALTER TYPE mood ADD VALUE 'meh';",
                None,
                false,
            ),
            (
                "ALTER TYPE mood ADD VALUE 'meh';",
                Some(
                    "CREATE TYPE mood_old AS ENUM ('happy', 'sad');\nDROP TYPE mood;\nALTER TYPE mood_old RENAME TO mood;",
                ),
                false,
            ),
            (
                "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';",
                Some("ALTER TYPE mood RENAME VALUE 'blue' TO 'sad';"),
                false,
            ),
        ];
        for (up, down, flagged) in cases {
            let mut files = vec![
                ("1_a.up.sql", "CREATE TYPE mood AS ENUM ('happy', 'sad');"),
                ("1_a.down.sql", "DROP TYPE mood;"),
            ];
            match down {
                Some(down) => files.extend([("2_b.up.sql", *up), ("2_b.down.sql", *down)]),
                None => files.push(("2_b.sql", *up)),
            }
            let found = check(Dialect::Postgres, &files, "enum-value-not-removable");
            assert_eq!(!found.is_empty(), *flagged, "{up}\n{down:?}\n{found}");
        }
    }
}
