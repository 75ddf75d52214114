//! `CREATE TABLE`: the table, its columns, and the constraints and indexes a table definition
//! declares (also through `ALTER TABLE … ADD`), under the names the database gives them.

use std::collections::HashSet;

use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateTable, CreateTableLikeKind, Expr, Ident, IndexColumn,
    ObjectName, TableConstraint,
};

use super::expr::{expression_words, referenced_columns};
use super::names::{ident_name, pg_object_name};
use super::{Effects, creates, uncertain, uses};
use crate::Dialect;
use crate::model::{ColumnShape, Effect, ObjectId, ObjectKind};

/// The table a statement works on, and the constraint names chosen in it so far.
#[derive(Debug)]
pub(super) struct TableContext {
    pub(super) name: String,
    /// The table's columns when the statement declares them all (`CREATE TABLE`).
    columns: Option<Vec<String>>,
    used_names: HashSet<String>,
    /// MySQL: the table's character set is `binary` (its character columns are binary ones):
    /// the types of its columns are not named.
    binary_charset: bool,
}

impl TableContext {
    pub(super) fn new(name: String, columns: Option<Vec<String>>) -> Self {
        TableContext {
            name,
            columns,
            used_names: HashSet::new(),
            binary_charset: false,
        }
    }

    /// PostgreSQL's `ChooseConstraintName`: the implicit name, with a number appended to the
    /// label when the statement already used it.
    fn choose_name(&mut self, name2: Option<&str>, label: &str) -> String {
        let mut pass = 0;
        loop {
            let label = match pass {
                0 => label.to_owned(),
                n => format!("{label}{n}"),
            };
            let name = pg_object_name(&self.name, name2, &label);
            if self.used_names.insert(name.clone()) {
                return name;
            }
            pass += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclude,
    /// A MySQL `INDEX`/`KEY`/`FULLTEXT` definition inside `CREATE TABLE` or `ALTER TABLE`.
    Index,
}

/// A constraint (or index) a table definition declares.
#[derive(Debug)]
struct Constraint<'a> {
    kind: ConstraintKind,
    name: Option<String>,
    columns: Vec<String>,
    references: Option<String>,
    check: Option<&'a Expr>,
    /// The column a column-level constraint is declared on.
    column: Option<String>,
}

impl<'a> Constraint<'a> {
    fn new(kind: ConstraintKind, name: Option<String>, columns: Vec<String>) -> Self {
        Constraint {
            kind,
            name,
            columns,
            references: None,
            check: None,
            column: None,
        }
    }

    fn check(name: Option<String>, expr: &'a Expr, column: Option<String>) -> Self {
        Constraint {
            check: Some(expr),
            column,
            ..Constraint::new(ConstraintKind::Check, name, Vec::new())
        }
    }
}

impl Effects {
    pub(super) fn create_table(&mut self, create: &CreateTable) {
        let name = self.name(&create.name);
        let columns = create.columns.iter().map(|c| self.ident(&c.name)).collect();
        let mut table = TableContext::new(name, Some(columns));
        table.binary_charset = self.dialect == Dialect::MySql && {
            let options = create.table_options.to_string().to_ascii_lowercase();
            options.contains("binary")
        };
        self.push(creates(
            ObjectId::table(&table.name),
            create.if_not_exists,
            create.or_replace,
        ));
        let mut sources: Vec<&ObjectName> = Vec::new();
        sources.extend(create.partition_of.iter());
        sources.extend(create.inherits.iter().flatten());
        sources.extend(create.clone.iter());
        if let Some(CreateTableLikeKind::Parenthesized(like) | CreateTableLikeKind::Plain(like)) =
            &create.like
        {
            sources.push(&like.name);
        }
        for source in &sources {
            self.use_object(ObjectKind::Table, source);
        }
        for column in &create.columns {
            self.column(&mut table, column, false);
        }
        for constraint in &create.constraints {
            self.table_constraint(&mut table, constraint);
        }
        if create.query.is_some() || !sources.is_empty() {
            self.push(uncertain(ObjectId::table(table.name)));
        }
    }

    pub(super) fn column(
        &mut self,
        table: &mut TableContext,
        column: &ColumnDef,
        if_not_exists: bool,
    ) {
        let name = self.ident(&column.name);
        self.custom_type(&column.data_type);
        self.push(Effect::Create {
            object: ObjectId::column(&table.name, &name),
            if_not_exists,
            or_replace: false,
            on: None,
            references: None,
            columns: Vec::new(),
            shape: column_shape(column, self.dialect).map(|mut shape| {
                if table.binary_charset {
                    shape.data_type = None;
                }
                shape
            }),
        });
        for option in &column.options {
            self.column_option(table, &name, option.name.as_ref(), &option.option);
        }
    }

