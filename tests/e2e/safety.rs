//! Running in production: drift shown as a diff, `repair` recording who and when, `baseline`,
//! tracking tables made by earlier versions, and protected environments (with `--yes`, and
//! with the database name typed on a real pseudo-terminal made by util-linux `script`).

use assert_cmd::Command;

use crate::support::{Kind, Output, Project, TestDb, assert_contains, expect, on_pty, run, states};

on_every_database!(
    drift_is_refused_with_a_diff_then_accepted_by_repair,
    repair_clears_a_failed_state_or_marks_it_applied,
    a_run_that_changes_nothing_keeps_the_record_of_a_repair,
    baseline_adopts_an_existing_database,
    tracking_table_of_an_earlier_version_is_upgraded,
    protected_environment_refuses_without_yes,
    protected_environment_asks_for_the_database_name_on_a_terminal,
    an_edited_down_script_is_shown_before_it_runs_and_repair_accepts_it,
    protected_environment_shows_an_edited_down_script_before_asking,
    a_renamed_migration_is_shown_and_warned_of,
    tracking_table_of_the_previous_release_gets_the_down_script_column,
    a_protected_database_is_protected_however_its_url_is_given,
);

/// `history --format json`, one object per row.
fn history(p: &Project, db: &TestDb) -> Vec<serde_json::Value> {
    let out = expect(p.on(db, &["history", "--format", "json"]), 0);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).expect("history JSON parses");
    rows["migrations"].as_array().expect("an array").clone()
}

fn row(rows: &[serde_json::Value], version: i64) -> &serde_json::Value {
    rows.iter()
        .find(|r| r["version"] == version)
        .unwrap_or_else(|| panic!("no row for {version} in {rows:?}"))
}

/// `status --format json`, one object per migration.
fn status_json(p: &Project, db: &TestDb) -> Vec<serde_json::Value> {
    let out = expect(p.on(db, &["status", "--format", "json"]), 0);
    let items: serde_json::Value = serde_json::from_str(&out.stdout).expect("status JSON parses");
    items["migrations"].as_array().expect("an array").clone()
}

