//! The SQLite schema snapshot, from `sqlite_schema` and the table pragmas
//! (`pragma_table_xinfo`, `pragma_index_list`, `pragma_index_xinfo`,
//! `pragma_foreign_key_list`).
//!
//! SQLite keeps no catalog of CHECK constraints, generated-column expressions, column
//! collations or table options: those are read from the table's `CREATE TABLE` text with a small
//! tokenizer. Its constraints are mostly unnamed (and its automatic index names depend on column
//! order), so constraints are keyed by their definition.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sqlx::{Row, SqliteConnection};

use crate::error::{DbContext, Result};
use crate::snapshot::{
    Column, Constraint, ConstraintKind, Index, Snapshot, Table, Trigger, View, normalize_sql,
};

const DOING: &str = "reading the schema from sqlite_schema";

pub(super) async fn read(conn: &mut SqliteConnection, table: &str) -> Result<Snapshot> {
    let tracking = table.rsplit('.').next().unwrap_or(table);
    let objects = sqlx::query(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?1 AND tbl_name <> ?1
         ORDER BY type, name",
    )
    .bind(tracking)
    .fetch_all(&mut *conn)
    .await
    .doing(DOING)?;
    let mut s = Snapshot::new("sqlite");
    let mut index_sql: HashMap<String, String> = HashMap::new();
    let mut tables = Vec::new();
    for r in &objects {
        let kind: String = r.try_get(0).doing(DOING)?;
        let name: String = r.try_get(1).doing(DOING)?;
        let tbl_name: String = r.try_get(2).doing(DOING)?;
        let sql: Option<String> = r.try_get(3).doing(DOING)?;
        let sql = sql.unwrap_or_default();
        match kind.as_str() {
            "table" => tables.push((name, sql)),
            "index" => {
                index_sql.insert(name, sql);
            }
            "view" => {
                s.views.insert(
                    name,
                    View {
                        materialized: false,
                        definition: canonical(&sql),
                    },
                );
            }
            "trigger" => {
                s.triggers.insert(
                    format!("{tbl_name}.{name}"),
                    Trigger {
                        name,
                        table: tbl_name,
                        definition: canonical(&sql),
                    },
                );
            }
            _ => {}
        }
    }
    for (name, sql) in tables {
        let table = read_table(conn, &name, &sql, &index_sql, &mut s).await?;
        s.tables.insert(name, Arc::new(table));
    }
    Ok(s)
}

