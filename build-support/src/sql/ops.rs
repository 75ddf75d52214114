//! What a statement does in the terms the lock model reads ([`crate::lock_model`]): one [`Op`]
//! per `ALTER TABLE` action or per locking statement, taken from the syntax tree at parse time
//! so that the tree can be dropped. Names are normalised as the schema model's are.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, CascadeOption, ColumnDef, ColumnOption,
    ContextModifier, DetachPartitionMode, DropBehavior, Expr, ForValues, GeneratedExpressionMode,
    LockTableMode, ObjectType, Set, Statement as Ast, TableConstraint, TableObject,
};

use crate::Dialect;
use crate::effects::{ident_name, object_name};

/// One operation of a statement on one table (or index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// One action of an `ALTER TABLE` on `table`.
    Alter {
        table: String,
        action: Alter,
    },
    /// `CREATE TABLE`: the tables its foreign keys reference (locked while it is made) and the
    /// parent it is a partition of.
    CreateTable {
        table: String,
        references: Vec<String>,
        partition_of: Option<String>,
        /// `PARTITION OF p DEFAULT`: the parent's default partition.
        default_partition: bool,
    },
    CreateIndex {
        table: String,
        unique: bool,
        concurrently: bool,
    },
    DropIndex {
        index: String,
        concurrently: bool,
    },
    DropTable {
        table: String,
        cascade: bool,
        /// The other tables dropping it locks, as the schema model knew them just before the
        /// statement (filled by the replay, `Catalog::resolve`): those its foreign keys
        /// reference (their foreign key triggers go with it), with `CASCADE` those whose
        /// foreign keys reference it (the constraints go), and the partitioned table it is a
        /// partition of.
        others: Vec<String>,
    },
    /// `REINDEX TABLE t` (`table`) or `REINDEX INDEX i`.
    Reindex {
        name: String,
        table: bool,
        concurrently: bool,
    },
    CreateTrigger {
        table: String,
    },
    /// `DROP TRIGGER … ON table`.
    DropTrigger {
        table: String,
    },
    Truncate {
        table: String,
        cascade: bool,
        /// With `CASCADE`: the tables whose foreign keys reference `table`, and those that
        /// reference them in turn, as the schema model knew them just before the statement
        /// (filled by the replay, `Catalog::resolve`): they are emptied too.
        cascade_to: Vec<String>,
    },
    /// A statement that takes ACCESS EXCLUSIVE on `table` and does nothing else the model
    /// weighs: it changes how the table's queries are planned (`CREATE POLICY`, `ALTER
    /// POLICY`, `DROP POLICY`, `CREATE RULE`, `DROP RULE`; `statement` is its words).
    AccessExclusive {
        table: String,
        statement: &'static str,
    },
    /// `CLUSTER table [USING index]`: the table written anew in the index's order.
    Cluster {
        table: String,
    },
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] view [WITH [NO] DATA]`.
    RefreshMaterializedView {
        view: String,
        concurrently: bool,
        /// `WITH NO DATA`: the view is emptied (new, empty storage) and left unreadable.
        with_data: bool,
    },
    /// `LOCK TABLE … IN <mode> MODE` (PostgreSQL's default mode is ACCESS EXCLUSIVE).
    LockTable {
        table: String,
        mode: LockMode,
    },
    /// `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `COPY … FROM` into `table`.
    Write {
        table: String,
    },
    /// `SET [LOCAL] lock_timeout = …` (MySQL: `lock_wait_timeout`): zero turns it off.
    SetLockTimeout {
        off: bool,
        /// `SET LOCAL`: only until the transaction ends, and nothing at all outside one (a
        /// `no-transaction` script).
        local: bool,
    },
}

