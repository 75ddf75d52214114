//! Replaying the migration set: every script parsed once, the ups replayed in version order
//! into a [`Catalog`], and each down tried against the state its up left and then taken back.
//! The facts found on the way are what the lint rules report.

use std::collections::{HashMap, HashSet};

use crate::catalog::{Catalog, Event};
use crate::effects::ident_name;
use crate::model::{Effect, ObjectId, ObjectKind};
use crate::sql::SplitError;
use crate::sql::{Op, ParsedStatement, parse_script};
use crate::{Dialect, MigrationSet};

/// A script as the checker sees it.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    pub statements: Vec<ParsedStatement>,
    /// The script could not be tokenized (then `statements` is empty).
    pub error: Option<SplitError>,
}

impl ParsedFile {
    fn parse(text: &str, dialect: Dialect) -> ParsedFile {
        match parse_script(text, dialect) {
            Ok(statements) => ParsedFile {
                statements,
                error: None,
            },
            Err(e) => ParsedFile {
                statements: Vec::new(),
                error: Some(e),
            },
        }
    }

    fn effects(&self) -> impl Iterator<Item = (usize, &Effect)> {
        self.statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.effects.iter().map(move |e| (i, e)))
    }
}

/// Why a down script's drop is not the undoing of its up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignDrop {
    /// The object existed before the up ran: the down destroys older state.
    ExistedBefore,
    /// The object does not exist at that point (often: the same name, another kind).
    DoesNotExist,
}

/// What replaying one migration found. Statement indexes point into `up` or `down`.
#[derive(Clone, Debug, Default)]
pub struct MigrationFacts {
    pub up: ParsedFile,
    pub down: Option<ParsedFile>,
    /// An up statement needs an object that only a later migration (the version) creates.
    pub used_before_created: Vec<(usize, ObjectId, i64)>,
    /// Tables the up touches that existed before this migration (also those its operations
    /// reach through an index: `DROP INDEX`, `REINDEX`; those they lock without naming them,
    /// [`Op::resolved_tables`]; and the materialized views it refreshes, tables to the lock
    /// model).
    pub preexisting_tables: HashSet<String>,
    /// The indexes the up's statements name without their table (`DROP INDEX`, `REINDEX
    /// INDEX`), looked up in the catalog before the statement runs.
    pub named_indexes: Vec<NamedIndex>,
    /// Objects the up created that still exist after it, with the creating statement.
    pub created: Vec<(usize, ObjectId)>,
    /// Of `created`, what still exists after the down script.
    pub left_by_down: Vec<(usize, ObjectId)>,
    /// Down statements that drop something the up did not create.
    pub foreign_drops: Vec<(usize, ObjectId, ForeignDrop)>,
    /// Down statements that drop a table another table still references:
    /// (statement, table, referencing table, constraint).
    pub drop_order: Vec<(usize, String, String, String)>,
    /// Down statements that create a table, index, view or type under a name taken at that
    /// point of the script (the up made it, or the down renamed its table away and kept it):
    /// (statement, object).
    pub down_creates_existing: Vec<(usize, ObjectId)>,
    /// Objects that existed before the migration and that an up statement removed (dropped,
    /// or gone with the table or, on PostgreSQL, the column it was on): (statement, object).
    pub dropped_by_up: Vec<(usize, ObjectId)>,
    /// Of those, the ones still missing after the down: (up statement, object).
    pub drops_not_restored: Vec<(usize, ObjectId)>,
    /// Renames in the up (statement, from, to) that the down does not rename back.
    pub renames_not_reversed: Vec<(usize, ObjectId, ObjectId)>,
    /// The up runs something whose effects are unknown (a `DO` block): the down is not judged.
    pub opaque: bool,
    /// Everything the up creates or renames something to, whether or not it is new (a table
    /// rebuilt under its own name): the down may drop any of it.
    pub made: HashSet<ObjectId>,
    /// The up drops or renames something that existed before it.
    pub changes_existing: bool,
    /// Of `made`, what existed before the up and that it dropped (or renamed away) and made
    /// again under the same name (a table rebuilt), or defined anew (`redefined`): a down that
    /// drops it must put the older one back.
    pub rebuilt: HashSet<ObjectId>,
    /// Views and functions that existed before the up and that it defines anew (`OR REPLACE`,
    /// or dropped and created again), with the statement: the down must define them again as
    /// they were.
    pub redefined: Vec<(usize, ObjectId)>,
    /// Of `redefined`, what the down leaves with the up's definition (it does not define it
    /// again), or defines with another body than before the up (a function), with the down
    /// statement that does (`None`: none does).
    pub redefinitions_not_restored: Vec<(usize, ObjectId, Option<usize>)>,
    /// Columns (table, column) whose nullability the up sets (`SET NOT NULL`, `DROP NOT
    /// NULL`) to what it already was before the up, as far as the earlier ups tell: the down
    /// has nothing to change back.
    pub nullability_kept: HashSet<(String, String)>,
    /// Columns the up touched whose nullability, default or type the down leaves other than they
    /// were before the up, as far as the replay knows both: (the down statement that last
    /// touched it, table, column, what differs).
    pub column_definitions_not_restored: Vec<(usize, String, String, ColumnDifference)>,
    /// Columns the up dropped and added back, or whose table it dropped or rebuilt, and that
    /// the down does not touch, so that they keep another nullability, default or type than
    /// before the up: (the up statement that last touched it, table, column, what differs).
    /// Columns the up alters (`ALTER COLUMN`, `MODIFY`, `CHANGE`) are left out: the down not
    /// changing them back is flagged as such.
    pub column_definitions_left: Vec<(usize, String, String, ColumnDifference)>,
}

/// How a column differs after the down from before the up: for each of its nullability and
/// its default that differs, what it is after the down (`Some(true)`: allows NULL, has a
/// default); for its type, (before the up, after the down), as the server names them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnDifference {
    pub nullable: Option<bool>,
    pub has_default: Option<bool>,
    /// Both have a default, and they differ: (before the up, after the down), reduced for
    /// comparison.
    pub default: Option<(String, String)>,
    pub data_type: Option<(String, String)>,
}

