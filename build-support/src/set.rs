//! Discovery: the migration set of a directory, with every problem found on the way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checksum::Checksum;
use crate::directives::{self, Directives, Script};
use crate::finding::Finding;
use crate::name::{FileKind, parse_file_name};

/// One script file of a migration.
#[derive(Clone, Debug)]
pub struct SqlFile {
    pub path: PathBuf,
    /// The path as shown to the user.
    pub display: String,
    pub text: Arc<str>,
    pub checksum: Checksum,
    pub directives: Directives,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub version: i64,
    pub slug: String,
    pub up: SqlFile,
    /// `None` for an up-only migration or a reversible one whose down file is missing.
    pub down: Option<SqlFile>,
    /// Written as `<VERSION>_<slug>.sql`: irreversible by its form.
    pub up_only: bool,
}

impl Migration {
    /// `<VERSION>_<slug>`, the way the migration is named everywhere.
    pub fn name(&self) -> String {
        format!("{}_{}", self.version, self.slug)
    }

    pub fn directives(&self) -> &Directives {
        &self.up.directives
    }
}

/// Every migration of a directory, in version order, and what was wrong with the directory.
///
/// Loading never stops at the first problem: a badly named file, a duplicate version, a down
/// script without its up or a file that is not UTF-8 becomes a [`Finding`], and everything
/// else is still loaded.
#[derive(Clone, Debug, Default)]
pub struct MigrationSet {
    pub migrations: Vec<Migration>,
    pub findings: Vec<Finding>,
}

/// Which files [`MigrationSet::load_with`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    Everything,
    /// The up scripts only: down scripts are found and paired but not read, so their text is
    /// empty and their checksum that of nothing. For commands that only need the ups (status).
    UpScripts,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    #[error("the migration directory {dir} does not exist")]
    #[diagnostic(
        code(migrate::missing_dir),
        help(
            "create it with `cargo migrate init`, or point `--dir` (or `dir` in the config) at it"
        )
    )]
    Missing { dir: String },
    #[error("cannot read {path}")]
    #[diagnostic(code(migrate::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Files found for one version, before they are paired.
#[derive(Default)]
struct Slots {
    ups: Vec<(String, SqlFile, FileKind)>,
    downs: Vec<(String, SqlFile)>,
}

impl MigrationSet {
    /// Loads `dir`. `display_dir` is how the directory is named in messages (usually relative
    /// to the user's working directory).
    pub fn load(dir: &Path, display_dir: &str) -> Result<MigrationSet, LoadError> {
        Self::load_with(dir, display_dir, Read::Everything)
    }

