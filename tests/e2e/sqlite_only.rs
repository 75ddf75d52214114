//! What needs no server: configuration, files, and the embedded SQLite default.

use crate::support::{Project, TestDb, assert_contains, expect, one_line, run, states};

/// A project with a Cargo.toml, as `cargo migrate` is used in practice.
fn cargo_project(manifest: &str) -> Project {
    let p = Project::new();
    std::fs::write(p.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir_all(p.path().join("src")).unwrap();
    std::fs::write(p.path().join("src/lib.rs"), "").unwrap();
    p
}

const MANIFEST: &str = "# the app\n[package]\nname = \"app\"   # keep this comment\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n";

#[test]
fn init_writes_the_config_and_keeps_the_manifest_as_it_was() {
    let p = cargo_project(MANIFEST);
    std::fs::remove_dir(p.migrations()).unwrap();
    let out = expect(p.cmd(&["init"]), 0);
    let manifest = std::fs::read_to_string(p.path().join("Cargo.toml")).unwrap();
    // With no URL anywhere, the embedded SQLite default: the SQL is SQLite's.
    let added = "\n[package.metadata.migrate]\ndir = \"migrations\"\ndialect = \"sqlite\"\n";
    assert!(manifest.contains(added), "{manifest}");
    assert_eq!(
        manifest.replacen(added, "", 1),
        MANIFEST,
        "nothing else changed"
    );
    assert!(p.migrations().is_dir());
    // git keeps the directory, and the build check is one step away.
    assert!(p.migrations().join(".gitkeep").is_file());
    assert_contains(
        &out.stderr,
        "check_migrations(\"migrations\");` in build.rs",
    );
    // Running it again changes nothing.
    let again = expect(p.cmd(&["init"]), 0);
    assert_contains(&again.stderr, "already has");
    assert_eq!(
        std::fs::read_to_string(p.path().join("Cargo.toml")).unwrap(),
        manifest
    );
}

#[test]
fn embedded_default_is_a_sqlite_file_under_target() {
    let p = cargo_project(&format!(
        "{MANIFEST}\n[package.metadata.migrate]\ndir = \"db/migrations\"\n"
    ));
    std::fs::create_dir_all(p.path().join("db/migrations")).unwrap();
    std::fs::write(
        p.path().join("db/migrations/1_a.up.sql"),
        "CREATE TABLE a (id INT);",
    )
    .unwrap();
    std::fs::write(p.path().join("db/migrations/1_a.down.sql"), "DROP TABLE a;").unwrap();
    let out = expect(p.cmd(&["up"]), 0);
    assert!(
        out.stderr
            .contains("sqlite:target/cargo-migrate/dev.db (embedded default"),
        "{}",
        out.stderr
    );
    assert!(p.path().join("target/cargo-migrate/dev.db").is_file());
    // From a subdirectory, the same project and the same database.
    let mut status = p.cmd(&["status"]);
    status.current_dir(p.path().join("src"));
    let out = expect(status, 0);
    assert_contains(&out.stdout, "applied");
}

#[test]
fn url_from_dotenv_and_the_configured_variable() {
    let p = cargo_project(&format!(
        "{MANIFEST}\n[package.metadata.migrate]\ndatabase_url_env = \"APP_DB\"\ntable = \"schema_history\"\n"
    ));
    p.pair("1_a", "CREATE TABLE a (id INT);", "DROP TABLE a;");
    std::fs::write(p.path().join(".env"), "# local\nAPP_DB=sqlite:local.db\n").unwrap();
    let out = expect(p.cmd(&["up"]), 0);
    assert_contains(&out.stderr, "from APP_DB in");
    // Relative to the .env file, wherever the command runs.
    let mut status = p.cmd(&["status", "--format", "json"]);
    status.current_dir(p.path().join("src"));
    assert!(expect(status, 0).stdout.contains("\"applied\""));
    // The .env database is the file next to it: its history holds the migration.
    let url = format!("sqlite:{}", p.path().join("local.db").display());
    let mut check = p.cmd(&["history", "--format", "json"]);
    check.args(["--database-url", &url]);
    let history = expect(check, 0);
    assert_contains(&history.stdout, "\"version\": 1");
    // The environment variable wins over .env.
    let mut env = p.cmd(&["status"]);
    env.env("APP_DB", "sqlite:other.db");
    let out = expect(env, 0);
    assert_contains(&out.stderr, "from $APP_DB");
    assert_contains(&out.stdout, "pending");
}

#[test]
fn invalid_config_is_a_usage_error() {
    let p = cargo_project(&format!(
        "{MANIFEST}\n[package.metadata.migrate]\ndirr = \"x\"\n"
    ));
    let out = expect(p.cmd(&["status"]), 2);
    assert_contains(&out.stderr, "unknown field `dirr`");
    let p = cargo_project(MANIFEST);
    let out = expect(p.cmd(&["status", "--env", "production"]), 2);
    assert_contains(&out.stderr, "no environment named `production`");
}

#[test]
fn bad_files_are_diagnostics_naming_the_file_and_nothing_runs() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_ok", "CREATE TABLE ok (id INT);", "DROP TABLE ok;");
    p.write("2_Bad-Name.up.sql", "SELECT 1;");
    p.write("3_orphan.down.sql", "SELECT 1;");
    p.write("4_a.up.sql", "SELECT 1;");
    p.write("04_b.up.sql", "SELECT 1;");
    std::fs::write(
        p.migrations().join("5_latin1.up.sql"),
        b"-- caf\xe9\nSELECT 1;\n",
    )
    .unwrap();
    p.write("notes.txt", "not a migration");
    let out = expect(p.on(&db, &["up"]), 1);
    for expected in [
        "migrations/2_Bad-Name.up.sql",
        "invalid-file-name",
        "migrations/3_orphan.down.sql",
        "orphan-down",
        "version 4 is used by more than one migration",
        "migrations/5_latin1.up.sql",
        "not valid UTF-8",
        "nothing was run",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?} in\n{}",
            out.stderr
        );
    }
    assert!(db.tables().is_empty());
    // status still shows what it could load, with the problems as warnings.
    let status = expect(p.on(&db, &["status"]), 0);
    assert_contains(&status.stdout, "ok");
    assert_contains(&status.stderr, "orphan-down");
}

