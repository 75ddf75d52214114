//! `ALTER TABLE`: one effect (or none) per operation; an operation the model does not know
//! leaves the table uncertain.

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, DropBehavior, RenameTableNameKind,
};

use super::names::pg_object_name;
use super::table::TableContext;
use super::{Effects, drops, renames, uncertain, uses};
use crate::Dialect;
use crate::model::{ObjectId, ObjectKind};

impl Effects {
    pub(super) fn alter_table(&mut self, alter: &AlterTable) {
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
            | AlterTableOperation::ResetOptions { .. }
            | AlterTableOperation::SetTblProperties { .. }
            | AlterTableOperation::Algorithm { .. }
            | AlterTableOperation::Lock { .. }
            | AlterTableOperation::AutoIncrement { .. } => {}
            _ => self.push(uncertain(ObjectId::table(t))),
        }
    }
}

fn is_cascade(behavior: Option<DropBehavior>) -> bool {
    behavior == Some(DropBehavior::Cascade)
}
