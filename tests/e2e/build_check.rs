//! `cargo build` of a real crate that has build-support as a build-dependency: good
//! migrations build, bad ones fail naming the rule and `file:line:col`, a second build does not
//! re-run the build script, and `embed_migrations` puts the current files in the program.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Crate {
    dir: tempfile::TempDir,
}

/// One target directory for every crate of this file, so build-support compiles once.
fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("build-check")
}

impl Crate {
    fn new(migrations: &[(&str, &str)]) -> Crate {
        Crate::with_metadata(
            migrations,
            "[package.metadata.migrate]\ndialect = \"postgres\"\n",
        )
    }

    /// A crate whose manifest ends with `metadata` (its `[package.metadata.migrate]`, or nothing).
    fn with_metadata(migrations: &[(&str, &str)], metadata: &str) -> Crate {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build-support");
        std::fs::write(
            root.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[build-dependencies]\ncargo-migrate-build-support = {{ path = {:?} }}\n\n{metadata}\n[workspace]\n",
                package_name(root),
                support.display().to_string()
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("build.rs"),
            "fn main() {\n    cargo_migrate_build_support::check_migrations(\"migrations\");\n}\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
        // The workspace's lock file, so the crate builds offline with the same versions.
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
            root.join("Cargo.lock"),
        )
        .unwrap();
        std::fs::create_dir(root.join("migrations")).unwrap();
        let c = Crate { dir };
        for (name, body) in migrations {
            c.write(name, body);
        }
        // The files exist well before the first build, as in a real checkout (files written in
        // the same clock tick as the build would look changed to the second one).
        age(c.dir.path());
        c
    }

    /// A crate whose build.rs embeds the migrations and whose main prints what it embedded
    /// (the generated file only, without cargo-migrate, so nothing else has to compile).
    fn embedding(migrations: &[(&str, &str)]) -> Crate {
        let c = Crate::new(migrations);
        let root = c.dir.path();
        std::fs::write(
            root.join("build.rs"),
            "fn main() {\n    cargo_migrate_build_support::embed_migrations(\"migrations\");\n}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("src/main.rs"),
            r#"static FILES: (&str, &[(&str, &[u8])]) =
    include!(concat!(env!("OUT_DIR"), "/cargo_migrate_migrations.rs"));

fn main() {
    println!("dir {}", FILES.0);
    for (name, bytes) in FILES.1 {
        println!("{name}: {}", String::from_utf8_lossy(bytes).trim_end());
    }
}
"#,
        )
        .unwrap();
        age(root);
        c
    }

    /// `cargo run`: what the built program prints.
    fn run(&self) -> String {
        let out = Command::new(env!("CARGO"))
            .args(["run", "--offline", "-q"])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", target_dir())
            .env("CARGO_TERM_COLOR", "never")
            .env_remove("DATABASE_URL")
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, name: &str, body: &str) {
        std::fs::write(self.dir.path().join("migrations").join(name), body).unwrap();
    }

    fn build(&self, verbose: bool) -> (bool, String) {
        self.build_with(verbose, None)
    }

