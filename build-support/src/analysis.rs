//! Replaying the migration set: every script parsed once, the ups replayed in version order
//! into a [`Catalog`], and each down tried against the state its up left and then taken back.
//! The facts found on the way are what the lint rules report.

use std::collections::{HashMap, HashSet};

use crate::catalog::{Catalog, Event};
use crate::model::{Effect, ObjectId, ObjectKind};
use crate::parse::{ParsedStatement, parse_script};
use crate::split::SplitError;
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
    /// Tables the up touches that existed before this migration.
    pub preexisting_tables: HashSet<String>,
    /// Objects the up created that still exist after it, with the creating statement.
    pub created: Vec<(usize, ObjectId)>,
    /// Of `created`, what still exists after the down script.
    pub left_by_down: Vec<(usize, ObjectId)>,
    /// Down statements that drop something the up did not create.
    pub foreign_drops: Vec<(usize, ObjectId, ForeignDrop)>,
    /// Down statements that drop a table another table still references:
    /// (statement, table, referencing table, constraint).
    pub drop_order: Vec<(usize, String, String, String)>,
    /// Renames in the up (statement, from, to) that the down does not rename back.
    pub renames_not_reversed: Vec<(usize, ObjectId, ObjectId)>,
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
    let mut events = Vec::new();
    for (m, facts) in set.migrations.iter().zip(&mut migrations) {
        let version = m.version;
        let mut created_here: HashSet<ObjectId> = HashSet::new();
        let mut renames = Vec::new();
        for (i, effect) in facts.up.effects() {
            for table in tables_touched(effect) {
                let id = ObjectId::table(table);
                if catalog.exists(&id) && !created_here.contains(&id) {
                    facts.preexisting_tables.insert(table.to_owned());
                }
            }
            match effect {
                Effect::Create { object, .. } if !catalog.exists(object) => {
                    created_here.insert(object.clone());
                    facts.created.push((i, object.clone()));
                }
                Effect::Rename { from, to } if !created_here.contains(from) => {
                    renames.push((i, from.clone(), to.clone()));
                }
                _ => {}
            }
            events.clear();
            catalog.apply(effect, version, &mut events);
            for event in &events {
                if let Event::Missing(object) = event
                    && let Some(&later) = first_creator.get(object)
                    && later > version
                {
                    facts.used_before_created.push((i, object.clone(), later));
                }
            }
        }
        facts.created.retain(|(_, id)| catalog.exists(id));

        let Some(down) = &facts.down else { continue };
        if down.error.is_some() {
            continue;
        }
        let up_created: HashSet<&ObjectId> = facts.created.iter().map(|(_, id)| id).collect();
        let opaque_down = down.effects().any(|(_, e)| *e == Effect::Opaque);
        catalog.begin();
        for (k, effect) in down.effects() {
            if let Effect::Drop {
                object, if_exists, ..
            } = effect
                && !up_created.contains(object)
                && !dropped_with_container(object, &up_created)
                && !catalog.is_uncertain(object)
            {
                if catalog.exists(object) {
                    facts.foreign_drops.push((k, object.clone(), ForeignDrop::ExistedBefore));
                } else if !if_exists {
                    facts.foreign_drops.push((k, object.clone(), ForeignDrop::DoesNotExist));
                }
            }
            events.clear();
            catalog.apply(effect, version, &mut events);
            for event in &events {
                if let Event::DropReferenced {
                    table,
                    from,
                    constraint,
                } = event
                {
                    facts
                        .drop_order
                        .push((k, table.clone(), from.clone(), constraint.clone()));
                }
            }
        }
        if !opaque_down {
            facts.left_by_down = facts
                .created
                .iter()
                .filter(|(_, id)| catalog.exists(id) && !catalog.is_uncertain(id))
                .cloned()
                .collect();
            facts.renames_not_reversed = renames
                .into_iter()
                .filter(|(_, from, to)| {
                    !down.effects().any(|(_, e)| {
                        matches!(e, Effect::Rename { from: back_from, to: back_to } if back_from == to && back_to == from)
                    })
                })
                .collect();
        }
        catalog.rollback();
    }
    Analysis {
        dialect: Some(dialect),
        migrations,
    }
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
