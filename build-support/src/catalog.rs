//! The in-memory schema that replaying migrations builds, with an undo journal so a down
//! script can be tried and taken back without copying the whole catalog.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::{Effect, ObjectId, ObjectKind};
use crate::sql::{Alter, Op};

/// What the catalog remembers of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The version of the migration that created it.
    pub created_by: i64,
    /// For an index or trigger: its table. For a foreign key: the table it references.
    pub on: Option<String>,
    pub references: Option<String>,
    /// For an index or constraint: the columns it is on, when the model knows them (dropping
    /// one of them drops it).
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct TableInfo {
    info: ObjectInfo,
    /// A statement changed it in a way the model does not follow.
    uncertain: bool,
    columns: BTreeMap<String, ObjectInfo>,
    constraints: BTreeMap<String, ObjectInfo>,
    /// The partitioned table it is a partition of (`CREATE TABLE … PARTITION OF`, `ATTACH
    /// PARTITION`), and whether it is that table's default partition.
    partition_of: Option<(String, bool)>,
}

enum Undo {
    Table(String, Option<TableInfo>),
    Object(ObjectId, Option<ObjectInfo>),
    Opaque(bool),
}

/// A fact the replay noticed while applying an effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The effect needs `object`, which does not exist at this point.
    Missing(ObjectId),
    /// Dropping `table` while `from` still references it through `constraint`.
    DropReferenced {
        table: String,
        from: String,
        constraint: String,
    },
}

#[derive(Default)]
pub struct Catalog {
    tables: HashMap<String, TableInfo>,
    /// Every object that is not a table, column or constraint.
    objects: HashMap<ObjectId, ObjectInfo>,
    /// Lookups that would otherwise scan every object or table on each drop and rename (which
    /// made a long history quadratic). Each is a superset: an entry is added whenever an object
    /// or constraint it indexes appears (undo included) and never removed, so a lookup checks
    /// its candidates against `objects` and `tables`.
    /// The objects whose `on` was ever the table.
    objects_on: HashMap<String, HashSet<ObjectId>>,
    /// The tables that ever had a constraint referencing the table.
    referencers: HashMap<String, HashSet<String>>,
    /// The tables that were ever a partition of the table.
    partitions: HashMap<String, HashSet<String>>,
    /// The names of the sequences that ever existed, in order, for the `<table>_…_seq` prefix.
    sequences: BTreeSet<String>,
    /// Something ran whose effects are unknown: absence proves nothing any more.
    opaque: bool,
    journal: Option<Vec<Undo>>,
}

impl Catalog {
    pub fn exists(&self, id: &ObjectId) -> bool {
        match id.kind {
            ObjectKind::Table => self.tables.contains_key(&id.name),
            ObjectKind::Column => self.table_part(id, |t| &t.columns).is_some(),
            ObjectKind::Constraint => self.table_part(id, |t| &t.constraints).is_some(),
            _ => self.objects.contains_key(id),
        }
    }

    pub fn get(&self, id: &ObjectId) -> Option<&ObjectInfo> {
        match id.kind {
            ObjectKind::Table => self.tables.get(&id.name).map(|t| &t.info),
            ObjectKind::Column => self.table_part(id, |t| &t.columns),
            ObjectKind::Constraint => self.table_part(id, |t| &t.constraints),
            _ => self.objects.get(id),
        }
    }

