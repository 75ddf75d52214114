//! The team workflow in real git repositories: branch conflicts found by `lint` and `check`,
//! the review lock (`review`, edits, damage), and `rebase` from a reported conflict to a merge
//! whose lock is rebuilt cleanly.

use std::path::Path;
use std::process::Command;

use crate::support::{Project, TestDb, assert_contains, expect, on_pty};

/// Runs git in `dir` with no global or system configuration, and asserts it succeeded.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs")
}

/// A project in a fresh repository whose `main` holds one committed migration, `1_users`.
fn repo() -> Project {
    let p = Project::new();
    let dir = p.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    p.pair(
        "1_users",
        "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\n",
        "DROP TABLE users;\n",
    );
    commit(&p, "users");
    p
}

fn commit(p: &Project, message: &str) {
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-q", "-m", message]);
}

/// `feature` with `branch` added, `main` with `main` added, each committed; ends on `feature`
/// with the branch's files committed (or left untracked).
fn diverge(
    p: &Project,
    main: &[(&str, &str, &str)],
    branch: &[(&str, &str, &str)],
    commit_branch: bool,
) {
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    git(p.path(), &["checkout", "-q", "main"]);
    for (name, up, down) in main {
        p.pair(name, up, down);
    }
    commit(p, "main's migrations");
    git(p.path(), &["checkout", "-q", "feature"]);
    for (name, up, down) in branch {
        p.pair(name, up, down);
    }
    if commit_branch {
        commit(p, "the branch's migrations");
    }
}

const TAGS: (&str, &str, &str) = (
    "3_tags",
    "CREATE TABLE tags (id INT PRIMARY KEY);\n",
    "DROP TABLE tags;\n",
);
const POSTS: (&str, &str, &str) = (
    "2_posts",
    "CREATE TABLE posts (id INT PRIMARY KEY);\n",
    "DROP TABLE posts;\n",
);