pub fn drift_is_refused_with_a_diff_then_accepted_by_repair(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    // Quotes and a backslash: the recorded text must come back exactly as it was.
    let comment = "-- it's a \\ test\n";
    p.pair(
        "1_a",
        &format!("{comment}CREATE TABLE a (id INT);\nCREATE TABLE a2 (id INT);\n"),
        "DROP TABLE a2;\nDROP TABLE a;\n",
    );
    let mut up = p.on(&db, &["up"]);
    up.env("CARGO_MIGRATE_USER", "bob");
    expect(up, 0);
    let before = status_json(&p, &db)[0]["up_checksum"]
        .as_str()
        .unwrap()
        .to_owned();
    // status and history call the name by the same field.
    assert_eq!(status_json(&p, &db)[0]["description"], "a");
    assert_eq!(row(&history(&p, &db), 1)["description"], "a");

    p.write(
        "1_a.up.sql",
        &format!("{comment}CREATE TABLE a (id BIGINT);\nCREATE TABLE a2 (id INT);\n"),
    );
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    assert_eq!(
        states(&p, &db),
        [(1, "modified".into()), (2, "pending".into())]
    );
    let after = status_json(&p, &db)[0]["up_checksum"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(before, after);

    for command in ["up", "check"] {
        let out = expect(p.on(&db, &[command]), 1).all();
        assert_contains(&out, "1_a was changed after it was applied");
        assert_contains(&out, &format!("recorded checksum {before}"));
        assert_contains(&out, &format!("current checksum  {after}"));
        assert_contains(&out, "--- migrations/1_a.up.sql (as applied)");
        assert_contains(&out, "+++ migrations/1_a.up.sql (now)");
        assert_contains(&out, "-CREATE TABLE a (id INT);");
        assert_contains(&out, "+CREATE TABLE a (id BIGINT);");
        assert_contains(&out, " CREATE TABLE a2 (id INT);");
        assert_contains(&out, " -- it's a \\ test");
        assert_contains(&out, "@@ -1,3 +1,3 @@");
        assert_contains(&out, "cargo migrate repair 1");
    }
    assert_eq!(
        db.tables(),
        ["a", "a2"],
        "up refused before running anything"
    );

    // Without a version, repair lists what needs it and changes nothing.
    let listed = expect(p.on(&db, &["repair"]), 1);
    assert_contains(&listed.stdout, "1_a");
    assert_contains(&listed.stdout, "modified");
    assert_contains(&listed.stdout, "cargo migrate repair 1");
    assert_eq!(states(&p, &db)[0].1, "modified");

    // --mark-applied is for a failed migration: on a modified one it accepts nothing.
    let wrong = expect(p.on(&db, &["repair", "1", "--mark-applied"]), 1).all();
    assert_contains(&wrong, "1_a is modified, not failed");
    assert_contains(&wrong, "cargo migrate repair 1`");
    assert_eq!(states(&p, &db)[0].1, "modified");

    let mut repair = p.on(&db, &["repair", "1"]);
    repair.env("CARGO_MIGRATE_USER", "alice");
    let repaired = expect(repair, 0);
    assert_contains(&repaired.stderr, "-CREATE TABLE a (id INT);");
    assert_contains(&repaired.stderr, "Repaired");

    let rows = history(&p, &db);
    let one = row(&rows, 1);
    assert_eq!(one["applied_by"], "bob", "the original run is kept: {one}");
    assert_eq!(one["repaired_by"], "alice", "{one}");
    assert!(
        one["repaired_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{one}"
    );
    assert_eq!(one["up_checksum"], after.as_str());
    let human = expect(p.on(&db, &["history"]), 0).stdout;
    assert_contains(&human, "REPAIRED");
    assert_contains(&human, "alice");
    let status = status_json(&p, &db);
    assert_eq!(status[0]["state"], "applied");
    assert_eq!(status[0]["repaired_by"], "alice");

    // The accepted text is the new reference: a later edit diffs against it.
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(db.tables(), ["a", "a2", "b"]);
    p.write(
        "1_a.up.sql",
        &format!("{comment}CREATE TABLE a (id BIGINT);\nCREATE TABLE a2 (id BIGINT);\n"),
    );
    let out = expect(p.on(&db, &["check"]), 1).all();
    assert_contains(&out, "-CREATE TABLE a2 (id INT);");
    assert_contains(&out, "+CREATE TABLE a2 (id BIGINT);");
    assert!(!out.contains("-CREATE TABLE a (id INT);"), "{out}");

    // Nothing to repair is said as such.
    let pending = expect(p.on(&db, &["repair", "2"]), 1).all();
    assert_contains(&pending, "2_b is applied: there is nothing to repair");
}

pub fn repair_clears_a_failed_state_or_marks_it_applied(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    // Outside a transaction the first statement stays when the second fails, on every
    // database: the migration is recorded as failed.
    let half = "-- migrate:no-transaction\nCREATE TABLE a (id INT);\nINSERT INTO no_such_table VALUES (1);\n";
    p.pair("1_a", half, "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 1);
    assert_eq!(states(&p, &db), [(1, "failed".into())]);
    let listed = expect(p.on(&db, &["repair"]), 1).stdout;
    assert_contains(&listed, "failed");
    assert_contains(&listed, "cargo migrate repair 1");
    let refused = expect(p.on(&db, &["up"]), 1).all();
    assert_contains(&refused, "1_a is recorded as failed");

    // Cleared: the user undid the half-applied change, `up` runs it again. Who cleared it and
    // when stay on record, before and after the new run.
    db.exec("DROP TABLE a");
    let mut clear = p.on(&db, &["repair", "1"]);
    clear.env("CARGO_MIGRATE_USER", "frank");
    let cleared = expect(clear, 0);
    assert_contains(&cleared.stderr, "cargo migrate up");
    assert_eq!(states(&p, &db), [(1, "pending".into())]);
    let status = status_json(&p, &db);
    assert_eq!(status[0]["cleared"], true, "{status:?}");
    assert_eq!(status[0]["repaired_by"], "frank");
    let rows = history(&p, &db);
    assert_eq!(row(&rows, 1)["cleared"], true);
    assert_eq!(row(&rows, 1)["success"], false);
    assert_contains(&expect(p.on(&db, &["history"]), 0).stdout, "cleared");
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), [(1, "applied".into())]);
    let rows = history(&p, &db);
    assert_eq!(rows.len(), 1, "the cleared row is reused: {rows:?}");
    assert_eq!(row(&rows, 1)["success"], true);
    assert_eq!(row(&rows, 1)["cleared"], false);
    assert_eq!(row(&rows, 1)["repaired_by"], "frank");
    assert_eq!(db.tables(), ["a"]);

    // Marked applied: the user finished it by hand; who and when are recorded.
    p.pair(
        "2_b",
        "-- migrate:no-transaction\nCREATE TABLE b (id INT);\nINSERT INTO no_such_table VALUES (1);\n",
        "DROP TABLE b;\n",
    );
    expect(p.on(&db, &["up"]), 1);
    let mut mark = p.on(&db, &["repair", "2", "--mark-applied"]);
    mark.env("CARGO_MIGRATE_USER", "carol");
    expect(mark, 0);
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "applied".into())]
    );
    let rows = history(&p, &db);
    assert_eq!(row(&rows, 2)["repaired_by"], "carol");
    assert_eq!(row(&rows, 2)["success"], true);
    assert_eq!(db.tables(), ["a", "b"]);
}

