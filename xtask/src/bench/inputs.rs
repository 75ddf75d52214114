//! The benchmark inputs: `target/bench-sets/N<n>/`, written by the shared generator with its
//! default seed (so that the figures compare with the project's reference numbers).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::options::Options;
use super::progress;
use crate::{Result, process};

/// Where the generator writes, relative to the workspace root.
const OUT_DIR: &str = "target/bench-sets";

/// One generated set of `n` migrations.
#[derive(Debug, Clone)]
pub struct BenchSet {
    pub n: usize,
    /// Absolute `…/target/bench-sets/N<n>`.
    pub dir: PathBuf,
    /// How many tables the ups create, from `stats.txt`; both the floor and cargo-migrate must
    /// end up with exactly these.
    pub tables: usize,
}

impl BenchSet {
    /// The migrations in cargo-migrate's layout (`<version>_<name>.up.sql`/`.down.sql`).
    pub fn migrations(&self) -> PathBuf {
        self.dir.join("migrations")
    }

    /// Every up script, each in its own `BEGIN; … COMMIT;`: the floor's input.
    pub fn all_tx(&self) -> PathBuf {
        self.dir.join("all_tx.sql")
    }
}

/// Generates the sets that are missing (or all of them with `--regenerate`) and loads them.
pub fn prepare(root: &Path, opts: &Options) -> Result<Vec<BenchSet>> {
    let out = root.join(OUT_DIR);
    let missing: Vec<usize> = opts
        .sizes
        .iter()
        .copied()
        .filter(|&n| opts.regenerate || read_stats(&out, n).is_none())
        .collect();
    if missing.is_empty() {
        progress(&format!("inputs: reusing {}", out.display()));
    } else {
        let generator = match &opts.generator {
            // Relative to where the user ran the command; the generator runs from the root.
            Some(path) => std::path::absolute(path)
                .map_err(|e| format!("--generator {}: {e}", path.display()))?,
            None => root.join("../shared/bench/gen_migrations.py"),
        };
        generate(root, &generator, &missing)?;
    }
    opts.sizes
        .iter()
        .map(|&n| {
            let stats = read_stats(&out, n).ok_or_else(|| {
                format!(
                    "{}: stats.txt is missing or does not say migrations={n} after generating",
                    out.join(format!("N{n}")).display()
                )
            })?;
            let tables = created_tables(&stats).ok_or_else(|| {
                format!("N{n}/stats.txt has no create_table count in its kinds line")
            })?;
            Ok(BenchSet {
                n,
                dir: out.join(format!("N{n}")),
                tables,
            })
        })
        .collect()
}

/// `python3 <generator> --out target/bench-sets N…`, from the workspace root, default seed.
fn generate(root: &Path, generator: &Path, sizes: &[usize]) -> Result<()> {
    if !generator.is_file() {
        return Err(format!(
            "the input generator {} does not exist; pass --generator PATH",
            generator.display()
        ));
    }
    process::require("python3", "install Python 3; the input generator needs it")?;
    let list: Vec<String> = sizes.iter().map(usize::to_string).collect();
    progress(&format!("inputs: generating N={} …", list.join(", N=")));
    let mut cmd = Command::new("python3");
    cmd.current_dir(root)
        .arg(generator)
        .args(["--out", OUT_DIR])
        .args(&list);
    process::run_visible(&mut cmd, &format!("the generator {}", generator.display()))
}

/// `N<n>/stats.txt`, which the generator writes last: its presence (saying `migrations=<n>`)
/// means the set is complete.
fn read_stats(out: &Path, n: usize) -> Option<String> {
    let stats = std::fs::read_to_string(out.join(format!("N{n}")).join("stats.txt")).ok()?;
    stats
        .lines()
        .any(|l| l.trim() == format!("migrations={n}"))
        .then_some(stats)
}

/// The `create_table` count of the `kinds=[('add_column', 123), ('create_table', 45), …]` line.
fn created_tables(stats: &str) -> Option<usize> {
    let line = stats.lines().find(|l| l.starts_with("kinds="))?;
    let rest = &line[line.find("'create_table'")? + "'create_table'".len()..];
    let digits: String = rest
        .trim_start_matches([',', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_table_count() {
        let stats = "migrations=10\nup_statements=12\nup_bytes=99\nkinds=[('add_column', 2), ('create_table', 5), ('insert', 3)]\n";
        assert_eq!(created_tables(stats), Some(5));
        assert_eq!(created_tables("kinds=[('insert', 3)]"), None);
    }
}
