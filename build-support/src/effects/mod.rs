//! The schema effects of a parsed statement (see [`crate::model::Effect`]).
//!
//! Every name goes through [`normalize`]: the last part of a qualified name, unquoted identifiers
//! lower-cased and quoted ones kept as written. MySQL and SQLite compare identifiers without
//! regard to case, quoted or not, so there every name is lower-cased.

mod alter;
mod defaults;
mod expr;
mod names;
mod objects;
mod table;
#[cfg(test)]
pub(crate) mod tests;
mod types;

use sqlparser::ast::{
    AlterFunctionOperation, AlterIndexOperation, AlterSchemaOperation, AlterTriggerOperation,
    AlterTypeOperation, AlterViewOperation, CopySource, DropBehavior, Ident, ObjectName,
    ReferentialAction, SchemaName, SequenceOptions, Statement, TableObject,
};

use crate::Dialect;
use crate::model::{Effect, ObjectId, ObjectKind};

pub(crate) use defaults::default_text;
pub(crate) use names::pg_object_name;
pub use names::{ident_name, normalize, object_name};
pub(crate) use types::{column_type, declared_type};

/// What `statement` does to the schema, in order.
pub fn of_statement(statement: &Statement, dialect: Dialect) -> Vec<Effect> {
    let mut out = Effects {
        dialect,
        list: Vec::new(),
    };
    out.statement(statement);
    out.list
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
        shape: None,
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
        shape: None,
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

/// The effects of one statement, collected in order.
#[derive(Debug)]
struct Effects {
    dialect: Dialect,
    list: Vec<Effect>,
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
            Statement::AlterView(view) => match &view.operation {
                AlterViewOperation::RenameTo { new_name } => {
                    let (from, to) = (self.name(&view.name), self.name(new_name));
                    self.push(renames(
                        ObjectId::new(ObjectKind::View, from),
                        ObjectId::new(ObjectKind::View, to),
                    ));
                }
                _ => self.use_object(ObjectKind::View, &view.name),
            },
            Statement::AlterTrigger(trigger) => {
                self.push(uses(ObjectId::table(self.name(&trigger.table_name))));
                if let AlterTriggerOperation::Rename { new_name } = &trigger.operation {
                    let (from, to) = (self.ident(&trigger.name), self.ident(new_name));
                    self.push(renames(
                        ObjectId::new(ObjectKind::Trigger, from),
                        ObjectId::new(ObjectKind::Trigger, to),
                    ));
                }
            }
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
                sequence_options,
                ..
            } => {
                let name = self.name(name);
                let at = self.list.len();
                let owner = sequence_options
                    .iter()
                    .filter_map(|o| match o {
                        SequenceOptions::OwnedBy(Some(owner)) => self.owner_column(owner),
                        _ => None,
                    })
                    .last();
                // Created before the column it is owned by is used, and dropped with its table.
                self.list.insert(
                    at,
                    Effect::Create {
                        object: ObjectId::new(ObjectKind::Sequence, name),
                        if_not_exists: *if_not_exists,
                        or_replace: false,
                        on: owner,
                        references: None,
                        columns: Vec::new(),
                        shape: None,
                    },
                );
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
}
