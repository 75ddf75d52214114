//! Parsing a script: split at top-level semicolons, then parse each statement on its own with
//! sqlparser. A statement sqlparser rejects is checked against the valid-but-unparsed forms
//! ([`crate::sql::unparsed`]) before it counts as a syntax error.

use std::ops::Range;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeOperation, ColumnDef, ColumnOption,
    CreateFunctionBody, Expr, Ident, Statement as Ast, Value,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use super::ops::{self, Op};
use super::split::{PIECE, SplitError, Statement, for_each_statement, offset_from};
use super::unparsed;
use crate::model::{Effect, ObjectKind};
use crate::{Dialect, effects};

/// One statement of a script with what the checker knows about it.
#[derive(Clone, Debug)]
pub struct ParsedStatement {
    /// Byte range in the script (see [`crate::Statement`]).
    pub span: Range<usize>,
    pub kind: StatementKind,
    /// What it does to the schema, in order.
    pub effects: Vec<Effect>,
    /// What it does in the lock model's terms (see [`Op`]).
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug)]
pub enum StatementKind {
    /// Parsed by sqlparser: what the lint rules read of its syntax tree. The tree itself is
    /// dropped once the statement's effects are known (a tree takes kilobytes, its root alone
    /// 3.4 KB: keeping every statement's made `lint` of a 50 MB migration take gigabytes).
    Parsed(Syntax),
    /// Valid SQL that sqlparser cannot parse, recognised by its tokens: the form's id from
    /// [`crate::sql::unparsed::FORMS`].
    Recognized(&'static str),
    /// Not valid SQL: the parser's message and the byte offset (in the script) it points at.
    Invalid { message: String, offset: usize },
}

/// The part of a parsed statement's syntax tree that a lint rule reads, by statement; a rule
/// that needs more of a tree adds it here.
#[derive(Clone, Debug, PartialEq)]
pub enum Syntax {
    CreateIndex {
        concurrently: bool,
    },
    /// `CREATE TABLE`: each column's name and type, as written (the type lower-cased). Not the
    /// whole column definitions: a dump's tables would keep their defaults and constraints.
    CreateTable {
        columns: Vec<(String, String)>,
    },
    /// `ALTER TABLE`: the columns it adds, and the existing columns whose definition its
    /// actions change (`ALTER COLUMN`, MySQL's `MODIFY`/`CHANGE`) with what each does.
    AlterTable {
        added_columns: Vec<AddedColumn>,
        changed_columns: Vec<(Ident, &'static str)>,
        /// The columns whose type its actions set (`ALTER COLUMN … TYPE`, MySQL's `MODIFY`, and
        /// `CHANGE` under the new name), with the type as the server names it where that is
        /// sure (see [`crate::effects::column_type`]).
        set_types: Vec<(Ident, Option<String>)>,
        /// The columns whose default `ALTER COLUMN … SET DEFAULT` sets, with the default
        /// reduced for comparison (`None`: `SET DEFAULT NULL`, no default).
        set_defaults: Vec<(Ident, Option<String>)>,
    },
    /// `ALTER TYPE … ADD VALUE`.
    AlterTypeAddValue,
    /// `CREATE VIEW` (and `MATERIALIZED VIEW`): its column list and query as sqlparser prints
    /// them (keyword case, spacing and line breaks normalised), to tell a definition from another.
    CreateView {
        definition: String,
    },
    /// `CREATE FUNCTION`: its body, without its quotes, when it is a string.
    CreateFunction {
        body: Option<String>,
    },
    /// `DELETE`: whether it has no `WHERE` (it empties its table).
    Delete {
        every_row: bool,
    },
    Truncate,
    /// Any other statement: nothing of its tree is kept.
    Other,
}

impl Syntax {
    fn of(ast: Ast, dialect: Dialect) -> Syntax {
        match ast {
            Ast::CreateIndex(create) => Syntax::CreateIndex {
                concurrently: create.concurrently,
            },
            Ast::CreateTable(create) => Syntax::CreateTable {
                columns: create
                    .columns
                    .into_iter()
                    .map(|c| (c.name.value, c.data_type.to_string().to_ascii_lowercase()))
                    .collect(),
            },
            Ast::AlterTable(alter) => {
                let mut added_columns = Vec::new();
                let mut changed_columns = Vec::new();
                let mut set_types = Vec::new();
                let mut set_defaults = Vec::new();
                let type_of = |t: &sqlparser::ast::DataType| effects::column_type(t, dialect);
                for op in alter.operations {
                    match op {
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            added_columns.push(AddedColumn::of(&column_def));
                        }
                        AlterTableOperation::AlterColumn { column_name, op } => {
                            if let AlterColumnOperation::SetDataType { data_type, .. } = &op {
                                set_types.push((column_name.clone(), type_of(data_type)));
                            }
                            if let AlterColumnOperation::SetDefault { value } = &op {
                                let text = value.to_string();
                                let default = (!text.eq_ignore_ascii_case("NULL"))
                                    .then(|| effects::default_text(&text, dialect));
                                set_defaults.push((column_name.clone(), default));
                            }
                            let what = match op {
                                AlterColumnOperation::SetNotNull => "makes it NOT NULL",
                                AlterColumnOperation::DropNotNull => "makes it nullable",
                                AlterColumnOperation::SetDefault { .. } => "sets its default",
                                AlterColumnOperation::DropDefault => "drops its default",
                                AlterColumnOperation::SetDataType { .. } => "changes its type",
                                _ => "changes it",
                            };
                            changed_columns.push((column_name, what));
                        }
                        AlterTableOperation::ModifyColumn {
                            col_name,
                            data_type,
                            options,
                            ..
                        } => {
                            let t = effects::declared_type(&data_type, options.iter(), dialect);
                            set_types.push((col_name.clone(), t));
                            changed_columns.push((col_name, "redefines it"));
                        }
                        AlterTableOperation::ChangeColumn {
                            old_name,
                            new_name,
                            data_type,
                            options,
                            ..
                        } => {
                            let t = effects::declared_type(&data_type, options.iter(), dialect);
                            set_types.push((new_name, t));
                            changed_columns.push((old_name, "redefines it"));
                        }
                        _ => {}
                    }
                }
                Syntax::AlterTable {
                    added_columns,
                    changed_columns,
                    set_types,
                    set_defaults,
                }
            }
            Ast::AlterType(alter) if matches!(alter.operation, AlterTypeOperation::AddValue(_)) => {
                Syntax::AlterTypeAddValue
            }
            Ast::CreateView(view) => {
                let columns: Vec<String> = view.columns.iter().map(ToString::to_string).collect();
                Syntax::CreateView {
                    definition: format!("({}) {}", columns.join(", "), view.query),
                }
            }
            Ast::CreateFunction(f) => Syntax::CreateFunction {
                body: function_body(f.function_body),
            },
            Ast::Delete(delete) => Syntax::Delete {
                every_row: delete.selection.is_none(),
            },
            Ast::Truncate { .. } => Syntax::Truncate,
            _ => Syntax::Other,
        }
    }
}

/// A column an `ALTER TABLE … ADD COLUMN` adds, as far as the rules read it (not its whole
/// definition, which keeps every option's expression tree).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedColumn {
    /// The name as written.
    pub name: String,
    /// The type as written, lower-cased.
    pub data_type: String,
    /// NOT NULL (or PRIMARY KEY) with nothing to fill the rows a table already has: no
    /// DEFAULT, not generated, identity, serial or auto-increment.
    pub needs_a_value: bool,
}