#[test]
fn an_older_version_on_the_branch_conflicts_naming_both_files() {
    let db = TestDb::sqlite();
    let p = repo();
    diverge(&p, &[TAGS], &[POSTS], true);
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(&out.stderr, "branch-conflict");
    assert_contains(&out.stderr, "migrations/2_posts.up.sql");
    assert_contains(
        &out.stderr,
        "main already has the newer 3_tags (migrations/3_tags.up.sql)",
    );
    assert_contains(&out.stderr, "cargo migrate rebase");
    let json = expect(p.cmd(&["lint", "--format", "json"]), 1);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let findings = &json["findings"];
    assert_eq!(findings[0]["rule"], "branch-conflict");
    assert_eq!(findings[0]["file"], "migrations/2_posts.up.sql");
    // check reports it as well.
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(&out.stderr, "branch-conflict");
    // On main itself there is nothing to compare with, and lint says so once.
    git(p.path(), &["checkout", "-q", "main"]);
    let out = expect(p.cmd(&["lint"]), 0);
    assert_eq!(
        out.stderr.matches("on the main branch (main)").count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn a_worktree_and_a_detached_head_are_checked_too() {
    let p = repo();
    diverge(&p, &[TAGS], &[POSTS], true);
    git(p.path(), &["checkout", "-q", "main"]);
    // A linked worktree has a `.git` file, not a directory.
    let outside = tempfile::tempdir().unwrap();
    let wt = outside.path().join("wt");
    git(
        p.path(),
        &["worktree", "add", "-q", wt.to_str().unwrap(), "feature"],
    );
    assert!(wt.join(".git").is_file());
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    cmd.current_dir(&wt)
        .args(["migrate", "lint"])
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    let out = expect(cmd, 1);
    assert_contains(&out.stderr, "2_posts was added on this branch");
    // A detached HEAD (as CI checks out) is a branch like any other.
    git(p.path(), &["checkout", "-q", "--detach", "feature"]);
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(&out.stderr, "2_posts was added on this branch");
}

#[test]
fn equal_versions_conflict() {
    let p = repo();
    let other = ("2_tags", TAGS.1, TAGS.2);
    diverge(&p, &[other], &[POSTS], true);
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(
        &out.stderr,
        "2_posts has the same version as main's 2_tags (migrations/2_tags.up.sql)",
    );
}

#[test]
fn a_branch_migration_altering_a_table_main_dropped_conflicts() {
    let p = repo();
    let drop = (
        "3_drop_users",
        "DROP TABLE users;\n",
        "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\n",
    );
    let email = (
        "4_email",
        "CREATE TABLE audit (id INT);\nALTER TABLE users ADD COLUMN email TEXT;\n",
        "ALTER TABLE users DROP COLUMN email;\nDROP TABLE audit;\n",
    );
    diverge(&p, &[drop], &[email], true);
    let out = expect(p.cmd(&["lint"]), 1);
    // Only the object conflict: 4 is newer than main's 3.
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("branch-conflict"))
            .count(),
        1,
        "{}",
        out.stderr
    );
    let rendered: String = out
        .stderr
        .split("migrate::refused")
        .next()
        .unwrap()
        .to_owned();
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_untracked_migration_conflicts_too() {
    let p = repo();
    diverge(&p, &[TAGS], &[POSTS], false);
    let status = git(p.path(), &["status", "--porcelain"]);
    assert_contains(&status, "?? migrations/2_posts");
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(&out.stderr, "2_posts was added on this branch");
    // Untracked files are renamed on disk and stay untracked.
    expect(p.cmd(&["rebase"]), 0);
    let status = git(
        p.path(),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    assert_contains(&status, "?? migrations/4_posts.up.sql");
    assert_contains(&status, "?? migrations/4_posts.down.sql");
    assert!(!status.contains("2_posts"), "{status}");
    expect(p.cmd(&["lint"]), 0);
}

#[test]
fn a_merge_in_progress_compares_both_sides() {
    let p = repo();
    let other = ("2_tags", TAGS.1, TAGS.2);
    diverge(&p, &[other], &[POSTS], true);
    git(p.path(), &["checkout", "-q", "main"]);
    git(p.path(), &["merge", "--no-ff", "--no-commit", "feature"]);
    assert!(p.path().join(".git/MERGE_HEAD").exists());
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(
        &out.stderr,
        "2_posts has the same version as main's 2_tags (migrations/2_tags.up.sql)",
    );
    assert!(!out.stderr.contains("on the main branch"), "{}", out.stderr);
    // rebase renumbers the incoming migration in the merge, staged, and lint is clean.
    let out = expect(p.cmd(&["rebase"]), 0);
    assert_contains(
        &out.stderr,
        "migrations/2_posts.up.sql -> migrations/3_posts.up.sql",
    );
    let status = git(p.path(), &["status", "--porcelain"]);
    assert_contains(&status, "A  migrations/3_posts.up.sql");
    assert!(!status.contains("2_posts"), "{status}");
    expect(p.cmd(&["lint"]), 0);
    git(p.path(), &["commit", "-q", "--no-edit"]);
    expect(p.cmd(&["lint"]), 0);
}

#[test]
fn outside_a_repository_the_check_is_skipped_and_said_once() {
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id INT);\n",
        "DROP TABLE users;\n",
    );
    let out = expect(p.cmd(&["lint"]), 0);
    assert_eq!(
        out.stderr.matches("not in a git repository").count(),
        1,
        "{}",
        out.stderr
    );
    let quiet = expect(p.cmd(&["lint", "--format", "json"]), 0);
    let quiet: serde_json::Value = serde_json::from_str(&quiet.stdout).unwrap();
    assert_eq!(quiet["findings"], serde_json::json!([]), "{quiet}");
}

#[test]
fn a_shallow_clone_without_the_merge_base_is_skipped() {
    let origin = repo();
    diverge(&origin, &[TAGS], &[POSTS], true);
    // Conflicting in the full repository…
    expect(origin.cmd(&["lint"]), 1);
    git(origin.path(), &["checkout", "-q", "main"]);
    // …but a clone of depth 1 has neither branch's history back to the merge-base.
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        clone.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            "c",
        ],
    );
    let dir = clone.path().join("c");
    git(&dir, &["checkout", "-q", "feature"]);
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
    cmd.current_dir(&dir)
        .args(["migrate", "lint"])
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    let out = expect(cmd, 0);
    assert_contains(
        &out.stderr,
        "shallow clone without the merge-base of HEAD and origin/main",
    );
    assert_contains(&out.stderr, "git fetch --unshallow");
}

