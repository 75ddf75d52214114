//! ## What it does
//! Flags an up script that changes a column that existed before it (`ALTER COLUMN … SET
//! DEFAULT`, `DROP DEFAULT`, `SET NOT NULL`, `DROP NOT NULL`, `TYPE`; MySQL's `MODIFY` and
//! `CHANGE`) when its down script does not touch that column again, and a down script that
//! touches a column its up changed or dropped (or whose table it dropped or rebuilt) but leaves
//! it allowing NULL, with a default, or of a type where it did not before the up (or the other
//! way round) — often a dropped column added back with a `DEFAULT` to fill the rows, or a type
//! changed back to a near one (`text` where it was `varchar`). A column the up drops and adds
//! back (or rebuilds with its table) with another nullability, default or type, and that the
//! down does not touch, is flagged too. A `SET NOT NULL` or `DROP NOT NULL` that leaves the
//! column as the earlier ups left it changes nothing and is not flagged.
//! A column with a default before the up and another default after the down is flagged too.
//! Defaults are compared as the server stores them, erring toward "the same": casts, quotes
//! around a literal, the case of keywords, outer parentheses, the spelling of booleans and
//! numbers (`0.00` is `0`) and, on MySQL, of the current timestamp (`now()` is
//! `CURRENT_TIMESTAMP`) make no difference; on PostgreSQL `now()` and `CURRENT_TIMESTAMP` do,
//! as the server stores them differently.
//! What the earlier ups say of a column is known from its definition and the `ALTER COLUMN`s
//! after it, except for the nullability and default of columns that fill themselves (serial,
//! identity, generated) and of columns under a constraint.
//!
//! Types are compared as the server names them, as `verify` does: on PostgreSQL as
//! `format_type` does (`int`, `int4` and `integer` are one type, as are `varchar` and
//! `character varying`, `char(n)`, `character(n)` and `bpchar(n)`, `bool` and `boolean`,
//! `timestamptz` and `timestamp with time zone`, `float8` and `double precision`; `serial` is
//! `integer`, `bigserial` `bigint`); on MySQL and MariaDB as `COLUMN_TYPE` (`INTEGER` is `INT`);
//! on SQLite by the declared type's text, whatever its affinity (`INT64` is not `BIGINT`). A
//! type the check cannot name for sure is not compared: user-defined types (enums, domains),
//! MySQL's integers with a display width, `BOOL`, `JSON` and `REAL` (the server's version or
//! settings decide what they are).

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
//!
//! A type changed back to what it was (`varchar`, not `text`):
//! ```sql
//! -- 20240102000000_limit_name.up.sql
//! ALTER TABLE users ALTER COLUMN name TYPE varchar(255);
//! -- 20240102000000_limit_name.down.sql
//! ALTER TABLE users ALTER COLUMN name TYPE varchar;
//! ```
//!
//! A column dropped by the up and added back by the down as it was:
//! ```sql
//! -- 20240103000000_drop_nickname.up.sql
//! ALTER TABLE users DROP COLUMN nickname;
//! -- 20240103000000_drop_nickname.down.sql
//! ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL DEFAULT '';
//! ALTER TABLE users ALTER COLUMN nickname DROP DEFAULT;
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
    let table = s.used_table()?.to_owned();
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
    not_restored(cx, out);
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

