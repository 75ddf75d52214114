//! The columns an expression reads (a CHECK, an index expression), from its text: words that
//! are not keywords, not called as functions and not qualifiers.

use sqlparser::ast::Expr;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::names::normalize;
use crate::Dialect;

/// Words that may appear in a CHECK expression without naming a column.
const EXPRESSION_KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "AT",
    "BETWEEN",
    "CASE",
    "CAST",
    "COLLATE",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DISTINCT",
    "ELSE",
    "END",
    "ESCAPE",
    "FALSE",
    "FROM",
    "ILIKE",
    "IN",
    "INTERVAL",
    "IS",
    "ISNULL",
    "LIKE",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOT",
    "NOTNULL",
    "NULL",
    "OR",
    "OVERLAPS",
    "SESSION_USER",
    "SIMILAR",
    "SOME",
    "THEN",
    "TIME",
    "TO",
    "TRUE",
    "UNKNOWN",
    "USER",
    "VALUE",
    "WHEN",
    "ZONE",
];

/// The plain names in an expression's text that may be columns: words that are not keywords
/// and not called as functions.
pub(super) fn expression_words(expr: &str, dialect: Dialect) -> Vec<String> {
    let sqlparser_dialect = dialect.sqlparser();
    let Ok(tokens) = Tokenizer::new(&*sqlparser_dialect, expr).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut words = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let Token::Word(w) = t
            && (w.keyword == Keyword::NoKeyword || w.quote_style.is_some())
            && tokens.get(i + 1) != Some(&&Token::LParen)
            && (i == 0 || tokens[i - 1] != &Token::Period)
        {
            words.push(normalize(&w.value, w.quote_style.is_some(), dialect));
        }
    }
    words
}

/// The distinct columns a CHECK expression refers to, in order of appearance. With `known`
/// (the table's columns) every word naming one of them counts; without it, every word that is
/// not an SQL keyword does, and an unknown keyword-like word makes the answer `None`.
pub(super) fn referenced_columns(
    expr: &Expr,
    dialect: Dialect,
    known: Option<&[String]>,
) -> Option<Vec<String>> {
    let text = expr.to_string();
    let tokens = Tokenizer::new(&*dialect.sqlparser(), &text)
        .tokenize()
        .ok()?;
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        let next = tokens.get(i + 1);
        let previous = i.checked_sub(1).and_then(|p| tokens.get(p));
        let call_or_qualifier = matches!(next, Some(Token::LParen | Token::Period));
        let type_name = matches!(previous, Some(Token::DoubleColon));
        if call_or_qualifier || type_name {
            continue;
        }
        let name = normalize(&word.value, word.quote_style.is_some(), dialect);
        let is_column = match known {
            Some(known) => known.contains(&name),
            None if word.quote_style.is_some() || word.keyword == Keyword::NoKeyword => true,
            None if EXPRESSION_KEYWORDS.contains(&word.value.to_ascii_uppercase().as_str()) => {
                false
            }
            None => return None,
        };
        if is_column && !columns.contains(&name) {
            columns.push(name);
        }
    }
    Some(columns)
}
