//! `ALTER …` forms: sequences, triggers, indexes and views sqlparser cannot alter, the
//! `ALTER TABLE` actions it does not know (taken out, modelled here, and the rest parsed again),
//! and other object kinds altered without a schema effect the model tracks.

use sqlparser::tokenizer::Token;

use super::cursor::{Words, matching_paren, render, reparse, split_top_level};
use crate::Dialect;
use crate::model::{Effect, ObjectId, ObjectKind};

pub(super) fn alter_sequence(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["ALTER", "SEQUENCE"]) {
        return None;
    }
    let (name, next) = w.name(w.skip(2, &[&["IF", "EXISTS"]]))?;
    let id = ObjectId::new(ObjectKind::Sequence, name);
    if w.is(next, "RENAME") && w.is(next + 1, "TO") {
        let (to, _) = w.name(next + 2)?;
        return Some(vec![Effect::Rename {
            from: id,
            to: ObjectId::new(ObjectKind::Sequence, to),
        }]);
    }
    Some(vec![Effect::Use { object: id }])
}

pub(super) fn alter_index(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["ALTER", "INDEX"]) {
        return None;
    }
    let (name, next) = w.name(w.skip(2, &[&["IF", "EXISTS"]]))?;
    let id = ObjectId::new(ObjectKind::Index, name);
    if w.is(next, "RENAME") && w.is(next + 1, "TO") {
        let (to, _) = w.name(next + 2)?;
        return Some(vec![Effect::Rename {
            from: id,
            to: ObjectId::new(ObjectKind::Index, to),
        }]);
    }
    Some(vec![Effect::Use { object: id }])
}

pub(super) fn alter_view_rename(w: &Words) -> Option<Vec<Effect>> {
    let start = if w.starts(&["ALTER", "VIEW"]) {
        2
    } else if w.starts(&["ALTER", "MATERIALIZED", "VIEW"]) {
        3
    } else {
        return None;
    };
    let (name, next) = w.name(w.skip(start, &[&["IF", "EXISTS"]]))?;
    let id = ObjectId::new(ObjectKind::View, name);
    if w.is(next, "RENAME") && w.is(next + 1, "TO") {
        let (to, _) = w.name(next + 2)?;
        return Some(vec![Effect::Rename {
            from: id,
            to: ObjectId::new(ObjectKind::View, to),
        }]);
    }
    Some(vec![Effect::Use { object: id }])
}

/// `ALTER TABLE` actions sqlparser does not know, by their leading keywords after the name.
const ALTER_TABLE_ACTIONS: &[&[&str]] = &[
    &["ALTER", "CONSTRAINT"],
    &["ATTACH", "PARTITION"],
    &["DETACH", "PARTITION"],
    &["ENGINE"],
    &["CONVERT", "TO"],
    &["DEFAULT", "CHARSET"],
    &["DEFAULT", "CHARACTER"],
    &["CHARACTER", "SET"],
    &["CHARSET"],
    &["COLLATE"],
    &["ROW_FORMAT"],
    &["AUTO_INCREMENT"],
    &["COMMENT"],
    &["ALGORITHM"],
    &["FORCE"],
    &["CLUSTER", "ON"],
    &["SET", "WITHOUT"],
    &["SET", "LOGGED"],
    &["SET", "UNLOGGED"],
    &["SET", "TABLESPACE"],
    &["SET", "ACCESS", "METHOD"],
    &["INHERIT"],
    &["NO", "INHERIT"],
    &["OF"],
    &["NOT", "OF"],
    &["FORCE", "ROW", "LEVEL", "SECURITY"],
    &["NO", "FORCE", "ROW", "LEVEL", "SECURITY"],
    &["ENABLE"],
    &["DISABLE"],
    &["ADD", "FULLTEXT"],
    &["ADD", "SPATIAL"],
];