#[test]
fn review_asks_records_and_notices_edits_and_damage() {
    let db = TestDb::sqlite();
    let p = Project::new();
    // A team that requires reviews from the first migration on.
    p.package("[package.metadata.migrate.lints]\nunreviewed-migration = \"deny\"\n");
    // With no migration yet there is nothing to record, and no empty lock is written.
    let out = expect(p.cmd(&["review", "--yes"]), 0);
    assert_contains(&out.stderr, "there are no migrations yet");
    assert!(!p.migrations().join("migrate.lock").exists());
    p.pair(
        "1_users",
        "CREATE TABLE users (id INT PRIMARY KEY);\n",
        "DROP TABLE users;\n",
    );
    // No terminal and no --yes: refused, nothing written.
    let out = expect(p.cmd(&["review"]), 2);
    assert_contains(&out.stderr, "stdin is not a terminal");
    assert_contains(&out.stderr, "cargo migrate review --yes");
    assert!(!p.migrations().join("migrate.lock").exists());
    expect(p.on(&db, &["up"]), 0);
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(
        &out.stderr,
        "1_users is not reviewed (there is no migrations/migrate.lock yet)",
    );
    // `lint` passes: check's failure is not called a lint failure.
    expect(p.cmd(&["lint"]), 0);
    assert_contains(&out.stderr, "check failed: 1 migration(s)");
    assert!(!out.stderr.contains("lint failed"), "{}", out.stderr);
    // --yes shows the migration and records it.
    let out = expect(p.cmd(&["review", "--yes"]), 0);
    assert_contains(&out.stdout, "=== 1_users (not reviewed)");
    assert_contains(&out.stdout, "CREATE TABLE users (id INT PRIMARY KEY);");
    assert_contains(&out.stdout, "drops table users");
    assert_contains(&out.stderr, "1_users: recorded in migrations/migrate.lock");
    let lock = std::fs::read_to_string(p.migrations().join("migrate.lock")).unwrap();
    assert!(lock.starts_with("cargo-migrate-lock v1 total "), "{lock}");
    assert_contains(&lock, "\n1_users ");
    expect(p.on(&db, &["check"]), 0);
    let out = expect(p.cmd(&["review", "--yes"]), 0);
    assert_contains(&out.stderr, "nothing to review");
    // Editing a reviewed migration makes it unreviewed again.
    p.write("1_users.down.sql", "DROP TABLE IF EXISTS users;\n");
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(&out.stderr, "1_users changed since it was reviewed");
    assert_contains(&out.stderr, "cargo migrate review 1");
    expect(p.cmd(&["review", "1", "--yes"]), 0);
    // A hand-edited lock is an error that says how to fix it.
    let lock = std::fs::read_to_string(p.migrations().join("migrate.lock")).unwrap();
    let edited = lock.replacen("1_users", "1_userz", 1);
    p.write("migrate.lock", &edited);
    for out in [
        expect(p.cmd(&["lint"]), 1),
        expect(p.cmd(&["review", "--yes"]), 1),
    ] {
        assert_contains(&out.stderr, "damaged-lock");
        assert_contains(&out.stderr, "edited by hand or merged badly");
        assert_contains(&out.stderr, "git checkout main -- migrations/migrate.lock");
    }
    // A migration with errors is shown but not recorded.
    p.pair(
        "2_bad",
        "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n",
        "DROP TABLE a;\n",
    );
    p.write("migrate.lock", &lock);
    let out = expect(p.cmd(&["review", "--yes"]), 1);
    assert_contains(&out.stdout, "down-leaves-object");
    assert_contains(&out.stdout, "does not drop table b, which the up creates");
    assert_contains(&out.stderr, "2_bad is not recorded");
}

