//! The PostgreSQL schema snapshot, from pg_catalog: the server renders every definition itself
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
//! `pg_get_triggerdef`, `pg_get_functiondef`), so equal objects print equal text.
//!
//! Left out: system schemas, objects that belong to an extension (the extension itself is
//! listed), the tracking table, identity sequences (they are part of their column), indexes
//! that implement a primary key, unique or exclusion constraint (the constraint is listed), and
//! internal triggers (foreign keys).
//!
//! [`Tracker`] keeps a snapshot up to date in a scratch database without reading everything
//! again: event triggers log what each DDL command touched (including everything a `CASCADE`
//! drops), and only those tables, plus the objects whose definitions name them, are read again.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::backend::quote_table;
use crate::error::{DbContext, Error, Result};
use crate::snapshot::{
    Column, Constraint, ConstraintKind, Extension, Function, Index, Sequence, Snapshot, Table,
    Trigger, Type, View,
};

/// The schema the change log lives in (scratch databases only); never part of a snapshot.
const HELPER_SCHEMA: &str = "_cargo_migrate_verify";

const DOING: &str = "reading the schema from pg_catalog";

/// User schemas only (`n` is the pg_namespace alias).
fn user_schema(n: &str) -> String {
    format!(
        "{n}.nspname NOT IN ('pg_catalog', 'information_schema', '{HELPER_SCHEMA}') \
         AND {n}.nspname NOT LIKE 'pg\\_toast%' AND {n}.nspname NOT LIKE 'pg\\_temp\\_%'"
    )
}

/// Not created by an extension (`catalog` is the object's catalog, `oid` its oid expression).
fn not_extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// The name as the user sees it: bare in the connection's default schema, else qualified.
fn shown(n: &str, name: &str) -> String {
    format!(
        "(CASE WHEN {n}.nspname = current_schema() THEN {name}::text \
         ELSE {n}.nspname || '.' || {name} END)"
    )
}

/// `AND <column> = ANY($2)` when reading only some relations.
fn only(column: &str, filter: Option<&[i64]>) -> String {
    match filter {
        Some(_) => format!("AND {column} = ANY($2::int8[]::oid[])"),
        None => String::new(),
    }
}

/// Runs one catalog query with the tracking table's oid as `$1` (and the relations as `$2`).
async fn fetch(
    conn: &mut PgConnection,
    sql: &str,
    tracking: i64,
    filter: Option<&[i64]>,
) -> Result<Vec<PgRow>> {
    let query = sqlx::query(sql).bind(tracking);
    let query = match filter {
        Some(oids) => query.bind(oids),
        None => query,
    };
    query.fetch_all(&mut *conn).await.doing(DOING)
}

async fn tracking_oid(conn: &mut PgConnection, table: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT coalesce(to_regclass($1)::oid::int8, 0)")
        .bind(quote_table(table, '"'))
        .fetch_one(&mut *conn)
        .await
        .doing(DOING)
}

/// Reads the whole schema in one read-only transaction, so that every query sees the same
/// state of a database that others may be changing. `table` is the tracking table, left out.
pub(super) async fn read(conn: &mut PgConnection, table: &str) -> Result<Snapshot> {
    // The catalog queries are large and run often (verify): plan them once per connection
    // (PostgreSQL 12 and later have the setting; older servers plan each time).
    sqlx::raw_sql(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
         SELECT set_config(name, 'force_generic_plan', true) FROM pg_settings WHERE name = 'plan_cache_mode'",
    )
    .execute(&mut *conn)
    .await
    .doing(DOING)?;
    let snapshot = read_all(conn, table).await;
    let ended = sqlx::raw_sql("COMMIT").execute(&mut *conn).await;
    let snapshot = snapshot?;
    ended.doing(DOING)?;
    Ok(snapshot)
}

async fn read_all(conn: &mut PgConnection, table: &str) -> Result<Snapshot> {
    let tracking = tracking_oid(conn, table).await?;
    let mut s = Snapshot::new("postgres");
    s.schemas = read_schemas(conn, tracking).await?;
    s.extensions = read_extensions(conn, tracking).await?;
    s.types = read_types(conn, tracking).await?;
    s.sequences = read_sequences(conn, tracking).await?;
    s.views = read_views(conn, tracking).await?;
    s.functions = read_functions(conn, tracking).await?;
    let relations = read_relations(conn, tracking, None).await?;
    relations.add_to(&mut s);
    Ok(s)
}