/// A cleared migration (a failed run that `repair` cleared) whose next run fails on its first
/// statement changed nothing: it is still cleared, and who cleared it and when stay on record.
pub fn a_run_that_changes_nothing_keeps_the_record_of_a_repair(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    let half = "-- migrate:no-transaction\nCREATE TABLE a (id INT);\nINSERT INTO no_such_table VALUES (1);\n";
    p.pair("1_a", half, "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 1);
    // Cleared without undoing the half-applied change: the next run fails on its first
    // statement (`a` exists), before it changed anything.
    let mut clear = p.on(&db, &["repair", "1"]);
    clear.env("CARGO_MIGRATE_USER", "frank");
    expect(clear, 0);
    let failed = expect(p.on(&db, &["up"]), 1).all();
    assert_contains(&failed, "1_a");
    assert_eq!(states(&p, &db), [(1, "pending".into())]);
    let status = status_json(&p, &db);
    assert_eq!(status[0]["cleared"], true, "{status:?}");
    assert_eq!(status[0]["repaired_by"], "frank", "{status:?}");
    let rows = history(&p, &db);
    assert_eq!(row(&rows, 1)["cleared"], true, "{rows:?}");
    assert_eq!(row(&rows, 1)["success"], false, "{rows:?}");
    assert_eq!(row(&rows, 1)["repaired_by"], "frank", "{rows:?}");
    // Once the table is gone the run goes through and still reuses that row.
    db.exec("DROP TABLE a");
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 0);
    let rows = history(&p, &db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(row(&rows, 1)["success"], true);
    assert_eq!(row(&rows, 1)["repaired_by"], "frank");
}

pub fn baseline_adopts_an_existing_database(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    // A database made before cargo-migrate was used: the tables exist, no tracking table.
    db.exec("CREATE TABLE a (id INT)");
    db.exec("CREATE TABLE b (id INT)");
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    p.pair("3_c", "CREATE TABLE c (id INT);\n", "DROP TABLE c;\n");

    let unknown = expect(p.on(&db, &["baseline", "7"]), 2).all();
    assert_contains(&unknown, "there is no migration with version 7");
    assert_contains(&unknown, "cargo migrate status");

    let mut baseline = p.on(&db, &["baseline", "2"]);
    baseline.env("CARGO_MIGRATE_USER", "dave");
    let out = expect(baseline, 0);
    assert_contains(&out.stderr, "1_a");
    assert_contains(&out.stderr, "2_b");
    assert_eq!(
        states(&p, &db),
        [
            (1, "applied".into()),
            (2, "applied".into()),
            (3, "pending".into())
        ]
    );
    let rows = history(&p, &db);
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["baseline"], true, "{r}");
        assert_eq!(r["applied_by"], "dave", "{r}");
    }
    assert_contains(&expect(p.on(&db, &["history"]), 0).stdout, "baseline");
    assert_eq!(status_json(&p, &db)[0]["baseline"], true);
    let human = expect(p.on(&db, &["status"]), 0).stdout;
    assert_contains(&human, "NOTE");
    assert_contains(&human, "baseline (recorded, not run)");

    // Only what comes after the baseline runs (1 and 2 would fail: their tables exist).
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(db.tables(), ["a", "b", "c"]);
    assert_eq!(row(&history(&p, &db), 3)["baseline"], false);

    let beyond = expect(p.on(&db, &["baseline", "1"]), 1).all();
    assert_contains(&beyond, "3_c");
    assert_contains(&beyond, "beyond 1");
    let again = expect(p.on(&db, &["baseline", "3"]), 0).all();
    assert_contains(&again, "nothing to baseline");
}

