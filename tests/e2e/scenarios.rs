//! Scenarios that every database must pass.

use crate::support::{Kind, Project, TestDb, assert_contains, expect, one_line, run, states};

on_every_database!(
    lifecycle,
    failure_points_at_the_line_and_keeps_the_database_consistent,
    out_of_order_is_refused_naming_both_versions,
    dry_run_prints_the_sql_and_changes_nothing,
    no_transaction_runs_statements_one_by_one,
    passwords_never_appear,
    unreachable_server_is_a_usage_error,
    edited_applied_migration_is_refused_until_repaired,
    a_script_may_change_the_search_path,
    a_nul_byte_is_refused_before_anything_runs,
    a_failure_far_along_a_long_line_is_shown_not_a_panic,
    mysql_executable_comments_run_as_written,
    a_refused_up_creates_no_database_file_and_no_tracking_table,
    every_template_passes_lint_and_verify,
);

// As a module of its own: `on_every_database!` already made `postgres` and `mysql`.
mod servers {
    use super::*;
    on_servers!(a_failed_first_statement_that_may_have_changed_things_stays_failed);
}

fn applied(versions: &[i64]) -> Vec<(i64, String)> {
    versions
        .iter()
        .map(|v| (*v, "applied".to_owned()))
        .collect()
}

pub fn lifecycle(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    let created = expect(
        p.on(
            &db,
            &["new", "create widgets", "--template", "create_table"],
        ),
        0,
    );
    assert_contains(&created.stdout, "_create_widgets.up.sql");
    expect(
        p.on(
            &db,
            &["new", "add_color_to_widgets", "--template", "add_column"],
        ),
        0,
    );
    let listed = states(&p, &db);
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|(_, s)| s == "pending"), "{listed:?}");
    let versions: Vec<i64> = listed.iter().map(|(v, _)| *v).collect();
    assert!(
        versions[1] > versions[0],
        "new always picks a newer version"
    );

    let up = expect(p.on(&db, &["up"]), 0);
    assert_contains(&up.stderr, "Applying");
    assert_eq!(db.tables(), ["widgets"]);
    assert_eq!(states(&p, &db), applied(&versions));
    let columns = match kind {
        Kind::Sqlite => db.strings("SELECT name FROM pragma_table_info('widgets')"),
        _ => db.strings("SELECT CAST(column_name AS CHAR(64)) FROM information_schema.columns WHERE table_name = 'widgets'"),
    };
    assert!(columns.iter().any(|c| c.trim() == "color"), "{columns:?}");

    let history = expect(p.on(&db, &["history", "--format", "json"]), 0);
    let history: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let rows = &history["migrations"];
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["success"], true);

    expect(p.on(&db, &["down"]), 0);
    assert_eq!(
        states(&p, &db),
        [
            (versions[0], "applied".to_owned()),
            (versions[1], "pending".to_owned())
        ]
    );
    expect(p.on(&db, &["up"]), 0);
    let redo = expect(p.on(&db, &["redo"]), 0);
    assert!(
        redo.stderr.contains("Reverting") && redo.stderr.contains("Applying"),
        "{}",
        redo.stderr
    );
    assert_eq!(states(&p, &db), applied(&versions));

    expect(p.on(&db, &["down", "--all"]), 0);
    assert!(db.tables().is_empty(), "{:?}", db.tables());
    let again = expect(p.on(&db, &["down"]), 0);
    assert_contains(&again.stderr, "nothing to revert");
}

