//! ## What it does
//! Flags a migration whose current checksums are not in the review lock,
//! `migrations/migrate.lock`: a new migration nobody has recorded as read, or a reviewed one
//! edited since.
//!
//! Reported by `cargo migrate check` and the commit gate (for staged migrations), and as a
//! warning by `cargo build` unless its level is set in the config; `cargo migrate lint` does
//! not look at the lock's entries. `-- migrate:allow` does not apply to it. Reviews are
//! opt-in: the rule applies once the project has a lock (the first `cargo migrate review`
//! writes it), or when the config sets its level.
//!
//! ## Why is this bad?
//! A migration runs once against production and cannot be taken back by editing the file. The
//! lock records that a person read each one as it is now, so that one nobody looked at, or one
//! changed after its review, is not merged or deployed by accident.
//!
//! ## Example
//! ```text
//! $ cargo migrate new add_posts        # written, never reviewed
//! $ git commit -m "add posts"          # refused: 20250301100000_add_posts is not reviewed
//! ```
//!
//! ## Use instead
//! ```text
//! $ cargo migrate review               # shows the SQL, its findings and what the down does
//! $ git add migrations/migrate.lock && git commit -m "add posts"
//! ```

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::UnreviewedMigration,
    default: Level::Deny,
    check: None, // found by comparing the set with the lock (lock.rs)
};