pub fn tracking_table_of_an_earlier_version_is_upgraded(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    let checksum = status_json(&p, &db)[0]["up_checksum"]
        .as_str()
        .unwrap()
        .to_owned();
    // The table and row exactly as the previous release wrote them.
    let (create, success) = match kind {
        Kind::MySql => (
            "CREATE TABLE _cargo_migrate (version BIGINT PRIMARY KEY, description VARCHAR(255) NOT NULL, up_checksum CHAR(64) NOT NULL, down_checksum CHAR(64), applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), execution_us BIGINT NOT NULL, applied_by VARCHAR(255) NOT NULL, success BOOLEAN NOT NULL)",
            "TRUE",
        ),
        Kind::Postgres => (
            "CREATE TABLE _cargo_migrate (version BIGINT PRIMARY KEY, description TEXT NOT NULL, up_checksum TEXT NOT NULL, down_checksum TEXT, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_us BIGINT NOT NULL, applied_by TEXT NOT NULL, success BOOLEAN NOT NULL)",
            "TRUE",
        ),
        Kind::Sqlite => (
            "CREATE TABLE _cargo_migrate (version INTEGER PRIMARY KEY, description TEXT NOT NULL, up_checksum TEXT NOT NULL, down_checksum TEXT, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), execution_us INTEGER NOT NULL, applied_by TEXT NOT NULL, success BOOLEAN NOT NULL)",
            "1",
        ),
    };
    db.exec(create);
    db.exec("CREATE TABLE a (id INT)");
    db.exec(&format!(
        "INSERT INTO _cargo_migrate (version, description, up_checksum, execution_us, applied_by, success) VALUES (1, 'a', '{checksum}', 5, 'eve', {success})"
    ));
    // Reading commands work on the old table as it is.
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "pending".into())]
    );
    assert_eq!(row(&history(&p, &db), 1)["baseline"], false);
    // A writing command adds the new columns and goes on.
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(db.tables(), ["a", "b"]);
    // The old row recorded no down script: an edit of it is not flagged.
    p.write("1_a.down.sql", "DROP TABLE a; -- edited\n");
    let items = status_json(&p, &db);
    assert_eq!(items[0]["down_modified"], false, "{:?}", items[0]);
    assert_eq!(items[0]["state"], "applied");
    let rows = history(&p, &db);
    assert_eq!(row(&rows, 1)["applied_by"], "eve");
    assert_eq!(row(&rows, 2)["success"], true);
    // A row without its recorded text still shows the checksums when the file changes.
    p.write("1_a.up.sql", "CREATE TABLE a (id BIGINT);\n");
    let out = expect(p.on(&db, &["up"]), 1).all();
    assert_contains(&out, &format!("recorded checksum {checksum}"));
    assert_contains(&out, "the text applied was not recorded");
    expect(p.on(&db, &["repair", "1"]), 0);
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "applied".into())]
    );
}

/// A Cargo project whose `production` environment is protected and reads its URL from
/// `PROD_DATABASE_URL`.
fn protected_project() -> Project {
    let p = Project::new();
    p.package(
        "[package.metadata.migrate.env.production]\nurl_env = \"PROD_DATABASE_URL\"\nprotected = true\n\n[workspace]\n",
    );
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    p
}

/// `cargo-migrate migrate --env production <args…>`, with no terminal (assert_cmd gives the
/// child an empty stdin and captures its output).
fn production(p: &Project, db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = p.cmd(&["--env", "production"]);
    cmd.args(args).env("PROD_DATABASE_URL", &db.url);
    cmd
}