pub fn failure_points_at_the_line_and_keeps_the_database_consistent(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_first",
        "CREATE TABLE first (id INT PRIMARY KEY);\n",
        "DROP TABLE first;\n",
    );
    p.pair(
        "2_broken",
        "-- the second statement fails\nCREATE TABLE half (id INT PRIMARY KEY);\nINSERT INTO no_such_table (id) VALUES (1);\n",
        "DROP TABLE half;\n",
    );
    let out = expect(p.on(&db, &["up"]), 1);
    let err = out.all();
    assert!(err.contains("migrations/2_broken.up.sql:3:"), "{err}");
    assert!(err.contains("no_such_table"), "{err}");
    if kind == Kind::Postgres {
        // PostgreSQL says where in the statement: the table name, column 13.
        assert!(err.contains("migrations/2_broken.up.sql:3:13"), "{err}");
    }

    if kind == Kind::MySql {
        // DDL committed at once: the first statement stays, and the record says so.
        assert_eq!(db.tables(), ["first", "half"]);
        assert_eq!(
            states(&p, &db),
            [(1, "applied".into()), (2, "failed".into())]
        );
        assert!(err.contains("recorded as failed"), "{err}");
        let refused = expect(p.on(&db, &["up"]), 1).all();
        assert!(
            refused.contains("2_broken is recorded as failed"),
            "{refused}"
        );
        assert!(refused.contains("cargo migrate repair 2"), "{refused}");
        // The user undoes the partial change, fixes the file, repairs, and goes on.
        db.exec("DROP TABLE half");
        expect(p.on(&db, &["repair", "2"]), 0);
        assert_eq!(states(&p, &db)[1].1, "pending");
        p.pair(
            "2_broken",
            "CREATE TABLE half (id INT PRIMARY KEY);\n",
            "DROP TABLE half;\n",
        );
    } else {
        // Rolled back: the schema is exactly as before the failed migration.
        assert_eq!(db.tables(), ["first"]);
        assert_eq!(
            states(&p, &db),
            [(1, "applied".into()), (2, "pending".into())]
        );
        assert!(err.contains("rolled back"), "{err}");
        p.pair(
            "2_broken",
            "CREATE TABLE half (id INT PRIMARY KEY);\n",
            "DROP TABLE half;\n",
        );
    }
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), applied(&[1, 2]));
}

pub fn out_of_order_is_refused_naming_both_versions(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "20240102000000_second",
        "CREATE TABLE second (id INT);\n",
        "DROP TABLE second;\n",
    );
    expect(p.on(&db, &["up"]), 0);
    // A merge brings in an older migration.
    p.pair(
        "20240101000000_first",
        "CREATE TABLE first (id INT);\n",
        "DROP TABLE first;\n",
    );
    assert_eq!(
        states(&p, &db),
        [
            (20240101000000, "out-of-order".into()),
            (20240102000000, "applied".into())
        ]
    );
    let out = expect(p.on(&db, &["up"]), 1).all();
    assert!(
        out.contains("20240101000000_first is pending but older than 20240102000000_second"),
        "{out}"
    );
    assert!(out.contains("--allow-out-of-order"), "{out}");
    assert_eq!(db.tables(), ["second"]);
    expect(p.on(&db, &["up", "--allow-out-of-order"]), 0);
    assert_eq!(db.tables(), ["first", "second"]);
}

pub fn dry_run_prints_the_sql_and_changes_nothing(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_a",
        "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n",
        "DROP TABLE b;\nDROP TABLE a;\n",
    );
    p.pair("2_c", "CREATE TABLE c (id INT);\n", "DROP TABLE c;\n");
    let out = expect(p.on(&db, &["up", "--dry-run"]), 0);
    let a = out
        .stdout
        .find("CREATE TABLE a (id INT);")
        .expect("first statement");
    let b = out
        .stdout
        .find("CREATE TABLE b (id INT);")
        .expect("second statement");
    let c = out
        .stdout
        .find("CREATE TABLE c (id INT);")
        .expect("second migration");
    assert!(a < b && b < c, "{}", out.stdout);
    assert!(db.tables().is_empty());
    if kind == Kind::Sqlite {
        assert!(
            !db.sqlite_path().exists(),
            "a dry run creates no database file"
        );
    }
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let out = expect(p.on(&db, &["down", "--dry-run"]), 0);
    assert_contains(&out.stdout, "DROP TABLE b;\nDROP TABLE a;");
    assert_eq!(db.tables(), ["a", "b"]);
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "pending".into())]
    );
}

