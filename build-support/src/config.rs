//! The project's configuration as the build script and the `cargo migrate` command line both
//! read it: the one schema of `[package.metadata.migrate]` / `[workspace.metadata.migrate]`
//! ([`MigrateMetadata`], package keys winning key by key), where a database URL is found when no
//! flag gives one ([`find_url`]: the variable, then `.env`), and the one rule for the dialect the
//! SQL is checked as ([`lint_dialect`]). Reading a manifest is the caller's (toml here, cargo
//! metadata in the CLI); what the table means is decided here only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dialect::Dialect;

/// The variable that holds the database URL unless `database_url_env` names another.
pub const DEFAULT_URL_ENV: &str = "DATABASE_URL";

/// The dialect the SQL is checked as when neither the config nor a database URL names one.
pub const DEFAULT_LINT_DIALECT: Dialect = Dialect::Sqlite;

/// The `migrate` table of a manifest's metadata. Every key is optional; an unknown key is an
/// error, so that a typo does not silently change nothing.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MigrateMetadata {
    pub dir: Option<String>,
    pub database_url_env: Option<String>,
    pub table: Option<String>,
    pub main_branch: Option<String>,
    pub dialect: Option<String>,
    /// The PostgreSQL version the lock model assumes where no server says (`"15"`,
    /// `"16.2"`); else `lock_model::ServerVersion::default_for`.
    pub postgres_version: Option<String>,
    /// The MySQL or MariaDB version the lock model assumes (`"8.0.29"`, `"10.11"`).
    pub mysql_version: Option<String>,
    #[serde(default)]
    pub lints: BTreeMap<String, String>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvMetadata>,
}

/// `[…metadata.migrate.env.NAME]`: a named environment.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnvMetadata {
    pub url_env: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

/// A configuration problem, with what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.help {
            Some(help) => write!(f, " ({help})"),
            None => Ok(()),
        }
    }
}

impl MigrateMetadata {
    /// The workspace's table with the package's keys on top, key by key (and rule by rule,
    /// environment by environment).
    pub fn merge(workspace: MigrateMetadata, package: MigrateMetadata) -> MigrateMetadata {
        let mut lints = workspace.lints;
        lints.extend(package.lints);
        let mut env = workspace.env;
        env.extend(package.env);
        MigrateMetadata {
            dir: package.dir.or(workspace.dir),
            database_url_env: package.database_url_env.or(workspace.database_url_env),
            table: package.table.or(workspace.table),
            main_branch: package.main_branch.or(workspace.main_branch),
            dialect: package.dialect.or(workspace.dialect),
            postgres_version: package.postgres_version.or(workspace.postgres_version),
            mysql_version: package.mysql_version.or(workspace.mysql_version),
            lints,
            env,
        }
    }

    /// The configured server version for `dialect`'s lock model, unparsed.
    pub fn server_version(&self, dialect: Dialect) -> Option<&str> {
        match dialect {
            Dialect::Postgres => self.postgres_version.as_deref(),
            Dialect::MySql => self.mysql_version.as_deref(),
            Dialect::Sqlite => None,
        }
    }

    /// The variable that holds the database URL: the environment's `url_env`, else
    /// `database_url_env`, else [`DEFAULT_URL_ENV`].
    pub fn url_env(&self, environment: Option<&EnvMetadata>) -> String {
        environment
            .and_then(|e| e.url_env.clone())
            .or_else(|| self.database_url_env.clone())
            .unwrap_or_else(|| DEFAULT_URL_ENV.to_owned())
    }

    /// The `dialect` key, parsed.
    pub fn configured_dialect(&self) -> Result<Option<Dialect>, ConfigError> {
        self.dialect
            .as_deref()
            .map(|d| {
                d.parse().map_err(|message| ConfigError {
                    message,
                    help: Some("set `dialect` to postgres, mysql or sqlite".to_owned()),
                })
            })
            .transpose()
    }
}

