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

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::InvalidFileName);

bad_and_good_test!(
    Postgres,
    "invalid-file-name",
    &[("create-users.sql", "SELECT 1;")],
    &[("1_create_users.sql", "SELECT 1;"), ("notes.md", "x")]
);
