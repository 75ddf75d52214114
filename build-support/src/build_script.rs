//! The build.rs entry points: check a migrations directory during `cargo build`, and
//! optionally embed it in the crate being built.
//!
//! ```text
//! // build.rs
//! fn main() {
//!     cargo_migrate_build_support::check_migrations("migrations");
//!     // or, to also embed them for `cargo_migrate::embedded_migrations!()`:
//!     cargo_migrate_build_support::embed_migrations("migrations");
//! }
//! ```
//!
//! Errors (lint errors, branch conflicts) fail the build with the rendered report; warnings
//! (warn-level rules, unreviewed migrations, a damaged review lock) become cargo warnings. The
//! build script re-runs only when a migration file, the directory, a manifest that holds the
//! config, or the git branch (HEAD, its ref, main's ref, packed-refs) changes: only files that
//! exist are named, since a missing one would make cargo re-run the script on every build. This
//! is the one place in this crate that prints, as build scripts must.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{self, MigrateMetadata, lint_dialect};
use crate::lints::{Level, LintConfig, RuleId, lint, with_level};
use crate::{Dialect, MigrationSet, Severity};

/// The file [`embed_migrations`] writes into `OUT_DIR`.
pub const EMBEDDED_FILE: &str = "cargo_migrate_migrations.rs";

/// Checks `dir` (relative to the crate's manifest directory) with the configuration found in
/// `[package.metadata.migrate]` / `[workspace.metadata.migrate]`; exits the build script with
/// an error when a deny-level rule fails.
pub fn check_migrations(dir: impl AsRef<Path>) {
    build(dir.as_ref(), false);
}

/// Checks `dir` exactly like [`check_migrations`], then writes `$OUT_DIR/`[`EMBEDDED_FILE`]:
/// every migration file of `dir` by name, its bytes included with `include_bytes!` (so the
/// crate is rebuilt when one changes). `cargo_migrate::embedded_migrations!()` includes it;
/// versions, checksums and directives are derived from the bytes at run time by the same code
/// that loads a directory.
pub fn embed_migrations(dir: impl AsRef<Path>) {
    build(dir.as_ref(), true);
}

fn build(given: &Path, embed: bool) {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = manifest_dir.join(given);
    let fail = |message: &str| -> ! {
        let _ = writeln!(
            std::io::stdout().lock(),
            "cargo:rerun-if-changed={}",
            dir.display()
        );
        let _ = writeln!(std::io::stderr().lock(), "error: {message}");
        std::process::exit(1);
    };
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
        Err(message) => fail(&message),
    }
    if embed {
        let Some(out_dir) = std::env::var_os("OUT_DIR") else {
            fail(
                "OUT_DIR is not set: call `cargo_migrate_build_support::embed_migrations` from a build script",
            );
        };
        let shown = given.display().to_string();
        if let Err(message) = write_embedded(&dir, &shown, Path::new(&out_dir)) {
            fail(&message);
        }
    }
}

/// Writes [`EMBEDDED_FILE`] for `dir` into `out_dir`, unless it already holds the same text;
/// `shown` is how run-time messages name the directory. Returns the path written.
pub fn write_embedded(dir: &Path, shown: &str, out_dir: &Path) -> Result<PathBuf, String> {
    let source = embedded_source(dir, shown)?;
    let path = out_dir.join(EMBEDDED_FILE);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(source.as_str()) {
        std::fs::write(&path, source)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(path)
}

/// The generated Rust expression: `(display_dir, &[(file name, bytes), …])`, files sorted by
/// name. Every `.sql` file of the directory is listed, also one with a bad name, so that the
/// run-time loader finds exactly what the check found.
fn embedded_source(dir: &Path, shown: &str) -> Result<String, String> {
    use std::fmt::Write as _;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let is_file = entry.file_type().is_ok_and(|t| !t.is_dir());
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue; // reported by the check as `invalid-file-name`
        };
        if is_file && crate::parse_file_name(name) != Ok(None) {
            let path = entry.path();
            let path = path.to_str().ok_or_else(|| {
                format!(
                    "cannot embed {}: the path is not valid UTF-8",
                    path.display()
                )
            })?;
            files.push((name.to_owned(), path.to_owned()));
        }
    }
    files.sort();
    let mut out = format!(
        "// @generated by cargo_migrate_build_support::embed_migrations from {}; included by\n\
         // cargo_migrate::embedded_migrations!(). Do not edit.\n({shown:?}, &[\n",
        dir.display()
    );
    for (name, path) in files {
        let _ = writeln!(out, "    ({name:?}, include_bytes!({path:?}) as &[u8]),");
    }
    out.push_str("])\n");
    Ok(out)
}