/// An index a statement names without its table, as the catalog knew it just before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedIndex {
    pub statement: usize,
    pub index: String,
    /// Its table, when the model knows the index.
    pub table: Option<String>,
    /// The index itself existed before this migration (an earlier migration made it).
    pub existed: bool,
}

/// The facts of every migration, parallel to `set.migrations`.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub dialect: Option<Dialect>,
    pub migrations: Vec<MigrationFacts>,
}

pub fn analyze(set: &MigrationSet, dialect: Dialect) -> Analysis {
    let mut migrations: Vec<MigrationFacts> = set
        .migrations
        .iter()
        .map(|m| MigrationFacts {
            up: ParsedFile::parse(&m.up.text, dialect),
            down: m.down.as_ref().map(|d| ParsedFile::parse(&d.text, dialect)),
            ..MigrationFacts::default()
        })
        .collect();

    // Which version first creates each object, to name it when an earlier one uses it.
    let mut first_creator: HashMap<ObjectId, i64> = HashMap::new();
    for (m, facts) in set.migrations.iter().zip(&migrations) {
        for (_, effect) in facts.up.effects() {
            if let Effect::Create { object, .. } = effect {
                first_creator.entry(object.clone()).or_insert(m.version);
            }
        }
    }

    let mut catalog = Catalog::default();
    if dialect == Dialect::Postgres {
        catalog.preexisting(ObjectId::new(ObjectKind::Schema, "public"));
    }
    let mut events = Vec::new();
    let mut bodies = Bodies::default();
    let mut columns = Columns::default();
    for (m, facts) in set.migrations.iter().zip(&mut migrations) {
        replay_up(&mut catalog, m.version, &first_creator, facts, &mut events);
        let up = columns.replay(&facts.up, dialect);
        facts.nullability_kept = up
            .before
            .iter()
            .filter(|(key, was)| {
                was.nullable.is_some() && was.nullable == columns.get(key).nullable
            })
            .map(|(key, _)| key.clone())
            .collect();
        if let Some(down) = &facts.down
            && down.error.is_none()
            && !facts.opaque
        {
            // Only the tables the down names can change, and only those are read after it.
            let mut after_down = columns.scoped(down);
            let touched = after_down.replay(down, dialect);
            facts.column_definitions_not_restored =
                definitions_not_restored(&up, &touched, &after_down);
            let down_opaque = down
                .statements
                .iter()
                .any(|s| s.effects.contains(&Effect::Opaque));
            if !down_opaque {
                let named = named_tables(down);
                facts.column_definitions_left =
                    definitions_left(&up, &touched, &named, &after_down, &columns);
            }
        }
        // The functions the up drops (and does not define anew) whose body is known: a down
        // that creates one again must give it that body.
        let dropped: Vec<(usize, ObjectId)> = facts
            .up
            .statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.effects.iter().map(move |e| (i, e)))
            .filter_map(|(i, e)| match e {
                Effect::Drop { object, .. }
                    if has_body(object.kind)
                        && bodies.0.contains_key(object)
                        && !facts.redefined.iter().any(|(_, o)| o == object) =>
                {
                    Some((i, object.clone()))
                }
                _ => None,
            })
            .collect();
        // The bodies of the functions the up defines anew or drops, as they were before it.
        let before: HashMap<ObjectId, String> = facts
            .redefined
            .iter()
            .chain(&dropped)
            .filter_map(|(_, o)| Some((o.clone(), bodies.0.get(o)?.clone())))
            .collect();
        bodies.replay(&facts.up);
        match facts.down.take() {
            Some(down) => {
                try_down(&mut catalog, m.version, dialect, &down, facts, &mut events);
                restored(&before, &dropped, &down, facts);
                facts.down = Some(down);
            }
            None => facts.renames_not_reversed.clear(),
        }
    }
    Analysis {
        dialect: Some(dialect),
        migrations,
    }
}

