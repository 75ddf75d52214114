//! Configuration: `[workspace.metadata.migrate]` / `[package.metadata.migrate]` found with
//! cargo_metadata, the command line, the environment and `.env` ([`Config::load`], with the
//! `cli` feature); or what an application gives the embedded migrator ([`Config::embedded`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use build_support::Dialect;
pub use build_support::config::{EnvMetadata, MigrateMetadata};
#[cfg(feature = "cli")]
use build_support::config::{FoundUrl, UrlSource, find_url, lint_dialect};
#[cfg(feature = "cli")]
use serde::Deserialize;

use crate::db_url::{DbKind, DbUrl};
use crate::error::{Error, Result};
use crate::events::Observer;

pub const DEFAULT_DIR: &str = "migrations";
pub const DEFAULT_TABLE: &str = "_cargo_migrate";
/// How long a run waits for another one holding the migration lock, unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What the command line says about where things are.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub env: Option<String>,
    pub dir: Option<PathBuf>,
    pub manifest_path: Option<PathBuf>,
    /// `--lock-timeout`; `None` is [`DEFAULT_LOCK_TIMEOUT`].
    pub lock_timeout: Option<Duration>,
    /// `--wait`: how long to retry connecting to a server that is not reachable yet.
    pub wait: Option<Duration>,
    /// `--no-dotenv`: the URL only from the flag or the environment, never from `.env`.
    pub no_dotenv: bool,
}

/// Where the database URL came from, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlOrigin {
    Flag,
    Env(String),
    DotEnv(String, PathBuf),
    EmbeddedDefault,
    /// Given by the application that embeds the migrations.
    Application,
}

impl UrlOrigin {
    /// Where the URL came from, as messages say it ("from $DATABASE_URL", …).
    pub fn describe(&self) -> String {
        match self {
            UrlOrigin::Flag => "from --database-url".to_owned(),
            UrlOrigin::Env(var) => format!("from ${var}"),
            UrlOrigin::DotEnv(var, path) => format!("from {var} in {}", path.display()),
            UrlOrigin::EmbeddedDefault => "embedded default: no DATABASE_URL set".to_owned(),
            UrlOrigin::Application => "given by the application".to_owned(),
        }
    }
}

/// Everything a command needs to know, resolved once.
#[derive(Clone, Debug)]
pub struct Config {
    /// The directory of the manifest the config came from (or the working directory when there
    /// is no Cargo project).
    pub root: PathBuf,
    pub dir: PathBuf,
    /// `dir` as shown to the user: relative to the working directory where possible.
    pub dir_display: String,
    pub url: DbUrl,
    pub url_origin: UrlOrigin,
    pub table: String,
    /// The configured `dialect`, else the database's: what `new` writes templates for.
    pub dialect: Dialect,
    /// What `lint` parses as: the configured `dialect`, else the scheme of a URL that was given,
    /// else SQLite (the embedded default's dialect; the embedded default's URL itself is not
    /// taken as a choice of database).
    pub lint_dialect: Dialect,
    pub environment: Option<(String, EnvMetadata)>,
    /// The manifest that holds the config, if any (for `init`).
    pub manifest: Option<ManifestTarget>,
    pub metadata: MigrateMetadata,
    /// How long to wait for the migration lock before failing with the holder's name.
    pub lock_timeout: Duration,
    /// How long to retry connecting while the server is not reachable (`None`: fail at once).
    pub wait: Option<Duration>,
    /// Who hears what the library reports (waiting, warnings): nobody unless set.
    pub events: Observer,
    /// Set by `baseline` and `import`, which adopt a database another tool migrated: a
    /// writing session does not refuse it (see [`crate::foreign`]).
    pub adopting: bool,
    /// sqlx's tracking table, when `sqlx.toml` names one other than `_sqlx_migrations`.
    pub sqlx_table: Option<String>,
}

/// Which manifest and table `init` writes to.
#[derive(Clone, Debug)]
pub struct ManifestTarget {
    pub path: PathBuf,
    pub workspace: bool,
}

/// What cargo metadata told us about the project around the working directory.
#[cfg(feature = "cli")]
struct Project {
    root: PathBuf,
    target_dir: PathBuf,
    metadata: MigrateMetadata,
    /// The directory `dir` is relative to (where the `dir` key was written).
    dir_base: PathBuf,
    manifest: ManifestTarget,
}

