//! ## What it does
//! Flags a migration without a down script, unless its up script says why with
//! `-- migrate:irreversible <reason>`.
//!
//! ## Why is this bad?
//! A missing down script is found out during an incident, when a rollback is needed and there
//! is none. An irreversible migration is fine when it is a decision, written down.
//!
//! ## Example
//! ```text
//! migrations/20240101120000_create_users.up.sql   (and no .down.sql)
//! ```
//!
//! ## Use instead
//! ```sql
//! -- 20240101120000_create_users.down.sql
//! DROP TABLE users;
//! ```
//! or, at the top of the up script:
//! ```sql
//! -- migrate:irreversible the legacy rows are deleted for good
//! ```
//! The directive is part of the file, so for a migration that is applied already its checksum
//! changes: `cargo migrate repair <VERSION>` then accepts the edit. A project whose history is
//! up-only on purpose (sqlx's default) sets `require-down-script = "allow"` in
//! `[package.metadata.migrate.lints]` instead.

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireDownScript,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let m = cx.migration;
    if m.down.is_some() || m.directives().irreversible.is_some() {
        return;
    }
    let down = m.up.display.replace(".up.sql", ".down.sql");
    if !m.up_only
        && cx
            .set
            .findings
            .iter()
            .any(|f| f.rule == RuleId::NonUtf8File && f.file == down)
    {
        return; // there is a down script, which is not UTF-8: its own finding says so
    }
    // The directive changes the file's checksum: an applied migration then needs its edit
    // accepted. A history of up-only migrations (sqlx's default) is better served by the level.
    let applied = format!(
        "(if it is applied already, then run `cargo migrate repair {}` to accept the edit); for a history of up-only migrations, set `require-down-script = \"allow\"` (or \"warn\") in [package.metadata.migrate.lints] instead",
        m.version
    );
    let help = if m.up_only {
        format!(
            "an up-only migration must say why it cannot be undone: add `-- migrate:irreversible <reason>` at the top {applied}"
        )
    } else {
        format!(
            "write {down} to undo it, or add `-- migrate:irreversible <reason>` at the top of the up script {applied}"
        )
    };
    let message = format!("migration {} has no down script", m.name());
    let finding = if cx.facts.up.statements.is_empty() {
        cx.at_file(RULE.id, Script::Up, message)
    } else {
        cx.at_statement(
            RULE.id,
            Script::Up,
            0,
            message,
            "nothing undoes this migration",
        )
    };
    out.push(finding.with_help(help));
}

bad_and_good_test!(
    Postgres,
    "require-down-script",
    &[
        ("1_a.up.sql", "CREATE TABLE a (id INT);"),
        ("2_b.sql", "CREATE TABLE b (id INT);")
    ],
    &[
        ("1_a.up.sql", "CREATE TABLE a (id INT);"),
        ("1_a.down.sql", "DROP TABLE a;"),
        (
            "2_b.sql",
            "-- migrate:irreversible deletes legacy rows\nDELETE FROM a;"
        ),
    ]
);
