//! ## What it does
//! Replays the up scripts in version order and flags an up script that uses a table, column or
//! type that only a *later* migration creates, naming that migration.
//!
//! ## Why is this bad?
//! Migrations run in version order. After a merge, a branch's migration can sort before the one
//! that creates what it needs: it works on the developer's database, where both already ran,
//! and fails on every fresh one and in production.
//!
//! ## Example
//! ```sql
//! -- 20240101000000_add_email.up.sql
//! ALTER TABLE users ADD COLUMN email TEXT;
//! -- 20240102000000_create_users.up.sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! ```
//!
//! ## Use instead
//! Give the migration that uses the table a version after the one that creates it:
//! ```sql
//! -- 20240102000000_create_users.up.sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! -- 20240103000000_add_email.up.sql
//! ALTER TABLE users ADD COLUMN email TEXT;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::ObjectUsedBeforeCreated,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object, later) in &cx.facts.used_before_created {
        let creator = cx.name_of(*later);
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!("{object} is used before it exists: only the later migration {creator} creates it"),
                format!("{object} does not exist yet"),
            )
            .with_help(format!(
                "migrations run in version order: give {} a version after {later} (rename both of its files), or create {object} earlier",
                cx.migration.name()
            )),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "object-used-before-created",
    &[
        (
            "1_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;"
        ),
        (
            "1_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;"
        ),
        (
            "2_create_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);"
        ),
        ("2_create_users.down.sql", "DROP TABLE users;"),
    ],
    &[
        (
            "1_create_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY);"
        ),
        ("1_create_users.down.sql", "DROP TABLE users;"),
        (
            "2_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;"
        ),
        (
            "2_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;"
        ),
        // Created outside the migrations (a baseline): not an ordering problem.
        ("3_seed.up.sql", "INSERT INTO legacy_table VALUES (1);"),
        ("3_seed.down.sql", "DELETE FROM legacy_table;"),
    ]
);
