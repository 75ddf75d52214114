//! `cargo migrate import`: for each source tool, a project in that tool's layout and a database
//! whose tracking table holds the rows that tool writes (its schema, its checksums, computed
//! here from the tool's documented format); before the import `up` refuses and changes
//! nothing, after it everything is applied, a new migration applies, and the old table is as it
//! was. Dirty and failed states and edited files are refused.

use std::hash::{Hash, Hasher};

use sha2::Digest;

use crate::git::git;
use crate::support::{Kind, Project, TestDb, assert_contains, expect, one_line, states};

on_every_database!(
    sqlx_history_is_imported,
    diesel_history_is_imported,
    refinery_history_is_imported,
    golang_migrate_history_is_imported,
    goose_history_is_imported,
    dbmate_history_is_imported,
    flyway_history_is_imported,
    dirty_and_failed_states_and_edited_files_are_refused,
    verify_proves_the_history_builds_the_live_schema_or_refuses,
);

const USERS: &str = "CREATE TABLE users (id INT);\n";
const POSTS: &str = "CREATE TABLE posts (id INT);\n";

/// A tool's table and rows, as SQL for `kind`.
struct Fixture {
    tool: &'static str,
    table: &'static str,
    files: Vec<(String, String)>,
    create: String,
    rows: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn blob(kind: Kind, bytes: &[u8]) -> String {
    match kind {
        Kind::Postgres => format!("decode('{}', 'hex')", hex(bytes)),
        Kind::MySql => format!("UNHEX('{}')", hex(bytes)),
        Kind::Sqlite => format!("X'{}'", hex(bytes)),
    }
}

fn sqlx(kind: Kind) -> Fixture {
    let (ts, bin) = match kind {
        Kind::Postgres => ("TIMESTAMPTZ NOT NULL DEFAULT now()", "BYTEA"),
        _ => ("TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", "BLOB"),
    };
    let row = |v: i64, desc: &str, text: &str| {
        format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({v}, '{desc}', TRUE, {}, 1234)",
            blob(kind, &sha2::Sha384::digest(text.as_bytes()))
        )
    };
    let posts = format!("-- no-transaction\n{POSTS}");
    Fixture {
        tool: "sqlx",
        table: "_sqlx_migrations",
        files: vec![
            ("20240101000000_create_users.up.sql".into(), USERS.into()),
            (
                "20240101000000_create_users.down.sql".into(),
                "DROP TABLE users;\n".into(),
            ),
            ("20240102000000_create_posts.sql".into(), posts.clone()),
        ],
        create: format!(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on {ts}, success BOOLEAN NOT NULL, checksum {bin} NOT NULL, execution_time BIGINT NOT NULL)"
        ),
        rows: vec![
            row(20240101000000, "create users", USERS),
            row(20240102000000, "create posts", &posts),
        ],
    }
}

fn diesel(_: Kind) -> Fixture {
    Fixture {
        tool: "diesel",
        table: "__diesel_schema_migrations",
        files: vec![
            ("2024-01-01-000000_create_users/up.sql".into(), USERS.into()),
            ("2024-01-01-000000_create_users/down.sql".into(), "DROP TABLE users;\n".into()),
            ("2024-01-02-000000_create_posts/up.sql".into(), POSTS.into()),
            ("2024-01-02-000000_create_posts/down.sql".into(), "DROP TABLE posts;\n".into()),
            ("2024-01-02-000000_create_posts/metadata.toml".into(), "run_in_transaction = false\n".into()),
        ],
        create: "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)".into(),
        rows: vec![
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000')".into(),
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240102000000')".into(),
        ],
    }
}

/// refinery's checksum: SipHash-1-3 (zero keys) over the name, the version (i32) and the SQL,
/// each written as `Hash` writes it.
fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    let mut h = siphasher::sip::SipHasher13::new();
    name.hash(&mut h);
    version.hash(&mut h);
    sql.hash(&mut h);
    h.finish()
}

fn refinery(_: Kind) -> Fixture {
    let row = |v: i32, name: &str, sql: &str| {
        format!(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES ({v}, '{name}', '2024-01-01T00:00:00+00:00', '{}')",
            refinery_checksum(name, v, sql)
        )
    };
    Fixture {
        tool: "refinery",
        table: "refinery_schema_history",
        files: vec![
            ("V1__create_users.sql".into(), USERS.into()),
            ("V2__create_posts.sql".into(), POSTS.into()),
        ],
        create: "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))".into(),
        rows: vec![row(1, "create_users", USERS), row(2, "create_posts", POSTS)],
    }
}

