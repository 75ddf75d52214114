//! The example application, run as a real process against a real database: it migrates at
//! start-up, `--check` refuses to start while a migration is pending (or modified), and what
//! it records is what `cargo migrate` records: the real CLI (built from this workspace) reads
//! the same tracking rows, and a database migrated by the CLI holds the same rows.
//!
//! SQLite always; PostgreSQL and MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL are set (they
//! must be when CI is set). Each test creates its own database and drops it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's example migrations, as the application embeds them, in version order.
const MIGRATIONS: [&str; 5] = [
    "20250106091500_create_accounts",
    "20250106093000_create_users",
    "20250113140000_create_projects_and_tasks",
    "20250120101500_add_priority_to_tasks",
    "20250127160000_seed_default_account",
];

// The same throwaway databases as the e2e suite; this suite uses only part of it.
#[allow(dead_code)]
#[path = "../../tests/e2e/test_db.rs"]
mod test_db;
use test_db::{Kind, TestDb};

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The real `cargo-migrate` binary of this workspace, built (or found fresh) once per run by
/// cargo itself, with its default `cli` feature.
fn cli_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--offline", "--message-format=json"])
            .args(["-p", "cargo-migrate", "--bin", "cargo-migrate"])
            .current_dir(workspace_root())
            .env("CARGO_TERM_COLOR", "never");
        // What cargo sets for this test process is not the environment of a build: a build
        // script that watches CARGO_MANIFEST_DIR or OUT_DIR (ring's does) would otherwise run
        // again, and the next plain `cargo build` again after it.
        const SET_FOR_TESTS: [&str; 5] = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
        ];
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key == "OUT_DIR" || SET_FOR_TESTS.iter().any(|p| key.starts_with(p)) {
                cargo.env_remove(&*key);
            }
        }
        let out = cargo.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "building cargo-migrate failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| {
                m["reason"] == "compiler-artifact" && m["target"]["name"] == "cargo-migrate"
            })
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the cargo-migrate executable")
    })
}

/// What a finished process printed.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

