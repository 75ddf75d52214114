//! A migration set against the lock: which migrations are reviewed, the findings for those
//! that are not, and recording a review.

use std::path::Path;
use std::sync::Arc;

use crate::MigrationSet;
use crate::finding::{Finding, Severity};
use crate::lints::{Level, RuleId};

use super::{LOCK_FILE, Lock, LockEntry};

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

/// Whether migrations must be reviewed: once the project has a lock (the first
/// `cargo migrate review` writes it), or when the config sets `unreviewed-migration`'s level
/// (`configured`) to anything but `allow`. A project that never reviewed anything is not held
/// to reviews it has not chosen.
pub fn reviews_required(status: &ReviewStatus, configured: Option<Level>) -> bool {
    match configured {
        Some(level) => level != Level::Allow,
        None => status.lock_exists,
    }
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
