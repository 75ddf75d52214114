//! ## What it does
//! Flags a migration whose up defines an existing view or function anew (`CREATE OR REPLACE`,
//! or dropped and created again) when its down does not define it again as it was: it leaves
//! the up's definition, or (a function) creates it with another body than the one before the
//! up. A function the up drops that the down creates again must get its earlier body too.
//!
//! ## Why is this bad?
//! After the down the schema is not what it was: the view returns the up's columns, the
//! function runs the up's code, and whatever the previous migrations expected of them is gone
//! until the next `up`.
//!
//! ## Example
//! ```sql
//! -- 20240101000000_round_totals.up.sql
//! CREATE OR REPLACE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT round(a) $$;
//! -- 20240101000000_round_totals.down.sql
//! -- (nothing about total)
//! ```
//!
//! ## Use instead
//! ```sql
//! -- 20240101000000_round_totals.down.sql
//! CREATE OR REPLACE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT a $$;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DefinitionNotRestored,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object, down) in &cx.facts.redefinitions_not_restored {
        let finding = match down {
            None => cx
                .at_statement(
                    RULE.id,
                    Script::Up,
                    *index,
                    format!("{object} is defined anew here and the down script does not define it again: it keeps this definition after the down"),
                    format!("defines {object} anew"),
                )
                .with_help(format!(
                    "in the down script, create {object} again as the migration before this one left it (`CREATE OR REPLACE …` with its previous definition)"
                )),
            Some(k) => {
                let what = if object.kind == ObjectKind::View { "definition" } else { "body" };
                cx
                .at_statement(
                    RULE.id,
                    Script::Down,
                    *k,
                    format!("{object} is created here with another {what} than the one it had before the up script"),
                    format!("another {what} than before the up"),
                )
                .with_help(format!(
                    "give {object} the {what} it had before this migration (the one the latest earlier migration that defines it gave it)"
                ))
            }
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (the second migration's up and down, whether it is flagged): the first creates `price`,
    /// `total` and `cheap`.
    #[test]
    fn redefinitions_must_be_restored() {
        let first = (
            "1_a.up.sql",
            "CREATE TABLE price (amount numeric);\nCREATE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT a $$;\nCREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 10;",
        );
        let first_down = (
            "1_a.down.sql",
            "DROP VIEW cheap;\nDROP FUNCTION total(numeric);\nDROP TABLE price;",
        );
        let replace_fn = "CREATE OR REPLACE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT round(a) $$;";
        let old_fn = "CREATE OR REPLACE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $body$ SELECT a $body$;";
        let wrong_fn = "CREATE OR REPLACE FUNCTION total(a numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT a + 0 $$;";
        let cases: &[(&str, &str, bool)] = &[
            (replace_fn, "SELECT 1;", true),
            (replace_fn, old_fn, false),
            (replace_fn, wrong_fn, true),
            (
                "DROP VIEW cheap;\nCREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 5;",
                "SELECT 1;",
                true,
            ),
            (
                "CREATE OR REPLACE VIEW cheap AS SELECT amount FROM price WHERE amount < 5;",
                "CREATE OR REPLACE VIEW cheap AS SELECT amount FROM price WHERE amount < 10;",
                false,
            ),
            // Dropped by the up: a down that creates it again gives it its earlier body.
            ("DROP FUNCTION total(numeric);", wrong_fn, true),
            ("DROP FUNCTION total(numeric);", old_fn, false),
            (
                "DROP FUNCTION total(numeric);",
                "CREATE FUNCTION total(b numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT a * 2 $$;",
                true,
            ),
            // A view given back another query than before the up (also when the up dropped
            // it); spacing and keyword case do not count.
            (
                "DROP VIEW cheap;\nCREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 5;",
                "DROP VIEW cheap;\nCREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 20;",
                true,
            ),
            (
                "DROP VIEW cheap;\nCREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 5;",
                "DROP VIEW cheap;\ncreate view cheap as\n  select amount\n  from price\n  where amount < 10;",
                false,
            ),
            (
                "DROP VIEW cheap;",
                "CREATE VIEW cheap AS SELECT amount * 2 AS amount FROM price;",
                true,
            ),
            (
                "DROP VIEW cheap;",
                "CREATE VIEW cheap AS SELECT amount FROM price WHERE amount < 10;",
                false,
            ),
            // New here: the down drops it, which other rules judge.
            (
                "CREATE OR REPLACE FUNCTION fresh() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
                "DROP FUNCTION fresh();",
                false,
            ),
        ];
        for (up, down, flagged) in cases {
            let files = [
                first,
                first_down,
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(Dialect::Postgres, &files, "definition-not-restored");
            assert_eq!(!found.is_empty(), *flagged, "{up}\n{down}\n{found}");
        }
    }
}
