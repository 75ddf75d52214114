//! The schema effects of a parsed statement (see [`crate::model::Effect`]).
//!
//! Every name goes through [`normalize`]: the last part of a qualified name, unquoted identifiers
//! lower-cased and quoted ones kept as written. MySQL and SQLite compare identifiers without
//! regard to case, quoted or not, so there every name is lower-cased.

use std::collections::HashSet;

use sqlparser::ast::{
    AlterColumnOperation, AlterFunctionOperation, AlterIndexOperation, AlterSchemaOperation,
    AlterTable, AlterTableOperation, AlterTypeOperation, ArrayElemTypeDef, ColumnDef, ColumnOption,
    CommentObject, CopySource, CreateIndex, CreateTable, CreateTableLikeKind, DataType, Delete,
    DropBehavior, Expr, FromTable, FunctionDesc, Ident, IndexColumn, ObjectName, ObjectType,
    ReferentialAction, RenameTableNameKind, SchemaName, Statement, TableConstraint, TableFactor,
    TableObject, UserDefinedTypeRepresentation,
};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::Dialect;
use crate::model::{Effect, ObjectId, ObjectKind};

/// What `statement` does to the schema, in order.
pub fn of_statement(statement: &Statement, dialect: Dialect) -> Vec<Effect> {
    let mut out = Effects {
        dialect,
        list: Vec::new(),
    };
    out.statement(statement);
    out.list
}

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

/// `Create` of `object` without a table or a referenced table.
pub(crate) fn creates(object: ObjectId, if_not_exists: bool, or_replace: bool) -> Effect {
    Effect::Create {
        object,
        if_not_exists,
        or_replace,
        on: None,
        references: None,
        columns: Vec::new(),
    }
}

/// `Create` of an index or a trigger on `table`.
pub(crate) fn creates_on(
    object: ObjectId,
    table: &str,
    if_not_exists: bool,
    or_replace: bool,
) -> Effect {
    Effect::Create {
        object,
        if_not_exists,
        or_replace,
        on: Some(table.to_owned()),
        references: None,
        columns: Vec::new(),
    }
}

pub(crate) fn drops(object: ObjectId, if_exists: bool, cascade: bool) -> Effect {
    Effect::Drop {
        object,
        if_exists,
        cascade,
    }
}

pub(crate) fn renames(from: ObjectId, to: ObjectId) -> Effect {
    Effect::Rename { from, to }
}

pub(crate) fn uses(object: ObjectId) -> Effect {
    Effect::Use { object }
}

