//! Valid SQL that sqlparser cannot parse, recognised at token level.
//!
//! Every such form is listed once, in [`FORMS`], with what it does to the schema. A statement
//! sqlparser rejects is valid only if one of these forms matches it; anything else is a
//! `syntax-error`. Forms without a routine body refuse a statement in which a second statement
//! seems to start on a later line (a missing semicolon), so they never hide that mistake.

mod alter;
mod commands;
mod create;
mod cursor;
mod ops;
#[cfg(test)]
mod tests;

use alter::{
    alter_index, alter_other_object, alter_sequence, alter_table_extra, alter_view_rename,
};
use commands::{
    comment_on, do_block, drop_index_concurrently, drop_index_options, drop_other_object,
    dynamic_sql, maintenance, pragma, reindex, reindex_concurrently, session_command,
};
use create::{
    binary_attribute, create_event, create_fulltext_index, create_index_on_only,
    create_other_object, create_routine, create_sequence, create_table_extra, create_trigger,
};
use cursor::Words;

use crate::Dialect;
use crate::model::Effect;
use crate::sql::ops::Op;

/// A recognised statement: which form, and what it does to the schema.
#[derive(Clone, Debug)]
pub struct Recognized {
    pub id: &'static str,
    pub effects: Vec<Effect>,
    /// What it does in the lock model's terms.
    pub ops: Vec<Op>,
}

/// One valid form sqlparser rejects.
pub struct Form {
    /// Stable kebab-case id (rules look some up, e.g. the `…-concurrently` ones).
    pub id: &'static str,
    /// The dialects it exists in.
    pub dialects: &'static [Dialect],
    /// Whether it holds a routine body, whose lines may start with any keyword.
    pub body: bool,
    /// Its effects when it matches the statement, else `None`.
    matcher: fn(&Words) -> Option<Vec<Effect>>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Form({})", self.id)
    }
}

const PG: &[Dialect] = &[Dialect::Postgres];
const MY: &[Dialect] = &[Dialect::MySql];
const LITE: &[Dialect] = &[Dialect::Sqlite];
const ALL: &[Dialect] = &[Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

/// Every valid-but-unparsed form, in the order they are tried.
pub static FORMS: &[Form] = &[
    Form {
        id: "do-block",
        dialects: PG,
        body: true,
        matcher: do_block,
    },
    Form {
        id: "drop-index-concurrently",
        dialects: PG,
        body: false,
        matcher: drop_index_concurrently,
    },
    Form {
        id: "reindex-concurrently",
        dialects: PG,
        body: false,
        matcher: reindex_concurrently,
    },
    Form {
        id: "reindex",
        dialects: ALL,
        body: false,
        matcher: reindex,
    },
    Form {
        id: "alter-sequence",
        dialects: PG,
        body: false,
        matcher: alter_sequence,
    },
    Form {
        id: "alter-index",
        dialects: PG,
        body: false,
        matcher: alter_index,
    },
    Form {
        id: "alter-view-rename",
        dialects: PG,
        body: false,
        matcher: alter_view_rename,
    },
    Form {
        id: "alter-table-extra",
        dialects: ALL,
        body: false,
        matcher: alter_table_extra,
    },
    Form {
        id: "alter-other-object",
        dialects: PG,
        body: false,
        matcher: alter_other_object,
    },
    Form {
        id: "create-sequence-options",
        dialects: PG,
        body: false,
        matcher: create_sequence,
    },
    Form {
        id: "create-table-extra",
        dialects: ALL,
        body: false,
        matcher: create_table_extra,
    },
    Form {
        id: "create-routine",
        dialects: ALL,
        body: true,
        matcher: create_routine,
    },
    Form {
        id: "create-trigger",
        dialects: ALL,
        body: true,
        matcher: create_trigger,
    },
    Form {
        id: "create-event",
        dialects: MY,
        body: true,
        matcher: create_event,
    },
    Form {
        id: "create-fulltext-index",
        dialects: MY,
        body: false,
        matcher: create_fulltext_index,
    },
    Form {
        id: "create-other-object",
        dialects: PG,
        body: false,
        matcher: create_other_object,
    },
    Form {
        id: "drop-other-object",
        dialects: PG,
        body: false,
        matcher: drop_other_object,
    },
    Form {
        id: "comment-on",
        dialects: PG,
        body: false,
        matcher: comment_on,
    },
    Form {
        id: "maintenance",
        dialects: ALL,
        body: false,
        matcher: maintenance,
    },
    Form {
        id: "session-command",
        dialects: ALL,
        body: false,
        matcher: session_command,
    },
    Form {
        id: "dynamic-sql",
        dialects: MY,
        body: false,
        matcher: dynamic_sql,
    },
    Form {
        id: "pragma",
        dialects: LITE,
        body: false,
        matcher: pragma,
    },
    Form {
        id: "create-index-on-only",
        dialects: PG,
        body: false,
        matcher: create_index_on_only,
    },
    Form {
        id: "binary-attribute",
        dialects: MY,
        body: false,
        matcher: binary_attribute,
    },
    Form {
        id: "drop-index-options",
        dialects: MY,
        body: false,
        matcher: drop_index_options,
    },
];

/// Recognises `statement` (one statement, without its semicolon) as a valid form.
pub fn recognize(statement: &str, dialect: Dialect) -> Option<Recognized> {
    let words = Words::new(statement, dialect)?;
    FORMS
        .iter()
        .filter(|f| f.dialects.contains(&dialect))
        .filter(|f| f.body || !words.glued)
        .find_map(|f| {
            (f.matcher)(&words).map(|effects| Recognized {
                id: f.id,
                effects,
                ops: ops::of(f.id, &words),
            })
        })
}
