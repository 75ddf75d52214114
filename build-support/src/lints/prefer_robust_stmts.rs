//! ## What it does
//! Flags, in a script marked `-- migrate:no-transaction`, a `CREATE TABLE` or `CREATE INDEX`
//! without `IF NOT EXISTS` and a `DROP TABLE` or `DROP INDEX` without `IF EXISTS`
//! (PostgreSQL only).
//!
//! ## Why is this bad?
//! Without a transaction, a script that fails halfway leaves its first statements applied.
//! Running it again after the fix then fails on the first of them (`relation already exists`,
//! `does not exist`) instead of carrying on where it stopped. A `CREATE INDEX CONCURRENTLY`
//! that failed leaves an invalid index behind under its name, which `IF NOT EXISTS` would
//! then keep: drop it first with `DROP INDEX CONCURRENTLY IF EXISTS` (an index created after
//! such a drop in the same script is not flagged).
//!
//! ## Example
//! ```sql
//! -- migrate:no-transaction
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```

use std::collections::HashSet;

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::finding::Finding;
use crate::model::{Effect, ObjectId, ObjectKind};

pub(super) const RULE: Rule = Rule {
    id: RuleId::PreferRobustStmts,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for script in [Script::Up, Script::Down] {
        let (Some(file), Some(parsed)) = (cx.file(script), cx.parsed(script)) else {
            continue;
        };
        if !file.directives.no_transaction {
            continue;
        }
        // Objects the script drops with IF EXISTS: creating one afterwards is a re-run-safe
        // rebuild (the way to redo a failed concurrent index build).
        let mut cleared: HashSet<&ObjectId> = HashSet::new();
        for (index, statement) in parsed.statements.iter().enumerate() {
            // The statement's own object is the first it creates or drops (a CREATE TABLE's
            // columns and constraints come after the table, a CREATE INDEX uses its table first).
            let own = statement
                .effects
                .iter()
                .find(|e| matches!(e, Effect::Create { .. } | Effect::Drop { .. }));
            let fragile = match own {
                Some(Effect::Create {
                    object,
                    if_not_exists: false,
                    or_replace: false,
                    ..
                }) if matches!(object.kind, ObjectKind::Table | ObjectKind::Index)
                    && !cleared.contains(object) =>
                {
                    Some(("create", object, "IF NOT EXISTS"))
                }
                Some(Effect::Drop {
                    object,
                    if_exists: true,
                    ..
                }) => {
                    cleared.insert(object);
                    None
                }
                Some(Effect::Drop {
                    object,
                    if_exists: false,
                    ..
                }) if matches!(object.kind, ObjectKind::Table | ObjectKind::Index) => {
                    Some(("drop", object, "IF EXISTS"))
                }
                _ => None,
            };
            let Some((verb, object, guard)) = fragile else {
                continue;
            };
            out.push(
                cx.at_statement(
                    RULE.id,
                    script,
                    index,
                    format!(
                        "this script runs without a transaction, and a second run after a partial failure cannot {verb} {object} again"
                    ),
                    "not safe to re-run",
                )
                .with_help(if object.kind == ObjectKind::Index && verb == "create" {
                    format!("precede it with `DROP INDEX CONCURRENTLY IF EXISTS {}`: a failed concurrent build leaves an invalid index under the name, which IF NOT EXISTS would keep", object.name)
                } else {
                    format!("write it with {guard}, so that the script can be re-run after a failure")
                }),
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
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "prefer-robust-stmts",
            &[
                users,
                users_down,
                (
                    "2_idx.up.sql",
                    "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);"
                ),
                (
                    "2_idx.down.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY users_email_idx;"
                ),
            ],
            &[
                users,
                users_down,
                (
                    "2_idx.up.sql",
                    "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCREATE TABLE IF NOT EXISTS audit (id BIGINT);"
                ),
                (
                    "2_idx.down.sql",
                    "-- migrate:no-transaction\nDROP TABLE IF EXISTS audit;\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;"
                ),
            ]
        ));
    }
}
