//! SQL text: a script split into statements at top-level semicolons (`split.rs`), each statement
//! parsed on its own with its schema effects (`parse.rs`), and the one list of valid forms
//! sqlparser cannot parse ([`unparsed`]).

mod ops;
mod parse;
mod split;
pub mod unparsed;

pub use ops::{Alter, ConstraintKind, DefaultKind, LockMode, Op};
pub use parse::{AddedColumn, ParsedStatement, StatementKind, Syntax, parse_script};
pub use split::{SplitError, Statement, split_in_pieces, split_statements, transaction_control};
