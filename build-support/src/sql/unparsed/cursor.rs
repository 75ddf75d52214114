//! The cursor the forms read a statement with: its tokens without whitespace and comments,
//! keyword tests and name readers over them, and the token helpers the forms that rewrite a
//! statement share (split at top-level commas, render back to SQL, parse again).

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::Dialect;
use crate::effects::normalize;
use crate::model::Effect;

/// The statement's tokens without whitespace and comments.
pub(super) struct Words {
    pub(super) tokens: Vec<Token>,
    pub(super) dialect: Dialect,
    /// A statement keyword starts a later line at the top level: probably a missing `;`.
    pub(super) glued: bool,
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
    pub(super) fn new(statement: &str, dialect: Dialect) -> Option<Words> {
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
    pub(super) fn kw(&self, i: usize) -> Option<String> {
        match self.tokens.get(i)? {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    pub(super) fn is(&self, i: usize, keyword: &str) -> bool {
        self.kw(i).as_deref() == Some(keyword)
    }

    /// Whether the statement starts with these keywords.
    pub(super) fn starts(&self, keywords: &[&str]) -> bool {
        keywords.iter().enumerate().all(|(i, k)| self.is(i, k))
    }

    /// Skips optional keyword sequences at `i` (e.g. `IF EXISTS`), returning the new position.
    pub(super) fn skip(&self, mut i: usize, optional: &[&[&str]]) -> usize {
        for seq in optional {
            if seq.iter().enumerate().all(|(j, k)| self.is(i + j, k)) {
                i += seq.len();
            }
        }
        i
    }

    /// A possibly qualified name at `i`: its normalised last part and the position after it.
    pub(super) fn name(&self, mut i: usize) -> Option<(String, usize)> {
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
    pub(super) fn names(&self, mut i: usize) -> Vec<String> {
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
    pub(super) fn find(&self, from: usize, keyword: &str) -> Option<usize> {
        (from..self.tokens.len()).find(|&i| self.is(i, keyword))
    }
}

/// Splits tokens at commas outside parentheses.
pub(super) fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
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
pub(super) fn render(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The effects of `sql` when sqlparser parses it as one statement.
pub(super) fn reparse(sql: &str, dialect: Dialect) -> Option<Vec<Effect>> {
    let mut statements = sqlparser::parser::Parser::new(&*dialect.sqlparser())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .ok()?;
    (statements.len() == 1).then(|| crate::effects::of_statement(&statements.remove(0), dialect))
}

pub(super) fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
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
