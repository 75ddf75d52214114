//! The commit gate end to end: real temporary git repositories whose `.githooks/pre-commit`
//! (written by `cargo migrate init`) runs `cargo migrate pre-commit` on a real `git commit`,
//! with `cargo migrate` resolved to this build's binary through PATH.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::support::{Kind, Output, Project, TestDb, assert_contains, expect, run};

const MANIFEST: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

/// PATH with this build's `cargo-migrate` first, so that `cargo migrate` in a hook runs it.
fn path_with_binary() -> OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .parent()
        .expect("the binary is in a directory")
        .to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest)))
        .expect("PATH entries join")
}

/// A git repository holding a Cargo project (on branch `main`), not yet initialised for
/// cargo-migrate.
struct Repo {
    p: Project,
}

impl Repo {
    fn bare_project() -> Repo {
        let p = Project::new();
        std::fs::write(p.path().join("Cargo.toml"), MANIFEST).unwrap();
        std::fs::create_dir_all(p.path().join("src")).unwrap();
        std::fs::write(p.path().join("src/lib.rs"), "").unwrap();
        std::fs::write(p.path().join(".gitignore"), "/target\n").unwrap();
        let repo = Repo { p };
        repo.git_ok(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A project with `cargo migrate init` run (the gate enabled), reviews required from the
    /// first migration on, and a first commit.
    fn new() -> Repo {
        let repo = Repo::bare_project();
        let init = expect(repo.migrate(None, &["init"]), 0);
        assert_contains(&init.stderr, "Enabled");
        let manifest = repo.path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            format!("{text}\n[package.metadata.migrate.lints]\nunreviewed-migration = \"deny\"\n"),
        )
        .unwrap();
        repo.git_ok(&["add", "-A"]);
        let first = repo.commit(None, "init");
        assert_eq!(first.code, 0, "{}", first.all());
        repo
    }

    fn path(&self) -> &Path {
        self.p.path()
    }

    /// `git <args>` in the repository, with a fixed identity and no user or system config.
    fn git(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.path())
            .args(args)
            .env("PATH", path_with_binary())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1");
        cmd
    }

    #[track_caller]
    fn git_ok(&self, args: &[&str]) -> Output {
        expect(self.git(args), 0)
    }

    /// `git commit -m <message>` through the hook, with `db`'s URL as $DATABASE_URL (none:
    /// the embedded SQLite default).
    fn commit(&self, db: Option<&TestDb>, message: &str) -> Output {
        self.commit_with(db, &["commit", "-q", "-m", message])
    }

    fn commit_with(&self, db: Option<&TestDb>, args: &[&str]) -> Output {
        let mut cmd = self.git(args);
        if let Some(db) = db {
            cmd.env("DATABASE_URL", &db.url);
        }
        run(cmd)
    }

    /// `cargo-migrate migrate <args>` in the repository, against `db` (none: the embedded
    /// default).
    fn migrate(&self, db: Option<&TestDb>, args: &[&str]) -> Command {
        match db {
            Some(db) => self.p.on(db, args),
            None => self.p.cmd(args),
        }
    }

    /// `cargo migrate review --yes` (every unreviewed migration), then `git add migrations`.
    fn review_and_stage(&self) {
        expect(self.migrate(None, &["review", "--yes"]), 0);
        self.git_ok(&["add", "migrations"]);
    }

    /// How many commits HEAD has (0 before the first).
    fn commits(&self) -> usize {
        let out = run(self.git(&["rev-list", "--count", "HEAD"]));
        if out.code != 0 {
            return 0;
        }
        out.stdout.trim().parse().unwrap()
    }

    fn pair(&self, base: &str, up: &str, down: &str) {
        self.p.pair(base, up, down);
    }

    fn migrations(&self) -> PathBuf {
        self.p.migrations()
    }
}

/// Asserts that a commit was blocked by the gate (not by a crash), and that nothing was
/// committed.
#[track_caller]
fn assert_blocked(repo: &Repo, out: &Output, commits_before: usize) {
    assert_eq!(out.code, 1, "the hook refuses with exit 1:\n{}", out.all());
    assert_contains(&out.stderr, "commit blocked");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(repo.commits(), commits_before, "nothing was committed");
}

#[track_caller]
fn assert_committed(repo: &Repo, out: &Output, commits_before: usize) {
    assert_eq!(out.code, 0, "the commit goes through:\n{}", out.all());
    assert_eq!(repo.commits(), commits_before + 1);
}

