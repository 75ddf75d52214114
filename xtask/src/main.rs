//! `cargo xtask <command>`: the project's own automation, run from the workspace root with
//! `cargo xtask …` (an alias in `.cargo/config.toml`).

mod bench;
mod build;
mod chaos;
mod codegen;
mod corpus;
mod flags;
mod fuzz;
mod hooks;
#[cfg(test)]
mod layering;
mod man;
mod process;
mod squawk;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Every xtask failure is a message for the person at the terminal.
pub type Result<T, E = String> = std::result::Result<T, E>;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  bench          time `cargo-migrate migrate up`/`status` against psql and sqlite3, and the
                 commit gate (run `cargo xtask bench --help`)
  chaos          fault injection against `cargo-migrate migrate up` (SIGKILL, dropped and
                 frozen connections, killed sessions; run `cargo xtask chaos --help`)
  codegen        regenerate docs/lints/ from the doc headers of the lint rules
  corpus         lint and verify real migration histories and compare the two: false
                 alarms, misses, recall (run `cargo xtask corpus --help`)
  squawk         this tool's lock and deploy rules side by side with squawk's on the real
                 PostgreSQL histories of the corpus (run `cargo xtask squawk --help`)
  fuzz           run the property tests over random input for longer, and count (run
                 `cargo xtask fuzz --help`)
  man            write the man pages of `cargo migrate` (default target/man/; --out DIR)
  pre-commit     the commit gate for this repository (what .githooks/pre-commit runs)
  install-hooks  enable .githooks/ in this clone (git config core.hooksPath .githooks)
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let outcome = match command.as_deref() {
        Some("bench") => bench::main(rest),
        Some("chaos") => chaos::main(rest),
        Some("codegen") => codegen::main(&rest),
        Some("corpus") => corpus::main(rest),
        Some("fuzz") => fuzz::main(&rest),
        Some("squawk") => squawk::main(rest),
        Some("man") => man::main(&rest),
        Some("pre-commit") => return hooks::pre_commit(&rest),
        Some("install-hooks") => hooks::install(&rest),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(format!("no command given\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
