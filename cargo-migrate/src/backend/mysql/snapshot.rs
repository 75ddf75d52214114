//! The MySQL and MariaDB schema snapshot, from information_schema for `DATABASE()`.
//!
//! Unique keys are listed as unique indexes (in MySQL they are the same thing) and the primary
//! key as a constraint. Names the server makes up in creation order (`orders_ibfk_1`,
//! `CONSTRAINT_1`, `orders_chk_1`) are not kept: those constraints are keyed by definition.
//! Definitions that the server qualifies with the database name (views, triggers, routines) are
//! stripped of it, so two databases with the same schema print the same text.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::mysql::MySqlRow;
use sqlx::{AssertSqlSafe, MySqlConnection, Row};

use crate::error::{DbContext, Result};
use crate::snapshot::{
    Column, Constraint, ConstraintKind, Function, Index, Sequence, Snapshot, Table, Trigger, View,
    normalize_sql,
};

const DOING: &str = "reading the schema from information_schema";

async fn fetch(conn: &mut MySqlConnection, sql: &str, tracking: &str) -> Result<Vec<MySqlRow>> {
    sqlx::query(AssertSqlSafe(sql))
        .bind(tracking)
        .fetch_all(&mut *conn)
        .await
        .doing(DOING)
}

/// Whether `name` is `<prefix><digits>`: a name the server numbered in creation order.
fn numbered(name: &str, prefix: &str) -> bool {
    name.len() > prefix.len()
        && name[..prefix.len()].eq_ignore_ascii_case(prefix)
        && name[prefix.len()..].bytes().all(|b| b.is_ascii_digit())
}