/// How messages name the directory: relative to the manifest directory where possible.
fn display_dir(manifest_dir: &Path, dir: &Path) -> String {
    dir.strip_prefix(manifest_dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| dir.display().to_string())
}

/// A directory build.rs names that does not exist: where it was looked for (build.rs paths are
/// relative to the crate, not the workspace), and the path to pass instead when a parent
/// directory has one of that name (a workspace's `migrations/`).
fn missing_dir(manifest_dir: &Path, dir: &Path) -> String {
    let given = dir.strip_prefix(manifest_dir).unwrap_or(dir);
    let found = manifest_dir
        .ancestors()
        .skip(1)
        .enumerate()
        .find(|(_, a)| given.is_relative() && a.join(given).is_dir())
        .map(|(up, _)| {
            let mut path = PathBuf::new();
            for _ in 0..=up {
                path.push("..");
            }
            path.join(given)
        });
    let fix = match found {
        Some(path) => format!(
            "pass the path from this crate: `cargo_migrate_build_support::check_migrations(\"{}\")` (or `embed_migrations`)",
            path.display()
        ),
        None => "create it with `cargo migrate init`, or pass the path of the migrations directory from this crate".to_owned(),
    };
    format!(
        "the migration directory {} does not exist (the path build.rs gives is relative to this crate, {}); {fix}",
        dir.display(),
        manifest_dir.display()
    )
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
    report
        .cargo_lines
        .extend(config.cargo_lines.iter().cloned());
    report
        .cargo_lines
        .push(format!("cargo:rerun-if-changed={}", dir.display()));
    let shown = display_dir(manifest_dir, dir);
    let set = MigrationSet::load(dir, &shown).map_err(|e| match e {
        crate::LoadError::Missing { .. } => missing_dir(manifest_dir, dir),
        other => other.to_string(),
    })?;
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
        .with_levels((config.metadata.lints.iter()).map(|(k, v)| (k.as_str(), v.as_str())))?
        .with_version(config.metadata.server_version(config.dialect))?;
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(120)
            .with_links(false);
    // The branch check first: the migrations it finds new on this branch are deployed nowhere
    // yet, which the rules take into account.
    #[cfg(feature = "git")]
    let (lint_config, conflicts) = {
        let branch = crate::git::check_branch(
            dir,
            &set,
            config.dialect,
            config.metadata.main_branch.as_deref(),
        );
        for file in &branch.watch {
            report
                .cargo_lines
                .push(format!("cargo:rerun-if-changed={}", file.display()));
        }
        let versions = branch.branch_migrations.iter().map(|(v, _)| *v);
        let lint_config = lint_config
            .with_undeployed(versions)
            .with_on_main(branch.on_main);
        (lint_config, branch.conflicts)
    };
    #[cfg(not(feature = "git"))]
    let conflicts: Vec<crate::Finding> = Vec::new();
    let mut findings = lint(&set, &lint_config);
    findings.extend(
        conflicts
            .into_iter()
            .filter_map(|f| lint_config.apply_level(f)),
    );
    // A build does not fail on the review lock unless the config says so: at their default
    // level, an unreviewed migration and a damaged lock are warnings here.
    let lock_level = |id: RuleId| lint_config.configured(id).unwrap_or(Level::Warn);
    match crate::lock::review_status(dir, &set) {
        Ok(status) => {
            let configured = lint_config.configured(RuleId::UnreviewedMigration);
            if crate::lock::reviews_required(&status, configured) {
                findings.extend(
                    crate::lock::unreviewed_findings(&set, &status, Severity::Warning)
                        .into_iter()
                        .filter_map(|f| with_level(f, lock_level(RuleId::UnreviewedMigration))),
                );
            }
        }
        Err(damaged) => findings.extend(with_level(*damaged, lock_level(RuleId::DamagedLock))),
    }
    let mut errors = 0;
    for finding in findings {
        match finding.severity {
            Severity::Warning => {
                // The lock's warnings say what to run; the rules have their docs.
                let fix = match (&finding.help, finding.rule) {
                    (Some(help), RuleId::UnreviewedMigration | RuleId::DamagedLock) => {
                        format!(" ({help})")
                    }
                    _ => String::new(),
                };
                report.cargo_lines.push(format!(
                    "cargo:warning={}: [{}] {}{fix}",
                    finding.location(),
                    finding.rule,
                    finding.message
                ))
            }
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
/// workspace root's with the one schema ([`MigrateMetadata`]) and the one dialect rule
/// ([`lint_dialect`]) the command line uses.
#[derive(Debug)]
struct BuildConfig {
    dialect: Dialect,
    metadata: MigrateMetadata,
    /// What to watch: the manifests, the `.env` file read, the URL variable.
    cargo_lines: Vec<String>,
}

impl BuildConfig {
    fn find(manifest_dir: &Path) -> Result<BuildConfig, String> {
        let mut cargo_lines = Vec::new();
        let mut watch = |path: &Path| {
            cargo_lines.push(format!("cargo:rerun-if-changed={}", path.display()));
        };
        let package = manifest_dir.join("Cargo.toml");
        let mut package_meta = MigrateMetadata::default();
        let mut workspace_meta = MigrateMetadata::default();
        let mut root = manifest_dir.to_path_buf();
        let mut is_workspace_root = false;
        if let Some(doc) = read_toml(&package)? {
            watch(&package);
            package_meta = metadata(&doc, "package", &package)?;
            if doc.contains_key("workspace") {
                is_workspace_root = true;
                workspace_meta = metadata(&doc, "workspace", &package)?;
            }
        }
        if !is_workspace_root {
            // The workspace root: the nearest parent manifest with a [workspace] table.
            for dir in manifest_dir.ancestors().skip(1) {
                let path = dir.join("Cargo.toml");
                if let Some(doc) = read_toml(&path)?
                    && doc.contains_key("workspace")
                {
                    watch(&path);
                    workspace_meta = metadata(&doc, "workspace", &path)?;
                    root = dir.to_path_buf();
                    break;
                }
            }
        }
        let metadata = MigrateMetadata::merge(workspace_meta, package_meta);
        let var = metadata.url_env(None);
        let env = |name: &str| std::env::var(name).ok();
        let found = config::find_url(&var, env, manifest_dir, &root).map_err(|e| e.to_string())?;
        // Only a file that exists: cargo re-runs a build script whose watched file is missing.
        if let Some(file) = config::dotenv_file(manifest_dir, &root) {
            watch(&file);
        }
        cargo_lines.push(format!("cargo:rerun-if-env-changed={var}"));
        let url = found.as_ref().map(|f| f.url.as_str());
        let dialect = lint_dialect(&metadata, url).map_err(|e| e.to_string())?;
        Ok(BuildConfig {
            dialect,
            metadata,
            cargo_lines,
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
fn metadata(doc: &toml::Table, section: &str, path: &Path) -> Result<MigrateMetadata, String> {
    let Some(table) = doc
        .get(section)
        .and_then(|s| s.get("metadata"))
        .and_then(|m| m.get("migrate"))
    else {
        return Ok(MigrateMetadata::default());
    };
    table.clone().try_into().map_err(|e| {
        format!(
            "invalid `{section}.metadata.migrate` in {}: {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_names_where_it_was_looked_for_and_the_workspace_one() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\n",
        )
        .unwrap();
        std::fs::create_dir(root.path().join("migrations")).unwrap();
        let krate = root.path().join("app");
        std::fs::create_dir(&krate).unwrap();
        std::fs::write(krate.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
        let message = run(&krate, &krate.join("migrations")).unwrap_err();
        assert!(
            message.contains(&format!(
                "the migration directory {} does not exist",
                krate.join("migrations").display()
            )),
            "{message}"
        );
        assert!(
            message.contains("`cargo_migrate_build_support::check_migrations(\"../migrations\")`"),
            "{message}"
        );
        std::fs::remove_dir(root.path().join("migrations")).unwrap();
        let message = run(&krate, &krate.join("migrations")).unwrap_err();
        assert!(message.contains("cargo migrate init"), "{message}");
    }

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
        let var = "cargo:rerun-if-env-changed=DATABASE_URL";
        assert!(report.cargo_lines.iter().any(|l| l == var), "{report:?}");

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

    #[test]
    fn the_embedded_file_lists_every_sql_file_by_absolute_path() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("2_b.up.sql"), "SELECT 2;").unwrap();
        std::fs::write(dir.join("1_a.sql"), "SELECT 1;").unwrap();
        std::fs::write(dir.join("README.md"), "notes").unwrap();
        std::fs::create_dir(dir.join("3_c.up.sql")).unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let path = write_embedded(&dir, "migrations", &out).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let dir = dir.to_str().unwrap();
        assert_eq!(
            text.lines().skip(2).collect::<Vec<_>>(),
            [
                "(\"migrations\", &[".to_owned(),
                format!(
                    "    (\"1_a.sql\", include_bytes!({:?}) as &[u8]),",
                    format!("{dir}/1_a.sql")
                ),
                format!(
                    "    (\"2_b.up.sql\", include_bytes!({:?}) as &[u8]),",
                    format!("{dir}/2_b.up.sql")
                ),
                "])".to_owned(),
            ]
        );
        // Unchanged text is not written again, so nothing downstream looks changed.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        write_embedded(Path::new(dir), "migrations", &out).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), old);
    }

    #[test]
    fn unreviewed_migrations_and_a_damaged_lock_are_warnings_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n",
        )
        .unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id INT);").unwrap();
        std::fs::write(dir.join("1_a.down.sql"), "DROP TABLE a;").unwrap();
        let warnings = |report: &BuildReport| -> Vec<String> {
            report
                .cargo_lines
                .iter()
                .filter(|l| l.starts_with("cargo:warning="))
                .cloned()
                .collect()
        };
        // A project that never reviewed anything is not asked to.
        let report = run(root.path(), &dir).unwrap();
        assert!(report.errors.is_empty(), "{}", report.errors);
        assert_eq!(warnings(&report), Vec::<String>::new());
        // One that says reviews are required is, before its first review too.
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n\n[package.metadata.migrate.lints]\nunreviewed-migration = \"warn\"\n",
        )
        .unwrap();
        let report = run(root.path(), &dir).unwrap();
        assert!(report.errors.is_empty(), "{}", report.errors);
        assert_eq!(
            warnings(&report),
            [
                "cargo:warning=migrations/1_a.up.sql: [unreviewed-migration] 1_a is not reviewed (there is no migrations/migrate.lock yet) (read it and record it as reviewed: `cargo migrate review 1`)"
            ]
        );
        std::fs::write(
            root.path().join("Cargo.toml"),
            "[package]\nname = \"app\"\n",
        )
        .unwrap();
        let set = MigrationSet::load(&dir, "migrations").unwrap();
        crate::lock::record_reviewed(&dir, &set, &[1]).unwrap();
        assert_eq!(
            warnings(&run(root.path(), &dir).unwrap()),
            Vec::<String>::new()
        );
        std::fs::write(
            dir.join("migrate.lock"),
            "<<<<<<< HEAD\n=======\n>>>>>>> main\n",
        )
        .unwrap();
        let report = run(root.path(), &dir).unwrap();
        assert!(report.errors.is_empty(), "{}", report.errors);
        let warnings = warnings(&report);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("[damaged-lock]") && warnings[0].contains("cargo migrate rebase"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_review_lock_rules_take_their_level_from_the_config() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id INT);").unwrap();
        std::fs::write(dir.join("1_a.down.sql"), "DROP TABLE a;").unwrap();
        let with_lints = |lints: &str| {
            std::fs::write(
                root.path().join("Cargo.toml"),
                format!("[package]\nname = \"app\"\n\n[package.metadata.migrate.lints]\n{lints}"),
            )
            .unwrap();
            run(root.path(), &dir).unwrap()
        };
        let report = with_lints("unreviewed-migration = \"allow\"\nbranch-conflict = \"warn\"\n");
        assert!(report.errors.is_empty(), "{}", report.errors);
        assert!(
            !report
                .cargo_lines
                .iter()
                .any(|l| l.starts_with("cargo:warning=")),
            "{:?}",
            report.cargo_lines
        );
        let report = with_lints("unreviewed-migration = \"deny\"\n");
        assert!(
            report.errors.contains("unreviewed-migration")
                && report.errors.contains("1 problem(s)"),
            "{}",
            report.errors
        );
        std::fs::write(dir.join("migrate.lock"), "<<<<<<< HEAD\n").unwrap();
        let report = with_lints("damaged-lock = \"deny\"\n");
        assert!(report.errors.contains("damaged-lock"), "{}", report.errors);
        let report = with_lints("damaged-lock = \"allow\"\n");
        assert!(report.errors.is_empty(), "{}", report.errors);
        assert!(
            !report
                .cargo_lines
                .iter()
                .any(|l| l.starts_with("cargo:warning=")),
            "{:?}",
            report.cargo_lines
        );
    }
}