type Map<T> = std::collections::BTreeMap<String, T>;

async fn read_schemas(conn: &mut PgConnection, tracking: i64) -> Result<BTreeSet<String>> {
    let sql = format!(
        "SELECT n.nspname::text FROM pg_namespace n \
         WHERE {} AND n.nspname <> 'public' AND {} AND $1::int8 IS NOT NULL",
        user_schema("n"),
        not_extension_member("pg_namespace", "n.oid")
    );
    fetch(conn, &sql, tracking, None)
        .await?
        .iter()
        .map(|r| r.try_get(0).doing(DOING))
        .collect()
}

async fn read_extensions(conn: &mut PgConnection, tracking: i64) -> Result<Map<Extension>> {
    let sql = "SELECT e.extname::text, e.extversion, n.nspname::text, $1::int8 FROM pg_extension e \
               JOIN pg_namespace n ON n.oid = e.extnamespace";
    let mut out = Map::new();
    for r in fetch(conn, sql, tracking, None).await? {
        out.insert(
            r.try_get(0).doing(DOING)?,
            Extension {
                version: r.try_get(1).doing(DOING)?,
                schema: r.try_get(2).doing(DOING)?,
            },
        );
    }
    Ok(out)
}

/// Enums, domains, composite and range types.
async fn read_types(conn: &mut PgConnection, tracking: i64) -> Result<Map<Type>> {
    let sql = format!(
        "SELECT t.typtype::text, {name},
            CASE t.typtype
              WHEN 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
              WHEN 'c' THEN ARRAY(SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                                  WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
              WHEN 'd' THEN ARRAY(SELECT k.conname || ' ' || pg_get_constraintdef(k.oid, true) FROM pg_constraint k
                                  WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname)
            END,
            CASE t.typtype
              WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
              WHEN 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
            END,
            t.typnotnull, t.typdefault
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE (t.typtype IN ('e', 'd', 'r')
                OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
           AND {user} AND {ext} AND $1::int8 IS NOT NULL",
        name = shown("n", "t.typname"),
        user = user_schema("n"),
        ext = not_extension_member("pg_type", "t.oid"),
    );
    let mut out = Map::new();
    for r in fetch(conn, &sql, tracking, None).await? {
        let kind: String = r.try_get(0).doing(DOING)?;
        let list: Option<Vec<String>> = r.try_get(2).doing(DOING)?;
        let base: Option<String> = r.try_get(3).doing(DOING)?;
        let t = match kind.as_str() {
            "e" => Type::Enum {
                values: list.unwrap_or_default(),
            },
            "c" => Type::Composite {
                attributes: list.unwrap_or_default(),
            },
            "d" => Type::Domain {
                base: base.unwrap_or_default(),
                not_null: r.try_get(4).doing(DOING)?,
                default: r.try_get(5).doing(DOING)?,
                checks: list
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| match c.split_once(' ') {
                        Some((n, d)) => (n.to_owned(), d.to_owned()),
                        None => (c, String::new()),
                    })
                    .collect(),
            },
            _ => Type::Range {
                subtype: base.unwrap_or_default(),
            },
        };
        out.insert(r.try_get(1).doing(DOING)?, t);
    }
    Ok(out)
}

/// Sequences, but not identity sequences (internal to their column).
async fn read_sequences(conn: &mut PgConnection, tracking: i64) -> Result<Map<Sequence>> {
    let sql = format!(
        "SELECT {name}, format_type(q.seqtypid, NULL), q.seqstart::text, q.seqincrement::text,
            q.seqmin::text, q.seqmax::text, q.seqcache::text, q.seqcycle,
            (SELECT {owner} || '.' || a.attname FROM pg_depend d
               JOIN pg_class oc ON oc.oid = d.refobjid JOIN pg_namespace o ON o.oid = oc.relnamespace
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                AND d.refclassid = 'pg_class'::regclass LIMIT 1)
         FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {user} AND c.oid <> $1::int8::oid
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                           AND d.objid = c.oid AND d.deptype IN ('i', 'e'))",
        name = shown("n", "c.relname"),
        owner = shown("o", "oc.relname"),
        user = user_schema("n"),
    );
    let mut out = Map::new();
    for r in fetch(conn, &sql, tracking, None).await? {
        out.insert(
            r.try_get(0).doing(DOING)?,
            Sequence {
                data_type: r.try_get(1).doing(DOING)?,
                start: r.try_get(2).doing(DOING)?,
                increment: r.try_get(3).doing(DOING)?,
                min: r.try_get(4).doing(DOING)?,
                max: r.try_get(5).doing(DOING)?,
                cache: r.try_get(6).doing(DOING)?,
                cycle: r.try_get(7).doing(DOING)?,
                owned_by: r.try_get(8).doing(DOING)?,
            },
        );
    }
    Ok(out)
}