#[test]
fn unterminated_string_stops_before_anything_runs() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_ok", "CREATE TABLE ok (id INT);", "DROP TABLE ok;");
    p.pair(
        "2_bad",
        "INSERT INTO ok VALUES (1);\nSELECT 'oops;\n",
        "SELECT 1;",
    );
    let out = expect(p.on(&db, &["up"]), 1);
    assert_contains(&out.stderr, "migrations/2_bad.up.sql:2:8");
    assert!(
        db.tables().is_empty(),
        "the first migration did not run either"
    );
}

#[test]
fn down_refuses_irreversible_migrations_before_reverting_anything() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.write(
        "1_seed.sql",
        "-- migrate:irreversible deletes legacy rows\nCREATE TABLE a (id INT);\n",
    );
    p.pair("2_b", "CREATE TABLE b (id INT);", "DROP TABLE b;");
    expect(p.on(&db, &["up"]), 0);
    let out = expect(p.on(&db, &["down", "--all"]), 1);
    assert!(
        out.stderr
            .contains("cannot revert 1_seed: it has no down script (deletes legacy rows)"),
        "{}",
        out.stderr
    );
    assert_eq!(db.tables(), ["a", "b"], "b was not reverted either");
    expect(p.on(&db, &["down", "--to", "1"]), 0);
    assert_eq!(db.tables(), ["a"]);
}

#[test]
fn a_migration_left_as_new_wrote_it_is_denied_by_lint_and_warned_about_by_up() {
    let db = TestDb::sqlite();
    let p = Project::new();
    expect(p.cmd(&["new", "add_email"]), 0);
    let lint = expect(p.cmd(&["lint"]), 1);
    assert_contains(&lint.stderr, "empty-up-script");
    assert_contains(&lint.stderr, "the up script has no statement");
    // Without the build or lint in the way, `up` says so before it records it.
    let up = expect(p.on(&db, &["up"]), 0);
    assert_contains(&up.stderr, "has no statement");
    assert_contains(
        &up.stderr,
        "will be recorded as applied although nothing runs",
    );
    // Kept empty on purpose, it says why, and nobody complains.
    p.pair(
        "1_placeholder",
        "-- migrate:allow empty-up-script keeps the number of a migration that was removed\n",
        "",
    );
    let lint = run(p.cmd(&["lint"]));
    assert!(!lint.stderr.contains("1_placeholder"), "{}", lint.stderr);
    // A project that allows the rule hears nothing from `up` either.
    p.package("[package.metadata.migrate.lints]\nempty-up-script = \"allow\"\n");
    expect(p.cmd(&["new", "later"]), 0);
    let up = expect(p.on(&db, &["up", "--allow-out-of-order"]), 0);
    assert_contains(&up.stderr, "Applying");
    assert!(!up.stderr.contains("has no statement"), "{}", up.stderr);
}

#[test]
fn a_lint_level_up_cannot_read_is_refused_by_up_as_by_lint() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.package("[package.metadata.migrate.lints]\nempty-up-script = \"Allow\"\n");
    expect(p.cmd(&["new", "add_email"]), 0);
    let lint = expect(p.cmd(&["lint"]), 2);
    assert_contains(&lint.stderr, "`Allow` is not a lint level");
    let up = expect(p.on(&db, &["up"]), 2);
    assert_contains(&up.stderr, "`Allow` is not a lint level");
    let dry_run = expect(p.on(&db, &["up", "--dry-run"]), 2);
    assert_contains(&dry_run.stderr, "`Allow` is not a lint level");
    assert!(!up.stderr.contains("Applying"), "{}", up.stderr);
    let states = states(&p, &db);
    assert!(states.len() == 1 && states[0].1 == "pending", "{states:?}");
}

