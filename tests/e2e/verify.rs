//! `verify`, `dump` and `check --verify` on every database: correct down scripts pass; a down
//! that leaves an index, restores a column with the wrong type, fails, or drops too much is
//! reported with the object and the migration; the scratch database is gone afterwards (also
//! after a failing or interrupted run) and the configured database is never touched; snapshots
//! of one schema built in two orders are equal. `verify --locks` traces each statement's locks
//! on PostgreSQL and says it does not elsewhere.

use std::path::Path;

use crate::support::{Kind, Output, Project, TestDb, assert_contains, expect, run, wait_until};

on_every_database!(
    correct_downs_pass_and_the_database_is_not_touched,
    a_down_that_leaves_an_index_is_reported,
    a_down_that_restores_a_column_with_the_wrong_type_is_reported,
    a_down_that_fails_is_reported_with_its_location_and_verify_carries_on,
    a_failed_no_transaction_down_inside_its_own_begin_keeps_the_summary,
    a_down_that_drops_too_much_is_reported,
    a_rename_the_down_does_not_reverse_is_reported,
    incremental_snapshots_report_what_full_snapshots_report,
    changes_to_a_partitioned_table_reach_its_partitions_in_the_snapshots,
    snapshots_of_one_schema_built_in_two_orders_are_equal,
    dump_prints_the_normalised_schema,
    check_verify_runs_verify,
    ctrl_c_drops_the_scratch_database,
    verify_locks_traces_each_statement_on_postgres_only,
);

/// `verify <args…>` against `db`, with the temporary directory (where a SQLite scratch file
/// goes) set to `tmp`.
fn verify(p: &Project, db: &TestDb, tmp: &Path, args: &[&str]) -> Output {
    let mut cmd = p.on(db, &[&["verify"][..], args].concat());
    cmd.env("TMPDIR", tmp);
    run(cmd)
}

#[track_caller]
fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.code, code,
        "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
}

/// The scratch database a run announced is gone from the server (or its file from `tmp`).
#[track_caller]
fn assert_scratch_gone(db: &TestDb, tmp: &Path, out: &Output) {
    let name = out
        .stderr
        .split("Created scratch database ")
        .nth(1)
        .and_then(|rest| rest.split(" (dropped at the end)").next())
        .unwrap_or_else(|| panic!("no scratch database announced:\n{}", out.stderr));
    match db.kind {
        Kind::Sqlite => {
            assert!(name.contains("cm_verify_"), "{name}");
            assert!(!Path::new(name).exists(), "{name} is left");
            let left: Vec<_> = std::fs::read_dir(tmp).unwrap().collect();
            assert!(
                left.is_empty(),
                "files left in the temporary directory: {left:?}"
            );
        }
        Kind::Postgres => {
            assert!(name.starts_with("cm_verify_"), "{name}");
            let found = db.strings(&format!(
                "SELECT datname::text FROM pg_database WHERE datname = '{name}'"
            ));
            assert!(found.is_empty(), "scratch database {name} is left");
        }
        Kind::MySql => {
            assert!(name.starts_with("cm_verify_"), "{name}");
            let found = db.strings(&format!(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
            ));
            assert!(found.is_empty(), "scratch database {name} is left");
        }
    }
}

/// Every table in the configured database, the tracking table included.
fn all_tables(db: &TestDb) -> Vec<String> {
    match db.kind {
        Kind::Sqlite => db.strings("SELECT name FROM sqlite_master WHERE type = 'table'"),
        Kind::Postgres => db.strings("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'"),
        Kind::MySql => db.strings(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()",
        ),
    }
}

fn drop_index(kind: Kind, index: &str, table: &str) -> String {
    match kind {
        Kind::MySql => format!("DROP INDEX {index} ON {table};\n"),
        _ => format!("DROP INDEX {index};\n"),
    }
}

/// How the server names an index in messages (MySQL's are per table).
fn index(kind: Kind, table: &str, index: &str) -> String {
    match kind {
        Kind::MySql => format!("{table}.{index}"),
        _ => index.to_owned(),
    }
}

const USERS: &str =
    "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, name VARCHAR(100));\n";

