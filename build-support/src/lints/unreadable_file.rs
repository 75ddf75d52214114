//! ## What it does
//! Flags a migration file that cannot be read (no permission to read it, a dangling symbolic
//! link, a link to a directory), naming the operating system's reason.
//!
//! ## Why is this bad?
//! Nothing can be known about a file that cannot be read: not its checksum, not whether it
//! was applied as it is, not what it does. The other migrations are still loaded and listed,
//! but a run refuses until the file can be read.
//!
//! ## Example
//! `migrations/20240101000000_users.up.sql` owned by another user with mode `0600`, or a
//! symbolic link to a file that was moved.
//!
//! ## Use instead
//! Make the file readable by the user running cargo-migrate (`chmod a+r`), or restore what the
//! link points to.

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::UnreadableFile);

#[cfg(test)]
mod tests {
    use crate::lints::RuleId;

    #[test]
    #[cfg(unix)]
    fn bad_and_good() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1_a.up.sql"), "SELECT 1;\n").unwrap();
        // A dangling link cannot be read, whoever runs the test (root reads any mode).
        std::os::unix::fs::symlink("nowhere.sql", dir.path().join("2_b.up.sql")).unwrap();
        let set = crate::MigrationSet::load(dir.path(), "migrations").unwrap();
        let rules: Vec<RuleId> = set.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [RuleId::UnreadableFile]);
        assert_eq!(set.migrations.len(), 1, "the readable migration is loaded");
        assert_eq!(set.unusable.get(&2).map(String::as_str), Some("b"));
        let mut rendered = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false)
            .render_report(&mut rendered, &set.findings[0])
            .unwrap();
        insta::assert_snapshot!(rendered);
    }
}