pub fn protected_environment_refuses_without_yes(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = protected_project();

    // `up` is allowed, and shows its plan before running it.
    let up = expect(production(&p, &db, &["up"]), 0);
    let plan = up.stderr.find("Plan").expect("a plan line");
    let applying = up.stderr.find("Applying").expect("an applying line");
    assert!(plan < applying, "{}", up.stderr);
    assert_contains(&up.stderr, "protected");
    assert_eq!(db.tables(), ["a", "b"]);
    // Even with -q, as the README says.
    expect(production(&p, &db, &["down", "--all", "--yes"]), 0);
    let up = expect(production(&p, &db, &["-q", "up"]), 0);
    assert_contains(&up.stderr, "Plan 2 migration(s) to apply");
    assert!(!up.stderr.contains("Applying"), "{}", up.stderr);
    assert_eq!(db.tables(), ["a", "b"]);

    for (args, command) in [
        (&["down"][..], "cargo migrate --env production down --yes"),
        (
            &["down", "--all"][..],
            "cargo migrate --env production down --all --yes",
        ),
        (&["redo"][..], "cargo migrate --env production redo --yes"),
        (
            &["verify"][..],
            "cargo migrate --env production verify --yes",
        ),
        (
            &["check", "--verify"][..],
            "cargo migrate --env production check --verify --yes",
        ),
    ] {
        let out = expect(production(&p, &db, args), 1).all();
        assert_contains(&out, "environment `production` is protected");
        assert_contains(&out, command);
        assert_eq!(db.tables(), ["a", "b"], "{args:?} changed nothing");
    }
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "applied".into())]
    );

    // A repair that would be refused says so without asking; one that would change the
    // record asks.
    let out = expect(production(&p, &db, &["repair", "2"]), 1).all();
    assert_contains(&out, "2_b is applied: there is nothing to repair");
    assert!(!out.contains("is protected"), "{out}");
    p.write("2_b.up.sql", "CREATE TABLE b (id INT); -- edited\n");
    let out = expect(production(&p, &db, &["repair", "2"]), 1).all();
    assert_contains(&out, "cargo migrate --env production repair 2 --yes");
    p.write("2_b.up.sql", "CREATE TABLE b (id INT);\n");

    // A baseline with nothing to record does not ask (nothing would change).
    let out = expect(production(&p, &db, &["baseline", "2"]), 0);
    assert_contains(&out.stderr, "nothing to baseline");
    // Nor does one that would be refused: the refusal comes first.
    let out = expect(production(&p, &db, &["baseline", "1"]), 1).all();
    assert_contains(&out, "recorded beyond 1");
    assert!(!out.contains("is protected"), "{out}");

    // With --yes and no terminal, it runs.
    let out = expect(production(&p, &db, &["down", "--yes"]), 0);
    assert_contains(&out.stderr, "Reverting");
    assert_eq!(db.tables(), ["a"]);

    // Now a baseline would record 2: it asks.
    let out = expect(production(&p, &db, &["baseline", "2"]), 1).all();
    assert_contains(&out, "cargo migrate --env production baseline 2 --yes");
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "pending".into())]
    );
}

/// Runs `cargo-migrate migrate --env production <args>` on a pseudo-terminal (util-linux
/// `script`), typing `typed` and a newline.
fn on_terminal(p: &Project, db: &TestDb, args: &str, typed: &str) -> Output {
    let command = format!(
        "'{}' migrate --env production {args}",
        env!("CARGO_BIN_EXE_cargo-migrate")
    );
    on_pty(
        p.path(),
        &command,
        &[("PROD_DATABASE_URL", &db.url)],
        &format!("{typed}\n"),
    )
}

pub fn protected_environment_asks_for_the_database_name_on_a_terminal(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = protected_project();
    expect(production(&p, &db, &["up"]), 0);
    let name = db.database_name();

    let wrong = on_terminal(&p, &db, "down", "not-the-name");
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    let out = wrong.all();
    // The prompt says what would be reverted, read before the confirmation.
    assert_contains(&out, "down (revert 2_b)");
    assert_contains(&out, &format!("type the database name ({name})"));
    assert_contains(&out, "`not-the-name` is not");
    assert_contains(&out, "nothing was changed");
    assert_eq!(db.tables(), ["a", "b"]);

    let right = on_terminal(&p, &db, "down", &name);
    assert_eq!(right.code, 0, "{}", right.all());
    assert_contains(&right.all(), "Reverting");
    assert_eq!(db.tables(), ["a"]);
    // Piped input alone is not a terminal: the same command refuses.
    let mut piped = production(&p, &db, &["down"]);
    piped.write_stdin(format!("{name}\n"));
    let refused = run(piped);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert_eq!(db.tables(), ["a"]);
}