impl Config {
    /// The configuration of an application that runs its embedded migrations
    /// ([`crate::embedded::Migrator`]): a database URL and the tracking table, nothing read from
    /// the environment or a manifest. `dir_display` names the embedded directory in messages.
    pub fn embedded(url: DbUrl, table: &str, dir_display: &str) -> Result<Config> {
        validate_table_name(table)?;
        table_fits(table, &url)?;
        let dialect = url.kind.dialect();
        Ok(Config {
            root: PathBuf::new(),
            dir: PathBuf::from(dir_display),
            dir_display: dir_display.to_owned(),
            url,
            url_origin: UrlOrigin::Application,
            table: table.to_owned(),
            dialect,
            lint_dialect: dialect,
            environment: None,
            manifest: None,
            metadata: MigrateMetadata::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            wait: None,
            events: Observer::silent(),
            adopting: false,
            sqlx_table: None,
        })
    }

    #[cfg(feature = "cli")]
    pub fn load(cwd: &Path, overrides: &Overrides) -> Result<Config> {
        let project = load_project(cwd, overrides.manifest_path.as_deref())?;
        let (root, target_dir, metadata, dir_base, manifest) = match project {
            Some(p) => (
                p.root,
                p.target_dir,
                p.metadata,
                p.dir_base,
                Some(p.manifest),
            ),
            None => (
                cwd.to_owned(),
                cwd.join("target"),
                MigrateMetadata::default(),
                cwd.to_owned(),
                None,
            ),
        };

        let sqlx = sqlx_toml(&root);
        let dir = match (&overrides.dir, &metadata.dir, &sqlx.migrations_dir) {
            (Some(d), _, _) => cwd.join(d),
            (None, Some(d), _) => dir_base.join(d),
            (None, None, Some(d)) => root.join(d),
            (None, None, None) => dir_base.join(DEFAULT_DIR),
        };
        let dir_display = display_relative(&dir, cwd);

        let table = metadata
            .table
            .clone()
            .unwrap_or_else(|| DEFAULT_TABLE.into());
        validate_table_name(&table)?;

        let environment = match &overrides.env {
            None => None,
            Some(name) => match metadata.env.get(name) {
                Some(env) => Some((name.clone(), env.clone())),
                None => {
                    let known: Vec<&str> = metadata.env.keys().map(String::as_str).collect();
                    return Err(Error::config(
                        format!("no environment named `{name}` in the config"),
                        Some(if known.is_empty() {
                            "define it in Cargo.toml: [workspace.metadata.migrate.env.<name>] url_env = \"…\"".to_owned()
                        } else {
                            format!("the environments are: {}", known.join(", "))
                        }),
                    ));
                }
            },
        };
        let url_env = metadata.url_env(environment.as_ref().map(|(_, e)| e));
        let env = |name: &str| std::env::var(name).ok();
        let (url, url_origin) = if let Some(raw) = &overrides.database_url {
            (DbUrl::parse(raw)?, UrlOrigin::Flag)
        } else if let Some(FoundUrl { url, source }) = if overrides.no_dotenv {
            env(&url_env).filter(|v| !v.is_empty()).map(|url| FoundUrl {
                url,
                source: UrlSource::Env,
            })
        } else {
            find_url(&url_env, env, cwd, &root)?
        } {
            let origin = match source {
                UrlSource::Env => UrlOrigin::Env(url_env),
                UrlSource::DotEnv(path) => UrlOrigin::DotEnv(url_env, path),
            };
            (DbUrl::parse(&url)?, origin)
        } else if let Some((name, _)) = &environment {
            return Err(Error::config(
                format!(
                    "environment `{name}` reads its database URL from ${url_env}, which is not set"
                ),
                Some(format!(
                    "set {url_env} (in the environment or in .env), or pass --database-url"
                )),
            ));
        } else {
            (
                DbUrl::sqlite_file(embedded_default_file(&target_dir, &root)),
                UrlOrigin::EmbeddedDefault,
            )
        };
        // A relative SQLite path in .env is relative to the .env file, so that every
        // subdirectory of the project reaches the same database.
        let url = match &url_origin {
            UrlOrigin::DotEnv(_, path) => url.resolve_sqlite_path(path.parent().unwrap_or(cwd)),
            _ => url,
        };

        // A protected environment's database is protected however its URL was given.
        let environment = match environment {
            Some(chosen) => Some(chosen),
            None => protected_environment_at(&metadata, &url, cwd, &root),
        };
        table_fits(&table, &url)?;
        let dialect = match metadata.configured_dialect()? {
            Some(d) => d,
            None => url.kind.dialect(),
        };
        // The embedded default is where `up` goes, not a database the SQL was written for.
        let lint_url = match &url_origin {
            UrlOrigin::EmbeddedDefault => None,
            _ => Some(url.expose()),
        };
        let lint_dialect = lint_dialect(&metadata, lint_url)?;

        Ok(Config {
            root,
            dir,
            dir_display,
            url,
            url_origin,
            table,
            dialect,
            lint_dialect,
            environment,
            manifest,
            metadata,
            lock_timeout: overrides.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT),
            wait: overrides.wait,
            events: Observer::silent(),
            adopting: false,
            sqlx_table: sqlx.table_name,
        })
    }
}

