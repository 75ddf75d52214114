//! ## What it does
//! Flags a name longer than 63 bytes given to an object an up script creates or renames
//! (PostgreSQL only).
//!
//! ## Why is this bad?
//! PostgreSQL keeps only the first 63 bytes of an identifier (`NAMEDATALEN - 1`) and says so
//! only in a notice. Two long names that start alike become the same name: the second
//! `CREATE` fails, or a later `DROP` or `ALTER` written with the full name acts on the other
//! object. The name in the catalog (in `pg_dump`, error messages, schema-diff tools) is not the
//! one the migrations and the application wrote.
//!
//! PostgreSQL cuts the name the same way wherever it is written, so a long name alone creates,
//! alters and drops the object it means (`verify` passes); the error is for the collision a
//! second name with the same first 63 bytes makes, which no round trip of one migration shows.
//!
//! ## Example
//! ```sql
//! CREATE INDEX customer_invoices_billing_address_postal_code_and_country_code_idx
//!     ON customer_invoices (billing_postal_code, billing_country_code);
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE INDEX customer_invoices_billing_postal_country_idx
//!     ON customer_invoices (billing_postal_code, billing_country_code);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;
use crate::model::Effect;

pub(super) const RULE: Rule = Rule {
    id: RuleId::IdentifierTooLong,
    default: Level::Deny,
    check: Some(check),
};

/// The longest identifier PostgreSQL keeps whole, in bytes.
const MAX_BYTES: usize = 63;

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        for effect in &statement.effects {
            let object = match effect {
                Effect::Create { object, .. } | Effect::Rename { to: object, .. } => object,
                _ => continue,
            };
            let bytes = object.name.len();
            if bytes <= MAX_BYTES {
                continue;
            }
            let mut cut = MAX_BYTES;
            while !object.name.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "the {} name `{}` is {bytes} bytes: PostgreSQL keeps only the first {MAX_BYTES}, `{}`",
                        object.kind.as_str(),
                        object.name,
                        &object.name[..cut]
                    ),
                    "name longer than 63 bytes",
                )
                .with_help("choose a name of at most 63 bytes, so that the name in the catalog is the one you wrote"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let long = "x".repeat(60);
        let bad_up = format!(
            "CREATE TABLE orders (id BIGINT PRIMARY KEY, placed_at TIMESTAMPTZ);\nCREATE INDEX orders_placed_at_{long} ON orders (placed_at);\nALTER TABLE orders RENAME COLUMN placed_at TO placed_at_{long};"
        );
        // PostgreSQL's own name for the UNIQUE constraint would be 64 bytes; it cuts its own
        // names to fit, so only the names written in the script count.
        let wide = format!("customer_invoices_{}", "y".repeat(40));
        let good_up = format!(
            "CREATE TABLE orders (id BIGINT PRIMARY KEY, placed_at TIMESTAMPTZ);\nCREATE INDEX orders_placed_at_idx ON orders (placed_at);\nCREATE TABLE {wide} (id BIGINT PRIMARY KEY, n BIGINT UNIQUE);"
        );
        let good_down = format!("DROP TABLE {wide};\nDROP TABLE orders;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "identifier-too-long",
            &[
                ("1_orders.up.sql", bad_up.as_str()),
                ("1_orders.down.sql", "DROP TABLE orders;"),
            ],
            &[
                ("1_orders.up.sql", good_up.as_str()),
                ("1_orders.down.sql", good_down.as_str()),
            ]
        ));
    }
}
