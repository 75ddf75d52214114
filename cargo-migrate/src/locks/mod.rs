//! Lock tracing (`verify --locks`): what each statement of an up script really locks and
//! whether it writes a table anew, read from the server between its statements
//! ([`crate::session::Session::trace`]), next to what build-support's lock model predicts, and
//! where the two disagree ("model gaps").
//!
//! Locks accumulate until the transaction ends, so a statement's own locks are the difference
//! from before it: each relation on which it holds a mode it did not hold before, with the
//! strongest such mode. A mode the transaction already held is not seen again (a second
//! `ALTER TABLE` of one table shows nothing new), and the relations a statement creates are
//! left out: nobody else can see them before the commit. A table whose storage changed was
//! written anew, except by `TRUNCATE` (and `REFRESH MATERIALIZED VIEW … WITH NO DATA`), which
//! gives it new, empty storage without writing a row.
//!
//! A model gap is a traced lock stronger than the model's prediction for that relation, a lock
//! that blocks writes on a table the prediction does not name (dropping a foreign key locks the
//! table it references, which the statement does not name), or a table written anew where the
//! model said it is not. An index's table counts as named by a prediction for the index
//! (`DROP INDEX` and `REINDEX INDEX` lock the table too), a table's indexes and partitions by a
//! prediction for the table; weaker locks on other relations (the referenced table an `INSERT`
//! checks, a sequence a default calls) are shown and not compared.

use std::collections::HashMap;
use std::ops::Range;

use build_support::lock_model::{Prediction, Relation, Rewrite, ServerVersion, predict};
use build_support::{Dialect, LockMode, Op, ParsedStatement, parse_script};

use crate::backend::{HeldRelation, RelationKind};

/// What the session read while it ran a script in a transaction it then rolled back:
/// `states[0]` before the first statement, `states[i + 1]` after statement `i`.
#[derive(Debug)]
pub struct ScriptTrace {
    pub states: Vec<Vec<HeldRelation>>,
    /// The statement that failed (the trace stops there) and the server's message.
    pub failed: Option<(usize, String)>,
}

/// The locks of one migration's up script.
#[derive(Debug)]
pub enum MigrationLocks {
    /// A `no-transaction` script: its statements cannot be traced in a transaction.
    NotTraced,
    Traced {
        statements: Vec<TracedStatement>,
        /// The statement that failed, where the trace stopped, and why.
        failed: Option<(usize, String)>,
    },
}

impl MigrationLocks {
    /// The model gaps of every statement.
    pub fn gaps(&self) -> impl Iterator<Item = (&TracedStatement, &Gap)> {
        let statements = match self {
            MigrationLocks::NotTraced => &[][..],
            MigrationLocks::Traced { statements, .. } => statements.as_slice(),
        };
        statements
            .iter()
            .flat_map(|s| s.gaps.iter().map(move |g| (s, g)))
    }
}

/// One statement: where it is, what it took, what the model said.
#[derive(Debug)]
pub struct TracedStatement {
    /// Its byte range in the script.
    pub span: Range<usize>,
    /// Its 1-based line in the script.
    pub line: usize,
    /// The relations it locked that existed before it, with the strongest mode it newly
    /// holds on each, strongest first.
    pub locks: Vec<TracedLock>,
    /// The relations the predictions name that it took nothing new on, because the
    /// transaction already held that mode or a stronger one (a table an earlier statement of
    /// the script created or locked), with the strongest mode held.
    pub held_already: Vec<TracedLock>,
    /// The tables it wrote anew (their storage changed).
    pub rewritten: Vec<String>,
    /// Whether the lock model has an entry for the statement (it has operations in the
    /// model's terms, though they may lock nothing that existed before, as `CREATE TABLE`).
    pub modelled: bool,
    /// The model's prediction for each of its operations it has one for.
    pub predictions: Vec<Prediction>,
    pub gaps: Vec<Gap>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedLock {
    pub relation: String,
    pub kind: RelationKind,
    pub mode: LockMode,
}

/// Where the server took more than the lock model predicted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    /// A lock on a relation the prediction names, stronger than predicted.
    Stronger {
        relation: String,
        kind: RelationKind,
        traced: LockMode,
        predicted: LockMode,
    },
    /// A lock that blocks writes on a table no prediction of the statement names (or on any
    /// table, for a statement the model has no entry for).
    Unnamed { relation: String, traced: LockMode },
    /// The table was written anew; the model said no operation of the statement rewrites.
    Rewrote { table: String },
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::Stronger {
                relation,
                kind,
                traced,
                predicted,
            } => write!(
                f,
                "the server took {} on {} {relation}, the lock model predicted {}",
                traced.as_str(),
                kind.as_str(),
                predicted.as_str()
            ),
            Gap::Unnamed { relation, traced } => write!(
                f,
                "the server took {} on table {relation}, which the lock model does not name for this statement",
                traced.as_str()
            ),
            Gap::Rewrote { table } => write!(
                f,
                "the server wrote table {table} anew, the lock model predicted no rewrite"
            ),
        }
    }
}