pub(super) async fn read(conn: &mut MySqlConnection, table: &str) -> Result<Snapshot> {
    let tracking = table.rsplit('.').next().unwrap_or(table);
    let (database, version): (Option<String>, String) =
        sqlx::query_as("SELECT CAST(DATABASE() AS CHAR), CAST(VERSION() AS CHAR)")
            .fetch_one(&mut *conn)
            .await
            .doing(DOING)?;
    let database = database.unwrap_or_default();
    let mariadb = version.contains("MariaDB");
    let unqualify = |text: &str| {
        let qualifier = format!("`{}`.", database.replace('`', "``"));
        normalize_sql(&text.replace(&qualifier, ""))
    };
    let mut s = Snapshot::new("mysql");
    // Built mutable, shared at the end.
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut indexes: BTreeMap<String, Index> = BTreeMap::new();

    let mut sequences = Vec::new();
    let mut collations = BTreeMap::new();
    for r in fetch(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR), CAST(ENGINE AS CHAR),
                CAST(TABLE_COLLATION AS CHAR)
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?",
        tracking,
    )
    .await?
    {
        let name: String = r.try_get(0).doing(DOING)?;
        let kind: String = r.try_get(1).doing(DOING)?;
        match kind.as_str() {
            "VIEW" | "SYSTEM VIEW" => {}
            "SEQUENCE" => sequences.push(name),
            _ => {
                let mut t = Table::default();
                if let Some(engine) = r.try_get::<Option<String>, _>(2).doing(DOING)? {
                    t.properties.insert("engine".into(), engine);
                }
                if let Some(collation) = r.try_get::<Option<String>, _>(3).doing(DOING)? {
                    collations.insert(name.clone(), collation.clone());
                    t.properties.insert("collation".into(), collation);
                }
                tables.insert(name, t);
            }
        }
    }

    for r in fetch(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR),
                CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR),
                CAST(GENERATION_EXPRESSION AS CHAR), CAST(COLLATION_NAME AS CHAR)
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?",
        tracking,
    )
    .await?
    {
        let table: String = r.try_get(0).doing(DOING)?;
        let Some(t) = tables.get_mut(&table) else {
            continue; // a view's column
        };
        let extra: String = r
            .try_get::<Option<String>, _>(5)
            .doing(DOING)?
            .unwrap_or_default()
            .to_lowercase();
        let mut rest = Vec::new();
        let mut identity = None;
        let mut generated_kind = None;
        let extra = extra
            .replace("default_generated", "")
            .replace("virtual generated", "\u{0}virtual")
            .replace("stored generated", "\u{0}stored")
            .replace("persistent generated", "\u{0}stored");
        for part in extra.split(' ').filter(|p| !p.is_empty()) {
            match part {
                "auto_increment" => identity = Some("auto_increment".to_owned()),
                "\u{0}virtual" => generated_kind = Some("VIRTUAL"),
                "\u{0}stored" => generated_kind = Some("STORED"),
                other => rest.push(other),
            }
        }
        let expression: Option<String> = r.try_get(6).doing(DOING)?;
        let generated = match (expression.filter(|e| !e.is_empty()), generated_kind) {
            (Some(e), kind) => Some(format!("({}) {}", unqualify(&e), kind.unwrap_or("VIRTUAL"))),
            _ => None,
        };
        let collation: Option<String> = r.try_get(7).doing(DOING)?;
        let default: Option<String> = r.try_get(4).doing(DOING)?;
        t.columns.insert(
            r.try_get(1).doing(DOING)?,
            Column {
                data_type: r.try_get(2).doing(DOING)?,
                nullable: r.try_get::<String, _>(3).doing(DOING)? == "YES",
                // MariaDB says `NULL` for a nullable column without a default; MySQL says
                // nothing. Both mean the same.
                default: default.filter(|d| d != "NULL" || generated.is_some()),
                identity,
                generated,
                collation: collation.filter(|c| Some(c) != collations.get(&table)),
                extra: (!rest.is_empty()).then(|| rest.join(" ")),
            },
        );
    }

    let expression = if mariadb {
        "CAST(NULL AS CHAR)"
    } else {
        "CAST(EXPRESSION AS CHAR)"
    };
    let sql = format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED),
                CAST(COLUMN_NAME AS CHAR), CAST(SUB_PART AS SIGNED), CAST(INDEX_TYPE AS CHAR),
                CAST(COLLATION AS CHAR), {expression}
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    );
    let mut primary: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in fetch(conn, &sql, tracking).await? {
        let table: String = r.try_get(0).doing(DOING)?;
        let index: String = r.try_get(1).doing(DOING)?;
        let column: Option<String> = r.try_get(3).doing(DOING)?;
        let expression: Option<String> = r.try_get(7).doing(DOING)?;
        let mut key = match (column, expression) {
            (Some(c), _) => c,
            (None, Some(e)) => format!("({})", unqualify(&e)),
            (None, None) => "<expression>".to_owned(),
        };
        if let Some(part) = r.try_get::<Option<i64>, _>(4).doing(DOING)? {
            key.push_str(&format!("({part})"));
        }
        if r.try_get::<Option<String>, _>(6).doing(DOING)?.as_deref() == Some("D") {
            key.push_str(" DESC");
        }
        if index == "PRIMARY" {
            primary.entry(table).or_default().push(key);
            continue;
        }
        let entry = indexes
            .entry(format!("{table}.{index}"))
            .or_insert_with(|| Index {
                table: table.clone(),
                unique: false,
                method: String::new(),
                columns: Vec::new(),
                predicate: None,
                definition: None,
            });
        entry.unique = r.try_get::<i64, _>(2).doing(DOING)? == 0;
        entry.method = r.try_get::<String, _>(5).doing(DOING)?.to_lowercase();
        entry.columns.push(key);
    }
    for (table, columns) in primary {
        if let Some(t) = tables.get_mut(&table) {
            let definition = format!("PRIMARY KEY ({})", columns.join(", "));
            t.constraints.insert(
                definition.clone(),
                Constraint {
                    kind: ConstraintKind::PrimaryKey,
                    name: None,
                    definition,
                },
            );
        }
    }

    // Foreign keys: (table, name) → (columns, referenced table, referenced columns, rules).
    type Foreign = (Vec<String>, String, Vec<String>, String);
    let mut foreign: BTreeMap<(String, String), Foreign> = BTreeMap::new();
    for r in fetch(
        conn,
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR),
                CAST(k.REFERENCED_TABLE_SCHEMA AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR),
                CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.UPDATE_RULE AS CHAR), CAST(r.DELETE_RULE AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
              AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL AND k.TABLE_NAME <> ?
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        tracking,
    )
    .await?
    {
        let table: String = r.try_get(0).doing(DOING)?;
        let name: String = r.try_get(1).doing(DOING)?;
        let entry = foreign.entry((table, name)).or_default();
        entry.0.push(r.try_get(2).doing(DOING)?);
        let schema: Option<String> = r.try_get(3).doing(DOING)?;
        let target: String = r.try_get(4).doing(DOING)?;
        entry.1 = match schema {
            Some(s) if s != database => format!("{s}.{target}"),
            _ => target,
        };
        entry.2.push(r.try_get(5).doing(DOING)?);
        let on_update: String = r.try_get(6).doing(DOING)?;
        let on_delete: String = r.try_get(7).doing(DOING)?;
        entry.3 = format!(" ON UPDATE {on_update} ON DELETE {on_delete}");
    }
    for ((table, name), (columns, target, referenced, rules)) in foreign {
        let definition = format!(
            "FOREIGN KEY ({}) REFERENCES {target} ({}){rules}",
            columns.join(", "),
            referenced.join(", ")
        );
        add_constraint(
            &mut tables,
            &table,
            name.clone(),
            numbered(&name, &format!("{table}_ibfk_")),
            ConstraintKind::ForeignKey,
            definition,
        );
    }

    let sql = if mariadb {
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME <> ?"
    } else {
        "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(c.CONSTRAINT_NAME AS CHAR), CAST(c.CHECK_CLAUSE AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
           ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
          AND t.CONSTRAINT_TYPE = 'CHECK'
         WHERE c.CONSTRAINT_SCHEMA = DATABASE() AND t.TABLE_NAME <> ?"
    };
    for r in fetch(conn, sql, tracking).await? {
        let table: String = r.try_get(0).doing(DOING)?;
        let name: String = r.try_get(1).doing(DOING)?;
        let clause: String = r.try_get(2).doing(DOING)?;
        let made_up = numbered(&name, "CONSTRAINT_") || numbered(&name, &format!("{table}_chk_"));
        add_constraint(
            &mut tables,
            &table,
            name,
            made_up,
            ConstraintKind::Check,
            format!("CHECK ({})", unqualify(&clause)),
        );
    }

    for r in fetch(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR)
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?",
        tracking,
    )
    .await?
    {
        s.views.insert(
            r.try_get(0).doing(DOING)?,
            View {
                materialized: false,
                definition: unqualify(&r.try_get::<String, _>(1).doing(DOING)?),
            },
        );
    }

    for r in fetch(
        conn,
        "SELECT CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR), CAST(ACTION_TIMING AS CHAR),
                CAST(EVENT_MANIPULATION AS CHAR), CAST(ACTION_STATEMENT AS CHAR)
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE <> ?",
        tracking,
    )
    .await?
    {
        let name: String = r.try_get(0).doing(DOING)?;
        let table: String = r.try_get(1).doing(DOING)?;
        let timing: String = r.try_get(2).doing(DOING)?;
        let event: String = r.try_get(3).doing(DOING)?;
        let body: String = r.try_get(4).doing(DOING)?;
        s.triggers.insert(
            format!("{table}.{name}"),
            Trigger {
                definition: format!(
                    "CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW {}",
                    unqualify(&body)
                ),
                name,
                table,
            },
        );
    }

    let mut parameters: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in fetch(
        conn,
        "SELECT CAST(SPECIFIC_NAME AS CHAR), CAST(ROUTINE_TYPE AS CHAR), CAST(PARAMETER_MODE AS CHAR),
                CAST(PARAMETER_NAME AS CHAR), CAST(DTD_IDENTIFIER AS CHAR)
         FROM information_schema.PARAMETERS
         WHERE SPECIFIC_SCHEMA = DATABASE() AND ORDINAL_POSITION > 0 AND SPECIFIC_NAME <> ?
         ORDER BY SPECIFIC_NAME, ORDINAL_POSITION",
        tracking,
    )
    .await?
    {
        let mode: Option<String> = r.try_get(2).doing(DOING)?;
        let name: Option<String> = r.try_get(3).doing(DOING)?;
        let data_type: String = r.try_get(4).doing(DOING)?;
        let shown = [mode, name, Some(data_type)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        parameters
            .entry((r.try_get(0).doing(DOING)?, r.try_get(1).doing(DOING)?))
            .or_default()
            .push(shown);
    }
    for r in fetch(
        conn,
        "SELECT CAST(ROUTINE_NAME AS CHAR), CAST(ROUTINE_TYPE AS CHAR), CAST(DTD_IDENTIFIER AS CHAR),
                CAST(ROUTINE_DEFINITION AS CHAR), CAST(IS_DETERMINISTIC AS CHAR),
                CAST(SQL_DATA_ACCESS AS CHAR), CAST(SECURITY_TYPE AS CHAR)
         FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME <> ?",
        tracking,
    )
    .await?
    {
        let name: String = r.try_get(0).doing(DOING)?;
        let kind: String = r.try_get(1).doing(DOING)?;
        let params = parameters
            .remove(&(name.clone(), kind.clone()))
            .unwrap_or_default();
        let body: Option<String> = r.try_get(3).doing(DOING)?;
        let deterministic: String = r.try_get(4).doing(DOING)?;
        let access: String = r.try_get(5).doing(DOING)?;
        let security: String = r.try_get(6).doing(DOING)?;
        let deterministic = if deterministic == "YES" {
            "DETERMINISTIC"
        } else {
            "NOT DETERMINISTIC"
        };
        s.functions.insert(
            format!("{name}({})", params.join(", ")),
            Function {
                kind: kind.to_lowercase(),
                returns: r.try_get(2).doing(DOING)?,
                language: Some("SQL".to_owned()),
                definition: format!(
                    "{deterministic} {access} SQL SECURITY {security} {}",
                    unqualify(&body.unwrap_or_default())
                ),
            },
        );
    }

    for name in sequences {
        let quoted = format!("`{}`", name.replace('`', "``"));
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT CAST(start_value AS CHAR), CAST(minimum_value AS CHAR), CAST(maximum_value AS CHAR),
                    CAST(increment AS CHAR), CAST(cycle_option AS CHAR), CAST(cache_size AS CHAR)
             FROM {quoted}"
        )))
        .fetch_one(&mut *conn)
        .await
        .doing(DOING)?;
        s.sequences.insert(
            name,
            Sequence {
                data_type: "bigint".to_owned(),
                start: r.try_get(0).doing(DOING)?,
                min: r.try_get(1).doing(DOING)?,
                max: r.try_get(2).doing(DOING)?,
                increment: r.try_get(3).doing(DOING)?,
                cycle: r.try_get::<String, _>(4).doing(DOING)? != "0",
                cache: r.try_get(5).doing(DOING)?,
                owned_by: None,
            },
        );
    }
    s.tables = tables
        .into_iter()
        .map(|(name, t)| (name, Arc::new(t)))
        .collect();
    s.indexes = indexes
        .into_iter()
        .map(|(name, i)| (name, Arc::new(i)))
        .collect();
    Ok(s)
}

/// Adds a constraint, keyed by name, or by definition when the server made the name up.
fn add_constraint(
    tables: &mut BTreeMap<String, Table>,
    table: &str,
    name: String,
    made_up: bool,
    kind: ConstraintKind,
    definition: String,
) {
    let Some(t) = tables.get_mut(table) else {
        return;
    };
    let key = if made_up { definition.clone() } else { name };
    t.constraints.insert(
        key,
        Constraint {
            kind,
            name: None,
            definition,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn recognises_made_up_names() {
        assert!(numbered("orders_ibfk_12", "orders_ibfk_"));
        assert!(numbered("CONSTRAINT_1", "CONSTRAINT_"));
        assert!(!numbered("orders_ibfk_x", "orders_ibfk_"));
        assert!(!numbered("fk_orders_user", "orders_ibfk_"));
    }
}
