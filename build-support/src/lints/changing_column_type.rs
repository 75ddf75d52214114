//! ## What it does
//! Flags an up script that changes the type of a column of a table that existed before the
//! migration (`ALTER COLUMN … TYPE`).
//!
//! ## Why is this bad?
//! The release of the application still running during the deploy reads and writes the
//! column as its old type: values that no longer fit, changed precision or a different text
//! form break it until the last old instance stops. On PostgreSQL most type changes also
//! rewrite the table and its indexes under an ACCESS EXCLUSIVE lock. A column of a table the
//! same migration created is not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE invoices ALTER COLUMN amount TYPE NUMERIC(12, 2);
//! ```
//!
//! ## Use instead
//! Add a column of the new type, write both and backfill in one release, read the new one in
//! the next, then drop the old one; or, if no running code depends on the type, say so:
//! ```sql
//! -- migrate:allow changing-column-type amount is only written by the nightly import
//! ALTER TABLE invoices ALTER COLUMN amount TYPE NUMERIC(12, 2);
//! ```

use super::column_change_not_reverted::column_changes;
use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::model::ObjectId;

pub(super) const RULE: Rule = Rule {
    id: RuleId::ChangingColumnType,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        let Some((table, changed)) = column_changes(statement, cx.dialect) else {
            continue;
        };
        if !cx.existed_before(&table) {
            continue;
        }
        for (column, what) in changed {
            // A column this migration adds is not in use yet, even on an existing table.
            if what != "changes its type" || cx.made_by(index, &ObjectId::column(&table, &column)) {
                continue;
            }
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "the up script changes the type of the existing column {table}.{column}: the release still running during the deploy uses the old type"
                    ),
                    "changes a column's type",
                )
                .with_help("add a column of the new type and move over in steps, or say that no running code depends on the type: `-- migrate:allow changing-column-type <reason>`"),
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
        let invoices = (
            "1_invoices.up.sql",
            "CREATE TABLE invoices (id BIGINT PRIMARY KEY, amount INTEGER);",
        );
        let invoices_down = ("1_invoices.down.sql", "DROP TABLE invoices;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "changing-column-type",
            &[
                invoices,
                invoices_down,
                (
                    "2_amount.up.sql",
                    "ALTER TABLE invoices ALTER COLUMN amount TYPE NUMERIC(12, 2);"
                ),
                (
                    "2_amount.down.sql",
                    "ALTER TABLE invoices ALTER COLUMN amount TYPE INTEGER;"
                ),
            ],
            &[
                invoices,
                invoices_down,
                // A default is not a type; a column or table made by the same migration is not in use.
                (
                    "2_amount.up.sql",
                    "ALTER TABLE invoices ALTER COLUMN amount SET DEFAULT 0;\nALTER TABLE invoices ADD COLUMN cents INTEGER;\nALTER TABLE invoices ALTER COLUMN cents TYPE BIGINT;\nCREATE TABLE refunds (id BIGINT PRIMARY KEY, amount INTEGER);\nALTER TABLE refunds ALTER COLUMN amount TYPE BIGINT;"
                ),
                (
                    "2_amount.down.sql",
                    "DROP TABLE refunds;\nALTER TABLE invoices DROP COLUMN cents;\nALTER TABLE invoices ALTER COLUMN amount DROP DEFAULT;"
                ),
            ]
        ));
    }
}
