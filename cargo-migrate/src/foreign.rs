//! Other migration tools' tracking tables: which tool a database was migrated with (so that a
//! writing command never runs a history again over a schema another tool built), and their
//! rows read as text for `import`.

use build_support::Dialect;

use crate::backend::Backend;
use crate::error::{Error, Result};

/// A migration tool whose history `import` adopts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    Sqlx,
    Diesel,
    Refinery,
    GolangMigrate,
    Goose,
    Dbmate,
    Flyway,
}

impl Tool {
    pub const ALL: [Tool; 7] = [
        Tool::Sqlx,
        Tool::Diesel,
        Tool::Refinery,
        Tool::GolangMigrate,
        Tool::Goose,
        Tool::Dbmate,
        Tool::Flyway,
    ];

    /// The name `import --from` takes.
    pub fn id(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Refinery => "refinery",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Goose => "goose",
            Tool::Dbmate => "dbmate",
            Tool::Flyway => "flyway",
        }
    }

    /// The name people know the tool by.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "Diesel",
            Tool::Refinery => "refinery",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Goose => "goose",
            Tool::Dbmate => "dbmate",
            Tool::Flyway => "Flyway",
        }
    }

    /// The tool's default tracking table.
    pub fn default_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
            Tool::Goose => "goose_db_version",
            Tool::Flyway => "flyway_schema_history",
        }
    }

    /// Whether a table named [`Tool::default_table`] with these (lower-case) columns is this
    /// tool's: golang-migrate's and dbmate's tables share a name, and only golang-migrate's
    /// has `dirty`.
    fn owns(self, columns: &[String]) -> bool {
        let has = |c: &str| columns.iter().any(|have| have == c);
        match self {
            Tool::GolangMigrate => has("version") && has("dirty"),
            Tool::Dbmate => has("version") && !has("dirty"),
            Tool::Sqlx => has("version") && has("checksum"),
            Tool::Diesel => has("version"),
            Tool::Refinery => has("version") && has("checksum"),
            Tool::Goose => has("version_id") && has("is_applied"),
            Tool::Flyway => has("installed_rank") && has("version"),
        }
    }

    /// The select, every column cast to text, that [`read_rows`] runs on `table`, and what the
    /// columns are (in order).
    fn select(self, table: &str, dialect: Dialect) -> String {
        let t = |column: &str| match dialect {
            Dialect::MySql => format!("CAST({column} AS CHAR)"),
            _ => format!("CAST({column} AS TEXT)"),
        };
        let hex = |column: &str| match dialect {
            Dialect::Postgres => format!("encode({column}, 'hex')"),
            _ => format!("LOWER(HEX({column}))"),
        };
        match self {
            // version, description, success, checksum (hex)
            Tool::Sqlx => format!(
                "SELECT {}, {}, {}, {} FROM {table} ORDER BY version",
                t("version"),
                t("description"),
                t("success"),
                hex("checksum")
            ),
            // version
            Tool::Diesel | Tool::Dbmate => {
                format!("SELECT {} FROM {table} ORDER BY version", t("version"))
            }
            // version, name, checksum
            Tool::Refinery => format!(
                "SELECT {}, {}, {} FROM {table} ORDER BY version",
                t("version"),
                t("name"),
                t("checksum")
            ),
            // version, dirty
            Tool::GolangMigrate => {
                format!("SELECT {}, {} FROM {table}", t("version"), t("dirty"))
            }
            // version_id, is_applied, in the order written
            Tool::Goose => format!(
                "SELECT {}, {} FROM {table} ORDER BY id",
                t("version_id"),
                t("is_applied")
            ),
            // version, type, script, checksum, success, in the order installed
            Tool::Flyway => format!(
                "SELECT {}, {}, {}, {}, {} FROM {table} ORDER BY installed_rank",
                t("version"),
                t("type"),
                t("script"),
                t("checksum"),
                t("success")
            ),
        }
    }
}

impl std::str::FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Tool::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| format!("unknown tool `{s}`"))
    }
}

/// Another tool's tracking table found in a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub tool: Tool,
    pub table: String,
}

/// The first of the other tools' tracking tables the database holds, looking under each
/// tool's default name (`sqlx`'s under `sqlx_table` too, from `sqlx.toml`).
pub async fn detect<B: Backend>(db: &mut B, sqlx_table: Option<&str>) -> Result<Option<Found>> {
    for tool in Tool::ALL {
        let table = match (tool, sqlx_table) {
            (Tool::Sqlx, Some(table)) => table,
            _ => tool.default_table(),
        };
        let columns = db.tracking_columns(table).await?;
        // Rails keeps a `schema_migrations` like dbmate's, next to `ar_internal_metadata`.
        let rails = tool == Tool::Dbmate
            && !columns.is_empty()
            && !db
                .tracking_columns("ar_internal_metadata")
                .await?
                .is_empty();
        if !columns.is_empty() && tool.owns(&columns) && !rails {
            return Ok(Some(Found {
                tool,
                table: table.to_owned(),
            }));
        }
    }
    Ok(None)
}

/// The rows of `found`'s table, each column as text (see [`Tool::select`] for the columns).
pub async fn read_rows<B: Backend>(
    db: &mut B,
    found: &Found,
    dialect: Dialect,
) -> Result<Vec<Vec<Option<String>>>> {
    let sql = found.tool.select(&db.tracking_table(&found.table), dialect);
    db.connection().text_rows(&sql).await
}

/// The refusal of a writing command on a database another tool migrated.
pub fn refusal(found: &Found) -> Error {
    let Found { tool, table } = found;
    let (name, id) = (tool.name(), tool.id());
    Error::refused(
        format!(
            "this database was migrated with {name}: it holds {name}'s tracking table {table} and no cargo-migrate table, so running migrations now would run them again over the schema {name} built"
        ),
        format!(
            "nothing was run; adopt the history with `cargo migrate import --from {id}` (it converts the files and records what {name} applied, leaving {table} untouched), or record a starting point by hand with `cargo migrate baseline <VERSION>`"
        ),
    )
}

/// A boolean as the servers write one as text (`true`, `t`, `1`).
pub fn truthy(text: Option<&str>) -> bool {
    matches!(
        text.map(str::trim).map(str::to_ascii_lowercase).as_deref(),
        Some("1" | "t" | "true")
    )
}

/// Another tool's tracking table in the configured database, looked at read-only; `None` when
/// there is none, or the database cannot be read (the caller's own error says more).
pub async fn find<B: Backend>(cfg: &crate::config::Config) -> Option<Found> {
    let mut db = crate::backend::connect::<B>(
        &cfg.url,
        crate::backend::Access::ReadOnly,
        None,
        &cfg.events,
    )
    .await
    .ok()??;
    if !db.tracking_columns(&cfg.table).await.ok()?.is_empty() {
        db.close().await;
        return None;
    }
    let found = detect(&mut db, cfg.sqlx_table.as_deref())
        .await
        .ok()
        .flatten();
    db.close().await;
    found
}