impl TracedStatement {
    /// The statement's rewrite as the model says: yes when one of its operations rewrites, no
    /// when none does, else why it depends.
    pub fn predicted_rewrite(&self) -> Rewrite {
        let rewrites = self.predictions.iter().map(|p| p.rewrite);
        if rewrites.clone().any(|r| r == Rewrite::Yes) {
            Rewrite::Yes
        } else {
            rewrites
                .into_iter()
                .find(|r| matches!(r, Rewrite::Unless(_)))
                .unwrap_or(Rewrite::No)
        }
    }
}

/// The statements of `script` (an up script's text) as traced, with the model's predictions on
/// PostgreSQL at `version` and the gaps between the two. `analysed` is the script's statements
/// as the replay of the migration set analysed them ([`build_support::analysis::analyze`]),
/// with what their operations reach that they do not name resolved from the schema before
/// them; when it is empty the script is parsed here, and those stay unresolved.
pub fn statements(
    script: &str,
    analysed: &[ParsedStatement],
    trace: &ScriptTrace,
    version: ServerVersion,
) -> Vec<TracedStatement> {
    // Split as the migrator split it: the same splitter, so statement `i` is the same.
    let parsed_here;
    let parsed: &[ParsedStatement] = if analysed.is_empty() {
        parsed_here = parse_script(script, Dialect::Postgres).unwrap_or_default();
        &parsed_here
    } else {
        analysed
    };
    trace
        .states
        .windows(2)
        .zip(parsed)
        .map(|(states, statement)| {
            let (before, after) = (&states[0], &states[1]);
            let predictions: Vec<Prediction> = statement
                .ops
                .iter()
                .filter_map(|op| predict(op, Dialect::Postgres, version))
                .collect();
            let truncate = statement.ops.iter().any(|op| {
                matches!(
                    op,
                    Op::Truncate { .. }
                        | Op::RefreshMaterializedView {
                            with_data: false,
                            ..
                        }
                )
            });
            let (locks, rewritten) = between(before, after, truncate);
            let gaps = gaps(before, &locks, &rewritten, &predictions);
            let held_already = held_already(before, &locks, &predictions);
            TracedStatement {
                span: statement.span.clone(),
                line: build_support::line_col(script, statement.span.start).0,
                locks,
                held_already,
                rewritten,
                modelled: !statement.ops.is_empty(),
                predictions,
                gaps,
            }
        })
        .collect()
}

/// What one statement took, from the states before and after it: the relations that existed
/// before with the strongest mode newly held on each, and the tables whose storage changed
/// (none for a `TRUNCATE`, which gives every table it empties, those its `CASCADE` reaches too,
/// new storage without writing a row, nor for a `REFRESH MATERIALIZED VIEW … WITH NO DATA`).
pub fn between(
    before: &[HeldRelation],
    after: &[HeldRelation],
    truncate: bool,
) -> (Vec<TracedLock>, Vec<String>) {
    let before_by_id: HashMap<i64, &HeldRelation> = before.iter().map(|r| (r.id, r)).collect();
    let after_by_id: HashMap<i64, &HeldRelation> = after.iter().map(|r| (r.id, r)).collect();
    let mut locks: Vec<TracedLock> = after
        .iter()
        .filter_map(|now| {
            let was = before_by_id.get(&now.id)?;
            let mode = now
                .modes
                .iter()
                .filter(|m| !was.modes.contains(m))
                .max()
                .copied()?;
            // As the statement named it: a renamed table keeps its old name here.
            Some(TracedLock {
                relation: was.name.clone().or_else(|| now.name.clone())?,
                kind: was.kind,
                mode,
            })
        })
        .collect();
    locks.sort_by(|a, b| {
        b.mode
            .cmp(&a.mode)
            .then_with(|| a.relation.cmp(&b.relation))
    });
    let rewritten = before
        .iter()
        .filter(|was| !truncate && was.kind == RelationKind::Table && was.storage != 0)
        .filter_map(|was| {
            let now = after_by_id.get(&was.id)?;
            let name = was.name.as_deref()?;
            (now.storage != 0 && now.storage != was.storage).then(|| name.to_owned())
        })
        .collect();
    (locks, rewritten)
}