pub fn no_transaction_runs_statements_one_by_one(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_t",
        "CREATE TABLE t (id INT, name VARCHAR(20));\n",
        "DROP TABLE t;\n",
    );
    let (up, down) = match kind {
        // CREATE INDEX CONCURRENTLY fails inside a transaction block.
        Kind::Postgres => (
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY t_name_idx ON t (name);\n",
            "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY t_name_idx;\n",
        ),
        Kind::MySql => (
            "-- migrate:no-transaction\nCREATE INDEX t_name_idx ON t (name);\n",
            "DROP INDEX t_name_idx ON t;\n",
        ),
        Kind::Sqlite => (
            "-- migrate:no-transaction\nCREATE INDEX t_name_idx ON t (name);\n",
            "DROP INDEX t_name_idx;\n",
        ),
    };
    p.pair("2_index", up, down);
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), applied(&[1, 2]));
    expect(p.on(&db, &["down"]), 0);
    assert_eq!(states(&p, &db)[1].1, "pending");
}

pub fn passwords_never_appear(kind: Kind) {
    if kind == Kind::Sqlite {
        return; // SQLite URLs carry no password
    }
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_a",
        "CREATE TABLE a (id INT);\nSELECT * FROM missing_table;\n",
        "DROP TABLE a;\n",
    );
    let secret = "Sup3r-Secret-pw";
    let with_password = db
        .url
        .replacen("://", &format!("://{}:{secret}@", user_of(&db.url)), 1);
    let with_password = strip_existing_userinfo(&with_password);
    // Each of: a refused or accepted login followed by a failing migration, a bad port, an
    // unreachable host, and a malformed URL.
    let unreachable = with_password.replacen(&host_port(&db.url), "127.0.0.1:1", 1);
    let malformed = with_password.replacen(&host_port(&db.url), "127.0.0.1:notaport", 1);
    for url in [&with_password, &unreachable, &malformed] {
        for args in [
            &["up"][..],
            &["status"],
            &["status", "--format", "json"],
            &["history"],
        ] {
            let mut cmd = p.cmd(args);
            cmd.args(["--database-url", url]);
            let out = run(cmd);
            // The login may be accepted (trust authentication): then `up` fails on the
            // migration; every other case fails on the URL or the connection.
            if args[0] == "up" || url != &with_password {
                assert_ne!(out.code, 0, "{args:?}: {}", out.all());
            }
            assert!(
                !out.all().contains(secret),
                "password leaked for {args:?}:\n{}",
                out.all()
            );
            assert!(
                out.all().contains("***"),
                "the masked URL is shown:\n{}",
                out.all()
            );
        }
    }
}

/// The user name of a URL like `scheme://user@host…` (or `scheme://user:pw@host…`).
fn user_of(url: &str) -> String {
    let rest = &url[url.find("://").unwrap() + 3..];
    let authority = rest.split('/').next().unwrap();
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.split(':').next().unwrap().to_owned(),
        None => "root".to_owned(),
    }
}

