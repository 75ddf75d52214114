//! [`Snapshot::to_sql`], the SQL-ish text `cargo migrate dump` prints, and [`normalize_sql`],
//! which every backend applies to the definitions it reads.

use std::fmt::Write;

use super::{Column, Snapshot, Type};

impl Snapshot {
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

/// `(a, b)`: a list as the SQL text shows it.
pub(super) fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}
