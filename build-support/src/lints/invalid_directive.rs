//! ## What it does
//! Flags a `-- migrate:` directive that is unknown, incomplete, or in the wrong script:
//! `irreversible` needs a reason, `allow` needs a rule id and a reason, and only
//! `no-transaction` may stand in a down script.
//!
//! ## Why is this bad?
//! A mistyped directive does nothing, silently: `-- migrate:no-transactoin` leaves a
//! `CREATE INDEX CONCURRENTLY` inside a transaction, where it fails at deploy time.
//!
//! ## Example
//! ```sql
//! -- migrate:no-transactoin
//! -- migrate:irreversible
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! -- migrate:irreversible the old rows are archived in cold storage
//! ```

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::InvalidDirective,
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
                "-- migrate:irreversible\n-- migrate:nope\nSELECT 1;\n"
            )],
            "invalid-directive"
        ));
        assert_eq!(
            check(
                Dialect::Postgres,
                &[(
                    "1_a.sql",
                    "-- migrate:irreversible it seeds data\nSELECT 1;\n"
                )],
                "invalid-directive"
            ),
            ""
        );
    }
}
