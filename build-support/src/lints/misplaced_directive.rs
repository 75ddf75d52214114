//! ## What it does
//! Flags a `-- migrate:` directive written after the first statement of a script.
//!
//! ## Why is this bad?
//! Directives are read from the comment block at the top of the file only; one further down has
//! no effect, whatever it says.
//!
//! ## Example
//! ```sql
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! -- migrate:no-transaction
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::MisplacedDirective,
    default: Level::Deny,
    check: None, // reported while loading the set
};

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn bad_and_good() {
        insta::assert_snapshot!(check(
            Dialect::Postgres,
            &[(
                "1_a.sql",
                "-- migrate:irreversible seed\nSELECT 1;\n-- migrate:no-transaction\n"
            )],
            "misplaced-directive"
        ));
        assert_eq!(
            check(
                Dialect::Postgres,
                &[(
                    "1_a.sql",
                    "-- migrate:no-transaction\n-- migrate:irreversible seed\nSELECT 1;\n"
                )],
                "misplaced-directive"
            ),
            ""
        );
    }
}