/// What cargo-migrate reads from a `sqlx.toml` next to the manifest: sqlx's migrations
/// directory (when the config names none) and its tracking table's name.
#[cfg(feature = "cli")]
#[derive(Debug, Default)]
struct SqlxToml {
    migrations_dir: Option<String>,
    table_name: Option<String>,
}

/// Reads `[migrate] migrations-dir` and `table-name` from `root/sqlx.toml`; a file that is
/// missing or does not parse gives nothing (it is sqlx's to complain about).
#[cfg(feature = "cli")]
fn sqlx_toml(root: &Path) -> SqlxToml {
    let Ok(text) = std::fs::read_to_string(root.join("sqlx.toml")) else {
        return SqlxToml::default();
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return SqlxToml::default();
    };
    let get = |key: &str| {
        doc.get("migrate")
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    SqlxToml {
        migrations_dir: get("migrations-dir"),
        table_name: get("table-name"),
    }
}

#[cfg(feature = "cli")]
fn load_project(cwd: &Path, manifest_path: Option<&Path>) -> Result<Option<Project>> {
    let manifest_path = match manifest_path {
        Some(p) => cwd.join(p),
        None => match cwd
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|p| p.is_file())
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(&manifest_path)
        .no_deps()
        .other_options(vec!["--offline".to_owned()])
        .exec()
        .map_err(|e| {
            Error::config(
                format!("cannot read the Cargo project at {}: {e}", manifest_path.display()),
                Some("fix Cargo.toml (run `cargo metadata --no-deps` to see the error), or pass --manifest-path".to_owned()),
            )
        })?;

    let workspace_root: PathBuf = metadata.workspace_root.clone().into();
    let workspace_manifest = workspace_root.join("Cargo.toml");
    let parse = |value: &serde_json::Value, manifest: &Path| -> Result<MigrateMetadata> {
        match value.get("migrate") {
            None | Some(serde_json::Value::Null) => Ok(MigrateMetadata::default()),
            Some(v) => MigrateMetadata::deserialize(v).map_err(|e| {
                Error::config(
                    format!("invalid `metadata.migrate` in {}: {e}", manifest.display()),
                    Some("the keys are dir, database_url_env, table, main_branch, dialect, lints and env".to_owned()),
                )
            }),
        }
    };
    let workspace_meta = parse(&metadata.workspace_metadata, &workspace_manifest)?;

    // The package whose directory holds the manifest we were pointed at (none for a virtual
    // workspace root).
    let manifest_dir = manifest_path.parent().unwrap_or(cwd).to_owned();
    let package = metadata.packages.iter().find(|p| {
        p.manifest_path
            .parent()
            .is_some_and(|d| d.as_std_path() == manifest_dir)
    });
    let (package_meta, package_dir) = match package {
        Some(p) => (
            parse(&p.metadata, p.manifest_path.as_std_path())?,
            Some(
                p.manifest_path
                    .parent()
                    .map(|d| d.as_std_path().to_owned())
                    .unwrap_or_default(),
            ),
        ),
        None => (MigrateMetadata::default(), None),
    };
    let dir_base = match (&package_meta.dir, &workspace_meta.dir, &package_dir) {
        (Some(_), _, Some(pd)) => pd.clone(),
        (None, Some(_), _) => workspace_root.clone(),
        (_, _, Some(pd)) => pd.clone(),
        _ => workspace_root.clone(),
    };
    // `init` writes to the package it runs in, or to the workspace at a virtual root.
    let manifest = match &package_dir {
        Some(pd) => ManifestTarget {
            path: pd.join("Cargo.toml"),
            workspace: false,
        },
        None => ManifestTarget {
            path: workspace_manifest,
            workspace: true,
        },
    };
    Ok(Some(Project {
        root: package_dir.unwrap_or_else(|| workspace_root.clone()),
        target_dir: metadata.target_directory.clone().into(),
        metadata: MigrateMetadata::merge(workspace_meta, package_meta),
        dir_base,
        manifest,
    }))
}

/// The tracking table name goes into SQL, so it must be a plain identifier
/// (optionally `schema.table`).
fn validate_table_name(table: &str) -> Result<()> {
    let ok = table.split('.').count() <= 2
        && table.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            format!("invalid tracking table name `{table}`"),
            Some("use letters, digits and `_`, optionally `schema.table`".to_owned()),
        ))
    }
}