#[test]
fn init_enables_the_hook_and_commits_without_migrations_pass() {
    let repo = Repo::bare_project();
    let init = expect(repo.migrate(None, &["init"]), 0);
    assert_contains(&init.stderr, "Created .githooks/pre-commit");
    assert_contains(&init.stderr, "core.hooksPath = .githooks");
    let hook = std::fs::read_to_string(repo.path().join(".githooks/pre-commit")).unwrap();
    assert!(hook.starts_with("#!/bin/sh\n"), "{hook}");
    assert_contains(&hook, "exec cargo migrate pre-commit\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo.path().join(".githooks/pre-commit"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "the hook is executable");
    }
    let hooks_path = repo.git_ok(&["config", "core.hooksPath"]);
    assert_eq!(hooks_path.stdout.trim(), ".githooks");

    // A commit that stages no migration goes straight through.
    repo.git_ok(&["add", "-A"]);
    let out = repo.commit(None, "init");
    assert_committed(&repo, &out, 0);
    std::fs::write(repo.path().join("README.md"), "# app\n").unwrap();
    repo.git_ok(&["add", "README.md"]);
    let out = repo.commit(None, "readme");
    assert_committed(&repo, &out, 1);
    assert_eq!(out.stderr, "", "nothing to say when no migration is staged");

    // The hook is live: a staged migration that never ran is refused.
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    repo.git_ok(&["add", "migrations"]);
    let out = repo.commit(None, "add a");
    assert_blocked(&repo, &out, 2);
    assert_contains(&out.stderr, "error[pending]");

    // Running init again keeps what is there.
    let again = expect(repo.migrate(None, &["init"]), 0);
    assert_contains(&again.stderr, "already runs the commit gate");
    assert_contains(&again.stderr, "core.hooksPath is already .githooks");
}

#[test]
fn init_never_replaces_a_hook_setup_silently() {
    // Another hooks directory is configured: init says so and changes nothing.
    let repo = Repo::bare_project();
    repo.git_ok(&["config", "core.hooksPath", ".husky"]);
    let out = expect(repo.migrate(None, &["init"]), 0);
    assert_contains(&out.stderr, "core.hooksPath is already `.husky`");
    assert_contains(&out.stderr, "`cargo migrate pre-commit || exit 1`");
    assert_eq!(
        repo.git_ok(&["config", "core.hooksPath"]).stdout.trim(),
        ".husky"
    );
    assert!(!repo.path().join(".githooks").exists());

    // A hook in .git/hooks would be turned off by core.hooksPath: init leaves both alone.
    let repo = Repo::bare_project();
    let existing = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&existing, "#!/bin/sh\nexit 0\n").unwrap();
    let out = expect(repo.migrate(None, &["init"]), 0);
    assert_contains(&out.stderr, "setting core.hooksPath would turn it off");
    // That hook ends with `exit 0`: a line appended after it would never run, and one before
    // it without `|| exit 1` would not block.
    assert_contains(
        &out.stderr,
        "add the line `cargo migrate pre-commit || exit 1` near its top (before any `exit`)",
    );
    assert_eq!(
        run(repo.git(&["config", "core.hooksPath"])).code,
        1,
        "unset"
    );

    // Outside git: init works and says the gate was skipped.
    let p = Project::new();
    std::fs::write(p.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::create_dir_all(p.path().join("src")).unwrap();
    std::fs::write(p.path().join("src/lib.rs"), "").unwrap();
    let out = expect(p.cmd(&["init"]), 0);
    assert_contains(&out.stderr, "not inside a git work tree");
}

