//! Names as the model compares them: [`normalize`]d identifiers (see the `effects` module
//! documentation) and PostgreSQL's implicit names (`makeObjectName`).

use sqlparser::ast::{Ident, ObjectName};

use crate::Dialect;

/// The normalised form of one identifier (see the module documentation).
pub fn normalize(value: &str, quoted: bool, dialect: Dialect) -> String {
    if quoted && dialect == Dialect::Postgres {
        value.to_owned()
    } else {
        value.to_ascii_lowercase()
    }
}

/// The normalised name of an identifier.
pub fn ident_name(ident: &Ident, dialect: Dialect) -> String {
    normalize(&ident.value, ident.quote_style.is_some(), dialect)
}

/// The normalised name of a possibly qualified object name: its last part.
pub fn object_name(name: &ObjectName, dialect: Dialect) -> String {
    name.0
        .last()
        .map_or_else(String::new, |part| match part.as_ident() {
            Some(ident) => ident_name(ident, dialect),
            None => part.to_string(),
        })
}

/// PostgreSQL's `makeObjectName`: `name1[_name2]_label`, with `name1` and `name2` shortened
/// (the longer one first) so that the result fits in 63 bytes.
pub(crate) fn pg_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    const MAX: usize = 63;
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let available = MAX.saturating_sub(overhead);
    let (mut len1, mut len2) = (name1.len(), name2.map_or(0, str::len));
    while len1 + len2 > available {
        if len1 > len2 {
            len1 -= 1;
        } else {
            len2 -= 1;
        }
    }
    let mut name = clip(name1, len1).to_owned();
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(clip(name2, len2));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The longest prefix of `s` of at most `len` bytes that ends on a character boundary.
fn clip(s: &str, mut len: usize) -> &str {
    while !s.is_char_boundary(len) {
        len -= 1;
    }
    &s[..len]
}
