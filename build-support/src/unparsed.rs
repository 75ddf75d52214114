//! Valid SQL that sqlparser cannot parse, recognised at token level.
//!
//! Every such form is listed once, in [`FORMS`], with what it does to the schema. A statement
//! sqlparser rejects is valid only if one of these forms matches it; anything else is a
//! `syntax-error`. Forms without a routine body refuse a statement in which a second statement
//! seems to start on a later line (a missing semicolon), so they never hide that mistake.

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::Dialect;
use crate::effects::normalize;
use crate::model::{Effect, ObjectId, ObjectKind};

/// A recognised statement: which form, and what it does to the schema.
#[derive(Clone, Debug)]
pub struct Recognized {
    pub id: &'static str,
    pub effects: Vec<Effect>,
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
        id: "alter-trigger-rename",
        dialects: PG,
        body: false,
        matcher: alter_trigger_rename,
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
        id: "create-extension-schema",
        dialects: PG,
        body: false,
        matcher: create_extension,
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
        id: "empty-select",
        dialects: PG,
        body: false,
        matcher: empty_select,
    },
];

/// Recognises `statement` (one statement, without its semicolon) as a valid form.
pub fn recognize(statement: &str, dialect: Dialect) -> Option<Recognized> {
    let words = Words::new(statement, dialect)?;
    FORMS
        .iter()
        .filter(|f| f.dialects.contains(&dialect))
        .filter(|f| f.body || !words.glued)
        .find_map(|f| (f.matcher)(&words).map(|effects| Recognized { id: f.id, effects }))
}

/// The statement's tokens without whitespace and comments.
struct Words {
    tokens: Vec<Token>,
    dialect: Dialect,
    /// A statement keyword starts a later line at the top level: probably a missing `;`.
    glued: bool,
}

const STATEMENT_STARTS: &[&str] = &[
    "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "SELECT", "GRANT", "REVOKE",
    "COMMENT", "TRUNCATE",
];

impl Words {
    fn new(statement: &str, dialect: Dialect) -> Option<Words> {
        let sqlparser_dialect = dialect.sqlparser();
        let all = Tokenizer::new(&*sqlparser_dialect, statement)
            .tokenize_with_location()
            .ok()?;
        let mut tokens = Vec::new();
        let mut glued = false;
        let mut depth = 0usize;
        let mut last_line = 0;
        for t in all {
            if matches!(t.token, Token::Whitespace(_)) {
                continue;
            }
            let first_on_line = t.span.start.line != last_line;
            last_line = t.span.start.line;
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Word(w)
                    if !tokens.is_empty()
                        && first_on_line
                        && depth == 0
                        && w.quote_style.is_none()
                        && STATEMENT_STARTS.contains(&w.value.to_ascii_uppercase().as_str()) =>
                {
                    glued = true;
                }
                _ => {}
            }
            tokens.push(t.token);
        }
        Some(Words {
            tokens,
            dialect,
            glued,
        })
    }

    /// The unquoted keyword at `i`, upper-cased.
    fn kw(&self, i: usize) -> Option<String> {
        match self.tokens.get(i)? {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is(&self, i: usize, keyword: &str) -> bool {
        self.kw(i).as_deref() == Some(keyword)
    }

    /// Whether the statement starts with these keywords.
    fn starts(&self, keywords: &[&str]) -> bool {
        keywords.iter().enumerate().all(|(i, k)| self.is(i, k))
    }

    /// Skips optional keyword sequences at `i` (e.g. `IF EXISTS`), returning the new position.
    fn skip(&self, mut i: usize, optional: &[&[&str]]) -> usize {
        for seq in optional {
            if seq.iter().enumerate().all(|(j, k)| self.is(i + j, k)) {
                i += seq.len();
            }
        }
        i
    }

    /// A possibly qualified name at `i`: its normalised last part and the position after it.
    fn name(&self, mut i: usize) -> Option<(String, usize)> {
        loop {
            let Token::Word(w) = self.tokens.get(i)? else {
                return None;
            };
            i += 1;
            if self.tokens.get(i) == Some(&Token::Period) {
                i += 1;
            } else {
                return Some((
                    normalize(&w.value, w.quote_style.is_some(), self.dialect),
                    i,
                ));
            }
        }
    }

    /// Comma-separated names from `i`.
    fn names(&self, mut i: usize) -> Vec<String> {
        let mut out = Vec::new();
        while let Some((name, next)) = self.name(i) {
            out.push(name);
            if self.tokens.get(next) == Some(&Token::Comma) {
                i = next + 1;
            } else {
                break;
            }
        }
        out
    }

    /// The position of the first top-level keyword `keyword` at or after `from`.
    fn find(&self, from: usize, keyword: &str) -> Option<usize> {
        (from..self.tokens.len()).find(|&i| self.is(i, keyword))
    }
}

fn do_block(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["DO"]).then(|| vec![Effect::Opaque])
}