#[test]
fn a_tracking_table_in_a_schema_that_does_not_exist_says_to_create_it() {
    let Some(db) = TestDb::postgres() else { return };
    let p = project_with_table("app._migrations");
    let out = expect(p.on(&db, &["up"]), 2);
    assert_contains(&out.stderr, "its schema app does not exist");
    assert_contains(&out.stderr, "`CREATE SCHEMA app;`");
    db.exec("CREATE SCHEMA app");
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(
        db.strings("SELECT version::text FROM app._migrations"),
        ["1"]
    );
}

#[test]
fn a_tracking_table_in_a_mysql_database_that_does_not_exist_says_to_create_it() {
    let Some(db) = TestDb::mysql() else { return };
    let missing = format!("{}_nope", db.database_name());
    let p = project_with_table(&format!("{missing}._migrations"));
    let out = expect(p.on(&db, &["up"]), 2);
    assert_contains(
        &out.stderr,
        &format!("its database {missing} does not exist"),
    );
    assert_contains(&out.stderr, &format!("`CREATE DATABASE {missing};`"));
}

/// A Cargo project whose config sets the tracking table, with one migration.
fn project_with_table(table: &str) -> Project {
    let p = Project::new();
    p.package(&format!(
        "[package.metadata.migrate]\ntable = \"{table}\"\n"
    ));
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p
}

#[test]
fn a_database_that_does_not_exist_is_named_in_the_command_that_creates_it() {
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    for (db, fix) in [
        (TestDb::postgres(), "`createdb cm_qa_missing`"),
        (TestDb::mysql(), "`CREATE DATABASE cm_qa_missing;`"),
    ] {
        let Some(db) = db else { continue };
        let mut url = db.url.clone();
        url.replace_range(url.rfind('/').unwrap() + 1.., "cm_qa_missing");
        let mut cmd = p.cmd(&["status"]);
        cmd.args(["--database-url", &url]);
        let out = expect(cmd, 2);
        assert_contains(&out.stderr, fix);
    }
}

pub fn an_edited_down_script_is_shown_before_it_runs_and_repair_accepts_it(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    expect(p.on(&db, &["up"]), 0);
    // Edited after it was applied.
    p.write("2_b.down.sql", "-- careful: b holds data\nDROP TABLE b;\n");
    let items = status_json(&p, &db);
    assert_eq!(items[0]["down_modified"], false, "{:?}", items[0]);
    assert_eq!(items[1]["down_modified"], true, "{:?}", items[1]);
    assert_eq!(
        items[1]["state"], "applied",
        "the schema is what the up built"
    );
    assert_ne!(
        items[1]["down_checksum"],
        items[1]["recorded_down_checksum"]
    );
    let human = expect(p.on(&db, &["status"]), 0);
    assert_contains(&human.stdout, "applied (down modified)");
    assert_contains(&human.stderr, "1 down modified");

    // `check` warns with the diff; the edit is reviewed, so nothing else fails.
    expect(p.cmd(&["review", "--yes"]), 0);
    let check = expect(p.on(&db, &["check"]), 0).all();
    assert_contains(
        &check,
        "the down script of 2_b was edited after it was applied",
    );
    assert_contains(&check, "cargo migrate repair 2");
    assert_contains(&check, "+-- careful: b holds data");

    // `down` shows the diff before it runs the script as it is now.
    let dry = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert_contains(&dry.stderr, "+-- careful: b holds data");
    assert_eq!(db.tables(), ["a", "b"]);
    let down = expect(p.on(&db, &["down"]), 0);
    let diff = down
        .stderr
        .find("--- migrations/2_b.down.sql (as applied)")
        .unwrap_or_else(|| panic!("no diff in:\n{}", down.stderr));
    let reverting = down.stderr.find("Reverting").expect("a reverting line");
    assert!(diff < reverting, "{}", down.stderr);
    assert_contains(&down.stderr, "+++ migrations/2_b.down.sql (now)");
    assert_contains(&down.stderr, " DROP TABLE b;");
    assert_contains(
        &down.stderr,
        "migrations/2_b.down.sql was edited after 2_b was applied",
    );
    assert_eq!(db.tables(), ["a"]);

    // Applied again, the down script is recorded as it is now.
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(status_json(&p, &db)[1]["down_modified"], false);
    let down = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert!(!down.stderr.contains("was edited"), "{}", down.stderr);

    // `repair` accepts an edit, and the next diff is from the text it recorded.
    p.write("2_b.down.sql", "DROP TABLE b; -- again\n");
    assert_eq!(status_json(&p, &db)[1]["down_modified"], true);
    let listed = expect(p.on(&db, &["repair"]), 1);
    assert_contains(&listed.stdout, "down modified");
    let repaired = expect(p.on(&db, &["repair", "2"]), 0);
    assert_contains(&repaired.stderr, "+DROP TABLE b; -- again");
    assert_contains(&repaired.stderr, "Repaired");
    assert_eq!(status_json(&p, &db)[1]["down_modified"], false);
    p.write("2_b.down.sql", "DROP TABLE b; -- third\n");
    let dry = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert_contains(&dry.stderr, "-DROP TABLE b; -- again");
    assert_contains(&dry.stderr, "+DROP TABLE b; -- third");
}