/// A staged migration that was never applied blocks the commit until `cargo migrate up`.
fn pending_blocks_until_applied(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let repo = Repo::new();
    repo.pair(
        "1_users",
        "CREATE TABLE users (id INT PRIMARY KEY);\n",
        "DROP TABLE users;\n",
    );
    repo.review_and_stage();
    let out = repo.commit(Some(&db), "users");
    assert_blocked(&repo, &out, 1);
    assert_contains(&out.stderr, "1 problem(s)");
    assert_contains(
        &out.stderr,
        "error[pending]: migrations/1_users.up.sql: 1_users is not applied to your database",
    );
    assert_contains(&out.stderr, "from $DATABASE_URL");
    assert_contains(&out.stderr, "fix: run `cargo migrate up`");

    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "users");
    assert_committed(&repo, &out, 1);
    assert_contains(&out.stderr, "1 staged migration(s) (1_users)");

    // Edited after it was applied: the committed text never ran.
    std::fs::write(
        repo.migrations().join("1_users.up.sql"),
        "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\n",
    )
    .unwrap();
    repo.review_and_stage();
    let out = repo.commit(Some(&db), "users with names");
    assert_blocked(&repo, &out, 2);
    assert_contains(&out.stderr, "1_users changed after it was applied");
    assert_contains(&out.stderr, "run `cargo migrate down --all`");
    expect(repo.migrate(Some(&db), &["down", "--all"]), 0);
    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "users with names");
    assert_committed(&repo, &out, 2);

    // Older than an applied one: the message names it, in a whole sentence.
    repo.pair(
        "3_third",
        "CREATE TABLE third (id INT);\n",
        "DROP TABLE third;\n",
    );
    expect(repo.migrate(Some(&db), &["up"]), 0);
    repo.review_and_stage();
    assert_committed(&repo, &repo.commit(Some(&db), "third"), 3);
    repo.pair(
        "2_second",
        "CREATE TABLE second (id INT);\n",
        "DROP TABLE second;\n",
    );
    repo.review_and_stage();
    let out = repo.commit(Some(&db), "second");
    assert_blocked(&repo, &out, 4);
    assert_contains(&out.stderr, "2_second is not applied to your database");
    assert_contains(&out.stderr, "and is older than 3_third, which is applied");
}

#[test]
fn not_yet_created_embedded_database_means_pending() {
    let repo = Repo::new();
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    repo.review_and_stage();
    let out = repo.commit(None, "a");
    assert_blocked(&repo, &out, 1);
    assert_contains(&out.stderr, "(embedded default: no DATABASE_URL set)");
    assert_contains(&out.stderr, "fix: run `cargo migrate up`");
    assert!(
        !repo.path().join("target/cargo-migrate/dev.db").exists(),
        "the gate creates no database"
    );
    expect(repo.migrate(None, &["up"]), 0);
    let out = repo.commit(None, "a");
    assert_committed(&repo, &out, 1);
}

#[test]
fn lint_errors_block_with_the_rule_and_location_until_fixed() {
    let db = TestDb::sqlite();
    let repo = Repo::new();
    std::fs::write(
        repo.migrations().join("1_a.up.sql"),
        "CREATE TABLE a (id INT);\n",
    )
    .unwrap();
    repo.git_ok(&["add", "migrations"]);
    let out = repo.commit(Some(&db), "a");
    assert_blocked(&repo, &out, 1);
    // Every problem is reported, not only the first.
    assert_contains(&out.stderr, "3 problem(s)");
    assert_contains(
        &out.stderr,
        "error[lint]: migrations/1_a.up.sql:1:1: [require-down-script] migration 1_a has no down script",
    );
    assert_contains(&out.stderr, "write migrations/1_a.down.sql");
    assert_contains(&out.stderr, "`cargo migrate lint`");
    assert_contains(&out.stderr, "error[unreviewed]");
    assert_contains(&out.stderr, "error[pending]");

    std::fs::write(repo.migrations().join("1_a.down.sql"), "DROP TABLE a;\n").unwrap();
    expect(repo.migrate(Some(&db), &["lint"]), 0);
    // Written but not staged: what would be checked is not what is committed.
    let out = repo.commit(Some(&db), "a");
    assert_blocked(&repo, &out, 1);
    assert_contains(
        &out.stderr,
        "error[unstaged]: migrations/1_a.down.sql: is not tracked by git",
    );
    assert_contains(&out.stderr, "`git add migrations/1_a.down.sql`");
    assert!(!out.stderr.contains("error[lint]"), "{}", out.stderr);

    repo.review_and_stage();
    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "a");
    assert_committed(&repo, &out, 1);
}

#[test]
fn commit_all_is_checked_with_the_index_git_builds_for_it() {
    let db = TestDb::sqlite();
    let repo = Repo::new();
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    repo.review_and_stage();
    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "a");
    assert_committed(&repo, &out, 1);

    // A change to a committed migration left unstaged is seen by `git commit -a` only.
    std::fs::write(
        repo.migrations().join("1_a.up.sql"),
        "CREATE TABLE a (id INT, b INT);\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("README.md"), "# app\n").unwrap();
    repo.git_ok(&["add", "README.md"]);
    let out = repo.commit(Some(&db), "readme only");
    assert_committed(&repo, &out, 2);
    let out = repo.commit_with(Some(&db), &["commit", "-q", "-a", "-m", "edit a"]);
    assert_blocked(&repo, &out, 3);
    assert_contains(&out.stderr, "1_a changed after it was applied");
}

