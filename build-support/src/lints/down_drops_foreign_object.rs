//! ## What it does
//! Flags a down script that drops something its up script did not create: an object that
//! existed before the migration, or one that does not exist at all at that point — often the
//! same name as what the up created, but another kind (the up creates an index, the down drops a
//! constraint of that name).
//!
//! ## Why is this bad?
//! The first destroys older schema (and its data) on rollback; the second fails at rollback
//! time, in the middle of an incident.
//!
//! ## Example
//! ```sql
//! -- up
//! CREATE UNIQUE INDEX users_email_key ON users (email);
//! -- down
//! ALTER TABLE users DROP CONSTRAINT users_email_key;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- down
//! DROP INDEX users_email_key;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::analysis::ForeignDrop;
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::DownDropsForeignObject,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, object, why) in &cx.facts.foreign_drops {
        let (message, help) = match why {
            ForeignDrop::ExistedBefore => (
                format!("the down script drops {object}, which existed before the up script ran"),
                "a down script undoes its own up script only: drop what the up created, restore what it changed, and leave older objects alone".to_owned(),
            ),
            ForeignDrop::DoesNotExist => {
                let same_name = cx
                    .facts
                    .created
                    .iter()
                    .find(|(_, c)| c.name == object.name && c.kind != object.kind);
                match same_name {
                    Some((_, created)) => (
                        format!("the down script drops {object}, but the up script created {created}"),
                        format!("drop the {} instead", created.kind.as_str()),
                    ),
                    None => (
                        format!("the down script drops {object}, which does not exist at this point"),
                        "check the name and kind against the up script; this statement would fail during a rollback".to_owned(),
                    ),
                }
            }
        };
        out.push(
            cx.at_statement(RULE.id, Script::Down, *index, message, "dropped here")
                .with_help(help),
        );
    }
}

bad_and_good_test!(
    Postgres,
    "down-drops-foreign-object",
    &[
        (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);"
        ),
        ("1_users.down.sql", "DROP TABLE users;"),
        (
            "2_email.up.sql",
            "CREATE UNIQUE INDEX users_email_key ON users (email);"
        ),
        (
            "2_email.down.sql",
            "ALTER TABLE users DROP CONSTRAINT users_email_key;\nDROP TABLE users;"
        ),
    ],
    &[
        (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);"
        ),
        ("1_users.down.sql", "DROP TABLE users;"),
        (
            "2_email.up.sql",
            "CREATE UNIQUE INDEX users_email_key ON users (email);"
        ),
        (
            "2_email.down.sql",
            "DROP INDEX users_email_key;\nDROP INDEX IF EXISTS old_unused_idx;"
        ),
    ]
);