#[test]
fn new_writes_templates_and_never_reuses_a_version() {
    let p = Project::new();
    p.pair("29991231235959_far_future", "SELECT 1;", "SELECT 1;");
    let out = expect(
        p.cmd(&[
            "new",
            "Add Index",
            "--template",
            "add_index",
            "--table",
            "users",
            "--column",
            "email",
        ]),
        0,
    );
    assert_eq!(
        out.stdout,
        "migrations/29991231235960_add_index.up.sql\nmigrations/29991231235960_add_index.down.sql\n"
    );
    let up =
        std::fs::read_to_string(p.migrations().join("29991231235960_add_index.up.sql")).unwrap();
    assert_eq!(up, "CREATE INDEX users_email_idx ON users (email);\n");
    assert!(!out.stderr.contains("Guessed"), "{}", out.stderr);
    // Guessed from the name, and said so.
    let out = expect(
        p.cmd(&[
            "new",
            "add_index_on_orders_placed_at",
            "--template",
            "add_index",
        ]),
        0,
    );
    assert_contains(
        &out.stderr,
        "Guessed table `orders`, column `placed_at` from the name",
    );
    // A name that names no table: a placeholder, said to be one, not "guessed".
    let out = expect(
        p.cmd(&[
            "new",
            "add_email",
            "--template",
            "add_column",
            "--column",
            "email",
        ]),
        0,
    );
    assert_contains(
        &out.stderr,
        "warning: the name says nothing of the table `my_table` (--table): the files name a placeholder",
    );
    assert!(!out.stderr.contains("Guessed"), "{}", out.stderr);
    let out = expect(p.cmd(&["new", "backfill", "--up-only"]), 0);
    assert_eq!(out.stdout, "migrations/29991231235963_backfill.sql\n");
    let out = expect(p.cmd(&["new", "!!!"]), 2);
    assert_contains(&out.stderr, "empty migration name");
    // The templates follow the database: PostgreSQL builds indexes concurrently.
    let mut pg = p.cmd(&["new", "idx", "--template", "add_index"]);
    pg.args(["--database-url", "postgres://u@localhost/db"]);
    let out = expect(pg, 0);
    let up = std::fs::read_to_string(p.path().join(out.stdout.lines().next().unwrap())).unwrap();
    assert!(up.starts_with("-- migrate:no-transaction\n"), "{up}");
    assert!(up.contains("CREATE INDEX CONCURRENTLY"), "{up}");
}

#[test]
fn the_repository_example_migrations_apply_and_revert() {
    let db = TestDb::sqlite();
    let p = Project::new();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let mut up = p.cmd(&["up", "--dir", examples]);
    up.args(["--database-url", &db.url]);
    expect(up, 0);
    assert!(db.tables().contains(&"tasks".to_owned()));
    let mut down = p.cmd(&["down", "--all", "--dir", examples]);
    down.args(["--database-url", &db.url]);
    expect(down, 0);
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

#[test]
fn status_output_is_stable_and_broken_pipes_are_quiet() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair(
        "1_create_accounts",
        "CREATE TABLE a (id INT);",
        "DROP TABLE a;",
    );
    p.pair(
        "20240101000000_add_index",
        "CREATE INDEX i ON a (id);",
        "DROP INDEX i;",
    );
    let out = expect(p.on(&db, &["status"]), 0);
    assert_eq!(
        out.stdout,
        "VERSION         NAME             STATE    APPLIED AT\n1               create_accounts  pending\n20240101000000  add_index        pending\n"
    );
    assert_contains(&out.stderr, "0 applied, 2 pending");
    assert_eq!(states(&p, &db).len(), 2);
    let quiet = expect(p.on(&db, &["status", "-q"]), 0);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    let help = run(p.cmd(&["--help"]));
    assert_eq!(help.code, 0);
    assert_contains(&help.stdout, "Exit codes");
}