/// PostgreSQL's table lock modes, weakest first: each conflicts with more of the others
/// (the table in "Explicit Locking" of its manual).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    fn of(mode: &LockTableMode) -> LockMode {
        match mode {
            LockTableMode::AccessShare => LockMode::AccessShare,
            LockTableMode::RowShare => LockMode::RowShare,
            LockTableMode::RowExclusive => LockMode::RowExclusive,
            LockTableMode::ShareUpdateExclusive => LockMode::ShareUpdateExclusive,
            LockTableMode::Share => LockMode::Share,
            LockTableMode::ShareRowExclusive => LockMode::ShareRowExclusive,
            LockTableMode::Exclusive => LockMode::Exclusive,
            LockTableMode::AccessExclusive => LockMode::AccessExclusive,
        }
    }

    /// As the manual and `pg_locks.mode` spell it without the `Lock` suffix:
    /// `ACCESS EXCLUSIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// `pg_locks.mode`'s spelling, e.g. `AccessExclusiveLock`.
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        LockMode::ALL.into_iter().find(|m| {
            m.as_str()
                .replace(' ', "")
                .eq_ignore_ascii_case(mode.trim_end_matches("Lock"))
        })
    }

    /// Whether it blocks plain reads (`SELECT`): only ACCESS EXCLUSIVE does.
    pub fn blocks_reads(self) -> bool {
        self == LockMode::AccessExclusive
    }

    /// Whether it blocks writes (`INSERT`, `UPDATE`, `DELETE`): SHARE and stronger.
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }
}

/// An `ALTER TABLE` action, with what decides its lock and whether it rewrites or scans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alter {
    AddColumn {
        column: String,
        /// Its `DEFAULT`, as the model classes it; `None` without one.
        default: Option<DefaultKind>,
        not_null: bool,
        /// `GENERATED ALWAYS AS (…) STORED` or an identity/serial column: every row is
        /// written.
        fills_rows: bool,
        /// A `PRIMARY KEY` or `UNIQUE` on the column: an index is built.
        unique: bool,
        /// A `REFERENCES` on the column: the referenced table.
        references: Option<String>,
        /// A `CHECK` on the column.
        check: bool,
    },
    DropColumn {
        column: String,
        /// The other tables the foreign keys on the column reference, as the schema model
        /// knew them just before the statement (filled by the replay, `Catalog::resolve`): the
        /// constraints go with the column.
        references: Vec<String>,
    },
    /// `ALTER COLUMN … TYPE` (MySQL: `MODIFY`/`CHANGE`, which redefine the column).
    SetType {
        column: String,
        /// The new type as written, lower-cased.
        to: String,
        using: bool,
    },
    SetNotNull {
        column: String,
    },
    DropNotNull {
        column: String,
    },
    SetDefault {
        column: String,
    },
    DropDefault {
        column: String,
    },
    /// `ADD GENERATED … AS IDENTITY`.
    AddIdentity {
        column: String,
    },
    /// `SET STATISTICS`, `SET (attribute_option …)`, `RESET (…)`: the planner's settings of a
    /// column (`SET STORAGE` and `SET COMPRESSION` are [`Alter::Other`]).
    ColumnOptions {
        column: String,
    },
    AddConstraint {
        name: Option<String>,
        kind: ConstraintKind,
        not_valid: bool,
    },
    ValidateConstraint {
        name: String,
    },
    DropConstraint {
        name: String,
        /// `CASCADE`: the foreign keys that rely on it go too.
        cascade: bool,
        /// The other tables it locks, as the schema model knew them just before the
        /// statement (filled by the replay, `Catalog::resolve`): for a foreign key the table it
        /// references; with `CASCADE`, for any other constraint, the tables whose foreign keys
        /// reference its table (the model does not know which key each relies on, so all).
        references: Vec<String>,
    },
    RenameColumn {
        column: String,
    },
    RenameTable,
    RenameConstraint,
    /// `SET LOGGED` / `SET UNLOGGED`.
    SetLogging,
    /// `SET (storage_parameter …)` / `RESET (…)`.
    StorageParameters,
    AttachPartition {
        partition: String,
        /// `ATTACH PARTITION … DEFAULT`: it becomes the default partition.
        default: bool,
        /// The table's default partition, as the schema model knew it just before the
        /// statement (filled by the replay, `Catalog::resolve`): its rows are checked against
        /// the new partition's bounds.
        default_partition: Option<String>,
    },
    DetachPartition {
        partition: String,
        concurrently: bool,
    },
    /// `SET TABLESPACE`: the table's files copied to another tablespace (none to its own).
    SetTablespace,
    /// `ENABLE`/`DISABLE TRIGGER`.
    Trigger,
    /// `CLUSTER ON index` / `SET WITHOUT CLUSTER`: which index a later `CLUSTER` uses.
    Cluster,
    /// `ENABLE`/`DISABLE`/`FORCE ROW LEVEL SECURITY`.
    RowSecurity,
    ReplicaIdentity,
    Inherit,
    OwnerTo,
    /// MySQL's `ALGORITHM = …` clause, upper-cased.
    Algorithm(String),
    /// MySQL's `LOCK = …` clause, upper-cased.
    Lock(String),
    /// An action the model has no entry for.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    Check {
        /// The column, when the expression is `column IS NOT NULL` and nothing else: once
        /// validated, PostgreSQL 12 and later take it as proof for `SET NOT NULL` and skip
        /// the scan.
        not_null: Option<String>,
    },
    ForeignKey {
        references: String,
    },
    Unique,
    PrimaryKey,
    /// `UNIQUE`/`PRIMARY KEY … USING INDEX i`: the index exists, nothing is built.
    UsingIndex,
    Other,
}

