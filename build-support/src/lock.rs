//! The review lock, `migrations/migrate.lock` (SPEC §7): which migrations a person has read,
//! by the checksums of their up and down scripts.
//!
//! ```text
//! cargo-migrate-lock v1 total 5c1f…(64 hex digits)
//! 20250106091500_create_accounts <up sha-256> <down sha-256 or -> <chain, 16 hex digits>
//! 20250106093000_create_users <up sha-256> <down sha-256 or -> <chain>
//! ```
//!
//! Entries are sorted by version. Each line's chain hash covers that line and every line above
//! it, and the first line holds the hash over all of them, so two branches that each add a
//! migration always change the same lines and always conflict textually when merged: a second
//! signal, besides the branch check, that the versions need a look (`cargo migrate rebase`
//! rebuilds the lock). Parsing is strict: a hand edit, a bad merge, a line for a migration that
//! does not exist, or leftover conflict markers are a [`Finding`] that says how to fix it.
//!
//! A migration is *reviewed* when its current checksums are in the lock; editing a reviewed
//! migration makes it unreviewed again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::finding::{Finding, Severity};
use crate::lints::RuleId;
use crate::set::Checksum;
use crate::{Migration, MigrationSet};

/// The lock's file name inside the migrations directory.
pub const LOCK_FILE: &str = "migrate.lock";

const MAGIC: &str = "cargo-migrate-lock v1";
const CHAIN_DIGITS: usize = 16;

/// One reviewed migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockEntry {
    pub version: i64,
    pub slug: String,
    pub up: Checksum,
    /// `None` for a migration without a down script.
    pub down: Option<Checksum>,
}

impl LockEntry {
    pub fn of(migration: &Migration) -> LockEntry {
        LockEntry {
            version: migration.version,
            slug: migration.slug.clone(),
            up: migration.up.checksum,
            down: migration.down.as_ref().map(|d| d.checksum),
        }
    }

    /// `<version>_<slug>`.
    pub fn name(&self) -> String {
        format!("{}_{}", self.version, self.slug)
    }

    /// Whether this entry records `migration` as it is now.
    pub fn matches(&self, migration: &Migration) -> bool {
        *self == LockEntry::of(migration)
    }

    /// The line without its chain hash.
    fn body(&self) -> String {
        let down = self.down.map_or_else(|| "-".to_owned(), |c| c.to_hex());
        format!("{} {} {down}", self.name(), self.up)
    }
}

/// The reviewed migrations, sorted by version (at most one entry per version).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lock {
    entries: Vec<LockEntry>,
}

impl Lock {
    pub fn entries(&self) -> &[LockEntry] {
        &self.entries
    }