/// Views and materialized views.
async fn read_views(conn: &mut PgConnection, tracking: i64) -> Result<Map<View>> {
    let sql = format!(
        "SELECT {name}, c.relkind = 'm', pg_get_viewdef(c.oid, true)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('v', 'm') AND {user} AND {ext} AND $1::int8 IS NOT NULL",
        name = shown("n", "c.relname"),
        user = user_schema("n"),
        ext = not_extension_member("pg_class", "c.oid"),
    );
    let mut out = Map::new();
    for r in fetch(conn, &sql, tracking, None).await? {
        out.insert(
            r.try_get(0).doing(DOING)?,
            View {
                materialized: r.try_get(1).doing(DOING)?,
                definition: r.try_get(2).doing(DOING)?,
            },
        );
    }
    Ok(out)
}

/// Functions and procedures, by name and argument types.
async fn read_functions(conn: &mut PgConnection, tracking: i64) -> Result<Map<Function>> {
    let sql = format!(
        "SELECT {name} || '(' || pg_get_function_identity_arguments(p.oid) || ')',
            CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                           WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
            CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END,
            l.lanname::text,
            CASE WHEN p.prokind = 'a' THEN
              (SELECT format('SFUNC = %s, STYPE = %s, FINALFUNC = %s, INITCOND = %s', a.aggtransfn::regproc,
                             format_type(a.aggtranstype, NULL), a.aggfinalfn::regproc, a.agginitval)
                 FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
              ELSE pg_get_functiondef(p.oid) END
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
         WHERE {user} AND {ext} AND $1::int8 IS NOT NULL",
        name = shown("n", "p.proname"),
        user = user_schema("n"),
        ext = not_extension_member("pg_proc", "p.oid"),
    );
    let mut out = Map::new();
    for r in fetch(conn, &sql, tracking, None).await? {
        out.insert(
            r.try_get(0).doing(DOING)?,
            Function {
                kind: r.try_get(1).doing(DOING)?,
                returns: r.try_get(2).doing(DOING)?,
                language: r.try_get(3).doing(DOING)?,
                definition: r
                    .try_get::<Option<String>, _>(4)
                    .doing(DOING)?
                    .unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// Tables with their columns and constraints, and the indexes and triggers of any relation,
/// each with the oid of the relation it belongs to.
#[derive(Debug, Default)]
struct Relations {
    /// (oid, name, table)
    tables: Vec<(i64, String, Table)>,
    /// (index oid, owner oid, name, index)
    indexes: Vec<(i64, i64, String, Index)>,
    /// (owner oid, key, trigger)
    triggers: Vec<(i64, String, Trigger)>,
    /// Every relation read, views without indexes or triggers included.
    read: BTreeSet<i64>,
    /// (table oid, its columns' numbers and names)
    columns: Vec<(i64, Vec<(i64, String)>)>,
}

impl Relations {
    fn add_to(self, s: &mut Snapshot) {
        s.tables.extend(
            self.tables
                .into_iter()
                .map(|(_, name, t)| (name, Arc::new(t))),
        );
        s.indexes.extend(
            self.indexes
                .into_iter()
                .map(|(_, _, name, i)| (name, Arc::new(i))),
        );
        s.triggers
            .extend(self.triggers.into_iter().map(|(_, key, t)| (key, t)));
    }
}

/// One relation as the relation query returns it (JSON built by the server).
#[derive(Debug, serde::Deserialize)]
struct RelationRow {
    name: String,
    kind: String,
    persistence: String,
    partition_key: Option<String>,
    partition_of: Option<String>,
    row_security: bool,
    inherits: Option<String>,
    /// number, name, type, not null, default, identity, generated, collation
    #[allow(clippy::type_complexity)]
    columns: Option<
        Vec<(
            i64,
            String,
            String,
            bool,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        )>,
    >,
    /// name, kind, definition
    constraints: Option<Vec<(String, String, String)>>,
    /// oid, name, unique, method, key columns, predicate, definition
    #[allow(clippy::type_complexity)]
    indexes: Option<
        Vec<(
            i64,
            String,
            bool,
            String,
            Vec<String>,
            Option<String>,
            String,
        )>,
    >,
    /// name, definition
    triggers: Option<Vec<(String, String)>>,
}

/// Reads the tables (plain, partitioned, foreign) with their columns and constraints, and the
/// indexes and triggers of tables and views: all of them, or the relations among `filter`.
async fn read_relations(
    conn: &mut PgConnection,
    tracking: i64,
    filter: Option<&[i64]>,
) -> Result<Relations> {
    let sql = format!(
        "SELECT c.oid::int8, {json}::text
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {relations} {only}",
        json = relation_json(),
        relations = relations_where(),
        only = only("c.oid", filter),
    );
    let mut out = Relations::default();
    for r in fetch(conn, &sql, tracking, filter).await? {
        out.parse(
            r.try_get(0).doing(DOING)?,
            &r.try_get::<String, _>(1).doing(DOING)?,
        )?;
    }
    Ok(out)
}

/// The relations a snapshot covers (`c` and `n` are pg_class and pg_namespace, `$1` is the
/// tracking table's oid).
fn relations_where() -> String {
    format!(
        "c.relkind IN ('r', 'p', 'f', 'v', 'm') AND {user} AND c.oid <> $1::int8::oid AND {ext}",
        user = user_schema("n"),
        ext = not_extension_member("pg_class", "c.oid"),
    )
}

/// One relation as a JSON document ([`RelationRow`]) built from correlated subqueries, so that
/// reading a few relations is a few index lookups whatever the size of the catalogs.
fn relation_json() -> String {
    format!(
        "json_build_object(
            'name', {name},
            'kind', c.relkind,
            'persistence', c.relpersistence,
            'partition_key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
            'partition_of', CASE WHEN c.relispartition THEN
                (SELECT {parent} FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent
                   JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE h.inhrelid = c.oid LIMIT 1)
                || ' ' || pg_get_expr(c.relpartbound, c.oid) END,
            'row_security', c.relrowsecurity,
            'inherits', CASE WHEN NOT c.relispartition THEN
                (SELECT string_agg({parent}, ', ' ORDER BY h.inhseqno) FROM pg_inherits h
                   JOIN pg_class pc ON pc.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                  WHERE h.inhrelid = c.oid) END,
            'columns', CASE WHEN c.relkind IN ('r', 'p', 'f') THEN
                (SELECT json_agg(json_build_array(
                    a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                    CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
                    CASE a.attgenerated WHEN 's' THEN '(' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED' END,
                    CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname::text END))
                   FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                   LEFT JOIN pg_collation co ON co.oid = a.attcollation
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) END,
            'constraints', CASE WHEN c.relkind IN ('r', 'p', 'f') THEN
                (SELECT json_agg(json_build_array(k.conname, k.contype, pg_get_constraintdef(k.oid, true)))
                   FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'f', 'c', 'x')) END,
            'indexes', (SELECT json_agg(json_build_array(
                    ic.oid::int8, {index}, i.indisunique, am.amname,
                    ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                    pg_get_expr(i.indpred, i.indrelid, true), pg_get_indexdef(i.indexrelid)))
                   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                   JOIN pg_namespace icn ON icn.oid = ic.relnamespace JOIN pg_am am ON am.oid = ic.relam
                  WHERE i.indrelid = c.oid
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                    AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))),
            'triggers', (SELECT json_agg(json_build_array(g.tgname, pg_get_triggerdef(g.oid, true)))
                   FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal)
         )",
        name = shown("n", "c.relname"),
        parent = shown("pn", "pc.relname"),
        index = shown("icn", "ic.relname"),
    )
}

impl Relations {
    /// Adds one relation from its JSON document.
    fn parse(&mut self, oid: i64, json: &str) -> Result<()> {
        let out = self;
        out.read.insert(oid);
        let row: RelationRow = serde_json::from_str(json).map_err(|e| Error::Database {
            doing: DOING.to_owned(),
            source: sqlx::Error::Decode(Box::new(e)),
        })?;
        for (index_oid, name, unique, method, columns, predicate, definition) in
            row.indexes.unwrap_or_default()
        {
            out.indexes.push((
                index_oid,
                oid,
                name,
                Index {
                    table: row.name.clone(),
                    unique,
                    method,
                    columns,
                    predicate,
                    definition: Some(definition),
                },
            ));
        }
        for (name, definition) in row.triggers.unwrap_or_default() {
            out.triggers.push((
                oid,
                format!("{}.{name}", row.name),
                Trigger {
                    name,
                    table: row.name.clone(),
                    definition,
                },
            ));
        }
        if !matches!(row.kind.as_str(), "r" | "p" | "f") {
            return Ok(()); // a view: only its indexes and triggers are read here
        }
        let mut t = Table::default();
        match row.kind.as_str() {
            "p" => t
                .properties
                .insert("kind".into(), "partitioned table".into()),
            "f" => t.properties.insert("kind".into(), "foreign table".into()),
            _ => None,
        };
        if row.persistence == "u" {
            t.properties.insert("unlogged".into(), "yes".into());
        }
        for (name, value) in [
            ("partition key", row.partition_key),
            ("partition of", row.partition_of),
            ("inherits", row.inherits),
        ] {
            if let Some(v) = value {
                t.properties.insert(name.into(), v);
            }
        }
        if row.row_security {
            t.properties
                .insert("row level security".into(), "enabled".into());
        }
        let mut numbers = Vec::new();
        for (number, name, data_type, not_null, default, identity, generated, collation) in
            row.columns.unwrap_or_default()
        {
            numbers.push((number, name.clone()));
            t.columns.insert(
                name,
                Column {
                    data_type,
                    nullable: !not_null,
                    default,
                    identity,
                    generated,
                    collation,
                    extra: None,
                },
            );
        }
        for (name, kind, definition) in row.constraints.unwrap_or_default() {
            let kind = match kind.as_str() {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "f" => ConstraintKind::ForeignKey,
                "c" => ConstraintKind::Check,
                _ => ConstraintKind::Exclusion,
            };
            t.constraints.insert(
                name,
                Constraint {
                    kind,
                    name: None,
                    definition,
                },
            );
        }
        numbers.sort();
        out.columns.push((oid, numbers));
        out.tables.push((oid, row.name, t));
        Ok(())
    }
}

/// What the event triggers need: a log table, two functions, two event triggers. Creating an
/// event trigger takes a superuser; without one, snapshots read everything every time.
const INSTALL: &str = "
CREATE SCHEMA _cargo_migrate_verify;
CREATE UNLOGGED TABLE _cargo_migrate_verify.changes (
    classid oid NOT NULL, objid oid NOT NULL, object_type text NOT NULL, dropped boolean NOT NULL, names text[]
);
CREATE FUNCTION _cargo_migrate_verify.ddl_command_end() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO _cargo_migrate_verify.changes
    SELECT classid, objid, object_type, false, NULL FROM pg_event_trigger_ddl_commands();
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
/// the relation it belongs to and that relation's kind. Then, in the same round trip, one
/// `relation` row with the JSON document of each relation that changed and still exists.
fn changes_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH c AS (DELETE FROM {HELPER_SCHEMA}.changes RETURNING classid, objid, object_type, dropped, names),
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
)
SELECT o.classid::regclass::text, o.objid::int8, o.object_type, o.dropped, o.names, o.owner::int8,
       (SELECT x.relkind::text FROM pg_class x WHERE x.oid = o.owner), NULL::text
  FROM owned o
UNION ALL
SELECT 'relation', c.oid::int8, NULL, NULL, NULL, NULL, NULL, {json}::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY (ARRAY(SELECT owner FROM owned WHERE owner IS NOT NULL)) AND {relations}",
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
