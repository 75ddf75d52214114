//! cargo-migrate: the `cargo migrate` command and the run-time library behind it.
//!
//! The library holds everything but the few lines of `main.rs`: configuration, one backend per
//! database behind [`backend::Backend`], the generic [`runner`], and one module per command.

pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db_url;
pub mod error;
pub mod output;
pub mod runner;
pub mod snapshot;
mod templates;

pub use error::{Error, Result, exit};