/// What a column default costs when a column is added with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// A constant or a non-volatile expression: evaluated once (PostgreSQL 11 and later store
    /// it in the catalog instead of writing every row).
    Constant,
    /// A call to a function that is volatile, or that the model does not know: evaluated per
    /// row, so every row is written.
    Volatile,
}

impl Op {
    /// The tables `Catalog::resolve` found that the operation locks without naming them.
    pub fn resolved_tables(&self) -> Vec<&str> {
        let names: Box<dyn Iterator<Item = &String>> = match self {
            Op::Alter { action, .. } => match action {
                Alter::DropConstraint { references, .. } => Box::new(references.iter()),
                Alter::DropColumn { references, .. } => Box::new(references.iter()),
                Alter::AttachPartition {
                    default_partition, ..
                } => Box::new(default_partition.iter()),
                _ => return Vec::new(),
            },
            Op::DropTable { others, .. } => Box::new(others.iter()),
            Op::Truncate { cascade_to, .. } => Box::new(cascade_to.iter()),
            _ => return Vec::new(),
        };
        names.map(String::as_str).collect()
    }
}

/// The operations of a parsed statement; most statements (queries, `CREATE VIEW`, …) have
/// none.
pub(super) fn of(ast: &Ast, dialect: Dialect) -> Vec<Op> {
    let name = |n| object_name(n, dialect);
    let exclusive = |table, statement| Op::AccessExclusive {
        table: name(table),
        statement,
    };
    match ast {
        Ast::AlterTable(alter) => {
            let table = name(&alter.name);
            alter
                .operations
                .iter()
                .flat_map(|op| alter_actions(op, dialect))
                .map(|action| Op::Alter {
                    table: table.clone(),
                    action,
                })
                .collect()
        }
        Ast::CreateTable(create) => {
            let mut references: Vec<String> = create
                .constraints
                .iter()
                .filter_map(|c| match c {
                    TableConstraint::ForeignKey(fk) => Some(name(&fk.foreign_table)),
                    _ => None,
                })
                .chain(
                    create
                        .columns
                        .iter()
                        .filter_map(|c| column_references(c, dialect)),
                )
                .collect();
            references.sort();
            references.dedup();
            vec![Op::CreateTable {
                table: name(&create.name),
                references,
                partition_of: create.partition_of.as_ref().map(name),
                default_partition: matches!(create.for_values, Some(ForValues::Default)),
            }]
        }
        Ast::CreateIndex(create) => vec![Op::CreateIndex {
            table: name(&create.table_name),
            unique: create.unique,
            concurrently: create.concurrently,
        }],
        Ast::Drop {
            object_type,
            names,
            cascade,
            ..
        } => names
            .iter()
            .filter_map(|n| match object_type {
                ObjectType::Index => Some(Op::DropIndex {
                    index: name(n),
                    concurrently: false,
                }),
                ObjectType::Table => Some(Op::DropTable {
                    table: name(n),
                    cascade: *cascade,
                    others: Vec::new(),
                }),
                _ => None,
            })
            .collect(),
        Ast::CreatePolicy(policy) => vec![exclusive(&policy.table_name, "CREATE POLICY")],
        Ast::AlterPolicy(policy) => vec![exclusive(&policy.table_name, "ALTER POLICY")],
        Ast::DropPolicy(policy) => vec![exclusive(&policy.table_name, "DROP POLICY")],
        Ast::CreateRule(rule) => vec![exclusive(&rule.table_name, "CREATE RULE")],
        Ast::DropRule(rule) => vec![exclusive(&rule.table_name, "DROP RULE")],
        Ast::RefreshMaterializedView(refresh) => vec![Op::RefreshMaterializedView {
            view: name(&refresh.name),
            concurrently: refresh.concurrently,
            with_data: refresh.with_data != Some(false),
        }],
        Ast::CreateTrigger(trigger) => vec![Op::CreateTrigger {
            table: name(&trigger.table_name),
        }],
        Ast::DropTrigger(drop) => drop
            .table_name
            .iter()
            .map(|t| Op::DropTrigger { table: name(t) })
            .collect(),
        Ast::Truncate(truncate) => truncate
            .table_names
            .iter()
            .map(|t| Op::Truncate {
                table: name(&t.name),
                cascade: matches!(truncate.cascade, Some(CascadeOption::Cascade)),
                cascade_to: Vec::new(),
            })
            .collect(),
        Ast::Lock(lock) => lock
            .tables
            .iter()
            .map(|t| Op::LockTable {
                table: name(&t.name),
                mode: lock
                    .lock_mode
                    .as_ref()
                    .map_or(LockMode::AccessExclusive, LockMode::of),
            })
            .collect(),
        Ast::Insert(insert) => match &insert.table {
            TableObject::TableName(n) => vec![Op::Write { table: name(n) }],
            _ => Vec::new(),
        },
        Ast::Update(update) => relation_name(&update.table.relation, dialect)
            .map(|table| Op::Write { table })
            .into_iter()
            .collect(),
        Ast::Delete(delete) => {
            let from = match &delete.from {
                sqlparser::ast::FromTable::WithFromKeyword(t)
                | sqlparser::ast::FromTable::WithoutKeyword(t) => t,
            };
            from.iter()
                .filter_map(|t| relation_name(&t.relation, dialect))
                .map(|table| Op::Write { table })
                .collect()
        }
        Ast::Merge(merge) => relation_name(&merge.table, dialect)
            .map(|table| Op::Write { table })
            .into_iter()
            .collect(),
        Ast::Set(Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        }) => {
            let variable = object_name(variable, Dialect::MySql);
            if variable == "lock_timeout" || variable == "lock_wait_timeout" {
                vec![Op::SetLockTimeout {
                    off: values.iter().all(is_zero),
                    local: matches!(scope, Some(ContextModifier::Local)),
                }]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

fn relation_name(relation: &sqlparser::ast::TableFactor, dialect: Dialect) -> Option<String> {
    match relation {
        sqlparser::ast::TableFactor::Table { name, .. } => Some(object_name(name, dialect)),
        _ => None,
    }
}

/// `0`, `'0'`, `'0s'`, `'0ms'`: PostgreSQL's "no timeout".
fn is_zero(value: &Expr) -> bool {
    let text = value.to_string();
    let text = text.trim_matches('\'');
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits.chars().all(|c| c == '0')
}

fn alter_actions(op: &AlterTableOperation, dialect: Dialect) -> Vec<Alter> {
    let ident = |i| ident_name(i, dialect);
    let one = |a| vec![a];
    match op {
        AlterTableOperation::AddColumn { column_def, .. } => one(add_column(column_def, dialect)),
        AlterTableOperation::DropColumn { column_names, .. } => column_names
            .iter()
            .map(|c| Alter::DropColumn {
                column: ident(c),
                references: Vec::new(),
            })
            .collect(),
        AlterTableOperation::AlterColumn { column_name, op } => {
            let column = ident(column_name);
            one(match op {
                AlterColumnOperation::SetNotNull => Alter::SetNotNull { column },
                AlterColumnOperation::DropNotNull => Alter::DropNotNull { column },
                AlterColumnOperation::SetDefault { .. } => Alter::SetDefault { column },
                AlterColumnOperation::DropDefault => Alter::DropDefault { column },
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                } => Alter::SetType {
                    column,
                    to: data_type.to_string().to_ascii_lowercase(),
                    using: using.is_some(),
                },
                AlterColumnOperation::AddGenerated { .. } => Alter::AddIdentity { column },
                _ => Alter::ColumnOptions { column },
            })
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            ..
        } => one(Alter::SetType {
            column: ident(col_name),
            to: data_type.to_string().to_ascii_lowercase(),
            using: false,
        }),
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            ..
        } => {
            let mut actions = vec![Alter::SetType {
                column: ident(old_name),
                to: data_type.to_string().to_ascii_lowercase(),
                using: false,
            }];
            if ident(old_name) != ident(new_name) {
                actions.push(Alter::RenameColumn {
                    column: ident(old_name),
                });
            }
            actions
        }
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } => {
            let (name, kind) = constraint_kind(constraint, dialect);
            one(Alter::AddConstraint {
                name,
                kind,
                not_valid: *not_valid,
            })
        }
        AlterTableOperation::ValidateConstraint { name } => {
            one(Alter::ValidateConstraint { name: ident(name) })
        }
        AlterTableOperation::DropConstraint {
            name,
            drop_behavior,
            ..
        } => one(drop_constraint(
            ident(name),
            matches!(drop_behavior, Some(DropBehavior::Cascade)),
        )),
        AlterTableOperation::DropPrimaryKey { .. } => {
            one(drop_constraint("primary".to_owned(), false))
        }
        AlterTableOperation::DropForeignKey { name, .. } => {
            one(drop_constraint(ident(name), false))
        }
        AlterTableOperation::DropIndex { name } => one(drop_constraint(ident(name), false)),
        AlterTableOperation::RenameColumn {
            old_column_name, ..
        } => one(Alter::RenameColumn {
            column: ident(old_column_name),
        }),
        AlterTableOperation::RenameTable { .. } => one(Alter::RenameTable),
        AlterTableOperation::RenameConstraint { .. } => one(Alter::RenameConstraint),
        AlterTableOperation::SetLogged | AlterTableOperation::SetUnlogged => one(Alter::SetLogging),
        AlterTableOperation::SetOptionsParens { .. } | AlterTableOperation::ResetOptions { .. } => {
            one(Alter::StorageParameters)
        }
        AlterTableOperation::AttachPartitionOf {
            partition,
            for_values,
        } => one(Alter::AttachPartition {
            partition: object_name(partition, dialect),
            default: matches!(for_values, ForValues::Default),
            default_partition: None,
        }),
        AlterTableOperation::DetachPartitionOf { partition, mode } => one(Alter::DetachPartition {
            partition: object_name(partition, dialect),
            concurrently: matches!(mode, Some(DetachPartitionMode::Concurrently)),
        }),
        AlterTableOperation::EnableTrigger { .. }
        | AlterTableOperation::DisableTrigger { .. }
        | AlterTableOperation::EnableAlwaysTrigger { .. }
        | AlterTableOperation::EnableReplicaTrigger { .. } => one(Alter::Trigger),
        AlterTableOperation::EnableRowLevelSecurity
        | AlterTableOperation::DisableRowLevelSecurity
        | AlterTableOperation::ForceRowLevelSecurity
        | AlterTableOperation::NoForceRowLevelSecurity => one(Alter::RowSecurity),
        AlterTableOperation::ReplicaIdentity { .. } => one(Alter::ReplicaIdentity),
        AlterTableOperation::Inherit { .. } | AlterTableOperation::NoInherit { .. } => {
            one(Alter::Inherit)
        }
        AlterTableOperation::OwnerTo { .. } => one(Alter::OwnerTo),
        AlterTableOperation::Algorithm { algorithm, .. } => {
            one(Alter::Algorithm(algorithm.to_string().to_ascii_uppercase()))
        }
        AlterTableOperation::Lock { lock, .. } => {
            one(Alter::Lock(lock.to_string().to_ascii_uppercase()))
        }
        _ => one(Alter::Other),
    }
}

