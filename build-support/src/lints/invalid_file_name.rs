//! ## What it does
//! Flags a `.sql` file in the migrations directory whose name is not a migration name:
//! `<VERSION>_<slug>.up.sql`, `<VERSION>_<slug>.down.sql` or `<VERSION>_<slug>.sql`, where
//! VERSION is a positive integer that fits in 64 bits and the slug is `[a-z0-9_]+`.
//!
//! ## Why is this bad?
//! A file the tool cannot name is a migration that would never run. Silently skipping it is how
//! a schema change gets lost; guessing its place in the order is how it runs at the wrong time.
//!
//! ## Example
//! ```text
//! migrations/add-users.sql
//! migrations/20240101120000_Create-Users.up.sql
//! ```
//!
//! ## Use instead
//! ```text
//! migrations/20240101120000_create_users.up.sql
//! migrations/20240101120000_create_users.down.sql
//! ```
//! `cargo migrate new <name>` writes a well-named pair.

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::InvalidFileName,
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
            &[("create-users.sql", "SELECT 1;")],
            "invalid-file-name"
        ));
        assert_eq!(
            check(
                Dialect::Postgres,
                &[("1_create_users.sql", "SELECT 1;"), ("notes.md", "x")],
                "invalid-file-name"
            ),
            ""
        );
    }
}
