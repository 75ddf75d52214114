//! `cargo migrate explain` from the real binary: what each statement locks, on each dialect,
//! with the server version from the configuration or the documented default.

use crate::support::{Project, expect};

/// A table made by the first migration, changed by the second in ways that lock it.
fn project(config: &str) -> Project {
    let p = Project::new();
    p.package(config)
        .pair(
            "1_users",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, org_id BIGINT, email TEXT);\n\
             CREATE INDEX users_email_idx ON users (email);\n",
            "DROP TABLE users;\n",
        )
        .pair(
            "2_tighten",
            "SET lock_timeout = '5s';\n\
             ALTER TABLE users ADD COLUMN token UUID DEFAULT gen_random_uuid();\n\
             ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\
             CREATE INDEX users_org_idx ON users (org_id);\n",
            "DROP INDEX users_org_idx;\n\
             ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n\
             ALTER TABLE users DROP COLUMN token;\n",
        );
    p
}

#[test]
fn postgres_locks_accumulate_until_commit() {
    let p = project("[package.metadata.migrate]\ndialect = \"postgres\"\n");
    let out = expect(p.cmd(&["explain"]), 0);
    insta::assert_snapshot!("postgres", out.stdout);
    assert!(
        out.stderr
            .contains("2 migration(s) as postgres 15.0 (default version)"),
        "{}",
        out.stderr
    );
}

#[test]
fn mysql_json_names_the_online_algorithm_by_configured_version() {
    let p =
        project("[package.metadata.migrate]\ndialect = \"mysql\"\nmysql_version = \"8.0.11\"\n");
    let out = expect(p.cmd(&["explain", "2", "--format", "json"]), 0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    insta::assert_json_snapshot!("mysql", doc);
    // 8.0.12 added INSTANT ADD COLUMN.
    let p =
        project("[package.metadata.migrate]\ndialect = \"mysql\"\nmysql_version = \"8.0.12\"\n");
    let out = expect(p.cmd(&["explain", "2", "--format", "json"]), 0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let add = &doc["migrations"][0]["statements"][0]["operations"][0];
    assert_eq!(add["online"]["algorithm"], "INSTANT", "{add}");
}

#[test]
fn sqlite_locks_the_database_and_bad_input_is_a_diagnostic() {
    let p = project("");
    let out = expect(p.cmd(&["explain", "2"]), 0);
    insta::assert_snapshot!("sqlite", out.stdout);

    let out = expect(p.cmd(&["explain", "3"]), 1);
    assert!(
        out.stderr.contains("there is no migration 3"),
        "{}",
        out.stderr
    );
    let p = project(
        "[package.metadata.migrate]\ndialect = \"postgres\"\npostgres_version = \"fifteen\"\n",
    );
    let out = expect(p.cmd(&["explain"]), 2);
    assert!(
        out.stderr.contains("`fifteen` is not a version"),
        "{}",
        out.stderr
    );
}

#[test]
fn locks_the_statement_does_not_name_come_from_the_migrations_before_it() {
    let p = Project::new();
    p.package("[package.metadata.migrate]\ndialect = \"postgres\"\n")
        .pair(
            "1_orgs",
            "CREATE TABLE orgs (id BIGINT PRIMARY KEY);\n\
             CREATE TABLE users (id BIGINT PRIMARY KEY, org_id BIGINT CONSTRAINT users_org_fk REFERENCES orgs (id));\n",
            "DROP TABLE users;\nDROP TABLE orgs;\n",
        )
        .pair(
            "2_loose",
            "TRUNCATE orgs CASCADE;\nALTER TABLE users DROP CONSTRAINT users_org_fk;\nTRUNCATE orgs CASCADE;\n",
            "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);\n",
        );
    let out = expect(p.cmd(&["explain", "2", "--format", "json"]), 0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let locks = |statement: usize| -> Vec<(String, String)> {
        doc["migrations"][0]["statements"][statement]["operations"][0]["locks"]
            .as_array()
            .unwrap_or_else(|| panic!("{doc}"))
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap().to_owned(),
                    l["mode"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let both = vec![
        ("orgs".to_owned(), "ACCESS EXCLUSIVE".to_owned()),
        ("users".to_owned(), "ACCESS EXCLUSIVE".to_owned()),
    ];
    // TRUNCATE … CASCADE locks the table that references it; dropping the foreign key, the
    // table it references; after that, TRUNCATE reaches nothing more.
    assert_eq!(locks(0), both, "{doc}");
    assert_eq!(locks(1), both, "{doc}");
    assert_eq!(locks(2), both[..1], "{doc}");
}