/// Drops a second userinfo after we inserted ours: `s://u:pw@u@host` → `s://u:pw@host`.
fn strip_existing_userinfo(url: &str) -> String {
    let start = url.find("://").unwrap() + 3;
    let rest = &url[start..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let parts: Vec<&str> = authority.split('@').collect();
    if parts.len() <= 2 {
        return url.to_owned();
    }
    format!(
        "{}{}@{}{}",
        &url[..start],
        parts[0],
        parts[parts.len() - 1],
        &rest[authority_end..]
    )
}

fn host_port(url: &str) -> String {
    let rest = &url[url.find("://").unwrap() + 3..];
    let authority = rest.split('/').next().unwrap();
    authority.rsplit('@').next().unwrap().to_owned()
}

pub fn unreachable_server_is_a_usage_error(kind: Kind) {
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    let url = match kind {
        Kind::Postgres => "postgres://app:pw@127.0.0.1:1/app",
        Kind::MySql => "mysql://app:pw@127.0.0.1:1/app",
        Kind::Sqlite => "sqlite:/dev/null/sub/x.db",
    };
    let mut cmd = p.cmd(&["up"]);
    cmd.args(["--database-url", url]);
    let out = run(cmd);
    let expected = if kind == Kind::Sqlite { 1 } else { 2 };
    assert_eq!(out.code, expected, "{}", out.all());
    if kind != Kind::Sqlite {
        assert_contains(&out.stderr, "cannot connect to");
        assert_contains(&out.stderr, ":***@127.0.0.1:1/app");
        assert_contains(&out.stderr, "is the server running");
    }
    let mut bad = p.cmd(&["status"]);
    bad.args(["--database-url", "oracle://x/y"]);
    let out = expect(bad, 2);
    assert_contains(&out.stderr, "unknown scheme `oracle`");
}

pub fn edited_applied_migration_is_refused_until_repaired(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    expect(p.on(&db, &["up"]), 0);
    p.write("1_a.up.sql", "CREATE TABLE a (id BIGINT);\n");
    p.pair("2_b", "CREATE TABLE b (id INT);\n", "DROP TABLE b;\n");
    assert_eq!(
        states(&p, &db),
        [(1, "modified".into()), (2, "pending".into())]
    );
    let out = expect(p.on(&db, &["up"]), 1).all();
    assert!(
        out.contains("1_a was changed after it was applied"),
        "{out}"
    );
    assert!(out.contains("cargo migrate repair 1"), "{out}");
    assert_eq!(db.tables(), ["a"]);
    // Line endings alone are not an edit.
    p.write("1_a.up.sql", "CREATE TABLE a (id INT);\r\n");
    assert_eq!(states(&p, &db)[0].1, "applied");
    p.write("1_a.up.sql", "CREATE TABLE a (id BIGINT);\n");
    expect(p.on(&db, &["repair", "1"]), 0);
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), applied(&[1, 2]));
}

pub fn a_script_may_change_the_search_path(kind: Kind) {
    if kind != Kind::Postgres {
        return; // a PostgreSQL setting
    }
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_app_schema",
        "CREATE SCHEMA app;\nSET search_path TO app;\nCREATE TABLE t (id INT);",
        "DROP SCHEMA app CASCADE;",
    );
    // (The setting lasts for the rest of the session, as in psql: later scripts name schemas.)
    p.pair(
        "2_more",
        "CREATE TABLE public.u (id INT);",
        "DROP TABLE public.u;",
    );
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), applied(&[1, 2]));
    expect(p.on(&db, &["down", "--all"]), 0);
}

/// SQLite's C API stops reading a script at a NUL byte and looped on the rest; no server takes
/// one. Refused with the file and position before the first migration of the plan runs.
pub fn a_nul_byte_is_refused_before_anything_runs(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_a", "CREATE TABLE a (id INT);\n", "DROP TABLE a;\n");
    p.pair(
        "2_b",
        "CREATE TABLE b (id INT);\0\nSELECT 1;\n",
        "DROP TABLE b;\n",
    );
    for args in [&["up"][..], &["up", "--dry-run"]] {
        let out = run(p.on(&db, args));
        assert_ne!(out.code, 0, "{}", out.all());
        assert_contains(&out.stderr, "NUL byte");
        assert_contains(&out.stderr, "2_b.up.sql:1:25");
        assert!(db.tables().is_empty(), "{:?}", db.tables());
    }
}

