//! What `verify --locks` reads between two statements of a traced script: the relations of the
//! user's schemas with their storage (a table written anew gets a new relfilenode) and the
//! table-level locks this session holds, from `pg_locks` of its own backend. The catalog
//! relations the query itself locks are outside the user's schemas and so left out.

use build_support::LockMode;
use sqlx::{PgConnection, Row};

use super::snapshot::user_schema;
use crate::backend::{HeldRelation, RelationKind};

/// Every relation of the user's schemas but the tracking table (`$1`, quoted), with the modes
/// this session holds on it; then the relations it holds locks on whose catalog row its own
/// transaction deleted (dropped), which have no name any more.
fn sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH held AS (
    SELECT l.relation, array_agg(DISTINCT l.mode::text) AS modes FROM pg_locks l
     WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     GROUP BY l.relation
)
SELECT c.oid::int8, c.relname::text, c.relkind::text, c.relfilenode::int8,
       coalesce(i.indrelid, p.inhparent)::int8, coalesce(h.modes, ARRAY[]::text[])
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  LEFT JOIN pg_inherits p ON p.inhrelid = c.oid AND c.relispartition
  LEFT JOIN held h ON h.relation = c.oid
 WHERE {user} AND c.oid IS DISTINCT FROM to_regclass($1)::oid
UNION ALL
SELECT h.relation::int8, NULL, NULL, 0, NULL, h.modes FROM held h
 WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = h.relation)",
            user = user_schema("n"),
        )
    })
}

/// The relations and this session's locks now; `tracking` is the tracking table, quoted.
pub(super) async fn read(
    conn: &mut PgConnection,
    tracking: &str,
) -> sqlx::Result<Vec<HeldRelation>> {
    let rows = sqlx::query(sql()).bind(tracking).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            let kind: Option<String> = r.try_get(2)?;
            let modes: Vec<String> = r.try_get(5)?;
            let mut modes: Vec<LockMode> = modes
                .iter()
                .filter_map(|m| LockMode::from_pg_locks(m))
                .collect();
            modes.sort();
            Ok(HeldRelation {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                kind: match kind.as_deref() {
                    Some("r" | "p" | "m" | "f") => RelationKind::Table,
                    Some("i" | "I") => RelationKind::Index,
                    Some("S") => RelationKind::Sequence,
                    Some("v") => RelationKind::View,
                    _ => RelationKind::Other,
                },
                storage: r.try_get(3)?,
                owner: r.try_get(4)?,
                modes,
            })
        })
        .collect()
}
