//! ## What it does
//! Flags an up script that changes a column that existed before it (`ALTER COLUMN … SET
//! DEFAULT`, `DROP DEFAULT`, `SET NOT NULL`, `DROP NOT NULL`, `TYPE`; MySQL's `MODIFY` and
//! `CHANGE`) when its down script does not touch that column again. A `SET NOT NULL` or `DROP
//! NOT NULL` that leaves the column as the earlier ups left it (a column they added or made
//! nullable) changes nothing and is not flagged.
//!
//! ## Why is this bad?
//! After the down the column keeps the up's default, nullability or type: code written for the
//! previous schema meets a column that rejects its rows, fills them differently, or holds
//! another type.
//!
//! ## Example
//! ```sql
//! -- 20240101000000_require_email.up.sql
//! ALTER TABLE users ALTER COLUMN email SET NOT NULL;
//! -- 20240101000000_require_email.down.sql
//! -- (nothing about users.email)
//! ```
//!
//! ## Use instead
//! ```sql
//! -- 20240101000000_require_email.down.sql
//! ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
//! ```

use std::collections::HashSet;

use super::{Cx, Level, Rule, RuleId, Script};
use crate::Dialect;
use crate::effects::ident_name;
use crate::finding::Finding;
use crate::model::{Effect, ObjectId, ObjectKind};
use crate::sql::{ParsedStatement, Syntax};

pub(super) const RULE: Rule = Rule {
    id: RuleId::ColumnChangeNotReverted,
    default: Level::Deny,
    check: Some(check),
};