fn drop_index_concurrently(w: &Words) -> Option<Vec<Effect>> {
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

fn reindex_concurrently(w: &Words) -> Option<Vec<Effect>> {
    (w.starts(&["REINDEX"]) && w.find(1, "CONCURRENTLY").is_some()).then(Vec::new)
}

fn reindex(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["REINDEX"]).then(Vec::new)
}

fn alter_sequence(w: &Words) -> Option<Vec<Effect>> {
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

fn alter_trigger_rename(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["ALTER", "TRIGGER"]) {
        return None;
    }
    let (name, next) = w.name(2)?;
    let on = w.find(next, "ON")?;
    let (_, after) = w.name(on + 1)?;
    if w.is(after, "RENAME") && w.is(after + 1, "TO") {
        let (to, _) = w.name(after + 2)?;
        return Some(vec![Effect::Rename {
            from: ObjectId::new(ObjectKind::Trigger, name),
            to: ObjectId::new(ObjectKind::Trigger, to),
        }]);
    }
    Some(Vec::new())
}

fn alter_index(w: &Words) -> Option<Vec<Effect>> {
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

fn alter_view_rename(w: &Words) -> Option<Vec<Effect>> {
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

fn alter_table_extra(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["ALTER", "TABLE"]) {
        return None;
    }
    let (table, next) = w.name(w.skip(2, &[&["IF", "EXISTS"], &["ONLY"]]))?;
    let uses = Effect::Use {
        object: ObjectId::table(table.clone()),
    };
    // MySQL: `RENAME [TO|AS] new` and `RENAME INDEX|KEY a TO b`.
    if w.is(next, "RENAME") {
        if w.is(next + 1, "INDEX") || w.is(next + 1, "KEY") {
            let (from, after) = w.name(next + 2)?;
            let (to, _) = w.name(after + usize::from(w.is(after, "TO")))?;
            return Some(vec![
                uses,
                Effect::Rename {
                    from: ObjectId::new(ObjectKind::Index, from),
                    to: ObjectId::new(ObjectKind::Index, to),
                },
            ]);
        }
        let at = next + 1 + usize::from(w.is(next + 1, "TO") || w.is(next + 1, "AS"));
        let (to, end) = w.name(at)?;
        return (end == w.tokens.len()).then(|| {
            vec![Effect::Rename {
                from: ObjectId::table(table),
                to: ObjectId::table(to),
            }]
        });
    }
    // PostgreSQL 18: `ADD CONSTRAINT name NOT NULL column`.
    if w.is(next, "ADD")
        && w.is(next + 1, "CONSTRAINT")
        && w.is(next + 3, "NOT")
        && w.is(next + 4, "NULL")
    {
        let (name, _) = w.name(next + 2)?;
        return Some(vec![
            uses,
            Effect::Create {
                object: ObjectId::constraint(table, name),
                if_not_exists: false,
                or_replace: false,
                on: None,
                references: None,
            },
        ]);
    }
    // `ALTER COLUMN c SET STATISTICS|STORAGE|COMPRESSION …`, `ALTER COLUMN c TYPE … COLLATE …`.
    if w.is(next, "ALTER") && !w.is(next + 1, "CONSTRAINT") {
        let col_at = next + 1 + usize::from(w.is(next + 1, "COLUMN"));
        let (column, after) = w.name(col_at)?;
        let known = [
            ["SET", "STATISTICS"],
            ["SET", "STORAGE"],
            ["SET", "COMPRESSION"],
            ["RESET", "("],
            ["SET", "("],
        ];
        if known.iter().any(|k| {
            w.is(after, k[0])
                && (w.is(after + 1, k[1])
                    || (k[1] == "(" && w.tokens.get(after + 1) == Some(&Token::LParen)))
        }) {
            return Some(vec![
                uses,
                Effect::Use {
                    object: ObjectId::column(table, column),
                },
            ]);
        }
        return None;
    }
    let matches = ALTER_TABLE_ACTIONS
        .iter()
        .any(|seq| seq.iter().enumerate().all(|(j, k)| w.is(next + j, k)));
    matches.then(|| {
        vec![
            uses,
            Effect::Uncertain {
                object: ObjectId::table(table),
            },
        ]
    })
}

fn alter_other_object(w: &Words) -> Option<Vec<Effect>> {
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

fn create_sequence(w: &Words) -> Option<Vec<Effect>> {
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
    }])
}

