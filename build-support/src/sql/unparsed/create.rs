//! `CREATE …` forms: sequences with options sqlparser rejects, tables it cannot parse as written
//! (rewritten and parsed again), PostgreSQL's `CREATE INDEX … ON ONLY`, MySQL's `BINARY`
//! attribute of a character column, routines, triggers and events (whose bodies may hold
//! anything), MySQL full-text indexes, and other object kinds without a schema effect the model
//! tracks.

use sqlparser::tokenizer::Token;

use super::cursor::{Words, matching_paren, render, reparse, split_top_level};
use crate::Dialect;
use crate::model::{Effect, ObjectId, ObjectKind};

pub(super) fn create_sequence(w: &Words) -> Option<Vec<Effect>> {
    let start = w.skip(1, &[&["TEMPORARY"], &["TEMP"], &["UNLOGGED"]]);
    if !(w.is(0, "CREATE") && w.is(start, "SEQUENCE")) {
        return None;
    }
    let if_not_exists = w.is(start + 1, "IF");
    let (name, _) = w.name(w.skip(start + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    Some(vec![Effect::Create {
        object: ObjectId::new(ObjectKind::Sequence, name),
        if_not_exists,
        or_replace: false,
        on: None,
        references: None,
        columns: Vec::new(),
        shape: None,
    }])
}

/// `CREATE TABLE` forms sqlparser rejects: `LIKE … INCLUDING`, PostgreSQL 18 `CONSTRAINT n NOT
/// NULL c`, SQLite's table constraints written without commas between them. The table is
/// rewritten without them and parsed again; if even that fails, the table is created with
/// unknown columns.
pub(super) fn create_table_extra(w: &Words) -> Option<Vec<Effect>> {
    if !w.is(0, "CREATE") {
        return None;
    }
    let at = w.skip(
        1,
        &[
            &["GLOBAL"],
            &["LOCAL"],
            &["TEMPORARY"],
            &["TEMP"],
            &["UNLOGGED"],
        ],
    );
    if !w.is(at, "TABLE") {
        return None;
    }
    let if_not_exists = w.is(at + 1, "IF");
    let (name, open) = w.name(w.skip(at + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    if w.tokens.get(open) != Some(&Token::LParen) {
        return None;
    }
    let close = matching_paren(&w.tokens, open)?;
    let mut extra = Vec::new();
    let mut elements: Vec<Vec<Token>> = Vec::new();
    let mut changed = false;
    for element in split_top_level(&w.tokens[open + 1..close]) {
        let e = Words {
            tokens: element.to_vec(),
            dialect: w.dialect,
            glued: false,
        };
        if e.is(0, "CONSTRAINT") && e.is(2, "NOT") && e.is(3, "NULL") {
            let (constraint, _) = e.name(1)?;
            extra.push(Effect::Create {
                object: ObjectId::constraint(name.clone(), constraint),
                if_not_exists: false,
                or_replace: false,
                on: None,
                references: None,
                columns: Vec::new(),
                shape: None,
            });
            changed = true;
        } else if e.is(0, "LIKE") {
            // `LIKE other INCLUDING ALL`: the options go, the copied columns stay unknown.
            let (source, _) = e.name(1)?;
            extra.push(Effect::Use {
                object: ObjectId::table(source),
            });
            extra.push(Effect::Uncertain {
                object: ObjectId::table(name.clone()),
            });
            changed = true;
        } else if w.dialect == Dialect::Sqlite {
            let (parts, split) = split_sqlite_constraints(element);
            changed |= split;
            elements.extend(parts);
        } else {
            elements.push(element.to_vec());
        }
    }
    if !changed {
        return None;
    }
    let mut text = render(&w.tokens[..=open]);
    text.push(' ');
    text.push_str(
        &elements
            .iter()
            .map(|e| render(e))
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push(' ');
    text.push_str(&render(&w.tokens[close..]));
    let mut effects = match reparse(&text, w.dialect) {
        Some(effects) => effects,
        None if elements.is_empty() => vec![Effect::Create {
            object: ObjectId::table(name.clone()),
            if_not_exists,
            or_replace: false,
            on: None,
            references: None,
            columns: Vec::new(),
            shape: None,
        }],
        None => return None,
    };
    effects.extend(extra);
    Some(effects)
}

/// SQLite accepts table constraints with no comma between them: split them.
fn split_sqlite_constraints(element: &[Token]) -> (Vec<Vec<Token>>, bool) {
    const STARTS: &[&str] = &["CONSTRAINT", "FOREIGN", "PRIMARY", "UNIQUE", "CHECK"];
    let is_start = |t: &Token| matches!(t, Token::Word(w) if w.quote_style.is_none() && STARTS.contains(&w.value.to_ascii_uppercase().as_str()));
    // Only an element that is itself a table constraint can run into the next one.
    if !element.first().is_some_and(is_start) {
        return (vec![element.to_vec()], false);
    }
    let mut parts = vec![Vec::new()];
    let mut depth = 0usize;
    let mut split = false;
    for (i, t) in element.iter().enumerate() {
        match t {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        let follows_constraint_name = i > 0
            && matches!(&element[i - 1], Token::Word(w) if w.value.eq_ignore_ascii_case("CONSTRAINT"));
        let next_is_key = matches!(element.get(i + 1), Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("KEY"));
        if i > 0
            && depth == 0
            && is_start(t)
            && !follows_constraint_name
            && (matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("CONSTRAINT"))
                || (next_is_key
                    && !matches!(&element[i - 1], Token::Word(w) if w.value.eq_ignore_ascii_case("CONSTRAINT"))))
            && parts.last().is_none_or(|p: &Vec<Token>| p.len() > 2)
        {
            parts.push(Vec::new());
            split = true;
        }
        if let Some(last) = parts.last_mut() {
            last.push(t.clone());
        }
    }
    (parts, split)
}

/// Skips `OR REPLACE`, `DEFINER = user` and similar words between CREATE and the object kind.
fn after_create(w: &Words) -> usize {
    let mut i = w.skip(1, &[&["OR", "REPLACE"], &["CONSTRAINT"]]);
    if w.is(i, "DEFINER") {
        // DEFINER = `user`@`host` | CURRENT_USER
        i += 1;
        while i < w.tokens.len()
            && !["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "VIEW"]
                .iter()
                .any(|k| w.is(i, k))
        {
            i += 1;
        }
    }
    i
}

pub(super) fn create_routine(w: &Words) -> Option<Vec<Effect>> {
    if !w.is(0, "CREATE") {
        return None;
    }
    let at = after_create(w);
    if !(w.is(at, "FUNCTION") || w.is(at, "PROCEDURE")) {
        return None;
    }
    let (name, _) = w.name(w.skip(at + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    Some(vec![Effect::Create {
        object: ObjectId::new(ObjectKind::Function, name),
        if_not_exists: false,
        or_replace: w.is(1, "OR"),
        on: None,
        references: None,
        columns: Vec::new(),
        shape: None,
    }])
}

pub(super) fn create_trigger(w: &Words) -> Option<Vec<Effect>> {
    if !w.is(0, "CREATE") {
        return None;
    }
    let at = after_create(w);
    if !w.is(at, "TRIGGER") {
        return None;
    }
    let (name, next) = w.name(w.skip(at + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    let on = w.find(next, "ON")?;
    let (table, _) = w.name(on + 1)?;
    Some(vec![
        Effect::Use {
            object: ObjectId::table(table.clone()),
        },
        Effect::Create {
            object: ObjectId::new(ObjectKind::Trigger, name),
            if_not_exists: false,
            or_replace: w.is(1, "OR"),
            on: Some(table),
            references: None,
            columns: Vec::new(),
            shape: None,
        },
    ])
}

pub(super) fn create_event(w: &Words) -> Option<Vec<Effect>> {
    (w.is(0, "CREATE") && w.is(after_create(w), "EVENT")).then(Vec::new)
}

pub(super) fn create_fulltext_index(w: &Words) -> Option<Vec<Effect>> {
    if !(w.is(0, "CREATE") && (w.is(1, "FULLTEXT") || w.is(1, "SPATIAL")) && w.is(2, "INDEX")) {
        return None;
    }
    let (name, next) = w.name(3)?;
    if !w.is(next, "ON") {
        return None;
    }
    let (table, _) = w.name(next + 1)?;
    Some(vec![
        Effect::Use {
            object: ObjectId::table(table.clone()),
        },
        Effect::Create {
            object: ObjectId::new(ObjectKind::Index, name),
            if_not_exists: false,
            or_replace: false,
            on: Some(table),
            references: None,
            columns: Vec::new(),
            shape: None,
        },
    ])
}

/// Object kinds whose `CREATE` and `DROP` have no effect the model tracks.
pub(super) const OTHER_KINDS: &[&str] = &[
    "AGGREGATE",
    "CAST",
    "RULE",
    "OPERATOR",
    "PUBLICATION",
    "SUBSCRIPTION",
    "COLLATION",
    "TEXT",
    "CONVERSION",
    "LANGUAGE",
    "FOREIGN",
    "SERVER",
    "USER",
    "EVENT",
    "TRANSFORM",
    "ACCESS",
    "TABLESPACE",
    "STATISTICS",
    "DOMAIN",
    "POLICY",
    "ROLE",
    "GROUP",
    "OWNED",
];

pub(super) fn create_other_object(w: &Words) -> Option<Vec<Effect>> {
    let at = w.skip(
        1,
        &[
            &["OR", "REPLACE"],
            &["TRUSTED"],
            &["PROCEDURAL"],
            &["DEFAULT"],
        ],
    );
    (w.is(0, "CREATE") && w.kw(at).is_some_and(|k| OTHER_KINDS.contains(&k.as_str())))
        .then(Vec::new)
}

/// PostgreSQL: `CREATE [UNIQUE] INDEX … ON ONLY parent …`, an index of a partitioned table made
/// without its partitions' (they are attached later): the index of `parent` all the same.
pub(super) fn create_index_on_only(w: &Words) -> Option<Vec<Effect>> {
    let index = w.skip(1, &[&["UNIQUE"]]);
    if !(w.is(0, "CREATE") && w.is(index, "INDEX")) {
        return None;
    }
    let on = w.find(index + 1, "ON")?;
    if !w.is(on + 1, "ONLY") {
        return None;
    }
    let text = format!(
        "{} {}",
        render(&w.tokens[..=on]),
        render(&w.tokens[on + 2..])
    );
    reparse(&text, w.dialect)
}

/// MySQL: the `BINARY` attribute of a character column (`VARCHAR(20) BINARY`, `TEXT BINARY`),
/// a binary collation of its character set, in `CREATE TABLE` and `ALTER TABLE`: the statement
/// without it.
pub(super) fn binary_attribute(w: &Words) -> Option<Vec<Effect>> {
    if !(w.starts(&["CREATE", "TABLE"])
        || w.starts(&["CREATE", "TEMPORARY", "TABLE"])
        || w.starts(&["ALTER", "TABLE"]))
    {
        return None;
    }
    const TEXT_TYPES: &[&str] = &[
        "CHAR",
        "VARCHAR",
        "CHARACTER",
        "NCHAR",
        "NVARCHAR",
        "TEXT",
        "TINYTEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
        "ENUM",
        "SET",
    ];
    let is_text = |i: usize| TEXT_TYPES.iter().any(|t| w.is(i, t));
    let mut attributes = Vec::new();
    for i in 1..w.tokens.len() {
        if !w.is(i, "BINARY") {
            continue;
        }
        // `BINARY` right after a character type, or after its `(length)`.
        let after_type = if w.tokens[i - 1] == Token::RParen {
            let open = (0..i - 1).rev().find(|&j| {
                w.tokens[j] == Token::LParen && matching_paren(&w.tokens, j) == Some(i - 1)
            });
            open.is_some_and(|o| o > 0 && is_text(o - 1))
        } else {
            is_text(i - 1)
        };
        if after_type {
            attributes.push(i);
        }
    }
    if attributes.is_empty() {
        return None;
    }
    let kept: Vec<Token> = w
        .tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| !attributes.contains(i))
        .map(|(_, t)| t.clone())
        .collect();
    reparse(&render(&kept), w.dialect)
}