fn drop_constraint(name: String, cascade: bool) -> Alter {
    Alter::DropConstraint {
        name,
        cascade,
        references: Vec::new(),
    }
}

fn add_column(column: &ColumnDef, dialect: Dialect) -> Alter {
    let data_type = column.data_type.to_string().to_ascii_lowercase();
    let mut add = Alter::AddColumn {
        column: ident_name(&column.name, dialect),
        default: None,
        not_null: false,
        fills_rows: matches!(
            data_type.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ),
        unique: false,
        references: None,
        check: false,
    };
    let Alter::AddColumn {
        default,
        not_null,
        fills_rows,
        unique,
        references,
        check,
        ..
    } = &mut add
    else {
        unreachable!("built above")
    };
    for option in &column.options {
        match &option.option {
            ColumnOption::Default(expr) => *default = Some(classify_default(expr)),
            ColumnOption::NotNull => *not_null = true,
            ColumnOption::PrimaryKey(_) => {
                *unique = true;
                *not_null = true;
            }
            ColumnOption::Unique(_) => *unique = true,
            ColumnOption::ForeignKey(fk) => {
                *references = Some(object_name(&fk.foreign_table, dialect));
            }
            ColumnOption::Check(_) => *check = true,
            ColumnOption::Generated {
                generation_expr,
                generation_expr_mode,
                ..
            } => {
                // An identity column (no expression) or a stored generated one: every row is
                // written; a virtual one (PostgreSQL 18, MySQL) is not.
                let is_virtual = generation_expr.is_some()
                    && matches!(generation_expr_mode, Some(GeneratedExpressionMode::Virtual));
                *fills_rows |= !is_virtual;
            }
            ColumnOption::Identity(_) => *fills_rows = true,
            // MySQL's identity column: each row is numbered.
            ColumnOption::DialectSpecific(tokens)
                if tokens
                    .iter()
                    .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                *fills_rows = true;
            }
            _ => {}
        }
    }
    add
}