#[test]
fn lint_reports_json_and_check_gates_ci() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id INT PRIMARY KEY);",
        "DROP TABLE users;",
    );
    // lint runs without a database; clean migrations pass.
    let out = expect(p.cmd(&["lint", "--format", "json"]), 0);
    let findings: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(findings["findings"], serde_json::json!([]));
    // check: pending migrations fail it, with what to run.
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(
        &out.stderr,
        "error: 1_users is pending: run `cargo migrate up`",
    );
    assert!(!out.stderr.contains("warning: 1_users"), "{}", out.stderr);
    assert_contains(&out.stderr, "check failed: 1 migration(s) need attention");
    expect(p.on(&db, &["up"]), 0);
    // A project that never reviewed anything is not held to reviews.
    let out = expect(p.on(&db, &["check"]), 0);
    assert!(!out.all().contains("unreviewed"), "{}", out.all());
    // Once it has a review lock, unreviewed migrations fail check too, until `review` records
    // them.
    expect(p.cmd(&["review", "--yes"]), 0);
    expect(p.on(&db, &["check"]), 0);
    p.pair(
        "3_later",
        "CREATE TABLE later (id INT);",
        "DROP TABLE later;",
    );
    expect(p.on(&db, &["up"]), 0);
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(&out.stderr, "unreviewed-migration");
    assert_contains(&out.stderr, "cargo migrate review 3");
    expect(p.cmd(&["review", "--yes"]), 0);
    expect(p.on(&db, &["check"]), 0);
    // A down that leaves a table: lint and check fail, naming the rule and the place.
    p.pair(
        "2_orders",
        "CREATE TABLE orders (id INT);\nCREATE TABLE order_lines (id INT);",
        "DROP TABLE orders;",
    );
    let out = expect(p.cmd(&["lint", "--format", "json"]), 1);
    let findings: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let first = &findings["findings"][0];
    assert_eq!(first["rule"], "down-leaves-object");
    assert_eq!(first["file"], "migrations/2_orders.up.sql");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(first["severity"], "error");
    let out = expect(p.on(&db, &["check"]), 1);
    assert_contains(&out.stderr, "down-leaves-object");
    // A rule set to allow in the config is quiet.
    p.package("[package.metadata.migrate.lints]\ndown-leaves-object = \"allow\"\n");
    expect(p.cmd(&["lint"]), 0);
}

#[test]
fn scripts_that_commit_themselves_are_refused_before_anything_runs() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);", "DROP TABLE a;");
    p.pair(
        "2_b",
        "BEGIN;\nCREATE TABLE b (id INT);\nCOMMIT;\nINSERT INTO nope VALUES (1);",
        "DROP TABLE b;",
    );
    let out = expect(p.on(&db, &["up"]), 1);
    assert_contains(&out.stderr, "transaction-control");
    assert_contains(&out.stderr, "migrations/2_b.up.sql:1:1");
    assert!(db.tables().is_empty(), "nothing ran: {:?}", db.tables());
    // A script that manages its own transactions says so.
    p.pair(
        "2_b",
        "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE b (id INT);\nCOMMIT;",
        "DROP TABLE b;",
    );
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(db.tables(), ["a", "b"]);
}

/// The dry runs prepare the plan with the same code as the runs, so they refuse the same
/// scripts instead of printing a plan the run would then refuse.
#[test]
fn dry_runs_refuse_what_the_runs_refuse() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);", "DROP TABLE a;\nCOMMIT;");
    p.pair("2_b", "CREATE TABLE b (id INT);\nCOMMIT;", "DROP TABLE b;");
    let run = expect(p.on(&db, &["up"]), 1);
    let dry = expect(p.on(&db, &["up", "--dry-run"]), 1);
    for out in [&run, &dry] {
        assert_contains(&out.stderr, "transaction-control");
        assert_contains(&out.stderr, "migrations/2_b.up.sql:2:1");
    }
    assert!(dry.stdout.is_empty(), "no plan is printed: {}", dry.stdout);
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let run = expect(p.on(&db, &["down"]), 1);
    let dry = expect(p.on(&db, &["down", "--dry-run"]), 1);
    for out in [&run, &dry] {
        assert_contains(&out.stderr, "transaction-control");
        assert_contains(&out.stderr, "migrations/1_a.down.sql:2:1");
    }
    assert!(dry.stdout.is_empty(), "no plan is printed: {}", dry.stdout);
    assert_eq!(db.tables(), ["a"]);
}

#[test]
fn a_non_utf8_file_is_reported_once_and_the_refusal_points_at_the_list() {
    let db = TestDb::sqlite();
    let p = Project::new();
    std::fs::write(
        p.migrations().join("1_t.up.sql"),
        b"CREATE TABLE t (name TEXT DEFAULT '\xe9t\xe9');\n",
    )
    .unwrap();
    std::fs::write(p.migrations().join("1_t.down.sql"), "DROP TABLE t;\n").unwrap();
    let out = expect(p.on(&db, &["up"]), 1);
    assert_contains(&out.stderr, "non-utf8-file");
    assert!(!out.stderr.contains("orphan-down"), "{}", out.stderr);
    // The findings are rendered after the refusal, so its help must not say "above".
    let refusal = out.stderr.find("1 problem(s) in the migrations").unwrap();
    let finding = out.stderr.find("the file is not valid UTF-8").unwrap();
    assert!(refusal < finding, "{}", out.stderr);
    assert_contains(&out.stderr, "fix the files named below");
}

