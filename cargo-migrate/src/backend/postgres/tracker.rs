//! A snapshot of a scratch database kept up to date without reading everything again:
//! event triggers log what each DDL command touched (including everything a `CASCADE`
//! drops), and only those tables, plus the objects whose definitions name them, are read again.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::{PgConnection, Row};

use super::snapshot::{
    DOING, HELPER_SCHEMA, Map, Relations, read_extensions, read_functions, read_relations,
    read_schemas, read_sequences, read_types, read_views, relation_json, relations_where,
    tracking_oid,
};
use crate::error::{DbContext, Result};
use crate::snapshot::Snapshot;

/// What the event triggers need: a log table, two functions, two event triggers. Creating an
/// event trigger takes a superuser; without one, snapshots read everything every time. A
/// command on no catalog object (`GRANT`, whose privileges snapshots do not compare) comes
/// without a catalog and is not logged.
const INSTALL: &str = "
CREATE SCHEMA _cargo_migrate_verify;
CREATE UNLOGGED TABLE _cargo_migrate_verify.changes (
    classid oid NOT NULL, objid oid NOT NULL, object_type text NOT NULL, dropped boolean NOT NULL, names text[]
);
CREATE FUNCTION _cargo_migrate_verify.ddl_command_end() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO _cargo_migrate_verify.changes
    SELECT classid, objid, object_type, false, NULL FROM pg_event_trigger_ddl_commands()
     WHERE classid IS NOT NULL;
END $$;
CREATE FUNCTION _cargo_migrate_verify.sql_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO _cargo_migrate_verify.changes
    SELECT classid, objid, object_type, true, address_names FROM pg_event_trigger_dropped_objects();
END $$;
CREATE EVENT TRIGGER _cargo_migrate_verify_ddl ON ddl_command_end
    EXECUTE PROCEDURE _cargo_migrate_verify.ddl_command_end();
CREATE EVENT TRIGGER _cargo_migrate_verify_drop ON sql_drop
    EXECUTE PROCEDURE _cargo_migrate_verify.sql_drop();
";

/// Takes the change log. Each change row: catalog, oid, object type, dropped, address names,
/// the relation it belongs to and that relation's kind. The partitions (and inheritance
/// children) of a relation that changed come as change rows of their own: a column or an index
/// added to a partitioned table reaches each partition, and the event triggers name only the
/// table the command named. Then, in the same round trip, one `relation` row with the JSON
/// document of each relation that changed and still exists.
fn changes_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH RECURSIVE c AS (DELETE FROM {HELPER_SCHEMA}.changes RETURNING classid, objid, object_type, dropped, names),
owned AS (
    SELECT t.*, CASE
        WHEN t.dropped AND t.object_type = 'table column' THEN t.objid
        WHEN t.dropped AND array_length(t.names, 1) = 3
             AND t.object_type IN ('table constraint', 'trigger', 'default value', 'rule', 'policy')
            THEN to_regclass(format('%I.%I', t.names[1], t.names[2]))::oid
        WHEN t.dropped THEN NULL
        WHEN t.classid = 'pg_class'::regclass THEN
            (SELECT CASE WHEN x.relkind IN ('i', 'I')
                         THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = x.oid)
                         ELSE x.oid END
               FROM pg_class x WHERE x.oid = t.objid)
        WHEN t.classid = 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = t.objid)
        WHEN t.classid = 'pg_constraint'::regclass THEN (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = t.objid)
        WHEN t.classid = 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = t.objid)
        WHEN t.classid = 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = t.objid)
    END AS owner FROM c t
),
children(oid) AS (
    SELECT i.inhrelid FROM pg_inherits i
     WHERE i.inhparent = ANY (ARRAY(SELECT owner FROM owned WHERE owner IS NOT NULL))
    UNION
    SELECT i.inhrelid FROM pg_inherits i JOIN children d ON i.inhparent = d.oid
)
SELECT o.classid::regclass::text, o.objid::int8, o.object_type, o.dropped, o.names, o.owner::int8,
       (SELECT x.relkind::text FROM pg_class x WHERE x.oid = o.owner), NULL::text
  FROM owned o