/// Applies an up script to the catalog, noting what it uses before it exists, what it creates
/// and what it renames.
fn replay_up(
    catalog: &mut Catalog,
    version: i64,
    first_creator: &HashMap<ObjectId, i64>,
    facts: &mut MigrationFacts,
    events: &mut Vec<Event>,
) {
    catalog.reset_opaque();
    let mut created_here: HashSet<ObjectId> = HashSet::new();
    // Objects that existed before the migration and that it dropped (or renamed away): creating
    // one of them again replaces it rather than creating something new.
    let mut replaced: HashSet<ObjectId> = HashSet::new();
    let mut renames = Vec::new();
    for (i, statement) in facts.up.statements.iter_mut().enumerate() {
        // What the statement does not name, as the schema stands before it.
        for op in &mut statement.ops {
            catalog.resolve(op);
            // The tables it locks without naming them count as touched.
            for table in op.resolved_tables() {
                let id = ObjectId::table(table);
                if catalog.exists(&id) && !created_here.contains(&id) {
                    facts.preexisting_tables.insert(table.to_owned());
                }
            }
        }
        let statement = &*statement;
        for effect in &statement.effects {
            for table in tables_touched(effect) {
                let id = ObjectId::table(table);
                if catalog.exists(&id) && !created_here.contains(&id) {
                    facts.preexisting_tables.insert(table.to_owned());
                }
            }
            match effect {
                Effect::Create { object, .. } | Effect::Rename { to: object, .. } => {
                    facts.made.insert(object.clone());
                }
                _ => {}
            }
            if let Effect::Create {
                object, or_replace, ..
            } = effect
                && matches!(object.kind, ObjectKind::Function | ObjectKind::View)
                && !created_here.contains(object)
                && ((*or_replace && catalog.exists(object)) || replaced.contains(object))
                && !facts.redefined.iter().any(|(_, o)| o == object)
            {
                facts.redefined.push((i, object.clone()));
            }
            match effect {
                Effect::Create { object, .. }
                    if !catalog.exists(object)
                        && !replaced.contains(object)
                        && !object
                            .parent
                            .as_ref()
                            .is_some_and(|t| replaced.contains(&ObjectId::table(t.clone()))) =>
                {
                    created_here.insert(object.clone());
                    facts.created.push((i, object.clone()));
                }
                Effect::Drop { object, .. }
                    if catalog.exists(object) && !created_here.contains(object) =>
                {
                    // What goes with it (a table's columns and indexes) is replaced too.
                    replaced.extend(catalog.dependents(object));
                    replaced.insert(object.clone());
                }
                Effect::Rename { from, to }
                    if catalog.exists(from) && !created_here.contains(from) =>
                {
                    replaced.extend(catalog.dependents(from));
                    replaced.insert(from.clone());
                    renames.push((i, from.clone(), to.clone()));
                }
                Effect::Opaque => facts.opaque = true,
                _ => {}
            }
        }
        note_named_indexes(
            catalog,
            &created_here,
            i,
            statement,
            &mut facts.preexisting_tables,
            &mut facts.named_indexes,
        );
        // What the statement may remove of what existed before the migration: what it drops,
        // and what is on the tables it drops or drops a column of.
        let mut candidates: Vec<ObjectId> = Vec::new();
        for effect in &statement.effects {
            if let Effect::Drop { object, .. } = effect
                && catalog.exists(object)
                && !catalog.is_uncertain(object)
            {
                candidates.push(object.clone());
                let table = match object.kind {
                    ObjectKind::Table => Some(object.clone()),
                    ObjectKind::Column => object.parent.clone().map(ObjectId::table),
                    _ => None,
                };
                if let Some(table) = table {
                    // Of the constraints that go along, only foreign keys: a key's name is also
                    // its index's, which `ALTER INDEX … RENAME` changes behind the model's back.
                    let along = catalog.dependents(&table).into_iter().filter(|o| {
                        o.kind != ObjectKind::Constraint
                            || catalog.get(o).is_some_and(|c| c.references.is_some())
                    });
                    candidates.extend(along);
                }
            }
        }
        // What this migration made, or renamed to (as SQLite's rebuild renames the old table
        // away), with what is on it, did not exist under that name before.
        candidates.retain(|o| {
            let made_table = o
                .parent
                .as_ref()
                .is_some_and(|t| facts.made.contains(&ObjectId::table(t.clone())));
            !facts.made.contains(o) && !made_table && !implicitly_named(o)
        });
        events.clear();
        catalog.apply_statement(&statement.effects, version, events);
        catalog.apply_ops(&statement.ops);
        for object in candidates {
            if !catalog.exists(&object) && !facts.dropped_by_up.iter().any(|(_, o)| *o == object) {
                facts.dropped_by_up.push((i, object));
            }
        }
        // A table that existed before, renamed after the up added columns or constraints to
        // it, takes them along: they are still this migration's, under the new name. (A table
        // the up made and renamed, as SQLite rebuilds one, replaces the old one whole.)
        for effect in &statement.effects {
            if let Effect::Rename { from, to } = effect
                && from.kind == ObjectKind::Table
                && !created_here.contains(from)
            {
                let moved = |id: &ObjectId| {
                    (id.parent.as_deref() == Some(from.name.as_str())).then(|| ObjectId {
                        parent: Some(to.name.clone()),
                        ..id.clone()
                    })
                };
                for (_, id) in &mut facts.created {
                    if let Some(new) = moved(id) {
                        *id = new;
                    }
                }
                created_here = created_here
                    .into_iter()
                    .map(|id| moved(&id).unwrap_or(id))
                    .collect();
                let made: Vec<ObjectId> = facts.made.iter().filter_map(moved).collect();
                facts.made.extend(made);
            }
        }
        for event in events.iter() {
            if let Event::Missing(object) = event
                && let Some(&later) = first_creator.get(object)
                && later > version
                && !facts
                    .used_before_created
                    .iter()
                    .any(|(j, o, _)| *j == i && o == object)
            {
                facts.used_before_created.push((i, object.clone(), later));
            }
        }
    }
    facts.created.retain(|(_, id)| catalog.exists(id));
    facts.changes_existing = !replaced.is_empty();
    facts.rebuilt = replaced
        .into_iter()
        .filter(|id| facts.made.contains(id) && catalog.exists(id))
        .chain(facts.redefined.iter().map(|(_, id)| id.clone()))
        .collect();
    // A rename whose new name is gone by the end, or whose old name the up creates again (a
    // table rebuilt through a temporary name), is not a rename the down must reverse.
    facts.renames_not_reversed = renames
        .into_iter()
        .filter(|(_, from, to)| catalog.exists(to) && !facts.made.contains(from))
        .collect();
}

/// Looks up the index or table that statement `i`'s `DROP INDEX` or `REINDEX` names, before
/// the statement runs (a dropped index is gone after it), and notes the existing tables its
/// other operations name without an effect on them (`REINDEX TABLE`, `CLUSTER`, `CREATE
/// RULE`, `REFRESH MATERIALIZED VIEW`).
fn note_named_indexes(
    catalog: &Catalog,
    created_here: &HashSet<ObjectId>,
    i: usize,
    statement: &ParsedStatement,
    preexisting_tables: &mut HashSet<String>,
    named_indexes: &mut Vec<NamedIndex>,
) {
    let existed = |id: &ObjectId| catalog.exists(id) && !created_here.contains(id);
    for op in &statement.ops {
        let index = match op {
            Op::DropIndex { index, .. }
            | Op::Reindex {
                name: index,
                table: false,
                ..
            } => index,
            // The table named without an effect that says so (a materialized view is a table
            // to the lock model).
            Op::Reindex {
                name, table: true, ..
            }
            | Op::Cluster { table: name }
            | Op::AccessExclusive { table: name, .. } => {
                if existed(&ObjectId::table(name.clone())) {
                    preexisting_tables.insert(name.clone());
                }
                continue;
            }
            Op::RefreshMaterializedView { view, .. } => {
                if existed(&ObjectId::new(ObjectKind::View, view.clone())) {
                    preexisting_tables.insert(view.clone());
                }
                continue;
            }
            _ => continue,
        };
        let id = ObjectId::new(ObjectKind::Index, index.clone());
        let table = catalog.get(&id).and_then(|info| info.on.clone());
        if let Some(t) = &table
            && existed(&ObjectId::table(t.clone()))
        {
            preexisting_tables.insert(t.clone());
        }
        named_indexes.push(NamedIndex {
            statement: i,
            index: index.clone(),
            existed: existed(&id),
            table,
        });
    }
}

