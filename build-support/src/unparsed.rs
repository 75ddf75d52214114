//! Valid SQL that sqlparser cannot parse, recognised at token level.

use crate::Dialect;
use crate::model::Effect;

/// A recognised statement: which form, and what it does to the schema.
#[derive(Clone, Debug)]
pub struct Recognized {
    pub id: &'static str,
    pub effects: Vec<Effect>,
}

/// Recognises `statement` (one statement, without its semicolon) as a valid form.
pub fn recognize(_statement: &str, _dialect: Dialect) -> Option<Recognized> {
    None
}
