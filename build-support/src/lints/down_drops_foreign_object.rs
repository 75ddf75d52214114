//! ## What it does
//! Flags a down script that drops something its up script did not create: an object that
//! existed before the migration, or one that does not exist at all at that point — often the
//! same name as what the up created, but another kind (the up creates an index, the down drops a
//! constraint of that name), or one an earlier statement of the down already removed (an index
//! dropped with its table or, on PostgreSQL, with a column it reads, also in a partial index's
//! `WHERE`).
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
            ForeignDrop::ExistedBefore if cx.facts.rebuilt.contains(object) => (
                format!("the down script drops {object}, which existed before the up script rebuilt it, and does not make the older one again"),
                "a down script undoes its own up script: give the object back the definition it had before the up, rather than dropping it".to_owned(),
            ),
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
                    None if cx.facts.made.contains(object) => (
                        format!("the down script drops {object}, which an earlier statement of the down script already removed"),
                        "an index or constraint goes with its table, and on PostgreSQL with a column it reads: drop it before them, or not at all; this statement would fail during a rollback".to_owned(),
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

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (dialect, the second migration's up and down, whether its down is flagged): the first
    /// creates `repos (id, owner, slug)`. A down that drops what an earlier statement of it
    /// already removed fails there.
    #[test]
    fn dropping_what_the_down_already_removed() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let cases: &[(Dialect, &str, &str, bool)] = &[
            // A partial index reads the column in its WHERE: it goes with the column.
            (
                pg,
                "ALTER TABLE repos ADD COLUMN gone_at BIGINT;\nCREATE INDEX repos_live ON repos (slug) WHERE gone_at IS NULL;",
                "ALTER TABLE repos DROP COLUMN gone_at;\nDROP INDEX repos_live;",
                true,
            ),
            (
                pg,
                "ALTER TABLE repos ADD COLUMN gone_at BIGINT;\nCREATE INDEX repos_live ON repos (slug) WHERE gone_at IS NULL;",
                "DROP INDEX repos_live;\nALTER TABLE repos DROP COLUMN gone_at;",
                false,
            ),
            (
                pg,
                "ALTER TABLE repos ADD COLUMN gone_at BIGINT;\nCREATE INDEX repos_live ON repos (slug) WHERE gone_at IS NULL;",
                "ALTER TABLE repos DROP COLUMN gone_at;\nDROP INDEX IF EXISTS repos_live;",
                false,
            ),
            // An index rebuilt by the up, and an expression index.
            (
                pg,
                "CREATE INDEX repos_slug ON repos (slug);\nALTER TABLE repos ADD COLUMN slug_lower TEXT;\nDROP INDEX repos_slug;\nCREATE INDEX repos_slug ON repos (lower(slug_lower));",
                "ALTER TABLE repos DROP COLUMN slug_lower;\nDROP INDEX repos_slug;\nCREATE INDEX repos_slug ON repos (slug);",
                true,
            ),
            // Dropped twice, or after its table.
            (
                pg,
                "CREATE TABLE stars (id INT, repo INT);\nCREATE INDEX stars_repo ON stars (repo);",
                "DROP TABLE stars;\nDROP INDEX stars_repo;",
                true,
            ),
            (
                pg,
                "CREATE INDEX repos_owner ON repos (owner);",
                "DROP INDEX repos_owner;\nDROP INDEX repos_owner;",
                true,
            ),
            (
                pg,
                "CREATE INDEX repos_owner ON repos (owner);",
                "DROP INDEX repos_owner;\nCREATE INDEX repos_owner ON repos (owner);\nDROP INDEX repos_owner;",
                false,
            ),
            // A table the up rebuilt: the down must put the older one back.
            (
                pg,
                "DROP TABLE IF EXISTS repos;\nCREATE TABLE repos (id INT, owner INT, slug TEXT, kind TEXT);",
                "DROP TABLE repos;",
                true,
            ),
            (
                pg,
                "DROP TABLE IF EXISTS repos;\nCREATE TABLE repos (id INT, owner INT, slug TEXT, kind TEXT);",
                "DROP TABLE repos;\nCREATE TABLE repos (id INT, owner INT, slug TEXT);",
                false,
            ),
            (
                Dialect::Sqlite,
                "CREATE TABLE repos_new (id INT, owner INT, slug TEXT, kind TEXT);\nINSERT INTO repos_new (id, owner, slug) SELECT id, owner, slug FROM repos;\nDROP TABLE repos;\nALTER TABLE repos_new RENAME TO repos;",
                "CREATE TABLE repos_old (id INT, owner INT, slug TEXT);\nINSERT INTO repos_old SELECT id, owner, slug FROM repos;\nDROP TABLE repos;\nALTER TABLE repos_old RENAME TO repos;",
                false,
            ),
            // SQLite refuses to drop an indexed column, and the statement that fails is not
            // the later DROP INDEX; MySQL keeps a multi-column index without the dropped
            // column: neither is judged here.
            (
                Dialect::Sqlite,
                "ALTER TABLE repos ADD COLUMN gone_at BIGINT;\nCREATE INDEX repos_gone ON repos (gone_at);\nCREATE INDEX repos_owner ON repos (owner);",
                "ALTER TABLE repos DROP COLUMN gone_at;\nDROP INDEX repos_owner;\nDROP INDEX repos_gone;",
                false,
            ),
            (
                my,
                "ALTER TABLE repos ADD COLUMN stars INT;\nCREATE INDEX repos_owner_stars ON repos (owner, stars);",
                "ALTER TABLE repos DROP COLUMN stars;\nDROP INDEX repos_owner_stars ON repos;",
                false,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let files = [
                (
                    "1_a.up.sql",
                    "CREATE TABLE repos (id INT, owner INT, slug TEXT);",
                ),
                ("1_a.down.sql", "DROP TABLE repos;"),
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(*dialect, &files, "down-drops-foreign-object");
            assert_eq!(
                found.contains("2_b.down.sql"),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }
    /// A view or function the up defines anew (`OR REPLACE`) existed before it: a down that
    /// drops it and does not define the older one again leaves it missing.
    #[test]
    fn dropping_what_the_up_redefined() {
        let cases: &[(&str, bool)] = &[
            ("DROP VIEW live_repos;", true),
            (
                "DROP VIEW live_repos;\nCREATE VIEW live_repos AS SELECT id FROM repos;",
                false,
            ),
            (
                "CREATE OR REPLACE VIEW live_repos AS SELECT id FROM repos;",
                false,
            ),
        ];
        for (down, flagged) in cases {
            let files = [
                (
                    "1_a.up.sql",
                    "CREATE TABLE repos (id INT, slug TEXT);\nCREATE VIEW live_repos AS SELECT id FROM repos;",
                ),
                ("1_a.down.sql", "DROP VIEW live_repos;\nDROP TABLE repos;"),
                (
                    "2_b.up.sql",
                    "CREATE OR REPLACE VIEW live_repos AS SELECT id, slug FROM repos;",
                ),
                ("2_b.down.sql", *down),
            ];
            let found = check(Dialect::Postgres, &files, "down-drops-foreign-object");
            assert_eq!(found.contains("2_b.down.sql"), *flagged, "{down}\n{found}");
        }
    }
}
