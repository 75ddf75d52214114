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

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::InvalidDirective);

bad_and_good_test!(
    Postgres,
    "invalid-directive",
    &[(
        "1_a.sql",
        "-- migrate:irreversible\n-- migrate:nope\nSELECT 1;\n"
    )],
    &[(
        "1_a.sql",
        "-- migrate:irreversible it seeds data\nSELECT 1;\n"
    )]
);