#[test]
fn status_calls_a_migration_whose_file_cannot_be_read_invalid_not_missing() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_t", "CREATE TABLE t (id INTEGER);\n", "DROP TABLE t;\n");
    expect(p.on(&db, &["up"]), 0);
    // The applied migration is saved in Latin-1 by mistake; a new one is too.
    let latin1 = b"CREATE TABLE t (id INTEGER); -- caf\xe9\n";
    std::fs::write(p.migrations().join("1_t.up.sql"), latin1).unwrap();
    std::fs::write(p.migrations().join("2_u.up.sql"), latin1).unwrap();
    let out = expect(p.on(&db, &["status"]), 0);
    assert_contains(&out.stderr, "non-utf8-file");
    let row = |v: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(v))
            .unwrap_or_else(|| panic!("no row for {v}:\n{}", out.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(row("1 ")[..3], ["1", "t", "invalid"], "{}", out.stdout);
    assert_eq!(row("2 ")[..3], ["2", "u", "invalid"], "{}", out.stdout);
    assert_contains(&out.stderr, "0 applied, 2 invalid");
    let json = expect(p.on(&db, &["status", "--format", "json"]), 0).stdout;
    assert_contains(&json, "\"state\": \"invalid\"");
    let repair = expect(p.on(&db, &["repair", "1"]), 1);
    assert_contains(
        &repair.stderr,
        "1_t cannot be repaired: its up script cannot be used",
    );
}

#[test]
fn a_dotenv_line_that_does_not_parse_is_named_without_its_password() {
    let p = Project::new();
    for line in [
        "DATABASE_URL=\"postgres://app:Pa55word@127.0.0.1:5432/app\n",
        "DATABASE_URL=postgres://app:Pa55 word@127.0.0.1:5432/app\n",
    ] {
        std::fs::write(p.path().join(".env"), format!("# local\n{line}")).unwrap();
        let out = expect(p.cmd(&["status"]), 2);
        assert!(!out.stderr.contains("Pa55"), "{}", out.stderr);
        assert_contains(
            &out.stderr,
            ".env:2: the line that sets DATABASE_URL is not valid",
        );
    }
}

#[test]
fn a_password_with_a_reserved_character_is_masked_and_named() {
    let p = Project::new();
    for url in [
        "postgres://app:Pa55/word@127.0.0.1/app",
        "postgres://app:Pa55#word@127.0.0.1/app",
        "mysql://app:Pa55?word@127.0.0.1/app",
        "postgres://app:1234/x@127.0.0.1/app",
    ] {
        let out = run({
            let mut cmd = p.cmd(&["status"]);
            cmd.args(["--database-url", url]);
            cmd
        });
        assert!(
            !out.stderr.contains("Pa55") && !out.stderr.contains("1234/x"),
            "{}",
            out.stderr
        );
        assert_contains(&out.stderr, "percent-encode them");
    }
}

#[test]
fn a_byte_order_mark_from_a_windows_editor_is_not_sql() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n");
    std::fs::write(
        p.migrations().join("2_u.up.sql"),
        b"\xef\xbb\xbf-- migrate:no-transaction\r\nCREATE TABLE u (id INT);\r\n",
    )
    .unwrap();
    std::fs::write(
        p.migrations().join("2_u.down.sql"),
        b"\xef\xbb\xbfDROP TABLE u;\r\n",
    )
    .unwrap();
    expect(p.cmd(&["review", "--yes"]), 0);
    expect(p.on(&db, &["lint"]), 0);
    expect(p.on(&db, &["up"]), 0);
    expect(p.on(&db, &["check"]), 0);
    expect(p.on(&db, &["down", "--all"]), 0);
    assert_eq!(
        states(&p, &db),
        [(1, "pending".into()), (2, "pending".into())]
    );
}

#[test]
fn new_refuses_template_names_that_are_not_plain_sql_names() {
    let p = Project::new();
    for args in [
        &[
            "new",
            "add x",
            "--template",
            "add_column",
            "--table",
            "users; DROP TABLE accounts",
        ][..],
        &[
            "new",
            "add x",
            "--template",
            "add_column",
            "--column",
            "a.b",
        ],
        &[
            "new",
            "add fk",
            "--template",
            "add_foreign_key",
            "--references",
            "1orders",
        ],
    ] {
        let out = run(p.cmd(args));
        assert_eq!(out.code, 2, "{}", out.all());
        assert_contains(&out.stderr, "is not a plain SQL name");
    }
    assert!(
        std::fs::read_dir(p.migrations()).map_or(true, |mut d| d.next().is_none()),
        "a refused `new` wrote a file"
    );
    let ok = run(p.cmd(&[
        "new",
        "add email",
        "--template",
        "add_column",
        "--table",
        "app.users",
        "--column",
        "email",
    ]));
    assert_eq!(ok.code, 0, "{}", ok.all());
}

