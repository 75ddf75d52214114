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
//!
//! `mod.rs`: the entries and the lock as data; `file.rs`: the text format (render, strict
//! parse, read, atomic write) and the rebuild of a conflicted lock; `review.rs`: a set against
//! the lock (`review_status`, the `unreviewed-migration` findings, `record_reviewed`).

mod file;
mod review;
#[cfg(test)]
mod tests;

pub use file::{has_conflict_markers, rebuild_conflicted};
pub use review::{
    LockError, ReviewStatus, lock_display, record_reviewed, review_status, reviews_required,
    unreviewed_findings,
};

use sha2::{Digest, Sha256};

use crate::Migration;
use crate::set::Checksum;

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