async fn read_table(
    conn: &mut SqliteConnection,
    name: &str,
    sql: &str,
    index_sql: &HashMap<String, String>,
    s: &mut Snapshot,
) -> Result<Table> {
    let parsed = parse_create_table(sql);
    let mut t = Table::default();
    if !parsed.options.is_empty() {
        t.properties
            .insert("options".into(), parsed.options.clone());
    }
    if sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE") {
        t.properties.insert("kind".into(), "virtual table".into());
        t.properties.insert("options".into(), canonical(sql));
    }

    let columns = sqlx::query(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .doing(DOING)?;
    let mut primary_key: Vec<(i64, String)> = Vec::new();
    for r in &columns {
        let column: String = r.try_get(0).doing(DOING)?;
        let hidden: i64 = r.try_get(5).doing(DOING)?;
        if hidden == 1 {
            continue; // a virtual table's hidden column
        }
        let pk: i64 = r.try_get(4).doing(DOING)?;
        if pk > 0 {
            primary_key.push((pk, column.clone()));
        }
        let extras = parsed.columns.get(&column.to_lowercase());
        let default: Option<String> = r.try_get(3).doing(DOING)?;
        let data_type: String = r.try_get(1).doing(DOING)?;
        t.columns.insert(
            column,
            Column {
                data_type: normalize_sql(&data_type).to_ascii_uppercase(),
                nullable: r.try_get::<i64, _>(2).doing(DOING)? == 0,
                default: default.map(|d| normalize_sql(&d)),
                identity: extras
                    .filter(|e| e.autoincrement)
                    .map(|_| "autoincrement".to_owned()),
                generated: extras.and_then(|e| e.generated.clone()),
                collation: extras.and_then(|e| e.collation.clone()),
                extra: None,
            },
        );
    }
    if !primary_key.is_empty() {
        primary_key.sort();
        let cols: Vec<String> = primary_key.into_iter().map(|(_, c)| c).collect();
        add_by_definition(
            &mut t,
            ConstraintKind::PrimaryKey,
            None,
            format!("PRIMARY KEY ({})", cols.join(", ")),
        );
    }

    let indexes = sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?1)")
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .doing(DOING)?;
    for r in &indexes {
        let index: String = r.try_get(0).doing(DOING)?;
        let unique: bool = r.try_get::<i64, _>(1).doing(DOING)? != 0;
        let origin: String = r.try_get(2).doing(DOING)?;
        if origin == "pk" {
            continue; // the primary key, listed above
        }
        let keys = sqlx::query(
            "SELECT name, \"desc\", coll, cid FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
        )
        .bind(&index)
        .fetch_all(&mut *conn)
        .await
        .doing(DOING)?;
        let mut columns = Vec::new();
        for k in &keys {
            let column: Option<String> = k.try_get(0).doing(DOING)?;
            let cid: i64 = k.try_get(3).doing(DOING)?;
            let mut shown = match (column, cid) {
                (Some(c), _) => c,
                (None, -1) => "rowid".to_owned(),
                (None, _) => "<expression>".to_owned(),
            };
            let collation: Option<String> = k.try_get(2).doing(DOING)?;
            if let Some(c) = collation.filter(|c| !c.eq_ignore_ascii_case("BINARY")) {
                shown.push_str(&format!(" COLLATE {c}"));
            }
            if k.try_get::<i64, _>(1).doing(DOING)? != 0 {
                shown.push_str(" DESC");
            }
            columns.push(shown);
        }
        if origin == "u" {
            add_by_definition(
                &mut t,
                ConstraintKind::Unique,
                None,
                format!("UNIQUE ({})", columns.join(", ")),
            );
            continue;
        }
        let sql = index_sql.get(&index).cloned().unwrap_or_default();
        s.indexes.insert(
            index,
            Arc::new(Index {
                table: name.to_owned(),
                unique,
                method: "btree".to_owned(),
                columns,
                predicate: top_level_tail(&sql, "WHERE").map(|p| canonical(&p)),
                definition: Some(canonical(&sql)),
            }),
        );
    }

    let keys = sqlx::query(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, \"match\"
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .doing(DOING)?;
    let mut foreign: BTreeMap<i64, (String, Vec<String>, Vec<String>, String)> = BTreeMap::new();
    for k in &keys {
        let id: i64 = k.try_get(0).doing(DOING)?;
        let entry = foreign.entry(id).or_default();
        entry.0 = k.try_get(1).doing(DOING)?;
        entry.1.push(k.try_get(2).doing(DOING)?);
        if let Some(to) = k.try_get::<Option<String>, _>(3).doing(DOING)? {
            entry.2.push(to);
        }
        let on_update: String = k.try_get(4).doing(DOING)?;
        let on_delete: String = k.try_get(5).doing(DOING)?;
        let matching: String = k.try_get(6).doing(DOING)?;
        let mut actions = String::new();
        for (what, action) in [("UPDATE", on_update), ("DELETE", on_delete)] {
            if action != "NO ACTION" {
                actions.push_str(&format!(" ON {what} {action}"));
            }
        }
        if matching != "NONE" {
            actions.push_str(&format!(" MATCH {matching}"));
        }
        entry.3 = actions;
    }
    for (target, from, to, actions) in foreign.into_values() {
        let to = if to.is_empty() {
            String::new()
        } else {
            format!(" ({})", to.join(", "))
        };
        add_by_definition(
            &mut t,
            ConstraintKind::ForeignKey,
            None,
            format!(
                "FOREIGN KEY ({}) REFERENCES {target}{to}{actions}",
                from.join(", ")
            ),
        );
    }

    for (constraint, expression) in parsed.checks {
        add_by_definition(
            &mut t,
            ConstraintKind::Check,
            constraint,
            format!("CHECK ({expression})"),
        );
    }
    Ok(t)
}