/// Applies a down script on top of its up, notes what it gets wrong, and takes it back.
fn try_down(
    catalog: &mut Catalog,
    version: i64,
    dialect: Dialect,
    down: &ParsedFile,
    facts: &mut MigrationFacts,
    events: &mut Vec<Event>,
) {
    let renames = std::mem::take(&mut facts.renames_not_reversed);
    let up_unreadable = facts.up.error.is_some()
        || facts
            .up
            .statements
            .iter()
            .any(|s| matches!(s.kind, crate::sql::StatementKind::Invalid { .. }));
    if down.error.is_some() || down.statements.is_empty() || facts.opaque || up_unreadable {
        // Unreadable or empty downs have their own rules; an opaque up, or one that does not
        // parse (its syntax error is the finding), hides what it did.
        return;
    }
    let up_created: HashSet<&ObjectId> = facts.created.iter().map(|(_, id)| id).collect();
    let unknown_cascade = down.effects().any(|(_, e)| match e {
        Effect::Opaque => true,
        Effect::Drop {
            object, cascade, ..
        } => {
            *cascade
                && !matches!(
                    object.kind,
                    ObjectKind::Table | ObjectKind::Column | ObjectKind::Constraint
                )
        }
        _ => false,
    });
    let mut created_in_down: HashSet<ObjectId> = HashSet::new();
    let mut existed_drops = Vec::new();
    // What the up made and left, once a down statement has removed it: dropped, renamed, or
    // gone with its table or (PostgreSQL drops the indexes and constraints that read a column
    // with it) its column. Dropping it again without `IF EXISTS` fails.
    let mut left_by_up: Vec<&ObjectId> = facts
        .made
        .iter()
        .filter(|o| catalog.exists(o) && !catalog.is_uncertain(o))
        .collect();
    let mut gone: HashSet<ObjectId> = HashSet::new();
    let mut cascaded = false;
    // What the up removed for good (not made again by it).
    let removed: Vec<(usize, ObjectId)> = facts
        .dropped_by_up
        .iter()
        .filter(|(_, o)| !catalog.exists(o))
        .cloned()
        .collect();
    catalog.begin();
    for (k, statement) in down.statements.iter().enumerate() {
        let dropped_tables: HashSet<&str> = statement
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Drop { object, .. } if object.kind == ObjectKind::Table => {
                    Some(object.name.as_str())
                }
                _ => None,
            })
            .collect();
        for effect in &statement.effects {
            match effect {
                Effect::Drop {
                    object, if_exists, ..
                } if !up_created.contains(object)
                    && (!facts.made.contains(object) || facts.rebuilt.contains(object))
                    && !created_in_down.contains(object)
                    && !dropped_with_container(object, &up_created)
                    && !catalog.is_uncertain(object) =>
                {
                    if catalog.exists(object) {
                        existed_drops.push((k, object.clone()));
                    } else if !if_exists && !implicitly_named(object) {
                        facts
                            .foreign_drops
                            .push((k, object.clone(), ForeignDrop::DoesNotExist));
                    }
                }
                Effect::Drop {
                    object,
                    if_exists: false,
                    ..
                } if gone.contains(object) && !created_in_down.contains(object) => {
                    facts
                        .foreign_drops
                        .push((k, object.clone(), ForeignDrop::DoesNotExist));
                }
                Effect::Create { object, .. } => {
                    created_in_down.insert(object.clone());
                }
                Effect::Rename { to, .. } => {
                    created_in_down.insert(to.clone());
                }
                _ => {}
            }
        }
        // A CASCADE takes along what the model does not follow (views that read the object),
        // so what it seems to keep from there on is not sure.
        cascaded |= statement.effects.iter().any(|e| match e {
            Effect::Drop { cascade, .. } => *cascade,
            Effect::Opaque => true,
            _ => false,
        });
        if !cascaded && let Some(object) = creates_taken_name(statement, catalog) {
            facts.down_creates_existing.push((k, object.clone()));
        }
        events.clear();
        catalog.apply_statement(&statement.effects, version, events);
        catalog.apply_ops(&statement.ops);
        let drops = |kind: ObjectKind| {
            statement
                .effects
                .iter()
                .any(|e| matches!(e, Effect::Drop { object, .. } if object.kind == kind))
        };
        let removed_by_model = drops(ObjectKind::Column) && !drops(ObjectKind::Table);
        // What this statement removed: gone for sure, or no longer followed.
        left_by_up.retain(|&object| {
            if catalog.exists(object) {
                return true;
            }
            let named = statement.effects.iter().any(|e| match e {
                Effect::Drop { object: o, .. } | Effect::Rename { from: o, .. } => o == object,
                _ => false,
            });
            // Only PostgreSQL takes a column's indexes and constraints along whole (MySQL
            // narrows a multi-column index, SQLite refuses to drop an indexed column).
            let sure = named || !removed_by_model || dialect == Dialect::Postgres;
            if sure && !catalog.is_uncertain(object) {
                gone.insert(object.clone());
            }
            false
        });
        for event in events.iter() {
            if let Event::DropReferenced {
                table,
                from,
                constraint,
            } = event
                && !dropped_tables.contains(from.as_str())
            {
                facts
                    .drop_order
                    .push((k, table.clone(), from.clone(), constraint.clone()));
            }
        }
    }
    // Dropping an older object is fine when the down puts it back (a view or function restored
    // to its previous definition, a table rebuilt).
    for (k, object) in existed_drops {
        if !catalog.exists(&object) {
            facts
                .foreign_drops
                .push((k, object, ForeignDrop::ExistedBefore));
        }
    }
    facts.foreign_drops.sort_by_key(|(k, _, _)| *k);
    if !unknown_cascade {
        facts.left_by_down = facts
            .created
            .iter()
            // What the down creates itself it restores on purpose (an older definition).
            .filter(|(_, id)| {
                catalog.exists(id) && !catalog.is_uncertain(id) && !created_in_down.contains(id)
            })
            .cloned()
            .collect();
        facts.drops_not_restored = removed
            .into_iter()
            .filter(|(_, o)| !catalog.exists(o) && !catalog.is_uncertain(o))
            .collect();
    }
    facts.renames_not_reversed = renames
        .into_iter()
        // Reversed: renamed back, or the old name is there again and the new one gone (the down
        // rebuilt the object under its old name).
        .filter(|(_, from, to)| {
            // A column or constraint whose table the down removed went with it.
            let gone_with_table = [from, to].iter().all(|id| {
                id.parent
                    .as_ref()
                    .is_some_and(|t| !catalog.exists(&ObjectId::table(t.clone())))
            });
            let restored = gone_with_table || (catalog.exists(from) && !catalog.exists(to));
            !restored && !down.effects().any(|(_, e)| reverses(e, from, to))
        })
        .collect();
    catalog.rollback();
}

