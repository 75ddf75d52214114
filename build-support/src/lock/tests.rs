use super::*;
use crate::MigrationSet;
use crate::finding::{Finding, Severity};
use crate::lints::RuleId;

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