/// Constraints are keyed by definition: SQLite's are unnamed or named in passing.
fn add_by_definition(t: &mut Table, kind: ConstraintKind, name: Option<String>, def: String) {
    t.constraints.insert(
        def.clone(),
        Constraint {
            kind,
            name,
            definition: def,
        },
    );
}

/// What a `CREATE TABLE` statement says that the pragmas do not.
#[derive(Debug, Default, PartialEq)]
struct ParsedTable {
    /// By lowercase column name.
    columns: HashMap<String, ColumnExtras>,
    /// (constraint name, expression), column and table checks alike.
    checks: Vec<(Option<String>, String)>,
    /// `STRICT`, `WITHOUT ROWID`.
    options: String,
}

#[derive(Debug, Default, PartialEq)]
struct ColumnExtras {
    generated: Option<String>,
    collation: Option<String>,
    autoincrement: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    Word,
    Quoted,
    Punct(char),
}

/// Splits SQL into words, quoted names or strings, and punctuation, skipping comments; each
/// token with its byte range.
fn tokenize(sql: &str) -> Vec<(Tok, usize, usize)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            c if c.is_ascii_whitespace() => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                let start = i;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == close {
                        if close != b']' && bytes.get(i + 1) == Some(&close) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                out.push((Tok::Quoted, start, i));
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                out.push((Tok::Word, start, i));
            }
            c => {
                out.push((Tok::Punct(c as char), i, i + 1));
                i += 1;
            }
        }
    }
    out
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(toks: &[(Tok, usize, usize)], open: usize) -> usize {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.0 {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b'"' | b'`' | b'\'') if text.len() >= 2 => {
            let q = &text[..1];
            text[1..text.len() - 1].replace(&format!("{q}{q}"), q)
        }
        Some(b'[') if text.len() >= 2 => text[1..text.len() - 1].to_owned(),
        _ => text.to_owned(),
    }
}