fn create_extension(w: &Words) -> Option<Vec<Effect>> {
    if !w.starts(&["CREATE", "EXTENSION"]) {
        return None;
    }
    let if_not_exists = w.is(2, "IF");
    let (name, _) = w.name(w.skip(2, &[&["IF", "NOT", "EXISTS"]]))?;
    Some(vec![Effect::Create {
        object: ObjectId::new(ObjectKind::Extension, name),
        if_not_exists,
        or_replace: false,
        on: None,
        references: None,
    }])
}

/// `CREATE TABLE` forms sqlparser rejects: `LIKE … INCLUDING`, PostgreSQL 18 `CONSTRAINT n NOT
/// NULL c`, SQLite's table constraints written without commas between them.
fn create_table_extra(w: &Words) -> Option<Vec<Effect>> {
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
    let (name, next) = w.name(w.skip(at + 1, &[&["IF", "NOT", "EXISTS"]]))?;
    if w.tokens.get(next) != Some(&Token::LParen) {
        return None;
    }
    let known = (next..w.tokens.len()).any(|i| {
        (w.is(i, "LIKE") && (w.find(i, "INCLUDING").is_some() || w.find(i, "EXCLUDING").is_some()))
            || (w.is(i, "CONSTRAINT") && w.is(i + 2, "NOT") && w.is(i + 3, "NULL"))
            || (w.dialect == Dialect::Sqlite
                && w.tokens.get(i) == Some(&Token::RParen)
                && ["CONSTRAINT", "FOREIGN", "PRIMARY", "UNIQUE", "CHECK"]
                    .iter()
                    .any(|k| w.is(i + 1, k)))
    });
    known.then(|| {
        vec![
            Effect::Create {
                object: ObjectId::table(name.clone()),
                if_not_exists,
                or_replace: false,
                on: None,
                references: None,
            },
            Effect::Uncertain {
                object: ObjectId::table(name),
            },
        ]
    })
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

fn create_routine(w: &Words) -> Option<Vec<Effect>> {
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
    }])
}

fn create_trigger(w: &Words) -> Option<Vec<Effect>> {
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
        },
    ])
}

fn create_event(w: &Words) -> Option<Vec<Effect>> {
    (w.is(0, "CREATE") && w.is(after_create(w), "EVENT")).then(Vec::new)
}

fn create_fulltext_index(w: &Words) -> Option<Vec<Effect>> {
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
        },
    ])
}