fn golang_migrate(kind: Kind) -> Fixture {
    Fixture {
        tool: "golang-migrate",
        table: "schema_migrations",
        files: vec![
            ("000001_create_users.up.sql".into(), USERS.into()),
            ("000001_create_users.down.sql".into(), "DROP TABLE users;\n".into()),
            ("000002_create_posts.up.sql".into(), POSTS.into()),
            ("000002_create_posts.down.sql".into(), "DROP TABLE posts;\n".into()),
        ],
        create: match kind {
            Kind::Sqlite => "CREATE TABLE schema_migrations (version uint64, dirty bool)".into(),
            _ => "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)".into(),
        },
        rows: vec!["INSERT INTO schema_migrations (version, dirty) VALUES (2, FALSE)".into()],
    }
}

fn goose(kind: Kind) -> Fixture {
    let up = |sql: &str, down: &str| {
        format!(
            "-- +goose Up\n-- +goose StatementBegin\n{sql}-- +goose StatementEnd\n\n-- +goose Down\n{down}"
        )
    };
    Fixture {
        tool: "goose",
        table: "goose_db_version",
        files: vec![
            ("00001_create_users.sql".into(), up(USERS, "DROP TABLE users;\n")),
            ("00002_create_posts.sql".into(), format!("-- +goose NO TRANSACTION\n{}", up(POSTS, "DROP TABLE posts;\n"))),
        ],
        create: match kind {
            Kind::Sqlite => "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))".into(),
            _ => "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))".into(),
        },
        // goose writes version 0 when it creates its table; a down writes is_applied = false.
        rows: [(0, true), (1, true), (2, true), (3, true), (3, false)]
            .iter()
            .map(|(v, a)| format!("INSERT INTO goose_db_version (version_id, is_applied) VALUES ({v}, {a})"))
            .collect(),
    }
}

fn dbmate(_: Kind) -> Fixture {
    Fixture {
        tool: "dbmate",
        table: "schema_migrations",
        files: vec![
            (
                "20240101000000_create_users.sql".into(),
                format!("-- migrate:up\n{USERS}\n-- migrate:down\nDROP TABLE users;\n"),
            ),
            (
                "20240102000000_create_posts.sql".into(),
                format!(
                    "-- migrate:up transaction:false\n{POSTS}\n-- migrate:down\nDROP TABLE posts;\n"
                ),
            ),
        ],
        create: "CREATE TABLE schema_migrations (version varchar(128) primary key)".into(),
        rows: vec![
            "INSERT INTO schema_migrations (version) VALUES ('20240101000000')".into(),
            "INSERT INTO schema_migrations (version) VALUES ('20240102000000')".into(),
        ],
    }
}

/// Flyway's checksum: CRC-32 over the lines' UTF-8 bytes without their line ends, as a signed
/// 32-bit integer.
fn flyway_checksum(text: &str) -> i32 {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    let mut digest = crc.digest();
    for line in text.lines() {
        digest.update(line.as_bytes());
    }
    digest.finalize() as i32
}

fn flyway(kind: Kind) -> Fixture {
    let now = match kind {
        Kind::Sqlite => "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now'))",
        Kind::Postgres => "TIMESTAMP NOT NULL DEFAULT now()",
        Kind::MySql => "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
    };
    let row = |rank: i32,
               v: Option<&str>,
               desc: &str,
               kind: &str,
               script: &str,
               sum: Option<i32>| {
        format!(
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES ({rank}, {}, '{desc}', '{kind}', '{script}', {}, 'flyway', 12, TRUE)",
            v.map_or("NULL".to_owned(), |v| format!("'{v}'")),
            sum.map_or("NULL".to_owned(), |s| s.to_string()),
        )
    };
    Fixture {
        tool: "flyway",
        table: "flyway_schema_history",
        files: vec![
            ("V1__Create_users.sql".into(), USERS.into()),
            ("U1__Create_users.sql".into(), "DROP TABLE users;\n".into()),
            ("V1.1__Create_posts.sql".into(), POSTS.into()),
        ],
        create: format!(
            "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on {now}, execution_time INT NOT NULL, success BOOLEAN NOT NULL)"
        ),
        rows: vec![
            row(
                1,
                Some("1"),
                "Create users",
                "SQL",
                "V1__Create_users.sql",
                Some(flyway_checksum(USERS)),
            ),
            row(
                2,
                Some("1.1"),
                "Create posts",
                "SQL",
                "V1.1__Create_posts.sql",
                Some(flyway_checksum(POSTS)),
            ),
        ],
    }
}