pub fn correct_downs_pass_and_the_database_is_not_touched(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(100), created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n",
        "DROP TABLE users;\n",
    );
    p.pair(
        "2_orders",
        "CREATE TABLE orders (\n    id BIGINT PRIMARY KEY,\n    user_id BIGINT NOT NULL,\n    total INTEGER NOT NULL DEFAULT 0,\n    CONSTRAINT orders_positive CHECK (id > 0),\n    CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE\n);\nCREATE INDEX orders_user_idx ON orders (user_id);\n",
        "DROP TABLE orders;\n",
    );
    p.pair(
        "3_users_nickname",
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(50);\n",
        "ALTER TABLE users DROP COLUMN nickname;\n",
    );
    // The down drops the column and adds it again at the end: the same schema.
    p.pair(
        "4_total_as_numeric",
        "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE orders ADD COLUMN total NUMERIC(10,2) NOT NULL DEFAULT 0;\n",
        "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE orders ADD COLUMN total INTEGER NOT NULL DEFAULT 0;\n",
    );
    p.pair(
        "5_active_users",
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE name IS NOT NULL;\n",
        "DROP VIEW active_users;\n",
    );
    p.write(
        "6_backfill_names.sql",
        "-- migrate:irreversible data only\nUPDATE users SET name = email WHERE name IS NULL;\n",
    );
    p.pair(
        "7_unique_names",
        "CREATE UNIQUE INDEX users_name_idx ON users (name);\n",
        &drop_index(kind, "users_name_idx", "users"),
    );
    let (up, down) = match kind {
        Kind::Postgres => (
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n\
             CREATE SEQUENCE invoice_numbers START 1000;\n\
             CREATE FUNCTION lower_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$;\n\
             CREATE TRIGGER users_lower_name BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION lower_name();\n\
             ALTER TABLE users ADD COLUMN mood mood;\n\
             CREATE INDEX users_named_idx ON users (email) WHERE name IS NOT NULL;\n",
            "DROP INDEX users_named_idx;\nALTER TABLE users DROP COLUMN mood;\nDROP TRIGGER users_lower_name ON users;\nDROP FUNCTION lower_name();\nDROP SEQUENCE invoice_numbers;\nDROP TYPE mood;\n",
        ),
        Kind::Sqlite => (
            "CREATE TRIGGER users_lower_name AFTER INSERT ON users BEGIN UPDATE users SET name = lower(NEW.name) WHERE id = NEW.id; END;\n\
             CREATE INDEX users_named_idx ON users (email) WHERE name IS NOT NULL;\n",
            "DROP INDEX users_named_idx;\nDROP TRIGGER users_lower_name;\n",
        ),
        Kind::MySql => (
            "CREATE TRIGGER users_lower_name BEFORE INSERT ON users FOR EACH ROW SET NEW.name = LOWER(NEW.name);\n\
             CREATE INDEX users_email_name_idx ON users (email, name);\n",
            "DROP INDEX users_email_name_idx ON users;\nDROP TRIGGER users_lower_name;\n",
        ),
    };
    p.pair("8_dialect_objects", up, down);
    // Renames change the text of other objects (the view names users.email).
    p.pair(
        "9_renames",
        "ALTER TABLE orders RENAME TO purchases;\nALTER TABLE users RENAME COLUMN email TO mail;\n",
        "ALTER TABLE users RENAME COLUMN mail TO email;\nALTER TABLE purchases RENAME TO orders;\n",
    );
    if kind == Kind::Postgres {
        p.pair(
            "10_more_renames",
            "ALTER TYPE mood RENAME TO feeling;\nALTER FUNCTION lower_name() RENAME TO lowercase_name;\nALTER SEQUENCE invoice_numbers RENAME TO invoice_seq;\nALTER INDEX users_named_idx RENAME TO users_named_email_idx;\n",
            "ALTER INDEX users_named_email_idx RENAME TO users_named_idx;\nALTER SEQUENCE invoice_seq RENAME TO invoice_numbers;\nALTER FUNCTION lowercase_name() RENAME TO lower_name;\nALTER TYPE feeling RENAME TO mood;\n",
        );
    }
    let verified = if kind == Kind::Postgres { 9 } else { 8 };

    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 0);
    let expected = format!(
        "Verified {verified} migration(s): every down script undoes its up script; 1 irreversible migration(s) applied without a down"
    );
    assert_contains(&out.stderr, &expected);
    assert!(
        out.stderr
            .contains("Applying 6_backfill_names (irreversible: applied, not reverted)"),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);
    // The configured database is never touched: not even the tracking table is created.
    if kind == Kind::Sqlite {
        assert!(
            !db.sqlite_path().exists(),
            "verify created the database file"
        );
    }
    assert!(all_tables(&db).is_empty(), "{:?}", all_tables(&db));

    // --from/--to: earlier migrations are applied, not verified; later ones are not run.
    let out = verify(&p, &db, tmp.path(), &["--from", "3", "--to", "4"]);
    expect_code(&out, 0);
    assert!(
        out.stderr
            .contains("Applying 1_users (before --from: not verified)"),
        "{}",
        out.stderr
    );
    assert_contains(&out.stderr, "Verifying 4_total_as_numeric");
    assert!(!out.stderr.contains("5_active_users"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Verified 2 migration(s)"),
        "{}",
        out.stderr
    );
}

