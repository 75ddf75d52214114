//! ## What it does
//! Flags a column defined as `TIMESTAMP` without time zone in a `CREATE TABLE` or `ALTER
//! TABLE … ADD COLUMN` (PostgreSQL only). `allow` by default: a style a team opts into.
//!
//! ## Why is this bad?
//! A `TIMESTAMP` is a wall-clock reading with no zone: the same value means another instant
//! for every client whose `TimeZone` differs, and arithmetic across a daylight-saving change
//! is off by an hour. `TIMESTAMPTZ` stores the instant (as UTC) and shows it in the session's
//! zone, in the same eight bytes.
//!
//! ## Example
//! ```sql
//! CREATE TABLE events (id BIGINT PRIMARY KEY, happened_at TIMESTAMP);
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE events (id BIGINT PRIMARY KEY, happened_at TIMESTAMPTZ);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::PreferTimestamptz,
    default: Level::Allow,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, column, data_type) in cx.up_new_columns() {
        // `timestamp`, `timestamp(3)`, `timestamp without time zone`; not `timestamptz` nor
        // `timestamp with time zone`.
        let zoned = data_type.starts_with("timestamptz") || data_type.contains(" with time zone");
        if !data_type.starts_with("timestamp") || zoned {
            continue;
        }
        let written = data_type.to_ascii_uppercase();
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "column {column} is {written}: a time without its zone means another instant to every client in another time zone"
                ),
                format!("{column} {written}"),
            )
            .with_help("use TIMESTAMPTZ (timestamp with time zone)"),
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
                "CREATE TABLE events (id BIGINT PRIMARY KEY, happened_at TIMESTAMP);\nALTER TABLE events ADD COLUMN seen_at TIMESTAMP(3) WITHOUT TIME ZONE;",
            ),
            ("1_init.down.sql", "SELECT 1;"),
        ];
        insta::assert_snapshot!(allowed_bad_not_good(
            "prefer-timestamptz",
            &bad,
            &[
                (
                    "1_init.up.sql",
                    "CREATE TABLE events (id BIGINT PRIMARY KEY, happened_at TIMESTAMPTZ);\nALTER TABLE events ADD COLUMN seen_at TIMESTAMP(3) WITH TIME ZONE;"
                ),
                ("1_init.down.sql", "SELECT 1;"),
            ]
        ));
    }
}