/// A project in the fixture's layout, and its database as the tool left it.
fn setup(kind: Kind, fixture: &Fixture) -> Option<(Project, TestDb)> {
    let db = TestDb::of(kind)?;
    let p = Project::new();
    for (name, text) in &fixture.files {
        let path = p.migrations().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    db.exec(&fixture.create);
    for row in &fixture.rows {
        db.exec(row);
    }
    db.exec(USERS);
    db.exec(POSTS);
    Some((p, db))
}

/// The fixture's table as text, to show it is left as it was.
fn snapshot(db: &TestDb, table: &str) -> Vec<String> {
    let count = db.strings(&format!(
        "SELECT CAST(COUNT(*) AS {}) FROM {table}",
        if db.kind == Kind::MySql {
            "CHAR"
        } else {
            "TEXT"
        }
    ));
    let mut columns = db.tables();
    columns.retain(|t| t == table);
    [count, columns].concat()
}

fn imports(kind: Kind, fixture: Fixture) {
    let Some((p, db)) = setup(kind, &fixture) else {
        return;
    };
    let before = snapshot(&db, fixture.table);

    // A writing command refuses, names the tool and `import`, and changes nothing.
    let refused = one_line(&expect(p.on(&db, &["up"]), 1).all());
    assert_contains(
        &refused,
        &format!("cargo migrate import --from {}", fixture.tool),
    );
    assert_contains(&refused, fixture.table);
    assert_eq!(db.tables(), {
        let mut t = vec![
            "posts".to_owned(),
            fixture.table.to_owned(),
            "users".to_owned(),
        ];
        t.sort();
        t
    });

    // `status` lists the migrations as pending here, and says why.
    let shown = one_line(&expect(p.on(&db, &["status"]), 0).all());
    assert_contains(&shown, "which cargo-migrate has not imported yet");
    let checked = one_line(&expect(p.on(&db, &["check"]), 1).all());
    assert_contains(
        &checked,
        &format!("cargo migrate import --from {}", fixture.tool),
    );

    // A dry run prints the plan and changes nothing.
    let dry = expect(
        p.on(&db, &["import", "--from", fixture.tool, "--dry-run"]),
        0,
    )
    .all();
    assert_contains(&dry, "dry run");
    assert_contains(&dry, "record 2 migration(s)");
    for (name, _) in &fixture.files {
        assert!(
            p.migrations().join(name).exists(),
            "{name} is still there after a dry run"
        );
    }

    let mut import = p.on(&db, &["import", "--from", fixture.tool]);
    import.env("CARGO_MIGRATE_USER", "erin");
    let out = expect(import, 0).all();
    assert_contains(&out, "recorded 2 migration(s) as applied");
    assert_contains(&out, &format!("DROP TABLE {}", fixture.table));

    let applied = states(&p, &db);
    assert_eq!(applied.len(), 2, "{applied:?}");
    assert!(applied.iter().all(|(_, s)| s == "applied"), "{applied:?}");
    let history = expect(p.on(&db, &["history"]), 0).all();
    assert_contains(&history, "erin (imported from");

    let up = expect(p.on(&db, &["up"]), 0).all();
    assert_contains(&up, "nothing to apply");
    expect(p.on(&db, &["check"]), 0);

    // A new migration applies on top.
    p.pair(
        "29990101000000_extra",
        "CREATE TABLE extra (id INT);\n",
        "DROP TABLE extra;\n",
    );
    expect(p.on(&db, &["up"]), 0);
    assert!(db.tables().contains(&"extra".to_owned()));
    assert_eq!(
        snapshot(&db, fixture.table),
        before,
        "the old table is left as it was"
    );

    // Importing again (another run, the files already converted) records nothing new.
    let again = expect(p.on(&db, &["import", "--from", fixture.tool]), 0).all();
    assert_contains(&again, "recorded 0 migration(s)");
}

pub fn sqlx_history_is_imported(kind: Kind) {
    imports(kind, sqlx(kind));
}

pub fn diesel_history_is_imported(kind: Kind) {
    imports(kind, diesel(kind));
}

pub fn refinery_history_is_imported(kind: Kind) {
    imports(kind, refinery(kind));
}

pub fn golang_migrate_history_is_imported(kind: Kind) {
    imports(kind, golang_migrate(kind));
}

pub fn goose_history_is_imported(kind: Kind) {
    imports(kind, goose(kind));
}

pub fn dbmate_history_is_imported(kind: Kind) {
    imports(kind, dbmate(kind));
}

pub fn flyway_history_is_imported(kind: Kind) {
    imports(kind, flyway(kind));
}

pub fn dirty_and_failed_states_and_edited_files_are_refused(kind: Kind) {
    // golang-migrate's dirty flag.
    let mut dirty = golang_migrate(kind);
    dirty.rows = vec!["INSERT INTO schema_migrations (version, dirty) VALUES (2, TRUE)".into()];
    let Some((p, db)) = setup(kind, &dirty) else {
        return;
    };
    let out = one_line(&expect(p.on(&db, &["import", "--from", "golang-migrate"]), 1).all());
    assert_contains(&out, "recorded version 2 as failed");
    assert_contains(&out, "migrate force 2");
    assert!(p.migrations().join("000001_create_users.up.sql").exists());
    assert!(!db.tables().contains(&"_cargo_migrate".to_owned()));

    // sqlx's failed row, and a file edited after sqlx applied it.
    let mut failed = sqlx(kind);
    failed.rows[1] = failed.rows[1].replace("TRUE", "FALSE");
    let Some((p, db)) = setup(kind, &failed) else {
        return;
    };
    let out = one_line(&expect(p.on(&db, &["import", "--from", "sqlx"]), 1).all());
    assert_contains(&out, "sqlx recorded version 20240102000000 as failed");
    let edited = sqlx(kind);
    let Some((p, db)) = setup(kind, &edited) else {
        return;
    };
    p.write(
        "20240101000000_create_users.up.sql",
        "CREATE TABLE users (id BIGINT);\n",
    );
    let out = one_line(&expect(p.on(&db, &["import", "--from", "sqlx"]), 1).all());
    assert_contains(&out, "edited after sqlx applied them");
    assert_contains(&out, "20240101000000");
    // Refused before anything changed: the other file is not converted yet.
    assert!(
        p.migrations()
            .join("20240102000000_create_posts.sql")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(p.migrations().join("20240102000000_create_posts.sql")).unwrap(),
        format!("-- no-transaction\n{POSTS}")
    );

    // baseline stays possible on purpose.
    let Some((p, db)) = setup(kind, &sqlx(kind)) else {
        return;
    };
    expect(p.on(&db, &["baseline", "20240101000000"]), 0);
}

pub fn verify_proves_the_history_builds_the_live_schema_or_refuses(kind: Kind) {
    // The live database is what the files build: proved, then recorded.
    let Some((p, db)) = setup(kind, &goose(kind)) else {
        return;
    };
    let out = expect(p.on(&db, &["import", "--from", "goose", "--verify"]), 0).all();
    assert_contains(&out, "Proved");
    assert_contains(&out, "recorded 2 migration(s) as applied");

    // Someone changed the live database by hand: every difference is shown per object, and
    // nothing is recorded or converted.
    let Some((p, db)) = setup(kind, &goose(kind)) else {
        return;
    };
    db.exec("ALTER TABLE users ADD extra INT");
    db.exec("CREATE TABLE handmade (id INT)");
    let out = one_line(&expect(p.on(&db, &["import", "--from", "goose", "--verify"]), 1).all());
    assert_contains(
        &out,
        "do not build the live database's schema: 2 difference(s)",
    );
    assert_contains(
        &out,
        "column users.extra: in the live database, not built by the migrations",
    );
    assert_contains(
        &out,
        "table handmade: in the live database, not built by the migrations",
    );
    assert!(p.migrations().join("00001_create_users.sql").exists());
    assert!(!db.tables().contains(&"_cargo_migrate".to_owned()));

    // baseline --verify, the same proof for a database with no tool's table.
    let Some(db) = TestDb::of(kind) else { return };
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    p.pair("2_posts", POSTS, "DROP TABLE posts;\n");
    db.exec(USERS);
    let out = one_line(&expect(p.on(&db, &["baseline", "2", "--verify"]), 1).all());
    assert_contains(
        &out,
        "table posts: built by the migrations, not in the live database",
    );
    db.exec(POSTS);
    let out = expect(p.on(&db, &["baseline", "2", "--verify"]), 0).all();
    assert_contains(&out, "Proved");
    assert_eq!(
        states(&p, &db),
        [(1, "applied".into()), (2, "applied".into())]
    );
}

/// The conversion in a git repository: the tool's files are renamed in the index, as `git mv`
/// would, so that history follows them; nothing is left untracked.
#[test]
fn import_stages_the_renames_in_git() {
    let p = Project::new();
    let dir = p.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    for (name, text) in diesel(Kind::Sqlite).files {
        let path = p.migrations().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "diesel"]);

    let dry = expect(p.cmd(&["import", "--from", "diesel", "--dry-run"]), 0).all();
    assert_contains(
        &dry,
        "2024-01-01-000000_create_users/up.sql + 2024-01-01-000000_create_users/down.sql -> 20240101000000_create_users.up.sql + 20240101000000_create_users.down.sql",
    );
    assert_eq!(
        git(dir, &["status", "--porcelain"]),
        "",
        "a dry run changes nothing"
    );

    let out = expect(p.cmd(&["import", "--from", "diesel"]), 0).all();
    assert_contains(&out, "renames staged in git");
    let staged = git(dir, &["diff", "--cached", "--name-status", "-M"]);
    assert_contains(
        &staged,
        "R100\tmigrations/2024-01-01-000000_create_users/down.sql\tmigrations/20240101000000_create_users.down.sql",
    );
    assert_contains(
        &staged,
        "D\tmigrations/2024-01-02-000000_create_posts/metadata.toml",
    );
    let status = git(dir, &["status", "--porcelain"]);
    assert!(!status.contains("??"), "nothing left untracked:\n{status}");
    assert!(
        !p.migrations()
            .join("2024-01-01-000000_create_users")
            .exists()
    );
    let up =
        std::fs::read_to_string(p.migrations().join("20240102000000_create_posts.up.sql")).unwrap();
    assert_eq!(
        up,
        format!(
            "-- migrate:no-transaction\n-- imported from diesel: 2024-01-02-000000_create_posts/up.sql\n{POSTS}"
        )
    );
    expect(p.cmd(&["lint"]), 0);
}