/// SQLite has no schemas: a `schema.table` name would name a database attached to the
/// connection (`main`, `temp` or one of `ATTACH`), which the tracking table cannot rely on.
fn table_fits(table: &str, url: &DbUrl) -> Result<()> {
    if url.kind != DbKind::Sqlite {
        return Ok(());
    }
    let Some((schema, name)) = table.split_once('.') else {
        return Ok(());
    };
    Err(Error::config(
        format!(
            "the tracking table `{table}` is schema-qualified, but the database is SQLite, which has no schemas (`{schema}` would name an attached database)"
        ),
        Some(format!(
            "set `table = \"{name}\"` in `[package.metadata.migrate]` (or `[workspace.metadata.migrate]`), or leave `table` out for the default `{DEFAULT_TABLE}`"
        )),
    ))
}

/// `path` relative to `base` when it lies below it, else as is.
/// The protected environment whose URL (from its variable, in the environment or `.env`) names
/// the same database as `url`, if one does: `--env` is not the only way to reach it.
#[cfg(feature = "cli")]
fn protected_environment_at(
    metadata: &MigrateMetadata,
    url: &DbUrl,
    cwd: &Path,
    root: &Path,
) -> Option<(String, EnvMetadata)> {
    let env = |name: &str| std::env::var(name).ok();
    metadata
        .env
        .iter()
        .filter(|(_, e)| e.protected)
        .find(|(_, e)| {
            let Ok(Some(found)) = find_url(&metadata.url_env(Some(e)), env, cwd, root) else {
                return false;
            };
            let Ok(theirs) = DbUrl::parse(&found.url) else {
                return false;
            };
            let theirs = match &found.source {
                UrlSource::DotEnv(path) => theirs.resolve_sqlite_path(path.parent().unwrap_or(cwd)),
                UrlSource::Env => theirs,
            };
            same_database(url, &theirs)
        })
        .map(|(name, e)| (name.clone(), e.clone()))
}

/// Whether two URLs name one database: the same server address and database name (users,
/// passwords and options aside), or the same SQLite file.
#[cfg(feature = "cli")]
fn same_database(a: &DbUrl, b: &DbUrl) -> bool {
    if a.kind != b.kind {
        return false;
    }
    match (&a.sqlite_path, &b.sqlite_path) {
        (Some(x), Some(y)) => {
            let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
            canonical(x) == canonical(y)
        }
        _ => a.address() == b.address() && a.database_name() == b.database_name(),
    }
}

/// The embedded default database of the project at `root`, under the target directory
/// `target_dir`: `cargo-migrate/dev.db` in the project's own `target/`, and in a target
/// directory that other projects may share (`CARGO_TARGET_DIR`, a workspace's) a directory of
/// the project's own, named after it and a hash of its path, so that two projects never
/// share one database.
pub(crate) fn embedded_default_file(target_dir: &Path, root: &Path) -> PathBuf {
    let base = target_dir.join("cargo-migrate");
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let own = target_dir
        .parent()
        .is_some_and(|parent| canonical(parent) == canonical(root));
    if own {
        return base.join("dev.db");
    }
    let root = canonical(root);
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = build_support::Checksum::of(root.as_os_str().as_encoded_bytes()).to_hex();
    base.join(format!("{name}-{}", &hash[..12])).join("dev.db")
}

pub fn display_relative(path: &Path, base: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}