/// Whether `effect` renames `to` back to `from`. Columns and constraints are matched by name
/// alone, since their table may have been renamed back first.
fn reverses(effect: &Effect, from: &ObjectId, to: &ObjectId) -> bool {
    let Effect::Rename {
        from: back_from,
        to: back_to,
    } = effect
    else {
        return false;
    };
    let same = |a: &ObjectId, b: &ObjectId| {
        a.kind == b.kind
            && a.name == b.name
            && (a.parent == b.parent
                || matches!(a.kind, ObjectKind::Column | ObjectKind::Constraint))
    };
    same(back_from, to) && same(back_to, from)
}

/// Constraints PostgreSQL names by itself that the model does not create (PostgreSQL 18's
/// `<table>_<column>_not_null`).
fn implicitly_named(object: &ObjectId) -> bool {
    object.kind == ObjectKind::Constraint && object.name.contains("_not_null")
}

/// The tables an effect names (for "did this table exist before the migration").
fn tables_touched(effect: &Effect) -> Vec<&str> {
    let ids: Vec<&ObjectId> = match effect {
        Effect::Create { object, .. } | Effect::Drop { object, .. } | Effect::Use { object } => {
            vec![object]
        }
        Effect::Rename { from, .. } => vec![from],
        Effect::Uncertain { object } => vec![object],
        Effect::Opaque => vec![],
    };
    let mut tables: Vec<&str> = ids
        .into_iter()
        .filter_map(|id| match id.kind {
            ObjectKind::Table => Some(id.name.as_str()),
            ObjectKind::Column | ObjectKind::Constraint => id.parent.as_deref(),
            _ => None,
        })
        .collect();
    if let Effect::Create { on: Some(t), .. } = effect {
        tables.push(t);
    }
    tables
}

/// A column or constraint of a table the up created goes away with the table.
fn dropped_with_container(object: &ObjectId, up_created: &HashSet<&ObjectId>) -> bool {
    object
        .parent
        .as_ref()
        .is_some_and(|t| up_created.contains(&ObjectId::table(t.clone())))
}

#[cfg(test)]
mod tests {
    use crate::lints::{LintConfig, lint};
    use crate::{Dialect, MigrationSet, Severity};