#[test]
fn rebase_renumbers_keeps_the_review_and_the_lock_merges() {
    let db = TestDb::sqlite();
    let p = repo();
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "review lock");
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    p.pair(POSTS.0, POSTS.1, POSTS.2);
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "posts");
    git(p.path(), &["checkout", "-q", "main"]);
    p.pair(TAGS.0, TAGS.1, TAGS.2);
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "tags");
    git(p.path(), &["checkout", "-q", "feature"]);

    // The conflict is reported; the developer's database has the branch's migration applied,
    // so rebase refuses, renaming nothing, until it is reverted.
    expect(p.cmd(&["lint"]), 1);
    expect(p.on(&db, &["up"]), 0);
    let out = expect(p.on(&db, &["rebase"]), 1);
    assert_contains(&out.stderr, "2_posts is applied to your database");
    assert_contains(&out.stderr, "nothing was renamed");
    assert_contains(
        &out.stderr,
        "revert it first with `cargo migrate down --to 1` (it reverts every migration newer than that), then run `cargo migrate rebase` and `cargo migrate up`",
    );
    assert!(p.migrations().join("2_posts.up.sql").exists());
    expect(p.on(&db, &["down", "--to", "1"]), 0);
    let out = expect(p.on(&db, &["rebase"]), 0);
    assert_contains(
        &out.stderr,
        "migrations/2_posts.up.sql -> migrations/4_posts.up.sql",
    );
    assert_contains(
        &out.stderr,
        "migrations/2_posts.down.sql -> migrations/4_posts.down.sql",
    );
    // Renamed in the index as `git mv` would, the lock re-keyed and staged with them.
    let status = git(p.path(), &["status", "--porcelain"]);
    assert_contains(
        &status,
        "R  migrations/2_posts.up.sql -> migrations/4_posts.up.sql",
    );
    assert_contains(&status, "M  migrations/migrate.lock");
    expect(p.cmd(&["lint"]), 0);
    let out = expect(p.on(&db, &["up"]), 0);
    assert_contains(&out.stderr, "Applying 4_posts");
    let out = expect(p.cmd(&["review", "--yes"]), 0);
    assert_contains(&out.stderr, "nothing to review");
    git(p.path(), &["commit", "-q", "-m", "rebase migrations"]);

    // Merging into main: the lock conflicts textually, by design, and rebase rebuilds it.
    git(p.path(), &["checkout", "-q", "main"]);
    let merge = git_output(p.path(), &["merge", "-q", "feature"]);
    assert!(!merge.status.success(), "the lock must conflict");
    let conflicted = git(p.path(), &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(conflicted.trim(), "migrations/migrate.lock");
    let out = expect(p.cmd(&["lint"]), 1);
    assert_contains(&out.stderr, "unresolved merge conflict markers");
    let out = expect(p.cmd(&["rebase"]), 0);
    assert_contains(&out.stderr, "Rebuilt");
    assert_contains(&out.stderr, "nothing to renumber");
    let conflicted = git(p.path(), &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(conflicted.trim(), "");
    git(p.path(), &["commit", "-q", "--no-edit"]);
    expect(p.cmd(&["lint"]), 0);
    let fresh = TestDb::sqlite();
    expect(p.on(&fresh, &["up"]), 0);
    expect(p.on(&fresh, &["check"]), 0);
    let lock = std::fs::read_to_string(p.migrations().join("migrate.lock")).unwrap();
    let names: Vec<&str> = lock
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["1_users", "3_tags", "4_posts"]);
}

#[test]
fn rebase_refuses_other_conflicts_and_outside_git() {
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id INT);\n",
        "DROP TABLE users;\n",
    );
    let out = expect(p.cmd(&["rebase"]), 1);
    assert_contains(&out.stderr, "is not in a git repository");

    // On main itself there is nothing to compare: the help says where rebase does work.
    let p = repo();
    let out = expect(p.cmd(&["rebase"]), 1);
    assert_contains(
        &out.stderr,
        "run it on that branch, or on main while `git merge <branch>` is in progress",
    );

    let p = repo();
    std::fs::write(p.path().join("notes.txt"), "main\n").unwrap();
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    std::fs::write(p.path().join("notes.txt"), "feature\n").unwrap();
    commit(&p, "feature notes");
    git(p.path(), &["checkout", "-q", "main"]);
    std::fs::write(p.path().join("notes.txt"), "main again\n").unwrap();
    commit(&p, "main notes");
    git(p.path(), &["checkout", "-q", "feature"]);
    let merge = git_output(p.path(), &["merge", "-q", "main"]);
    assert!(!merge.status.success());
    let out = expect(p.cmd(&["rebase"]), 1);
    assert_contains(&out.stderr, "unresolved conflicts: notes.txt");
}

