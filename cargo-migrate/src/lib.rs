//! cargo-migrate: the `cargo migrate` command and the run-time library behind it.
//!
//! The library holds everything but the few lines of `main.rs`: configuration, one backend per
//! database behind [`backend::Backend`], the generic migrator ([`state`], [`plan`], [`drift`],
//! [`script`], [`session`], [`migrate`]), and (with the default `cli` feature) one module per
//! command. Without `cli` it is what an application needs to migrate at start-up: [`embedded`].
//! The library never prints: it reports [`events`].
//!
//! # Features
//!
//! - `cli` (default): the `cargo migrate` command; enables all three databases.
//! - `postgres`, `mysql`, `sqlite`: one per database, so that an application compiles only the
//!   drivers it uses: `cargo-migrate = { version = "0.1", default-features = false, features =
//!   ["postgres"] }`. A URL for a database whose feature is off is refused with the feature to
//!   enable.
//!
//! # Migrating at start-up
//!
//! An application's build.rs calls `cargo_migrate_build_support::embed_migrations("migrations")`
//! and its code [`embedded_migrations!()`](crate::embedded_migrations) and [`embedded::Migrator`].
//! Here the migrations are given inline instead, so that the example runs on its own:
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> cargo_migrate::Result<()> {
//! use cargo_migrate::embedded::{EmbeddedMigrations, Migrator};
//!
//! // What `cargo_migrate::embedded_migrations!()` gives, from the build script's list.
//! static FILES: &[(&str, &[u8])] = &[
//!     ("20250101000000_users.up.sql", b"CREATE TABLE users (id INTEGER PRIMARY KEY);"),
//!     ("20250101000000_users.down.sql", b"DROP TABLE users;"),
//! ];
//! let dir = tempfile::tempdir().unwrap();
//! let url = format!("sqlite:{}", dir.path().join("app.db").display());
//!
//! let migrator = Migrator::new(EmbeddedMigrations::new("migrations", FILES), &url)?;
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! runtime.block_on(async {
//!     // The same lock, checks and tracking rows as `cargo migrate up`.
//!     let applied = migrator.up().await?;
//!     assert_eq!(applied.len(), 1);
//!     // Changes nothing; an error would name every migration that is not applied.
//!     migrator.check().await
//! })
//! # }
//! # #[cfg(not(feature = "sqlite"))]
//! # fn main() {}
//! ```

// Without the command line, what only its commands use (verify's scratch databases and schema
// snapshots, say) is compiled but unused; the default build, which clippy checks with dead
// code denied, still catches code nothing uses.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]

#[cfg(not(any(feature = "postgres", feature = "mysql", feature = "sqlite")))]
compile_error!(
    "cargo-migrate needs at least one database: enable its `postgres`, `mysql` or `sqlite` feature"
);

pub(crate) mod backend;
#[cfg(feature = "cli")]
pub(crate) mod cli;
// The command line, for `main.rs` and the xtask's commit gate; not an API.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod config;
// Public for tests/url_masking.rs only, which needs a process of its own (see there); not an
// API.
#[doc(hidden)]
pub mod db_url;
pub(crate) mod drift;
pub mod embedded;
pub(crate) mod error;
pub mod events;
pub(crate) mod foreign;
#[doc(hidden)]
pub mod locks;
pub(crate) mod migrate;
pub(crate) mod plan;
pub(crate) mod script;
#[doc(hidden)]
pub mod secrets;
pub(crate) mod session;
pub(crate) mod snapshot;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod staged;
pub(crate) mod state;
#[cfg(feature = "cli")]
mod templates;
// Public for `cargo xtask corpus`, which runs the engine in-process as its oracle; not an API.
#[doc(hidden)]
pub mod verify;

pub use error::{Error, Result, exit};
