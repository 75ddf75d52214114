//! The terminal side of the command line: what the commands of [`crate::commands`] parse and
//! how they talk to the person at the terminal. The library below never prints; only this
//! module writes to stdout and stderr or reads stdin.
//!
//! `args.rs`: the clap definition. `output.rs`: Cargo-style status lines on stderr, the
//! product on stdout, a quiet exit on a closed pipe, and the observer that prints the library's
//! events. `machine.rs`: output for machines (the versioned JSON
//! documents, SARIF, `--message-format short`, GitHub Actions annotations). `interrupt.rs`: Ctrl-C during a run (stop after the migration in flight) and its
//! `[n/N]` progress lines. `prompt.rs`: questions asked on the terminal. `report.rs`: diagnostics and errors as
//! the terminal shows them (with the exit code), and the reports of `verify` and the dry runs.

pub mod args;
pub mod interrupt;
pub mod machine;
pub mod output;
pub mod prompt;
pub mod report;
