//! The lock model's operations ([`Op`]) of the recognised forms that lock a table, read from
//! their tokens as the forms' effects are.

use super::cursor::Words;
use crate::sql::ops::{Alter, LockMode, Op};

/// The operations of a statement recognised as the form `id`.
pub(super) fn of(id: &str, w: &Words) -> Vec<Op> {
    match id {
        "drop-index-concurrently" => {
            let at = w.skip(3, &[&["IF", "EXISTS"]]);
            w.names(at)
                .into_iter()
                .map(|index| Op::DropIndex {
                    index,
                    concurrently: true,
                })
                .collect()
        }
        "drop-index-options" => w
            .name(w.skip(2, &[&["IF", "EXISTS"]]))
            .map(|(index, _)| Op::DropIndex {
                index,
                concurrently: false,
            })
            .into_iter()
            .collect(),
        "reindex" | "reindex-concurrently" => reindex(w).into_iter().collect(),
        "create-index-on-only" => {
            let unique = w.is(1, "UNIQUE");
            w.find(1, "ON")
                .and_then(|on| w.name(on + 2))
                .map(|(table, _)| Op::CreateIndex {
                    table,
                    unique,
                    concurrently: false,
                })
                .into_iter()
                .collect()
        }
        "alter-table-extra" | "binary-attribute" if w.starts(&["ALTER", "TABLE"]) => w
            .name(w.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]))
            .map(|(table, _)| Op::Alter {
                table,
                action: Alter::Other,
            })
            .into_iter()
            .collect(),
        "maintenance" if w.starts(&["LOCK"]) => lock_table(w),
        _ => Vec::new(),
    }
}

/// `REINDEX [(options)] {INDEX | TABLE} [CONCURRENTLY] name`; `SCHEMA`, `DATABASE` and
/// `SYSTEM` name no one relation and have no operation.
fn reindex(w: &Words) -> Option<Op> {
    let mut at = 1;
    if w.tokens.get(1) == Some(&sqlparser::tokenizer::Token::LParen) {
        at = super::cursor::matching_paren(&w.tokens, 1)? + 1;
    }
    let table = match w.kw(at)?.as_str() {
        "TABLE" => true,
        "INDEX" => false,
        _ => return None,
    };
    let concurrently = w.is(at + 1, "CONCURRENTLY");
    let (name, _) = w.name(at + 1 + usize::from(concurrently))?;
    Some(Op::Reindex {
        name,
        table,
        concurrently,
    })
}

/// `LOCK [TABLE] [ONLY] names [IN mode MODE] [NOWAIT]`.
fn lock_table(w: &Words) -> Vec<Op> {
    let at = w.skip(1, &[&["TABLE"], &["ONLY"]]);
    let mode = match w.find(at, "IN") {
        Some(i) => {
            let words: Vec<String> = (i + 1..w.tokens.len())
                .map_while(|j| w.kw(j).filter(|k| k != "MODE"))
                .collect();
            match words.join(" ").as_str() {
                "ACCESS SHARE" => LockMode::AccessShare,
                "ROW SHARE" => LockMode::RowShare,
                "ROW EXCLUSIVE" => LockMode::RowExclusive,
                "SHARE UPDATE EXCLUSIVE" => LockMode::ShareUpdateExclusive,
                "SHARE" => LockMode::Share,
                "SHARE ROW EXCLUSIVE" => LockMode::ShareRowExclusive,
                "EXCLUSIVE" => LockMode::Exclusive,
                _ => LockMode::AccessExclusive,
            }
        }
        None => LockMode::AccessExclusive,
    };
    w.names(at)
        .into_iter()
        .map(|table| Op::LockTable { table, mode })
        .collect()
}
