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

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::MisplacedDirective);

bad_and_good_test!(
    Postgres,
    "misplaced-directive",
    &[(
        "1_a.sql",
        "-- migrate:irreversible seed\nSELECT 1;\n-- migrate:no-transaction\n"
    )],
    &[(
        "1_a.sql",
        "-- migrate:no-transaction\n-- migrate:irreversible seed\nSELECT 1;\n"
    )]
);