pub fn a_down_that_leaves_an_index_is_reported(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_add_indexes",
        "CREATE INDEX users_email_idx ON users (email);\nCREATE INDEX users_name_idx ON users (name);\n",
        &drop_index(kind, "users_name_idx", "users"),
    );
    p.pair(
        "3_tags",
        "CREATE TABLE tags (id INT);\n",
        "DROP TABLE tags;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    let expected = format!(
        "2_add_indexes: index {} is left after down",
        index(kind, "users", "users_email_idx")
    );
    assert_contains(&out.stderr, &expected);
    // It points at the statement that creates the index, and says what to do.
    assert_contains(&out.stderr, "migrations/2_add_indexes.up.sql:1:14");
    assert_contains(&out.stderr, "drop it in migrations/2_add_indexes.down.sql");
    // Applying the up again fails on the leftover index: the scratch database is rebuilt with
    // the ups up to 2_add_indexes, and 3_tags is verified in it.
    assert!(
        out.stderr.contains(
            "the up script of 2_add_indexes fails when it runs again after its down script"
        ),
        "{}",
        out.stderr
    );
    assert_contains(&out.stderr, "with the up scripts up to 2_add_indexes");
    assert_contains(&out.stderr, "Verifying 3_tags");
    assert!(
        out.stderr.contains(
            "verify failed: 1 migration(s) not undone by their down script: 2_add_indexes"
        ),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);
    assert!(all_tables(&db).is_empty());
}

pub fn a_down_that_restores_a_column_with_the_wrong_type_is_reported(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair(
        "1_orders",
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0);\n",
        "DROP TABLE orders;\n",
    );
    p.pair(
        "2_total_as_numeric",
        "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE orders ADD COLUMN total NUMERIC(10,2) NOT NULL DEFAULT 0;\n",
        "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE orders ADD COLUMN total BIGINT NOT NULL DEFAULT 0;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    let (after, before) = match kind {
        Kind::Postgres => ("bigint", "integer"),
        Kind::Sqlite => ("BIGINT", "INTEGER"),
        Kind::MySql => ("bigint(20)", "int(11)"),
    };
    let expected = format!(
        "2_total_as_numeric: column orders.total has type {after} after down, {before} before"
    );
    assert_contains(&out.stderr, &expected);
    assert_contains(
        &out.stderr,
        "make migrations/2_total_as_numeric.down.sql restore its type",
    );
    assert_contains(
        &out.stderr,
        "not undone by their down script: 2_total_as_numeric",
    );
    assert_scratch_gone(&db, tmp.path(), &out);
}

pub fn a_down_that_fails_is_reported_with_its_location_and_verify_carries_on(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_audit",
        "CREATE TABLE audit (id INT);\n",
        "DROP TABLE audit;\nDROP TABLE no_such_table;\n",
    );
    p.pair(
        "3_tags",
        "CREATE TABLE tags (id INT);\n",
        "DROP TABLE tags;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    assert_contains(
        &out.stderr,
        "migration 2_audit failed at migrations/2_audit.down.sql:2:",
    );
    assert_contains(&out.stderr, "no_such_table");
    assert_contains(
        &out.stderr,
        "the down script of 2_audit fails right after its up script",
    );
    // It carries on: the next migration is verified.
    assert_contains(&out.stderr, "Verifying 3_tags");
    assert!(
        out.stderr.contains(
            "verify failed: 1 migration(s) not undone by their down script: 2_audit; 2 verified"
        ),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);

    // --fail-fast stops at the first failure.
    let out = verify(&p, &db, tmp.path(), &["--fail-fast"]);
    expect_code(&out, 1);
    assert!(!out.stderr.contains("Verifying 3_tags"), "{}", out.stderr);
    assert!(
        out.stderr.contains("stopped early (--fail-fast)"),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);
}

