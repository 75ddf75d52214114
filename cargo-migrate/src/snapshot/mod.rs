//! Schema snapshots: what a database holds, read from the server's own catalogs by each
//! backend and normalised here so that two databases with the same schema compare equal however
//! they got there (creation order, column positions, order-dependent generated names), while any
//! real difference shows.
//!
//! [`diff`] compares two snapshots object by object and says what changed in words a reader can
//! act on; [`Snapshot::to_sql`] and the serde form are what `cargo migrate dump` prints.
//!
//! `mod.rs` is the model, `diff.rs` the comparison, `sql.rs` the rendering.
mod diff;
mod sql;
#[cfg(test)]
mod tests;

// `Change` is read only by the command line's rendering of verify's report.
#[cfg_attr(not(feature = "cli"), allow(unused_imports))]
pub use diff::{Change, Difference, diff};
#[cfg(any(feature = "mysql", feature = "sqlite"))]
pub use sql::normalize_sql;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// The schema of one database, without the tracking table.
///
/// Every collection is keyed by the name the user sees (qualified with its schema when it is not
/// the connection's default schema), so equal schemas are equal values. Objects whose names the
/// server makes up in creation order (MySQL's `t_ibfk_1`, SQLite's unnamed constraints) are keyed
/// by their definition instead.
///
/// Tables and indexes are shared (`Arc`): a snapshot kept up to date between migrations is
/// cloned and compared often, and most of it does not change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// `postgres`, `mysql` or `sqlite`.
    pub database: String,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub schemas: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Extension>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, Type>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, Sequence>,
    #[serde(serialize_with = "shared")]
    pub tables: BTreeMap<String, Arc<Table>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", serialize_with = "shared")]
    pub indexes: BTreeMap<String, Arc<Index>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<String, View>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, Function>,
    /// Keyed by `table.trigger` (PostgreSQL trigger names are per table).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, Trigger>,
}

fn shared<S: Serializer, T: Serialize>(
    map: &BTreeMap<String, Arc<T>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(k, v)| (k, v.as_ref())))
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub version: String,
    pub schema: String,
}

/// A user-defined type (PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    /// Values in their sort order.
    Enum {
        values: Vec<String>,
    },
    Domain {
        base: String,
        not_null: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        /// Constraint name → definition.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        checks: BTreeMap<String, String>,
    },
    /// `name type` in declared order (it matters for a composite type).
    Composite {
        attributes: Vec<String>,
    },
    Range {
        subtype: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub data_type: String,
    pub start: String,
    pub increment: String,
    pub min: String,
    pub max: String,
    pub cache: String,
    pub cycle: bool,
    /// `table.column` for a sequence owned by a column (`serial`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Backend-specific properties: `kind` (partitioned, foreign), `engine`, `collation`,
    /// `unlogged`, `partition key`, `partition of`, `options` (SQLite `STRICT`, `WITHOUT ROWID`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Keyed by name, never by position: a column dropped and added again at the end is the
    /// same column.
    pub columns: BTreeMap<String, Column>,
    /// Keyed by name, or by definition where the name is made up by the server in creation order.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub constraints: BTreeMap<String, Constraint>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Column {
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `always` or `by default` (PostgreSQL identity), `auto_increment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The expression of a generated column, with `stored` or `virtual`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Anything else the server says about the column (MySQL `on update current_timestamp()`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

impl ConstraintKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::Exclusion => "exclusion constraint",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Constraint {
    pub kind: ConstraintKind,
    /// The name when the constraint is keyed by its definition and has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SQL, as in `PRIMARY KEY (id)` or `FOREIGN KEY (user_id) REFERENCES users (id)`.
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Index {
    pub table: String,
    pub unique: bool,
    pub method: String,
    /// Key columns or expressions, in index order.
    pub columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// The server's full definition, where it gives one; compared last, so that a difference
    /// in columns is not reported twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct View {
    pub materialized: bool,
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Function {
    /// `function`, `procedure`, `aggregate`, `window`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub definition: String,
}

impl Snapshot {
    pub fn new(database: &str) -> Snapshot {
        Snapshot {
            database: database.to_owned(),
            ..Snapshot::default()
        }
    }
}