/// The strongest mode `predictions` allow on `lock`'s relation, `None` when none of them names
/// it: the mode predicted for the relation itself; for an index, also for its table (and what a
/// prediction for that table says of each of its indexes); for a table, also for its indexes
/// and, for a partition, for the partitioned tables above it (`before` says which is whose).
pub fn predicted_for(
    lock: &TracedLock,
    before: &[HeldRelation],
    predictions: &[Prediction],
) -> Option<LockMode> {
    let named = |kind: Relation, name: &str| {
        predictions
            .iter()
            .flat_map(|p| &p.locks)
            .filter(|l| l.relation == kind && l.name == name)
            .map(|l| l.mode)
            .max()
    };
    let each_index = |table: &str| {
        predictions
            .iter()
            .filter(|p| {
                p.locks
                    .iter()
                    .any(|l| l.relation == Relation::Table && l.name == table)
            })
            .filter_map(|p| p.each_index)
            .max()
    };
    let kind = match lock.kind {
        RelationKind::Table => RelationKind::Table,
        RelationKind::Index => RelationKind::Index,
        _ => return None,
    };
    let relation = before
        .iter()
        .find(|r| r.kind == kind && r.name.as_deref() == Some(lock.relation.as_str()))?;
    let by_id = |id: Option<i64>| before.iter().find(|r| Some(r.id) == id);
    let mut modes: Vec<LockMode> = Vec::new();
    if kind == RelationKind::Index {
        modes.extend(named(Relation::Index, &lock.relation));
        if let Some(table) = by_id(relation.owner).and_then(|t| t.name.as_deref()) {
            modes.extend(named(Relation::Table, table));
            modes.extend(each_index(table));
        }
    } else {
        modes.extend(named(Relation::Table, &lock.relation));
        modes.extend(
            before
                .iter()
                .filter(|r| r.kind == RelationKind::Index && r.owner == Some(relation.id))
                .filter_map(|r| r.name.as_deref())
                .filter_map(|index| named(Relation::Index, index)),
        );
        // Up the partition tree: an ALTER of a partitioned table locks its partitions alike.
        let mut above = by_id(relation.owner);
        let mut depth = 0;
        while let Some(parent) = above
            && depth < 32
        {
            modes.extend(
                parent
                    .name
                    .as_deref()
                    .and_then(|p| named(Relation::Table, p)),
            );
            above = by_id(parent.owner);
            depth += 1;
        }
    }
    modes.into_iter().max()
}

/// The relations `predictions` name, not among `locks`, on which `before` shows the
/// transaction holding the predicted mode or a stronger one already.
fn held_already(
    before: &[HeldRelation],
    locks: &[TracedLock],
    predictions: &[Prediction],
) -> Vec<TracedLock> {
    let mut held: Vec<TracedLock> = Vec::new();
    for lock in predictions.iter().flat_map(|p| &p.locks) {
        let kind = match lock.relation {
            Relation::Table => RelationKind::Table,
            Relation::Index => RelationKind::Index,
        };
        let took = |l: &TracedLock| l.kind == kind && l.relation == lock.name;
        if locks.iter().any(took) || held.iter().any(took) {
            continue;
        }
        let strongest = before
            .iter()
            .find(|r| r.kind == kind && r.name.as_deref() == Some(lock.name.as_str()))
            .and_then(|r| r.modes.iter().max().copied());
        if let Some(mode) = strongest.filter(|m| *m >= lock.mode) {
            held.push(TracedLock {
                relation: lock.name.clone(),
                kind,
                mode,
            });
        }
    }
    held
}

fn gaps(
    before: &[HeldRelation],
    locks: &[TracedLock],
    rewritten: &[String],
    predictions: &[Prediction],
) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = locks
        .iter()
        .filter_map(|lock| match predicted_for(lock, before, predictions) {
            Some(predicted) => (lock.mode > predicted).then(|| Gap::Stronger {
                relation: lock.relation.clone(),
                kind: lock.kind,
                traced: lock.mode,
                predicted,
            }),
            None => (lock.kind == RelationKind::Table && lock.mode.blocks_writes()).then(|| {
                Gap::Unnamed {
                    relation: lock.relation.clone(),
                    traced: lock.mode,
                }
            }),
        })
        .collect();
    if !predictions.is_empty() && predictions.iter().all(|p| p.rewrite == Rewrite::No) {
        gaps.extend(rewritten.iter().map(|t| Gap::Rewrote { table: t.clone() }));
    }
    gaps
}

#[cfg(test)]
mod tests;
