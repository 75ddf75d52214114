//! ## What it does
//! Flags a migration this branch added that has the same version as one on the main branch, a
//! version below main's newest, or that uses a table, column or type main's new migrations drop
//! or rename.
//!
//! The branch's migrations are those in the working directory (committed, staged or untracked)
//! that were not there at the merge-base with main; main's are read from git. During a merge
//! the two sides of the merge are compared. Outside a git repository, on the main branch, and
//! in a shallow clone without the merge-base the check is skipped with a one-line reason.
//!
//! Reported by `cargo build`, `cargo migrate lint`, `cargo migrate check` and the commit gate
//! (for staged migrations). Its level is set in the config; `-- migrate:allow` does not apply
//! to it.
//!
//! ## Why is this bad?
//! After the merge, a migration that sorts before one production already ran is skipped or
//! refused there, and one that alters a table main dropped fails on deploy. Both are cheap to
//! fix on the branch and expensive after the merge.
//!
//! ## Example
//! ```text
//! main:   migrations/20250301090000_drop_legacy_name.up.sql   ALTER TABLE users DROP COLUMN name;
//! branch: migrations/20250228170000_index_names.up.sql        CREATE INDEX ON users (name);
//! ```
//!
//! ## Use instead
//! Bring main into the branch, rewrite the migration against the new schema, and renumber it
//! after main's newest with `cargo migrate rebase` (it keeps the review):
//! ```text
//! branch: migrations/20250301100000_index_emails.up.sql       CREATE INDEX ON users (email);
//! ```

use super::{Level, Rule, RuleId};

pub(super) const RULE: Rule = Rule {
    id: RuleId::BranchConflict,
    default: Level::Deny,
    check: None, // found by the branch check (conflicts.rs, with git.rs reading git)
};