/// A `no-transaction` down that opens its own transaction and fails inside it: the session
/// ends that transaction before it records the failure and releases the lock, so the run goes
/// on and its summary is printed.
pub fn a_failed_no_transaction_down_inside_its_own_begin_keeps_the_summary(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_audit",
        "CREATE TABLE audit (id INT);\n",
        "-- migrate:no-transaction\nBEGIN;\nDROP TABLE audit;\nDROP TABLE no_such_table;\nCOMMIT;\n",
    );
    p.pair(
        "3_tags",
        "CREATE TABLE tags (id INT);\n",
        "DROP TABLE tags;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    assert_contains(
        &out.stderr,
        "migration 2_audit failed at migrations/2_audit.down.sql:4:",
    );
    assert_contains(&out.stderr, "Verifying 3_tags");
    assert_contains(
        &out.stderr,
        "verify failed: 1 migration(s) not undone by their down script: 2_audit",
    );
    assert!(
        !out.stderr.contains("current transaction is aborted"),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);
}

pub fn a_down_that_drops_too_much_is_reported(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_tags",
        "CREATE TABLE tags (id BIGINT PRIMARY KEY, label VARCHAR(50));\nALTER TABLE users ADD COLUMN tag_count INTEGER;\n",
        "ALTER TABLE users DROP COLUMN tag_count;\nALTER TABLE users DROP COLUMN name;\nDROP TABLE tags;\n",
    );
    p.pair(
        "3_sessions",
        "CREATE TABLE sessions (id BIGINT PRIMARY KEY);\n",
        "DROP TABLE sessions;\nDROP TABLE users;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    for expected in [
        "2_tags: column users.name is missing after down",
        "3_sessions: table users is missing after down",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{}", out.stderr);
    }
    // One line for the table, not one per column.
    assert!(
        !out.stderr.contains("column users.email is missing"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("dropped here"),
        "the dropping statement is shown:\n{}",
        out.stderr
    );
    assert_contains(
        &out.stderr,
        "not undone by their down script: 2_tags, 3_sessions",
    );
    assert_scratch_gone(&db, tmp.path(), &out);
}

pub fn a_rename_the_down_does_not_reverse_is_reported(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_rename",
        "ALTER TABLE users RENAME TO accounts;\nALTER TABLE accounts RENAME COLUMN name TO full_name;\n",
        "ALTER TABLE accounts RENAME TO users;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 1);
    for expected in [
        "2_rename: column users.full_name is left after down",
        "2_rename: column users.name is missing after down",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{}", out.stderr);
    }
    assert_scratch_gone(&db, tmp.path(), &out);
}

/// The problems a run reports, without the scratch database's name.
fn problems(out: &Output) -> Vec<String> {
    out.stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("x ") || l.contains("help:"))
        .map(str::to_owned)
        .collect()
}

/// A column added to (and dropped from) a partitioned table changes its partitions too, which
/// PostgreSQL's event triggers do not name: the incremental snapshots must read them again, or
/// the run's cross-check at the end finds them stale. A `GRANT`, which the event triggers report
/// without a catalog object, must not break the change log.
pub fn changes_to_a_partitioned_table_reach_its_partitions_in_the_snapshots(kind: Kind) {
    if kind != Kind::Postgres {
        return;
    }
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair(
        "1_events",
        "CREATE TABLE events (id BIGINT NOT NULL, at DATE NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n",
        "DROP TABLE events;\n",
    );
    p.pair(
        "2_kind",
        "ALTER TABLE events ADD COLUMN kind TEXT;\nCREATE INDEX events_kind ON events (kind);\n",
        "DROP INDEX events_kind;\nALTER TABLE events DROP COLUMN kind;\n",
    );
    p.pair(
        "3_more",
        "CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');\nALTER TABLE events ADD COLUMN source TEXT;\n",
        "ALTER TABLE events DROP COLUMN source;\nDROP TABLE events_2021;\n",
    );
    // A GRANT is a DDL command on no catalog object: the change log takes it in its stride.
    p.pair(
        "4_grant",
        "GRANT SELECT ON events TO PUBLIC;\n",
        "REVOKE SELECT ON events FROM PUBLIC;\n",
    );
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 0);
    assert_contains(&out.stderr, "Verified 4 migration(s)");
    assert_scratch_gone(&db, tmp.path(), &out);
}