/// sqlx-cli's habits: `-D`, `--source`, `--target-version`, `--no-dotenv`, and sqlx.toml's
/// migrations directory and table name.
#[test]
fn sqlx_habits_and_sqlx_toml() {
    let db = TestDb::sqlite();
    let p = Project::new();
    std::fs::write(
        p.path().join("sqlx.toml"),
        "[migrate]\nmigrations-dir = \"db/migrations\"\ntable-name = \"app_sqlx_history\"\n",
    )
    .unwrap();
    let dir = p.path().join("db/migrations");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = sqlx(Kind::Sqlite);
    for (name, text) in &fixture.files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    db.exec(
        &fixture
            .create
            .replace("_sqlx_migrations", "app_sqlx_history"),
    );
    for row in &fixture.rows {
        db.exec(&row.replace("_sqlx_migrations", "app_sqlx_history"));
    }
    db.exec(USERS);
    db.exec(POSTS);

    let refused = one_line(&expect(p.cmd(&["up", "-D", &db.url]), 1).all());
    assert_contains(&refused, "app_sqlx_history");
    assert_contains(&refused, "cargo migrate import --from sqlx");
    let out = expect(p.cmd(&["import", "--from", "sqlx", "-D", &db.url]), 0).all();
    assert_contains(&out, "recorded 2 migration(s) as applied");
    assert_contains(&out, "their 2 checksums match the files");

    std::fs::write(
        dir.join("29990101000000_a.sql"),
        "CREATE TABLE a (id INT);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("29990102000000_b.sql"),
        "CREATE TABLE b (id INT);\n",
    )
    .unwrap();
    expect(
        p.cmd(&["up", "-D", &db.url, "--target-version", "29990101000000"]),
        0,
    );
    let moved = p.path().join("elsewhere");
    std::fs::rename(&dir, &moved).unwrap();
    let status = expect(
        p.cmd(&[
            "status",
            "-D",
            &db.url,
            "--source",
            "elsewhere",
            "--format",
            "json",
        ]),
        0,
    )
    .stdout;
    assert_eq!(status.matches("\"applied\"").count(), 3, "{status}");
    assert_eq!(status.matches("\"pending\"").count(), 1, "{status}");

    // A .env the project should not use this time.
    std::fs::write(
        p.path().join(".env"),
        "DATABASE_URL=postgres://nobody@127.0.0.1:1/none\n",
    )
    .unwrap();
    expect(p.cmd(&["status", "--source", "elsewhere"]), 2);
    let out = expect(
        p.cmd(&["status", "--source", "elsewhere", "--no-dotenv"]),
        0,
    )
    .all();
    assert_contains(&out, "Database sqlite:");
}

/// Rails keeps a `schema_migrations` table shaped like dbmate's, next to
/// `ar_internal_metadata`: that database is not taken for one dbmate migrated.
#[test]
fn a_rails_schema_migrations_table_is_not_taken_for_dbmate() {
    let db = TestDb::sqlite();
    let p = Project::new();
    p.pair("1_users", USERS, "DROP TABLE users;\n");
    db.exec("CREATE TABLE schema_migrations (version varchar(128) primary key)");
    db.exec("CREATE TABLE ar_internal_metadata (key varchar NOT NULL PRIMARY KEY, value varchar)");
    expect(p.on(&db, &["up"]), 0);
    assert_eq!(states(&p, &db), [(1, "applied".into())]);
}
