//! The forms that are neither `CREATE` nor `ALTER`: `DO` blocks, `DROP INDEX CONCURRENTLY`,
//! MySQL's `DROP INDEX … ON t ALGORITHM=… LOCK=…` and drops of untracked object kinds,
//! `REINDEX`, `COMMENT ON`, maintenance and session commands, MySQL's dynamic SQL and SQLite's
//! `PRAGMA`.

use sqlparser::tokenizer::Token;

use super::create::OTHER_KINDS;
use super::cursor::Words;
use crate::model::{Effect, ObjectId, ObjectKind};

pub(super) fn do_block(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["DO"]).then(|| vec![Effect::Opaque])
}

pub(super) fn drop_index_concurrently(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["DROP", "INDEX", "CONCURRENTLY"]) {
        return None;
    }
    let if_exists = w.is(3, "IF") && w.is(4, "EXISTS");
    let names = w.names(if if_exists { 5 } else { 3 });
    let cascade = w
        .tokens
        .iter()
        .any(|t| matches!(t, Token::Word(x) if x.value.eq_ignore_ascii_case("CASCADE")));
    (!names.is_empty()).then(|| {
        names
            .into_iter()
            .map(|n| Effect::Drop {
                object: ObjectId::new(ObjectKind::Index, n),
                if_exists,
                cascade,
            })
            .collect()
    })
}

pub(super) fn reindex_concurrently(w: &Words) -> Option<Vec<Effect>> {
    (w.starts(&["REINDEX"]) && w.find(1, "CONCURRENTLY").is_some()).then(Vec::new)
}

pub(super) fn reindex(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["REINDEX"]).then(Vec::new)
}

pub(super) fn drop_other_object(w: &Words) -> Option<Vec<Effect>> {
    (w.is(0, "DROP") && w.kw(1).is_some_and(|k| OTHER_KINDS.contains(&k.as_str()))).then(Vec::new)
}

pub(super) fn comment_on(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["COMMENT", "ON"]).then(Vec::new)
}

pub(super) fn maintenance(w: &Words) -> Option<Vec<Effect>> {
    let first = w.kw(0)?;
    let known = matches!(
        first.as_str(),
        "VACUUM" | "ANALYZE" | "ANALYSE" | "CLUSTER" | "CHECKPOINT"
    ) || w.starts(&["REFRESH", "MATERIALIZED", "VIEW"])
        || w.starts(&["SECURITY", "LABEL"])
        || w.starts(&["LOCK"])
        || w.starts(&["OPTIMIZE", "TABLE"]);
    known.then(Vec::new)
}

pub(super) fn session_command(w: &Words) -> Option<Vec<Effect>> {
    let first = w.kw(0)?;
    matches!(
        first.as_str(),
        "SET" | "RESET" | "DISCARD" | "NOTIFY" | "LISTEN" | "UNLISTEN" | "GRANT" | "REVOKE"
    )
    .then(Vec::new)
}

pub(super) fn dynamic_sql(w: &Words) -> Option<Vec<Effect>> {
    match w.kw(0)?.as_str() {
        "PREPARE" | "DEALLOCATE" => Some(Vec::new()),
        // Runs SQL built at run time: its effects are unknown.
        "EXECUTE" => Some(vec![Effect::Opaque]),
        _ => None,
    }
}

pub(super) fn pragma(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["PRAGMA"]).then(Vec::new)
}

/// MySQL: `DROP INDEX i ON t` with `ALGORITHM [=] …` and `LOCK [=] …` options: the drop without
/// them.
pub(super) fn drop_index_options(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["DROP", "INDEX"]) {
        return None;
    }
    let on = w.find(2, "ON")?;
    let (_, options) = w.name(on + 1)?;
    let mut i = options;
    while i < w.tokens.len() {
        if !(w.is(i, "ALGORITHM") || w.is(i, "LOCK")) {
            return None;
        }
        i += 1 + usize::from(w.tokens.get(i + 1) == Some(&Token::Eq));
        w.kw(i)?;
        i += 1;
    }
    if options == w.tokens.len() {
        return None;
    }
    super::cursor::reparse(&super::cursor::render(&w.tokens[..options]), w.dialect)
}