    /// A constraint written inline on column `column`; `name` is its `CONSTRAINT name`.
    pub(super) fn column_option(
        &mut self,
        table: &mut TableContext,
        column: &str,
        name: Option<&Ident>,
        option: &ColumnOption,
    ) {
        let columns = vec![column.to_owned()];
        let named = |inner: Option<&Ident>| name.or(inner).map(|n| self.ident(n));
        let constraint = match option {
            ColumnOption::PrimaryKey(c) => {
                Constraint::new(ConstraintKind::PrimaryKey, named(c.name.as_ref()), columns)
            }
            ColumnOption::Unique(c) => {
                Constraint::new(ConstraintKind::Unique, named(c.name.as_ref()), columns)
            }
            ColumnOption::ForeignKey(c) => Constraint {
                references: Some(self.name(&c.foreign_table)),
                ..Constraint::new(ConstraintKind::ForeignKey, named(c.name.as_ref()), columns)
            },
            ColumnOption::Check(c) => {
                Constraint::check(named(c.name.as_ref()), &c.expr, Some(column.to_owned()))
            }
            _ => return,
        };
        self.constraint(table, constraint);
    }

    pub(super) fn table_constraint(
        &mut self,
        table: &mut TableContext,
        constraint: &TableConstraint,
    ) {
        let name = |n: Option<&Ident>| n.map(|n| ident_name(n, self.dialect));
        let constraint = match constraint {
            TableConstraint::PrimaryKey(c) => Constraint::new(
                ConstraintKind::PrimaryKey,
                name(c.name.as_ref()),
                self.index_columns(&c.columns),
            ),
            TableConstraint::Unique(c) => Constraint::new(
                ConstraintKind::Unique,
                name(c.index_name.as_ref().or(c.name.as_ref())),
                self.index_columns(&c.columns),
            ),
            TableConstraint::ForeignKey(c) => Constraint {
                references: Some(self.name(&c.foreign_table)),
                ..Constraint::new(
                    ConstraintKind::ForeignKey,
                    name(c.name.as_ref()),
                    c.columns.iter().map(|c| self.ident(c)).collect(),
                )
            },
            TableConstraint::Check(c) => Constraint::check(name(c.name.as_ref()), &c.expr, None),
            TableConstraint::Index(c) => Constraint::new(
                ConstraintKind::Index,
                name(c.name.as_ref()),
                self.index_columns(&c.columns),
            ),
            TableConstraint::FulltextOrSpatial(c) => Constraint::new(
                ConstraintKind::Index,
                name(c.opt_index_name.as_ref()),
                self.index_columns(&c.columns),
            ),
            TableConstraint::PrimaryKeyUsingIndex(c) | TableConstraint::UniqueUsingIndex(c) => {
                let index = self.ident(&c.index_name);
                let kind = match constraint {
                    TableConstraint::PrimaryKeyUsingIndex(_) => ConstraintKind::PrimaryKey,
                    _ => ConstraintKind::Unique,
                };
                let name = name(c.name.as_ref()).unwrap_or_else(|| index.clone());
                self.push(uses(ObjectId::new(ObjectKind::Index, index)));
                Constraint::new(kind, Some(name), Vec::new())
            }
            TableConstraint::Exclude(c) => Constraint::new(
                ConstraintKind::Exclude,
                name(c.name.as_ref()),
                c.elements
                    .iter()
                    .map(|e| self.index_column(&e.column))
                    .collect(),
            ),
        };
        self.constraint(table, constraint);
    }

    fn index_columns(&self, columns: &[IndexColumn]) -> Vec<String> {
        columns.iter().map(|c| self.index_column(c)).collect()
    }

    /// A column of an index for naming purposes: its name, or `expr` as PostgreSQL says.
    fn index_column(&self, column: &IndexColumn) -> String {
        match &column.column.expr {
            Expr::Identifier(ident) => self.ident(ident),
            _ => "expr".to_owned(),
        }
    }

    fn constraint(&mut self, table: &mut TableContext, constraint: Constraint<'_>) {
        if let Some(target) = &constraint.references
            && *target != table.name
        {
            self.push(uses(ObjectId::table(target)));
        }
        let Some(name) = self.constraint_name(table, &constraint) else {
            return;
        };
        table.used_names.insert(name.clone());
        // A MySQL unique key is an index (`DROP INDEX` removes it), as are KEY/INDEX lines.
        let is_index = constraint.kind == ConstraintKind::Index
            || (self.dialect == Dialect::MySql && constraint.kind == ConstraintKind::Unique);
        let mut columns: Vec<String> = constraint
            .columns
            .iter()
            .filter(|c| *c != "expr")
            .cloned()
            .collect();
        // A CHECK goes with any column its expression reads.
        if let Some(expr) = constraint.check {
            columns.extend(expression_words(&expr.to_string(), self.dialect));
        }
        let effect = if is_index {
            Effect::Create {
                object: ObjectId::new(ObjectKind::Index, name),
                if_not_exists: false,
                or_replace: false,
                on: Some(table.name.clone()),
                references: None,
                columns,
                shape: None,
            }
        } else {
            Effect::Create {
                object: ObjectId::constraint(&table.name, name),
                if_not_exists: false,
                or_replace: false,
                on: None,
                references: constraint.references,
                columns,
                shape: None,
            }
        };
        self.push(effect);
    }