pub fn protected_environment_shows_an_edited_down_script_before_asking(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = protected_project();
    expect(production(&p, &db, &["up"]), 0);
    p.write("2_b.down.sql", "-- edited\nDROP TABLE b;\n");
    for args in [&["down"][..], &["redo"][..]] {
        let out = expect(production(&p, &db, args), 1).all();
        assert_contains(&out, "+-- edited");
        assert_contains(
            &out,
            "with the down script of 2_b edited since it was applied (the diff is above)",
        );
        assert_contains(&out, "environment `production` is protected");
        assert_contains(&out, "--yes");
        assert_eq!(db.tables(), ["a", "b"], "{args:?} changed nothing");
    }
    let out = expect(production(&p, &db, &["down", "--yes"]), 0);
    let diff = out.stderr.find("+-- edited").expect("the diff");
    let confirmed = out.stderr.find("Confirmed").expect("the confirmation");
    assert!(diff < confirmed, "{}", out.stderr);
    // Shown once, before the confirmation.
    assert_eq!(
        out.stderr.matches("+-- edited").count(),
        1,
        "{}",
        out.stderr
    );
    assert_eq!(db.tables(), ["a"]);
}

pub fn a_renamed_migration_is_shown_and_warned_of(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 0);
    for ext in ["up", "down"] {
        std::fs::rename(
            p.migrations().join(format!("1_a.{ext}.sql")),
            p.migrations().join(format!("1_alpha.{ext}.sql")),
        )
        .unwrap();
    }
    let items = status_json(&p, &db);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["state"], "applied");
    assert_eq!(items[0]["name"], "alpha");
    assert_eq!(items[0]["renamed_from"], "a");
    let human = expect(p.on(&db, &["status"]), 0);
    assert_contains(&human.stdout, "applied (renamed from a)");
    let warning = "1_alpha was applied as 1_a and its file was renamed since";
    let up = expect(p.on(&db, &["up"]), 0);
    assert_contains(&up.stderr, warning);
    assert_contains(&up.stderr, "cargo migrate repair 1");
    expect(p.cmd(&["review", "--yes"]), 0);
    let check = expect(p.on(&db, &["check"]), 0);
    assert_contains(&check.stderr, warning);
    // `repair` records the new name.
    let repaired = expect(p.on(&db, &["repair", "1"]), 0);
    assert_contains(&repaired.stderr, "renamed from 1_a");
    assert_eq!(
        status_json(&p, &db)[0]["renamed_from"],
        serde_json::Value::Null
    );
    assert_eq!(row(&history(&p, &db), 1)["description"], "alpha");
    let up = expect(p.on(&db, &["up"]), 0);
    assert!(!up.stderr.contains("renamed"), "{}", up.stderr);
}