    /// Loads `dir`, reading the down scripts or not (see [`Read`]).
    pub fn load_with(dir: &Path, display_dir: &str, read: Read) -> Result<MigrationSet, LoadError> {
        if !dir.is_dir() {
            return Err(LoadError::Missing {
                dir: display_dir.to_owned(),
            });
        }
        let shown = |name: &str| {
            if display_dir.is_empty() || display_dir == "." {
                name.to_owned()
            } else {
                format!("{}/{name}", display_dir.trim_end_matches('/'))
            }
        };
        let mut set = MigrationSet::default();
        let mut by_version: BTreeMap<i64, Slots> = BTreeMap::new();
        let walk = walkdir::WalkDir::new(dir).min_depth(1).max_depth(1);
        let mut entries = Vec::new();
        for entry in walk {
            entries.push(entry.map_err(|e| {
                LoadError::Io {
                    path: e
                        .path()
                        .map_or_else(|| display_dir.to_owned(), |p| p.display().to_string()),
                    source: e.into(),
                }
            })?);
        }
        // Sorted once by name (walkdir's sorting re-parses both paths at every comparison).
        let mut entries: Vec<(std::ffi::OsString, walkdir::DirEntry)> = entries
            .into_iter()
            .map(|e| (e.file_name().to_owned(), e))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, entry) in entries {
            if entry.file_type().is_dir() {
                continue;
            }
            let Some(name) = entry.file_name().to_str() else {
                let lossy = entry.file_name().to_string_lossy().into_owned();
                set.findings.push(
                    Finding::error("invalid-file-name", shown(&lossy), "the file name is not valid UTF-8")
                        .with_help("rename it to `<VERSION>_<slug>.up.sql` using lowercase ASCII letters, digits and `_`"),
                );
                continue;
            };
            let parsed = match parse_file_name(name) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => continue,
                Err(why) => {
                    set.findings.push(
                        Finding::error("invalid-file-name", shown(name), format!("not a migration file name: {why}"))
                            .with_help("name migrations `<VERSION>_<slug>.up.sql` and `.down.sql` (or `<VERSION>_<slug>.sql` for an up-only one); `cargo migrate new <name>` writes a well-named pair"),
                    );
                    continue;
                }
            };
            let display = shown(name);
            if parsed.kind == FileKind::Down && read == Read::UpScripts {
                let file = SqlFile {
                    path: entry.path().to_owned(),
                    display,
                    text: Arc::from(""),
                    checksum: Checksum::of(b""),
                    directives: Directives::default(),
                };
                by_version
                    .entry(parsed.version)
                    .or_default()
                    .downs
                    .push((parsed.slug, file));
                continue;
            }
            let bytes = std::fs::read(entry.path()).map_err(|source| LoadError::Io {
                path: display.clone(),
                source,
            })?;
            let text: Arc<str> = match String::from_utf8(bytes) {
                Ok(text) => text.into(),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let lossy: Arc<str> = String::from_utf8_lossy(e.as_bytes()).into();
                    let lossy_at = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
                    let (line, column) = crate::line_col(&lossy, lossy_at);
                    set.findings.push(
                        Finding::error(
                            "non-utf8-file",
                            display,
                            format!("the file is not valid UTF-8 (byte {at}, line {line}, column {column})"),
                        )
                        .at(lossy, lossy_at..lossy_at + 1, "invalid UTF-8 here")
                        .with_help("save the file as UTF-8"),
                    );
                    continue;
                }
            };
            let script = if parsed.kind == FileKind::Down {
                Script::Down
            } else {
                Script::Up
            };
            let file = SqlFile {
                path: entry.path().to_owned(),
                checksum: Checksum::of(text.as_bytes()),
                directives: directives::parse(&display, &text, script, &mut set.findings),
                display,
                text,
            };
            let slots = by_version.entry(parsed.version).or_default();
            match parsed.kind {
                FileKind::Down => slots.downs.push((parsed.slug, file)),
                kind => slots.ups.push((parsed.slug, file, kind)),
            }
        }
        for (version, slots) in by_version {
            set.pair(version, slots);
        }
        Ok(set)
    }

    fn pair(&mut self, version: i64, slots: Slots) {
        let Slots { mut ups, mut downs } = slots;
        if ups.len() > 1 {
            let names: Vec<&str> = ups.iter().map(|(_, f, _)| f.display.as_str()).collect();
            self.findings.push(
                Finding::error(
                    "duplicate-version",
                    names[1],
                    format!("version {version} is used by more than one migration: {}", names.join(", ")),
                )
                .with_help("give one of them a new version: `cargo migrate new <name>` picks the next free one; move the SQL there and delete the old file"),
            );
            return;
        }
        let Some((slug, up, kind)) = ups.pop() else {
            for (_, down) in downs {
                let up_name = down.display.replace(".down.sql", ".up.sql");
                self.findings.push(
                    Finding::error(
                        "orphan-down",
                        &down.display,
                        format!("down script without an up script (no {up_name})"),
                    )
                    .with_help(
                        "add the up script, or delete the down script if the migration was removed",
                    ),
                );
            }
            return;
        };
        let matching = downs.iter().position(|(s, _)| *s == slug);
        let down = match (kind, matching) {
            (FileKind::Up, Some(i)) => Some(downs.swap_remove(i).1),
            _ => None,
        };
        for (_, orphan) in downs {
            let why = if kind == FileKind::UpOnly {
                format!(
                    "{} is an up-only migration, so this down script is never used",
                    up.display
                )
            } else {
                format!("its up script has another name: {}", up.display)
            };
            self.findings.push(
                Finding::error("orphan-down", &orphan.display, format!("down script without an up script: {why}"))
                    .with_help("name the pair `<VERSION>_<slug>.up.sql` and `<VERSION>_<slug>.down.sql` with the same slug"),
            );
        }
        self.migrations.push(Migration {
            version,
            slug,
            up,
            down,
            up_only: kind == FileKind::UpOnly,
        });
    }

    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::Severity::Error)
    }

    pub fn get(&self, version: i64) -> Option<&Migration> {
        self.migrations
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.migrations[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &[u8])]) -> MigrationSet {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        std::fs::create_dir(dir.path().join("subdir")).unwrap();
        MigrationSet::load(dir.path(), "migrations").unwrap()
    }

    fn findings(set: &MigrationSet) -> Vec<String> {
        set.findings
            .iter()
            .map(|f| format!("{} {}: {}", f.rule, f.location(), f.message))
            .collect()
    }

    #[test]
    fn pairs_and_orders_by_number() {
        let set = load(&[
            ("10_c.up.sql", b"SELECT 3;"),
            ("10_c.down.sql", b"SELECT -3;"),
            ("9_b.sql", b"SELECT 2;"),
            ("0001_a.up.sql", b"SELECT 1;"),
            ("README.md", b"not a migration"),
        ]);
        assert!(set.findings.is_empty(), "{:?}", findings(&set));
        let names: Vec<String> = set.migrations.iter().map(Migration::name).collect();
        assert_eq!(names, ["1_a", "9_b", "10_c"]);
        assert!(set.migrations[0].down.is_none() && !set.migrations[0].up_only);
        assert!(set.migrations[1].up_only);
        assert_eq!(
            set.migrations[2].down.as_ref().unwrap().display,
            "migrations/10_c.down.sql"
        );
    }

    #[test]
    fn reports_every_problem_and_keeps_the_rest() {
        let set = load(&[
            ("1_a.up.sql", b"SELECT 1;"),
            ("001_b.up.sql", b"SELECT 1;"),
            ("2_c.down.sql", b"SELECT 1;"),
            ("3_Bad-Name.up.sql", b"SELECT 1;"),
            ("4_d.up.sql", b"SELECT 1;\n-- caf\xe9\n"),
            ("5_e.sql", b"SELECT 1;"),
            ("5_e.down.sql", b"SELECT 1;"),
            ("6_ok.up.sql", b"SELECT 1;"),
        ]);
        assert_eq!(
            findings(&set),
            [
                "invalid-file-name migrations/3_Bad-Name.up.sql: not a migration file name: the name `Bad-Name` has `B`; names use only lowercase letters, digits and `_`",
                "non-utf8-file migrations/4_d.up.sql:2:7: the file is not valid UTF-8 (byte 16, line 2, column 7)",
                "duplicate-version migrations/1_a.up.sql: version 1 is used by more than one migration: migrations/001_b.up.sql, migrations/1_a.up.sql",
                "orphan-down migrations/2_c.down.sql: down script without an up script (no migrations/2_c.up.sql)",
                "orphan-down migrations/5_e.down.sql: down script without an up script: migrations/5_e.sql is an up-only migration, so this down script is never used",
            ]
        );
        let names: Vec<String> = set.migrations.iter().map(Migration::name).collect();
        assert_eq!(names, ["5_e", "6_ok"]);
        assert!(set.has_errors());
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = MigrationSet::load(Path::new("/nonexistent/x"), "x").unwrap_err();
        assert!(matches!(err, LoadError::Missing { .. }));
    }
}
