//! Schema snapshots: what a database holds, read from the server's own catalogs by each
//! backend and normalised here so that two databases with the same schema compare equal however
//! they got there (creation order, column positions, order-dependent generated names), while any
//! real difference shows.
//!
//! [`diff`] compares two snapshots object by object and says what changed in words a reader can
//! act on; [`Snapshot::to_sql`] and the serde form are what `cargo migrate dump` prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write};
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

/// One thing that differs between the snapshot before an up and the one after its down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What it is about, as `index users_email_idx` or `column orders.total`.
    pub object: String,
    /// The bare name of the object (`users_email_idx`, `total`), to find it in a script.
    pub name: String,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// There after the down, not before the up: the down does not drop it.
    Left,
    /// There before the up, gone after the down: the down drops too much, or does not restore
    /// what the up dropped.
    Missing,
    /// There in both, but different.
    Changed {
        attribute: String,
        before: Option<String>,
        after: Option<String>,
        #[serde(skip)]
        phrasing: Phrasing,
    },
}

/// How an attribute reads in a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phrasing {
    /// `has type numeric(10,2) after down, integer before`.
    #[default]
    Value,
    /// `is nullable after down, not null before`: the two values are the phrases.
    State,
    /// Long text: `has a different definition after down` (the values are shown when short).
    Body,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let object = &self.object;
        match &self.change {
            Change::Left => write!(f, "{object} is left after down"),
            Change::Missing => write!(f, "{object} is missing after down"),
            Change::Changed {
                attribute,
                before,
                after,
                phrasing,
            } => {
                let short = |v: &Option<String>| {
                    v.as_ref()
                        .is_none_or(|v| v.chars().count() <= 80 && !v.contains('\n'))
                };
                match phrasing {
                    Phrasing::State => write!(
                        f,
                        "{object} is {} after down, {} before",
                        after.as_deref().unwrap_or("none"),
                        before.as_deref().unwrap_or("none")
                    ),
                    Phrasing::Body if !(short(before) && short(after)) => {
                        write!(f, "{object} has a different {attribute} after down")
                    }
                    _ => match (before, after) {
                        (Some(b), Some(a)) => {
                            write!(f, "{object} has {attribute} {a} after down, {b} before")
                        }
                        (Some(b), None) => {
                            write!(
                                f,
                                "{object} has no {attribute} after down, {attribute} {b} before"
                            )
                        }
                        (None, Some(a)) => {
                            write!(
                                f,
                                "{object} has {attribute} {a} after down, no {attribute} before"
                            )
                        }
                        (None, None) => {
                            write!(f, "{object} has a different {attribute} after down")
                        }
                    },
                }
            }
        }
    }
}

/// Everything that differs between `before` and `after`, one entry per object and attribute,
/// in a stable order. An object inside a missing or left-over table is not listed again.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Difference> {
    if before == after {
        return Vec::new();
    }
    // Only what differs is flattened: the rest is equal by construction.
    let (before, after) = (before.objects(after), after.objects(before));
    let keys: BTreeSet<&Key> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let parent_in = |m: &BTreeMap<Key, Object>| {
            key.len() < 2 || m.contains_key(&key[..key.len() - 1].to_vec())
        };
        match (before.get(key), after.get(key)) {
            (Some(b), None) if parent_in(&after) => out.push(Difference {
                object: b.label.clone(),
                name: b.name.clone(),
                change: Change::Missing,
            }),
            (None, Some(a)) if parent_in(&before) => out.push(Difference {
                object: a.label.clone(),
                name: a.name.clone(),
                change: Change::Left,
            }),
            (Some(b), Some(a)) => out.extend(compare(b, a)),
            _ => {}
        }
    }
    out
}

/// The path of an object: (kind rank, name) for each level, so that a table's columns sort
/// under it and every kind comes in a fixed order.
type Key = Vec<(u8, String)>;

/// One object of a snapshot, flattened for comparison.
struct Object {
    label: String,
    name: String,
    attrs: Vec<Attr>,
}

