//! Discovery: the migration set of a directory, with every problem found on the way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod checksum;
mod directives;
mod name;

pub use checksum::Checksum;
pub use directives::{Allow, Directives};
pub use name::{FileKind, MigrationName, parse_file_name};

use crate::finding::Finding;
use crate::lints::RuleId;
use directives::Script;

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
    /// Versions whose up script is there but could not be loaded (it is not UTF-8, or two up
    /// scripts share the version), with the slug to name each by. Their findings say why;
    /// this lets `status` show them as invalid rather than as missing or not at all.
    pub unusable: BTreeMap<i64, String>,
    /// How the directory is named in messages (as given to [`MigrationSet::load`]).
    pub display_dir: String,
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

/// A file of the directory as shown to the user.
fn shown(display_dir: &str, name: &str) -> String {
    if display_dir.is_empty() || display_dir == "." {
        name.to_owned()
    } else {
        format!("{}/{name}", display_dir.trim_end_matches('/'))
    }
}

/// Files found for one version, before they are paired.
#[derive(Default)]
struct Slots {
    ups: Vec<(String, SqlFile, FileKind)>,
    downs: Vec<(String, SqlFile)>,
    /// The slug and the display path of an up script of this version that is not UTF-8 or
    /// cannot be read (reported as `non-utf8-file` or `unreadable-file`): its down script is
    /// not an orphan.
    unreadable_up: Option<(String, String)>,
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
        let shown = |name: &str| shown(display_dir, name);
        let mut set = MigrationSet {
            display_dir: display_dir.to_owned(),
            ..MigrationSet::default()
        };
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
                // Diesel's layout, `<version>_<name>/up.sql`: a migration that would never run.
                if entry.path().join("up.sql").is_file() {
                    let name = entry.file_name().to_string_lossy();
                    set.findings.push(
                        Finding::error(
                            RuleId::InvalidFileName,
                            shown(&format!("{name}/up.sql")),
                            "a migration in Diesel's layout (`<version>_<name>/up.sql`): only the files directly in the migrations directory are migrations, so it would never run",
                        )
                        .with_help("convert Diesel's migrations with `cargo migrate import --from diesel` (it keeps their order and, with `--database-url`, records what Diesel applied)"),
                    );
                }
                continue;
            }
            let Some(name) = entry.file_name().to_str() else {
                let lossy = entry.file_name().to_string_lossy().into_owned();
                set.findings.push(
                    Finding::error(RuleId::InvalidFileName, shown(&lossy), "the file name is not valid UTF-8")
                        .with_help("rename it to `<VERSION>_<slug>.up.sql` using lowercase ASCII letters, digits and `_`"),
                );
                continue;
            };
            let display = shown(name);
            let Some(parsed) = set.classify(name, display.clone()) else {
                continue;
            };
            if parsed.kind == FileKind::Down && read == Read::UpScripts {
                set.add(
                    &mut by_version,
                    parsed,
                    entry.path().to_owned(),
                    display,
                    None,
                );
                continue;
            }
            let bytes = match std::fs::read(entry.path()) {
                Ok(bytes) => bytes,
                Err(e) => {
                    // The rest of the directory is still loaded (and `status` lists it).
                    set.unreadable(&mut by_version, parsed, display, &e);
                    continue;
                }
            };
            set.add(
                &mut by_version,
                parsed,
                entry.path().to_owned(),
                display,
                Some(bytes),
            );
        }
        for (version, slots) in by_version {
            set.pair(version, slots);
        }
        Ok(set)
    }

    /// The set of migration files held in memory (by an application that embedded them with
    /// [`embed_migrations`](crate::embed_migrations)): each file's name in the directory and
    /// its bytes. The same validation and checksums as [`MigrationSet::load`], file by file;
    /// `display_dir` names the directory in messages and becomes each file's `path`.
    pub fn from_files<'a>(
        display_dir: &str,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> MigrationSet {
        let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
        files.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut set = MigrationSet {
            display_dir: display_dir.to_owned(),
            ..MigrationSet::default()
        };
        let mut by_version: BTreeMap<i64, Slots> = BTreeMap::new();
        for (name, bytes) in files {
            let display = shown(display_dir, name);
            let Some(parsed) = set.classify(name, display.clone()) else {
                continue;
            };
            let path = PathBuf::from(&display);
            set.add(&mut by_version, parsed, path, display, Some(bytes.to_vec()));
        }
        for (version, slots) in by_version {
            set.pair(version, slots);
        }
        set
    }

    /// The parsed name of a migration file, `None` (and a finding when it ends in `.sql`) for
    /// any other file.
    fn classify(&mut self, name: &str, display: String) -> Option<MigrationName> {
        match parse_file_name(name) {
            Ok(parsed) => parsed,
            Err(why) => {
                self.findings.push(
                    Finding::error(RuleId::InvalidFileName, display, format!("not a migration file name: {why}"))
                        .with_help("name migrations `<VERSION>_<slug>.up.sql` and `.down.sql` (or `<VERSION>_<slug>.sql` for an up-only one); `cargo migrate new <name>` writes a well-named pair"),
                );
                None
            }
        }
    }

    /// A file that cannot be read: a finding, and its version taken when it is an up script
    /// (like one that is not UTF-8), so that it shows as invalid rather than missing.
    fn unreadable(
        &mut self,
        by_version: &mut BTreeMap<i64, Slots>,
        parsed: MigrationName,
        display: String,
        error: &std::io::Error,
    ) {
        self.findings.push(
            Finding::error(
                RuleId::UnreadableFile,
                &display,
                format!("the file cannot be read: {error}"),
            )
            .with_help(
                "make it readable by the user running cargo-migrate (`chmod a+r`), or restore the file a symbolic link points to",
            ),
        );
        if parsed.kind != FileKind::Down {
            by_version.entry(parsed.version).or_default().unreadable_up =
                Some((parsed.slug, display));
        }
    }

    /// Adds one file to the slot of its version: its text, checksum and directives, or a
    /// finding when it is not UTF-8. `bytes` is `None` for a down script that was not read
    /// (see [`Read::UpScripts`]).
    fn add(
        &mut self,
        by_version: &mut BTreeMap<i64, Slots>,
        parsed: MigrationName,
        path: PathBuf,
        display: String,
        bytes: Option<Vec<u8>>,
    ) {
        let Some(bytes) = bytes else {
            let file = SqlFile {
                path,
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
            return;
        };
        // A byte order mark (Windows editors write one) is not SQL: PostgreSQL rejects it, the
        // parser calls it a syntax error, and it hides a directive on the first line. It is
        // left out of the text, but not of the checksum: SQLite and MySQL accept it, so a
        // migration applied with one keeps the checksum it was recorded with.
        let checksum = Checksum::of(&bytes);
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(text) => match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.into(),
                None => text.into(),
            },
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy: Arc<str> = String::from_utf8_lossy(e.as_bytes()).into();
                let lossy_at = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
                let (line, column) = crate::line_col(&lossy, lossy_at);
                self.findings.push(
                    Finding::error(
                        RuleId::NonUtf8File,
                        &display,
                        format!(
                            "the file is not valid UTF-8 (byte {at}, line {line}, column {column})"
                        ),
                    )
                    .at(lossy, lossy_at..lossy_at + 1, "invalid UTF-8 here")
                    .with_help("save the file as UTF-8"),
                );
                if parsed.kind != FileKind::Down {
                    by_version.entry(parsed.version).or_default().unreadable_up =
                        Some((parsed.slug, display));
                }
                return;
            }
        };
        let script = if parsed.kind == FileKind::Down {
            Script::Down
        } else {
            Script::Up
        };
        let file = SqlFile {
            path,
            checksum,
            directives: directives::parse(&display, &text, script, &mut self.findings),
            display,
            text,
        };
        let slots = by_version.entry(parsed.version).or_default();
        match parsed.kind {
            FileKind::Down => slots.downs.push((parsed.slug, file)),
            kind => slots.ups.push((parsed.slug, file, kind)),
        }
    }

    fn pair(&mut self, version: i64, slots: Slots) {
        let Slots {
            mut ups,
            mut downs,
            unreadable_up,
        } = slots;
        // An up script that is not UTF-8 still takes its version.
        if ups.len() + usize::from(unreadable_up.is_some()) > 1 {
            let mut names: Vec<&str> = ups.iter().map(|(_, f, _)| f.display.as_str()).collect();
            names.extend(unreadable_up.as_ref().map(|(_, display)| display.as_str()));
            names.sort_unstable();
            self.findings.push(
                Finding::error(
                    RuleId::DuplicateVersion,
                    names[1],
                    format!("version {version} is used by more than one migration: {}", names.join(", ")),
                )
                .with_help("give one of them a new version: `cargo migrate new <name>` picks the next free one; move the SQL there and delete the old file"),
            );
            // Every one is named where the version is listed (`status`), none hidden.
            let mut slugs: Vec<String> = ups.into_iter().map(|(slug, _, _)| slug).collect();
            slugs.extend(unreadable_up.map(|(slug, _)| slug));
            slugs.sort_unstable();
            self.unusable.insert(version, slugs.join(", "));
            return;
        }
        let Some((slug, up, kind)) = ups.pop() else {
            if let Some((slug, _)) = unreadable_up {
                // The up script's own finding says what is wrong.
                self.unusable.insert(version, slug);
                return;
            }
            for (_, down) in downs {
                let up_name = down.display.replace(".down.sql", ".up.sql");
                self.findings.push(
                    Finding::error(
                        RuleId::OrphanDown,
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
                Finding::error(RuleId::OrphanDown, &orphan.display, format!("down script without an up script: {why}"))
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

    /// A file of the directory as shown to the user (`migrations/migrate.lock`).
    pub fn display_path(&self, name: &str) -> String {
        if self.display_dir.is_empty() || self.display_dir == "." {
            name.to_owned()
        } else {
            format!("{}/{name}", self.display_dir.trim_end_matches('/'))
        }
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
    fn a_directory_in_diesels_layout_points_at_import() {
        let dir = tempfile::tempdir().unwrap();
        let diesel = dir.path().join("2024-01-01-000000_create_users");
        std::fs::create_dir(&diesel).unwrap();
        std::fs::write(diesel.join("up.sql"), "CREATE TABLE users (id INT);").unwrap();
        std::fs::write(diesel.join("down.sql"), "DROP TABLE users;").unwrap();
        std::fs::create_dir(dir.path().join("fixtures")).unwrap();
        let set = MigrationSet::load(dir.path(), "migrations").unwrap();
        assert_eq!(
            findings(&set),
            [
                "invalid-file-name migrations/2024-01-01-000000_create_users/up.sql: a migration in Diesel's layout (`<version>_<name>/up.sql`): only the files directly in the migrations directory are migrations, so it would never run"
            ]
        );
        assert!(set.has_errors());
        assert!(
            set.findings[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("cargo migrate import --from diesel"))
        );
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
        // Versions with an up script that is there but unusable are named, not dropped.
        let unusable: Vec<(i64, &str)> =
            set.unusable.iter().map(|(v, s)| (*v, s.as_str())).collect();
        assert_eq!(unusable, [(1, "a, b"), (4, "d")]);
        assert!(set.has_errors());
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_script() {
        let with = load(&[
            (
                "1_a.up.sql",
                b"\xef\xbb\xbf-- migrate:no-transaction\r\nSELECT 1;\r\n",
            ),
            ("1_a.down.sql", b"\xef\xbb\xbfSELECT 2;\n"),
        ]);
        let without = load(&[
            ("1_a.up.sql", b"-- migrate:no-transaction\nSELECT 1;\n"),
            ("1_a.down.sql", b"SELECT 2;\n"),
        ]);
        assert!(with.findings.is_empty(), "{:?}", findings(&with));
        let (a, b) = (&with.migrations[0], &without.migrations[0]);
        assert!(a.directives().no_transaction);
        assert!(a.up.text.starts_with("-- migrate"));
        assert_eq!(&*a.up.text, b.up.text.replace('\n', "\r\n"));
        // The checksum is of the file as it is (CRLF aside): one applied with its BOM by a
        // server that accepts it keeps matching its record.
        assert_eq!(
            a.up.checksum,
            Checksum::of(b"\xef\xbb\xbf-- migrate:no-transaction\r\nSELECT 1;\r\n")
        );
        assert_ne!(a.up.checksum, b.up.checksum);
    }

    #[test]
    fn a_non_utf8_up_script_does_not_make_its_down_script_an_orphan() {
        let set = load(&[
            ("1_a.up.sql", b"CREATE TABLE a (name TEXT DEFAULT '\xe9');"),
            ("1_a.down.sql", b"DROP TABLE a;"),
        ]);
        assert_eq!(
            findings(&set),
            [
                "non-utf8-file migrations/1_a.up.sql:1:36: the file is not valid UTF-8 (byte 35, line 1, column 36)"
            ]
        );
        assert!(set.has_errors());
    }

    #[test]
    fn a_non_utf8_up_script_still_takes_its_version() {
        let set = load(&[
            ("1_a.up.sql", b"CREATE TABLE a (id INT);"),
            ("1_a.down.sql", b"DROP TABLE a;"),
            ("1_b.up.sql", b"CREATE TABLE b (name TEXT DEFAULT '\xe9');"),
            ("1_b.down.sql", b"DROP TABLE b;"),
        ]);
        assert_eq!(
            findings(&set),
            [
                "non-utf8-file migrations/1_b.up.sql:1:36: the file is not valid UTF-8 (byte 35, line 1, column 36)",
                "duplicate-version migrations/1_b.up.sql: version 1 is used by more than one migration: migrations/1_a.up.sql, migrations/1_b.up.sql",
            ]
        );
        assert!(set.migrations.is_empty());
        assert_eq!(set.unusable.get(&1).map(String::as_str), Some("a, b"));
    }

    #[test]
    fn files_in_memory_load_exactly_like_the_directory() {
        let files: &[(&str, &[u8])] = &[
            ("2_b.up.sql", b"-- migrate:no-transaction\nSELECT 2;"),
            ("2_b.down.sql", b"SELECT -2;\r\n"),
            ("1_a.sql", b"-- migrate:irreversible on purpose\nSELECT 1;"),
            ("3_Bad.up.sql", b"SELECT 3;"),
            ("4_d.up.sql", b"SELECT \xff;"),
            ("5_e.down.sql", b"SELECT 5;"),
            ("notes.txt", b"not a migration"),
        ];
        let from_dir = load(files);
        let in_memory = MigrationSet::from_files("migrations", files.iter().copied());
        let describe = |set: &MigrationSet| {
            let migrations: Vec<String> = set
                .migrations
                .iter()
                .map(|m| {
                    format!(
                        "{} {} {:?} {:?} up_only={} no_tx={} irreversible={:?}",
                        m.name(),
                        m.up.display,
                        m.up.checksum.to_hex(),
                        m.down.as_ref().map(|d| (&d.display, d.checksum.to_hex())),
                        m.up_only,
                        m.directives().no_transaction,
                        m.directives().irreversible,
                    )
                })
                .collect();
            (migrations, findings(set))
        };
        assert_eq!(describe(&in_memory), describe(&from_dir));
        assert_eq!(in_memory.migrations.len(), 2);
        assert_eq!(in_memory.findings.len(), 3, "{:?}", findings(&in_memory));
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = MigrationSet::load(Path::new("/nonexistent/x"), "x").unwrap_err();
        assert!(matches!(err, LoadError::Missing { .. }));
    }
}