impl AddedColumn {
    fn of(column: &ColumnDef) -> AddedColumn {
        let options = || column.options.iter().map(|o| &o.option);
        let data_type = column.data_type.to_string().to_ascii_lowercase();
        let not_null =
            options().any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)));
        let auto_increment = |tokens: &[Token]| {
            tokens.iter().any(|t| {
                let t = t.to_string();
                t.eq_ignore_ascii_case("AUTO_INCREMENT") || t.eq_ignore_ascii_case("AUTOINCREMENT")
            })
        };
        let filled = data_type.contains("serial")
            || options().any(|o| match o {
                ColumnOption::Default(_)
                | ColumnOption::Generated { .. }
                | ColumnOption::Identity(_)
                | ColumnOption::Materialized(_) => true,
                ColumnOption::DialectSpecific(tokens) => auto_increment(tokens),
                _ => false,
            });
        AddedColumn {
            name: column.name.value.clone(),
            data_type,
            needs_a_value: not_null && !filled,
        }
    }
}

/// A function body that is a string (dollar-quoted or not), without its quotes.
fn function_body(body: Option<CreateFunctionBody>) -> Option<String> {
    let (CreateFunctionBody::AsBeforeOptions { body, .. }
    | CreateFunctionBody::AsAfterOptions(body)) = body?
    else {
        return None;
    };
    match body {
        Expr::Value(v) => match v.value {
            Value::DollarQuotedString(d) => Some(d.value),
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

impl ParsedStatement {
    /// What the rules read of its syntax tree, if sqlparser parsed it.
    pub fn syntax(&self) -> Option<&Syntax> {
        match &self.kind {
            StatementKind::Parsed(syntax) => Some(syntax),
            _ => None,
        }
    }

    pub fn text<'a>(&self, script: &'a str) -> &'a str {
        &script[self.span.clone()]
    }

    /// The first table its effects use, normalised as they name it: for an `ALTER TABLE`, the
    /// table it alters.
    pub fn used_table(&self) -> Option<&str> {
        self.effects.iter().find_map(|e| match e {
            Effect::Use { object } if object.kind == ObjectKind::Table => {
                Some(object.name.as_str())
            }
            _ => None,
        })
    }
}

/// Splits and parses a whole script. Only a script that cannot even be tokenized is an error;
/// a statement that does not parse is kept as [`StatementKind::Invalid`].
pub fn parse_script(text: &str, dialect: Dialect) -> Result<Vec<ParsedStatement>, SplitError> {
    let sqlparser_dialect = dialect.sqlparser();
    let mut parsed = Vec::new();
    for_each_statement(text, dialect, PIECE, |s, tokens| {
        parsed.push(parse_statement(
            text,
            s,
            tokens,
            dialect,
            &*sqlparser_dialect,
        ));
    })?;
    Ok(parsed)
}

/// One statement, from its tokens of the script's tokenization: their locations are the
/// script's, so a parse error points into the file directly.
fn parse_statement(
    text: &str,
    s: Statement,
    tokens: &[TokenWithSpan],
    dialect: Dialect,
    sqlparser_dialect: &dyn sqlparser::dialect::Dialect,
) -> ParsedStatement {
    let sql = s.text(text);
    let parsed = Parser::new(sqlparser_dialect)
        .with_tokens_with_locations(tokens.to_vec())
        .parse_statements();
    let (kind, effects, ops) = match parsed.map(|mut v| (v.len() == 1).then(|| v.remove(0))) {
        Ok(Some(ast)) => {
            let effects = effects::of_statement(&ast, dialect);
            let ops = ops::of(&ast, dialect);
            (
                StatementKind::Parsed(Syntax::of(ast, dialect)),
                effects,
                ops,
            )
        }
        Ok(None) => match unparsed::recognize(sql, dialect) {
            Some(form) => (StatementKind::Recognized(form.id), form.effects, form.ops),
            None => (
                StatementKind::Invalid {
                    message: "not a single SQL statement".to_owned(),
                    offset: s.span.start,
                },
                Vec::new(),
                Vec::new(),
            ),
        },
        Err(error) => match unparsed::recognize(sql, dialect) {
            Some(form) => (StatementKind::Recognized(form.id), form.effects, form.ops),
            None => {
                let message = error.to_string();
                let first = tokens.first().map(|t| t.span.start);
                let offset = first
                    .and_then(|first| error_offset(text, s.span.start, first, &message))
                    .filter(|o| s.span.contains(o) || *o == s.span.end)
                    .unwrap_or(s.span.start);
                // The position is shown as file:line:col instead.
                let message = message.trim_start_matches("sql parser error: ");
                let message = message
                    .rsplit_once(" at Line: ")
                    .map_or(message, |(m, _)| m)
                    .to_owned();
                (
                    StatementKind::Invalid { message, offset },
                    Vec::new(),
                    Vec::new(),
                )
            }
        },
    };
    ParsedStatement {
        span: s.span,
        kind,
        effects,
        ops,
    }
}

/// sqlparser ends its messages with "at Line: L, Column: C" (1-based, in the script); the
/// statement starts at byte `start`, location `first`.
fn error_offset(script: &str, start: usize, first: Location, message: &str) -> Option<usize> {
    let (_, rest) = message.rsplit_once("at Line: ")?;
    let (line, rest) = rest.split_once(", Column: ")?;
    let line: u64 = line.trim().parse().ok()?;
    let column: u64 = rest
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    let at = Location::new(line, column);
    // Before the statement: its start (then the caller's filter keeps it there).
    if (at.line, at.column) < (first.line, first.column) {
        return Some(start);
    }
    Some(offset_from(script, start, first, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_statement_and_keeps_spans() {
        let script =
            "CREATE TABLE a (id INT);\n\nCREATE TABLE b (id INT, at TIMESTAMP(3));\nSELECT 1;";
        let parsed = parse_script(script, Dialect::Postgres).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(
            parsed[1].text(script),
            "CREATE TABLE b (id INT, at TIMESTAMP(3))"
        );
        assert_eq!(
            parsed[1].syntax(),
            Some(&Syntax::CreateTable {
                columns: vec![
                    ("id".to_owned(), "int".to_owned()),
                    ("at".to_owned(), "timestamp(3)".to_owned())
                ]
            })
        );
        assert_eq!(parsed[2].syntax(), Some(&Syntax::Other));
    }

    #[test]
    fn glued_statements_are_invalid_at_the_second_one() {
        let script = "CREATE TABLE a (id INT)\nCREATE TABLE b (id INT);";
        let parsed = parse_script(script, Dialect::Postgres).unwrap();
        let StatementKind::Invalid { message, offset } = &parsed[0].kind else {
            panic!("expected invalid: {:?}", parsed[0].kind)
        };
        assert!(message.contains("end of statement"), "{message}");
        assert_eq!(crate::line_col(script, *offset), (2, 1));
    }
}