fn column_references(column: &ColumnDef, dialect: Dialect) -> Option<String> {
    column.options.iter().find_map(|o| match &o.option {
        ColumnOption::ForeignKey(fk) => Some(object_name(&fk.foreign_table, dialect)),
        _ => None,
    })
}

fn constraint_kind(
    constraint: &TableConstraint,
    dialect: Dialect,
) -> (Option<String>, ConstraintKind) {
    let ident = |i: &Option<sqlparser::ast::Ident>| i.as_ref().map(|i| ident_name(i, dialect));
    match constraint {
        TableConstraint::Check(c) => (
            ident(&c.name),
            ConstraintKind::Check {
                not_null: not_null_column(&c.expr, dialect),
            },
        ),
        TableConstraint::ForeignKey(fk) => (
            ident(&fk.name),
            ConstraintKind::ForeignKey {
                references: object_name(&fk.foreign_table, dialect),
            },
        ),
        TableConstraint::UniqueUsingIndex(u) | TableConstraint::PrimaryKeyUsingIndex(u) => {
            (ident(&u.name), ConstraintKind::UsingIndex)
        }
        TableConstraint::Unique(u) => (ident(&u.name), ConstraintKind::Unique),
        TableConstraint::PrimaryKey(p) => (ident(&p.name), ConstraintKind::PrimaryKey),
        _ => (None, ConstraintKind::Other),
    }
}