struct Attr {
    name: String,
    value: Option<String>,
    phrasing: Phrasing,
    /// Compared only when every other attribute is equal (a summary of the others).
    secondary: bool,
}

impl Attr {
    fn value(name: &str, value: impl Into<Option<String>>) -> Attr {
        Attr {
            name: name.to_owned(),
            value: value.into(),
            phrasing: Phrasing::Value,
            secondary: false,
        }
    }

    fn state(name: &str, on: bool, yes: &str, no: &str) -> Attr {
        Attr {
            name: name.to_owned(),
            value: Some(if on { yes } else { no }.to_owned()),
            phrasing: Phrasing::State,
            secondary: false,
        }
    }

    fn body(name: &str, value: impl Into<Option<String>>) -> Attr {
        Attr {
            phrasing: Phrasing::Body,
            ..Attr::value(name, value)
        }
    }

    fn secondary(self) -> Attr {
        Attr {
            secondary: true,
            ..self
        }
    }
}

fn compare(before: &Object, after: &Object) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut secondary = Vec::new();
    for b in &before.attrs {
        let a = after.attrs.iter().find(|a| a.name == b.name);
        let a_value = a.and_then(|a| a.value.clone());
        if a_value == b.value {
            continue;
        }
        let d = Difference {
            object: after.label.clone(),
            name: after.name.clone(),
            change: Change::Changed {
                attribute: b.name.clone(),
                before: b.value.clone(),
                after: a_value,
                phrasing: b.phrasing,
            },
        };
        if b.secondary {
            secondary.push(d);
        } else {
            out.push(d);
        }
    }
    if out.is_empty() {
        out = secondary;
    }
    out
}

fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}

impl Snapshot {
    pub fn new(database: &str) -> Snapshot {
        Snapshot {
            database: database.to_owned(),
            ..Snapshot::default()
        }
    }

