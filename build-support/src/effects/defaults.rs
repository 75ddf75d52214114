//! A column default as text to compare: two defaults the server stores alike read the same
//! here, so that a down that gives a column another default than it had can be told from one
//! that writes the same default another way.
//!
//! The comparison errs toward "the same": a form this does not reduce is kept as written, and
//! what it reduces (casts, quotes around a literal, spelling of booleans and, on MySQL, of the
//! current timestamp) it reduces on both sides alike. Two defaults read as different only when
//! the texts differ after that, which the servers also store differently.

use crate::Dialect;

/// `expr` (a default expression as sqlparser prints it) reduced for comparison.
pub(crate) fn default_text(expr: &str, dialect: Dialect) -> String {
    let mut text = outside_quotes(expr);
    text = strip_casts(&text);
    text = text.replace("public.", "");
    let mut text = strip_parens(&text);
    if let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .filter(|inner| !inner.contains('\''))
    {
        text = inner.to_owned();
    }
    let text = match text.as_str() {
        "t" | "true" | "yes" | "on" | "y" => "true".to_owned(),
        "f" | "false" | "no" | "off" | "n" => "false".to_owned(),
        _ => number(&text).unwrap_or(text),
    };
    match dialect {
        Dialect::MySql => match text.as_str() {
            "true" => "1".to_owned(),
            "false" => "0".to_owned(),
            "now()"
            | "current_timestamp()"
            | "current_timestamp"
            | "localtimestamp"
            | "localtimestamp()"
            | "localtime"
            | "localtime()" => "current_timestamp".to_owned(),
            _ => text,
        },
        Dialect::Postgres | Dialect::Sqlite => text,
    }
}

/// The text lower-cased and without whitespace, except inside single quotes.
fn outside_quotes(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quoted = false;
    for c in expr.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if quoted || c == '\'' {
            out.push(c);
        } else if !c.is_whitespace() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Without PostgreSQL's `::type` casts (which the server adds to what it stores, and which
/// the text has lost its spaces in: `::charactervarying(10)[]`).
fn strip_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_unquoted(rest, "::") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let name = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"'))
            .unwrap_or(after.len());
        let mut tail = &after[name..];
        if let Some(args) = tail.strip_prefix('(')
            && let Some(close) = args.find(')')
            && args[..close]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',')
        {
            tail = &args[close + 1..];
        }
        while let Some(t) = tail.strip_prefix("[]") {
            tail = t;
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Where `needle` first occurs outside single quotes.
fn find_unquoted(text: &str, needle: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted && text[i..].starts_with(needle) {
            return Some(i);
        }
    }
    None
}

/// Without parentheses around the whole.
fn strip_parens(text: &str) -> String {
    let mut text = text;
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')'))
        && balanced(inner)
    {
        text = inner;
    }
    text.to_owned()
}

/// Parentheses in `text` (outside quotes) never close more than they opened.
fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// A decimal number in one spelling: `0.00` and `0` alike, `1.50` as `1.5`.
fn number(text: &str) -> Option<String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return None;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let sign = if text.starts_with('-') && (int != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    Some(match frac {
        "" => format!("{sign}{int}"),
        _ => format!("{sign}{int}.{frac}"),
    })
}

#[cfg(test)]
mod tests {
    use super::default_text;
    use crate::Dialect::{MySql, Postgres, Sqlite};

    #[test]
    fn what_the_server_stores_alike_reads_alike() {
        for (dialect, a, b) in [
            (Postgres, "'a b'::CHARACTER VARYING", "'a b'"),
            (Postgres, "'-1'::INTEGER", "-1"),
            (Postgres, "(0)", "0"),
            (Postgres, "'{}'::TEXT[]", "'{}'"),
            (Postgres, "'t'", "TRUE"),
            (Postgres, "nextval('s'::regclass)", "nextval('s')"),
            (Postgres, "public.gen_id()", "gen_id()"),
            (Postgres, "CURRENT_TIMESTAMP", "current_timestamp"),
            (MySql, "'0'", "0"),
            (MySql, "0.00", "0"),
            (MySql, "now()", "CURRENT_TIMESTAMP"),
            (MySql, "TRUE", "1"),
            (Sqlite, "( 1 )", "1"),
        ] {
            assert_eq!(
                default_text(a, dialect),
                default_text(b, dialect),
                "{a} / {b}"
            );
        }
    }

    #[test]
    fn what_the_server_stores_differently_reads_differently() {
        for (dialect, a, b) in [
            (Postgres, "now()", "CURRENT_TIMESTAMP"),
            (Postgres, "true", "false"),
            (Postgres, "'0.0.0'", "'0.0.1'"),
            (Postgres, "'A'", "'a'"),
            (Postgres, "1", "-1"),
            (MySql, "'x'", "''"),
            (Sqlite, "0", "1"),
        ] {
            assert_ne!(
                default_text(a, dialect),
                default_text(b, dialect),
                "{a} / {b}"
            );
        }
    }
}