#[test]
fn unreachable_database_is_a_refusal_with_the_reason() {
    let repo = Repo::new();
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    repo.review_and_stage();
    let mut cmd = repo.git(&["commit", "-q", "-m", "a"]);
    cmd.env("DATABASE_URL", "postgres://app:s3cret@127.0.0.1:1/x");
    let out = run(cmd);
    assert_blocked(&repo, &out, 1);
    assert_contains(&out.stderr, "1 problem(s)");
    assert_contains(
        &out.stderr,
        "error[database]: postgres://app:***@127.0.0.1:1/x (from $DATABASE_URL): cannot tell whether the staged migrations are applied: cannot connect to",
    );
    assert_contains(&out.stderr, "is the server running");
    assert_contains(
        &out.stderr,
        "fix: start the database (or point the URL at the right one), then run `cargo migrate up` once it is up",
    );
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
}

#[test]
fn unreviewed_blocks_until_reviewed() {
    let db = TestDb::sqlite();
    let repo = Repo::new();
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(repo.migrate(Some(&db), &["up"]), 0);
    repo.git_ok(&["add", "migrations"]);
    let out = repo.commit(Some(&db), "a");
    assert_blocked(&repo, &out, 1);
    assert_contains(&out.stderr, "1 problem(s)");
    assert_contains(
        &out.stderr,
        "error[unreviewed]: migrations/1_a.up.sql: 1_a is not reviewed (there is no migrations/migrate.lock yet)",
    );
    assert_contains(&out.stderr, "`cargo migrate review 1`");

    expect(repo.migrate(None, &["review", "1", "--yes"]), 0);
    // The lock review wrote is not staged yet.
    let out = repo.commit(Some(&db), "a");
    assert_blocked(&repo, &out, 1);
    assert_contains(
        &out.stderr,
        "error[unstaged]: migrations/migrate.lock: is not tracked by git",
    );
    repo.git_ok(&["add", "migrations"]);
    let out = repo.commit(Some(&db), "a");
    assert_committed(&repo, &out, 1);
    // On main, branch conflicts are not checked, and the gate says so.
    assert_contains(&out.stderr, "on the main branch (main)");

    // A damaged lock: nothing can be known reviewed.
    repo.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    expect(repo.migrate(Some(&db), &["up"]), 0);
    repo.review_and_stage();
    let lock = repo.migrations().join("migrate.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, text.replacen("1_a", "1_x", 1)).unwrap();
    repo.git_ok(&["add", "migrations"]);
    let out = repo.commit(Some(&db), "b");
    assert_blocked(&repo, &out, 2);
    assert_contains(&out.stderr, "error[unreviewed]: migrations/migrate.lock");
    std::fs::write(&lock, text).unwrap();
    repo.git_ok(&["add", "migrations"]);
    assert_committed(&repo, &repo.commit(Some(&db), "b"), 2);
}

#[test]
fn conflict_with_main_blocks_until_rebased() {
    let db = TestDb::sqlite();
    let teammate = TestDb::sqlite();
    let repo = Repo::new();
    repo.pair(
        "1_users",
        "CREATE TABLE users (id INT PRIMARY KEY);\n",
        "DROP TABLE users;\n",
    );
    repo.review_and_stage();
    expect(repo.migrate(Some(&db), &["up"]), 0);
    assert_committed(&repo, &repo.commit(Some(&db), "users"), 1);
    repo.git_ok(&["branch", "feature"]);

    // A teammate's migration lands on main after the branch point.
    repo.pair(
        "5_teams",
        "CREATE TABLE teams (id INT PRIMARY KEY);\n",
        "DROP TABLE teams;\n",
    );
    repo.review_and_stage();
    expect(repo.migrate(Some(&teammate), &["up"]), 0);
    assert_committed(&repo, &repo.commit(Some(&teammate), "teams"), 2);

    repo.git_ok(&["checkout", "-q", "feature"]);
    repo.pair(
        "3_posts",
        "CREATE TABLE posts (id INT PRIMARY KEY);\n",
        "DROP TABLE posts;\n",
    );
    repo.review_and_stage();
    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "posts");
    assert_blocked(&repo, &out, 2);
    assert_contains(&out.stderr, "1 problem(s)");
    assert_contains(
        &out.stderr,
        "error[conflict]: migrations/3_posts.up.sql: 3_posts was added on this branch, but main already has the newer 5_teams",
    );
    assert_contains(&out.stderr, "fix: run `cargo migrate rebase`");

    // Renumbered after main's newest: a new version, so it must be applied under it.
    expect(repo.migrate(Some(&db), &["down"]), 0);
    expect(repo.migrate(Some(&db), &["rebase"]), 0);
    let out = repo.commit(Some(&db), "posts");
    assert_blocked(&repo, &out, 2);
    assert_contains(&out.stderr, "error[pending]: migrations/6_posts.up.sql");
    assert!(!out.stderr.contains("error[conflict]"), "{}", out.stderr);
    assert!(!out.stderr.contains("error[unreviewed]"), "{}", out.stderr);
    expect(repo.migrate(Some(&db), &["up"]), 0);
    let out = repo.commit(Some(&db), "posts");
    assert_committed(&repo, &out, 2);
    assert_contains(&out.stderr, "no conflict with main");
}