pub(super) fn alter_table_extra(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["ALTER", "TABLE"]) {
        return None;
    }
    let name_at = w.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]);
    let (table, next) = w.name(name_at)?;
    let uses = Effect::Use {
        object: ObjectId::table(table.clone()),
    };
    // MySQL: `RENAME [TO|AS] new` (TO is optional there).
    if w.is(next, "RENAME")
        && !w.is(next + 1, "INDEX")
        && !w.is(next + 1, "KEY")
        && !w.is(next + 1, "COLUMN")
    {
        let at = next + 1 + usize::from(w.is(next + 1, "TO") || w.is(next + 1, "AS"));
        let (to, end) = w.name(at)?;
        return (end == w.tokens.len()).then(|| {
            vec![Effect::Rename {
                from: ObjectId::table(table),
                to: ObjectId::table(to),
            }]
        });
    }
    // The actions sqlparser does not know are taken out and modelled here; the statement made
    // of the others must then parse, or the statement is not valid after all.
    let mut extra = vec![uses];
    let mut kept: Vec<&[Token]> = Vec::new();
    let mut unknown = false;
    let prefix = render(&w.tokens[..next]);
    for action in split_top_level(&w.tokens[next..]) {
        match table_action(w, action, &table, &prefix) {
            Some(effects) => {
                unknown = true;
                extra.extend(effects);
            }
            None => kept.push(action),
        }
    }
    if !unknown {
        return None;
    }
    if !kept.is_empty() {
        let mut text = render(&w.tokens[..next]);
        text.push(' ');
        text.push_str(
            &kept
                .iter()
                .map(|a| render(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
        extra.extend(reparse(&text, w.dialect)?);
    }
    Some(extra)
}

/// The effects of one `ALTER TABLE` action sqlparser does not know, or `None` for an action it
/// does (or a malformed one). `prefix` is the statement up to the actions (`ALTER TABLE t`),
/// for an action written again in a form sqlparser parses.
fn table_action(w: &Words, action: &[Token], table: &str, prefix: &str) -> Option<Vec<Effect>> {
    let a = Words {
        tokens: action.to_vec(),
        dialect: w.dialect,
        glued: false,
    };
    if w.dialect == Dialect::MySql {
        // `DROP KEY k` is `DROP INDEX k`.
        if a.is(0, "DROP") && a.is(1, "KEY") {
            return reparse(
                &format!("{prefix} DROP INDEX {}", render(&action[2..])),
                w.dialect,
            );
        }
        // `ADD [COLUMN] (a T, b T)` adds each column.
        let open = 1 + usize::from(a.is(1, "COLUMN"));
        if a.is(0, "ADD") && action.get(open) == Some(&Token::LParen) {
            let close = matching_paren(action, open)?;
            if close + 1 != action.len() {
                return None;
            }
            let columns: Vec<String> = split_top_level(&action[open + 1..close])
                .into_iter()
                .map(|c| format!("ADD COLUMN {}", render(c)))
                .collect();
            return reparse(&format!("{prefix} {}", columns.join(", ")), w.dialect);
        }
    }
    // PostgreSQL 18: `ADD CONSTRAINT name NOT NULL column`.
    if a.starts(&["ADD", "CONSTRAINT"]) && a.is(3, "NOT") && a.is(4, "NULL") {
        let (name, _) = a.name(2)?;
        return Some(vec![Effect::Create {
            object: ObjectId::constraint(table, name),
            if_not_exists: false,
            or_replace: false,
            on: None,
            references: None,
            columns: Vec::new(),
            shape: None,
        }]);
    }
    // MySQL: `RENAME INDEX|KEY a TO b`.
    if a.is(0, "RENAME") && (a.is(1, "INDEX") || a.is(1, "KEY")) {
        let (from, after) = a.name(2)?;
        let (to, _) = a.name(after + usize::from(a.is(after, "TO")))?;
        return Some(vec![Effect::Rename {
            from: ObjectId::new(ObjectKind::Index, from),
            to: ObjectId::new(ObjectKind::Index, to),
        }]);
    }
    // `ALTER [COLUMN] c SET STATISTICS|STORAGE|COMPRESSION …`.
    if a.is(0, "ALTER") && !a.is(1, "CONSTRAINT") {
        let (column, after) = a.name(1 + usize::from(a.is(1, "COLUMN")))?;
        let set = a.is(after, "SET") || a.is(after, "RESET");
        let what = a.kw(after + 1);
        let known = matches!(
            what.as_deref(),
            Some("STATISTICS" | "STORAGE" | "COMPRESSION")
        ) || a.tokens.get(after + 1) == Some(&Token::LParen);
        // An identity column's generation and sequence options: `ADD GENERATED … AS IDENTITY
        // (options)`, `SET GENERATED …`, `SET INCREMENT BY …`, `RESTART [WITH n]`, `DROP
        // IDENTITY [IF EXISTS]`.
        let identity = w.dialect == Dialect::Postgres
            && ((a.is(after, "ADD") && a.is(after + 1, "GENERATED"))
                || (a.is(after, "SET")
                    && matches!(
                        what.as_deref(),
                        Some(
                            "GENERATED"
                                | "INCREMENT"
                                | "START"
                                | "MINVALUE"
                                | "MAXVALUE"
                                | "NO"
                                | "CACHE"
                                | "CYCLE"
                                | "RESTART"
                        )
                    ))
                || a.is(after, "RESTART")
                || (a.is(after, "DROP") && a.is(after + 1, "IDENTITY")));
        if (set && known) || identity {
            return Some(vec![Effect::Use {
                object: ObjectId::column(table, column),
            }]);
        }
        return None;
    }
    ALTER_TABLE_ACTIONS
        .iter()
        .any(|seq| seq.iter().enumerate().all(|(j, k)| a.is(j, k)))
        .then(|| {
            vec![Effect::Uncertain {
                object: ObjectId::table(table),
            }]
        })
}

pub(super) fn alter_other_object(w: &Words) -> Option<Vec<Effect>> {
    const KINDS: &[&str] = &[
        "EXTENSION",
        "PUBLICATION",
        "SUBSCRIPTION",
        "DEFAULT",
        "AGGREGATE",
        "DOMAIN",
        "LARGE",
        "OPERATOR",
        "TEXT",
        "ROLE",
        "USER",
        "GROUP",
        "DATABASE",
        "SYSTEM",
        "TABLESPACE",
        "FOREIGN",
        "SERVER",
        "EVENT",
        "FUNCTION",
        "PROCEDURE",
        "ROUTINE",
        "COLLATION",
        "CONVERSION",
        "LANGUAGE",
        "STATISTICS",
        "POLICY",
        "RULE",
        "TYPE",
        "SCHEMA",
    ];
    (w.is(0, "ALTER") && w.kw(1).is_some_and(|k| KINDS.contains(&k.as_str()))).then(Vec::new)
}
