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

/// Keywords that start a statement on their own.
const STATEMENT_STARTS: &[&str] = &[
    "CREATE", "INSERT", "UPDATE", "DELETE", "SELECT", "GRANT", "REVOKE", "COMMENT", "TRUNCATE",
];

/// Object kinds after ALTER or DROP that make it a statement rather than an `ALTER TABLE`
/// sub-action (`ALTER COLUMN`, `DROP CONSTRAINT`).
const OBJECT_KINDS: &[&str] = &[
    "TABLE",
    "INDEX",
    "SEQUENCE",
    "VIEW",
    "MATERIALIZED",
    "TYPE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "SCHEMA",
    "EXTENSION",
    "DOMAIN",
    "POLICY",
    "ROLE",
    "USER",
    "DATABASE",
    "EVENT",
];

impl Words {
    fn new(statement: &str, dialect: Dialect) -> Option<Words> {
        let sqlparser_dialect = dialect.sqlparser();
        let all = Tokenizer::new(&*sqlparser_dialect, statement)
            .tokenize_with_location()
            .ok()?;
        let all: Vec<_> = all
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        let word = |i: usize| match all.get(i).map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        };
        let mut glued = false;
        let mut depth = 0usize;
        for (i, t) in all.iter().enumerate() {
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
            let first_on_line = i > 0 && all[i - 1].span.start.line != t.span.start.line;
            let starts_statement = STATEMENT_STARTS.contains(&word(i).as_str())
                || (matches!(word(i).as_str(), "ALTER" | "DROP")
                    && OBJECT_KINDS.contains(&word(i + 1).as_str()));
            if first_on_line && depth == 0 && starts_statement {
                glued = true;
            }
        }
        let tokens = all.into_iter().map(|t| t.token).collect();
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
    for action in split_top_level(&w.tokens[next..]) {
        match table_action(w, action, &table) {
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
/// does (or a malformed one).
fn table_action(w: &Words, action: &[Token], table: &str) -> Option<Vec<Effect>> {
    let a = Words {
        tokens: action.to_vec(),
        dialect: w.dialect,
        glued: false,
    };
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
        if set && known {
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

/// Splits tokens at commas outside parentheses.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Tokens back to SQL text.
fn render(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The effects of `sql` when sqlparser parses it as one statement.
fn reparse(sql: &str, dialect: Dialect) -> Option<Vec<Effect>> {
    let mut statements = sqlparser::parser::Parser::new(&*dialect.sqlparser())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .ok()?;
    (statements.len() == 1).then(|| crate::effects::of_statement(&statements.remove(0), dialect))
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
        columns: Vec::new(),
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
        columns: Vec::new(),
    }])
}

/// `CREATE TABLE` forms sqlparser rejects: `LIKE … INCLUDING`, PostgreSQL 18 `CONSTRAINT n NOT
/// NULL c`, SQLite's table constraints written without commas between them. The table is
/// rewritten without them and parsed again; if even that fails, the table is created with
/// unknown columns.
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

fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
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
        columns: Vec::new(),
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
            columns: Vec::new(),
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
            columns: Vec::new(),
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
            "CREATE TABLE c (a INT, b INT, CONSTRAINT f1 FOREIGN KEY (a) REFERENCES p(id) ON DELETE NO ACTION\n CONSTRAINT f2 FOREIGN KEY (b) REFERENCES p(id))",
            "create-table-extra",
            &["\"f1\"", "\"f2\"", "Column"],
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
        rejected(
            pg,
            "ALTER TABLE t ALTER CONSTRAINT c DEFERRABLE, DROP IF EXISTS COLUMN x",
        );
        rejected(
            pg,
            "CREATE TABLE t (a int, CONSTRAINT t_a_nn NOT NULL a, b)",
        );
        rejected(pg, "SELECT 1 2");
        rejected(Dialect::MySql, "ALTER TABLE t RENAME t2 extra");
    }
}
