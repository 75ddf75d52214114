//! The PostgreSQL schema snapshot, from pg_catalog: the server renders every definition itself
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
//! `pg_get_triggerdef`, `pg_get_functiondef`), so equal objects print equal text.
//!
//! Left out: system schemas, objects that belong to an extension (the extension itself is
//! listed), the tracking table, identity sequences (they are part of their column), indexes
//! that implement a primary key, unique or exclusion constraint (the constraint is listed), and
//! internal triggers (foreign keys). `tracker.rs` keeps one up to date in a scratch database.

use std::collections::BTreeSet;
use std::sync::Arc;

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::backend::quote_table;
use crate::error::{DbContext, Error, Result};
use crate::snapshot::{
    Column, Constraint, ConstraintKind, Extension, Function, Index, Sequence, Snapshot, Table,
    Trigger, Type, View,
};

/// The schema the change log lives in (scratch databases only); never part of a snapshot.
pub(super) const HELPER_SCHEMA: &str = "_cargo_migrate_verify";

pub(super) const DOING: &str = "reading the schema from pg_catalog";

/// User schemas only (`n` is the pg_namespace alias).
pub(super) fn user_schema(n: &str) -> String {
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
    let query = sqlx::query(AssertSqlSafe(sql)).bind(tracking);
    let query = match filter {
        Some(oids) => query.bind(oids),
        None => query,
    };
    query.fetch_all(&mut *conn).await.doing(DOING)
}

pub(super) async fn tracking_oid(conn: &mut PgConnection, table: &str) -> Result<i64> {
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

pub(super) type Map<T> = std::collections::BTreeMap<String, T>;

pub(super) async fn read_schemas(
    conn: &mut PgConnection,
    tracking: i64,
) -> Result<BTreeSet<String>> {
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

pub(super) async fn read_extensions(
    conn: &mut PgConnection,
    tracking: i64,
) -> Result<Map<Extension>> {
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
pub(super) async fn read_types(conn: &mut PgConnection, tracking: i64) -> Result<Map<Type>> {
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
pub(super) async fn read_sequences(
    conn: &mut PgConnection,
    tracking: i64,
) -> Result<Map<Sequence>> {
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
pub(super) async fn read_views(conn: &mut PgConnection, tracking: i64) -> Result<Map<View>> {
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
pub(super) async fn read_functions(
    conn: &mut PgConnection,
    tracking: i64,
) -> Result<Map<Function>> {
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
pub(super) struct Relations {
    /// (oid, name, table)
    pub(super) tables: Vec<(i64, String, Table)>,
    /// (index oid, owner oid, name, index)
    pub(super) indexes: Vec<(i64, i64, String, Index)>,
    /// (owner oid, key, trigger)
    pub(super) triggers: Vec<(i64, String, Trigger)>,
    /// Every relation read, views without indexes or triggers included.
    pub(super) read: BTreeSet<i64>,
    /// (table oid, its columns' numbers and names)
    pub(super) columns: Vec<(i64, Vec<(i64, String)>)>,
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
pub(super) async fn read_relations(
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
pub(super) fn relations_where() -> String {
    format!(
        "c.relkind IN ('r', 'p', 'f', 'v', 'm') AND {user} AND c.oid <> $1::int8::oid AND {ext}",
        user = user_schema("n"),
        ext = not_extension_member("pg_class", "c.oid"),
    )
}

/// One relation as a JSON document ([`RelationRow`]) built from correlated subqueries, so that
/// reading a few relations is a few index lookups whatever the size of the catalogs.
pub(super) fn relation_json() -> String {
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
    pub(super) fn parse(&mut self, oid: i64, json: &str) -> Result<()> {
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
