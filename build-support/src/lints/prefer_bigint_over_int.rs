//! ## What it does
//! Flags a column defined as `INTEGER`, `SMALLINT` or `SERIAL` (and their aliases) in a
//! `CREATE TABLE` or `ALTER TABLE … ADD COLUMN` (PostgreSQL only). `allow` by default: a style
//! a team opts into.
//!
//! ## Why is this bad?
//! A 32-bit id or counter runs out at 2,147,483,647 (a 16-bit one at 32,767), usually years
//! later on the busiest table, and making it `BIGINT` then rewrites the table and its indexes
//! under an ACCESS EXCLUSIVE lock. Four more bytes a row cost little.
//!
//! ## Example
//! ```sql
//! CREATE TABLE orders (id SERIAL PRIMARY KEY, quantity INTEGER);
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, quantity BIGINT);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::PreferBigintOverInt,
    default: Level::Allow,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, column, data_type) in cx.up_new_columns() {
        let (limit, instead) = match data_type.as_str() {
            "int" | "integer" | "int4" => ("2,147,483,647", "BIGINT"),
            "serial" | "serial4" => ("2,147,483,647", "BIGSERIAL"),
            "smallint" | "int2" => ("32,767", "BIGINT"),
            "smallserial" | "serial2" => ("32,767", "BIGSERIAL"),
            _ => continue,
        };
        let written = data_type.to_ascii_uppercase();
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "column {column} is {written}: it runs out at {limit}, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock"
                ),
                format!("{column} {written}"),
            )
            .with_help(format!("use {instead}")),
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
                "CREATE TABLE orders (id SERIAL PRIMARY KEY, quantity INTEGER);\nALTER TABLE orders ADD COLUMN rank SMALLINT;",
            ),
            ("1_init.down.sql", "SELECT 1;"),
        ];
        insta::assert_snapshot!(allowed_bad_not_good(
            "prefer-bigint-over-int",
            &bad,
            &[
                (
                    "1_init.up.sql",
                    "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, quantity BIGINT);\nALTER TABLE orders ADD COLUMN rank BIGINT;"
                ),
                ("1_init.down.sql", "SELECT 1;"),
            ]
        ));
    }
}