/// miette cannot pad a label past column 65,535: a failure there panicked (exit 101) and hid
/// the server's error. The report shows the part of the line around it, with its true column.
pub fn a_failure_far_along_a_long_line_is_shown_not_a_panic(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    let rows = vec!["(1)"; 20_000].join(",");
    let up = format!("CREATE TABLE t (id INT);\nINSERT INTO t VALUES {rows} bogus;\n");
    p.pair("1_a", &up, "DROP TABLE t;\n");
    let out = run(p.on(&db, &["up"]));
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_contains(
        &out.stderr,
        "migration 1_a failed at migrations/1_a.up.sql:2:",
    );
    assert!(
        out.stderr.lines().all(|l| l.len() < 1_000),
        "{}",
        out.stderr
    );
    let lint = run(p.cmd(&["lint"]));
    assert_eq!(lint.code, 1, "{}", lint.all());
    assert_contains(&lint.stderr, "1_a.up.sql:2:80022");
}

/// `/*!40101 … */` is SQL to MySQL and MariaDB and a comment to the others: the splitter sends
/// it whole (it reached MySQL without its `/` and cut short).
pub fn mysql_executable_comments_run_as_written(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair(
        "1_a",
        "/*!40101 SET @saved_client = @@character_set_client */;\n\
         CREATE TABLE t (id INT) /*!50100 ENGINE=InnoDB */;\n\
         /*!40101 CREATE TABLE only_mysql (id INT) */;\n\
         /*!40101 SET character_set_client = @saved_client */;\n",
        "/*!40101 DROP TABLE only_mysql */;\nDROP TABLE t;\n",
    );
    expect(p.on(&db, &["up"]), 0);
    let expected: &[&str] = match kind {
        Kind::MySql => &["only_mysql", "t"],
        _ => &["t"],
    };
    assert_eq!(db.tables(), expected);
    expect(p.on(&db, &["down"]), 0);
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

/// A first statement that fails outside a transaction can still have changed things (MySQL
/// keeps a failed DROP TABLE's earlier tables dropped; PostgreSQL keeps a failed concurrent
/// index build as an INVALID index): the record stays failed, says what may be left and how
/// to clear it, and `up` refuses until `repair`. A statement the server could not even parse
/// changed nothing, and says so.
fn a_failed_first_statement_that_may_have_changed_things_stays_failed(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    let (first, second, fixed, expected) = match kind {
        Kind::MySql => (
            "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n",
            "DROP TABLE a, b, missing;\n",
            "DROP TABLE IF EXISTS a, b;\n",
            "this was the first statement, but MySQL and MariaDB do not undo the part of a failed statement that was done",
        ),
        _ => (
            "CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1), (1);\n",
            "-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id);\n",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY t_id_key ON t (id);\n",
            "this was the first statement, but it left the INVALID index(es) public.t_id_key behind: drop them with `DROP INDEX CONCURRENTLY IF EXISTS public.t_id_key;`, then run `cargo migrate repair 2`",
        ),
    };
    p.pair("1_first", first, "SELECT 1;\n");
    p.pair("2_second", second, "SELECT 1;\n");
    let err = expect(p.on(&db, &["up"]), 1).stderr;
    // The help as one line, however the terminal width wrapped it.
    let err = one_line(&err);
    assert_contains(&err, expected);
    assert_contains(&err, "cargo migrate repair 2");
    assert!(!err.contains("nothing was applied"), "{err}");
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "failed".into())]
    );
    let refused = expect(p.on(&db, &["up"]), 1).all();
    assert_contains(&refused, "2_second is recorded as failed");

    match kind {
        Kind::MySql => assert_eq!(db.tables(), Vec::<String>::new()),
        _ => db.exec("DROP INDEX CONCURRENTLY IF EXISTS public.t_id_key"),
    }
    expect(p.on(&db, &["repair", "2"]), 0);
    p.pair("2_second", fixed, "SELECT 1;\n");
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), applied(&[1, 2]));

    // A statement the server cannot parse never ran.
    p.pair(
        "3_typo",
        "-- migrate:no-transaction\nCREATE TABLEX t3 (id INT);\n",
        "SELECT 1;\n",
    );
    let err = expect(p.on(&db, &["up"]), 1).stderr;
    assert_contains(&err, "this was the first statement, so nothing was applied");
    assert_eq!(states(&p, &db)[2], (3, "pending".into()));
}