/// `column IS NOT NULL`, in any parentheses: the column.
fn not_null_column(expr: &Expr, dialect: Dialect) -> Option<String> {
    match expr {
        Expr::Nested(inner) => not_null_column(inner, dialect),
        Expr::IsNotNull(operand) => match operand.as_ref() {
            Expr::Nested(inner) => match inner.as_ref() {
                Expr::Identifier(column) => Some(ident_name(column, dialect)),
                _ => None,
            },
            Expr::Identifier(column) => Some(ident_name(column, dialect)),
            _ => None,
        },
        _ => None,
    }
}

/// Functions a default may call without being volatile (PostgreSQL marks them stable or
/// immutable); any other call is taken as volatile.
const NON_VOLATILE_CALLS: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "current_schema",
    "lower",
    "upper",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "array",
    "make_interval",
    "interval",
    "timezone",
    "coalesce",
];

/// A default is volatile when it calls a function not known to be non-volatile; the words
/// before an opening parenthesis are the calls (casts such as `'{}'::jsonb` are not).
pub(crate) fn classify_default(expr: &Expr) -> DefaultKind {
    let text = expr.to_string().to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut word_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\'' {
            in_string = !in_string;
            word_start = None;
            continue;
        }
        if in_string {
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            let rest = text[i..].trim_start();
            if rest.starts_with('(') {
                let word = &text[start..i];
                let word = word.rsplit('.').next().unwrap_or(word);
                if !NON_VOLATILE_CALLS.contains(&word) && !is_type_name(word) {
                    return DefaultKind::Volatile;
                }
            }
        }
    }
    DefaultKind::Constant
}

