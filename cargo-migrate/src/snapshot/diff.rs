//! [`diff`]: what differs between two snapshots, one entry per object and attribute, in words.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::sql::list;
use super::{Snapshot, Type};

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

impl Snapshot {
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