/// The dialect the migrations are checked as, by `cargo build`, `lint`, `check` and the commit
/// gate alike: `dialect` in the config, else the scheme of the database URL in use (`url`: the
/// one [`find_url`] found, or a flag's), else [`DEFAULT_LINT_DIALECT`].
pub fn lint_dialect(metadata: &MigrateMetadata, url: Option<&str>) -> Result<Dialect, ConfigError> {
    if let Some(dialect) = metadata.configured_dialect()? {
        return Ok(dialect);
    }
    let scheme = url.and_then(|u| u.trim().split(':').next());
    Ok(scheme
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_LINT_DIALECT))
}

/// Where [`find_url`] found the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlSource {
    /// The variable, in the process environment.
    Env,
    /// The variable, in this `.env` file.
    DotEnv(PathBuf),
}

/// A database URL found without a flag, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundUrl {
    pub url: String,
    pub source: UrlSource,
}

/// The database URL in `var`: the process environment's value (`env` looks it up; empty counts
/// as unset), else the value in the nearest `.env` file (in `cwd`, its parents, then `root`),
/// which is read, never loaded into the environment. Only the first `.env` found is read.
pub fn find_url(
    var: &str,
    env: impl Fn(&str) -> Option<String>,
    cwd: &Path,
    root: &Path,
) -> Result<Option<FoundUrl>, ConfigError> {
    if let Some(url) = env(var).filter(|v| !v.is_empty()) {
        return Ok(Some(FoundUrl {
            url,
            source: UrlSource::Env,
        }));
    }
    let Some(path) = dotenv_file(cwd, root) else {
        return Ok(None);
    };
    let iter = dotenvy::from_path_iter(&path).map_err(|e| ConfigError {
        message: format!("cannot read {}: {e}", path.display()),
        help: None,
    })?;
    for item in iter {
        let (key, value) = item.map_err(|e| dotenv_parse_error(&path, e))?;
        if key == var && !value.is_empty() {
            return Ok(Some(FoundUrl {
                url: value,
                source: UrlSource::DotEnv(path),
            }));
        }
    }
    Ok(None)
}

/// The `.env` file [`find_url`] reads: the first one in `cwd`, its parents, then `root`.
pub fn dotenv_file(cwd: &Path, root: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .chain(std::iter::once(root))
        .map(|d| d.join(".env"))
        .find(|p| p.is_file())
}