/// The table an `ALTER TABLE` statement alters (normalised, from its effects) and the columns
/// whose definition each of its actions changes, with what the action does.
pub(super) fn column_changes(
    s: &ParsedStatement,
    dialect: Dialect,
) -> Option<(String, Vec<(String, &'static str)>)> {
    let Some(Syntax::AlterTable {
        changed_columns, ..
    }) = s.syntax()
    else {
        return None;
    };
    let table = s.effects.iter().find_map(|e| match e {
        Effect::Use { object } if object.kind == ObjectKind::Table => Some(object.name.clone()),
        _ => None,
    })?;
    let columns = changed_columns
        .iter()
        .map(|(column, what)| (ident_name(column, dialect), *what))
        .collect();
    Some((table, columns))
}

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Some(down) = &cx.facts.down else { return };
    if cx.facts.opaque || down.error.is_some() {
        return;
    }
    // What the down touches: columns it alters or drops, tables it drops, renames or changes
    // in ways the model does not follow (any of which may restore the column). Columns and
    // tables the up renames are the rename rule's to judge: their names differ on the way back.
    let mut columns: HashSet<(String, String)> = HashSet::new();
    let mut tables: HashSet<String> = HashSet::new();
    let mut note = |object: &ObjectId| match object.kind {
        ObjectKind::Table => {
            tables.insert(object.name.clone());
        }
        ObjectKind::Column => {
            if let Some(t) = &object.parent {
                columns.insert((t.clone(), object.name.clone()));
            }
        }
        _ => {}
    };
    for e in cx.facts.up.statements.iter().flat_map(|s| &s.effects) {
        if let Effect::Rename { from, to } = e {
            note(from);
            note(to);
        }
    }
    for s in &down.statements {
        for e in &s.effects {
            match e {
                Effect::Opaque => return,
                Effect::Rename { from, to } => {
                    note(from);
                    note(to);
                }
                Effect::Drop { object, .. }
                | Effect::Uncertain { object }
                | Effect::Create { object, .. } => note(object),
                _ => {}
            }
        }
    }
    for s in &down.statements {
        if let Some((table, changed)) = column_changes(s, cx.dialect) {
            columns.extend(changed.into_iter().map(|(c, _)| (table.clone(), c)));
        }
    }
    let created: HashSet<&ObjectId> = cx.facts.created.iter().map(|(_, id)| id).collect();
    for (i, s) in cx.facts.up.statements.iter().enumerate() {
        let Some((table, changed)) = column_changes(s, cx.dialect) else {
            continue;
        };
        if !cx.facts.preexisting_tables.contains(&table) || tables.contains(&table) {
            continue;
        }
        for (column, what) in changed {
            let id = ObjectId::column(table.clone(), column.clone());
            let key = (table.clone(), column.clone());
            // `SET NOT NULL` or `DROP NOT NULL` to what the column already was changes nothing.
            let kept = matches!(what, "makes it NOT NULL" | "makes it nullable")
                && cx.facts.nullability_kept.contains(&key);
            if kept || created.contains(&id) || columns.contains(&key) {
                continue;
            }
            out.push(
                cx.at_statement(
                    RULE.id,
                    Script::Up,
                    i,
                    format!("column {table}.{column} existed before this migration, and this statement {what}; the down script does not change it back"),
                    what.to_owned(),
                )
                .with_help(format!(
                    "in the down script, give {table}.{column} back its previous definition (`ALTER TABLE {table} ALTER COLUMN {column} …`, or MySQL's `MODIFY COLUMN`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod cases {
    use crate::Dialect;
    use crate::lints::test_support::check;

    /// (dialect, the second migration's up and down, whether it is flagged): the first creates
    /// `crates (id, title, hits)`.
    #[test]
    fn column_changes_must_be_reverted() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let cases: &[(Dialect, &str, &str, bool)] = &[
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;",
                "SELECT 1;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits SET DEFAULT 0;",
                "SELECT 1;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits TYPE BIGINT;",
                "SELECT 1;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL, ALTER COLUMN hits SET DEFAULT 0;",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL, ALTER COLUMN hits DROP DEFAULT;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits SET DEFAULT 0;",
                "ALTER TABLE crates DROP COLUMN hits;\nALTER TABLE crates ADD COLUMN hits INT;",
                false,
            ),
            // New here: the down drops it, which other rules judge.
            (
                pg,
                "ALTER TABLE crates ADD COLUMN stars INT;\nALTER TABLE crates ALTER COLUMN stars SET DEFAULT 0;",
                "ALTER TABLE crates DROP COLUMN stars;",
                false,
            ),
            (
                my,
                "ALTER TABLE crates MODIFY COLUMN title VARCHAR(200) NOT NULL;",
                "SELECT 1;",
                true,
            ),
            (
                my,
                "ALTER TABLE crates MODIFY COLUMN title VARCHAR(200) NOT NULL;",
                "ALTER TABLE crates MODIFY COLUMN title TEXT;",
                false,
            ),
            // An empty down reverts nothing.
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits TYPE BIGINT, ALTER COLUMN hits SET NOT NULL;",
                "-- nothing\n",
                true,
            ),
            // Renamed by the up and back by the down: judged by the rename rule.
            (
                pg,
                "ALTER TABLE crates RENAME COLUMN title TO name;\nALTER TABLE crates ALTER COLUMN name SET NOT NULL;\nALTER TABLE crates RENAME TO packages;",
                "ALTER TABLE packages RENAME TO crates;\nALTER TABLE crates RENAME COLUMN name TO title;\nALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                false,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let files = [
                (
                    "1_a.up.sql",
                    "CREATE TABLE crates (id INT, title TEXT, hits INT);",
                ),
                ("1_a.down.sql", "DROP TABLE crates;"),
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(*dialect, &files, "column-change-not-reverted");
            assert_eq!(
                !found.is_empty(),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }

    /// (an earlier up, the up with an empty down, whether that up is flagged): `SET NOT NULL`
    /// or `DROP NOT NULL` to what the column already was changes nothing, where the earlier
    /// ups tell what it was. The first migration creates `crates (id, title, hits)`, which
    /// says nothing the model keeps about nullability.
    #[test]
    fn nullability_set_to_what_it_was_is_no_change() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "SELECT 1;",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                true,
            ),
            (
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                false,
            ),
            (
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;",
                false,
            ),
            (
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                true,
            ),
            (
                "ALTER TABLE crates ADD COLUMN notes TEXT;",
                "ALTER TABLE crates ALTER COLUMN notes DROP NOT NULL;",
                false,
            ),
            (
                "ALTER TABLE crates ADD COLUMN notes TEXT NOT NULL DEFAULT '';",
                "ALTER TABLE crates ALTER COLUMN notes DROP NOT NULL;",
                true,
            ),
            // Back where it was by the end of the up.
            (
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;\nALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                false,
            ),
            // A type change keeps the nullability; a new table forgets it.
            (
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;\nALTER TABLE crates ALTER COLUMN title TYPE VARCHAR(200);",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                false,
            ),
            (
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;\nDROP TABLE crates;\nCREATE TABLE crates (id INT, title TEXT NOT NULL, hits INT);",
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                true,
            ),
            // Only the nullability is no change: the default still is.
            (
                "ALTER TABLE crates ALTER COLUMN hits DROP NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN hits DROP NOT NULL, ALTER COLUMN hits SET DEFAULT 0;",
                true,
            ),
        ];
        for (earlier, up, flagged) in cases {
            let files = [
                (
                    "1_a.up.sql",
                    "CREATE TABLE crates (id INT, title TEXT, hits INT);",
                ),
                ("1_a.down.sql", "DROP TABLE crates;"),
                ("2_b.sql", *earlier),
                ("3_c.up.sql", *up),
                ("3_c.down.sql", "-- nothing to undo\n"),
            ];
            let found = check(Dialect::Postgres, &files, "column-change-not-reverted");
            assert_eq!(
                found.contains("3_c.up.sql"),
                *flagged,
                "{earlier}\n{up}\n{found}"
            );
        }
    }
}
