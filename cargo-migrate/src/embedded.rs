//! Migrations embedded in an application, run at start-up.
//!
//! The application's build.rs calls `cargo_migrate_build_support::embed_migrations("migrations")`, which
//! checks the directory like `check_migrations` and writes the list of its files into
//! `OUT_DIR`; [`embedded_migrations!`](crate::embedded_migrations) includes that list. At run
//! time [`Migrator::up`] applies what is pending and [`Migrator::check`] refuses when anything
//! is not applied. Both go through the same code as `cargo migrate up` and `status` (the
//! runner's `Session`, `plan_up`, `prepare_all`, the same lock and the same tracking rows), so
//! the CLI and the application can take turns on one database.

/// What [`Migrator::config_mut`] changes: how long to wait for the server (`wait`) and for the
/// migration lock (`lock_timeout`), and where events go (`events`).
pub use crate::config::Config;
pub use build_support::{Migration, MigrationSet};

use crate::backend::with_backend;
use crate::config::DEFAULT_TABLE;
use crate::db_url::DbUrl;
use crate::error::{Error, Outstanding, Result};
use crate::migrate::{Applied, apply_pending, read_applied, with_lock};
use crate::plan::UpOptions;
use crate::state::{self, State};

/// The migration files of a directory, embedded in the binary: each file's name and bytes.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddedMigrations {
    dir: &'static str,
    files: &'static [(&'static str, &'static [u8])],
}

/// The migrations that the build script's `cargo_migrate_build_support::embed_migrations(dir)` wrote into
/// `OUT_DIR`, as an [`EmbeddedMigrations`].
#[macro_export]
macro_rules! embedded_migrations {
    () => {{
        // The name is cargo_migrate_build_support::EMBEDDED_FILE (a test keeps the two equal).
        static FILES: (&str, &[(&str, &[u8])]) =
            include!(concat!(env!("OUT_DIR"), "/cargo_migrate_migrations.rs"));
        $crate::embedded::EmbeddedMigrations::new(FILES.0, FILES.1)
    }};
}

impl EmbeddedMigrations {
    /// `dir` names the directory in messages; `files` are `(file name, contents)`.
    pub const fn new(
        dir: &'static str,
        files: &'static [(&'static str, &'static [u8])],
    ) -> EmbeddedMigrations {
        EmbeddedMigrations { dir, files }
    }

    pub fn dir(&self) -> &'static str {
        self.dir
    }

    pub fn files(&self) -> &'static [(&'static str, &'static [u8])] {
        self.files
    }

    /// The migration set, validated like `cargo migrate up` validates the directory: any
    /// error-level problem in the files refuses.
    pub fn load(&self) -> Result<MigrationSet> {
        let set = MigrationSet::from_files(self.dir, self.files.iter().copied());
        if set.has_errors() {
            return Err(Error::Invalid {
                dir: self.dir.to_owned(),
                count: set.findings.len(),
                findings: set.findings,
            });
        }
        Ok(set)
    }
}

/// Runs embedded migrations against one database.
#[derive(Debug)]
pub struct Migrator {
    migrations: EmbeddedMigrations,
    config: Config,
}

impl Migrator {
    /// A migrator for `database_url` (`postgres://…`, `mysql://…`, `mariadb://…`,
    /// `sqlite:path`) with the default tracking table, `_cargo_migrate`.
    pub fn new(migrations: EmbeddedMigrations, database_url: &str) -> Result<Migrator> {
        let url = DbUrl::parse(database_url)?;
        let config = Config::embedded(url, DEFAULT_TABLE, migrations.dir)?;
        Ok(Migrator { migrations, config })
    }