pub fn incremental_snapshots_report_what_full_snapshots_report(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, name VARCHAR(100));\nCREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id), total INTEGER NOT NULL DEFAULT 0);\n",
        "DROP TABLE orders;\nDROP TABLE users;\n",
    );
    // The down restores `total` with another type but undoes the rest: the run goes on.
    p.pair(
        "2_many_changes",
        "CREATE TABLE tags (id INT);\nALTER TABLE orders ADD COLUMN note VARCHAR(20);\nALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users RENAME TO accounts;\n",
        "ALTER TABLE accounts RENAME TO users;\nALTER TABLE users RENAME COLUMN full_name TO name;\nALTER TABLE orders DROP COLUMN note;\nDROP TABLE tags;\nALTER TABLE orders DROP COLUMN total;\nALTER TABLE orders ADD COLUMN total BIGINT NOT NULL DEFAULT 0;\n",
    );
    p.pair(
        "3_view",
        "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;\n",
        "DROP VIEW big_orders;\n",
    );
    p.pair(
        "4_index",
        "CREATE INDEX accounts_email_idx ON accounts (email);\n",
        "SELECT 1;\n",
    );
    let incremental = verify(&p, &db, tmp.path(), &[]);
    let full = verify(&p, &db, tmp.path(), &["--full-snapshots"]);
    expect_code(&incremental, 1);
    expect_code(&full, 1);
    assert_eq!(
        problems(&incremental),
        problems(&full),
        "{}",
        incremental.stderr
    );
    for expected in [
        "2_many_changes: column orders.total has type".to_owned(),
        "Verifying 3_view".to_owned(),
        format!(
            "4_index: index {} is left after down",
            index(kind, "accounts", "accounts_email_idx")
        ),
    ] {
        assert!(
            incremental.stderr.contains(&expected),
            "{expected}\n{}",
            incremental.stderr
        );
    }
    assert!(
        !incremental.stderr.contains("3_view:"),
        "{}",
        incremental.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &full);
}

/// `dump --format json` of `db`.
fn dump(p: &Project, db: &TestDb, format: &str) -> String {
    expect(p.on(db, &["dump", "--format", format]), 0).stdout
}

pub fn snapshots_of_one_schema_built_in_two_orders_are_equal(kind: Kind) {
    let (Some(db_a), Some(db_b)) = (TestDb::of(kind), TestDb::of(kind)) else {
        return;
    };
    let a = Project::new();
    a.pair(
        "1_users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, name VARCHAR(100));\n",
        "DROP TABLE users;\n",
    );
    a.pair(
        "2_orders",
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, buyer_id BIGINT, total INTEGER NOT NULL DEFAULT 0, CHECK (total >= 0), FOREIGN KEY (user_id) REFERENCES users (id), FOREIGN KEY (buyer_id) REFERENCES users (id));\n",
        "DROP TABLE orders;\n",
    );
    a.pair(
        "3_indexes",
        "CREATE INDEX orders_user_idx ON orders (user_id);\nCREATE UNIQUE INDEX users_email_idx ON users (email);\n",
        "SELECT 1;\n",
    );
    let b = Project::new();
    b.pair(
        "1_users",
        "CREATE TABLE users (name VARCHAR(100), id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, junk INTEGER);\nCREATE UNIQUE INDEX users_email_idx ON users (email);\n",
        "DROP TABLE users;\n",
    );
    // `name` dropped and added again at the end: the same column.
    b.pair(
        "2_reshape_users",
        "ALTER TABLE users DROP COLUMN junk;\nALTER TABLE users DROP COLUMN name;\nALTER TABLE users ADD COLUMN name VARCHAR(100);\n",
        "SELECT 1;\n",
    );
    b.pair(
        "3_orders",
        "CREATE TABLE orders (total INTEGER NOT NULL DEFAULT 0, id BIGINT PRIMARY KEY, buyer_id BIGINT, user_id BIGINT NOT NULL, FOREIGN KEY (buyer_id) REFERENCES users (id), FOREIGN KEY (user_id) REFERENCES users (id), CHECK (total >= 0));\nCREATE INDEX orders_user_idx ON orders (user_id);\n",
        "DROP TABLE orders;\n",
    );
    expect(a.on(&db_a, &["up"]), 0);
    expect(b.on(&db_b, &["up"]), 0);
    let json_a = dump(&a, &db_a, "json");
    assert_eq!(json_a, dump(&b, &db_b, "json"));
    assert_eq!(dump(&a, &db_a, "sql"), dump(&b, &db_b, "sql"));
    let parsed: serde_json::Value = serde_json::from_str(&json_a).unwrap();
    assert!(
        parsed["schema"]["tables"]["orders"]["columns"]["total"].is_object(),
        "{json_a}"
    );

    // A real difference shows.
    db_b.exec("CREATE INDEX users_name_idx ON users (name)");
    assert_ne!(json_a, dump(&b, &db_b, "json"));
}