pub(crate) fn uncertain(object: ObjectId) -> Effect {
    Effect::Uncertain { object }
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

/// Types that `CREATE TYPE` never made: PostgreSQL built-ins sqlparser does not know (it parses
/// them as custom types) and the types of widely used extensions.
const BUILTIN_TYPES: &[&str] = &[
    "anyarray",
    "anycompatible",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bigserial",
    "bool",
    "box",
    "box2d",
    "box3d",
    "bpchar",
    "char",
    "cid",
    "cidr",
    "circle",
    "citext",
    "cstring",
    "cube",
    "datemultirange",
    "daterange",
    "ean13",
    "earth",
    "event_trigger",
    "float4",
    "float8",
    "geography",
    "geometry",
    "halfvec",
    "hstore",
    "inet",
    "int2",
    "int2vector",
    "int4",
    "int4multirange",
    "int4range",
    "int8",
    "int8multirange",
    "int8range",
    "internal",
    "isbn",
    "isbn13",
    "ismn",
    "ismn13",
    "issn",
    "issn13",
    "jsonpath",
    "language_handler",
    "line",
    "lquery",
    "lseg",
    "ltree",
    "ltxtquery",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "pg_lsn",
    "pg_snapshot",
    "point",
    "polygon",
    "raster",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "seg",
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallserial",
    "sparsevec",
    "tid",
    "timetz",
    "trigger",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "upc",
    "varbit",
    "vector",
    "void",
    "xid",
    "xid8",
    "xml",
];

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

/// The effects of one statement, collected in order.
#[derive(Debug)]
struct Effects {
    dialect: Dialect,
    list: Vec<Effect>,
}

/// The table a statement works on, and the constraint names chosen in it so far.
#[derive(Debug)]
struct TableContext {
    name: String,
    /// The table's columns when the statement declares them all (`CREATE TABLE`).
    columns: Option<Vec<String>>,
    used_names: HashSet<String>,
}

impl TableContext {
    fn new(name: String, columns: Option<Vec<String>>) -> Self {
        TableContext {
            name,
            columns,
            used_names: HashSet::new(),
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
    fn name(&self, name: &ObjectName) -> String {
        object_name(name, self.dialect)
    }

    fn ident(&self, ident: &Ident) -> String {
        ident_name(ident, self.dialect)
    }

    fn push(&mut self, effect: Effect) {
        self.list.push(effect);
    }

    fn use_object(&mut self, kind: ObjectKind, name: &ObjectName) {
        let name = self.name(name);
        self.push(uses(ObjectId::new(kind, name)));
    }

    fn statement(&mut self, statement: &Statement) {
        match statement {
            Statement::CreateTable(create) => self.create_table(create),
            Statement::AlterTable(alter) => self.alter_table(alter),
            Statement::CreateIndex(create) => self.create_index(create),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                table,
                ..
            } => self.drop_objects(*object_type, names, *if_exists, *cascade, table.as_ref()),
            Statement::CreateView(view) => {
                let name = self.name(&view.name);
                let or_replace = view.or_replace || view.or_alter;
                self.push(creates(
                    ObjectId::new(ObjectKind::View, name),
                    view.if_not_exists,
                    or_replace,
                ));
            }
            Statement::AlterView { name, .. } => self.use_object(ObjectKind::View, name),
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { index_name },
            } => {
                let (from, to) = (self.name(name), self.name(index_name));
                self.push(renames(
                    ObjectId::new(ObjectKind::Index, from),
                    ObjectId::new(ObjectKind::Index, to),
                ));
            }
            Statement::RenameTable(renamed) => {
                for rename in renamed {
                    let (from, to) = (self.name(&rename.old_name), self.name(&rename.new_name));
                    self.push(renames(ObjectId::table(from), ObjectId::table(to)));
                }
            }
            Statement::CreateType {
                name,
                representation,
            } => self.create_type(name, representation.as_ref()),
            Statement::AlterType(alter) => {
                let name = self.name(&alter.name);
                let object = ObjectId::new(ObjectKind::Type, name);
                match &alter.operation {
                    AlterTypeOperation::Rename(rename) => {
                        let to = ObjectId::new(ObjectKind::Type, self.ident(&rename.new_name));
                        self.push(renames(object, to));
                    }
                    AlterTypeOperation::AddValue(_) | AlterTypeOperation::RenameValue(_) => {
                        self.push(uses(object));
                    }
                }
            }
            Statement::CreateDomain(domain) => {
                self.custom_type(&domain.data_type);
                let name = self.name(&domain.name);
                self.push(creates(ObjectId::new(ObjectKind::Type, name), false, false));
            }
            Statement::DropDomain(domain) => {
                let name = self.name(&domain.name);
                let cascade = domain.drop_behavior == Some(DropBehavior::Cascade);
                self.push(drops(
                    ObjectId::new(ObjectKind::Type, name),
                    domain.if_exists,
                    cascade,
                ));
            }
            Statement::CreateSequence {
                name,
                if_not_exists,
                owned_by,
                ..
            } => {
                let name = self.name(name);
                self.push(creates(
                    ObjectId::new(ObjectKind::Sequence, name),
                    *if_not_exists,
                    false,
                ));
                if let Some(owner) = owned_by {
                    self.owner_column(owner);
                }
            }
            Statement::CreateFunction(function) => {
                let name = self.name(&function.name);
                let or_replace = function.or_replace || function.or_alter;
                self.push(creates(
                    ObjectId::new(ObjectKind::Function, name),
                    function.if_not_exists,
                    or_replace,
                ));
            }
            Statement::CreateProcedure { name, or_alter, .. } => {
                let name = self.name(name);
                self.push(creates(
                    ObjectId::new(ObjectKind::Function, name),
                    false,
                    *or_alter,
                ));
            }
            Statement::AlterFunction(alter) => {
                let name = self.name(&alter.function.name);
                let object = ObjectId::new(ObjectKind::Function, name);
                match &alter.operation {
                    AlterFunctionOperation::RenameTo { new_name } => {
                        let to = ObjectId::new(ObjectKind::Function, self.ident(new_name));
                        self.push(renames(object, to));
                    }
                    _ => self.push(uses(object)),
                }
            }
            Statement::DropFunction(drop) => self.drop_functions(
                &drop.func_desc,
                drop.if_exists,
                drop.drop_behavior == Some(DropBehavior::Cascade),
            ),
            Statement::DropProcedure {
                if_exists,
                proc_desc,
                drop_behavior,
            } => self.drop_functions(
                proc_desc,
                *if_exists,
                *drop_behavior == Some(DropBehavior::Cascade),
            ),
            Statement::CreateTrigger(trigger) => {
                let table = self.name(&trigger.table_name);
                let name = self.name(&trigger.name);
                self.push(uses(ObjectId::table(&table)));
                self.push(creates_on(
                    ObjectId::new(ObjectKind::Trigger, name),
                    &table,
                    false,
                    trigger.or_replace || trigger.or_alter,
                ));
            }
            Statement::DropTrigger(drop) => {
                if let Some(table) = &drop.table_name {
                    self.use_object(ObjectKind::Table, table);
                }
                let name = self.name(&drop.trigger_name);
                let cascade = drop.option == Some(ReferentialAction::Cascade);
                self.push(drops(
                    ObjectId::new(ObjectKind::Trigger, name),
                    drop.if_exists,
                    cascade,
                ));
            }
            Statement::CreateExtension(create) => {
                let name = self.ident(&create.name);
                self.push(creates(
                    ObjectId::new(ObjectKind::Extension, name),
                    create.if_not_exists,
                    false,
                ));
            }
            Statement::DropExtension(drop) => {
                let cascade = drop.cascade_or_restrict == Some(ReferentialAction::Cascade);
                for name in &drop.names {
                    let name = self.ident(name);
                    self.push(drops(
                        ObjectId::new(ObjectKind::Extension, name),
                        drop.if_exists,
                        cascade,
                    ));
                }
            }
            Statement::CreateSchema {
                schema_name,
                if_not_exists,
                or_replace,
                ..
            } => {
                let name = match schema_name {
                    SchemaName::Simple(name) | SchemaName::NamedAuthorization(name, _) => {
                        self.name(name)
                    }
                    SchemaName::UnnamedAuthorization(user) => self.ident(user),
                };
                self.push(creates(
                    ObjectId::new(ObjectKind::Schema, name),
                    *if_not_exists,
                    *or_replace,
                ));
            }
            Statement::AlterSchema(alter) => {
                let name = self.name(&alter.name);
                let object = ObjectId::new(ObjectKind::Schema, name);
                match alter.operations.as_slice() {
                    [AlterSchemaOperation::Rename { name }] => {
                        let to = ObjectId::new(ObjectKind::Schema, self.name(name));
                        self.push(renames(object, to));
                    }
                    _ => self.push(uses(object)),
                }
            }
            Statement::CreateVirtualTable {
                name,
                if_not_exists,
                ..
            } => {
                let name = self.name(name);
                self.push(creates(ObjectId::table(&name), *if_not_exists, false));
                self.push(uncertain(ObjectId::table(name)));
            }
            Statement::CreatePolicy(policy) => {
                self.use_object(ObjectKind::Table, &policy.table_name);
            }
            Statement::AlterPolicy(policy) => {
                self.use_object(ObjectKind::Table, &policy.table_name);
            }
            Statement::DropPolicy(policy) => {
                self.use_object(ObjectKind::Table, &policy.table_name);
            }
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.use_object(ObjectKind::Table, name);
                }
            }
            Statement::Update(update) => self.use_relation(&update.table.relation),
            Statement::Delete(delete) => self.delete(delete),
            Statement::Merge(merge) => self.use_relation(&merge.table),
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    self.use_object(ObjectKind::Table, &target.name);
                }
            }
            Statement::Lock(lock) => {
                for target in &lock.tables {
                    self.use_object(ObjectKind::Table, &target.name);
                }
            }
            Statement::Copy {
                source: CopySource::Table { table_name, .. },
                ..
            } => self.use_object(ObjectKind::Table, table_name),
            Statement::Comment {
                object_type,
                object_name,
                ..
            } => self.comment(*object_type, object_name),
            Statement::Call(_) | Statement::Execute { .. } => self.push(Effect::Opaque),
            _ => {}
        }
    }

    fn create_table(&mut self, create: &CreateTable) {
        let name = self.name(&create.name);
        let columns = create.columns.iter().map(|c| self.ident(&c.name)).collect();
        let mut table = TableContext::new(name, Some(columns));
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

    fn column(&mut self, table: &mut TableContext, column: &ColumnDef, if_not_exists: bool) {
        let name = self.ident(&column.name);
        self.custom_type(&column.data_type);
        self.push(creates(
            ObjectId::column(&table.name, &name),
            if_not_exists,
            false,
        ));
        for option in &column.options {
            self.column_option(table, &name, option.name.as_ref(), &option.option);
        }
    }

    /// A constraint written inline on column `column`; `name` is its `CONSTRAINT name`.
    fn column_option(
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

    fn table_constraint(&mut self, table: &mut TableContext, constraint: &TableConstraint) {
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
            }
        } else {
            Effect::Create {
                object: ObjectId::constraint(&table.name, name),
                if_not_exists: false,
                or_replace: false,
                on: None,
                references: constraint.references,
                columns,
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

    fn alter_table(&mut self, alter: &AlterTable) {
        let name = self.name(&alter.name);
        self.push(uses(ObjectId::table(&name)));
        let mut table = TableContext::new(name, None);
        for operation in &alter.operations {
            self.alter_operation(&mut table, operation);
        }
    }

    fn alter_operation(&mut self, table: &mut TableContext, operation: &AlterTableOperation) {
        let t = table.name.clone();
        match operation {
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.table_constraint(table, constraint);
            }
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => self.column(table, column_def, *if_not_exists),
            AlterTableOperation::DropConstraint {
                if_exists,
                name,
                drop_behavior,
            } => self.push(drops(
                ObjectId::constraint(&t, self.ident(name)),
                *if_exists,
                is_cascade(*drop_behavior),
            )),
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                for column in column_names {
                    self.push(drops(
                        ObjectId::column(&t, self.ident(column)),
                        *if_exists,
                        is_cascade(*drop_behavior),
                    ));
                }
            }
            AlterTableOperation::DropPrimaryKey { drop_behavior } => {
                let name = match self.dialect {
                    Dialect::MySql => "primary".to_owned(),
                    _ => pg_object_name(&t, None, "pkey"),
                };
                self.push(drops(
                    ObjectId::constraint(&t, name),
                    false,
                    is_cascade(*drop_behavior),
                ));
            }
            AlterTableOperation::DropForeignKey {
                name,
                drop_behavior,
            } => self.push(drops(
                ObjectId::constraint(&t, self.ident(name)),
                false,
                is_cascade(*drop_behavior),
            )),
            AlterTableOperation::DropIndex { name } => self.push(drops(
                ObjectId::new(ObjectKind::Index, self.ident(name)),
                false,
                false,
            )),
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => self.push(renames(
                ObjectId::column(&t, self.ident(old_column_name)),
                ObjectId::column(&t, self.ident(new_column_name)),
            )),
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(new) | RenameTableNameKind::As(new),
            } => {
                let new = self.name(new);
                self.push(renames(ObjectId::table(&t), ObjectId::table(&new)));
                table.name = new;
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                self.push(renames(
                    ObjectId::constraint(&t, self.ident(old_name)),
                    ObjectId::constraint(&t, self.ident(new_name)),
                ));
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                let (old, new) = (self.ident(old_name), self.ident(new_name));
                self.push(uses(ObjectId::column(&t, &old)));
                self.custom_type(data_type);
                if old != new {
                    self.push(renames(
                        ObjectId::column(&t, old),
                        ObjectId::column(&t, &new),
                    ));
                }
                for option in options {
                    self.column_option(table, &new, None, option);
                }
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                let column = self.ident(col_name);
                self.push(uses(ObjectId::column(&t, &column)));
                self.custom_type(data_type);
                for option in options {
                    self.column_option(table, &column, None, option);
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                self.push(uses(ObjectId::column(&t, self.ident(column_name))));
                if let AlterColumnOperation::SetDataType { data_type, .. } = op {
                    self.custom_type(data_type);
                }
            }
            AlterTableOperation::ValidateConstraint { name } => {
                self.push(uses(ObjectId::constraint(&t, self.ident(name))));
            }
            AlterTableOperation::EnableRowLevelSecurity
            | AlterTableOperation::DisableRowLevelSecurity
            | AlterTableOperation::ForceRowLevelSecurity
            | AlterTableOperation::NoForceRowLevelSecurity
            | AlterTableOperation::EnableTrigger { .. }
            | AlterTableOperation::DisableTrigger { .. }
            | AlterTableOperation::EnableAlwaysTrigger { .. }
            | AlterTableOperation::EnableReplicaTrigger { .. }
            | AlterTableOperation::EnableRule { .. }
            | AlterTableOperation::DisableRule { .. }
            | AlterTableOperation::EnableAlwaysRule { .. }
            | AlterTableOperation::EnableReplicaRule { .. }
            | AlterTableOperation::ReplicaIdentity { .. }
            | AlterTableOperation::OwnerTo { .. }
            | AlterTableOperation::SetLogged
            | AlterTableOperation::SetUnlogged
            | AlterTableOperation::SetOptionsParens { .. }
            | AlterTableOperation::SetTblProperties { .. }
            | AlterTableOperation::Algorithm { .. }
            | AlterTableOperation::Lock { .. }
            | AlterTableOperation::AutoIncrement { .. } => {}
            _ => self.push(uncertain(ObjectId::table(t))),
        }
    }

    fn create_index(&mut self, create: &CreateIndex) {
        let table = self.name(&create.table_name);
        self.push(uses(ObjectId::table(&table)));
        let plain = create.columns.iter().filter_map(|c| match &c.column.expr {
            Expr::Identifier(ident) => Some(ident),
            _ => None,
        });
        for column in plain.chain(&create.include) {
            self.push(uses(ObjectId::column(&table, self.ident(column))));
        }
        let name = match &create.name {
            Some(name) => Some(self.name(name)),
            // PostgreSQL names it `<table>_<columns>_idx` (an expression is `expr`).
            None if self.dialect == Dialect::Postgres => {
                let columns: Vec<String> = create
                    .columns
                    .iter()
                    .map(|c| match &c.column.expr {
                        Expr::Identifier(ident) => self.ident(ident),
                        _ => "expr".to_owned(),
                    })
                    .collect();
                Some(pg_object_name(&table, Some(&columns.join("_")), "idx"))
            }
            None => None,
        };
        if let Some(name) = name {
            // Every column the index reads, also inside expressions: dropping any drops it.
            let mut columns = Vec::new();
            for c in &create.columns {
                match &c.column.expr {
                    Expr::Identifier(ident) => columns.push(self.ident(ident)),
                    expr => columns.extend(expression_words(&expr.to_string(), self.dialect)),
                }
            }
            self.push(Effect::Create {
                object: ObjectId::new(ObjectKind::Index, name),
                if_not_exists: create.if_not_exists,
                or_replace: false,
                on: Some(table),
                references: None,
                columns,
            });
        }
    }

    fn drop_objects(
        &mut self,
        object_type: ObjectType,
        names: &[ObjectName],
        if_exists: bool,
        cascade: bool,
        table: Option<&ObjectName>,
    ) {
        let kind = match object_type {
            ObjectType::Table => ObjectKind::Table,
            ObjectType::View | ObjectType::MaterializedView => ObjectKind::View,
            ObjectType::Index => ObjectKind::Index,
            ObjectType::Sequence => ObjectKind::Sequence,
            ObjectType::Type => ObjectKind::Type,
            ObjectType::Schema => ObjectKind::Schema,
            _ => return,
        };
        if let Some(table) = table {
            self.use_object(ObjectKind::Table, table);
        }
        for name in names {
            let name = self.name(name);
            self.push(drops(ObjectId::new(kind, name), if_exists, cascade));
        }
    }

    fn drop_functions(&mut self, functions: &[FunctionDesc], if_exists: bool, cascade: bool) {
        for function in functions {
            let name = self.name(&function.name);
            self.push(drops(
                ObjectId::new(ObjectKind::Function, name),
                if_exists,
                cascade,
            ));
        }
    }

    fn create_type(
        &mut self,
        name: &ObjectName,
        representation: Option<&UserDefinedTypeRepresentation>,
    ) {
        if let Some(UserDefinedTypeRepresentation::Composite { attributes }) = representation {
            for attribute in attributes {
                self.custom_type(&attribute.data_type);
            }
        }
        let name = self.name(name);
        self.push(creates(ObjectId::new(ObjectKind::Type, name), false, false));
    }

    /// `OWNED BY table.column` of a sequence.
    fn owner_column(&mut self, owner: &ObjectName) {
        let parts: Vec<String> = owner
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| self.ident(i)))
            .collect();
        if let [.., table, column] = parts.as_slice() {
            self.push(uses(ObjectId::column(table, column)));
        }
    }

    fn use_relation(&mut self, relation: &TableFactor) {
        if let TableFactor::Table { name, .. } = relation {
            self.use_object(ObjectKind::Table, name);
        }
    }

    fn delete(&mut self, delete: &Delete) {
        if !delete.tables.is_empty() {
            for table in &delete.tables {
                self.use_object(ObjectKind::Table, table);
            }
            return;
        }
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
        for table in from {
            self.use_relation(&table.relation);
        }
    }

    fn comment(&mut self, object_type: CommentObject, name: &ObjectName) {
        let kind = match object_type {
            CommentObject::Column => return self.comment_on_column(name),
            CommentObject::Table => ObjectKind::Table,
            CommentObject::View | CommentObject::MaterializedView => ObjectKind::View,
            CommentObject::Index => ObjectKind::Index,
            CommentObject::Sequence => ObjectKind::Sequence,
            CommentObject::Type | CommentObject::Domain => ObjectKind::Type,
            CommentObject::Function | CommentObject::Procedure => ObjectKind::Function,
            CommentObject::Schema => ObjectKind::Schema,
            CommentObject::Extension => ObjectKind::Extension,
            _ => return,
        };
        self.use_object(kind, name);
    }

    fn comment_on_column(&mut self, name: &ObjectName) {
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| self.ident(i)))
            .collect();
        if let [.., table, column] = parts.as_slice() {
            self.push(uses(ObjectId::table(table)));
            self.push(uses(ObjectId::column(table, column)));
        }
    }

    /// `Use` of a user-defined type a column is declared with (PostgreSQL only: MySQL and
    /// SQLite have no user-defined types).
    fn custom_type(&mut self, data_type: &DataType) {
        if self.dialect != Dialect::Postgres {
            return;
        }
        match data_type {
            DataType::Custom(name, _) if !self.is_builtin_type(name) => {
                self.use_object(ObjectKind::Type, name);
            }
            DataType::Array(
                ArrayElemTypeDef::SquareBracket(inner, _)
                | ArrayElemTypeDef::AngleBracket(inner)
                | ArrayElemTypeDef::Parenthesis(inner)
                | ArrayElemTypeDef::Qualified(inner, _),
            ) => self.custom_type(inner),
            _ => {}
        }
    }

    fn is_builtin_type(&self, name: &ObjectName) -> bool {
        let in_catalog = name.0.len() > 1
            && name.0[0]
                .as_ident()
                .is_some_and(|schema| self.ident(schema) == "pg_catalog");
        in_catalog || BUILTIN_TYPES.contains(&self.name(name).as_str())
    }
}