fn parse_create_table(sql: &str) -> ParsedTable {
    let toks = tokenize(sql);
    let word = |i: usize, w: &str| {
        toks.get(i)
            .is_some_and(|t| t.0 == Tok::Word && sql[t.1..t.2].eq_ignore_ascii_case(w))
    };
    let mut parsed = ParsedTable::default();
    let Some(open) = toks.iter().position(|t| t.0 == Tok::Punct('(')) else {
        return parsed;
    };
    if (0..open).any(|i| word(i, "AS")) {
        return parsed; // CREATE TABLE … AS SELECT: no column definitions to read
    }
    let close = closing(&toks, open);
    parsed.options = toks[close + 1..]
        .iter()
        .map(|t| sql[t.1..t.2].to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",");

    // Items of the body, split at top-level commas.
    let mut items = Vec::new();
    let mut start = open + 1;
    let mut i = open + 1;
    while i < close {
        match toks[i].0 {
            Tok::Punct('(') => i = closing(&toks, i),
            Tok::Punct(',') => {
                items.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    items.push(start..close);

    for item in items {
        if item.is_empty() {
            continue;
        }
        let first = item.start;
        let is_table_constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|w| word(first, w));
        let mut extras = ColumnExtras::default();
        let mut constraint_name = None;
        let mut i = if is_table_constraint {
            first
        } else {
            first + 1
        };
        while i < item.end {
            if word(i, "CONSTRAINT") && i + 1 < item.end {
                let t = toks[i + 1];
                constraint_name = Some(unquote(&sql[t.1..t.2]));
                i += 2;
                continue;
            }
            let opens = |j: usize| j < item.end && toks[j].0 == Tok::Punct('(');
            if word(i, "CHECK") && opens(i + 1) {
                let end = closing(&toks, i + 1);
                let expr = canonical(&sql[toks[i + 1].2..toks[end].1]);
                parsed.checks.push((constraint_name.take(), expr));
                i = end + 1;
                continue;
            }
            if !is_table_constraint && word(i, "AS") && opens(i + 1) {
                let end = closing(&toks, i + 1);
                let expr = canonical(&sql[toks[i + 1].2..toks[end].1]);
                let kind = if word(end + 1, "STORED") {
                    "STORED"
                } else {
                    "VIRTUAL"
                };
                extras.generated = Some(format!("({expr}) {kind}"));
                i = end + 1;
                continue;
            }
            if !is_table_constraint && word(i, "COLLATE") && i + 1 < item.end {
                let t = toks[i + 1];
                extras.collation = Some(unquote(&sql[t.1..t.2]).to_ascii_uppercase());
                i += 2;
                continue;
            }
            if word(i, "AUTOINCREMENT") {
                extras.autoincrement = true;
            }
            if toks[i].0 == Tok::Punct('(') {
                i = closing(&toks, i);
            }
            i += 1;
        }
        if !is_table_constraint {
            let t = toks[first];
            parsed
                .columns
                .insert(unquote(&sql[t.1..t.2]).to_lowercase(), extras);
        }
    }
    parsed
}

/// SQL text as SQLite keeps it, made comparable: layout normalised, and simple names unquoted
/// (`ALTER TABLE … RENAME` rewrites the SQL of dependent indexes, views and triggers with
/// quoted names, so a table renamed and renamed back reads `ON "orders"` instead of
/// `ON orders`).
fn canonical(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for (tok, start, end) in tokenize(sql) {
        if tok != Tok::Quoted || sql.as_bytes()[start] == b'\'' {
            continue;
        }
        let name = unquote(&sql[start..end]);
        let simple = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if simple {
            out.push_str(&sql[last..start]);
            out.push_str(&name);
            last = end;
        }
    }
    out.push_str(&sql[last..]);
    normalize_sql(&out)
}

/// The normalised text after the first top-level `keyword` (an index's `WHERE` predicate).
fn top_level_tail(sql: &str, keyword: &str) -> Option<String> {
    let toks = tokenize(sql);
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        match t.0 {
            Tok::Punct('(') => i = closing(&toks, i),
            Tok::Word if sql[t.1..t.2].eq_ignore_ascii_case(keyword) => {
                return Some(normalize_sql(&sql[t.2..]));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_checks_generated_columns_collations_and_options() {
        let p = parse_create_table(
            "CREATE TABLE \"orders\" (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                total NUMERIC(10, 2) NOT NULL CHECK (total >= 0), -- a comment, with a comma
                code TEXT COLLATE nocase DEFAULT ('a,b'),
                doubled INT GENERATED ALWAYS AS (total * 2) STORED,
                [half] INT AS (total / 2),
                CONSTRAINT positive CHECK ( id > 0 ),
                FOREIGN KEY (id) REFERENCES other (id)
            ) STRICT, WITHOUT ROWID",
        );
        assert_eq!(
            p.checks,
            [
                (None, "total >= 0".to_owned()),
                (Some("positive".to_owned()), "id > 0".to_owned())
            ]
        );
        assert!(p.columns["id"].autoincrement);
        assert_eq!(p.columns["code"].collation.as_deref(), Some("NOCASE"));
        assert_eq!(
            p.columns["doubled"].generated.as_deref(),
            Some("(total * 2) STORED")
        );
        assert_eq!(
            p.columns["half"].generated.as_deref(),
            Some("(total / 2) VIRTUAL")
        );
        assert_eq!(p.options, "STRICT, WITHOUT ROWID");
        assert_eq!(p.columns.len(), 5);
    }

    #[test]
    fn simple_names_are_unquoted() {
        assert_eq!(
            canonical(
                "CREATE INDEX i ON \"orders\" ([user id], `x`, \"a\"\"b\") WHERE s = '\"q\"'"
            ),
            "CREATE INDEX i ON orders ([user id], x, \"a\"\"b\") WHERE s = '\"q\"'"
        );
    }

    #[test]
    fn reads_a_partial_index_predicate() {
        assert_eq!(
            top_level_tail(
                "CREATE INDEX i ON t (a) WHERE  b IS NOT NULL AND (c = 'WHERE')",
                "WHERE"
            )
            .as_deref(),
            Some("b IS NOT NULL AND (c = 'WHERE')")
        );
        assert_eq!(top_level_tail("CREATE INDEX i ON t (a)", "WHERE"), None);
    }
}