    pub fn get(&self, version: i64) -> Option<&LockEntry> {
        self.entries
            .binary_search_by_key(&version, |e| e.version)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Adds or replaces the entry for its version.
    pub fn insert(&mut self, entry: LockEntry) {
        match self
            .entries
            .binary_search_by_key(&entry.version, |e| e.version)
        {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
    }

    pub fn remove(&mut self, version: i64) -> Option<LockEntry> {
        let i = self
            .entries
            .binary_search_by_key(&version, |e| e.version)
            .ok()?;
        Some(self.entries.remove(i))
    }

    /// Keeps only the entries `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&LockEntry) -> bool) {
        self.entries.retain(keep);
    }

    pub fn is_reviewed(&self, migration: &Migration) -> bool {
        self.get(migration.version)
            .is_some_and(|e| e.matches(migration))
    }

    /// The file's text: the total line, then one chained line per entry.
    pub fn render(&self) -> String {
        let mut chain = seed();
        let mut lines = String::new();
        for entry in &self.entries {
            let body = entry.body();
            chain = link(&chain, &body);
            lines.push_str(&format!("{body} {}\n", &chain[..CHAIN_DIGITS]));
        }
        format!("{MAGIC} total {chain}\n{lines}")
    }

    /// Parses a lock's text strictly. `display` names the file in the finding.
    pub fn parse(text: &str, display: &str) -> Result<Lock, Box<Finding>> {
        let source: Arc<str> = Arc::from(text);
        let damaged = |offset: usize, len: usize, message: String, label: &str, help: String| {
            Box::new(
                Finding::error(RuleId::DamagedLock, display, message)
                    .at(source.clone(), offset..offset + len, label)
                    .with_help(help),
            )
        };
        let redo = format!(
            "the lock is written by cargo-migrate, never by hand: take main's version (`git checkout main -- {display}`) and record this branch's migrations again with `cargo migrate review`; during a merge, `cargo migrate rebase` rebuilds it from both sides"
        );
        // Lines with their byte offsets.
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            lines.push((offset, line.trim_end_matches(['\n', '\r'])));
            offset += line.len();
        }
        if let Some((at, line)) = lines.iter().find(|(_, l)| has_conflict_markers(l)) {
            return Err(damaged(
                *at,
                line.len(),
                format!("{display} has unresolved merge conflict markers"),
                "conflict marker",
                format!(
                    "two branches each added a migration; the lock is rebuilt, not merged by hand: run `cargo migrate rebase` (it renumbers this branch's migrations after main's and rebuilds the lock from both sides), or take main's version (`git checkout main -- {display}`) and run `cargo migrate review`"
                ),
            ));
        }
        let Some(&(first_at, first)) = lines.first() else {
            return Err(damaged(
                0,
                0,
                format!("{display} is empty"),
                "expected the total line here",
                redo,
            ));
        };
        let total = match first
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.strip_prefix(" total "))
        {
            Some(total) if is_hex(total, 64) => total,
            _ => {
                return Err(damaged(
                    first_at,
                    first.len(),
                    format!("{display} does not start with `{MAGIC} total <sha-256>`"),
                    "not a lock header",
                    redo,
                ));
            }
        };
        let mut lock = Lock::default();
        let mut chain = seed();
        for &(at, line) in &lines[1..] {
            let fields: Vec<&str> = line.split(' ').collect();
            let bad = |why: &str| {
                damaged(
                    at,
                    line.len(),
                    format!("{display}:{}: {why}", crate::line_col(text, at).0),
                    "this line",
                    redo.clone(),
                )
            };
            let [name, up, down, link_hash] = fields[..] else {
                return Err(bad(
                    "expected `<version>_<slug> <up sha-256> <down sha-256 or -> <chain>`",
                ));
            };
            let parsed = match crate::parse_file_name(&format!("{name}.sql")) {
                Ok(Some(parsed)) if parsed.version.to_string() + "_" + &parsed.slug == name => {
                    parsed
                }
                _ => return Err(bad(&format!("`{name}` is not a migration name"))),
            };
            let up: Checksum = up
                .parse()
                .map_err(|_| bad("the up checksum is not 64 hexadecimal digits"))?;
            let down = match down {
                "-" => None,
                d => Some(
                    d.parse()
                        .map_err(|_| bad("the down checksum is not 64 hexadecimal digits"))?,
                ),
            };
            let entry = LockEntry {
                version: parsed.version,
                slug: parsed.slug,
                up,
                down,
            };
            if let Some(last) = lock.entries.last()
                && last.version >= entry.version
            {
                return Err(bad(&format!(
                    "{} is not after {}: entries are sorted by version, one per version",
                    entry.name(),
                    last.name()
                )));
            }
            chain = self::link(&chain, &entry.body());
            if link_hash != &chain[..CHAIN_DIGITS] {
                return Err(bad(&format!(
                    "the chain hash of {} does not match the lines above it: the lock was edited by hand or merged badly",
                    entry.name()
                )));
            }
            lock.entries.push(entry);
        }
        if total != chain {
            return Err(damaged(
                first_at,
                first.len(),
                format!(
                    "the total hash of {display} does not match its entries: the lock was edited by hand or merged badly"
                ),
                "total",
                redo,
            ));
        }
        Ok(lock)
    }

    /// Reads `dir/migrate.lock`; `Ok(None)` when there is none.
    pub fn read(dir: &Path, display: &str) -> Result<Option<Lock>, Box<Finding>> {
        match std::fs::read(dir.join(LOCK_FILE)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Lock::parse(&text, display).map(Some),
                Err(_) => Err(Box::new(
                    Finding::error(RuleId::DamagedLock, display, "the lock is not valid UTF-8")
                        .with_help(format!("take main's version (`git checkout main -- {display}`) and run `cargo migrate review`")),
                )),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(Finding::error(
                RuleId::DamagedLock,
                display,
                format!("cannot read the lock: {e}"),
            ))),
        }
    }

    /// Writes `dir/migrate.lock` atomically (a temporary file renamed over it).
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        use std::io::Write;
        let path = dir.join(LOCK_FILE);
        let tmp = dir.join(format!(".{LOCK_FILE}.{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(self.render().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map(|()| path)
    }
}

/// Whether a lock's text still has merge conflict markers.
pub fn has_conflict_markers(text: &str) -> bool {
    text.lines().any(|l| {
        ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
            .iter()
            .any(|m| l.starts_with(m))
    })
}

