//! The build.rs entry point: check a migrations directory during `cargo build`.
//!
//! ```text
//! // build.rs
//! fn main() {
//!     build_support::check_migrations("migrations");
//! }
//! ```
//!
//! Errors fail the build with the rendered report; warnings become cargo warnings. The build
//! script re-runs only when a migration file, the directory, or a manifest that holds the
//! config changes. This is the one place in this crate that prints, as build scripts must.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::lints::{LintConfig, lint};
use crate::{Dialect, MigrationSet, Severity};

/// Checks `dir` (relative to the crate's manifest directory) with the configuration found in
/// `[package.metadata.migrate]` / `[workspace.metadata.migrate]`; exits the build script with
/// an error when a deny-level rule fails.
pub fn check_migrations(dir: impl AsRef<Path>) {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = manifest_dir.join(dir.as_ref());
    match run(&manifest_dir, &dir) {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            for line in &report.cargo_lines {
                let _ = writeln!(out, "{line}");
            }
            if !report.errors.is_empty() {
                let _ = writeln!(std::io::stderr().lock(), "{}", report.errors);
                std::process::exit(1);
            }
        }
        Err(message) => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "cargo:rerun-if-changed={}",
                dir.display()
            );
            let _ = writeln!(std::io::stderr().lock(), "error: {message}");
            std::process::exit(1);
        }
    }
}

/// What the build script prints: `cargo:` lines for stdout, and the rendered errors.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub cargo_lines: Vec<String>,
    pub errors: String,
}

/// Everything `check_migrations` does but printing, for tests.
pub fn run(manifest_dir: &Path, dir: &Path) -> Result<BuildReport, String> {
    let mut report = BuildReport::default();
    let config = BuildConfig::find(manifest_dir)?;
    for manifest in &config.manifests {
        report
            .cargo_lines
            .push(format!("cargo:rerun-if-changed={}", manifest.display()));
    }
    report
        .cargo_lines
        .push(format!("cargo:rerun-if-changed={}", dir.display()));
    let shown = dir
        .strip_prefix(manifest_dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| dir.display().to_string());
    let set = MigrationSet::load(dir, &shown).map_err(|e| e.to_string())?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for file in files {
            report
                .cargo_lines
                .push(format!("cargo:rerun-if-changed={}", file.display()));
        }
    }
    let lint_config = LintConfig::new(config.dialect)
        .with_levels(config.lints.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(120)
            .with_links(false);
    let mut errors = 0;
    for finding in lint(&set, &lint_config) {
        match finding.severity {
            Severity::Warning => report.cargo_lines.push(format!(
                "cargo:warning={}: [{}] {}",
                finding.location(),
                finding.rule,
                finding.message
            )),
            Severity::Error => {
                errors += 1;
                let _ = handler.render_report(&mut report.errors, &finding);
            }
        }
    }
    if errors > 0 {
        report.errors.push_str(&format!(
            "error: {errors} problem(s) in the migrations in {shown}; `cargo migrate lint` shows them again\n"
        ));
    }
    Ok(report)
}

/// The part of the config the build script needs, read from the package's manifest and the
/// workspace root's.
#[derive(Debug)]
struct BuildConfig {
    dialect: Dialect,
    lints: Vec<(String, String)>,
    manifests: Vec<PathBuf>,
}

impl BuildConfig {
    fn find(manifest_dir: &Path) -> Result<BuildConfig, String> {
        let mut tables = Vec::new(); // package first, then workspace
        let mut manifests = Vec::new();
        let package = manifest_dir.join("Cargo.toml");
        let mut is_workspace_root = false;
        if let Some(doc) = read_toml(&package)? {
            manifests.push(package.clone());
            tables.push(metadata(&doc, "package"));
            if doc.contains_key("workspace") {
                is_workspace_root = true;
                tables.push(metadata(&doc, "workspace"));
            }
        }
        if !is_workspace_root {
            // The workspace root: the nearest parent manifest with a [workspace] table.
            for dir in manifest_dir.ancestors().skip(1) {
                let path = dir.join("Cargo.toml");
                if let Some(doc) = read_toml(&path)?
                    && doc.contains_key("workspace")
                {
                    manifests.push(path);
                    tables.push(metadata(&doc, "workspace"));
                    break;
                }
            }
        }
        let get = |key: &str| {
            tables
                .iter()
                .flatten()
                .find_map(|t| t.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        };
        let dialect = match get("dialect") {
            Some(d) => d.parse()?,
            None => std::env::var("DATABASE_URL")
                .ok()
                .and_then(|url| url.split(':').next()?.parse().ok())
                .unwrap_or(Dialect::Postgres),
        };
        let mut lints = Vec::new();
        for table in tables.iter().rev().flatten() {
            if let Some(levels) = table.get("lints").and_then(|l| l.as_table()) {
                for (rule, level) in levels {
                    let level = level
                        .as_str()
                        .ok_or_else(|| format!("lint `{rule}`: the level must be a string"))?;
                    lints.push((rule.clone(), level.to_owned()));
                }
            }
        }
        Ok(BuildConfig {
            dialect,
            lints,
            manifests,
        })
    }
}

fn read_toml(path: &Path) -> Result<Option<toml::Table>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    text.parse::<toml::Table>()
        .map(Some)
        .map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// `[<section>.metadata.migrate]` of a manifest.
fn metadata(doc: &toml::Table, section: &str) -> Option<toml::Table> {
    doc.get(section)?
        .get("metadata")?
        .get("migrate")?
        .as_table()
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fail_warnings_warn_and_every_file_is_watched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n\n[package.metadata.migrate]\ndialect = \"postgres\"\n\n[package.metadata.migrate.lints]\nban-drop-column = \"warn\"\n",
        )
        .unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id INT, b INT);").unwrap();
        std::fs::write(dir.join("1_a.down.sql"), "DROP TABLE a;").unwrap();
        let report = run(root.path(), &dir).unwrap();
        assert!(report.errors.is_empty(), "{}", report.errors);
        assert!(
            report.cargo_lines.iter().any(|l| l.ends_with("1_a.up.sql")),
            "{:?}",
            report.cargo_lines
        );
        assert!(report.cargo_lines.iter().any(|l| l.ends_with("Cargo.toml")));

        std::fs::write(dir.join("2_b.up.sql"), "CREATE TABLE b (id INT);").unwrap();
        let report = run(root.path(), &dir).unwrap();
        assert!(
            report.errors.contains("require-down-script"),
            "{}",
            report.errors
        );
        assert!(
            report.errors.contains("migrations/2_b.up.sql"),
            "{}",
            report.errors
        );
    }
}