    /// The error-level rule ids a set of files produces.
    fn errors(dialect: Dialect, files: &[(&str, &str)]) -> Vec<&'static str> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "m").unwrap();
        lint(&set, &LintConfig::new(dialect))
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.rule.as_str())
            .collect()
    }

    const USERS: (&str, &str) = (
        "1_users.up.sql",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT, email TEXT);",
    );
    const USERS_DOWN: (&str, &str) = ("1_users.down.sql", "DROP TABLE users;");

    /// Patterns found in real histories that are correct and must stay quiet.
    #[test]
    fn correct_real_world_patterns_are_quiet() {
        let cases: &[(Dialect, &[(&str, &str)])] = &[
            // A table rebuilt through a temporary name, both ways (SQLite's way to alter).
            (
                Dialect::Sqlite,
                &[
                    (
                        "2_rebuild.up.sql",
                        "ALTER TABLE users RENAME TO _old_users;\nCREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT);\nINSERT INTO users SELECT * FROM _old_users;\nDROP TABLE _old_users;",
                    ),
                    (
                        "2_rebuild.down.sql",
                        "ALTER TABLE users RENAME TO _new_users;\nCREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT, email TEXT);\nINSERT INTO users SELECT * FROM _new_users;\nDROP TABLE _new_users;",
                    ),
                ],
            ),
            // A view and an index replaced by new definitions, and the old ones restored.
            (
                Dialect::Postgres,
                &[
                    (
                        "2_v.up.sql",
                        "SET lock_timeout = '5s';\nCREATE VIEW v AS SELECT id FROM users;\nCREATE INDEX users_name_idx ON users (name);",
                    ),
                    ("2_v.down.sql", "DROP INDEX users_name_idx;\nDROP VIEW v;"),
                    (
                        "3_v.up.sql",
                        "SET lock_timeout = '5s';\nDROP VIEW v;\nCREATE VIEW v AS SELECT id, name FROM users;\nDROP INDEX users_name_idx;\nCREATE INDEX users_name_idx ON users (lower(name));",
                    ),
                    (
                        "3_v.down.sql",
                        "DROP VIEW v;\nCREATE VIEW v AS SELECT id FROM users;\nDROP INDEX users_name_idx;\nCREATE INDEX users_name_idx ON users (name);",
                    ),
                ],
            ),
            // Dropping a column takes its index, foreign key and check with it.
            (
                Dialect::Postgres,
                &[
                    (
                        "2_col.up.sql",
                        "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN boss_id BIGINT REFERENCES users (id), ADD CONSTRAINT boss_not_self CHECK (boss_id <> id) NOT VALID;\nCREATE INDEX users_boss_idx ON users (coalesce(boss_id, 0));",
                    ),
                    ("2_col.down.sql", "ALTER TABLE users DROP COLUMN boss_id;"),
                ],
            ),
            // PostgreSQL's name for an unnamed index.
            (
                Dialect::Postgres,
                &[
                    (
                        "2_posts.up.sql",
                        "SET lock_timeout = '5s';\nCREATE TABLE posts (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id));\nCREATE INDEX ON posts (user_id);",
                    ),
                    (
                        "2_posts.down.sql",
                        "DROP INDEX posts_user_id_idx;\nDROP TABLE posts;",
                    ),
                ],
            ),
            // A table renamed and its column renamed, reversed in the opposite order.
            (
                Dialect::Postgres,
                &[
                    (
                        "2_ren.up.sql",
                        "SET lock_timeout = '5s';\nALTER TABLE users RENAME TO people;\nALTER TABLE people RENAME COLUMN name TO full_name;",
                    ),
                    (
                        "2_ren.down.sql",
                        "ALTER TABLE people RENAME TO users;\nALTER TABLE users RENAME COLUMN full_name TO name;",
                    ),
                ],
            ),
            // A DO block: its effects are unknown, so its down is not judged.
            (
                Dialect::Postgres,
                &[
                    (
                        "2_do.up.sql",
                        "DO $$ BEGIN EXECUTE 'CREATE TABLE t (id int)'; END $$;",
                    ),
                    ("2_do.down.sql", "DROP TABLE t;"),
                ],
            ),
        ];
        for (dialect, files) in cases {
            let mut all = vec![USERS, USERS_DOWN];
            all.extend_from_slice(files);
            let found = errors(*dialect, &all);
            assert!(found.is_empty(), "{found:?} for {files:?}");
        }
    }

    #[test]
    fn one_statement_dropping_parent_and_child_is_in_order() {
        let found = errors(
            Dialect::Postgres,
            &[
                (
                    "1_a.up.sql",
                    "CREATE TABLE p (id INT PRIMARY KEY);\nCREATE TABLE c (p_id INT REFERENCES p (id));",
                ),
                ("1_a.down.sql", "DROP TABLE p, c;"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}

/// The body of each function as the ups left it (PostgreSQL stores it as written, and verify
/// compares it), and the definition of each view as sqlparser prints it, by object. An object
/// renamed or made uncertain is forgotten.
#[derive(Debug, Default)]
struct Bodies(HashMap<ObjectId, String>);

impl Bodies {
    fn replay(&mut self, script: &ParsedFile) {
        for statement in &script.statements {
            for effect in &statement.effects {
                match effect {
                    Effect::Create { object, .. } if has_body(object.kind) => {
                        match function_body(statement) {
                            Some(body) => self.0.insert(object.clone(), body),
                            None => self.0.remove(object),
                        };
                    }
                    Effect::Drop { object, .. } | Effect::Uncertain { object }
                        if has_body(object.kind) =>
                    {
                        self.0.remove(object);
                    }
                    Effect::Rename { from, to } => {
                        self.0.remove(from);
                        self.0.remove(to);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A column, by (table, column).
type ColumnKey = (String, String);

/// What the replay knows of a column's definition: whether it allows NULL, whether it has a
/// default, its type as the server names it (`None`: not known).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Known {
    nullable: Option<bool>,
    has_default: Option<bool>,
    /// With `has_default` true: the default, reduced for comparison, where known.
    default: Option<String>,
    data_type: Option<String>,
}

/// What the ups so far say of each column's nullability, default and type: from the column's
/// definition (`CREATE TABLE`, `ADD COLUMN`; see [`crate::model::ColumnShape`]) and the `ALTER
/// COLUMN`s after it. A table renamed keeps its columns. A column is forgotten when it or its
/// table is dropped, a column renamed, made uncertain, or named by a statement sqlparser does
/// not parse (its actions are not all known); redefined (MySQL's `MODIFY`/`CHANGE`), it keeps
/// only its new type; under a new constraint, only its type (a primary key makes it NOT NULL,
/// and the effects do not say which constraint is one).
#[derive(Clone, Debug, Default)]
struct Columns(HashMap<String, HashMap<String, Known>>);

/// What one script did to the columns it touched.
#[derive(Debug, Default)]
struct Touched {
    /// The last statement that touched each column.
    last: HashMap<ColumnKey, usize>,
    /// What was known of each before the script.
    before: HashMap<ColumnKey, Known>,
    /// The columns its `ALTER COLUMN`s (MySQL's `MODIFY`, `CHANGE`) change.
    altered: HashSet<ColumnKey>,
}

impl Columns {
    fn get(&self, key: &ColumnKey) -> Known {
        let column = self.0.get(&key.0).and_then(|t| t.get(&key.1));
        column.cloned().unwrap_or_default()
    }

    fn insert(&mut self, (table, column): ColumnKey, known: Known) {
        self.0.entry(table).or_default().insert(column, known);
    }

    fn remove(&mut self, table: &str, column: &str) {
        if let Some(t) = self.0.get_mut(table) {
            t.remove(column);
        }
    }

    /// The columns known of `table`.
    fn of_table(&self, table: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .get(table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// A copy of what is known of the tables `script` names (all that replaying it reads or
    /// changes), not of the whole history's.
    fn scoped(&self, script: &ParsedFile) -> Columns {
        let mut copy = Columns::default();
        for table in named_tables(script) {
            if let Some(known) = self.0.get(&table) {
                copy.0.insert(table, known.clone());
            }
        }
        copy
    }

    /// Replays a script, noting the columns it touches.
    fn replay(&mut self, script: &ParsedFile, dialect: Dialect) -> Touched {
        let mut touched = Touched::default();
        let mut altered = HashSet::new();
        let mut touch = |columns: &Columns, key: &ColumnKey, i: usize| {
            touched
                .before
                .entry(key.clone())
                .or_insert_with(|| columns.get(key));
            touched.last.insert(key.clone(), i);
        };
        for (i, statement) in script.statements.iter().enumerate() {
            // `CREATE TABLE IF NOT EXISTS` of a table that exists leaves its columns as they
            // were: what its column definitions say is not sure.
            let maybe_kept: HashSet<&str> = statement
                .effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Create {
                        object,
                        if_not_exists: true,
                        ..
                    } if object.kind == ObjectKind::Table => Some(object.name.as_str()),
                    _ => None,
                })
                .collect();
            for effect in &statement.effects {
                for key in column_keys(effect) {
                    touch(self, &key, i);
                }
                // A table dropped or renamed touches its columns (a table rebuilt: created
                // anew, the old one dropped and the new one renamed to its name).
                match effect {
                    Effect::Drop { object, .. } if object.kind == ObjectKind::Table => {
                        for c in self.of_table(&object.name) {
                            touch(self, &(object.name.clone(), c), i);
                        }
                    }
                    Effect::Rename { from, to } if from.kind == ObjectKind::Table => {
                        for c in self.of_table(&from.name) {
                            touch(self, &(from.name.clone(), c.clone()), i);
                            touch(self, &(to.name.clone(), c), i);
                        }
                    }
                    _ => {}
                }
                self.apply(effect);
                if let Effect::Create { object, .. } = effect
                    && object.kind == ObjectKind::Column
                    && let Some(t) = &object.parent
                    && maybe_kept.contains(t.as_str())
                {
                    self.remove(t, &object.name);
                }
                // What a statement sqlparser does not parse does to the columns it names is
                // not all known.
                if statement.syntax().is_none()
                    && let Effect::Use { object } = effect
                    && object.kind == ObjectKind::Column
                    && let Some(t) = &object.parent
                {
                    self.remove(t, &object.name);
                }
            }
            let Some(crate::sql::Syntax::AlterTable {
                changed_columns,
                set_types,
                set_defaults,
                ..
            }) = statement.syntax()
            else {
                continue;
            };
            let Some(table) = statement.used_table() else {
                continue;
            };
            for (column, what) in changed_columns {
                let key = (table.to_owned(), ident_name(column, dialect));
                touch(self, &key, i);
                altered.insert(key.clone());
                let mut known = self.get(&key);
                // What the action does, as `Syntax::AlterTable` words it.
                match *what {
                    "makes it NOT NULL" => known.nullable = Some(false),
                    "makes it nullable" => known.nullable = Some(true),
                    "sets its default" => {
                        let set = set_defaults
                            .iter()
                            .find(|(c, _)| ident_name(c, dialect) == key.1)
                            .map(|(_, default)| default.clone());
                        // `SET DEFAULT NULL` drops it.
                        (known.has_default, known.default) = match set {
                            Some(Some(default)) => (Some(true), Some(default)),
                            Some(None) => (Some(false), None),
                            None => (None, None),
                        };
                    }
                    "drops its default" => (known.has_default, known.default) = (Some(false), None),
                    "changes its type" => {}
                    _ => known = Known::default(),
                }
                self.insert(key, known);
            }
            for (column, data_type) in set_types {
                let key = (table.to_owned(), ident_name(column, dialect));
                touch(self, &key, i);
                altered.insert(key.clone());
                let mut known = self.get(&key);
                known.data_type = data_type.clone();
                self.insert(key, known);
            }
        }
        touched.altered = altered;
        touched
    }

    fn apply(&mut self, effect: &Effect) {
        match effect {
            Effect::Create {
                object,
                if_not_exists,
                shape,
                ..
            } if object.kind == ObjectKind::Column => {
                let Some(t) = &object.parent else { return };
                match shape.as_ref().filter(|_| !if_not_exists) {
                    Some(shape) => self.insert(
                        (t.clone(), object.name.clone()),
                        Known {
                            nullable: shape.nullable,
                            has_default: shape.has_default,
                            default: shape.default.clone(),
                            data_type: shape.data_type.clone(),
                        },
                    ),
                    None => self.remove(t, &object.name),
                }
            }
            Effect::Create {
                object, columns, ..
            } if object.kind == ObjectKind::Constraint => {
                if let Some(t) = &object.parent {
                    for c in columns {
                        let key = (t.clone(), c.clone());
                        let data_type = self.get(&key).data_type;
                        self.remove(t, c);
                        if data_type.is_some() {
                            self.insert(
                                key,
                                Known {
                                    data_type,
                                    ..Known::default()
                                },
                            );
                        }
                    }
                }
            }
            Effect::Rename { from, to } if from.kind == ObjectKind::Table => {
                let moved = self.0.remove(&from.name);
                self.0.remove(&to.name);
                if let Some(moved) = moved {
                    self.0.insert(to.name.clone(), moved);
                }
            }
            Effect::Create { object, .. }
            | Effect::Drop { object, .. }
            | Effect::Uncertain { object } => self.forget(object),
            Effect::Rename { from, to } => {
                self.forget(from);
                self.forget(to);
            }
            Effect::Use { .. } => {}
            Effect::Opaque => self.0.clear(),
        }
    }

    fn forget(&mut self, object: &ObjectId) {
        match object.kind {
            ObjectKind::Table => {
                self.0.remove(&object.name);
            }
            ObjectKind::Column => {
                if let Some(t) = &object.parent {
                    self.remove(t, &object.name);
                }
            }
            _ => {}
        }
    }
}

/// The tables `script` names, itself or as the table of a column or constraint.
fn named_tables(script: &ParsedFile) -> HashSet<String> {
    let effects = script.statements.iter().flat_map(|s| &s.effects);
    let objects = effects.flat_map(|e| match e {
        Effect::Create { object, .. }
        | Effect::Drop { object, .. }
        | Effect::Uncertain { object }
        | Effect::Use { object } => vec![object],
        Effect::Rename { from, to } => vec![from, to],
        Effect::Opaque => Vec::new(),
    });
    objects
        .filter_map(|object| match object.kind {
            ObjectKind::Table => Some(object.name.clone()),
            _ => object.parent.clone(),
        })
        .collect()
}

/// The columns an effect names directly (not through their table).
fn column_keys(effect: &Effect) -> Vec<ColumnKey> {
    let key = |o: &ObjectId| {
        (o.kind == ObjectKind::Column)
            .then(|| Some((o.parent.clone()?, o.name.clone())))
            .flatten()
    };
    match effect {
        Effect::Create { object, .. } | Effect::Drop { object, .. } => {
            key(object).into_iter().collect()
        }
        Effect::Rename { from, to } => key(from).into_iter().chain(key(to)).collect(),
        _ => Vec::new(),
    }
}

/// The columns whose nullability, default or type the down leaves other than it was before the
/// up (both known), of those the up touched: (down statement, table, column, what differs).
fn definitions_not_restored(
    before_up: &Touched,
    down: &Touched,
    after_down: &Columns,
) -> Vec<(usize, String, String, ColumnDifference)> {
    let mut out = Vec::new();
    for (key, before) in &before_up.before {
        let Some(&statement) = down.last.get(key) else {
            continue;
        };
        if let Some(d) = difference(before, &after_down.get(key)) {
            out.push((statement, key.0.clone(), key.1.clone(), d));
        }
    }
    out.sort();
    out
}

/// How `before` and `after` differ where both are known.
fn difference(before: &Known, after: &Known) -> Option<ColumnDifference> {
    let differs = |a: Option<bool>, b: Option<bool>| matches!((a, b), (Some(a), Some(b)) if a != b);
    let difference = ColumnDifference {
        nullable: differs(before.nullable, after.nullable).then_some(after.nullable == Some(true)),
        has_default: differs(before.has_default, after.has_default)
            .then_some(after.has_default == Some(true)),
        default: match (&before.default, &after.default) {
            (Some(was), Some(now)) if was != now => Some((was.clone(), now.clone())),
            _ => None,
        },
        data_type: match (&before.data_type, &after.data_type) {
            (Some(was), Some(now)) if was != now => Some((was.clone(), now.clone())),
            _ => None,
        },
    };
    let any = difference.nullable.is_some()
        || difference.has_default.is_some()
        || difference.default.is_some()
        || difference.data_type.is_some();
    any.then_some(difference)
}

/// The columns the up touched (not through `ALTER COLUMN`) and the down does not, whose
/// nullability, default or type the up left other than before it (both known): (up statement,
/// table, column, what differs). After the down such a column is as the up left it: as the down
/// replay has it when the down names its table, else as after the up.
fn definitions_left(
    before_up: &Touched,
    down: &Touched,
    down_names: &HashSet<String>,
    after_down: &Columns,
    after_up: &Columns,
) -> Vec<(usize, String, String, ColumnDifference)> {
    let mut out = Vec::new();
    for (key, before) in &before_up.before {
        if down.last.contains_key(key) || before_up.altered.contains(key) {
            continue;
        }
        let Some(&statement) = before_up.last.get(key) else {
            continue;
        };
        let after = match down_names.contains(&key.0) {
            true => after_down.get(key),
            false => after_up.get(key),
        };
        if let Some(d) = difference(before, &after) {
            out.push((statement, key.0.clone(), key.1.clone(), d));
        }
    }
    out.sort();
    out
}

/// The object a `CREATE TABLE`, `INDEX`, `VIEW` or `TYPE` statement names (its first create),
/// when the catalog holds one by that name for sure and the statement says neither `IF NOT
/// EXISTS` nor `OR REPLACE`: the server refuses it. Only the object the statement names: the
/// server picks free names for what it makes on its own (a serial's sequence, a constraint's
/// index), and functions may be overloaded.
fn creates_taken_name<'a>(
    statement: &'a ParsedStatement,
    catalog: &Catalog,
) -> Option<&'a ObjectId> {
    let first_create = statement
        .effects
        .iter()
        .find(|e| matches!(e, Effect::Create { .. }));
    let Some(Effect::Create {
        object,
        if_not_exists: false,
        or_replace: false,
        ..
    }) = first_create
    else {
        return None;
    };
    let named = matches!(
        object.kind,
        ObjectKind::Table | ObjectKind::Index | ObjectKind::View | ObjectKind::Type
    );
    (named && catalog.exists(object) && !catalog.is_uncertain(object)).then_some(object)
}

/// The body of a `CREATE FUNCTION` statement, without its quotes, or the definition of a
/// `CREATE VIEW` (see [`crate::sql::Syntax::CreateView`]).
fn function_body(statement: &ParsedStatement) -> Option<String> {
    match statement.syntax()? {
        crate::sql::Syntax::CreateFunction { body } => body.clone(),
        crate::sql::Syntax::CreateView { definition } => Some(definition.clone()),
        _ => None,
    }
}

/// The kinds whose definition [`Bodies`] follows.
fn has_body(kind: ObjectKind) -> bool {
    matches!(kind, ObjectKind::Function | ObjectKind::View)
}

/// Which of the up's redefinitions the down does not restore: it defines the object again
/// nowhere, or (a function) with another body than the one before the up.
fn restored(
    before: &HashMap<ObjectId, String>,
    dropped: &[(usize, ObjectId)],
    down: &ParsedFile,
    facts: &mut MigrationFacts,
) {
    if down.error.is_some() || down.statements.is_empty() || facts.opaque {
        return;
    }
    let mut out = Vec::new();
    for (i, object) in &facts.redefined {
        let mut defined = None;
        let mut dropped = false;
        for (k, statement) in down.statements.iter().enumerate() {
            for effect in &statement.effects {
                match effect {
                    Effect::Create { object: o, .. } if o == object => defined = Some(k),
                    Effect::Drop { object: o, .. } if o == object => dropped = true,
                    Effect::Opaque => return,
                    _ => {}
                }
            }
        }
        match defined {
            // Dropped for good: what existed before is missing, which `foreign_drops` says.
            None if dropped => {}
            None => out.push((*i, object.clone(), None)),
            Some(k) => {
                let was = before.get(object);
                let now = function_body(&down.statements[k]);
                if has_body(object.kind)
                    && let (Some(was), Some(now)) = (was, now)
                    && was.trim() != now.trim()
                {
                    out.push((*i, object.clone(), Some(k)));
                }
            }
        }
    }
    // A function the up dropped, created again by the down (the last time) with another body
    // than before the up.
    for (i, object) in dropped {
        let created = down.statements.iter().enumerate().rev().find(|(_, s)| {
            s.effects
                .iter()
                .any(|e| matches!(e, Effect::Create { object: o, .. } if o == object))
        });
        if let Some((k, statement)) = created
            && let (Some(was), Some(now)) = (before.get(object), function_body(statement))
            && was.trim() != now.trim()
        {
            out.push((*i, object.clone(), Some(k)));
        }
    }
    facts.redefinitions_not_restored = out;
}