    /// `cargo build`, with `DATABASE_URL` set to `database_url` (else unset).
    fn build_with(&self, verbose: bool, database_url: Option<&str>) -> (bool, String) {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.arg("build")
            .arg("--offline")
            .current_dir(self.dir.path());
        if verbose {
            cmd.arg("-v");
        }
        cmd.env("CARGO_TARGET_DIR", target_dir())
            .env("CARGO_TERM_COLOR", "never")
            .env_remove("DATABASE_URL");
        if let Some(url) = database_url {
            cmd.env("DATABASE_URL", url);
        }
        let out = cmd.output().expect("cargo runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

/// A package name of its own for each crate: crates built in parallel into one target
/// directory must not share artifacts.
fn package_name(root: &Path) -> String {
    let unique: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("app{unique}")
}

/// Sets every file below `dir` a minute into the past.
fn age(dir: &Path) {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age(&path);
        }
        std::fs::File::options()
            .write(!path.is_dir())
            .read(true)
            .open(&path)
            .and_then(|f| f.set_modified(past))
            .unwrap();
    }
}

const USERS_UP: &str = "CREATE TABLE users (id BIGINT PRIMARY KEY);\n";
const USERS_DOWN: &str = "DROP TABLE users;\n";

#[test]
fn good_migrations_build_and_a_second_build_is_fresh() {
    let c = Crate::new(&[
        ("1_users.up.sql", USERS_UP),
        ("1_users.down.sql", USERS_DOWN),
        (
            "2_drop.up.sql",
            "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname TEXT;\n",
        ),
        (
            "2_drop.down.sql",
            "ALTER TABLE users DROP COLUMN nickname;\n",
        ),
    ]);
    let (ok, out) = c.build(false);
    assert!(ok, "{out}");
    let (ok, out) = c.build(true);
    assert!(ok, "{out}");
    let fresh = format!("Fresh {}", package_name(c.dir.path()));
    assert!(
        out.contains(&fresh),
        "a no-op build re-ran the build script:\n{out}"
    );
    // A changed migration re-runs it and fails the build.
    c.write("2_drop.down.sql", "-- nothing\n");
    let (ok, out) = c.build(false);
    assert!(!ok, "{out}");
    assert!(out.contains("empty-down-script"), "{out}");
}

#[test]
fn embedded_migrations_follow_the_files_and_a_second_build_is_fresh() {
    let c = Crate::embedding(&[
        ("1_users.up.sql", USERS_UP),
        ("1_users.down.sql", USERS_DOWN),
    ]);
    assert_eq!(
        c.run(),
        "dir migrations\n\
         1_users.down.sql: DROP TABLE users;\n\
         1_users.up.sql: CREATE TABLE users (id BIGINT PRIMARY KEY);\n"
    );
    let (ok, out) = c.build(true);
    assert!(ok, "{out}");
    let fresh = format!("Fresh {}", package_name(c.dir.path()));
    assert!(
        out.contains(&fresh),
        "a no-op build re-ran the build script:\n{out}"
    );
    // A new migration and an edited one are in the next build.
    c.write("2_posts.up.sql", "CREATE TABLE posts (id INT);\n");
    c.write("2_posts.down.sql", "DROP TABLE posts;\n");
    c.write("1_users.down.sql", "DROP TABLE IF EXISTS users;\n");
    assert_eq!(
        c.run(),
        "dir migrations\n\
         1_users.down.sql: DROP TABLE IF EXISTS users;\n\
         1_users.up.sql: CREATE TABLE users (id BIGINT PRIMARY KEY);\n\
         2_posts.down.sql: DROP TABLE posts;\n\
         2_posts.up.sql: CREATE TABLE posts (id INT);\n"
    );
    // The embedding build checks exactly like check_migrations.
    c.write("3_no_down.up.sql", "CREATE TABLE a (id INT);\n");
    let (ok, out) = c.build(false);
    assert!(!ok, "{out}");
    assert!(out.contains("require-down-script"), "{out}");
}

/// A bad case: the files added to a good base, the rule, and the `file:line:col` reported.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[test]
fn bad_migrations_fail_the_build_naming_rule_and_location() {
    let cases: &[Case] = &[
        (
            &[("2_no_down.up.sql", "CREATE TABLE a (id INT);\n")],
            "require-down-script",
            "migrations/2_no_down.up.sql:1:1",
        ),
        (
            &[
                (
                    "2_leaves.up.sql",
                    "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n",
                ),
                ("2_leaves.down.sql", "DROP TABLE a;\n"),
            ],
            "down-leaves-object",
            "migrations/2_leaves.up.sql:2:1",
        ),
        (
            &[
                (
                    "2_books.up.sql",
                    "CREATE TABLE books (id INT PRIMARY KEY, user_id BIGINT REFERENCES users (id));\n",
                ),
                ("2_books.down.sql", "DROP TABLE books;\n"),
                ("3_x.up.sql", "SELECT 1;\n"),
                ("3_x.down.sql", "DROP TABLE users;\nSELECT 1;\n"),
            ],
            "down-drop-order",
            "migrations/3_x.down.sql:1:1",
        ),
        (
            &[
                (
                    "2_idx.up.sql",
                    "\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n",
                ),
                ("2_idx.down.sql", "DROP INDEX users_id_idx;\n"),
            ],
            "concurrently-in-transaction",
            "migrations/2_idx.up.sql:2:1",
        ),
        (
            &[
                (
                    "2_typo.up.sql",
                    "CREATE TABLE a (id INT)\nCREATE TABLE b (id INT);\n",
                ),
                ("2_typo.down.sql", "DROP TABLE b;\nDROP TABLE a;\n"),
            ],
            "syntax-error",
            "migrations/2_typo.up.sql:2:1",
        ),
        (
            &[
                (
                    "2_alter.up.sql",
                    "ALTER TABLE orders ADD COLUMN note TEXT;\n",
                ),
                ("2_alter.down.sql", "ALTER TABLE orders DROP COLUMN note;\n"),
                ("3_orders.up.sql", "CREATE TABLE orders (id INT);\n"),
                ("3_orders.down.sql", "DROP TABLE orders;\n"),
            ],
            "object-used-before-created",
            "migrations/2_alter.up.sql:1:1",
        ),
    ];
    for (files, rule, location) in cases {
        let mut all = vec![
            ("1_users.up.sql", USERS_UP),
            ("1_users.down.sql", USERS_DOWN),
        ];
        all.extend_from_slice(files);
        let c = Crate::new(&all);
        let (ok, out) = c.build(false);
        assert!(!ok, "{rule}: the build passed\n{out}");
        assert!(out.contains(rule), "{rule} not named:\n{out}");
        assert!(
            out.contains(location),
            "{rule}: {location} not named:\n{out}"
        );
    }
}

#[test]
fn unreviewed_migrations_warn_and_branch_conflicts_fail_the_build() {
    use crate::git::git;
    let migrations = [
        ("1_users.up.sql", USERS_UP),
        ("1_users.down.sql", USERS_DOWN),
    ];
    // A project that never reviewed anything is not asked to.
    let (ok, out) = Crate::new(&migrations).build(false);
    assert!(ok, "{out}");
    assert!(!out.contains("unreviewed-migration"), "{out}");
    // One whose config asks for reviews is warned, before its first review too.
    let c = Crate::with_metadata(
        &migrations,
        "[package.metadata.migrate]\ndialect = \"postgres\"\n\n[package.metadata.migrate.lints]\nunreviewed-migration = \"warn\"\n",
    );
    let (ok, out) = c.build(false);
    assert!(ok, "{out}");
    assert!(out.contains("unreviewed-migration"), "{out}");
    assert!(out.contains("`cargo migrate review 1`"), "{out}");

    // In a git repository on a branch, a no-op build stays fresh: only files that exist are
    // watched.
    let dir = c.dir.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "base"]);
    git(dir, &["checkout", "-q", "-b", "feature"]);
    c.write("2_posts.up.sql", "CREATE TABLE posts (id INT);\n");
    c.write("2_posts.down.sql", "DROP TABLE posts;\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "posts"]);
    age(dir);
    let (ok, out) = c.build(false);
    assert!(ok, "{out}");
    let (ok, out) = c.build(true);
    assert!(ok, "{out}");
    let fresh = format!("Fresh {}", package_name(dir));
    assert!(
        out.contains(&fresh),
        "a no-op build re-ran the build script:\n{out}"
    );

    // Main moves on with a newer migration: the branch's is now older, and the build fails.
    git(dir, &["checkout", "-q", "main"]);
    c.write("3_tags.up.sql", "CREATE TABLE tags (id INT);\n");
    c.write("3_tags.down.sql", "DROP TABLE tags;\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "tags"]);
    git(dir, &["checkout", "-q", "feature"]);
    let (ok, out) = c.build(false);
    assert!(!ok, "{out}");
    assert!(out.contains("branch-conflict"), "{out}");
    assert!(out.contains("main already has the newer 3_tags"), "{out}");
}

/// MySQL that the PostgreSQL checks reject (backquoted names).
const MYSQL_UP: &str = "CREATE TABLE `users` (id BIGINT PRIMARY KEY, email VARCHAR(200));\n";
const MYSQL_DOWN: &str = "DROP TABLE `users`;\n";

#[test]
fn build_and_lint_check_the_dialect_of_the_url_in_dotenv_and_follow_its_changes() {
    let c = Crate::with_metadata(
        &[
            ("1_users.up.sql", MYSQL_UP),
            ("1_users.down.sql", MYSQL_DOWN),
        ],
        "",
    );
    let dotenv = c.dir.path().join(".env");
    std::fs::write(&dotenv, "DATABASE_URL=mysql://root@127.0.0.1:3306/app\n").unwrap();
    age(c.dir.path());
    let lint = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .args(["migrate", "lint"])
        .current_dir(c.dir.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let lint_out = String::from_utf8_lossy(&lint.stderr);
    assert!(lint.status.success(), "{lint_out}");
    assert!(lint_out.contains("(mysql dialect)"), "{lint_out}");
    let (ok, out) = c.build(false);
    assert!(
        ok,
        "cargo build checked the MySQL of .env as another dialect:\n{out}"
    );
    let (ok, out) = c.build(true);
    assert!(
        ok && out.contains("Fresh app"),
        "a no-op build re-ran:\n{out}"
    );

    // The variable in the environment wins over .env, and setting it re-runs the check.
    let (ok, out) = c.build_with(false, Some("postgres://u@127.0.0.1/app"));
    assert!(!ok, "{out}");
    assert!(out.contains("syntax-error"), "{out}");

    // So does a changed .env.
    let (ok, out) = c.build(false);
    assert!(ok, "{out}");
    std::fs::write(&dotenv, "DATABASE_URL=postgres://u@127.0.0.1/app\n").unwrap();
    let (ok, out) = c.build(false);
    assert!(!ok, "a changed .env did not re-run the check:\n{out}");
    assert!(out.contains("syntax-error"), "{out}");
}

/// An application on today's sqlx (0.9) that embeds the migrator with only the driver it uses:
/// one sqlx in its dependency tree, no other database's driver, and it migrates its own SQLite
/// database at start-up, then reads it with its own sqlx connection.
#[test]
fn an_application_on_sqlx_0_9_embeds_the_migrator_with_only_its_driver() {
    let c = Crate::embedding(&[
        ("1_users.up.sql", USERS_UP),
        ("1_users.down.sql", USERS_DOWN),
    ]);
    let root = c.dir.path();
    let library = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let manifest = manifest.replace(
        "[build-dependencies]",
        &format!(
            "[dependencies]\ncargo-migrate = {{ path = {:?}, default-features = false, features = [\"sqlite\"] }}\nsqlx = {{ version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"sqlite\"] }}\ntokio = {{ version = \"1\", features = [\"rt\"] }}\n\n[build-dependencies]",
            library.display().to_string()
        ),
    );
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        root.join("src/main.rs"),
        r#"use sqlx::Connection;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = "sqlite:app.db";
        let migrator =
            cargo_migrate::embedded::Migrator::new(cargo_migrate::embedded_migrations!(), url)
                .unwrap();
        let applied = migrator.up().await.unwrap();
        println!("applied {}", applied.len());
        let mut own = sqlx::SqliteConnection::connect(url).await.unwrap();
        let (tables,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM sqlite_master WHERE name = 'users'")
                .fetch_one(&mut own)
                .await
                .unwrap();
        println!("users tables {tables}");
    });
}
"#,
    )
    .unwrap();
    age(root);
    assert_eq!(c.run(), "applied 1\nusers tables 1\n");
    assert_eq!(
        c.run(),
        "applied 0\nusers tables 1\n",
        "a second start applies nothing"
    );

    let tree = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8_lossy(&tree.stdout);
    // `sqlx v0.9.1`, and ` (*)` after a package shown before.
    let mut sqlx: Vec<&str> = tree
        .lines()
        .filter(|l| l.starts_with("sqlx "))
        .map(|l| l.trim_end_matches(" (*)"))
        .collect();
    sqlx.sort_unstable();
    sqlx.dedup();
    assert_eq!(sqlx.len(), 1, "two sqlx stacks:\n{tree}");
    assert!(sqlx[0].starts_with("sqlx v0.9."), "{tree}");
    for driver in ["sqlx-postgres", "sqlx-mysql"] {
        assert!(
            !tree.lines().any(|l| l.starts_with(driver)),
            "{driver} compiled for an application that uses SQLite only:\n{tree}"
        );
    }
}