    /// Uses another tracking table (the config's `table`, if the project sets one).
    pub fn with_table(mut self, table: &str) -> Result<Migrator> {
        self.config = Config::embedded(self.config.url.clone(), table, self.migrations.dir)?;
        Ok(self)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// For settings beyond the URL and the table.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Applies every pending migration in version order under the migration lock, exactly as
    /// `cargo migrate up` does (and refuses what it refuses: failed, modified, missing or
    /// out-of-order migrations, invalid files). Returns what was applied, empty when the
    /// database was up to date.
    pub async fn up(&self) -> Result<Vec<Applied>> {
        self.up_with_progress(|_| {}).await
    }

    /// [`Migrator::up`], calling `before_each` with each migration just before it runs (to log
    /// it: a long migration at start-up should not look like a hung application).
    pub async fn up_with_progress(
        &self,
        mut before_each: impl FnMut(&Migration),
    ) -> Result<Vec<Applied>> {
        let set = self.migrations.load()?;
        let cfg = &self.config;
        let each = |m: &Migration| {
            before_each(m);
            std::ops::ControlFlow::Continue(())
        };
        with_backend!(cfg.url.kind, B => {
            with_lock::<B, _>(cfg, async |session| {
                apply_pending(session, &set, UpOptions::default(), &cfg.dir_display, &cfg.events, |_| {}, each).await
            })
            .await
        })
        .map_err(Error::in_application_terms)
    }

    /// Changes nothing: `Ok` when every embedded migration is applied, else
    /// [`Error::NotUpToDate`] listing each one that is pending, out-of-order, modified, failed
    /// or missing, so that the application can refuse to start.
    pub async fn check(&self) -> Result<()> {
        let set = self.migrations.load()?;
        let rows = with_backend!(self.config.url.kind, B => read_applied::<B>(&self.config).await)
            .map_err(Error::in_application_terms)?;
        let outstanding: Vec<Outstanding> = state::status(&set, &rows)
            .iter()
            .filter(|e| e.state != State::Applied)
            .map(|e| Outstanding {
                version: e.version,
                name: e.name(),
                state: e.state,
            })
            .collect();
        if outstanding.is_empty() {
            Ok(())
        } else {
            Err(Error::NotUpToDate { outstanding })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macro_includes_the_file_build_support_writes() {
        assert_eq!(build_support::EMBEDDED_FILE, "cargo_migrate_migrations.rs");
    }

    #[test]
    fn invalid_files_are_refused_before_the_database_is_touched() {
        static FILES: &[(&str, &[u8])] = &[
            ("1_users.up.sql", b"CREATE TABLE users (id INT);"),
            ("1_users.down.sql", b"DROP TABLE users;"),
            ("2_Posts.up.sql", b"CREATE TABLE posts (id INT);"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let migrator = Migrator::new(
            EmbeddedMigrations::new("migrations", FILES),
            &format!("sqlite:{}", db.display()),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for result in [
            runtime.block_on(migrator.up()).map(drop),
            runtime.block_on(migrator.check()),
        ] {
            let err = result.unwrap_err();
            assert_eq!(
                err.to_string(),
                "1 problem(s) in the migrations in migrations"
            );
            assert!(
                err.render().contains("migrations/2_Posts.up.sql"),
                "{}",
                err.render()
            );
        }
        assert!(!db.exists(), "the database was created");
    }

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// An application has no `--wait` or `--lock-timeout`: its errors name the config fields.
    #[test]
    fn errors_name_the_settings_an_application_has() {
        static FILES: &[(&str, &[u8])] = &[
            ("1_users.up.sql", b"CREATE TABLE users (id INT);"),
            ("1_users.down.sql", b"DROP TABLE users;"),
        ];
        let migrations = EmbeddedMigrations::new("migrations", FILES);

        // Nothing listens on port 1: the connection is refused at once.
        let unreachable =
            Migrator::new(migrations, "postgres://app:secret@127.0.0.1:1/app").unwrap();
        for err in [
            block_on(unreachable.up()).unwrap_err(),
            block_on(unreachable.check()).unwrap_err(),
        ] {
            let text = err.render();
            assert!(matches!(err, Error::Unreachable { .. }), "{text}");
            assert!(!text.contains("--wait"), "{text}");
            assert!(text.contains("`Migrator::config_mut().wait`"), "{text}");
        }
        let mut waited =
            Migrator::new(migrations, "postgres://app:secret@127.0.0.1:1/app").unwrap();
        waited.config_mut().wait = Some(std::time::Duration::from_millis(10));
        let text = block_on(waited.up()).unwrap_err().render();
        assert!(!text.contains("--wait"), "{text}");
        assert!(text.contains("`Migrator::config_mut().wait`"), "{text}");

        // Another run holds the lock on the SQLite file.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("app.db").display());
        let mut second = Migrator::new(migrations, &url).unwrap();
        second.config_mut().lock_timeout = std::time::Duration::ZERO;
        let holder = Migrator::new(migrations, &url).unwrap();
        let err = block_on(async {
            with_backend!(holder.config.url.kind, B => {
                with_lock::<B, _>(&holder.config, async |_| second.up().await).await
            })
        })
        .unwrap_err();
        let text = err.render();
        assert!(matches!(err, Error::LockTimeout { .. }), "{text}");
        assert!(!text.contains("--lock-timeout"), "{text}");
        assert!(
            text.contains("`Migrator::config_mut().lock_timeout`"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_table_name_is_a_configuration_error() {
        let migrator = Migrator::new(
            EmbeddedMigrations::new("migrations", &[]),
            "sqlite::memory:",
        )
        .unwrap();
        let err = migrator.with_table("x; DROP TABLE y").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid tracking table name `x; DROP TABLE y`"
        );
        assert_eq!(err.exit_code(), crate::exit::USAGE);
    }
}