/// The columns the down touches but leaves with another nullability, default or type than
/// before the up (a column the up dropped, added back with a `DEFAULT` to fill the rows, or
/// nullable; a type changed back to a near one, `text` for `varchar`).
fn not_restored(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (index, table, column, difference) in &cx.facts.column_definitions_not_restored {
        let help = if difference.has_default == Some(true) {
            format!(
                "a DEFAULT that fills the existing rows while the column is added back can be dropped right after: `ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT`"
            )
        } else if let Some((was, _)) = &difference.default {
            format!(
                "give {table}.{column} back its default in the down script (`ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT …`; before the up script it was {was})"
            )
        } else if let Some((was, _)) = &difference.data_type
            && cx.dialect == Dialect::Postgres
        {
            format!(
                "give {table}.{column} back its type: `ALTER TABLE {table} ALTER COLUMN {column} TYPE {was}`"
            )
        } else {
            format!("give {table}.{column} back the definition it had before the up script")
        };
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Down,
                *index,
                format!("column {table}.{column} {}", differences(difference)),
                "leaves the column changed",
            )
            .with_help(help),
        );
    }
    // Dropped and added back, or rebuilt with its table, by the up, and not touched by the down.
    for (index, table, column, difference) in &cx.facts.column_definitions_left {
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                *index,
                format!(
                    "column {table}.{column} {}: the up script defines it anew and the down script does not touch it",
                    differences(difference)
                ),
                "defines the column anew",
            )
            .with_help(format!(
                "in the down script, give {table}.{column} back the definition it had before the up script"
            )),
        );
    }
}