/// Rebuilds a lock that a merge left conflicted: every entry line of either side is a
/// candidate, and each migration of `set` keeps the candidate that matches its files (else any
/// candidate of its name, so it shows as edited). Entries of migrations not in `set` are
/// dropped; the chain and the total are computed anew.
pub fn rebuild_conflicted(text: &str, set: &MigrationSet) -> Lock {
    let mut candidates: Vec<LockEntry> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [name, up, down, _chain] = fields[..] else {
            continue;
        };
        let Ok(Some(parsed)) = crate::parse_file_name(&format!("{name}.sql")) else {
            continue;
        };
        let Ok(up) = up.parse::<Checksum>() else {
            continue;
        };
        let down = match down {
            "-" => None,
            d => match d.parse::<Checksum>() {
                Ok(c) => Some(c),
                Err(_) => continue,
            },
        };
        candidates.push(LockEntry {
            version: parsed.version,
            slug: parsed.slug,
            up,
            down,
        });
    }
    let mut lock = Lock::default();
    for migration in &set.migrations {
        let mut named = candidates
            .iter()
            .filter(|e| e.version == migration.version && e.slug == migration.slug);
        let chosen = named
            .clone()
            .find(|e| e.matches(migration))
            .or_else(|| named.next());
        if let Some(entry) = chosen {
            lock.insert(entry.clone());
        }
    }
    lock
}

fn seed() -> String {
    hex(&Sha256::digest(MAGIC.as_bytes()))
}

fn link(previous: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where each migration of a set stands against the lock.
#[derive(Clone, Debug, Default)]
pub struct ReviewStatus {
    /// The lock as read (empty when there is no lock file).
    pub lock: Lock,
    pub lock_exists: bool,
    /// How the lock file is named in messages.
    pub lock_display: String,
    /// Versions of the migrations whose current checksums are not in the lock, in order.
    pub unreviewed: Vec<i64>,
    /// Of `unreviewed`, those the lock has under another checksum: edited since their review.
    pub edited: Vec<i64>,
}

/// How the lock of `set` is shown: next to its migrations.
pub fn lock_display(set: &MigrationSet) -> String {
    set.display_path(LOCK_FILE)
}

/// Reads the lock of `dir` and compares it with `set`. A damaged lock, or one that names a
/// migration that does not exist, is an error finding that says how to fix it.
pub fn review_status(dir: &Path, set: &MigrationSet) -> Result<ReviewStatus, Box<Finding>> {
    let display = lock_display(set);
    let lock = Lock::read(dir, &display)?;
    let lock_exists = lock.is_some();
    let lock = lock.unwrap_or_default();
    for entry in lock.entries() {
        if set.get(entry.version).is_some_and(|m| m.slug == entry.slug) {
            continue;
        }
        // A version the set cannot place (a duplicate, a bad file) is reported by lint.
        if set.findings.iter().any(|f| f.severity == Severity::Error) {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap_or_default();
        let name = entry.name();
        let at = text.find(&format!("\n{name} ")).map_or(0, |i| i + 1);
        return Err(Box::new(
            Finding::error(
                RuleId::DamagedLock,
                &display,
                format!("{display} lists {name}, which is not in {}", set.display_dir),
            )
            .at(Arc::from(text), at..at + name.len(), "no such migration")
            .with_help(format!(
                "restore the migration's files if they were lost; if {name} was deleted or renamed on purpose, `cargo migrate review` rewrites the lock without it"
            )),
        ));
    }
    let mut status = ReviewStatus {
        lock_exists,
        lock_display: display,
        ..ReviewStatus::default()
    };
    for migration in &set.migrations {
        if !lock.is_reviewed(migration) {
            status.unreviewed.push(migration.version);
            if lock.get(migration.version).is_some() {
                status.edited.push(migration.version);
            }
        }
    }
    status.lock = lock;
    Ok(status)
}

/// One finding per unreviewed migration, at `severity` (a warning in `cargo build`, an error in
/// `cargo migrate check` and the commit gate).
pub fn unreviewed_findings(
    set: &MigrationSet,
    status: &ReviewStatus,
    severity: Severity,
) -> Vec<Finding> {
    status
        .unreviewed
        .iter()
        .filter_map(|&v| set.get(v))
        .map(|m| {
            let message = if status.edited.contains(&m.version) {
                format!(
                    "{} changed since it was reviewed (its checksums differ from {})",
                    m.name(),
                    status.lock_display
                )
            } else if status.lock_exists {
                format!(
                    "{} is not reviewed (it is not in {})",
                    m.name(),
                    status.lock_display
                )
            } else {
                format!(
                    "{} is not reviewed (there is no {} yet)",
                    m.name(),
                    status.lock_display
                )
            };
            let mut finding = Finding::error(RuleId::UnreviewedMigration, &m.up.display, message)
                .in_migration(m.version)
                .with_help(format!(
                    "read it and record it as reviewed: `cargo migrate review {}`",
                    m.version
                ));
            finding.severity = severity;
            finding
        })
        .collect()
}

/// Why the lock could not be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Damaged(Box<Finding>),
    #[error("there is no migration with version {version} in {dir}")]
    #[diagnostic(
        code(migrate::unknown_version),
        help("`cargo migrate status` lists the versions")
    )]
    UnknownVersion { version: i64, dir: String },
    #[error("cannot write {path}")]
    #[diagnostic(code(migrate::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Records `versions` of `set` as reviewed in `dir/migrate.lock` (created when absent), with