    fn table_part<'a>(
        &'a self,
        id: &ObjectId,
        part: impl Fn(&'a TableInfo) -> &'a BTreeMap<String, ObjectInfo>,
    ) -> Option<&'a ObjectInfo> {
        let table = self.tables.get(id.parent.as_deref()?)?;
        part(table).get(&id.name)
    }

    /// What goes away with `id`: a table's columns and constraints, and a table's or view's
    /// indexes and triggers.
    pub fn dependents(&self, id: &ObjectId) -> Vec<ObjectId> {
        if !matches!(id.kind, ObjectKind::Table | ObjectKind::View) {
            return Vec::new();
        }
        let mut out = self.objects_on(&id.name);
        if let Some(t) = self
            .tables
            .get(&id.name)
            .filter(|_| id.kind == ObjectKind::Table)
        {
            out.extend(
                t.columns
                    .keys()
                    .map(|c| ObjectId::column(id.name.clone(), c.clone())),
            );
            out.extend(
                t.constraints
                    .keys()
                    .map(|c| ObjectId::constraint(id.name.clone(), c.clone())),
            );
        }
        out
    }

    /// Whether the model can say nothing for sure about `id`. An index or trigger is uncertain
    /// with its table, and when its table is one no statement the model follows made (a
    /// partition made by a function, say): what goes away with that table, or is attached to
    /// another table's index, is unknown.
    pub fn is_uncertain(&self, id: &ObjectId) -> bool {
        if self.opaque {
            return true;
        }
        let table = match id.kind {
            ObjectKind::Table => Some(id.name.as_str()),
            ObjectKind::Column | ObjectKind::Constraint => id.parent.as_deref(),
            ObjectKind::Index | ObjectKind::Trigger => {
                let Some(on) = self.objects.get(id).and_then(|o| o.on.as_deref()) else {
                    return false;
                };
                let a_view = self
                    .objects
                    .contains_key(&ObjectId::new(ObjectKind::View, on));
                if !self.tables.contains_key(on) && !a_view {
                    return true;
                }
                Some(on)
            }
            _ => None,
        };
        table.is_some_and(|t| self.tables.get(t).is_some_and(|t| t.uncertain))
    }

    /// Starts recording changes so that [`Catalog::rollback`] can undo them.
    pub fn begin(&mut self) {
        self.journal = Some(Vec::new());
    }

    /// Undoes every change since [`Catalog::begin`].
    pub fn rollback(&mut self) {
        for undo in self.journal.take().unwrap_or_default().into_iter().rev() {
            match undo {
                Undo::Table(name, Some(t)) => {
                    self.index_table(&name, &t);
                    self.tables.insert(name, t);
                }
                Undo::Table(name, None) => {
                    self.tables.remove(&name);
                }
                Undo::Object(id, Some(o)) => {
                    self.put_object(id, o);
                }
                Undo::Object(id, None) => {
                    self.objects.remove(&id);
                }
                Undo::Opaque(was) => self.opaque = was,
            }
        }
    }

    fn save_table(&mut self, name: &str) {
        if let Some(journal) = &mut self.journal {
            journal.push(Undo::Table(name.to_owned(), self.tables.get(name).cloned()));
        }
    }

    fn save_object(&mut self, id: &ObjectId) {
        if let Some(journal) = &mut self.journal {
            journal.push(Undo::Object(id.clone(), self.objects.get(id).cloned()));
        }
    }

    /// Forgets that something opaque ran: called at the start of each migration, since a
    /// `DO` block's effects are unknown for its own migration, not for the rest of history.
    pub fn reset_opaque(&mut self) {
        self.opaque = false;
    }

    /// A schema that exists without any migration (PostgreSQL's `public`).
    pub fn preexisting(&mut self, id: ObjectId) {
        self.put_object(id, ObjectInfo::default());
    }

    /// Inserts an object, keeping the lookups.
    fn put_object(&mut self, id: ObjectId, info: ObjectInfo) {
        if let Some(on) = &info.on {
            self.objects_on
                .entry(on.clone())
                .or_default()
                .insert(id.clone());
        }
        if id.kind == ObjectKind::Sequence {
            self.sequences.insert(id.name.clone());
        }
        self.objects.insert(id, info);
    }

    /// Notes the tables `table`'s constraints reference, and the table it is a partition of.
    fn index_table(&mut self, name: &str, table: &TableInfo) {
        for c in table.constraints.values() {
            if let Some(r) = &c.references {
                self.referencers
                    .entry(r.clone())
                    .or_default()
                    .insert(name.to_owned());
            }
        }
        if let Some((parent, _)) = &table.partition_of {
            self.partitions
                .entry(parent.clone())
                .or_default()
                .insert(name.to_owned());
        }
    }

    /// The objects whose `on` is `table`, sorted (so that what follows from them does not
    /// depend on hashing).
    fn objects_on(&self, table: &str) -> Vec<ObjectId> {
        let mut out: Vec<ObjectId> = self
            .objects_on
            .get(table)
            .into_iter()
            .flatten()
            .filter(|id| {
                self.objects
                    .get(*id)
                    .is_some_and(|o| o.on.as_deref() == Some(table))
            })
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// The tables other than `table` that `table`'s constraints reference (its foreign keys),
    /// sorted.
    pub fn referenced_by(&self, table: &str) -> Vec<String> {
        self.referenced(table, None)
    }

    /// The tables other than `table` that the constraints on `table`'s column `column`
    /// reference (its foreign keys, which go with the column), sorted.
    pub fn referenced_through(&self, table: &str, column: &str) -> Vec<String> {
        self.referenced(table, Some(column))
    }

    /// The tables other than `table` its constraints reference, only those on `column` if
    /// one is given; sorted.
    fn referenced(&self, table: &str, column: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = self
            .tables
            .get(table)
            .into_iter()
            .flat_map(|t| t.constraints.values())
            .filter(|c| column.is_none_or(|column| c.columns.iter().any(|c| c == column)))
            .filter_map(|c| c.references.clone())
            .filter(|r| r != table)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The partitioned table `table` is a partition of, when the model knows it.
    pub fn partition_of(&self, table: &str) -> Option<String> {
        let (parent, _) = self.tables.get(table)?.partition_of.as_ref()?;
        self.tables.contains_key(parent).then(|| parent.clone())
    }

    /// The tables with a constraint that references `table` (it may be among them), sorted.
    pub fn referencing(&self, table: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .referencers
            .get(table)
            .into_iter()
            .flatten()
            .filter(|from| {
                self.tables.get(*from).is_some_and(|t| {
                    t.constraints
                        .values()
                        .any(|c| c.references.as_deref() == Some(table))
                })
            })
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// The default partition of the partitioned table `table`, when the model knows one.
    pub fn default_partition(&self, table: &str) -> Option<String> {
        let mut defaults: Vec<&String> = self
            .partitions
            .get(table)
            .into_iter()
            .flatten()
            .filter(|p| {
                self.tables.get(*p).is_some_and(|t| {
                    t.partition_of
                        .as_ref()
                        .is_some_and(|(parent, default)| parent == table && *default)
                })
            })
            .collect();
        defaults.sort();
        defaults.first().map(|p| (*p).clone())
    }

    /// Makes `table` a partition of `parent` (the default one when `default`), or, with `None`,
    /// no partition any more.
    fn set_partition(&mut self, table: &str, parent: Option<(String, bool)>) {
        if !self.tables.contains_key(table) {
            return;
        }
        self.save_table(table);
        if let Some((p, _)) = &parent {
            self.partitions
                .entry(p.clone())
                .or_default()
                .insert(table.to_owned());
        }
        if let Some(t) = self.tables.get_mut(table) {
            t.partition_of = parent;
        }
    }

    /// Applies what one statement's operations say that its effects do not: which table is a
    /// partition of which (`CREATE TABLE … PARTITION OF`, `ATTACH`/`DETACH PARTITION`).
    pub fn apply_ops(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::CreateTable {
                    table,
                    partition_of: Some(parent),
                    default_partition,
                    ..
                } => self.set_partition(table, Some((parent.clone(), *default_partition))),
                Op::Alter {
                    table: parent,
                    action:
                        Alter::AttachPartition {
                            partition, default, ..
                        },
                } => self.set_partition(partition, Some((parent.clone(), *default))),
                Op::Alter {
                    action: Alter::DetachPartition { partition, .. },
                    ..
                } => self.set_partition(partition, None),
                _ => {}
            }
        }
    }

    /// Applies every effect of one statement.
    pub fn apply_statement(&mut self, effects: &[Effect], version: i64, events: &mut Vec<Event>) {
        for effect in effects {
            self.apply(effect, version, events);
        }
    }

    /// Applies one effect of the migration `version`, noting what it found wrong.
    pub fn apply(&mut self, effect: &Effect, version: i64, events: &mut Vec<Event>) {
        match effect {
            Effect::Create {
                object,
                on,
                references,
                columns,
                ..
            } => {
                let info = ObjectInfo {
                    created_by: version,
                    on: on.clone(),
                    references: references.clone(),
                    columns: columns.clone(),
                };
                if let Some(table) = &object.parent {
                    self.need(&ObjectId::table(table.clone()), events);
                }
                if let Some(table) = on {
                    self.need(&ObjectId::table(table.clone()), events);
                }
                self.insert(object, info);
            }
            Effect::Drop {
                object,
                if_exists,
                cascade,
            } => {
                if !self.exists(object) {
                    if !if_exists {
                        self.need(object, events);
                    }
                    return;
                }
                if object.kind == ObjectKind::Table && !cascade {
                    self.note_references(&object.name, events);
                }
                self.remove(object);
            }
            Effect::Rename { from, to } => {
                if !self.exists(from) {
                    self.need(from, events);
                    return;
                }
                self.rename(from, to);
            }
            Effect::Use { object } => self.need(object, events),
            Effect::Uncertain { object } => {
                let table = match object.kind {
                    ObjectKind::Table => Some(object.name.clone()),
                    ObjectKind::Column | ObjectKind::Constraint => object.parent.clone(),
                    _ => None,
                };
                if let Some(t) = table.filter(|t| self.tables.contains_key(t)) {
                    self.save_table(&t);
                    if let Some(info) = self.tables.get_mut(&t) {
                        info.uncertain = true;
                    }
                }
            }
            Effect::Opaque => {
                if let Some(journal) = &mut self.journal {
                    journal.push(Undo::Opaque(self.opaque));
                }
                self.opaque = true;
            }
        }
    }

    fn need(&self, id: &ObjectId, events: &mut Vec<Event>) {
        if !self.exists(id) && !self.is_uncertain(id) {
            events.push(Event::Missing(id.clone()));
        }
    }

    fn note_references(&self, table: &str, events: &mut Vec<Event>) {
        for from in self.referencing(table) {
            if from == table {
                continue;
            }
            let Some(info) = self.tables.get(&from) else {
                continue;
            };
            for (name, c) in &info.constraints {
                if c.references.as_deref() == Some(table) {
                    events.push(Event::DropReferenced {
                        table: table.to_owned(),
                        from: from.clone(),
                        constraint: name.clone(),
                    });
                }
            }
        }
    }

    fn insert(&mut self, id: &ObjectId, info: ObjectInfo) {
        match id.kind {
            ObjectKind::Table => {
                if self.tables.contains_key(&id.name) {
                    return; // CREATE TABLE IF NOT EXISTS on an existing table
                }
                self.save_table(&id.name);
                self.tables.insert(
                    id.name.clone(),
                    TableInfo {
                        info,
                        ..TableInfo::default()
                    },
                );
            }
            ObjectKind::Column | ObjectKind::Constraint => {
                let Some(table) = id.parent.clone() else {
                    return;
                };
                if !self.tables.contains_key(&table) {
                    return;
                }
                self.save_table(&table);
                if let Some(r) = info
                    .references
                    .as_ref()
                    .filter(|_| id.kind == ObjectKind::Constraint)
                {
                    self.referencers
                        .entry(r.clone())
                        .or_default()
                        .insert(table.clone());
                }
                if let Some(t) = self.tables.get_mut(&table) {
                    let part = if id.kind == ObjectKind::Column {
                        &mut t.columns
                    } else {
                        &mut t.constraints
                    };
                    part.entry(id.name.clone()).or_insert(info);
                }
            }
            _ => {
                if self.objects.contains_key(id) {
                    return;
                }
                self.save_object(id);
                self.put_object(id.clone(), info);
            }
        }
    }

    fn remove(&mut self, id: &ObjectId) {
        match id.kind {
            ObjectKind::Table | ObjectKind::View => {
                if id.kind == ObjectKind::Table {
                    self.save_table(&id.name);
                    self.tables.remove(&id.name);
                } else {
                    self.save_object(id);
                    self.objects.remove(id);
                }
                // Its indexes and triggers go with it, and so do the sequences named after its
                // columns (`<table>_<column>_seq`, owned by the column as serial ones are).
                let owned_prefix = format!("{}_", id.name);
                let mut dependents = self.objects_on(&id.name);
                if id.kind == ObjectKind::Table {
                    let owned = self
                        .sequences
                        .range(owned_prefix.clone()..)
                        .take_while(|name| name.starts_with(&owned_prefix))
                        .filter(|name| name.ends_with("_seq"))
                        .map(|name| ObjectId::new(ObjectKind::Sequence, name.clone()))
                        .filter(|seq| self.objects.contains_key(seq));
                    dependents.extend(owned);
                }
                for dep in dependents {
                    self.save_object(&dep);
                    self.objects.remove(&dep);
                }
            }
            ObjectKind::Column | ObjectKind::Constraint => {
                let Some(table) = id.parent.clone() else {
                    return;
                };
                self.save_table(&table);
                if let Some(t) = self.tables.get_mut(&table) {
                    if id.kind == ObjectKind::Column {
                        t.columns.remove(&id.name);
                        // Constraints on the column go with it.
                        t.constraints.retain(|_, c| !c.columns.contains(&id.name));
                    } else {
                        t.constraints.remove(&id.name);
                    }
                }
                if id.kind == ObjectKind::Column {
                    // So do its indexes.
                    let dependents: Vec<ObjectId> = self
                        .objects_on(&table)
                        .into_iter()
                        .filter(|k| self.objects[k].columns.contains(&id.name))
                        .collect();
                    for dep in dependents {
                        self.save_object(&dep);
                        self.objects.remove(&dep);
                    }
                }
            }
            _ => {
                self.save_object(id);
                self.objects.remove(id);
            }
        }
    }

    fn rename(&mut self, from: &ObjectId, to: &ObjectId) {
        match from.kind {
            ObjectKind::Table => {
                let Some(t) = self.tables.get(&from.name).cloned() else {
                    return;
                };
                self.save_table(&from.name);
                self.save_table(&to.name);
                self.tables.remove(&from.name);
                self.index_table(&to.name, &t);
                self.tables.insert(to.name.clone(), t);
                for id in self.objects_on(&from.name) {
                    self.save_object(&id);
                    if let Some(mut o) = self.objects.remove(&id) {
                        o.on = Some(to.name.clone());
                        self.put_object(id, o);
                    }
                }
                // Its partitions are now the new name's.
                let partitions: Vec<String> = self
                    .partitions
                    .get(&from.name)
                    .into_iter()
                    .flatten()
                    .filter(|p| {
                        self.tables.get(*p).is_some_and(|t| {
                            t.partition_of
                                .as_ref()
                                .is_some_and(|(parent, _)| *parent == from.name)
                        })
                    })
                    .cloned()
                    .collect();
                for p in partitions {
                    let default = self.tables[&p].partition_of.as_ref().is_some_and(|d| d.1);
                    self.set_partition(&p, Some((to.name.clone(), default)));
                }
                // Foreign keys that pointed at the old name now point at the new one.
                let referencing = self.referencing(&from.name);
                for name in &referencing {
                    self.referencers
                        .entry(to.name.clone())
                        .or_default()
                        .insert(name.clone());
                }
                for name in referencing {
                    self.save_table(&name);
                    if let Some(t) = self.tables.get_mut(&name) {
                        for c in t.constraints.values_mut() {
                            if c.references.as_deref() == Some(from.name.as_str()) {
                                c.references = Some(to.name.clone());
                            }
                        }
                    }
                }
            }
            _ => {
                let Some(info) = self.get(from).cloned() else {
                    return;
                };
                self.remove(from);
                self.insert(to, info);
            }
        }
    }
}