/// A type name with a modifier, as in `'x'::varchar(10)` or `CAST(… AS numeric(10, 2))`.
fn is_type_name(word: &str) -> bool {
    matches!(
        word,
        "varchar"
            | "char"
            | "character"
            | "numeric"
            | "decimal"
            | "timestamp"
            | "timestamptz"
            | "time"
            | "bit"
            | "varbit"
            | "cast"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_script;

    fn ops(sql: &str, dialect: Dialect) -> Vec<Op> {
        let parsed = parse_script(sql, dialect).unwrap();
        parsed.into_iter().flat_map(|s| s.ops).collect()
    }

    #[test]
    fn defaults_are_classed_by_their_calls() {
        let add = |sql: &str| match ops(sql, Dialect::Postgres).remove(0) {
            Op::Alter {
                action: Alter::AddColumn { default, .. },
                ..
            } => default,
            other => panic!("{other:?}"),
        };
        assert_eq!(add("ALTER TABLE t ADD COLUMN a INT"), None);
        for constant in [
            "0",
            "'x'",
            "now()",
            "CURRENT_TIMESTAMP",
            "'{}'::jsonb",
            "'a'::varchar(10)",
            "-1",
        ] {
            let sql = format!("ALTER TABLE t ADD COLUMN a INT DEFAULT {constant}");
            assert_eq!(add(&sql), Some(DefaultKind::Constant), "{constant}");
        }
        for volatile in ["gen_random_uuid()", "random()", "nextval('s')", "my_fn(1)"] {
            let sql = format!("ALTER TABLE t ADD COLUMN a INT DEFAULT {volatile}");
            assert_eq!(add(&sql), Some(DefaultKind::Volatile), "{volatile}");
        }
    }

    #[test]
    fn alter_table_has_one_op_per_action() {
        let got = ops(
            "ALTER TABLE Users ADD COLUMN a SERIAL, ALTER COLUMN b SET NOT NULL, \
             ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES orgs (id) NOT VALID, \
             VALIDATE CONSTRAINT fk",
            Dialect::Postgres,
        );
        let actions: Vec<_> = got
            .into_iter()
            .map(|op| match op {
                Op::Alter { table, action } => {
                    assert_eq!(table, "users");
                    action
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(matches!(
            &actions[0],
            Alter::AddColumn {
                fills_rows: true,
                ..
            }
        ));
        assert_eq!(
            actions[1],
            Alter::SetNotNull {
                column: "b".to_owned()
            }
        );
        assert_eq!(
            actions[2],
            Alter::AddConstraint {
                name: Some("fk".to_owned()),
                kind: ConstraintKind::ForeignKey {
                    references: "orgs".to_owned()
                },
                not_valid: true,
            }
        );
        assert_eq!(
            actions[3],
            Alter::ValidateConstraint {
                name: "fk".to_owned()
            }
        );
    }

    #[test]
    fn constraints_using_an_index_and_not_null_checks() {
        let kinds: Vec<ConstraintKind> = ops(
            "ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i; \
             ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY USING INDEX i; \
             ALTER TABLE t ADD CONSTRAINT u UNIQUE (a); \
             ALTER TABLE t ADD CONSTRAINT n CHECK ((\"A\" IS NOT NULL)) NOT VALID; \
             ALTER TABLE t ADD CHECK (a IS NOT NULL AND b > 0)",
            Dialect::Postgres,
        )
        .into_iter()
        .map(|op| match op {
            Op::Alter {
                action: Alter::AddConstraint { kind, .. },
                ..
            } => kind,
            other => panic!("{other:?}"),
        })
        .collect();
        assert_eq!(
            kinds,
            [
                ConstraintKind::UsingIndex,
                ConstraintKind::UsingIndex,
                ConstraintKind::Unique,
                ConstraintKind::Check {
                    not_null: Some("A".to_owned())
                },
                ConstraintKind::Check { not_null: None },
            ]
        );
    }

    #[test]
    fn what_the_replay_resolves_starts_empty() {
        assert_eq!(
            ops(
                "TRUNCATE a CASCADE; DROP TABLE b; ALTER TABLE c DROP CONSTRAINT f",
                Dialect::Postgres
            ),
            vec![
                Op::Truncate {
                    table: "a".to_owned(),
                    cascade: true,
                    cascade_to: Vec::new(),
                },
                Op::DropTable {
                    table: "b".to_owned(),
                    cascade: false,
                    others: Vec::new(),
                },
                Op::Alter {
                    table: "c".to_owned(),
                    action: Alter::DropConstraint {
                        name: "f".to_owned(),
                        cascade: false,
                        references: Vec::new(),
                    },
                },
            ]
        );
    }

    #[test]
    fn default_partitions() {
        let got = ops(
            "CREATE TABLE p1 PARTITION OF p DEFAULT; \
             CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2); \
             ALTER TABLE p ATTACH PARTITION p3 DEFAULT; \
             ALTER TABLE p ATTACH PARTITION p4 FOR VALUES IN (4)",
            Dialect::Postgres,
        );
        let defaults: Vec<bool> = got
            .iter()
            .map(|op| match op {
                Op::CreateTable {
                    default_partition, ..
                } => *default_partition,
                Op::Alter {
                    action: Alter::AttachPartition { default, .. },
                    ..
                } => *default,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(defaults, [true, false, true, false]);
    }

    #[test]
    fn policies_rules_cluster_refresh_and_tablespaces() {
        let got = ops(
            "CREATE POLICY p ON app.Accounts USING (true); ALTER POLICY p ON t RENAME TO q; \
             DROP POLICY IF EXISTS q ON t; CREATE OR REPLACE RULE r AS ON INSERT TO t DO ALSO NOTIFY t; \
             CREATE RULE r2 AS ON DELETE TO t DO INSTEAD (DELETE FROM u WHERE id = old.id; NOTIFY t); \
             DROP RULE r ON t CASCADE; CLUSTER t USING t_pkey; CLUSTER (VERBOSE) s.t; \
             CLUSTER VERBOSE t; CLUSTER t_pkey ON t; CLUSTER; CLUSTER VERBOSE; \
             REFRESH MATERIALIZED VIEW mv; REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv WITH DATA; \
             REFRESH MATERIALIZED VIEW mv WITH NO DATA; ALTER TABLE t SET TABLESPACE fast NOWAIT",
            Dialect::Postgres,
        );
        let shown: Vec<(String, Option<&str>)> =
            got.iter().map(|op| (op.to_string(), op.table())).collect();
        let expected = [
            ("CREATE POLICY on accounts", "accounts"),
            ("ALTER POLICY on t", "t"),
            ("DROP POLICY on t", "t"),
            ("CREATE RULE on t", "t"),
            ("CREATE RULE on t", "t"),
            ("DROP RULE on t", "t"),
            ("CLUSTER t", "t"),
            ("CLUSTER t", "t"),
            ("CLUSTER t", "t"),
            ("CLUSTER t", "t"),
            ("REFRESH MATERIALIZED VIEW mv", "mv"),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "mv"),
            ("REFRESH MATERIALIZED VIEW mv WITH NO DATA", "mv"),
            ("SET TABLESPACE", "t"),
        ];
        let expected: Vec<(String, Option<&str>)> = expected
            .iter()
            .map(|(op, table)| ((*op).to_owned(), Some(*table)))
            .collect();
        assert_eq!(shown, expected);
        // MySQL has no CLUSTER: nothing to lock.
        assert!(ops("OPTIMIZE TABLE t", Dialect::MySql).is_empty());
    }

    #[test]
    fn locking_statements() {
        assert_eq!(
            ops(
                "SET lock_timeout = '2s'; SET LOCAL lock_timeout = 0; LOCK TABLE a IN SHARE MODE; TRUNCATE b",
                Dialect::Postgres
            ),
            vec![
                Op::SetLockTimeout {
                    off: false,
                    local: false
                },
                Op::SetLockTimeout {
                    off: true,
                    local: true
                },
                Op::LockTable {
                    table: "a".to_owned(),
                    mode: LockMode::Share
                },
                Op::Truncate {
                    table: "b".to_owned(),
                    cascade: false,
                    cascade_to: Vec::new(),
                },
            ]
        );
    }
}