/// A proxy in front of a PostgreSQL that is not ready accepts the connection, reads the
/// startup and closes it: `--wait` retries that like a refusal (it gave up at once).
#[test]
fn wait_retries_a_listener_that_accepts_and_closes() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
            let _ = stream.read(&mut [0; 64]);
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    let p = Project::new();
    let url = format!("postgres://postgres@127.0.0.1:{port}/x");
    let out = run(p.cmd(&["status", "--database-url", &url, "--wait", "2s"]));
    assert_eq!(out.code, 2, "{}", out.all());
    assert_contains(&out.stderr, "Waiting for");
    assert_contains(&out.stderr, "still not reachable");
}

/// `init` writes `dir` relative to the manifest, also for a directory outside the package
/// (a workspace's shared one), so that the config holds in every clone.
#[test]
fn init_writes_the_dir_relative_to_the_manifest() {
    let ws = Project::new();
    std::fs::write(
        ws.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    let app = ws.path().join("app");
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(app.join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(app.join("src/lib.rs"), "").unwrap();
    let mut init_there = ws.cmd(&["init", "--dir", "../db/migrations"]);
    init_there.current_dir(&app);
    expect(init_there, 0);
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    assert_contains(&manifest, "dir = \"../db/migrations\"\n");
    assert!(ws.path().join("db/migrations").is_dir());
}

/// With no database URL anywhere the database is the embedded SQLite file, so the SQL is
/// checked as SQLite: what SQLite accepts passes, and no PostgreSQL advice is given.
#[test]
fn with_no_url_the_sql_is_checked_as_sqlite() {
    let p = cargo_project(MANIFEST);
    p.pair(
        "1_sqlite",
        "PRAGMA foreign_keys = ON;\nCREATE TABLE `kv` (k PRIMARY KEY, v);\nREPLACE INTO kv (k, v) VALUES ('a', 1);\nCREATE INDEX kv_v ON kv (v);\n",
        "DROP TABLE kv;\n",
    );
    let out = run(p.cmd(&["lint"]));
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains("CONCURRENTLY"), "{}", out.all());
    // Given a PostgreSQL URL, the same file is PostgreSQL's to judge.
    let pg = run(p.cmd(&["lint", "--database-url", "postgres://u@127.0.0.1:1/db"]));
    assert_eq!(pg.code, 1, "{}", pg.all());
}

/// Projects that share a target directory (`CARGO_TARGET_DIR`) each have their own embedded
/// database: one's migrations are not the other's.
#[test]
fn projects_sharing_a_target_dir_each_have_their_own_embedded_database() {
    let target = tempfile::tempdir().unwrap();
    let a = cargo_project(MANIFEST);
    let b = cargo_project(MANIFEST);
    a.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    b.pair("1_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    let on = |p: &Project, args: &[&str]| {
        let mut cmd = p.cmd(args);
        cmd.env("CARGO_TARGET_DIR", target.path());
        cmd
    };
    expect(on(&a, &["up"]), 0);
    let status = expect(on(&b, &["status"]), 0).all();
    assert_contains(&status, "Summary 0 applied, 1 pending");
    assert!(!status.contains("modified"), "{status}");
    expect(on(&b, &["up"]), 0);
    let dbs: Vec<_> = dev_dbs(&target.path().join("cargo-migrate"));
    assert_eq!(dbs.len(), 2, "{dbs:?}");
}

/// The `dev.db` files under `dir`.
fn dev_dbs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(dev_dbs(&path));
        } else if path.file_name().is_some_and(|n| n == "dev.db") {
            found.push(path);
        }
    }
    found
}

#[test]
fn status_lists_every_migration_when_one_file_cannot_be_read() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INTEGER);\n", "DROP TABLE a;\n");
    p.pair("3_c", "CREATE TABLE c (id INTEGER);\n", "DROP TABLE c;\n");
    expect(p.on(&db, &["up"]), 0);
    // A file that cannot be read, whoever runs the test: a dangling link (root reads a file
    // of any mode, so `chmod 000` is tried too only when the test does not run as root).
    std::os::unix::fs::symlink("moved_away.sql", p.migrations().join("2_b.up.sql")).unwrap();
    let mut unreadable = vec!["migrations/2_b.up.sql"];
    let uid = run({
        let mut id = assert_cmd::Command::new("id");
        id.arg("-u");
        id
    });
    let root = uid.stdout.trim() == "0";
    if root {
        eprintln!(
            "running as root: `chmod 000` does not stop root from reading, so only the dangling link is tried"
        );
    } else {
        use std::os::unix::fs::PermissionsExt;
        p.write("4_d.up.sql", "CREATE TABLE d (id INTEGER);\n");
        let file = p.migrations().join("4_d.up.sql");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        unreadable.push("migrations/4_d.up.sql");
    }
    for format in ["human", "json"] {
        let out = expect(p.on(&db, &["status", "--format", format]), 1);
        assert_contains(&out.stderr, "unreadable-file");
        assert_contains(&out.stderr, "the file cannot be read");
        assert_contains(&out.stderr, "chmod a+r");
        assert_contains(
            &out.stderr,
            &format!(
                "{} migration file(s) cannot be read: {}",
                unreadable.len(),
                unreadable.join(", ")
            ),
        );
        for name in ["1", "2", "3"] {
            assert_contains(&out.stdout, name);
        }
        if format == "human" {
            assert_contains(&out.stdout, "applied");
            assert_contains(&out.stdout, "invalid");
        } else {
            let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            let got: Vec<(i64, &str)> = json["migrations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["version"].as_i64().unwrap(), m["state"].as_str().unwrap()))
                .take(3)
                .collect();
            assert_eq!(got, [(1, "applied"), (2, "invalid"), (3, "applied")]);
        }
    }
    // A run refuses, naming the file.
    let up = expect(p.on(&db, &["up"]), 1);
    assert_contains(&up.stderr, "migrations/2_b.up.sql");
}