/// The plain names in an expression's text that may be columns: words that are not keywords
/// and not called as functions.
fn expression_words(expr: &str, dialect: Dialect) -> Vec<String> {
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

fn is_cascade(behavior: Option<DropBehavior>) -> bool {
    behavior == Some(DropBehavior::Cascade)
}

/// The distinct columns a CHECK expression refers to, in order of appearance. With `known`
/// (the table's columns) every word naming one of them counts; without it, every word that is
/// not an SQL keyword does, and an unknown keyword-like word makes the answer `None`.
fn referenced_columns(
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

#[cfg(test)]
pub(crate) mod tests {
    use sqlparser::parser::Parser;

    use super::*;

    /// One effect as a line of text, the way the tests spell expectations.
    pub(crate) fn render(effect: &Effect) -> String {
        match effect {
            Effect::Create {
                object,
                if_not_exists,
                or_replace,
                on,
                references,
                ..
            } => {
                let mut line = format!("create {object}");
                if let Some(on) = on {
                    line += &format!(" on {on}");
                }
                if let Some(target) = references {
                    line += &format!(" references {target}");
                }
                if *if_not_exists {
                    line += " if not exists";
                }
                if *or_replace {
                    line += " or replace";
                }
                line
            }
            Effect::Drop {
                object,
                if_exists,
                cascade,
            } => {
                let mut line = format!("drop {object}");
                if *if_exists {
                    line += " if exists";
                }
                if *cascade {
                    line += " cascade";
                }
                line
            }
            Effect::Rename { from, to } => format!("rename {from} -> {to}"),
            Effect::Use { object } => format!("use {object}"),
            Effect::Uncertain { object } => format!("uncertain {object}"),
            Effect::Opaque => "opaque".to_owned(),
        }
    }

    fn check(sql: &str, dialect: Dialect, expected: &[&str]) {
        let statements = Parser::new(&*dialect.sqlparser())
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_statements())
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(statements.len(), 1, "{sql}");
        let got: Vec<String> = of_statement(&statements[0], dialect)
            .iter()
            .map(render)
            .collect();
        assert_eq!(got, expected, "{sql}");
    }

    fn pg(sql: &str, expected: &[&str]) {
        check(sql, Dialect::Postgres, expected);
    }

    fn mysql(sql: &str, expected: &[&str]) {
        check(sql, Dialect::MySql, expected);
    }

    fn sqlite(sql: &str, expected: &[&str]) {
        check(sql, Dialect::Sqlite, expected);
    }

    #[test]
    fn names_drop_the_schema_and_fold_unquoted_case() {
        pg(
            r#"CREATE TABLE Public.Users ("Id" int, Email text)"#,
            &[
                "create table users",
                "create column users.Id",
                "create column users.email",
            ],
        );
        mysql(
            "CREATE TABLE `Users` (`Id` INT)",
            &["create table users", "create column users.id"],
        );
        sqlite(
            r#"CREATE TABLE "Users" ([Id] INT)"#,
            &["create table users", "create column users.id"],
        );
    }

    #[test]
    fn create_table_with_postgres_implicit_constraint_names() {
        pg(
            "CREATE TABLE IF NOT EXISTS t (id serial PRIMARY KEY, email text NOT NULL UNIQUE, \
             owner int REFERENCES users (id) ON DELETE CASCADE, n int CHECK (n > 0))",
            &[
                "create table t if not exists",
                "create column t.id",
                "create constraint t.t_pkey",
                "create column t.email",
                "create constraint t.t_email_key",
                "create column t.owner",
                "use table users",
                "create constraint t.t_owner_fkey references users",
                "create column t.n",
                "create constraint t.t_n_check",
            ],
        );
    }

    #[test]
    fn create_table_level_constraints() {
        pg(
            "CREATE TABLE t (a int, b int, parent int, PRIMARY KEY (a, b), UNIQUE (a, b), \
             FOREIGN KEY (a, b) REFERENCES u (x, y), FOREIGN KEY (parent) REFERENCES t (a), \
             CHECK (a > 0), CHECK (a < b), CHECK (1 = 1), CONSTRAINT named CHECK (b > 0))",
            &[
                "create table t",
                "create column t.a",
                "create column t.b",
                "create column t.parent",
                "create constraint t.t_pkey",
                "create constraint t.t_a_b_key",
                "use table u",
                "create constraint t.t_a_b_fkey references u",
                "create constraint t.t_parent_fkey references t",
                "create constraint t.t_a_check",
                "create constraint t.t_check",
                "create constraint t.t_check1",
                "create constraint t.named",
            ],
        );
    }

    #[test]
    fn named_inline_constraints_keep_their_names() {
        pg(
            "CREATE TABLE t (a int CONSTRAINT a_pk PRIMARY KEY, b int CONSTRAINT b_fk REFERENCES u)",
            &[
                "create table t",
                "create column t.a",
                "create constraint t.a_pk",
                "create column t.b",
                "use table u",
                "create constraint t.b_fk references u",
            ],
        );
    }

    #[test]
    fn long_implicit_names_are_truncated_like_postgres() {
        let table = "a".repeat(40);
        let column = "b".repeat(40);
        let name = pg_object_name(&table, Some(&column), "key");
        assert_eq!(name.len(), 63);
        assert_eq!(name, format!("{}_{}_key", "a".repeat(29), "b".repeat(29)));
        assert_eq!(pg_object_name("t", None, "pkey"), "t_pkey");
    }

    #[test]
    fn unnamed_constraints_outside_postgres_create_nothing_but_still_use_targets() {
        sqlite(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER REFERENCES u (id), \
             CONSTRAINT c CHECK (id > 0), UNIQUE (u))",
            &[
                "create table t",
                "create column t.id",
                "create column t.u",
                "use table u",
                "create constraint t.c",
            ],
        );
        mysql(
            "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, UNIQUE KEY uk_a (a), \
             KEY idx_a (a), INDEX (a), CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id), \
             FOREIGN KEY (a) REFERENCES v (id))",
            &[
                "create table t",
                "create column t.id",
                "create constraint t.primary",
                "create column t.a",
                "create index uk_a on t",
                "create index idx_a on t",
                "use table u",
                "create constraint t.fk references u",
                "use table v",
            ],
        );
    }

    #[test]
    fn custom_types_are_used_but_builtins_are_not() {
        pg(
            "CREATE TABLE t (a mood, b public.mood[], c serial, d citext, e inet, f pg_catalog.foo)",
            &[
                "create table t",
                "use type mood",
                "create column t.a",
                "use type mood",
                "create column t.b",
                "create column t.c",
                "create column t.d",
                "create column t.e",
                "create column t.f",
            ],
        );
    }

    #[test]
    fn create_table_as_like_partition_of() {
        pg(
            "CREATE TABLE t AS SELECT * FROM u",
            &["create table t", "uncertain table t"],
        );
        pg(
            "CREATE TABLE t (LIKE u)",
            &["create table t", "use table u", "uncertain table t"],
        );
        pg(
            "CREATE TABLE t PARTITION OF p FOR VALUES IN (1)",
            &["create table t", "use table p", "uncertain table t"],
        );
        mysql(
            "CREATE TABLE t LIKE u",
            &["create table t", "use table u", "uncertain table t"],
        );
    }

    #[test]
    fn alter_table_columns() {
        pg(
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS a mood REFERENCES u (id), \
             DROP COLUMN IF EXISTS b CASCADE, RENAME COLUMN c TO d",
            &[
                "use table t",
                "use type mood",
                "create column t.a if not exists",
                "use table u",
                "create constraint t.t_a_fkey references u",
                "drop column t.b if exists cascade",
                "rename column t.c -> column t.d",
            ],
        );
        pg(
            "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b TYPE mood USING b::mood",
            &[
                "use table t",
                "use column t.a",
                "use column t.b",
                "use type mood",
            ],
        );
        pg(
            "ALTER TABLE t ADD COLUMN n int CHECK (n > 0)",
            &[
                "use table t",
                "create column t.n",
                "create constraint t.t_n_check",
            ],
        );
    }

    #[test]
    fn alter_table_constraints() {
        pg(
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
            &[
                "use table t",
                "use table u",
                "create constraint t.fk references u",
            ],
        );
        pg(
            "ALTER TABLE t ADD PRIMARY KEY (id), ADD UNIQUE (a), ADD CHECK (a > 0), \
             ADD CHECK (status IN ('a', 'b'))",
            &[
                "use table t",
                "create constraint t.t_pkey",
                "create constraint t.t_a_key",
                "create constraint t.t_a_check",
            ],
        );
        pg(
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS c CASCADE, RENAME CONSTRAINT a TO b, \
             VALIDATE CONSTRAINT v",
            &[
                "use table t",
                "drop constraint t.c if exists cascade",
                "rename constraint t.a -> constraint t.b",
                "use constraint t.v",
            ],
        );
        pg(
            "ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX idx",
            &["use table t", "use index idx", "create constraint t.c"],
        );
    }

    #[test]
    fn alter_table_rename_and_unmodelled_operations() {
        pg(
            "ALTER TABLE IF EXISTS public.t RENAME TO u",
            &["use table t", "rename table t -> table u"],
        );
        pg(
            "ALTER TABLE t ENABLE ROW LEVEL SECURITY, OWNER TO bob",
            &["use table t"],
        );
        pg(
            "ALTER TABLE t SWAP WITH u",
            &["use table t", "uncertain table t"],
        );
    }

    #[test]
    fn alter_table_mysql_specifics() {
        mysql(
            "ALTER TABLE t DROP FOREIGN KEY fk, DROP INDEX idx, DROP PRIMARY KEY",
            &[
                "use table t",
                "drop constraint t.fk",
                "drop index idx",
                "drop constraint t.primary",
            ],
        );
        mysql(
            "ALTER TABLE t CHANGE COLUMN a b BIGINT NOT NULL, CHANGE c c INT, MODIFY COLUMN d TEXT",
            &[
                "use table t",
                "use column t.a",
                "rename column t.a -> column t.b",
                "use column t.c",
                "use column t.d",
            ],
        );
        mysql(
            "ALTER TABLE t ADD UNIQUE KEY uk (a), ADD INDEX idx (b), ADD COLUMN c INT AFTER b, \
             ALGORITHM = INPLACE",
            &[
                "use table t",
                "create index uk on t",
                "create index idx on t",
                "create column t.c",
            ],
        );
        mysql(
            "ALTER TABLE t RENAME TO u, ADD COLUMN x INT",
            &[
                "use table t",
                "rename table t -> table u",
                "create column u.x",
            ],
        );
    }

    #[test]
    fn drop_statements_one_effect_per_name() {
        pg(
            "DROP TABLE IF EXISTS a, public.b CASCADE",
            &[
                "drop table a if exists cascade",
                "drop table b if exists cascade",
            ],
        );
        pg("DROP VIEW v", &["drop view v"]);
        pg(
            "DROP MATERIALIZED VIEW IF EXISTS mv",
            &["drop view mv if exists"],
        );
        pg(
            "DROP INDEX IF EXISTS a, b",
            &["drop index a if exists", "drop index b if exists"],
        );
        pg("DROP SEQUENCE s", &["drop sequence s"]);
        pg(
            "DROP TYPE IF EXISTS mood CASCADE",
            &["drop type mood if exists cascade"],
        );
        pg("DROP SCHEMA s CASCADE", &["drop schema s cascade"]);
        pg("DROP DOMAIN IF EXISTS d", &["drop type d if exists"]);
        pg(
            "DROP FUNCTION IF EXISTS f(int), g",
            &["drop function f if exists", "drop function g if exists"],
        );
        pg("DROP PROCEDURE p CASCADE", &["drop function p cascade"]);
        pg(
            "DROP TRIGGER IF EXISTS trg ON t",
            &["use table t", "drop trigger trg if exists"],
        );
        pg(
            "DROP EXTENSION IF EXISTS a, b CASCADE",
            &[
                "drop extension a if exists cascade",
                "drop extension b if exists cascade",
            ],
        );
        pg("DROP ROLE r", &[]);
        mysql("DROP INDEX idx ON t", &["use table t", "drop index idx"]);
        mysql(
            "DROP TEMPORARY TABLE IF EXISTS t",
            &["drop table t if exists"],
        );
        sqlite("DROP TRIGGER trg", &["drop trigger trg"]);
    }

    #[test]
    fn create_index() {
        pg(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON public.t USING btree \
             (a, lower(b)) INCLUDE (c) WHERE d IS NULL",
            &[
                "use table t",
                "use column t.a",
                "use column t.c",
                "create index idx on t if not exists",
            ],
        );
        pg(
            "CREATE INDEX ON t (a, lower(b))",
            &[
                "use table t",
                "use column t.a",
                "create index t_a_expr_idx on t",
            ],
        );
        sqlite(
            "CREATE INDEX idx ON t (a COLLATE NOCASE DESC)",
            &["use table t", "create index idx on t"],
        );
    }

    #[test]
    fn renames() {
        pg(
            "ALTER INDEX idx RENAME TO idx2",
            &["rename index idx -> index idx2"],
        );
        mysql(
            "RENAME TABLE a TO b, c TO d",
            &["rename table a -> table b", "rename table c -> table d"],
        );
        pg(
            "ALTER TYPE mood RENAME TO feeling",
            &["rename type mood -> type feeling"],
        );
        pg(
            "ALTER FUNCTION f(int) RENAME TO g",
            &["rename function f -> function g"],
        );
        pg(
            "ALTER SCHEMA s RENAME TO t",
            &["rename schema s -> schema t"],
        );
    }

    #[test]
    fn views() {
        pg(
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            &["create view v or replace"],
        );
        pg(
            "CREATE MATERIALIZED VIEW mv AS SELECT 1",
            &["create view mv"],
        );
        sqlite(
            "CREATE VIEW IF NOT EXISTS v AS SELECT 1",
            &["create view v if not exists"],
        );
        pg("ALTER VIEW v AS SELECT 2", &["use view v"]);
    }

    #[test]
    fn types_sequences_and_extensions() {
        pg("CREATE TYPE mood AS ENUM ('a', 'b')", &["create type mood"]);
        pg(
            "CREATE TYPE pair AS (a mood, b int)",
            &["use type mood", "create type pair"],
        );
        pg(
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'c'",
            &["use type mood"],
        );
        pg(
            "CREATE DOMAIN email AS text CHECK (VALUE ~ '@')",
            &["create type email"],
        );
        pg(
            "CREATE SEQUENCE IF NOT EXISTS s OWNED BY t.id",
            &["create sequence s if not exists", "use column t.id"],
        );
        pg(
            "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"",
            &["create extension uuid-ossp if not exists"],
        );
    }

    #[test]
    fn routines_and_triggers() {
        pg(
            "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ \
             LANGUAGE plpgsql",
            &["create function f or replace"],
        );
        pg(
            "CREATE TRIGGER trg BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION f()",
            &["use table t", "create trigger trg on t"],
        );
        mysql(
            "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END",
            &["use table t", "create trigger trg on t"],
        );
        sqlite(
            "CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; END",
            &["use table t", "create trigger trg on t"],
        );
    }

    #[test]
    fn schemas() {
        pg(
            "CREATE SCHEMA IF NOT EXISTS s",
            &["create schema s if not exists"],
        );
        pg("CREATE SCHEMA AUTHORIZATION bob", &["create schema bob"]);
        pg("ALTER SCHEMA s OWNER TO bob", &["use schema s"]);
    }

    #[test]
    fn data_statements_use_their_table() {
        pg(
            "INSERT INTO public.t (a) VALUES (1) ON CONFLICT DO NOTHING",
            &["use table t"],
        );
        pg(
            "UPDATE t SET a = u.b FROM u WHERE t.id = u.id",
            &["use table t"],
        );
        pg("DELETE FROM t USING u WHERE t.id = u.id", &["use table t"]);
        mysql("DELETE t FROM t JOIN u ON t.id = u.id", &["use table t"]);
        pg(
            "TRUNCATE a, b RESTART IDENTITY",
            &["use table a", "use table b"],
        );
        pg("COPY t (a) FROM STDIN", &["use table t"]);
        pg("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", &["use table t"]);
        pg(
            "MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE",
            &["use table t"],
        );
    }

    #[test]
    fn comments_use_their_object() {
        pg("COMMENT ON TABLE public.t IS 'x'", &["use table t"]);
        pg(
            "COMMENT ON COLUMN public.t.a IS NULL",
            &["use table t", "use column t.a"],
        );
        pg("COMMENT ON INDEX idx IS 'x'", &["use index idx"]);
        pg("COMMENT ON TYPE mood IS 'x'", &["use type mood"]);
        pg("COMMENT ON ROLE r IS 'x'", &[]);
    }

    #[test]
    fn policies_use_their_table() {
        pg("CREATE POLICY p ON t USING (true)", &["use table t"]);
        pg("DROP POLICY IF EXISTS p ON t", &["use table t"]);
    }

    #[test]
    fn code_with_unknown_effects_is_opaque() {
        pg("CALL p(1)", &["opaque"]);
        pg("EXECUTE stmt(1)", &["opaque"]);
        mysql("CALL p()", &["opaque"]);
    }

    #[test]
    fn statements_without_schema_effects() {
        for sql in [
            "SELECT 1",
            "SET search_path TO a, b",
            "GRANT SELECT ON t TO bob",
            "REVOKE ALL ON t FROM PUBLIC",
            "BEGIN",
            "COMMIT",
            "CREATE ROLE r",
            "SHOW search_path",
        ] {
            pg(sql, &[]);
        }
        sqlite("PRAGMA foreign_keys = 1", &[]);
        mysql("SET FOREIGN_KEY_CHECKS = 0", &[]);
    }

    #[test]
    fn sqlite_virtual_table() {
        sqlite(
            "CREATE VIRTUAL TABLE ft USING fts5(a, b)",
            &["create table ft", "uncertain table ft"],
        );
    }
}