/// Whether the tracking table exists (`TestDb::tables` leaves it out).
fn has_tracking_table(db: &TestDb, kind: Kind) -> bool {
    let sql = match kind {
        Kind::Sqlite => "SELECT name FROM sqlite_master WHERE name = '_cargo_migrate'",
        Kind::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE tablename = '_cargo_migrate'"
        }
        Kind::MySql => {
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '_cargo_migrate'"
        }
    };
    !db.strings(sql).is_empty()
}

pub fn a_refused_up_creates_no_database_file_and_no_tracking_table(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    // A NUL byte is refused before anything runs, on every database.
    p.pair(
        "1_a",
        "CREATE TABLE a (id INT);\0\nSELECT 1;\n",
        "DROP TABLE a;\n",
    );
    let out = run(p.on(&db, &["up"]));
    assert_ne!(out.code, 0, "{}", out.all());
    assert_contains(&out.stderr, "NUL byte");
    if kind == Kind::Sqlite {
        assert!(
            !db.sqlite_path().exists(),
            "a refused up created {}",
            db.sqlite_path().display()
        );
        // A database that exists gets no tracking table either.
        db.exec("CREATE TABLE other (id INT)");
        let out = run(p.on(&db, &["up"]));
        assert_contains(&out.stderr, "NUL byte");
    }
    assert!(
        !has_tracking_table(&db, kind),
        "a refused up made the tracking table"
    );
    assert_eq!(
        db.tables(),
        if kind == Kind::Sqlite {
            vec!["other"]
        } else {
            vec![]
        }
    );
    // Once the file is fixed, the run creates the table with its first row.
    p.write("1_a.up.sql", "CREATE TABLE a (id INT);\n");
    expect(p.on(&db, &["up"]), 0);
    assert!(has_tracking_table(&db, kind));
    assert_eq!(states(&p, &db), applied(&[1]));
}

/// Every template `new` writes, on every database, passes the tool's own lint and `verify` on
/// the real server, in a history where the tables it names exist.
fn every_template_passes_lint_and_verify(kind: Kind) {
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    let new = |args: &[&str]| {
        expect(p.on(&db, &[&["new"], args].concat()), 0);
    };
    new(&[
        "create_parents",
        "--template",
        "create_table",
        "--table",
        "parents",
    ]);
    new(&[
        "create_children",
        "--template",
        "create_table",
        "--table",
        "children",
    ]);
    new(&[
        "add_name",
        "--template",
        "add_column",
        "--table",
        "children",
        "--column",
        "name",
    ]);
    new(&[
        "index_created",
        "--template",
        "add_index",
        "--table",
        "children",
        "--column",
        "created_at",
    ]);
    // The referencing column, of the referenced key's type.
    let column_type = match kind {
        Kind::MySql => "BIGINT UNSIGNED",
        Kind::Postgres => "BIGINT",
        Kind::Sqlite => "INTEGER",
    };
    if kind != Kind::Sqlite {
        let timeout = if kind == Kind::Postgres {
            "SET lock_timeout = '5s';\n"
        } else {
            ""
        };
        p.pair(
            "29990101000000_add_parent_id",
            &format!("{timeout}ALTER TABLE children ADD COLUMN parent_id {column_type};\n"),
            "ALTER TABLE children DROP COLUMN parent_id;\n",
        );
    }
    let out = expect(
        p.on(
            &db,
            &[
                "new",
                "link_parent",
                "--template",
                "add_foreign_key",
                "--table",
                "children",
                "--column",
                "parent_id",
                "--references",
                "parents",
            ],
        ),
        0,
    );
    assert_contains(&out.stderr, "link_parent");
    let lint = run(p.on(&db, &["lint"]));
    assert_eq!(lint.code, 0, "{}", lint.all());
    let verify = run(p.on(&db, &["verify"]));
    assert_eq!(verify.code, 0, "{}", verify.all());
}