    /// Every object that is not the same in `other`, flattened and keyed for [`diff`] (a table
    /// that differs comes with all its columns and constraints).
    fn objects(&self, other: &Snapshot) -> BTreeMap<Key, Object> {
        let mut out = BTreeMap::new();
        let mut add = |key: Key, label: String, name: &str, attrs: Vec<Attr>| {
            out.insert(
                key,
                Object {
                    label,
                    name: name.to_owned(),
                    attrs,
                },
            );
        };
        let k = |rank: u8, name: &str| vec![(rank, name.to_owned())];
        for name in self.schemas.difference(&other.schemas) {
            add(k(0, name), format!("schema {name}"), name, vec![]);
        }
        for (name, e) in &self.extensions {
            if other.extensions.get(name) == Some(e) {
                continue;
            }
            add(
                k(1, name),
                format!("extension {name}"),
                name,
                vec![
                    Attr::value("version", e.version.clone()),
                    Attr::value("schema", e.schema.clone()),
                ],
            );
        }
        for (name, t) in &self.types {
            if other.types.get(name) == Some(t) {
                continue;
            }
            let (kind, attrs) = match t {
                Type::Enum { values } => (
                    "enum type",
                    vec![Attr::value(
                        "values",
                        list(&values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>()),
                    )],
                ),
                Type::Domain {
                    base,
                    not_null,
                    default,
                    checks,
                } => (
                    "domain",
                    vec![
                        Attr::value("base type", base.clone()),
                        Attr::state("nullability", *not_null, "not null", "nullable"),
                        Attr::value("default", default.clone()),
                        Attr::body(
                            "checks",
                            checks
                                .iter()
                                .map(|(n, d)| format!("{n} {d}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                ),
                Type::Composite { attributes } => (
                    "composite type",
                    vec![Attr::body("attributes", list(attributes))],
                ),
                Type::Range { subtype } => {
                    ("range type", vec![Attr::value("subtype", subtype.clone())])
                }
            };
            add(k(2, name), format!("{kind} {name}"), name, attrs);
        }
        for (name, s) in &self.sequences {
            if other.sequences.get(name) == Some(s) {
                continue;
            }
            add(
                k(3, name),
                format!("sequence {name}"),
                name,
                vec![
                    Attr::value("type", s.data_type.clone()),
                    Attr::value("start", s.start.clone()),
                    Attr::value("increment", s.increment.clone()),
                    Attr::value("minimum", s.min.clone()),
                    Attr::value("maximum", s.max.clone()),
                    Attr::value("cache", s.cache.clone()),
                    Attr::state("cycling", s.cycle, "cycling", "not cycling"),
                    Attr::value("owner", s.owned_by.clone()),
                ],
            );
        }
        for (name, t) in &self.tables {
            if other.tables.get(name) == Some(t) {
                continue;
            }
            let kind = t.properties.get("kind").map_or("table", String::as_str);
            let attrs = t
                .properties
                .iter()
                .filter(|(p, _)| p.as_str() != "kind")
                .map(|(p, v)| Attr::value(p, v.clone()))
                .collect();
            add(k(4, name), format!("{kind} {name}"), name, attrs);
            for (column, c) in &t.columns {
                let mut key = k(4, name);
                key.push((0, column.clone()));
                add(
                    key,
                    format!("column {name}.{column}"),
                    column,
                    vec![
                        Attr::value("type", c.data_type.clone()),
                        Attr::state("nullability", c.nullable, "nullable", "not null"),
                        Attr::value("default", c.default.clone()),
                        Attr::value("identity", c.identity.clone()),
                        Attr::value("generation expression", c.generated.clone()),
                        Attr::value("collation", c.collation.clone()),
                        Attr::value("attributes", c.extra.clone()),
                    ],
                );
            }
            for (key_name, c) in &t.constraints {
                let mut key = k(4, name);
                key.push((1, key_name.clone()));
                let shown = match &c.name {
                    Some(n) => n.clone(),
                    None if key_name.contains(' ') => strip_keyword(&c.definition),
                    None => key_name.clone(),
                };
                add(
                    key,
                    format!("{} {shown} on {name}", c.kind.as_str()),
                    c.name.as_deref().unwrap_or(key_name),
                    vec![
                        Attr::value("kind", c.kind.as_str().to_owned()),
                        Attr::body("definition", c.definition.clone()),
                    ],
                );
            }
        }
        for (name, i) in &self.indexes {
            if other.indexes.get(name) == Some(i) {
                continue;
            }
            add(
                k(5, name),
                format!("index {name}"),
                name,
                vec![
                    Attr::value("table", i.table.clone()),
                    Attr::state("uniqueness", i.unique, "unique", "not unique"),
                    Attr::value("method", i.method.clone()),
                    Attr::value("columns", list(&i.columns)),
                    Attr::value("predicate", i.predicate.clone()),
                    Attr::body("definition", i.definition.clone()).secondary(),
                ],
            );
        }
        for (name, v) in &self.views {
            if other.views.get(name) == Some(v) {
                continue;
            }
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            add(
                k(6, name),
                format!("{kind} {name}"),
                name,
                vec![
                    Attr::state("kind", v.materialized, "materialized", "not materialized"),
                    Attr::body("definition", v.definition.clone()),
                ],
            );
        }
        for (name, f) in &self.functions {
            if other.functions.get(name) == Some(f) {
                continue;
            }
            add(
                k(7, name),
                format!("{} {name}", f.kind),
                name.split('(').next().unwrap_or(name),
                vec![
                    Attr::value("return type", f.returns.clone()),
                    Attr::value("language", f.language.clone()),
                    Attr::body("definition", f.definition.clone()),
                ],
            );
        }
        for (key_name, t) in &self.triggers {
            if other.triggers.get(key_name) == Some(t) {
                continue;
            }
            add(
                k(8, key_name),
                format!("trigger {} on {}", t.name, t.table),
                &t.name,
                vec![Attr::body("definition", t.definition.clone())],
            );
        }
        out
    }

    /// A SQL-ish rendering for review and for diffing two environments with `diff`: every
    /// object in the normalised order (by kind, then by name; columns by name), so equal schemas
    /// print the same text. It is not meant to be run: the order is not dependency order.
    pub fn to_sql(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "-- cargo migrate dump: the normalised {} schema (objects by kind, then by name;\n-- columns by name). For review and diffing, not for running.",
            self.database
        );
        let section = |out: &mut String, title: &str| {
            let _ = writeln!(out, "\n-- {title}");
        };
        if !self.schemas.is_empty() {
            section(&mut out, "schemas");
            for s in &self.schemas {
                let _ = writeln!(out, "CREATE SCHEMA {s};");
            }
        }
        if !self.extensions.is_empty() {
            section(&mut out, "extensions");
            for (name, e) in &self.extensions {
                let _ = writeln!(
                    out,
                    "CREATE EXTENSION {name} WITH SCHEMA {} VERSION '{}';",
                    e.schema, e.version
                );
            }
        }
        if !self.types.is_empty() {
            section(&mut out, "types");
            for (name, t) in &self.types {
                let _ = match t {
                    Type::Enum { values } => writeln!(
                        out,
                        "CREATE TYPE {name} AS ENUM ({});",
                        values
                            .iter()
                            .map(|v| format!("'{}'", v.replace('\'', "''")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Type::Domain {
                        base,
                        not_null,
                        default,
                        checks,
                    } => {
                        let mut line = format!("CREATE DOMAIN {name} AS {base}");
                        if let Some(d) = default {
                            let _ = write!(line, " DEFAULT {d}");
                        }
                        if *not_null {
                            line.push_str(" NOT NULL");
                        }
                        for (n, d) in checks {
                            let _ = write!(line, " CONSTRAINT {n} {d}");
                        }
                        writeln!(out, "{line};")
                    }
                    Type::Composite { attributes } => {
                        writeln!(out, "CREATE TYPE {name} AS {};", list(attributes))
                    }
                    Type::Range { subtype } => {
                        writeln!(out, "CREATE TYPE {name} AS RANGE (SUBTYPE = {subtype});")
                    }
                };
            }
        }
        if !self.sequences.is_empty() {
            section(&mut out, "sequences");
            for (name, s) in &self.sequences {
                let _ = writeln!(
                    out,
                    "CREATE SEQUENCE {name} AS {} START {} INCREMENT {} MINVALUE {} MAXVALUE {} CACHE {}{}{};",
                    s.data_type,
                    s.start,
                    s.increment,
                    s.min,
                    s.max,
                    s.cache,
                    if s.cycle { " CYCLE" } else { "" },
                    s.owned_by
                        .as_ref()
                        .map(|o| format!(" OWNED BY {o}"))
                        .unwrap_or_default()
                );
            }
        }
        section(&mut out, "tables");
        if self.tables.is_empty() {
            let _ = writeln!(out, "-- (none)");
        }
        for (name, t) in &self.tables {
            let kind = t.properties.get("kind").map_or("", |k| match k.as_str() {
                "foreign table" => "FOREIGN ",
                _ => "",
            });
            let _ = writeln!(out, "CREATE {kind}TABLE {name} (");
            let mut lines: Vec<String> = t
                .columns
                .iter()
                .map(|(c, col)| format!("    {c} {}", column_sql(col)))
                .collect();
            for (key, c) in &t.constraints {
                lines.push(match &c.name {
                    Some(n) => format!("    CONSTRAINT {n} {}", c.definition),
                    None if key.contains(' ') => format!("    {}", c.definition),
                    None => format!("    CONSTRAINT {key} {}", c.definition),
                });
            }
            let _ = writeln!(out, "{}", lines.join(",\n"));
            let props: Vec<String> = t
                .properties
                .iter()
                .filter(|(p, _)| p.as_str() != "kind")
                .map(|(p, v)| format!("{p} {v}"))
                .collect();
            if props.is_empty() {
                let _ = writeln!(out, ");");
            } else {
                let _ = writeln!(out, ") -- {};", props.join(", "));
            }
        }
        if !self.indexes.is_empty() {
            section(&mut out, "indexes");
            for (name, i) in &self.indexes {
                match &i.definition {
                    Some(d) => {
                        let _ = writeln!(out, "{d};");
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "CREATE {}INDEX {name} ON {} {}{}{};",
                            if i.unique { "UNIQUE " } else { "" },
                            i.table,
                            if i.method.is_empty() || i.method == "btree" {
                                String::new()
                            } else {
                                format!("USING {} ", i.method)
                            },
                            list(&i.columns),
                            i.predicate
                                .as_ref()
                                .map(|p| format!(" WHERE {p}"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
        }
        if !self.views.is_empty() {
            section(&mut out, "views");
            for (name, v) in &self.views {
                let kind = if v.materialized {
                    "MATERIALIZED VIEW"
                } else {
                    "VIEW"
                };
                let def = v.definition.trim().trim_end_matches(';');
                if def.to_ascii_uppercase().starts_with("CREATE ") {
                    let _ = writeln!(out, "{def};");
                } else {
                    let _ = writeln!(out, "CREATE {kind} {name} AS\n{def};");
                }
            }
        }
        if !self.functions.is_empty() {
            section(&mut out, "functions");
            for (name, f) in &self.functions {
                let def = f.definition.trim().trim_end_matches(';');
                if def.to_ascii_uppercase().starts_with("CREATE ") {
                    let _ = writeln!(out, "{def};");
                } else {
                    let _ = writeln!(
                        out,
                        "-- {} {name}{}\n{def};",
                        f.kind,
                        f.returns
                            .as_ref()
                            .map(|r| format!(" returns {r}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        if !self.triggers.is_empty() {
            section(&mut out, "triggers");
            for t in self.triggers.values() {
                let _ = writeln!(out, "{};", t.definition.trim().trim_end_matches(';'));
            }
        }
        out
    }
}

fn column_sql(c: &Column) -> String {
    let mut s = c.data_type.clone();
    if let Some(coll) = &c.collation {
        let _ = write!(s, " COLLATE {coll}");
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        let _ = write!(s, " DEFAULT {d}");
    }
    if let Some(i) = &c.identity {
        if i == "auto_increment" {
            s.push_str(" AUTO_INCREMENT");
        } else {
            let _ = write!(s, " GENERATED {} AS IDENTITY", i.to_ascii_uppercase());
        }
    }
    if let Some(g) = &c.generated {
        let _ = write!(s, " GENERATED ALWAYS AS {g}");
    }
    if let Some(e) = &c.extra {
        let _ = write!(s, " {}", e.to_ascii_uppercase());
    }
    s
}

/// `FOREIGN KEY (a) REFERENCES t (id)` → `(a) REFERENCES t (id)`, for a label that already
/// says `foreign key`.
fn strip_keyword(definition: &str) -> String {
    const KEYWORDS: &[&str] = &["PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK", "EXCLUDE"];
    let upper = definition.to_ascii_uppercase();
    KEYWORDS
        .iter()
        .find(|k| upper.starts_with(*k))
        .map_or(definition, |k| definition[k.len()..].trim_start())
        .to_owned()
}

/// Collapses runs of whitespace outside quotes to one space and trims, so that definitions
/// that differ only in layout compare equal. Comments are kept (they are part of the text).
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in sql.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = true,
            None => {
                if pending_space {
                    // No space inside parentheses or before a comma: `( a , b )` is `(a, b)`.
                    if !out.ends_with('(') && c != ')' && c != ',' {
                        out.push(' ');
                    }
                    pending_space = false;
                }
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Snapshot {
        let mut s = Snapshot::new("postgres");
        let mut t = Table::default();
        t.columns.insert(
            "id".into(),
            Column {
                data_type: "bigint".into(),
                nullable: false,
                ..Column::default()
            },
        );
        t.columns.insert(
            "email".into(),
            Column {
                data_type: "text".into(),
                nullable: true,
                ..Column::default()
            },
        );
        t.constraints.insert(
            "users_pkey".into(),
            Constraint {
                kind: ConstraintKind::PrimaryKey,
                name: None,
                definition: "PRIMARY KEY (id)".into(),
            },
        );
        s.tables.insert("users".into(), Arc::new(t));
        s
    }

    fn users_table(s: &mut Snapshot) -> &mut Table {
        Arc::make_mut(s.tables.get_mut("users").unwrap())
    }

    fn messages(before: &Snapshot, after: &Snapshot) -> Vec<String> {
        diff(before, after)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn equal_snapshots_have_no_differences() {
        assert!(diff(&users(), &users()).is_empty());
    }

    #[test]
    fn left_over_and_missing_objects_are_named() {
        let before = users();
        let mut after = users();
        after.indexes.insert(
            "users_email_idx".into(),
            Arc::new(Index {
                table: "users".into(),
                method: "btree".into(),
                columns: vec!["email".into()],
                ..Index::default()
            }),
        );
        users_table(&mut after).columns.remove("email");
        assert_eq!(
            messages(&before, &after),
            [
                "column users.email is missing after down",
                "index users_email_idx is left after down"
            ]
        );
    }

    #[test]
    fn a_missing_table_is_one_difference_not_one_per_column() {
        let mut after = users();
        after.tables.clear();
        assert_eq!(
            messages(&users(), &after),
            ["table users is missing after down"]
        );
        assert_eq!(
            messages(&after, &users()),
            ["table users is left after down"]
        );
    }

    #[test]
    fn changed_attributes_say_before_and_after() {
        let mut before = users();
        let mut after = users();
        users_table(&mut before)
            .columns
            .get_mut("email")
            .unwrap()
            .data_type = "integer".into();
        let email = users_table(&mut after).columns.get_mut("email").unwrap();
        email.data_type = "numeric(10,2)".into();
        email.nullable = false;
        email.default = Some("0".into());
        assert_eq!(
            messages(&before, &after),
            [
                "column users.email has type numeric(10,2) after down, integer before",
                "column users.email is not null after down, nullable before",
                "column users.email has default 0 after down, no default before",
            ]
        );
    }

    #[test]
    fn an_index_definition_is_reported_only_when_nothing_more_precise_differs() {
        let index = |columns: &[&str], def: &str| {
            Arc::new(Index {
                table: "users".into(),
                method: "btree".into(),
                columns: columns.iter().map(|c| c.to_string()).collect(),
                definition: Some(def.into()),
                ..Index::default()
            })
        };
        let mut before = users();
        let mut after = users();
        before.indexes.insert(
            "i".into(),
            index(&["email"], "CREATE INDEX i ON users (email)"),
        );
        after.indexes.insert(
            "i".into(),
            index(&["email", "id"], "CREATE INDEX i ON users (email, id)"),
        );
        assert_eq!(
            messages(&before, &after),
            ["index i has columns (email, id) after down, (email) before"]
        );
        after.indexes.insert(
            "i".into(),
            index(&["email"], "CREATE INDEX i ON users (email DESC)"),
        );
        assert_eq!(
            messages(&before, &after),
            [
                "index i has definition CREATE INDEX i ON users (email DESC) after down, CREATE INDEX i ON users (email) before"
            ]
        );
    }

    #[test]
    fn whitespace_is_normalised_outside_quotes() {
        assert_eq!(
            normalize_sql("CREATE  VIEW v AS\n  SELECT ( a ,  b ) FROM t WHERE x = 'a  b'\n"),
            "CREATE VIEW v AS SELECT (a, b) FROM t WHERE x = 'a  b'"
        );
    }

    #[test]
    fn sql_rendering_is_stable() {
        let sql = users().to_sql();
        assert!(
            sql.contains(
                "CREATE TABLE users (\n    email text,\n    id bigint NOT NULL,\n    CONSTRAINT users_pkey PRIMARY KEY (id)\n);"
            ),
            "{sql}"
        );
    }
}