#[track_caller]
fn expect(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().expect("the binary runs");
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(
        out.code, code,
        "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

/// The example application against `db`, its URL from `DATABASE_URL`.
fn app(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_example-app"));
    cmd.args(args)
        .env("DATABASE_URL", &db.url)
        .env("CARGO_MIGRATE_USER", "deployer")
        .env("NO_COLOR", "1");
    cmd
}

/// `cargo-migrate migrate <args…> --database-url <db>` in the repository, whose config points
/// at the same migrations directory the application embeds.
fn cli(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(cli_binary());
    cmd.current_dir(workspace_root())
        .arg("migrate")
        .args(args)
        .args(["--database-url", &db.url])
        .env_remove("DATABASE_URL")
        .env("CARGO_MIGRATE_USER", "deployer")
        .env("NO_COLOR", "1");
    cmd
}

/// `status --format json` of the real CLI, as (name, state).
fn cli_states(db: &TestDb) -> Vec<(String, String)> {
    let out = expect(&mut cli(db, &["status", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("status JSON");
    json["migrations"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|m| {
            let name = format!(
                "{}_{}",
                m["version"],
                m["name"].as_str().unwrap_or_default()
            );
            (name, m["state"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// The tracking rows as the real CLI's `history --format json` prints them, without the
/// columns that differ from run to run (when, how long).
fn tracking_rows(db: &TestDb) -> Vec<serde_json::Value> {
    let out = expect(&mut cli(db, &["history", "--format", "json"]), 0);
    let history: serde_json::Value = serde_json::from_str(&out.stdout).expect("history JSON");
    let mut rows: Vec<serde_json::Value> =
        serde_json::from_value(history["migrations"].clone()).expect("history rows");
    for row in &mut rows {
        let row = row.as_object_mut().expect("an object");
        row.remove("applied_at");
        row.remove("execution_us");
    }
    rows.sort_by_key(|r| r["version"].as_i64());
    rows
}

#[track_caller]
fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
}

/// Refuses with everything pending, migrates what the CLI left pending, and the CLI agrees.
fn migrates_at_start_up_and_refuses_with_pending(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };

    let refused = expect(&mut app(&db, &["--check"]), 1);
    assert_contains(&refused.stderr, "the database is not up to date");
    for name in MIGRATIONS {
        assert_contains(&refused.stderr, &format!("{name} is pending"));
    }
    assert_contains(&refused.stderr, "cargo migrate up");

    // The CLI applies the first three; the application sees exactly the other two.
    expect(&mut cli(&db, &["up", "--to", "20250113140000"]), 0);
    let refused = expect(&mut app(&db, &["--check"]), 1);
    let said: Vec<&str> = MIGRATIONS
        .iter()
        .copied()
        .filter(|name| refused.stderr.contains(&format!("{name} is pending")))
        .collect();
    assert_eq!(said, &MIGRATIONS[3..], "{}", refused.stderr);

    let started = expect(&mut app(&db, &[]), 0);
    let applied: Vec<&str> = started
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("example-app: applying "))
        .collect();
    assert_eq!(applied, &MIGRATIONS[3..], "{}", started.stderr);
    assert_contains(&started.stderr, "applied 2 migration(s)");
    assert_contains(&started.stderr, "serving");

    expect(&mut app(&db, &["--check"]), 0);
    let again = expect(&mut app(&db, &[]), 0);
    assert_contains(&again.stderr, "applied 0 migration(s)");

    let states = cli_states(&db);
    let expected: Vec<(String, String)> = MIGRATIONS
        .iter()
        .map(|n| (n.to_string(), "applied".to_owned()))
        .collect();
    assert_eq!(states, expected);
    // The application really changed the schema: the CLI can revert what it applied.
    if kind != Kind::MySql {
        // (the repository's down scripts use `DROP INDEX name`, which MariaDB does not take)
        expect(&mut cli(&db, &["down", "--steps", "2"]), 0);
        expect(&mut app(&db, &["--check"]), 1);
        expect(&mut app(&db, &[]), 0);
    }
}

/// A database migrated by the application holds the same tracking rows as one migrated by
/// `cargo migrate up`.
fn records_what_the_cli_records(kind: Kind) {
    let Some(by_app) = TestDb::of(kind) else {
        return;
    };
    let Some(by_cli) = TestDb::of(kind) else {
        return;
    };
    expect(&mut app(&by_app, &[]), 0);
    expect(&mut cli(&by_cli, &["up"]), 0);
    let rows = tracking_rows(&by_app);
    assert_eq!(rows.len(), MIGRATIONS.len());
    assert_eq!(rows, tracking_rows(&by_cli));
}

/// Replicas of the application starting at once take turns on the migration lock: every
/// migration is applied exactly once and every replica starts.
fn replicas_starting_together_apply_each_migration_once(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let replicas: Vec<std::process::Child> = (0..4)
        .map(|_| {
            app(&db, &[])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the application starts")
        })
        .collect();
    let mut applying = Vec::new();
    for replica in replicas {
        let out = replica.wait_with_output().expect("the replica finishes");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "a replica failed:\n{stderr}");
        assert_contains(&stderr, "serving");
        applying.extend(
            stderr
                .lines()
                .filter_map(|l| l.strip_prefix("example-app: applying "))
                .map(str::to_owned),
        );
    }
    applying.sort();
    assert_eq!(
        applying, MIGRATIONS,
        "each migration is applied by exactly one replica"
    );
    let rows = tracking_rows(&db);
    assert_eq!(rows.len(), MIGRATIONS.len());
    assert!(rows.iter().all(|r| r["success"] == true), "{rows:?}");
}

/// A migration that fails at start-up stops the application with its `file:line:col`, and
/// leaves the database at the boundary before it, as `cargo migrate up` would.
fn a_failing_migration_stops_the_start_at_a_boundary(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    db.exec("CREATE TABLE users (id INT)");
    let failed = expect(&mut app(&db, &[]), 1);
    assert_contains(
        &failed.stderr,
        "migration 20250106093000_create_users failed at ../migrations/20250106093000_create_users.up.sql:2:",
    );
    assert!(!failed.stderr.contains("serving"), "{}", failed.stderr);
    let states: Vec<String> = cli_states(&db).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        states,
        ["applied", "pending", "pending", "pending", "pending"]
    );
    // Once the obstacle is gone the next start finishes the job.
    db.exec("DROP TABLE users");
    let started = expect(&mut app(&db, &[]), 0);
    assert_contains(&started.stderr, "applied 4 migration(s)");
}

/// An applied migration whose recorded checksum no longer matches is refused by both modes,
/// with the same message as `cargo migrate up`.
fn refuses_a_modified_migration_like_the_cli(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    expect(&mut app(&db, &[]), 0);
    db.exec(&format!(
        "UPDATE _cargo_migrate SET up_checksum = '{}' WHERE version = 20250106093000",
        "0".repeat(64)
    ));
    let checked = expect(&mut app(&db, &["--check"]), 1);
    assert_contains(&checked.stderr, "20250106093000_create_users is modified");
    let started = expect(&mut app(&db, &[]), 1);
    let by_cli = expect(&mut cli(&db, &["up"]), 1);
    let refusal = "migration 20250106093000_create_users was changed after it was applied";
    assert_contains(&started.stderr, refusal);
    assert_contains(&by_cli.stderr, refusal);
}

macro_rules! on_every_database {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $test() { super::$test(super::Kind::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $test() { super::$test(super::Kind::Postgres) })*
        }
        mod mysql {
            $(#[test] fn $test() { super::$test(super::Kind::MySql) })*
        }
    };
}

on_every_database!(
    migrates_at_start_up_and_refuses_with_pending,
    records_what_the_cli_records,
    replicas_starting_together_apply_each_migration_once,
    a_failing_migration_stops_the_start_at_a_boundary,
    refuses_a_modified_migration_like_the_cli,
);

#[test]
fn a_bad_url_is_a_usage_error_without_the_password() {
    let out = expect(
        Command::new(env!("CARGO_BIN_EXE_example-app"))
            .args(["--database-url", "postgres://app:hunter22@127.0.0.1:1/app"])
            .env_remove("DATABASE_URL"),
        2,
    );
    assert_contains(
        &out.stderr,
        "cannot connect to postgres://app:***@127.0.0.1:1/app",
    );
    assert!(!out.stderr.contains("hunter22"), "{}", out.stderr);
}
