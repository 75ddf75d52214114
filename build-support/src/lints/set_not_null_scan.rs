//! ## What it does
//! Flags `ALTER TABLE … ALTER COLUMN … SET NOT NULL` on a table that existed before the
//! migration (PostgreSQL only), unless a validated `CHECK (column IS NOT NULL)` on the table
//! proves it: one added without `NOT VALID`, or added `NOT VALID` and validated, by an
//! earlier migration or an earlier statement of this one, and not dropped since (PostgreSQL
//! 12 and later; before 12 it is always flagged). A CHECK written inside a `CREATE TABLE` is
//! not counted.
//!
//! ## Why is this bad?
//! `SET NOT NULL` reads every row to find a NULL while holding ACCESS EXCLUSIVE: no query
//! reads or writes the table until the scan is done. Since PostgreSQL 12 a valid CHECK
//! constraint that proves the column has no NULL lets it skip the scan, and such a
//! constraint can be added `NOT VALID` (instant) and validated under SHARE UPDATE EXCLUSIVE,
//! which blocks neither reads nor writes. A table the same migration creates is empty and
//! not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ALTER COLUMN email SET NOT NULL;
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
//! ```
//! and in the next migration:
//! ```sql
//! ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
//! ALTER TABLE users ALTER COLUMN email SET NOT NULL;
//! ALTER TABLE users DROP CONSTRAINT users_email_not_null;
//! ```

use std::collections::HashMap;

use super::constraint_missing_not_valid::added_name;
use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::ServerVersion;
use crate::sql::{Alter, ConstraintKind};
use crate::{Dialect, Op, ParsedStatement};

pub(super) const RULE: Rule = Rule {
    id: RuleId::SetNotNullScan,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    let statements = &cx.facts.up.statements;
    let flagged = |op: &Op| matches!(op, Op::Alter { table, action: Alter::SetNotNull { .. } } if cx.existed_before(table));
    if !statements.iter().flat_map(|s| &s.ops).any(flagged) {
        return;
    }
    let uses_checks = cx.version >= ServerVersion::new(12, 0, 0);
    let mut checks = NotNullChecks::default();
    for statement in cx.history.iter().flat_map(|f| &f.up.statements) {
        for op in &statement.ops {
            checks.apply(op, statement);
        }
    }
    for (index, statement) in statements.iter().enumerate() {
        for op in &statement.ops {
            checks.apply(op, statement);
            let Op::Alter {
                table,
                action: Alter::SetNotNull { column },
            } = op
            else {
                continue;
            };
            if !flagged(op) || (uses_checks && checks.proves(table, column)) {
                continue;
            }
            let help = if let Some(name) = checks.unvalidated(table, column).filter(|_| uses_checks)
            {
                format!(
                    "validate {name} before it (in this migration or an earlier one): `ALTER TABLE {table} VALIDATE CONSTRAINT {name};` blocks no reads or writes, and SET NOT NULL then skips the scan"
                )
            } else if uses_checks {
                format!(
                    "prove it first: `ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_not_null CHECK ({column} IS NOT NULL) NOT VALID;`, then in the next migration `ALTER TABLE {table} VALIDATE CONSTRAINT {table}_{column}_not_null;` (no reads or writes blocked), `ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;` (no scan) and `ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_not_null;`"
                )
            } else {
                format!(
                    "PostgreSQL {} scans whatever constraints say; from 12 on, a validated `CHECK ({column} IS NOT NULL)` lets SET NOT NULL skip the scan",
                    cx.version
                )
            };
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    index,
                    format!(
                        "SET NOT NULL on {table}.{column} reads every row of the existing table {table} while holding ACCESS EXCLUSIVE: no reads or writes until the scan is done"
                    ),
                    "scans under ACCESS EXCLUSIVE",
                )
                .with_help(help),
            );
        }
    }
}

/// The `CHECK (column IS NOT NULL)` constraints the replayed statements leave, by table and
/// name: the column, and whether the constraint is validated.
#[derive(Default)]
struct NotNullChecks {
    by_name: HashMap<(String, String), (String, bool)>,
}

impl NotNullChecks {
    fn apply(&mut self, op: &Op, statement: &ParsedStatement) {
        match op {
            Op::Alter { table, action } => match action {
                Alter::AddConstraint {
                    name,
                    kind:
                        kind @ ConstraintKind::Check {
                            not_null: Some(column),
                        },
                    not_valid,
                } => {
                    if let Some(name) = added_name(table, name.as_deref(), kind, statement) {
                        self.by_name
                            .insert((table.clone(), name), (column.clone(), !not_valid));
                    }
                }
                Alter::ValidateConstraint { name } => {
                    if let Some(check) = self.by_name.get_mut(&(table.clone(), name.clone())) {
                        check.1 = true;
                    }
                }
                Alter::DropConstraint { name, .. } => {
                    self.by_name.remove(&(table.clone(), name.clone()));
                }
                _ => {}
            },
            Op::DropTable { table, .. } | Op::CreateTable { table, .. } => {
                self.by_name.retain(|(t, _), _| t != table);
            }
            _ => {}
        }
    }

    /// A check of the column on the table that is still `NOT VALID`.
    fn unvalidated(&self, table: &str, column: &str) -> Option<&str> {
        self.by_name
            .iter()
            .find(|((t, _), (c, valid))| t == table && c == column && !*valid)
            .map(|((_, name), _)| name.as_str())
    }

    fn proves(&self, table: &str, column: &str) -> bool {
        self.by_name
            .iter()
            .any(|((t, _), (c, valid))| t == table && c == column && *valid)
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, name TEXT, bio TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "set-not-null-scan",
            &[
                users,
                users_down,
                // A check still NOT VALID proves nothing; one on another column neither.
                (
                    "2_check.up.sql",
                    "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ADD CHECK (name IS NOT NULL);"
                ),
                (
                    "2_check.down.sql",
                    "ALTER TABLE users DROP CONSTRAINT users_name_check;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;"
                ),
                (
                    "3_not_null.up.sql",
                    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN bio SET NOT NULL;"
                ),
                (
                    "3_not_null.down.sql",
                    "ALTER TABLE users ALTER COLUMN bio DROP NOT NULL;\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;"
                ),
            ],
            &[
                users,
                users_down,
                (
                    "2_check.up.sql",
                    "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ADD CHECK (name IS NOT NULL) NOT VALID;"
                ),
                (
                    "2_check.down.sql",
                    "ALTER TABLE users DROP CONSTRAINT users_name_check;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;"
                ),
                // Validated (one by the name PostgreSQL chose), then SET NOT NULL scans
                // nothing; a new table's column is not flagged.
                (
                    "3_not_null.up.sql",
                    "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;\nALTER TABLE users VALIDATE CONSTRAINT users_name_check, ALTER COLUMN name SET NOT NULL;\nCREATE TABLE notes (id BIGINT, body TEXT);\nALTER TABLE notes ALTER COLUMN body SET NOT NULL;"
                ),
                (
                    "3_not_null.down.sql",
                    "DROP TABLE notes;\nALTER TABLE users ALTER COLUMN name DROP NOT NULL;\nALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL);\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;"
                ),
            ]
        ));
    }
}