impl Catalog {
    /// Fills in what an operation's statement does not name and the lock model needs, from the schema
    /// model as it stands just before the statement: the table a dropped foreign key
    /// references (also one dropped with its column), the other tables a dropped table
    /// locks, the tables a `TRUNCATE … CASCADE` reaches, the default partition an `ATTACH
    /// PARTITION` checks. What the model does not know stays empty.
    pub(crate) fn resolve(&self, op: &mut Op) {
        match op {
            Op::Alter {
                table,
                action:
                    Alter::DropConstraint {
                        name,
                        cascade,
                        references,
                    },
            } => {
                let referenced = self
                    .get(&ObjectId::constraint(table.clone(), name.clone()))
                    .and_then(|c| c.references.clone());
                *references = match referenced {
                    Some(referenced) => vec![referenced],
                    None if *cascade => {
                        let mut from = self.referencing(table);
                        from.retain(|t| t != table);
                        from
                    }
                    None => Vec::new(),
                };
            }
            Op::Alter {
                table,
                action:
                    Alter::AttachPartition {
                        default_partition, ..
                    },
            } => *default_partition = self.default_partition(table),
            Op::Alter {
                table,
                action: Alter::DropColumn { column, references },
            } => *references = self.referenced_through(table, column),
            Op::DropTable {
                table,
                cascade,
                others,
            } => {
                let mut tables = self.referenced_by(table);
                if *cascade {
                    tables.extend(self.referencing(table));
                }
                tables.extend(self.partition_of(table));
                tables.retain(|t| t != table);
                tables.sort();
                tables.dedup();
                *others = tables;
            }
            Op::Truncate {
                table,
                cascade: true,
                cascade_to,
            } => {
                // Recursively: the tables that reference those it reaches are emptied too.
                let mut reached: Vec<String> = Vec::new();
                let mut next = vec![table.clone()];
                while let Some(t) = next.pop() {
                    for from in self.referencing(&t) {
                        if from != *table && !reached.contains(&from) {
                            reached.push(from.clone());
                            next.push(from);
                        }
                    }
                }
                reached.sort();
                *cascade_to = reached;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(object: ObjectId) -> Effect {
        Effect::Create {
            object,
            if_not_exists: false,
            or_replace: false,
            on: None,
            references: None,
            columns: Vec::new(),
            shape: None,
        }
    }

    #[test]
    fn dropping_a_table_takes_its_parts_and_rollback_restores_them() {
        let mut c = Catalog::default();
        let mut ev = Vec::new();
        c.apply(&create(ObjectId::table("t")), 1, &mut ev);
        c.apply(&create(ObjectId::column("t", "a")), 1, &mut ev);
        c.apply(
            &Effect::Create {
                object: ObjectId::new(ObjectKind::Index, "t_a_idx"),
                if_not_exists: false,
                or_replace: false,
                on: Some("t".into()),
                references: None,
                columns: Vec::new(),
                shape: None,
            },
            1,
            &mut ev,
        );
        assert!(ev.is_empty(), "{ev:?}");
        c.begin();
        c.apply(
            &Effect::Drop {
                object: ObjectId::table("t"),
                if_exists: false,
                cascade: false,
            },
            2,
            &mut ev,
        );
        assert!(!c.exists(&ObjectId::column("t", "a")));
        assert!(!c.exists(&ObjectId::new(ObjectKind::Index, "t_a_idx")));
        c.rollback();
        assert!(c.exists(&ObjectId::column("t", "a")));
        assert!(c.exists(&ObjectId::new(ObjectKind::Index, "t_a_idx")));
    }

    #[test]
    fn partitions_follow_attach_detach_renames_and_rollback() {
        let mut c = Catalog::default();
        let run = |c: &mut Catalog, sql: &str| {
            let mut ev = Vec::new();
            for s in crate::sql::parse_script(sql, crate::Dialect::Postgres).unwrap() {
                c.apply_statement(&s.effects, 1, &mut ev);
                c.apply_ops(&s.ops);
            }
        };
        run(
            &mut c,
            "CREATE TABLE p (a int) PARTITION BY LIST (a); \
             CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1); \
             CREATE TABLE d PARTITION OF p DEFAULT;",
        );
        assert_eq!(c.default_partition("p").as_deref(), Some("d"));
        assert_eq!(c.partition_of("p1").as_deref(), Some("p"));
        c.begin();
        run(&mut c, "ALTER TABLE p DETACH PARTITION d");
        assert_eq!(c.default_partition("p"), None);
        c.rollback();
        assert_eq!(c.default_partition("p").as_deref(), Some("d"));
        run(&mut c, "ALTER TABLE p RENAME TO q");
        assert_eq!(c.default_partition("p"), None);
        assert_eq!(c.default_partition("q").as_deref(), Some("d"));
        assert_eq!(c.partition_of("p1").as_deref(), Some("q"));
        run(
            &mut c,
            "ALTER TABLE q DETACH PARTITION d; CREATE TABLE e (a int); \
             ALTER TABLE q ATTACH PARTITION e DEFAULT",
        );
        assert_eq!(c.default_partition("q").as_deref(), Some("e"));
        run(&mut c, "DROP TABLE e");
        assert_eq!(c.default_partition("q"), None);
    }

    #[test]
    fn missing_objects_and_references_are_noted() {
        let mut c = Catalog::default();
        let mut ev = Vec::new();
        c.apply(&create(ObjectId::table("parent")), 1, &mut ev);
        c.apply(&create(ObjectId::table("child")), 1, &mut ev);
        c.apply(
            &Effect::Create {
                object: ObjectId::constraint("child", "child_parent_fkey"),
                if_not_exists: false,
                or_replace: false,
                on: None,
                references: Some("parent".into()),
                columns: Vec::new(),
                shape: None,
            },
            1,
            &mut ev,
        );
        c.apply(
            &Effect::Use {
                object: ObjectId::table("nope"),
            },
            2,
            &mut ev,
        );
        c.apply(
            &Effect::Drop {
                object: ObjectId::table("parent"),
                if_exists: false,
                cascade: false,
            },
            2,
            &mut ev,
        );
        assert_eq!(
            ev,
            [
                Event::Missing(ObjectId::table("nope")),
                Event::DropReferenced {
                    table: "parent".into(),
                    from: "child".into(),
                    constraint: "child_parent_fkey".into()
                }
            ]
        );
        ev.clear();
        c.apply(&Effect::Opaque, 3, &mut ev);
        c.apply(
            &Effect::Use {
                object: ObjectId::table("nope"),
            },
            3,
            &mut ev,
        );
        assert!(ev.is_empty(), "opaque: absence proves nothing");
    }
}