const OTHER_KINDS: &[&str] = &[
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

fn create_other_object(w: &Words) -> Option<Vec<Effect>> {
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

fn drop_other_object(w: &Words) -> Option<Vec<Effect>> {
    (w.is(0, "DROP") && w.kw(1).is_some_and(|k| OTHER_KINDS.contains(&k.as_str()))).then(Vec::new)
}

fn comment_on(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["COMMENT", "ON"]).then(Vec::new)
}

fn maintenance(w: &Words) -> Option<Vec<Effect>> {
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

fn session_command(w: &Words) -> Option<Vec<Effect>> {
    let first = w.kw(0)?;
    matches!(
        first.as_str(),
        "SET" | "RESET" | "DISCARD" | "NOTIFY" | "LISTEN" | "UNLISTEN" | "GRANT" | "REVOKE"
    )
    .then(Vec::new)
}

fn dynamic_sql(w: &Words) -> Option<Vec<Effect>> {
    match w.kw(0)?.as_str() {
        "PREPARE" | "DEALLOCATE" => Some(Vec::new()),
        // Runs SQL built at run time: its effects are unknown.
        "EXECUTE" => Some(vec![Effect::Opaque]),
        _ => None,
    }
}

fn pragma(w: &Words) -> Option<Vec<Effect>> {
    w.starts(&["PRAGMA"]).then(Vec::new)
}

fn empty_select(w: &Words) -> Option<Vec<Effect>> {
    (w.tokens.len() == 1 && w.is(0, "SELECT")).then(Vec::new)
}

#[cfg(test)]
mod tests {
    use sqlparser::parser::Parser;

    use super::*;

    /// `sql` is rejected by sqlparser, recognised as `form`, with these effects (as `Debug`
    /// text fragments that must all appear).
    fn check(dialect: Dialect, sql: &str, form: &str, effects: &[&str]) {
        let parsed = Parser::new(&*dialect.sqlparser())
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_statements());
        assert!(
            parsed.is_err(),
            "sqlparser now parses {sql:?}: the form may be unnecessary"
        );
        let r = recognize(sql, dialect).unwrap_or_else(|| panic!("not recognised: {sql}"));
        assert_eq!(r.id, form, "{sql}");
        let shown = format!("{:?}", r.effects);
        for e in effects {
            assert!(shown.contains(e), "{sql}: {e} not in {shown}");
        }
    }

    fn rejected(dialect: Dialect, sql: &str) {
        assert!(
            recognize(sql, dialect).is_none(),
            "wrongly recognised: {sql}"
        );
    }

    #[test]
    fn postgres_forms() {
        let pg = Dialect::Postgres;
        check(pg, "DO $$ BEGIN PERFORM 1; END $$", "do-block", &["Opaque"]);
        check(
            pg,
            "DROP INDEX CONCURRENTLY IF EXISTS a, s.b CASCADE",
            "drop-index-concurrently",
            &["name: \"a\"", "name: \"b\"", "if_exists: true"],
        );
        check(
            pg,
            "REINDEX INDEX CONCURRENTLY i",
            "reindex-concurrently",
            &[],
        );
        check(pg, "REINDEX TABLE t", "reindex", &[]);
        check(
            pg,
            "ALTER SEQUENCE s OWNED BY t.id",
            "alter-sequence",
            &["Use", "Sequence"],
        );
        check(
            pg,
            "ALTER SEQUENCE s RENAME TO s2",
            "alter-sequence",
            &["Rename", "\"s2\""],
        );
        check(
            pg,
            "ALTER TRIGGER trg ON t RENAME TO trg2",
            "alter-trigger-rename",
            &["Rename", "\"trg2\""],
        );
        check(
            pg,
            "ALTER VIEW v RENAME TO w",
            "alter-view-rename",
            &["Rename", "\"w\""],
        );
        check(
            pg,
            "ALTER TABLE t ALTER CONSTRAINT t_fk NOT DEFERRABLE",
            "alter-table-extra",
            &["Uncertain"],
        );
        check(
            pg,
            "ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a",
            "alter-table-extra",
            &["Constraint", "\"t_a_nn\""],
        );
        check(
            pg,
            "ALTER TABLE t ALTER COLUMN c SET STATISTICS 100",
            "alter-table-extra",
            &["Column"],
        );
        check(
            pg,
            "ALTER TABLE t ATTACH PARTITION p FOR VALUES FROM (1) TO (2)",
            "alter-table-extra",
            &["Uncertain"],
        );
        check(
            pg,
            "ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO r",
            "alter-other-object",
            &[],
        );
        check(pg, "ALTER EXTENSION x UPDATE", "alter-other-object", &[]);
        check(
            pg,
            "CREATE SEQUENCE s START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1",
            "create-sequence-options",
            &["Sequence"],
        );
        check(
            pg,
            "CREATE EXTENSION IF NOT EXISTS ltree SCHEMA public",
            "create-extension-schema",
            &["Extension", "\"ltree\""],
        );
        check(
            pg,
            "CREATE TABLE t (LIKE u INCLUDING ALL)",
            "create-table-extra",
            &["Table", "Uncertain"],
        );
        check(
            pg,
            "CREATE TABLE t (a int, CONSTRAINT t_a_nn NOT NULL a)",
            "create-table-extra",
            &["Table"],
        );
        check(
            pg,
            "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN END $$",
            "create-routine",
            &["Function", "\"p\""],
        );
        check(
            pg,
            "CREATE AGGREGATE a (int) (sfunc = f, stype = int)",
            "create-other-object",
            &[],
        );
        check(
            pg,
            "CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING",
            "create-other-object",
            &[],
        );
        check(
            pg,
            "CREATE CAST (text AS int) WITH INOUT",
            "create-other-object",
            &[],
        );
        check(
            pg,
            "CREATE PUBLICATION p FOR TABLE t",
            "create-other-object",
            &[],
        );
        check(pg, "VACUUM ANALYZE t", "maintenance", &[]);
        check(
            pg,
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v",
            "maintenance",
            &[],
        );
        check(pg, "CLUSTER t USING i", "maintenance", &[]);
        check(pg, "SECURITY LABEL ON TABLE t IS 'x'", "maintenance", &[]);
        check(pg, "SELECT", "empty-select", &[]);
    }

    #[test]
    fn mysql_and_sqlite_forms() {
        let my = Dialect::MySql;
        check(
            my,
            "ALTER TABLE t ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4",
            "alter-table-extra",
            &["Uncertain"],
        );
        check(
            my,
            "ALTER TABLE t RENAME t_old",
            "alter-table-extra",
            &["Rename", "\"t_old\""],
        );
        check(
            my,
            "ALTER TABLE t RENAME INDEX a TO b",
            "alter-table-extra",
            &["Index", "\"b\""],
        );
        check(
            my,
            "CREATE PROCEDURE p(IN x INT) BEGIN IF x > 0 THEN SELECT 1; END IF; END",
            "create-routine",
            &["Function"],
        );
        check(
            my,
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
            "create-trigger",
            &["Trigger", "on: Some(\"t\")"],
        );
        check(
            my,
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
            "create-event",
            &[],
        );
        check(
            my,
            "CREATE FULLTEXT INDEX idx ON t (name)",
            "create-fulltext-index",
            &["Index", "\"idx\""],
        );
        check(my, "PREPARE stmt FROM @q", "dynamic-sql", &[]);
        let lite = Dialect::Sqlite;
        check(lite, "PRAGMA foreign_keys = off", "pragma", &[]);
        check(lite, "REINDEX", "reindex", &[]);
        check(
            lite,
            "CREATE TABLE c (a INT, b INT, CONSTRAINT f1 FOREIGN KEY (a) REFERENCES p(id) CONSTRAINT f2 FOREIGN KEY (b) REFERENCES p(id))",
            "create-table-extra",
            &["Table"],
        );
    }

    #[test]
    fn malformed_statements_stay_unrecognised() {
        let pg = Dialect::Postgres;
        rejected(pg, "CREATE TABLE a (id int)\nCREATE TABLE b (id int)");
        rejected(
            pg,
            "ALTER TABLE t ADD COLUMN x int\nCREATE INDEX i ON t (x)",
        );
        rejected(pg, "ALTER TABLE t DROP IF EXISTS COLUMN x");
        rejected(pg, "DROP INDEX CONCURRENTLY i\nDROP TABLE t");
        rejected(pg, "CRATE TABLE t (id int)");
        rejected(pg, "ALTER TABLE t FROBNICATE");
        rejected(pg, "SELECT 1 2");
        rejected(Dialect::MySql, "ALTER TABLE t RENAME t2 extra");
    }
}