pub fn dump_prints_the_normalised_schema(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    if kind == Kind::Sqlite {
        let out = expect(p.on(&db, &["dump"]), 1);
        assert_contains(&out.stderr, "there is no database at");
        assert_contains(&out.stderr, "cargo migrate up");
    }
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair(
        "2_email_idx",
        "CREATE UNIQUE INDEX users_email_idx ON users (email);\n",
        &drop_index(kind, "users_email_idx", "users"),
    );
    expect(p.on(&db, &["up"]), 0);
    let sql = dump(&p, &db, "sql");
    assert!(sql.starts_with("-- cargo migrate dump"), "{sql}");
    assert!(sql.contains("CREATE TABLE users ("), "{sql}");
    // Columns in name order, whatever the order of creation.
    let (email, id, name) = (
        sql.find("    email ").expect("email"),
        sql.find("    id ").expect("id"),
        sql.find("    name ").expect("name"),
    );
    assert!(email < id && id < name, "{sql}");
    assert!(sql.contains("users_email_idx"), "{sql}");
    assert!(
        !sql.contains("_cargo_migrate"),
        "the tracking table is left out:\n{sql}"
    );
    let json: serde_json::Value = serde_json::from_str(&dump(&p, &db, "json")).unwrap();
    assert_eq!(json["format_version"], 1, "{json}");
    let json = &json["schema"];
    let email = &json["tables"]["users"]["columns"]["email"];
    assert_eq!(email["nullable"], false, "{json}");
    let idx = &json["indexes"][index(kind, "users", "users_email_idx")];
    assert_eq!(idx["unique"], true, "{json}");
    assert_eq!(idx["columns"][0], "email", "{json}");
}

pub fn check_verify_runs_verify(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    expect(p.on(&db, &["up"]), 0);
    expect(p.cmd(&["review", "--yes"]), 0);
    let mut cmd = p.on(&db, &["check", "--verify"]);
    cmd.env("TMPDIR", tmp.path());
    let out = run(cmd);
    expect_code(&out, 0);
    assert!(
        out.stderr.contains("Verified 1 migration(s)"),
        "{}",
        out.stderr
    );
    assert_scratch_gone(&db, tmp.path(), &out);

    p.pair(
        "2_email_idx",
        "CREATE INDEX users_email_idx ON users (email);\n",
        "SELECT 1;\n",
    );
    expect(p.on(&db, &["up"]), 0);
    let mut cmd = p.on(&db, &["check", "--verify"]);
    cmd.env("TMPDIR", tmp.path());
    let out = run(cmd);
    expect_code(&out, 1);
    assert_contains(&out.stderr, "2_email_idx: index");
    assert_scratch_gone(&db, tmp.path(), &out);
    // Without --verify, check does not create a scratch database.
    let out = expect(p.on(&db, &["check"]), 1);
    assert!(!out.stderr.contains("scratch"), "{}", out.stderr);
}

