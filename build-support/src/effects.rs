//! The schema effects of a parsed statement (see [`crate::model::Effect`]).

use sqlparser::ast::Statement;

use crate::Dialect;
use crate::model::Effect;

/// What `statement` does to the schema, in order.
pub fn of_statement(_statement: &Statement, _dialect: Dialect) -> Vec<Effect> {
    Vec::new()
}
