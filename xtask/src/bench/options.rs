//! `cargo xtask bench` flags, parsed by hand (std only).

use std::path::PathBuf;

use crate::Result;
pub use crate::flags::{Flags, parse_count};

pub const USAGE: &str = "\
usage: cargo xtask bench [options]

Times `cargo-migrate migrate up` against the floor (the same scripts fed to `psql -f` and
`sqlite3 .read`, one transaction per migration) on fresh databases, `migrate status` on
PostgreSQL, `migrate lint`, and a no-op `cargo build` of a crate whose build.rs checks the set
(in a git repository, on a branch), then prints a markdown table on stdout (progress goes to
stderr).
`cargo xtask bench gate` times the commit gate instead (see its --help).

options:
  --sizes N[,N…]       migration counts to run (default 1000,5000)
  --runs N             timed runs per measurement; the table shows the median (default 3)
  --status-runs N      timed `migrate status` runs on PostgreSQL (default 20; 0 skips them)
  --skip-postgres      do not run the PostgreSQL benchmarks
  --skip-sqlite        do not run the SQLite benchmarks
  --big-mb N           also time `up` of one N-megabyte script of INSERTs against the floor
                       (SQLite, PostgreSQL) and `lint` of it (default 8; 0 skips it)
  --regenerate         regenerate the inputs even if target/bench-sets has them
  --generator PATH     the input generator (default <workspace>/../shared/bench/gen_migrations.py)
  -h, --help           show this help

environment:
  TEST_POSTGRES_URL    server to use (default postgres://postgres@127.0.0.1:5432/postgres);
                       one scratch database per run is created on it and dropped
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub sizes: Vec<usize>,
    pub runs: usize,
    pub status_runs: usize,
    pub skip_postgres: bool,
    pub skip_sqlite: bool,
    pub big_mb: usize,
    pub regenerate: bool,
    pub generator: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sizes: vec![1000, 5000],
            runs: 3,
            status_runs: 20,
            skip_postgres: false,
            skip_sqlite: false,
            big_mb: 8,
            regenerate: false,
            generator: None,
        }
    }
}

impl Options {
    /// `Ok(None)` when help was asked for.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
        let mut opts = Options::default();
        let mut flags = Flags::new(args);
        while let Some((flag, inline)) = flags.next() {
            let mut value = || flags.value(&flag, inline.clone());
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--sizes" => opts.sizes = parse_sizes(&value()?)?,
                "--runs" => opts.runs = parse_count("--runs", &value()?, 1)?,
                "--status-runs" => opts.status_runs = parse_count("--status-runs", &value()?, 0)?,
                "--generator" => opts.generator = Some(PathBuf::from(value()?)),
                "--skip-postgres" => opts.skip_postgres = true,
                "--skip-sqlite" => opts.skip_sqlite = true,
                "--big-mb" => opts.big_mb = parse_count("--big-mb", &value()?, 0)?,
                "--regenerate" => opts.regenerate = true,
                _ => return Err(format!("unknown option `{flag}`\n\n{USAGE}")),
            }
        }
        if opts.skip_postgres && opts.skip_sqlite {
            return Err("--skip-postgres and --skip-sqlite together leave nothing to run".into());
        }
        Ok(Some(opts))
    }
}

fn parse_sizes(text: &str) -> Result<Vec<usize>> {
    let mut sizes = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n = parse_count("--sizes", part, 1)?;
        if !sizes.contains(&n) {
            sizes.push(n);
        }
    }
    if sizes.is_empty() {
        return Err("--sizes needs at least one migration count, e.g. --sizes 1000,5000".into());
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>> {
        Options::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults() {
        assert_eq!(parse(&[]), Ok(Some(Options::default())));
    }

    #[test]
    fn flags_with_separate_and_inline_values() {
        let opts = parse(&[
            "--sizes",
            "10,20",
            "--runs=5",
            "--skip-sqlite",
            "--generator=g.py",
            "--big-mb=50",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(opts.sizes, [10, 20]);
        assert_eq!(opts.runs, 5);
        assert!(opts.skip_sqlite && !opts.skip_postgres);
        assert_eq!(opts.generator, Some(PathBuf::from("g.py")));
        assert_eq!(opts.big_mb, 50);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse(&["--runs", "0"]).is_err());
        assert!(parse(&["--runs"]).is_err());
        assert!(parse(&["--sizes", "1000,x"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--skip-postgres", "--skip-sqlite"]).is_err());
        assert_eq!(parse(&["--help"]), Ok(None));
    }
}
