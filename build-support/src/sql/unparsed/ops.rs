//! The lock model's operations ([`Op`]) of the recognised forms that lock a table, read from
//! their tokens as the forms' effects are.

use sqlparser::tokenizer::Token;

use super::cursor::{Words, split_top_level};
use crate::Dialect;
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
        "alter-table-extra" | "binary-attribute" if w.starts(&["ALTER", "TABLE"]) => alter_table(w),
        "maintenance" if w.starts(&["LOCK"]) => lock_table(w),
        "maintenance" if w.dialect == Dialect::Postgres && w.starts(&["CLUSTER"]) => {
            cluster(w).into_iter().collect()
        }
        "maintenance" if w.starts(&["REFRESH", "MATERIALIZED", "VIEW"]) => {
            refresh(w).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// One operation per action of an `ALTER TABLE` that sqlparser cannot parse whole: on
/// PostgreSQL, the actions that take less than the strongest lock, known by their words
/// (`ALTER [COLUMN] c SET STATISTICS …`, `… SET (…)`, `… RESET (…)`, `CLUSTER ON i`, `SET
/// WITHOUT CLUSTER`: SHARE UPDATE EXCLUSIVE, checked against the server), and `SET TABLESPACE`;
/// any other action is [`Alter::Other`], taken as the strongest.
fn alter_table(w: &Words) -> Vec<Op> {
    let Some((table, next)) = w.name(w.skip(2, &[&["IF", "EXISTS"], &["ONLY"]])) else {
        return Vec::new();
    };
    split_top_level(&w.tokens[next..])
        .into_iter()
        .map(|action| Op::Alter {
            table: table.clone(),
            action: alter_action(&Words {
                tokens: action.to_vec(),
                dialect: w.dialect,
                glued: false,
            }),
        })
        .collect()
}

fn alter_action(a: &Words) -> Alter {
    if a.dialect != Dialect::Postgres {
        return Alter::Other;
    }
    if a.starts(&["CLUSTER", "ON"]) || a.starts(&["SET", "WITHOUT", "CLUSTER"]) {
        return Alter::Cluster;
    }
    if a.starts(&["SET", "TABLESPACE"]) {
        return Alter::SetTablespace;
    }
    if a.is(0, "ALTER")
        && let Some((column, at)) = a.name(1 + usize::from(a.is(1, "COLUMN")))
    {
        let options = a.is(at, "SET")
            && (a.is(at + 1, "STATISTICS") || a.tokens.get(at + 1) == Some(&Token::LParen));
        if options || a.is(at, "RESET") {
            return Alter::ColumnOptions { column };
        }
    }
    Alter::Other
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

/// `CLUSTER [VERBOSE | (options)] table [USING index]`, or the old `CLUSTER index ON table`;
/// a bare `CLUSTER` (every table clustered before, outside a transaction) names none.
fn cluster(w: &Words) -> Option<Op> {
    let mut at = 1;
    if w.tokens.get(1) == Some(&Token::LParen) {
        at = super::cursor::matching_paren(&w.tokens, 1)? + 1;
    } else if w.is(1, "VERBOSE") {
        at = 2;
    }
    let (first, next) = w.name(at)?;
    let table = match w.is(next, "ON").then(|| w.name(next + 1)).flatten() {
        Some((table, _)) => table,
        None => first,
    };
    Some(Op::Cluster { table })
}

/// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] view [WITH [NO] DATA]`, for a form sqlparser
/// does not parse.
fn refresh(w: &Words) -> Option<Op> {
    let concurrently = w.is(3, "CONCURRENTLY");
    let (view, next) = w.name(3 + usize::from(concurrently))?;
    Some(Op::RefreshMaterializedView {
        view,
        concurrently,
        with_data: !(w.is(next, "WITH") && w.is(next + 1, "NO")),
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