fn dotenv_parse_error(path: &Path, e: dotenvy::Error) -> ConfigError {
    let help = Some(
        "each line of .env is KEY=value; put a value with spaces or `#` in double quotes, and close the quotes"
            .to_owned(),
    );
    let dotenvy::Error::LineParse(line, _) = e else {
        return ConfigError {
            message: format!("cannot parse {}: {e}", path.display()),
            help,
        };
    };
    // dotenvy reports the line, or only the value when the key parsed: find the file's line.
    let first = line.lines().next().unwrap_or("");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let found = text
        .lines()
        .enumerate()
        .find(|(_, l)| !first.is_empty() && l.contains(first));
    let number = found.map_or_else(String::new, |(i, _)| format!(":{}", i + 1));
    // Only the part before a `=`: a line without one may be a stray password.
    let key = found
        .map_or(first, |(_, l)| l)
        .trim_start()
        .trim_start_matches("export ")
        .split_once('=')
        .map_or("", |(k, _)| k.trim());
    let what = if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("the line that sets {key} is not valid")
    } else {
        "a line is not valid".to_owned()
    };
    ConfigError {
        message: format!(
            "cannot parse {}{number}: {what} (the line is not shown: it may hold a password)",
            path.display()
        ),
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(toml: &str) -> MigrateMetadata {
        toml::from_str(toml).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_configured_dialect_wins_over_any_url() {
        let m = metadata("dialect = \"sqlite\"");
        assert_eq!(lint_dialect(&m, Some("mysql://h/db")), Ok(Dialect::Sqlite));
        let bad = lint_dialect(&metadata("dialect = \"oracle\""), None).unwrap_err();
        assert!(bad.message.contains("oracle"), "{bad}");
    }

    #[test]
    fn without_a_configured_dialect_the_url_decides_then_the_default() {
        let m = MigrateMetadata::default();
        assert_eq!(lint_dialect(&m, Some("mysql://h/db")), Ok(Dialect::MySql));
        assert_eq!(lint_dialect(&m, Some("mariadb://h/db")), Ok(Dialect::MySql));
        assert_eq!(lint_dialect(&m, Some("sqlite:app.db")), Ok(Dialect::Sqlite));
        assert_eq!(
            lint_dialect(&m, Some("postgresql://h/db")),
            Ok(Dialect::Postgres)
        );
        assert_eq!(lint_dialect(&m, None), Ok(DEFAULT_LINT_DIALECT));
    }

    #[test]
    fn the_url_variable_is_the_environments_then_the_configured_then_database_url() {
        let m = metadata("database_url_env = \"APP_DB\"\n[env.prod]\nurl_env = \"PROD_DB\"\n");
        assert_eq!(m.url_env(m.env.get("prod")), "PROD_DB");
        assert_eq!(m.url_env(None), "APP_DB");
        assert_eq!(MigrateMetadata::default().url_env(None), "DATABASE_URL");
    }

    #[test]
    fn the_variable_in_the_environment_wins_over_dotenv() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "APP_DB=mysql://h/from_file\n").unwrap();
        let env = |k: &str| (k == "APP_DB").then(|| "sqlite:from_env.db".to_owned());
        let found = find_url("APP_DB", env, dir.path(), dir.path())
            .unwrap()
            .unwrap();
        assert_eq!(found.url, "sqlite:from_env.db");
        assert_eq!(found.source, UrlSource::Env);
    }

    #[test]
    fn dotenv_is_read_from_the_nearest_directory_up() {
        let dir = tempfile::tempdir().unwrap();
        let member = dir.path().join("crates/app");
        std::fs::create_dir_all(&member).unwrap();
        let file = dir.path().join(".env");
        std::fs::write(
            &file,
            "# the dev database\nDATABASE_URL=mysql://root@h/db\n",
        )
        .unwrap();
        let empty = |_: &str| Some(String::new()); // set but empty counts as unset
        let found = find_url("DATABASE_URL", empty, &member, &member)
            .unwrap()
            .unwrap();
        assert_eq!(found.url, "mysql://root@h/db");
        assert_eq!(found.source, UrlSource::DotEnv(file));
        let m = MigrateMetadata::default();
        assert_eq!(lint_dialect(&m, Some(&found.url)), Ok(Dialect::MySql));
        assert_eq!(find_url("OTHER", no_env, &member, &member), Ok(None));
    }

    #[test]
    fn nothing_anywhere_is_no_url() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            find_url("DATABASE_URL", no_env, dir.path(), dir.path()),
            Ok(None)
        );
    }

    #[test]
    fn a_broken_dotenv_line_is_named_without_its_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "A=1\nDATABASE_URL=\"postgres://u:s3cret@h\n",
        )
        .unwrap();
        let err = find_url("DATABASE_URL", no_env, dir.path(), dir.path()).unwrap_err();
        assert!(err.message.contains(".env:2"), "{err}");
        assert!(err.message.contains("DATABASE_URL"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn package_keys_win_over_workspace_keys_one_by_one() {
        let workspace =
            metadata("dir = \"db\"\ndialect = \"mysql\"\n[lints]\na = \"warn\"\nb = \"warn\"\n");
        let package = metadata("dialect = \"sqlite\"\n[lints]\nb = \"deny\"\n");
        let m = MigrateMetadata::merge(workspace, package);
        assert_eq!(m.dir.as_deref(), Some("db"));
        assert_eq!(m.dialect.as_deref(), Some("sqlite"));
        assert_eq!(m.lints["a"], "warn");
        assert_eq!(m.lints["b"], "deny");
    }

    #[test]
    fn an_unknown_key_is_an_error() {
        assert!(toml::from_str::<MigrateMetadata>("dialcet = \"mysql\"").is_err());
    }
}
