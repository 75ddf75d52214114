//! The lock's text: rendering, strict parsing (a damaged lock is a finding with the fix),
//! reading, writing atomically, and salvaging a lock that a merge left conflicted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::MigrationSet;
use crate::finding::Finding;
use crate::lints::RuleId;
use crate::set::Checksum;

use super::{CHAIN_DIGITS, LOCK_FILE, Lock, LockEntry, MAGIC, is_hex, link, seed};

impl Lock {
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