    /// The constraint's name: the one given, MySQL's `PRIMARY`, or PostgreSQL's implicit name.
    /// `None` when the database makes one up that the model cannot predict.
    fn constraint_name(&self, table: &mut TableContext, c: &Constraint<'_>) -> Option<String> {
        if self.dialect == Dialect::MySql && c.kind == ConstraintKind::PrimaryKey {
            return Some("primary".to_owned());
        }
        if let Some(name) = &c.name {
            return Some(name.clone());
        }
        if self.dialect != Dialect::Postgres {
            return None;
        }
        let joined = (!c.columns.is_empty()).then(|| c.columns.join("_"));
        match c.kind {
            ConstraintKind::PrimaryKey => Some(table.choose_name(None, "pkey")),
            ConstraintKind::Unique => Some(table.choose_name(joined.as_deref(), "key")),
            ConstraintKind::ForeignKey => Some(table.choose_name(joined.as_deref(), "fkey")),
            ConstraintKind::Exclude => Some(table.choose_name(joined.as_deref(), "excl")),
            ConstraintKind::Check => {
                let expr = c.check?;
                let column = self.check_column(table, expr, c.column.as_deref())?;
                Some(table.choose_name(column.as_deref(), "check"))
            }
            ConstraintKind::Index => None,
        }
    }

    /// The column a CHECK is named after: PostgreSQL uses the column when the expression refers
    /// to exactly one, and no column otherwise. `None` when the columns cannot be told apart
    /// from other words.
    fn check_column(
        &self,
        table: &TableContext,
        expr: &Expr,
        declared_on: Option<&str>,
    ) -> Option<Option<String>> {
        match referenced_columns(expr, self.dialect, table.columns.as_deref()) {
            Some(columns) => Some(match columns.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            }),
            None => declared_on.map(|c| Some(c.to_owned())),
        }
    }
}

/// What a column definition says for sure of NULL, defaults and its type: no nullability or
/// default for a column that fills itself (serial, identity, generated, MySQL's `AUTO_INCREMENT`
/// and other dialect options), nor for MySQL's `TIMESTAMP`, whose nullability and default depend
/// on the server's `explicit_defaults_for_timestamp`. On SQLite a `PRIMARY KEY` does not make the
/// column NOT NULL (`PRAGMA table_info` says it allows NULL), and `DEFAULT NULL` is a default
/// (`dflt_value` is `NULL`): neither is known there.
fn column_shape(column: &ColumnDef, dialect: Dialect) -> Option<ColumnShape> {
    let options = || column.options.iter().map(|o| &o.option);
    let fills_itself = column
        .data_type
        .to_string()
        .to_ascii_uppercase()
        .contains("SERIAL")
        || options().any(|o| {
            matches!(
                o,
                ColumnOption::Generated { .. }
                    | ColumnOption::Identity(_)
                    | ColumnOption::Materialized(_)
                    | ColumnOption::DialectSpecific(_)
            )
        });
    let server_decides = dialect == Dialect::MySql
        && matches!(column.data_type, sqlparser::ast::DataType::Timestamp(..));
    let data_type = super::types::declared_type(&column.data_type, options(), dialect);
    if fills_itself || server_decides {
        return Some(ColumnShape {
            nullable: None,
            has_default: None,
            default: None,
            data_type,
        });
    }
    let not_null = options().any(|o| matches!(o, ColumnOption::NotNull));
    let primary_key = options().any(|o| matches!(o, ColumnOption::PrimaryKey(_)));
    let nullable = match (not_null || primary_key, dialect) {
        (false, _) => Some(true),
        (true, Dialect::Sqlite) if !not_null => None,
        (true, _) => Some(false),
    };
    let default_null = options().any(
        |o| matches!(o, ColumnOption::Default(e) if e.to_string().eq_ignore_ascii_case("NULL")),
    );
    // `DEFAULT NULL` is what a column without a default has (but SQLite keeps it).
    let default = options().find_map(|o| match o {
        ColumnOption::Default(e) if !e.to_string().eq_ignore_ascii_case("NULL") => {
            Some(super::default_text(&e.to_string(), dialect))
        }
        _ => None,
    });
    let has_default = default.is_some();
    Some(ColumnShape {
        nullable,
        has_default: match (has_default, default_null && dialect == Dialect::Sqlite) {
            (false, true) => None,
            (has_default, _) => Some(has_default),
        },
        default,
        data_type,
    })
}