#[test]
fn a_schema_qualified_table_on_sqlite_is_a_configuration_error() {
    for table in ["main._cargo_migrate", "x.y"] {
        let db = TestDb::sqlite();
        let p = cargo_project(&format!(
            "{MANIFEST}\n[package.metadata.migrate]\ntable = \"{table}\"\n\n[workspace]\n"
        ));
        p.pair("1_a", "CREATE TABLE a (id INTEGER);\n", "DROP TABLE a;\n");
        for command in ["up", "status"] {
            let out = expect(p.on(&db, &[command]), 2);
            assert_contains(
                &out.stderr,
                &format!(
                    "the tracking table `{table}` is schema-qualified, but the database is SQLite"
                ),
            );
            assert_contains(&out.stderr, "table = \"");
        }
        assert!(!db.sqlite_path().exists(), "nothing was created");
        if table == "x.y" {
            let out = expect(p.on(&db, &["up"]), 2);
            insta::assert_snapshot!(out.stderr);
        }
    }
}

/// `require-down-script`'s help works for an up-only migration that is applied already (sqlx's
/// layout): the directive it suggests changes the file, and the `repair` it names accepts that.
#[test]
fn the_fix_for_an_applied_up_only_migration_is_one_that_works() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.write("1_a.sql", "CREATE TABLE a (id INT);\n");
    expect(p.on(&db, &["up"]), 0);
    let lint = expect(p.cmd(&["lint"]), 1).all();
    let lint = one_line(&lint);
    assert_contains(
        &lint,
        "add `-- migrate:irreversible <reason>` at the top (if it is applied already, then run `cargo migrate repair 1` to accept the edit)",
    );
    assert_contains(&lint, "set `require-down-script = \"allow\"`");
    p.write(
        "1_a.sql",
        "-- migrate:irreversible a is kept\nCREATE TABLE a (id INT);\n",
    );
    expect(p.on(&db, &["up"]), 1);
    expect(p.on(&db, &["repair", "1"]), 0);
    expect(p.on(&db, &["up"]), 0);
    expect(p.cmd(&["lint"]), 0);
}

/// `--color` (and cargo's CARGO_TERM_COLOR): green status verbs when asked, none when not,
/// none by default off a terminal.
#[test]
fn colours_follow_the_flag_and_cargo_term_color() {
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    let green = "\x1b[1;32m";
    let out = expect(p.cmd(&["lint", "--color", "always"]), 0);
    assert_contains(&out.stderr, &format!("{green}     Checked"));
    let mut env = p.cmd(&["lint"]);
    env.env("CARGO_TERM_COLOR", "always");
    assert_contains(&expect(env, 0).stderr, green);
    let mut flag_wins = p.cmd(&["lint", "--color", "never"]);
    flag_wins.env("CARGO_TERM_COLOR", "always");
    assert!(!expect(flag_wins, 0).stderr.contains('\x1b'));
    assert!(!expect(p.cmd(&["lint"]), 0).stderr.contains('\x1b'));
}

/// Shell completions, from the command line's own definition, for the common shells.
#[test]
fn completions_for_bash_zsh_and_fish() {
    let p = Project::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = expect(p.cmd(&["completions", shell]), 0);
        for word in ["verify", "database-url", "lock-timeout"] {
            assert_contains(&out.stdout, word);
        }
        if shell == "bash" {
            let script = p.path().join("completion.bash");
            std::fs::write(&script, &out.stdout).unwrap();
            let checked = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .status()
                .unwrap();
            assert!(checked.success(), "bash -n rejects the script");
        }
    }
}

