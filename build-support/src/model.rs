//! What a statement does to the schema, in the terms the checker reasons in.

use std::fmt;

/// The kinds of schema objects the model tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Schema,
    Table,
    Column,
    Index,
    Constraint,
    View,
    Sequence,
    Type,
    Function,
    Trigger,
    Extension,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Index => "index",
            ObjectKind::Constraint => "constraint",
            ObjectKind::View => "view",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Type => "type",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Extension => "extension",
        }
    }
}

/// A schema object by its normalised name: unquoted identifiers lower-cased, the schema
/// qualifier dropped. Columns and constraints belong to a table (`parent`); every other kind
/// has no parent (an index or trigger remembers its table in [`Effect::Create::on`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub kind: ObjectKind,
    pub name: String,
    pub parent: Option<String>,
}

impl ObjectId {
    pub fn new(kind: ObjectKind, name: impl Into<String>) -> Self {
        ObjectId {
            kind,
            name: name.into(),
            parent: None,
        }
    }

    pub fn table(name: impl Into<String>) -> Self {
        ObjectId::new(ObjectKind::Table, name)
    }

    pub fn column(table: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectId {
            kind: ObjectKind::Column,
            name: name.into(),
            parent: Some(table.into()),
        }
    }

    pub fn constraint(table: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectId {
            kind: ObjectKind::Constraint,
            name: name.into(),
            parent: Some(table.into()),
        }
    }
}

impl fmt::Display for ObjectId {
    /// `table users`, `column users.email`, `constraint users.users_pkey`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.parent {
            Some(p) => write!(f, "{} {p}.{}", self.kind.as_str(), self.name),
            None => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// One effect of a statement on the schema. A statement has a list of them, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The statement creates `object`. For an index or a trigger `on` is its table; for a
    /// foreign key constraint `references` is the table it points at.
    Create {
        object: ObjectId,
        if_not_exists: bool,
        or_replace: bool,
        on: Option<String>,
        references: Option<String>,
        /// For an index or constraint: the columns it is on, where known (dropping one of them
        /// drops it).
        columns: Vec<String>,
        /// For a column: what its definition says of NULL and defaults, where that is sure.
        shape: Option<ColumnShape>,
    },
    /// The statement drops `object` (and, for a table, everything that belongs to it).
    Drop {
        object: ObjectId,
        if_exists: bool,
        cascade: bool,
    },
    /// The statement renames `from` to `to` (same kind; for a column, same table).
    Rename { from: ObjectId, to: ObjectId },
    /// The statement needs `object` to exist: `ALTER TABLE t …`, `INSERT INTO t`, the target
    /// of a foreign key, a column named in an index, a user-defined type of a column.
    Use { object: ObjectId },
    /// The statement changes `object` in a way the model does not follow (its columns may
    /// differ afterwards): rules stay quiet about it from here on.
    Uncertain { object: ObjectId },
    /// The statement may do anything (a `DO` block, a procedure call): every rule that
    /// reasons about what exists stays quiet for the rest of the replay.
    Opaque,
}

/// What a column definition says for sure about the values of its rows: whether it allows NULL,
/// whether it has a default, and its type as the server names it (see
/// [`crate::effects::column_type`]). Each `None` where not sure: the nullability and default of
/// columns that fill themselves (serial, identity, generated, auto-increment) and of definitions
/// whose meaning depends on the server's settings; a type the model cannot name for sure. The
/// whole shape is `None` (in [`Effect::Create::shape`]) for a column not declared by a column
/// definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnShape {
    pub nullable: Option<bool>,
    pub has_default: Option<bool>,
    /// The default, reduced for comparison (see `effects::default_text`), when it has one.
    pub default: Option<String>,
    pub data_type: Option<String>,
}
