//! ## What it does
//! Flags two migrations with the same version. Versions compare as numbers, so `0001_a` and
//! `1_b` share version 1.
//!
//! ## Why is this bad?
//! The tracking table records a version once: one of the two would be taken for applied while
//! it never ran. Equal versions usually come from two branches created in the same second.
//!
//! ## Example
//! ```text
//! migrations/20240101120000_create_users.up.sql
//! migrations/20240101120000_create_orders.up.sql
//! ```
//!
//! ## Use instead
//! ```text
//! migrations/20240101120000_create_users.up.sql
//! migrations/20240101120001_create_orders.up.sql
//! ```

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::DuplicateVersion);

bad_and_good_test!(
    Postgres,
    "duplicate-version",
    &[("1_a.up.sql", ""), ("01_b.up.sql", "")],
    &[("1_a.up.sql", ""), ("2_b.up.sql", "")]
);