/// The binary answers as `cargo-migrate …` too, and says its version either way.
#[test]
fn the_binary_runs_without_the_migrate_word_and_says_its_version() {
    let p = Project::new();
    let bin = env!("CARGO_BIN_EXE_cargo-migrate");
    for args in [&["--version"][..], &["migrate", "--version"][..]] {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("cargo-migrate {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
    let out = std::process::Command::new(bin)
        .arg("status")
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revert = std::process::Command::new(bin)
        .args(["migrate", "revert"])
        .output()
        .unwrap();
    assert_eq!(revert.status.code(), Some(2));
    assert_contains(
        &String::from_utf8_lossy(&revert.stderr),
        "a similar subcommand exists: 'down'",
    );
}

/// Small wording defects: `new` refuses letters it would drop (`ädd` became `dd`); `redo` says
/// `Finished` once; reverting everything says no migration is applied.
#[test]
fn new_redo_and_down_say_what_they_did() {
    let db = TestDb::sqlite();
    let p = Project::new();
    let refused = expect(p.cmd(&["new", "ädd"]), 2).stderr;
    assert_contains(&refused, "has letters a migration name cannot hold (ä)");
    assert_eq!(std::fs::read_dir(p.migrations()).unwrap().count(), 0);
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 0);
    let redo = expect(p.on(&db, &["redo"]), 0).stderr;
    assert_eq!(redo.matches("Finished").count(), 1, "{redo}");
    assert_contains(&redo, "Finished redid 1_a: reverted, then applied again");
    let down = expect(p.on(&db, &["down", "--all"]), 0).stderr;
    assert_contains(&down, "reverted 1 migration(s); no migration is applied");
}

/// Without `$USER` (a container, a cron job) the tracking table records the account the run
/// ran as, not `unknown`.
#[cfg(unix)]
#[test]
fn applied_by_falls_back_to_the_account_without_user() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    let mut up = p.on(&db, &["up"]);
    for var in ["USER", "LOGNAME", "USERNAME"] {
        up.env_remove(var);
    }
    expect(up, 0);
    let who = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let history = expect(p.on(&db, &["history", "--format", "json"]), 0).stdout;
    assert_contains(&history, &format!("\"applied_by\": \"{}\"", who.trim()));
}

/// Two migrations with one version: `status` lists both names on the version's line, neither
/// hidden, and the diagnostic says what to do.
#[test]
fn status_shows_every_migration_that_shares_a_version() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("1_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    let out = run(p.on(&db, &["status"]));
    assert_contains(&out.stdout, "a, b");
    assert_contains(&out.stdout, "invalid");
    assert_contains(&out.stderr, "version 1 is used by more than one migration");
}

/// `lint -q` keeps the errors and sums up the warnings in one line instead of printing each.
#[test]
fn lint_quiet_sums_up_the_warnings() {
    let p = Project::new();
    p.package("[package.metadata.migrate.lints]\nban-drop-table = \"warn\"\n");
    for n in 1..=30 {
        p.pair(
            &format!("{n}_t{n}"),
            &format!(
                "CREATE TABLE t{n} (id INT);\nDROP TABLE t{n};\nCREATE TABLE t{n} (id INT);\n"
            ),
            &format!("DROP TABLE t{n};\n"),
        );
    }
    let loud = expect(p.cmd(&["lint"]), 0).stderr;
    assert!(loud.matches("ban-drop-table").count() >= 30, "{loud}");
    let quiet = expect(p.cmd(&["lint", "-q"]), 0).stderr;
    assert!(!quiet.contains("ban-drop-table ("), "{quiet}");
    assert_contains(&quiet, "Hidden 30 warning(s) (-q)");
}

/// A script longer than one query carries on SQLite (a few kilobytes) runs in several, in one
/// transaction: all of it with its tracking row, or, when a statement in a later query fails,
/// none of it, with the failure at its line.
#[test]
fn a_long_script_runs_whole_or_not_at_all() {
    let db = TestDb::sqlite();
    let p = Project::new();
    let inserts: String = (1..=2000)
        .map(|i| format!("INSERT INTO t VALUES ({i}, 'row; {i}');\n"))
        .collect();
    p.pair(
        "1_long",
        &format!("CREATE TABLE t (id INT PRIMARY KEY, s TEXT);\n{inserts}"),
        "DROP TABLE t;",
    );
    // 1,500 rows into a new table, then the first one again: line 1,502 fails.
    let first: String = inserts
        .lines()
        .take(1500)
        .map(|l| l.replace(" t ", " u ") + "\n")
        .collect();
    p.pair(
        "2_fails_late",
        &format!(
            "CREATE TABLE u (id INT PRIMARY KEY, s TEXT);\n{first}INSERT INTO u VALUES (1, 'again');\n"
        ),
        "DROP TABLE u;",
    );
    let out = expect(p.on(&db, &["up"]), 1);
    assert_contains(&out.stderr, "migrations/2_fails_late.up.sql:1502:");
    assert_eq!(db.strings("SELECT CAST(count(*) AS TEXT) FROM t"), ["2000"]);
    assert_eq!(db.strings("SELECT s FROM t WHERE id = 2000"), ["row; 2000"]);
    assert!(!db.tables().contains(&"u".to_owned()), "{:?}", db.tables());
    assert_eq!(
        states(&p, &db),
        [(1, "applied".to_owned()), (2, "pending".to_owned())]
    );
}
