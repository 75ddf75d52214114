//! ## What it does
//! Flags a review lock, `migrations/migrate.lock`, that cargo-migrate did not write as it is: a
//! hand edit (a line or hash that does not match), conflict markers a merge left, a line for a
//! migration that is not in the directory, or a file that is not UTF-8.
//!
//! Reported by `cargo migrate lint`, `cargo migrate check` and the commit gate (it blocks every
//! commit of a migration), and as a warning by `cargo build` unless its level is set in the
//! config. `-- migrate:allow` does not apply to it.
//!
//! ## Why is this bad?
//! While the lock is damaged nothing is known to be reviewed, and a lock edited by hand could
//! mark a migration as read that nobody read.
//!
//! ## Example
//! ```text
//! cargo-migrate-lock v1 total 5c1f…
//! <<<<<<< HEAD
//! 20250301100000_add_posts 9a0e… - 3b7d…
//! =======
//! 20250301100000_add_tags 41c2… - e6f0…
//! >>>>>>> main
//! ```
//!
//! ## Use instead
//! Never merge the lock by hand: `cargo migrate rebase` renumbers this branch's migrations
//! after main's and rebuilds the lock from both sides; or take main's version
//! (`git checkout main -- migrations/migrate.lock`) and record this branch's migrations again
//! with `cargo migrate review`.

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::DamagedLock,
    default: Level::Deny,
    check: None, // found while reading the lock (lock.rs)
};