UNION ALL
SELECT 'pg_class', d.oid::int8, 'table', false, NULL, d.oid::int8,
       (SELECT x.relkind::text FROM pg_class x WHERE x.oid = d.oid), NULL::text
  FROM children d
UNION ALL
SELECT 'relation', c.oid::int8, NULL, NULL, NULL, NULL, NULL, {json}::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY (ARRAY(SELECT owner FROM owned WHERE owner IS NOT NULL)
                    || ARRAY(SELECT oid FROM children)) AND {relations}",
            json = relation_json(),
            relations = relations_where(),
        )
    })
}

/// What a batch of changes makes stale.
#[derive(Debug, Default)]
struct Stale {
    everything: bool,
    /// Relations to read again (and those dropped, to forget).
    relations: BTreeSet<i64>,
    /// Relations dropped: not to be read again.
    gone: BTreeSet<i64>,
    extensions: bool,
    types: bool,
    sequences: bool,
    views: bool,
    functions: bool,
}

/// A snapshot of a scratch database kept up to date from the change log.
#[derive(Debug)]
pub(super) struct Tracker {
    table: String,
    tracking: i64,
    snapshot: Snapshot,
    /// Table oid → name, and back.
    tables: HashMap<i64, String>,
    table_oids: HashMap<String, i64>,
    /// Index oid → (name, oid of its relation).
    indexes: HashMap<i64, (String, i64)>,
    /// Trigger key → oid of its relation.
    triggers: HashMap<String, i64>,
    /// Table oid → its columns' numbers and names (to notice a renamed column).
    columns: HashMap<i64, Vec<(i64, String)>>,
}