#[cfg(unix)]
pub fn ctrl_c_drops_the_scratch_database(kind: Kind) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    // A migration that runs long enough to be interrupted while it runs. On a server it
    // sleeps once per row of `users` (one), so the statement holds the table's metadata lock:
    // a session left running would make the scratch database's DROP wait for it.
    let slow = match kind {
        Kind::Postgres => "SELECT pg_sleep(120) FROM users;\n",
        Kind::MySql => "SELECT SLEEP(120) FROM users;\n",
        Kind::Sqlite => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000000) SELECT count(*) FROM n;\n"
        }
    };
    let slow = format!("INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n{slow}");
    p.pair("2_slow", &slow, "DELETE FROM users;\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
        .current_dir(p.path())
        .args(["migrate", "verify", "--database-url", &db.url])
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // Wait (on the output, not on a clock) until the slow migration is under way.
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        seen.push_str(&line);
        assert!(n > 0, "verify ended before the slow migration:\n{seen}");
        if line.contains("Verifying 2_slow") {
            break;
        }
    }
    // On a server, wait until the slow statement runs: interrupted there, the run leaves a
    // session behind that holds the lock on `users`.
    // `_` matches any character in LIKE: escaped, so that pid 12 does not match cm_verify_123_….
    let scratch = format!("cm\\_verify\\_{}\\_%", child.id());
    let running = match kind {
        Kind::Postgres => Some(format!(
            "SELECT pid::text FROM pg_stat_activity WHERE datname LIKE '{scratch}' AND query LIKE '%pg_sleep(120)%'"
        )),
        Kind::MySql => Some(format!(
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE DB LIKE '{scratch}' AND INFO LIKE '%SLEEP(120)%'"
        )),
        Kind::Sqlite => None,
    };
    if let Some(sql) = running {
        wait_until("the slow migration to run", || !db.strings(&sql).is_empty());
    }
    let interrupted_at = std::time::Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    stderr.read_to_string(&mut seen).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(seen.contains("verify was interrupted"), "{seen}");
    // The drop did not wait for the session left behind: it was ended at once. (Left alone,
    // MariaDB ends a SLEEP whose client is gone only after about 5 s, and PostgreSQL's
    // DROP DATABASE … WITH (FORCE) ends it too; SQLite's runs in this process.)
    let bound = match kind {
        Kind::Sqlite => std::time::Duration::from_secs(30),
        _ => std::time::Duration::from_secs(3),
    };
    assert!(
        interrupted_at.elapsed() < bound,
        "verify took {:?} to stop:\n{seen}",
        interrupted_at.elapsed()
    );
    let out = Output {
        code: 1,
        stdout: String::new(),
        stderr: seen,
    };
    assert_scratch_gone(&db, tmp.path(), &out);
}

#[cfg(not(unix))]
pub fn ctrl_c_drops_the_scratch_database(_kind: Kind) {}