/// A table as the release before `down_script` made it: every other added column is there.
pub fn tracking_table_of_the_previous_release_gets_the_down_script_column(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    let items = status_json(&p, &db);
    let up = items[0]["up_checksum"].as_str().unwrap().to_owned();
    let down = items[0]["down_checksum"].as_str().unwrap().to_owned();
    let create = match kind {
        Kind::MySql => {
            "CREATE TABLE _cargo_migrate (version BIGINT PRIMARY KEY, description VARCHAR(255) NOT NULL, up_checksum CHAR(64) NOT NULL, down_checksum CHAR(64), applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), execution_us BIGINT NOT NULL, applied_by VARCHAR(255) NOT NULL, success BOOLEAN NOT NULL, up_script LONGTEXT, baseline BOOLEAN NOT NULL DEFAULT FALSE, repaired_at DATETIME(6), repaired_by VARCHAR(255), cleared BOOLEAN NOT NULL DEFAULT FALSE)"
        }
        Kind::Postgres => {
            "CREATE TABLE _cargo_migrate (version BIGINT PRIMARY KEY, description TEXT NOT NULL, up_checksum TEXT NOT NULL, down_checksum TEXT, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_us BIGINT NOT NULL, applied_by TEXT NOT NULL, success BOOLEAN NOT NULL, up_script TEXT, baseline BOOLEAN NOT NULL DEFAULT FALSE, repaired_at TIMESTAMPTZ, repaired_by TEXT, cleared BOOLEAN NOT NULL DEFAULT FALSE)"
        }
        Kind::Sqlite => {
            "CREATE TABLE _cargo_migrate (version INTEGER PRIMARY KEY, description TEXT NOT NULL, up_checksum TEXT NOT NULL, down_checksum TEXT, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), execution_us INTEGER NOT NULL, applied_by TEXT NOT NULL, success BOOLEAN NOT NULL, up_script TEXT, baseline BOOLEAN NOT NULL DEFAULT FALSE, repaired_at TEXT, repaired_by TEXT, cleared BOOLEAN NOT NULL DEFAULT FALSE)"
        }
    };
    db.exec(create);
    db.exec("CREATE TABLE a (id INT)");
    db.exec(&format!(
        "INSERT INTO _cargo_migrate (version, description, up_checksum, down_checksum, execution_us, applied_by, success, up_script, baseline) VALUES (1, 'a', '{up}', '{down}', 0, 'eve', TRUE, 'CREATE TABLE a (id INT);', TRUE)"
    ));
    // Read as it is, with its flags.
    let items = status_json(&p, &db);
    assert_eq!(items[0]["state"], "applied");
    assert_eq!(items[0]["baseline"], true, "{:?}", items[0]);
    // Its down checksum was recorded, its text was not: the checksums are compared.
    p.write("1_a.down.sql", "DROP TABLE a; -- edited\n");
    assert_eq!(status_json(&p, &db)[0]["down_modified"], true);
    let dry = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert_contains(&dry.stderr, &format!("recorded checksum {down}"));
    assert_contains(&dry.stderr, "the down script as applied was not recorded");
    // A writing command adds the column; the row keeps its flags.
    expect(p.on(&db, &["repair", "1"]), 0);
    let items = status_json(&p, &db);
    assert_eq!(items[0]["down_modified"], false);
    assert_eq!(items[0]["baseline"], true);
    p.write("1_a.down.sql", "DROP TABLE a; -- again\n");
    let dry = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert_contains(&dry.stderr, "-DROP TABLE a; -- edited");
}

/// The protected environment's database, reached without `--env` (its URL given with
/// `--database-url`, or in `DATABASE_URL`), is protected all the same; another database is not.
pub fn a_protected_database_is_protected_however_its_url_is_given(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = protected_project();
    expect(production(&p, &db, &["up"]), 0);
    let mut by_flag = p.on(&db, &["down"]);
    by_flag.env("PROD_DATABASE_URL", &db.url);
    let out = expect(by_flag, 1).all();
    assert_contains(&out, "environment `production` is protected");
    let mut by_variable = p.cmd(&["down"]);
    by_variable
        .env("PROD_DATABASE_URL", &db.url)
        .env("DATABASE_URL", &db.url);
    let out = expect(by_variable, 1).all();
    assert_contains(&out, "environment `production` is protected");
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "applied".into())]
    );
    // Production elsewhere: this database is not it.
    let other = TestDb::sqlite();
    let mut elsewhere = p.on(&db, &["down"]);
    elsewhere.env("PROD_DATABASE_URL", &other.url);
    expect(elsewhere, 0);
}
