//! cargo-migrate: the `cargo migrate` command and the run-time library behind it.
//!
//! The library holds everything but the few lines of `main.rs`: configuration, one backend per
//! database behind [`backend::Backend`], the generic migrator ([`state`], [`plan`], [`drift`],
//! [`script`], [`session`], [`migrate`]), and (with the default `cli` feature) one module per
//! command. Without `cli` it is what an application needs to migrate at start-up: [`embedded`].
//! The library never prints: it reports [`events`].

pub mod backend;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod commands;
pub mod config;
pub mod db_url;
pub mod drift;
pub mod embedded;
pub mod error;
pub mod events;
pub mod migrate;
#[cfg(feature = "cli")]
pub mod output;
pub mod plan;
pub mod script;
pub mod session;
pub mod snapshot;
#[cfg(feature = "cli")]
pub mod staged;
pub mod state;
#[cfg(feature = "cli")]
mod templates;

pub use error::{Error, Result, exit};