pub fn verify_locks_traces_each_statement_on_postgres_only(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = Project::new();
    if kind != Kind::Postgres {
        p.pair("1_users", USERS, "DROP TABLE users;\n");
        let out = verify(&p, &db, tmp.path(), &["--locks"]);
        expect_code(&out, 0);
        assert_contains(
            &out.stderr,
            "warning: verify --locks traces PostgreSQL only: locks are not traced on",
        );
        assert_contains(&out.stderr, "Verified 1 migration(s)");
        let out = verify(&p, &db, tmp.path(), &["--locks", "--format", "json"]);
        expect_code(&out, 0);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["locks"]["traced"], false, "{doc}");
        assert_eq!(doc["passed"], true, "{doc}");
        return;
    }
    p.pair(
        "1_users",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
        "DROP TABLE users;\n",
    );
    p.pair(
        "2_email",
        "SET lock_timeout = '2s';\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ALTER COLUMN id TYPE bigint;\n",
        "ALTER TABLE users ALTER COLUMN id TYPE int;\nDROP INDEX users_email_idx;\n",
    );
    p.pair(
        "3_orders",
        "CREATE TABLE orders (id int PRIMARY KEY, user_id int CONSTRAINT orders_user_fk REFERENCES users (id));\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n",
        "DROP TABLE orders;\n",
    );
    // Dropping a foreign key locks the table it references, which the statement does not
    // name: the replay of the migrations before it knows the constraint, so the model
    // predicts it.
    p.pair(
        "4_loose_orders",
        "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    );
    p.pair(
        "5_concurrently",
        "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n",
        "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY orders_user_idx;\n",
    );
    // A lock taken inside a `DO` block: the model has no entry for it, a model gap.
    p.pair(
        "6_lock_users",
        "DO $$ BEGIN LOCK TABLE users; END $$;\n",
        "SELECT 1;\n",
    );
    let out = verify(&p, &db, tmp.path(), &["--locks"]);
    // A model gap is a warning: verify's result is the downs'.
    expect_code(&out, 0);
    assert_contains(&out.stdout, "Locks traced on PostgreSQL 1");
    for line in [
        "2_email.up.sql:2  CREATE INDEX users_email_idx ON users (email)",
        "    traced     table users SHARE; no rewrite",
        "    predicted  table users SHARE; no rewrite",
        "2_email.up.sql:3  ALTER TABLE users ALTER COLUMN id TYPE bigint",
        // The index the statement before made is locked already: not seen again.
        "    traced     table users ACCESS EXCLUSIVE, index users_pkey ACCESS EXCLUSIVE; rewrote users",
        "    predicted  table users ACCESS EXCLUSIVE; rewrites",
        "    traced     table users SHARE ROW EXCLUSIVE, index users_pkey ACCESS SHARE; no rewrite",
        "  migrations/1_users.up.sql:1  CREATE TABLE users (id int PRIMARY KEY, email text)\n    traced     nothing new; no rewrite\n    predicted  no lock on an existing relation; no rewrite",
        "  migrations/2_email.up.sql:1  SET lock_timeout = '2s'\n    traced     nothing new; no rewrite\n    predicted  no lock on an existing relation; no rewrite",
        "    MODEL GAP  the server took ACCESS EXCLUSIVE on table users, which the lock model does not name for this statement",
        // Making the table with its primary key's index left it locked already.
        "  migrations/3_orders.up.sql:2  CREATE INDEX orders_user_id_idx ON orders (user_id)\n    traced     nothing new (held already: table orders ACCESS EXCLUSIVE); no rewrite\n    predicted  table orders SHARE; no rewrite",
        "  migrations/4_loose_orders.up.sql:1  ALTER TABLE orders DROP CONSTRAINT orders_user_fk\n    traced     table orders ACCESS EXCLUSIVE, table users ACCESS EXCLUSIVE; no rewrite\n    predicted  table orders ACCESS EXCLUSIVE, table users ACCESS EXCLUSIVE; no rewrite",
        "5_concurrently: not traced (no-transaction: its statements cannot run in a transaction)",
        "6_lock_users\n  migrations/6_lock_users.up.sql:1  DO $$ BEGIN LOCK TABLE users; END $$\n    traced     table users ACCESS EXCLUSIVE; no rewrite\n    predicted  no entry in the lock model\n",
    ] {
        assert_contains(&out.stdout, line);
    }
    assert_contains(
        &out.stderr,
        "warning: model gap at migrations/6_lock_users.up.sql:1: the server took ACCESS EXCLUSIVE on table users",
    );
    assert_scratch_gone(&db, tmp.path(), &out);

    let out = verify(&p, &db, tmp.path(), &["--locks", "--format", "json"]);
    expect_code(&out, 0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["passed"], true, "{doc}");
    assert_eq!(doc["locks"]["traced"], true, "{doc}");
    assert_eq!(doc["locks"]["model_gaps"], 1, "{doc}");
    let alter = &doc["migrations"][1]["locks"]["statements"][2];
    assert_eq!(alter["location"], "migrations/2_email.up.sql:3", "{alter}");
    assert_eq!(alter["rewrite"], true, "{alter}");
    assert_eq!(alter["predicted"]["rewrite"], "yes", "{alter}");
    assert_eq!(
        alter["locks"][0],
        serde_json::json!({"relation": "users", "kind": "table", "mode": "ACCESS EXCLUSIVE"}),
        "{alter}"
    );
    assert_eq!(alter["model_gaps"], serde_json::json!([]), "{alter}");
    assert_eq!(doc["migrations"][4]["locks"]["traced"], false, "{doc}");
    let drop_fk = &doc["migrations"][3]["locks"]["statements"][0];
    assert_eq!(drop_fk["model_gaps"], serde_json::json!([]), "{drop_fk}");

    // Without --locks, nothing of it.
    let out = verify(&p, &db, tmp.path(), &[]);
    expect_code(&out, 0);
    assert!(!out.stdout.contains("Locks traced"), "{}", out.stdout);
    assert!(!out.stderr.contains("model gap"), "{}", out.stderr);
}
