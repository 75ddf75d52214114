//! cargo-migrate: the `cargo migrate` command and the run-time library behind it.
//!
//! The library holds everything but the few lines of `main.rs`: configuration, one backend per
//! database behind [`backend::Backend`], the generic migrator ([`state`], [`plan`], [`drift`],
//! [`script`], [`session`], [`migrate`]), and (with the default `cli` feature) one module per
//! command. Without `cli` it is what an application needs to migrate at start-up: [`embedded`].
//! The library never prints: it reports [`events`].

// Without the command line, what only its commands use (verify's scratch databases and schema
// snapshots, say) is compiled but unused; the default build, which clippy checks with dead
// code denied, still catches code nothing uses.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]

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