impl Tracker {
    /// Installs the event triggers and reads the whole schema once. `None` when this role may
    /// not create event triggers.
    pub(super) async fn start(conn: &mut PgConnection, table: &str) -> Result<Option<Tracker>> {
        match sqlx::raw_sql(INSTALL).execute(&mut *conn).await {
            Ok(_) => {}
            // insufficient_privilege: not a superuser.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
                return Ok(None);
            }
            Err(e) => return Err(e).doing("recording schema changes in the scratch database"),
        }
        // The change query is large and runs thousands of times: plan it once, not on every
        // run (PostgreSQL 12 and later; older servers plan each time).
        sqlx::raw_sql(
            "SELECT set_config(name, 'force_generic_plan', false) FROM pg_settings WHERE name = 'plan_cache_mode'",
        )
        .execute(&mut *conn)
        .await
        .doing("recording schema changes in the scratch database")?;
        let mut tracker = Tracker {
            table: table.to_owned(),
            tracking: 0,
            snapshot: Snapshot::new("postgres"),
            tables: HashMap::new(),
            table_oids: HashMap::new(),
            indexes: HashMap::new(),
            triggers: HashMap::new(),
            columns: HashMap::new(),
        };
        tracker.reload(conn).await?;
        Ok(Some(tracker))
    }

    /// The schema now: what changed since the last call is read again.
    pub(super) async fn snapshot(&mut self, conn: &mut PgConnection) -> Result<Snapshot> {
        let (stale, fetched) = self.changes(conn).await?;
        if stale.everything || self.refresh(conn, &stale, fetched).await? {
            self.reload(conn).await?;
        }
        Ok(self.snapshot.clone())
    }

    async fn reload(&mut self, conn: &mut PgConnection) -> Result<()> {
        // Whatever the log holds is covered by reading everything.
        sqlx::raw_sql("DELETE FROM _cargo_migrate_verify.changes")
            .execute(&mut *conn)
            .await
            .doing(DOING)?;
        self.tracking = tracking_oid(conn, &self.table).await?;
        let mut s = Snapshot::new("postgres");
        s.schemas = read_schemas(conn, self.tracking).await?;
        s.extensions = read_extensions(conn, self.tracking).await?;
        s.types = read_types(conn, self.tracking).await?;
        s.sequences = read_sequences(conn, self.tracking).await?;
        s.views = read_views(conn, self.tracking).await?;
        s.functions = read_functions(conn, self.tracking).await?;
        self.snapshot = s;
        self.tables.clear();
        self.table_oids.clear();
        self.indexes.clear();
        self.triggers.clear();
        self.columns.clear();
        let relations = read_relations(conn, self.tracking, None).await?;
        self.add(relations);
        Ok(())
    }

    fn add(&mut self, relations: Relations) {
        for (oid, name, table) in relations.tables {
            self.tables.insert(oid, name.clone());
            self.table_oids.insert(name.clone(), oid);
            self.snapshot.tables.insert(name, Arc::new(table));
        }
        for (oid, owner, name, index) in relations.indexes {
            self.indexes.insert(oid, (name.clone(), owner));
            self.snapshot.indexes.insert(name, Arc::new(index));
        }
        for (owner, key, trigger) in relations.triggers {
            self.triggers.insert(key.clone(), owner);
            self.snapshot.triggers.insert(key, trigger);
        }
        self.columns.extend(relations.columns);
    }

    /// Reads and clears the change log: what it makes stale, and the relations the server
    /// already read again in the same round trip (with their oids).
    async fn changes(&mut self, conn: &mut PgConnection) -> Result<(Stale, Relations)> {
        let rows = sqlx::query(changes_sql())
            .bind(self.tracking)
            .fetch_all(&mut *conn)
            .await
            .doing("reading the schema changes of the scratch database")?;
        let mut stale = Stale::default();
        let mut fetched = Relations::default();
        for r in &rows {
            let catalog: String = r.try_get(0).doing(DOING)?;
            let objid: i64 = r.try_get(1).doing(DOING)?;
            if catalog == "relation" {
                fetched.parse(objid, &r.try_get::<String, _>(7).doing(DOING)?)?;
                continue;
            }
            let object_type: String = r.try_get(2).doing(DOING)?;
            let dropped: bool = r.try_get(3).doing(DOING)?;
            let names: Option<Vec<String>> = r.try_get(4).doing(DOING)?;
            let owner: Option<i64> = r.try_get(5).doing(DOING)?;
            let owner_kind: Option<String> = r.try_get(6).doing(DOING)?;
            match catalog.as_str() {
                "pg_namespace" => stale.everything = true,
                "pg_extension" => stale.extensions = true,
                "pg_proc" => stale.functions = true,
                // A dropped table takes its row type along; only types a snapshot lists matter.
                "pg_type" if dropped => {
                    let name = names.as_deref().and_then(<[String]>::first);
                    let listed = name.is_some_and(|n| {
                        self.snapshot.types.contains_key(n)
                            || n.split_once('.')
                                .is_some_and(|(_, bare)| self.snapshot.types.contains_key(bare))
                    });
                    stale.types |= listed;
                }
                "pg_type" => stale.types = true,
                _ => {}
            }
            if let Some(owner) = owner {
                match owner_kind.as_deref() {
                    Some("r" | "p" | "f") => {
                        stale.relations.insert(owner);
                    }
                    Some("v" | "m") => {
                        stale.views = true;
                        stale.relations.insert(owner);
                    }
                    Some("S") => stale.sequences = true,
                    Some("c") => stale.types = true,
                    _ => {}
                }
            } else if !dropped && catalog == "pg_constraint" {
                stale.types = true; // a domain's constraint
            }
            if !dropped {
                continue;
            }
            match (catalog.as_str(), object_type.as_str()) {
                ("pg_class", "table" | "foreign table" | "table column") => {
                    stale.relations.insert(objid);
                    if object_type != "table column" {
                        stale.gone.insert(objid);
                    }
                }
                ("pg_class", "index") => {
                    if let Some((_, owner)) = self.indexes.get(&objid) {
                        stale.relations.insert(*owner);
                    }
                }
                ("pg_class", "view" | "materialized view") => {
                    stale.views = true;
                    stale.relations.insert(objid);
                    stale.gone.insert(objid);
                }
                ("pg_class", "sequence") => stale.sequences = true,
                ("pg_class", "composite type") => stale.types = true,
                (_, "domain constraint") => stale.types = true,
                _ => {}
            }
        }
        Ok((stale, fetched))
    }

    /// Forgets what `stale` names and puts in what was read again (reading what the server did
    /// not already send: the tables of dropped indexes, and whole kinds). Returns whether
    /// something was renamed: the definitions of other objects that name it (foreign keys,
    /// views, triggers, defaults, column types) changed too, so everything is read again.
    async fn refresh(
        &mut self,
        conn: &mut PgConnection,
        stale: &Stale,
        mut fetched: Relations,
    ) -> Result<bool> {
        let t = self.tracking;
        let mut renamed = false;
        if stale.extensions {
            self.snapshot.extensions = read_extensions(conn, t).await?;
        }
        if stale.types {
            let types = read_types(conn, t).await?;
            renamed |= lost_and_gained(&self.snapshot.types, &types);
            self.snapshot.types = types;
        }
        if stale.sequences {
            let sequences = read_sequences(conn, t).await?;
            renamed |= lost_and_gained(&self.snapshot.sequences, &sequences);
            self.snapshot.sequences = sequences;
        }
        if stale.views {
            // All views are read again, so one that names a renamed view is up to date.
            self.snapshot.views = read_views(conn, t).await?;
        }
        if stale.functions {
            let functions = read_functions(conn, t).await?;
            renamed |= lost_and_gained(&self.snapshot.functions, &functions);
            self.snapshot.functions = functions;
        }
        if stale.relations.is_empty() {
            return Ok(renamed);
        }
        let mut previous = Vec::new();
        for oid in &stale.relations {
            let name = self.tables.remove(oid);
            if let Some(name) = &name {
                self.snapshot.tables.remove(name);
                self.table_oids.remove(name);
            }
            previous.push((*oid, name, self.columns.remove(oid)));
        }
        let snapshot = &mut self.snapshot;
        self.indexes.retain(|_, (name, owner)| {
            let keep = !stale.relations.contains(owner);
            if !keep {
                snapshot.indexes.remove(name);
            }
            keep
        });
        self.triggers.retain(|key, owner| {
            let keep = !stale.relations.contains(owner);
            if !keep {
                snapshot.triggers.remove(key);
            }
            keep
        });
        let read = std::mem::take(&mut fetched.read);
        self.add(fetched);
        let missing: Vec<i64> = stale
            .relations
            .iter()
            .filter(|oid| !read.contains(oid) && !stale.gone.contains(oid))
            .copied()
            .collect();
        if !missing.is_empty() {
            let relations = read_relations(conn, t, Some(&missing)).await?;
            self.add(relations);
        }
        // A table with another name, or a column number with another name: renamed.
        for (oid, name, columns) in previous {
            if let (Some(old), Some(new)) = (name, self.tables.get(&oid)) {
                renamed |= old != *new;
            }
            if let (Some(old), Some(new)) = (columns, self.columns.get(&oid)) {
                renamed |= old
                    .iter()
                    .any(|(n, name)| new.iter().any(|(m, other)| m == n && other != name));
            }
        }
        Ok(renamed)
    }
}

/// Whether a kind lost a name and gained another: perhaps a rename.
fn lost_and_gained<T>(old: &Map<T>, new: &Map<T>) -> bool {
    old.keys().any(|k| !new.contains_key(k)) && new.keys().any(|k| !old.contains_key(k))
}
