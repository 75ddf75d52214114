//! ## What it does
//! Flags a down script with no up script of the same version and name.
//!
//! ## Why is this bad?
//! It is never run: usually its up script was renamed or deleted and the down was forgotten,
//! or the pair's names do not match, so the migration looks irreversible when it is not.
//!
//! ## Example
//! ```text
//! migrations/20240101120000_create_users.up.sql
//! migrations/20240101120000_create_user.down.sql
//! ```
//!
//! ## Use instead
//! ```text
//! migrations/20240101120000_create_users.up.sql
//! migrations/20240101120000_create_users.down.sql
//! ```

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::OrphanDown);

bad_and_good_test!(
    Postgres,
    "orphan-down",
    &[("1_a.up.sql", ""), ("1_b.down.sql", "")],
    &[("1_a.up.sql", ""), ("1_a.down.sql", "")]
);
