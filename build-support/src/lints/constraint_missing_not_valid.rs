//! ## What it does
//! Flags `ALTER TABLE … ADD CONSTRAINT … CHECK` or `FOREIGN KEY` on a table that existed
//! before the migration without `NOT VALID` (PostgreSQL only); and, in an up script that runs
//! in a transaction, a `VALIDATE CONSTRAINT` of a constraint the same transaction added
//! `NOT VALID`.
//!
//! ## Why is this bad?
//! Adding the constraint checks every existing row while holding the lock of the `ADD`:
//! ACCESS EXCLUSIVE for a CHECK (no reads or writes), SHARE ROW EXCLUSIVE on both tables for a
//! foreign key (no writes). Added `NOT VALID`, it is checked for new rows only and the `ADD`
//! is instant; `VALIDATE CONSTRAINT` then checks the old rows under SHARE UPDATE EXCLUSIVE,
//! which blocks neither reads nor writes. But the locks of the `ADD` are held until its
//! transaction commits, so a `VALIDATE` in the same transaction scans under them and nothing
//! is gained. A table the same migration creates is empty and not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
//! ```
//! and in a later migration (or a `-- migrate:no-transaction` script):
//! ```sql
//! ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
//! ```

use std::collections::HashMap;

use super::{Cx, Level, Rule, RuleId, Script};
use crate::effects::pg_object_name;
use crate::finding::Finding;
use crate::model::{Effect, ObjectKind};
use crate::sql::{Alter, ConstraintKind};
use crate::{Dialect, Op, ParsedStatement};

pub(super) const RULE: Rule = Rule {
    id: RuleId::ConstraintMissingNotValid,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    let in_transaction = !cx.migration.up.directives.no_transaction;
    // Constraints added NOT VALID to an existing table in this transaction: (table, name) →
    // the statement.
    let mut added_not_valid: HashMap<(&str, String), usize> = HashMap::new();
    for (index, statement) in cx.facts.up.statements.iter().enumerate() {
        for op in &statement.ops {
            let Op::Alter { table, action } = op else {
                continue;
            };
            if !cx.existed_before(table) {
                continue;
            }
            match action {
                Alter::AddConstraint {
                    name,
                    kind: kind @ (ConstraintKind::Check { .. } | ConstraintKind::ForeignKey { .. }),
                    not_valid: false,
                } => {
                    let (what, lock) = match kind {
                        ConstraintKind::ForeignKey { references } => (
                            "FOREIGN KEY",
                            format!("SHARE ROW EXCLUSIVE on {table} and {references} (no writes)"),
                        ),
                        _ => (
                            "CHECK",
                            format!("ACCESS EXCLUSIVE on {table} (no reads or writes)"),
                        ),
                    };
                    let named = name.as_ref().map_or(String::new(), |n| format!(" {n}"));
                    out.push(
                        cx.at_statement(
                            RULE.id,
                            Script::Up,
                            index,
                            format!(
                                "adding the {what} constraint{named} to the existing table {table} checks every row while holding {lock}"
                            ),
                            "checks every row",
                        )
                        .with_help("add it with NOT VALID (checked for new rows only, no scan), then `ALTER TABLE … VALIDATE CONSTRAINT …` in a later migration or a `-- migrate:no-transaction` script, which blocks no reads or writes"),
                    );
                }
                Alter::AddConstraint {
                    name,
                    kind: kind @ (ConstraintKind::Check { .. } | ConstraintKind::ForeignKey { .. }),
                    not_valid: true,
                } if in_transaction => {
                    if let Some(name) = added_name(table, name.as_deref(), kind, statement) {
                        added_not_valid.insert((table.as_str(), name), index);
                    }
                }
                Alter::ValidateConstraint { name } => {
                    let Some(&added_at) = added_not_valid.get(&(table.as_str(), name.clone()))
                    else {
                        continue;
                    };
                    out.push(
                        cx.at_statement(
                            RULE.id,
                            Script::Up,
                            index,
                            format!(
                                "{name} is validated in the transaction that added it NOT VALID (line {}): the scan runs while the lock of the ADD is still held, so NOT VALID gained nothing",
                                cx.up_line(added_at)
                            ),
                            "validated under the ADD's lock",
                        )
                        .with_help("validate it in a later migration, or in a `-- migrate:no-transaction` script, where each statement commits on its own"),
                    );
                }
                _ => {}
            }
        }
    }
}

/// The name of a constraint an `ALTER TABLE` adds to `table`: the one written, else the one
/// PostgreSQL chooses (`<table>_<column>_check` for a `CHECK (column IS NOT NULL)`; as the
/// schema model has it when the statement creates only one constraint).
pub(super) fn added_name(
    table: &str,
    written: Option<&str>,
    kind: &ConstraintKind,
    statement: &ParsedStatement,
) -> Option<String> {
    if let Some(name) = written {
        return Some(name.to_owned());
    }
    if let ConstraintKind::Check {
        not_null: Some(column),
    } = kind
    {
        return Some(pg_object_name(table, Some(column), "check"));
    }
    let mut created = statement.effects.iter().filter_map(|e| match e {
        Effect::Create { object, .. } if object.kind == ObjectKind::Constraint => {
            Some(object.name.clone())
        }
        _ => None,
    });
    let first = created.next()?;
    created.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let tables = (
            "1_tables.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);\nCREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT, total INT);",
        );
        let tables_down = ("1_tables.down.sql", "DROP TABLE orders;\nDROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "constraint-missing-not-valid",
            &[
                tables,
                tables_down,
                (
                    "2_fk.up.sql",
                    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE orders ADD CHECK (total >= 0);"
                ),
                (
                    "2_fk.down.sql",
                    "ALTER TABLE orders DROP CONSTRAINT orders_total_check;\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;"
                ),
                // NOT VALID, then validated under the same lock.
                (
                    "3_check.up.sql",
                    "ALTER TABLE orders ADD CHECK (user_id > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_check;"
                ),
                (
                    "3_check.down.sql",
                    "ALTER TABLE orders DROP CONSTRAINT orders_user_id_check;"
                ),
            ],
            &[
                tables,
                tables_down,
                (
                    "2_fk.up.sql",
                    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders ADD CHECK (total >= 0) NOT VALID;\nCREATE TABLE refunds (id BIGINT PRIMARY KEY, order_id BIGINT);\nALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);"
                ),
                (
                    "2_fk.down.sql",
                    "DROP TABLE refunds;\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;"
                ),
                // Validated in a later migration, and in a script without a transaction.
                (
                    "3_validate.up.sql",
                    "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;"
                ),
                ("3_validate.down.sql", "SELECT 1;"),
                (
                    "4_check.up.sql",
                    "-- migrate:no-transaction\nALTER TABLE orders ADD CONSTRAINT orders_id_check CHECK (id > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_id_check;"
                ),
                (
                    "4_check.down.sql",
                    "ALTER TABLE orders DROP CONSTRAINT orders_id_check;"
                ),
            ]
        ));
    }
}