#[test]
fn a_project_below_the_work_tree_root_is_found_by_its_hook() {
    let repo = Repo::bare_project();
    // The repository's root holds no Cargo project; the crate is in backend/.
    let backend = repo.path().join("backend");
    std::fs::create_dir_all(backend.join("src")).unwrap();
    for name in ["Cargo.toml", "src/lib.rs"] {
        std::fs::rename(repo.path().join(name), backend.join(name)).unwrap();
    }
    std::fs::remove_dir(repo.migrations()).unwrap();
    let in_backend = |args: &[&str]| {
        let mut cmd = repo.migrate(None, args);
        cmd.current_dir(&backend);
        cmd
    };
    expect(in_backend(&["init"]), 0);
    let hook = std::fs::read_to_string(repo.path().join(".githooks/pre-commit")).unwrap();
    assert_contains(
        &hook,
        "exec cargo migrate pre-commit --manifest-path backend/Cargo.toml\n",
    );
    std::fs::write(
        backend.join("migrations/1_a.up.sql"),
        "CREATE TABLE a (id INT);\n",
    )
    .unwrap();
    std::fs::write(backend.join("migrations/1_a.down.sql"), "DROP TABLE a;\n").unwrap();
    expect(in_backend(&["review", "--yes"]), 0);
    repo.git_ok(&["add", "-A"]);
    let out = repo.commit(None, "a");
    assert_blocked(&repo, &out, 0);
    assert_contains(&out.stderr, "error[pending]: backend/migrations/1_a.up.sql");
    // The fix commands find no Cargo.toml at the root, where git runs the hook: the help says
    // where to run them.
    assert_contains(
        &out.stderr,
        "run the command under each problem in backend (`cd backend` from the repository's root)",
    );
    expect(in_backend(&["up"]), 0);
    let out = repo.commit(None, "a");
    assert_committed(&repo, &out, 0);
}

#[test]
fn pre_commit_outside_git_is_a_usage_error() {
    let p = Project::new();
    let out = expect(p.cmd(&["pre-commit"]), 2);
    assert_contains(&out.stderr, "is not inside a git work tree");
}

/// The pending check on every database.
mod pending_on {
    use crate::support::Kind;

    #[test]
    fn sqlite() {
        super::pending_blocks_until_applied(Kind::Sqlite);
    }

    #[test]
    fn postgres() {
        super::pending_blocks_until_applied(Kind::Postgres);
    }

    #[test]
    fn mysql() {
        super::pending_blocks_until_applied(Kind::MySql);
    }
}

/// Deleting a reviewed migration (it may have run anywhere) is blocked, with how to restore it.
#[test]
fn deleting_a_reviewed_migration_is_blocked() {
    let db = TestDb::sqlite();
    let repo = Repo::new();
    repo.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(repo.migrate(Some(&db), &["up"]), 0);
    repo.review_and_stage();
    assert_committed(&repo, &repo.commit(Some(&db), "a"), 1);
    repo.git_ok(&[
        "rm",
        "-q",
        "migrations/1_a.up.sql",
        "migrations/1_a.down.sql",
    ]);
    let out = repo.commit(Some(&db), "drop a");
    assert_blocked(&repo, &out, 2);
    assert_contains(
        &out.stderr,
        "error[deleted]: migrations/1_a.up.sql: 1_a is deleted, but it is reviewed",
    );
    assert_contains(
        &out.stderr,
        "`git restore --staged --worktree migrations/1_a.up.sql`",
    );
}