/// their current checksums. Entries of migrations that no longer exist are dropped. The file is
/// replaced atomically.
pub fn record_reviewed(
    dir: &Path,
    set: &MigrationSet,
    versions: &[i64],
) -> Result<Lock, LockError> {
    let display = lock_display(set);
    let mut lock = Lock::read(dir, &display)
        .map_err(LockError::Damaged)?
        .unwrap_or_default();
    lock.retain(|e| set.get(e.version).is_some_and(|m| m.slug == e.slug));
    for &version in versions {
        let migration = set.get(version).ok_or_else(|| LockError::UnknownVersion {
            version,
            dir: set.display_dir.clone(),
        })?;
        lock.insert(LockEntry::of(migration));
    }
    lock.write(dir).map_err(|source| LockError::Io {
        path: display,
        source,
    })?;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "migrations").unwrap();
        (dir, set)
    }

    const FILES: &[(&str, &str)] = &[
        ("1_users.up.sql", "CREATE TABLE users (id INT);\n"),
        ("1_users.down.sql", "DROP TABLE users;\n"),
        ("2_seed.sql", "INSERT INTO users VALUES (1);\n"),
    ];

    fn render_finding(finding: &Finding) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_links(false);
        let mut out = String::new();
        handler.render_report(&mut out, finding).unwrap();
        out
    }

    #[test]
    fn round_trips_sorted_with_a_chain_and_a_total() {
        let (dir, set) = set(FILES);
        let lock = record_reviewed(dir.path(), &set, &[2, 1]).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, lock.render());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("cargo-migrate-lock v1 total "));
        assert!(lines[1].starts_with("1_users "));
        assert!(lines[2].starts_with("2_seed "));
        assert_eq!(lines[2].split(' ').nth(2), Some("-"));
        assert_eq!(Lock::parse(&text, "migrate.lock").unwrap(), lock);
        let status = review_status(dir.path(), &set).unwrap();
        assert!(status.unreviewed.is_empty());
        assert!(status.lock_exists);
    }

    #[test]
    fn no_lock_means_nothing_is_reviewed_and_edits_unreview() {
        let (dir, set0) = set(FILES);
        let status = review_status(dir.path(), &set0).unwrap();
        assert_eq!(status.unreviewed, [1, 2]);
        assert!(!status.lock_exists);
        record_reviewed(dir.path(), &set0, &[1]).unwrap();
        let status = review_status(dir.path(), &set0).unwrap();
        assert_eq!(status.unreviewed, [2]);
        assert!(status.edited.is_empty());
        // An edited down script makes the migration unreviewed again; CRLF does not.
        std::fs::write(dir.path().join("1_users.down.sql"), "DROP TABLE users;\r\n").unwrap();
        let set1 = MigrationSet::load(dir.path(), "migrations").unwrap();
        assert_eq!(review_status(dir.path(), &set1).unwrap().unreviewed, [2]);
        std::fs::write(
            dir.path().join("1_users.down.sql"),
            "DROP TABLE users CASCADE;\n",
        )
        .unwrap();
        let set2 = MigrationSet::load(dir.path(), "migrations").unwrap();
        let status = review_status(dir.path(), &set2).unwrap();
        assert_eq!(
            (status.unreviewed.as_slice(), status.edited.as_slice()),
            (&[1, 2][..], &[1][..])
        );
        let findings = unreviewed_findings(&set2, &status, Severity::Warning);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].severity, Severity::Warning);
        assert!(
            findings[0]
                .message
                .contains("changed since it was reviewed"),
            "{}",
            findings[0].message
        );
        assert_eq!(
            findings[1].help.as_deref(),
            Some("read it and record it as reviewed: `cargo migrate review 2`")
        );
    }

    #[test]
    fn two_branches_adding_a_migration_change_the_same_lines() {
        let (dir, set) = set(FILES);
        let base = record_reviewed(dir.path(), &set, &[1]).unwrap().render();
        let ours = record_reviewed(dir.path(), &set, &[1, 2]).unwrap().render();
        let mut theirs = Lock::parse(&base, "l").unwrap();
        theirs.insert(LockEntry {
            version: 3,
            slug: "other".into(),
            ..theirs.get(1).unwrap().clone()
        });
        let theirs = theirs.render();
        let first = |t: &str| t.lines().next().unwrap().to_owned();
        assert_ne!(first(&base), first(&ours));
        assert_ne!(first(&ours), first(&theirs));
        assert_ne!(first(&base), first(&theirs));
    }

    #[test]
    fn damage_is_an_error_with_the_fix() {
        let (dir, set) = set(FILES);
        let good = record_reviewed(dir.path(), &set, &[1, 2]).unwrap().render();
        let cases: Vec<(String, &str)> = vec![
            (
                good.replacen("1_users", "1_userz", 1),
                "chain hash of 1_userz does not match",
            ),
            (
                good.replacen(" total ", " total 0", 1),
                "does not start with",
            ),
            (
                {
                    let mut lines: Vec<&str> = good.lines().collect();
                    lines.swap(1, 2);
                    lines.join("\n")
                },
                "chain hash of 2_seed does not match",
            ),
            (
                good.lines().take(2).collect::<Vec<_>>().join("\n"),
                "total hash",
            ),
            (
                format!("{good}<<<<<<< HEAD\n=======\n>>>>>>> main\n"),
                "unresolved merge conflict markers",
            ),
            (
                good.replacen("1_users ", "1_users  ", 1),
                "expected `<version>_<slug>",
            ),
            (String::new(), "is empty"),
            (
                good.replacen("2_seed", "02_seed", 1),
                "not a migration name",
            ),
        ];
        for (text, expected) in cases {
            let err = Lock::parse(&text, "migrations/migrate.lock").unwrap_err();
            assert_eq!(err.rule, RuleId::DamagedLock);
            assert!(
                err.message.contains(expected),
                "{expected}: {}",
                err.message
            );
            assert!(
                err.help.as_deref().unwrap_or("").contains("cargo migrate"),
                "{:?}",
                err.help
            );
        }
    }

    #[test]
    fn a_lock_naming_a_missing_migration_is_an_error_until_reviewed_again() {
        let (dir, set0) = set(FILES);
        record_reviewed(dir.path(), &set0, &[1, 2]).unwrap();
        std::fs::remove_file(dir.path().join("2_seed.sql")).unwrap();
        let set1 = MigrationSet::load(dir.path(), "migrations").unwrap();
        let err = review_status(dir.path(), &set1).unwrap_err();
        insta::assert_snapshot!(render_finding(&err));
        record_reviewed(dir.path(), &set1, &[]).unwrap();
        let status = review_status(dir.path(), &set1).unwrap();
        assert!(status.unreviewed.is_empty());
        assert_eq!(status.lock.entries().len(), 1);
    }

    #[test]
    fn a_conflicted_lock_is_rebuilt_from_both_sides() {
        let (dir, set) = set(FILES);
        let one = record_reviewed(dir.path(), &set, &[1]).unwrap().render();
        std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
        let two = record_reviewed(dir.path(), &set, &[2]).unwrap().render();
        let conflicted = format!("<<<<<<< HEAD\n{one}=======\n{two}>>>>>>> main\n");
        assert!(has_conflict_markers(&conflicted));
        let rebuilt = rebuild_conflicted(&conflicted, &set);
        assert_eq!(rebuilt.entries().len(), 2);
        assert!(set.migrations.iter().all(|m| rebuilt.is_reviewed(m)));
        assert!(Lock::parse(&rebuilt.render(), "l").is_ok());
    }

    #[test]
    fn conflict_markers_render_with_the_fix() {
        let text = "cargo-migrate-lock v1 total 00\n<<<<<<< HEAD\n=======\n>>>>>>> main\n";
        let err = Lock::parse(text, "migrations/migrate.lock").unwrap_err();
        insta::assert_snapshot!(render_finding(&err));
    }
}