/// What differs, in words: "allows NULL after the down script, and did not before the up
/// script, and …".
fn differences(difference: &crate::analysis::ColumnDifference) -> String {
    let mut what = Vec::new();
    match difference.nullable {
        Some(true) => {
            what.push("allows NULL after the down script, and did not before the up script".into())
        }
        Some(false) => what.push(
            "is NOT NULL after the down script, and allowed NULL before the up script".into(),
        ),
        None => {}
    }
    match difference.has_default {
        Some(true) => what
            .push("has a default after the down script, and had none before the up script".into()),
        Some(false) => what
            .push("has no default after the down script, and had one before the up script".into()),
        None => {}
    }
    if let Some((was, now)) = &difference.default {
        what.push(format!(
            "has the default {now} after the down script, and had {was} before the up script"
        ));
    }
    if let Some((was, now)) = &difference.data_type {
        what.push(format!(
            "is of type {now} after the down script, and was of type {was} before the up script"
        ));
    }
    what.join(", and ")
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

    /// (dialect, the third migration's up and down, whether it is flagged): the down gives a
    /// column a default, as the server stores it, other than the one it had before the up. The
    /// first migration creates `releases (id INT, version TEXT, yanked BOOLEAN NOT NULL DEFAULT
    /// false, made <timestamp> DEFAULT CURRENT_TIMESTAMP)`, the second sets version's default.
    #[test]
    fn defaults_given_back_another_value() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let cases: &[(Dialect, &str, &str, bool)] = &[
            // Set by an ALTER COLUMN, lost when the column is added back.
            (
                pg,
                "ALTER TABLE releases DROP COLUMN version;",
                "ALTER TABLE releases ADD COLUMN version TEXT;",
                true,
            ),
            (
                pg,
                "ALTER TABLE releases DROP COLUMN version;",
                "ALTER TABLE releases ADD COLUMN version TEXT DEFAULT '0.1.0'::text;",
                false,
            ),
            (
                pg,
                "ALTER TABLE releases ALTER COLUMN version SET DEFAULT '1.0.0';",
                "ALTER TABLE releases ALTER COLUMN version SET DEFAULT '0.0.1';",
                true,
            ),
            (
                pg,
                "ALTER TABLE releases ALTER COLUMN version SET DEFAULT '1.0.0';",
                "ALTER TABLE releases ALTER COLUMN version SET DEFAULT ('0.1.0');",
                false,
            ),
            (
                pg,
                "ALTER TABLE releases DROP COLUMN yanked;",
                "ALTER TABLE releases ADD COLUMN yanked BOOLEAN NOT NULL DEFAULT TRUE;",
                true,
            ),
            (
                pg,
                "ALTER TABLE releases DROP COLUMN yanked;",
                "ALTER TABLE releases ADD COLUMN yanked BOOL NOT NULL DEFAULT 'f';",
                false,
            ),
            // PostgreSQL stores `now()` and `CURRENT_TIMESTAMP` as written.
            (
                pg,
                "ALTER TABLE releases ALTER COLUMN made DROP DEFAULT;",
                "ALTER TABLE releases ALTER COLUMN made SET DEFAULT now();",
                true,
            ),
            (
                pg,
                "ALTER TABLE releases ALTER COLUMN made DROP DEFAULT;",
                "ALTER TABLE releases ALTER COLUMN made SET DEFAULT current_timestamp;",
                false,
            ),
            // MySQL stores both as CURRENT_TIMESTAMP, and a boolean as 0 or 1.
            (
                my,
                "ALTER TABLE releases ALTER COLUMN made DROP DEFAULT;",
                "ALTER TABLE releases ALTER COLUMN made SET DEFAULT now();",
                false,
            ),
            (
                my,
                "ALTER TABLE releases DROP COLUMN yanked;",
                "ALTER TABLE releases ADD COLUMN yanked BOOLEAN NOT NULL DEFAULT 0;",
                false,
            ),
            (
                my,
                "ALTER TABLE releases DROP COLUMN yanked;",
                "ALTER TABLE releases ADD COLUMN yanked BOOLEAN NOT NULL DEFAULT 1;",
                true,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let made = match dialect {
                Dialect::MySql => "DATETIME",
                _ => "TIMESTAMP",
            };
            let create = format!(
                "CREATE TABLE releases (id INT, version TEXT, yanked BOOLEAN NOT NULL DEFAULT false, made {made} DEFAULT CURRENT_TIMESTAMP);"
            );
            let files = [
                ("1_a.up.sql", create.as_str()),
                ("1_a.down.sql", "DROP TABLE releases;"),
                (
                    "2_b.up.sql",
                    "ALTER TABLE releases ALTER COLUMN version SET DEFAULT '0.1.0';",
                ),
                (
                    "2_b.down.sql",
                    "ALTER TABLE releases ALTER COLUMN version DROP DEFAULT;",
                ),
                ("3_c.up.sql", *up),
                ("3_c.down.sql", *down),
            ];
            let found = check(*dialect, &files, "column-change-not-reverted");
            assert_eq!(
                found.contains("3_c"),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }

    /// (dialect, the second migration's up and down, whether its down is flagged): the down
    /// touches the column but leaves its nullability or default other than before the up. The
    /// first migration creates `crates (id INT PRIMARY KEY, title TEXT NOT NULL, hits INT,
    /// stars INT NOT NULL DEFAULT 0)`.
    #[test]
    fn columns_given_back_another_definition() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let cases: &[(Dialect, &str, &str, bool)] = &[
            // Added back with a DEFAULT to fill the rows: the default stays.
            (
                pg,
                "ALTER TABLE crates DROP COLUMN title;",
                "ALTER TABLE crates ADD COLUMN title TEXT NOT NULL DEFAULT '';",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN title;",
                "ALTER TABLE crates ADD COLUMN title TEXT NOT NULL DEFAULT '';\nALTER TABLE crates ALTER COLUMN title DROP DEFAULT;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN title;",
                "ALTER TABLE crates ADD COLUMN title TEXT;",
                true,
            ),
            (
                my,
                "ALTER TABLE crates DROP COLUMN title;",
                "ALTER TABLE crates ADD COLUMN title TEXT;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN hits;",
                "ALTER TABLE crates ADD COLUMN hits INT;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN stars;",
                "ALTER TABLE crates ADD COLUMN stars INT NOT NULL DEFAULT 0;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN stars;",
                "ALTER TABLE crates ADD COLUMN stars INT;",
                true,
            ),
            // Changed back, or wrongly.
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN title DROP NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN title SET NOT NULL;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits SET NOT NULL;",
                "ALTER TABLE crates ALTER COLUMN hits SET DEFAULT 0;",
                true,
            ),
            // `DEFAULT NULL` is no default; what `SET DEFAULT` sets is not known.
            (
                pg,
                "ALTER TABLE crates DROP COLUMN hits;",
                "ALTER TABLE crates ADD COLUMN hits INT DEFAULT NULL;",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN hits SET DEFAULT 1;",
                "ALTER TABLE crates ALTER COLUMN hits SET DEFAULT NULL;",
                false,
            ),
            // The table rebuilt by the down, with title nullable now.
            (
                pg,
                "ALTER TABLE crates DROP COLUMN title;",
                "DROP TABLE crates;\nCREATE TABLE crates (id INT PRIMARY KEY, title TEXT, hits INT, stars INT NOT NULL DEFAULT 0);",
                true,
            ),
            // What the model does not know for sure is not judged: a column under a
            // constraint (a primary key makes it NOT NULL), one that fills itself.
            (
                pg,
                "ALTER TABLE crates DROP COLUMN id;",
                "ALTER TABLE crates ADD COLUMN id INT;\nALTER TABLE crates ADD PRIMARY KEY (id);",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN hits;",
                "ALTER TABLE crates ADD COLUMN hits SERIAL;",
                false,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let files = [
                (
                    "1_a.up.sql",
                    "CREATE TABLE crates (id INT PRIMARY KEY, title TEXT NOT NULL, hits INT, stars INT NOT NULL DEFAULT 0);",
                ),
                ("1_a.down.sql", "DROP TABLE crates;"),
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(*dialect, &files, "column-change-not-reverted");
            assert_eq!(
                found.contains("2_b.down.sql"),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }

    /// (an earlier up, the up with an empty down, whether that up is flagged): `SET NOT NULL`
    /// or `DROP NOT NULL` to what the column already was changes nothing, where the earlier
    /// ups tell what it was. The first migration creates `crates (id INT, title TEXT NOT
    /// NULL, hits INT)`.
    #[test]
    fn nullability_set_to_what_it_was_is_no_change() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "SELECT 1;",
                "ALTER TABLE crates ALTER COLUMN hits DROP NOT NULL;",
                false,
            ),
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
                    "CREATE TABLE crates (id INT, title TEXT NOT NULL, hits INT);",
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

    /// (dialect, the first migration's up, the second's up and down, whether the second's down
    /// is flagged for the type it leaves): the down gives the column another type than before
    /// the up, as the server names types (synonyms are the same type; a type the model cannot
    /// name for sure is not judged).
    #[test]
    fn columns_given_back_another_type() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let lite = Dialect::Sqlite;
        let pg_table = "CREATE TABLE crates (id INT PRIMARY KEY, features VARCHAR, uuid VARCHAR(40), name VARCHAR, hits INT, at TIMESTAMPTZ, tags TEXT[], price NUMERIC(10, 2), n SERIAL, done BOOL);";
        let my_table = "CREATE TABLE crates (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, hits INT, wide INT(11), flag BOOL, doc JSON);";
        let lite_table =
            "CREATE TABLE crates (id INTEGER PRIMARY KEY, total BIGINT NOT NULL, name TEXT);";
        let lite_rebuild = |total: &str| {
            format!(
                "CREATE TABLE crates_new (id INTEGER PRIMARY KEY, total {total} NOT NULL, name TEXT);\nINSERT INTO crates_new SELECT id, total, name FROM crates;\nDROP TABLE crates;\nALTER TABLE crates_new RENAME TO crates;"
            )
        };
        let lite_up = lite_rebuild("NUMERIC");
        let cases: Vec<(Dialect, &str, &str, String, bool)> = vec![
            // varchar to jsonb and back to text: text is not varchar.
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN features TYPE jsonb USING features::jsonb;",
                "ALTER TABLE crates ALTER COLUMN features TYPE text;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN features TYPE jsonb USING features::jsonb;",
                "ALTER TABLE crates ALTER COLUMN features TYPE character varying;".into(),
                false,
            ),
            // varchar(40) given back as character(40).
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN uuid TYPE uuid USING uuid::uuid;",
                "ALTER TABLE crates ALTER COLUMN uuid TYPE character(40);".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN uuid TYPE uuid USING uuid::uuid;",
                "ALTER TABLE crates ALTER COLUMN uuid TYPE character varying ( 40 );".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE crates ALTER COLUMN name TYPE text;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar;".into(),
                false,
            ),
            // Synonyms: int4 and integer are int, serial is integer, timestamptz, bool,
            // decimal is numeric, an array of varchar is not one of text.
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN hits TYPE bigint;",
                "ALTER TABLE crates ALTER COLUMN hits TYPE int4;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN hits TYPE int8;",
                "ALTER TABLE crates ALTER COLUMN hits TYPE smallint;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN n TYPE bigint;",
                "ALTER TABLE crates ALTER COLUMN n TYPE integer;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN n TYPE bigint;",
                "ALTER TABLE crates ALTER COLUMN n TYPE numeric;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN at TYPE timestamp;",
                "ALTER TABLE crates ALTER COLUMN at TYPE timestamp with time zone;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN at TYPE text;",
                "ALTER TABLE crates ALTER COLUMN at TYPE timestamp;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN done TYPE text;",
                "ALTER TABLE crates ALTER COLUMN done TYPE boolean USING done::boolean;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN price TYPE float8;",
                "ALTER TABLE crates ALTER COLUMN price TYPE decimal(10,2);".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN price TYPE double precision;",
                "ALTER TABLE crates ALTER COLUMN price TYPE numeric(12,2);".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN tags TYPE jsonb USING to_jsonb(tags);",
                "ALTER TABLE crates ALTER COLUMN tags TYPE text[] USING ARRAY[]::text[];".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN tags TYPE jsonb USING to_jsonb(tags);",
                "ALTER TABLE crates ALTER COLUMN tags TYPE varchar[] USING ARRAY[]::varchar[];"
                    .into(),
                true,
            ),
            // A primary key keeps the column's type known.
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN id TYPE bigint;",
                "ALTER TABLE crates ALTER COLUMN id TYPE integer;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates ALTER COLUMN id TYPE bigint;",
                "ALTER TABLE crates ALTER COLUMN id TYPE smallint;".into(),
                true,
            ),
            // A dropped column added back, a dropped table created again.
            (
                pg,
                pg_table,
                "ALTER TABLE crates DROP COLUMN name;",
                "ALTER TABLE crates ADD COLUMN name TEXT;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates DROP COLUMN name;",
                "ALTER TABLE crates ADD COLUMN name CHARACTER VARYING;".into(),
                false,
            ),
            (
                pg,
                pg_table,
                "DROP TABLE crates;",
                pg_table.replace("features VARCHAR", "features TEXT"),
                true,
            ),
            (
                pg,
                pg_table,
                "DROP TABLE crates;",
                pg_table.replace("hits INT", "hits INTEGER"),
                false,
            ),
            // Types the model does not name are not judged: an enum, a domain, an interval
            // with fields, a varchar of a length in a unit.
            (
                pg,
                "CREATE TYPE mood AS ENUM ('ok');\nCREATE DOMAIN code AS TEXT;\nCREATE TABLE crates (m mood, c code, d INTERVAL DAY);",
                "ALTER TABLE crates ALTER COLUMN m TYPE text, ALTER COLUMN c TYPE text, ALTER COLUMN d TYPE text;",
                "ALTER TABLE crates ALTER COLUMN m TYPE varchar, ALTER COLUMN c TYPE varchar, ALTER COLUMN d TYPE interval;".into(),
                false,
            ),
            // A table renamed keeps its columns.
            (
                pg,
                pg_table,
                "ALTER TABLE crates RENAME TO packages;\nALTER TABLE packages ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE packages ALTER COLUMN name TYPE text;\nALTER TABLE packages RENAME TO crates;".into(),
                true,
            ),
            (
                pg,
                pg_table,
                "ALTER TABLE crates RENAME TO packages;\nALTER TABLE packages ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE packages ALTER COLUMN name TYPE varchar;\nALTER TABLE packages RENAME TO crates;".into(),
                false,
            ),
            // What the earlier ups did to the column is not sure: a `CREATE TABLE IF NOT
            // EXISTS` of a table that may exist, a statement sqlparser does not parse (its
            // `SET STATISTICS`): the column's type is not judged.
            (
                pg,
                "CREATE TABLE crates (id INT, name VARCHAR);\nCREATE TABLE IF NOT EXISTS crates (id INT, name TEXT);",
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar;".into(),
                false,
            ),
            (
                pg,
                "CREATE TABLE crates (id INT, name VARCHAR);\nALTER TABLE crates ALTER COLUMN name SET STATISTICS 100, ALTER COLUMN name TYPE text;",
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar(255);",
                "ALTER TABLE crates ALTER COLUMN name TYPE text;".into(),
                false,
            ),
            // MySQL: MODIFY and CHANGE give the column its type.
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY COLUMN title VARCHAR(200) NOT NULL;",
                "ALTER TABLE crates MODIFY COLUMN title TEXT NOT NULL;".into(),
                true,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY COLUMN title VARCHAR(200) NOT NULL;",
                "ALTER TABLE crates MODIFY COLUMN title VARCHAR(100) NOT NULL;".into(),
                false,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates CHANGE title name VARCHAR(200) NOT NULL;",
                "ALTER TABLE crates CHANGE name title CHAR(100) NOT NULL;".into(),
                true,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates CHANGE title name VARCHAR(200) NOT NULL;",
                "ALTER TABLE crates CHANGE name title VARCHAR(100) NOT NULL;".into(),
                false,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY hits BIGINT;",
                "ALTER TABLE crates MODIFY hits INTEGER;".into(),
                false,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY hits BIGINT;",
                "ALTER TABLE crates MODIFY hits INT UNSIGNED;".into(),
                true,
            ),
            // Display widths, BOOL and JSON are named differently by MySQL and MariaDB.
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY wide BIGINT;",
                "ALTER TABLE crates MODIFY wide INT;".into(),
                false,
            ),
            (
                my,
                my_table,
                "ALTER TABLE crates MODIFY flag INT, MODIFY doc TEXT;",
                "ALTER TABLE crates MODIFY flag TINYINT(1), MODIFY doc LONGTEXT;".into(),
                false,
            ),
            // `CHARACTER SET binary` makes TEXT a BLOB, VARCHAR a VARBINARY.
            (
                my,
                "CREATE TABLE crates (id INT, a TEXT CHARACTER SET binary);\nCREATE TABLE raw (b TEXT) DEFAULT CHARSET=binary;",
                "ALTER TABLE crates MODIFY a LONGTEXT;\nALTER TABLE raw MODIFY b LONGTEXT;",
                "ALTER TABLE crates MODIFY a BLOB;\nALTER TABLE raw MODIFY b BLOB;".into(),
                false,
            ),
            // SQLite: the declared type, by its text (what `PRAGMA table_info` shows).
            (
                lite,
                lite_table,
                &lite_up,
                lite_rebuild("INT64"),
                true,
            ),
            (
                lite,
                lite_table,
                &lite_up,
                lite_rebuild("bigint"),
                false,
            ),
            (
                lite,
                lite_table,
                &lite_up,
                lite_rebuild("INTEGER"),
                true,
            ),
            (
                lite,
                lite_table,
                "ALTER TABLE crates DROP COLUMN name;",
                "ALTER TABLE crates ADD COLUMN name VARCHAR(20);".into(),
                true,
            ),
            (
                lite,
                lite_table,
                "ALTER TABLE crates DROP COLUMN name;",
                "ALTER TABLE crates ADD COLUMN name text;".into(),
                false,
            ),
        ];
        for (dialect, first, up, down, flagged) in &cases {
            let files = [
                ("1_a.up.sql", *first),
                (
                    "1_a.down.sql",
                    "DROP TABLE IF EXISTS raw;\nDROP TABLE crates;",
                ),
                ("2_b.up.sql", *up),
                ("2_b.down.sql", down.as_str()),
            ];
            let found = check(*dialect, &files, "column-change-not-reverted");
            assert_eq!(
                found.contains("2_b.down.sql") && found.contains("of type"),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }

    /// The finding names both types.
    #[test]
    fn the_types_are_named() {
        let files = [
            ("1_a.up.sql", "CREATE TABLE crates (id INT, name VARCHAR);"),
            ("1_a.down.sql", "DROP TABLE crates;"),
            (
                "2_b.up.sql",
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar(255);",
            ),
            (
                "2_b.down.sql",
                "ALTER TABLE crates ALTER COLUMN name TYPE text;",
            ),
        ];
        let found = check(Dialect::Postgres, &files, "column-change-not-reverted");
        let words: String = found
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains("column crates.name is of type text after the down script, and was of type character varying before the up script"),
            "{found}"
        );
        assert!(
            words.contains("ALTER TABLE crates ALTER COLUMN name TYPE character varying"),
            "{found}"
        );
    }

    /// (dialect, the second migration's up and down, whether its up is flagged for a column it
    /// defines anew that the down leaves so): the first creates `crates (id INTEGER PRIMARY
    /// KEY, total BIGINT NOT NULL, name TEXT)`.
    #[test]
    fn columns_defined_anew_and_left() {
        let pg = Dialect::Postgres;
        let lite = Dialect::Sqlite;
        let table =
            "CREATE TABLE crates (id INTEGER PRIMARY KEY, total BIGINT NOT NULL, name TEXT);";
        let cases: &[(Dialect, &str, &str, bool)] = &[
            (
                lite,
                "ALTER TABLE crates ADD COLUMN seen BIGINT;\nALTER TABLE crates DROP COLUMN total;\nALTER TABLE crates ADD COLUMN total INT64 NULL;",
                "ALTER TABLE crates DROP COLUMN seen;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN name;\nALTER TABLE crates ADD COLUMN name VARCHAR;",
                "SELECT 1;",
                true,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN name;\nALTER TABLE crates ADD COLUMN name TEXT;",
                "SELECT 1;",
                false,
            ),
            (
                pg,
                "DROP TABLE crates;\nCREATE TABLE crates (id INTEGER PRIMARY KEY, total NUMERIC NOT NULL, name TEXT);",
                "-- nothing\n",
                true,
            ),
            (
                pg,
                "DROP TABLE crates;\nCREATE TABLE crates (id INTEGER PRIMARY KEY, total INT8 NOT NULL, name TEXT);",
                "-- nothing\n",
                false,
            ),
            // Altered by the up: flagged as not changed back, not as defined anew.
            (
                pg,
                "ALTER TABLE crates ALTER COLUMN name TYPE varchar;",
                "SELECT 1;",
                false,
            ),
            // The down changes the table in a way the model does not follow: not judged.
            (
                pg,
                "ALTER TABLE crates DROP COLUMN name;\nALTER TABLE crates ADD COLUMN name VARCHAR;",
                "ALTER TABLE crates ATTACH PARTITION crates_2024 FOR VALUES FROM (1) TO (2);",
                false,
            ),
            (
                pg,
                "ALTER TABLE crates DROP COLUMN name;\nALTER TABLE crates ADD COLUMN name VARCHAR;",
                "DO $$ BEGIN NULL; END $$;",
                false,
            ),
        ];
        for (dialect, up, down, flagged) in cases {
            let files = [
                ("1_a.up.sql", table),
                ("1_a.down.sql", "DROP TABLE crates;"),
                ("2_b.up.sql", *up),
                ("2_b.down.sql", *down),
            ];
            let found = check(*dialect, &files, "column-change-not-reverted");
            let words = found.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                words.contains("defines the column anew"),
                *flagged,
                "{dialect:?} {up}\n{down}\n{found}"
            );
        }
    }
}
