//! ## What it does
//! Flags a column defined as `VARCHAR(n)` (`CHARACTER VARYING(n)`) in a `CREATE TABLE` or
//! `ALTER TABLE … ADD COLUMN` (PostgreSQL only). `allow` by default: a style a team opts
//! into.
//!
//! ## Why is this bad?
//! PostgreSQL stores `TEXT` and `VARCHAR(n)` the same way; the limit only makes changing it
//! later an `ALTER COLUMN … TYPE` under an ACCESS EXCLUSIVE lock (a lower limit rewrites the
//! table). A `CHECK` constraint states the same limit and can be replaced without blocking
//! (added `NOT VALID`, then validated).
//!
//! ## Example
//! ```sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255));
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE users (
//!     id BIGINT PRIMARY KEY,
//!     email TEXT CONSTRAINT users_email_length CHECK (char_length(email) <= 255)
//! );
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::PreferTextField,
    default: Level::Allow,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, column, data_type) in cx.up_new_columns() {
        let Some(limit) = ["varchar(", "character varying("]
            .iter()
            .find_map(|prefix| data_type.strip_prefix(prefix)?.strip_suffix(')'))
        else {
            continue;
        };
        let written = data_type.to_ascii_uppercase();
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "column {column} is {written}: changing its limit later takes an ACCESS EXCLUSIVE lock on the table (a lower one rewrites it)"
                ),
                format!("{column} {written}"),
            )
            .with_help(format!(
                "use TEXT, with `CHECK (char_length({column}) <= {limit})` if the limit matters"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lints::test_support::allowed_bad_not_good;

    #[test]
    fn bad_and_good() {
        let bad = [
            (
                "1_init.up.sql",
                "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255));\nALTER TABLE users ADD COLUMN name CHARACTER VARYING(100);",
            ),
            ("1_init.down.sql", "SELECT 1;"),
        ];
        insta::assert_snapshot!(allowed_bad_not_good(
            "prefer-text-field",
            &bad,
            &[
                (
                    "1_init.up.sql",
                    "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT CHECK (char_length(email) <= 255));\nALTER TABLE users ADD COLUMN name VARCHAR;"
                ),
                ("1_init.down.sql", "SELECT 1;"),
            ]
        ));
    }
}