/// On a terminal, review asks for each migration and records only the ones answered `y`
/// (`script` gives the binary a pseudo-terminal).
#[cfg(unix)]
#[test]
fn review_on_a_terminal_records_what_was_answered_yes() {
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    let command = format!("{} migrate review", env!("CARGO_BIN_EXE_cargo-migrate"));
    let out = on_pty(p.path(), &command, &[], "y\nn\n");
    let text = out.stdout;
    assert!(out.code == 0, "{text}");
    assert_contains(&text, "Record 1_a as reviewed? [y/N]");
    assert_contains(&text, "Record 2_b as reviewed? [y/N]");
    assert_contains(&text, "2_b stays unreviewed");
    let lock = std::fs::read_to_string(p.migrations().join("migrate.lock")).unwrap();
    assert_contains(&lock, "\n1_a ");
    assert!(!lock.contains("2_b"), "{lock}");
}

#[test]
fn rebase_names_the_merge_when_the_down_it_needs_would_revert_main_migrations_this_branch_lacks() {
    // One development database shared by both branches: main's 3_tags is applied there, but
    // its files are not on the feature branch yet, so `down --to 1` alone cannot revert it.
    let db = TestDb::sqlite();
    let p = repo();
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "review lock");
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    p.pair(POSTS.0, POSTS.1, POSTS.2);
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "posts");
    expect(p.on(&db, &["up"]), 0);
    git(p.path(), &["checkout", "-q", "main"]);
    p.pair(TAGS.0, TAGS.1, TAGS.2);
    expect(p.cmd(&["review", "--yes"]), 0);
    commit(&p, "tags");
    expect(p.on(&db, &["up", "--ignore-missing"]), 0);
    git(p.path(), &["checkout", "-q", "feature"]);

    let out = expect(p.on(&db, &["rebase"]), 1);
    assert_contains(&out.stderr, "2_posts is applied to your database");
    assert_contains(&out.stderr, "3_tags");
    assert_contains(&out.stderr, "`git merge main`");
    assert!(p.migrations().join("2_posts.up.sql").exists());
    // What the message says, in its order, finishes the job.
    let merge = git_output(p.path(), &["merge", "-q", "main"]);
    assert!(!merge.status.success(), "the lock must conflict");
    expect(p.on(&db, &["down", "--to", "1"]), 0);
    expect(p.on(&db, &["rebase"]), 0);
    expect(p.on(&db, &["up"]), 0);
    git(p.path(), &["commit", "-q", "--no-edit"]);
    expect(p.on(&db, &["check"]), 0);
}

/// The rules of deploy-time risk leave alone a table that a migration new on this branch
/// created: it is deployed nowhere yet, so no running application uses it and it is empty.
/// Once the branch is merged, the same change to that table on main is flagged again.
#[test]
fn a_table_created_on_this_branch_is_not_deployed_yet() {
    let p = repo();
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    let (name, up, down) = POSTS;
    p.pair(name, up, down)
        .pair(
            "3_rename_posts",
            "ALTER TABLE posts RENAME TO articles;\n",
            "ALTER TABLE articles RENAME TO posts;\n",
        )
        .pair(
            "4_rename_users",
            "ALTER TABLE users RENAME TO members;\n",
            "ALTER TABLE members RENAME TO users;\n",
        );
    commit(&p, "the branch's migrations");
    let renamed = |p: &Project| -> Vec<String> {
        let out = expect(p.cmd(&["lint", "--format", "json"]), 0);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "renaming-table")
            .map(|f| f["file"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(renamed(&p), ["migrations/4_rename_users.up.sql"]);
    git(p.path(), &["checkout", "-q", "main"]);
    git(p.path(), &["merge", "-q", "feature"]);
    assert_eq!(
        renamed(&p),
        [
            "migrations/3_rename_posts.up.sql",
            "migrations/4_rename_users.up.sql"
        ]
    );
}
