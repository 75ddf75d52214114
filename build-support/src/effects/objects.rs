//! The other statements the dispatch hands on: `CREATE INDEX`, drops, `CREATE TYPE`, a
//! sequence's owner column, the tables data statements use, and the objects comments are on.

use sqlparser::ast::{
    CommentObject, CreateIndex, Delete, Expr, FromTable, FunctionDesc, ObjectName, ObjectType,
    TableFactor, UserDefinedTypeRepresentation,
};

use super::expr::expression_words;
use super::names::pg_object_name;
use super::{Effects, creates, drops, uses};
use crate::Dialect;
use crate::model::{Effect, ObjectId, ObjectKind};

impl Effects {
    pub(super) fn create_index(&mut self, create: &CreateIndex) {
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
            // Every column the index reads, also inside expressions and a partial index's
            // `WHERE`: dropping any drops it.
            let mut columns = Vec::new();
            for c in &create.columns {
                match &c.column.expr {
                    Expr::Identifier(ident) => columns.push(self.ident(ident)),
                    expr => columns.extend(expression_words(&expr.to_string(), self.dialect)),
                }
            }
            if let Some(predicate) = &create.predicate {
                columns.extend(expression_words(&predicate.to_string(), self.dialect));
            }
            self.push(Effect::Create {
                object: ObjectId::new(ObjectKind::Index, name),
                if_not_exists: create.if_not_exists,
                or_replace: false,
                on: Some(table),
                references: None,
                columns,
                shape: None,
            });
        }
    }

    pub(super) fn drop_objects(
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

    pub(super) fn drop_functions(
        &mut self,
        functions: &[FunctionDesc],
        if_exists: bool,
        cascade: bool,
    ) {
        for function in functions {
            let name = self.name(&function.name);
            self.push(drops(
                ObjectId::new(ObjectKind::Function, name),
                if_exists,
                cascade,
            ));
        }
    }

    pub(super) fn create_type(
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
    /// `OWNED BY table.column`: uses the column; returns the table, which takes the sequence
    /// along when it is dropped.
    pub(super) fn owner_column(&mut self, owner: &ObjectName) -> Option<String> {
        let parts: Vec<String> = owner
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| self.ident(i)))
            .collect();
        if let [.., table, column] = parts.as_slice() {
            self.push(uses(ObjectId::column(table, column)));
            return Some(table.clone());
        }
        None
    }

    pub(super) fn use_relation(&mut self, relation: &TableFactor) {
        if let TableFactor::Table { name, .. } = relation {
            self.use_object(ObjectKind::Table, name);
        }
    }

    pub(super) fn delete(&mut self, delete: &Delete) {
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

    pub(super) fn comment(&mut self, object_type: CommentObject, name: &ObjectName) {
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
}
