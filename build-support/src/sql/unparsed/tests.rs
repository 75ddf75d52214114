use sqlparser::parser::Parser;

use super::*;

/// `sql` is rejected by sqlparser, recognised as `form`, with these effects (as `Debug`
/// text fragments that must all appear).
fn check(dialect: Dialect, sql: &str, form: &str, effects: &[&str]) {
    let parsed = Parser::new(&*dialect.sqlparser())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements());
    assert!(
        parsed.is_err(),
        "sqlparser now parses {sql:?}: the form may be unnecessary"
    );
    let r = recognize(sql, dialect).unwrap_or_else(|| panic!("not recognised: {sql}"));
    assert_eq!(r.id, form, "{sql}");
    let shown = format!("{:?}", r.effects);
    for e in effects {
        assert!(shown.contains(e), "{sql}: {e} not in {shown}");
    }
}

fn rejected(dialect: Dialect, sql: &str) {
    assert!(
        recognize(sql, dialect).is_none(),
        "wrongly recognised: {sql}"
    );
}

#[test]
fn postgres_forms() {
    let pg = Dialect::Postgres;
    check(pg, "DO $$ BEGIN PERFORM 1; END $$", "do-block", &["Opaque"]);
    check(
        pg,
        "DROP INDEX CONCURRENTLY IF EXISTS a, s.b CASCADE",
        "drop-index-concurrently",
        &["name: \"a\"", "name: \"b\"", "if_exists: true"],
    );
    check(
        pg,
        "REINDEX INDEX CONCURRENTLY i",
        "reindex-concurrently",
        &[],
    );
    check(pg, "REINDEX TABLE t", "reindex", &[]);
    check(
        pg,
        "ALTER SEQUENCE s OWNED BY t.id",
        "alter-sequence",
        &["Use", "Sequence"],
    );
    check(
        pg,
        "ALTER SEQUENCE s RENAME TO s2",
        "alter-sequence",
        &["Rename", "\"s2\""],
    );
    check(
        pg,
        "ALTER MATERIALIZED VIEW v SET TABLESPACE fast",
        "alter-view-rename",
        &["Use", "\"v\""],
    );
    check(
        pg,
        "ALTER TABLE t ALTER CONSTRAINT t_fk NOT DEFERRABLE",
        "alter-table-extra",
        &["Uncertain"],
    );
    check(
        pg,
        "ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a",
        "alter-table-extra",
        &["Constraint", "\"t_a_nn\""],
    );
    check(
        pg,
        "ALTER TABLE t ALTER COLUMN c SET STATISTICS 100",
        "alter-table-extra",
        &["Column"],
    );
    check(pg, "ALTER EXTENSION x UPDATE", "alter-other-object", &[]);
    check(
        pg,
        "CREATE UNLOGGED SEQUENCE s",
        "create-sequence-options",
        &["Sequence"],
    );
    check(
        pg,
        "CREATE TABLE t (LIKE u INCLUDING ALL)",
        "create-table-extra",
        &["Table", "Uncertain"],
    );
    check(
        pg,
        "CREATE TABLE t (a int, CONSTRAINT t_a_nn NOT NULL a)",
        "create-table-extra",
        &["Table"],
    );
    check(
        pg,
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN END $$",
        "create-routine",
        &["Function", "\"p\""],
    );
    check(
        pg,
        "CREATE CAST (text AS int) WITH INOUT",
        "create-other-object",
        &[],
    );
    check(
        pg,
        "CREATE PUBLICATION p FOR TABLE t",
        "create-other-object",
        &[],
    );
    check(pg, "VACUUM ANALYZE t", "maintenance", &[]);
    check(pg, "CLUSTER t USING i", "maintenance", &[]);
    check(pg, "SECURITY LABEL ON TABLE t IS 'x'", "maintenance", &[]);
}

#[test]
fn mysql_and_sqlite_forms() {
    let my = Dialect::MySql;
    check(
        my,
        "ALTER TABLE t ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4",
        "alter-table-extra",
        &["Uncertain"],
    );
    check(
        my,
        "ALTER TABLE t RENAME t_old",
        "alter-table-extra",
        &["Rename", "\"t_old\""],
    );
    check(
        my,
        "ALTER TABLE t RENAME INDEX a TO b",
        "alter-table-extra",
        &["Index", "\"b\""],
    );
    check(
        my,
        "CREATE PROCEDURE p(IN x INT) BEGIN IF x > 0 THEN SELECT 1; END IF; END",
        "create-routine",
        &["Function"],
    );
    check(
        my,
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
        "create-trigger",
        &["Trigger", "on: Some(\"t\")"],
    );
    check(
        my,
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
        "create-event",
        &[],
    );
    check(
        my,
        "CREATE FULLTEXT INDEX idx ON t (name)",
        "create-fulltext-index",
        &["Index", "\"idx\""],
    );
    check(my, "PREPARE stmt FROM @q", "dynamic-sql", &[]);
    let lite = Dialect::Sqlite;
    check(lite, "PRAGMA foreign_keys = off", "pragma", &[]);
    check(lite, "REINDEX", "reindex", &[]);
    check(
        lite,
        "CREATE TABLE c (a INT, b INT, CONSTRAINT f1 FOREIGN KEY (a) REFERENCES p(id) ON DELETE NO ACTION\n CONSTRAINT f2 FOREIGN KEY (b) REFERENCES p(id))",
        "create-table-extra",
        &["\"f1\"", "\"f2\"", "Column"],
    );
}

#[test]
fn malformed_statements_stay_unrecognised() {
    let pg = Dialect::Postgres;
    rejected(pg, "CREATE TABLE a (id int)\nCREATE TABLE b (id int)");
    rejected(
        pg,
        "ALTER TABLE t ADD COLUMN x int\nCREATE INDEX i ON t (x)",
    );
    rejected(pg, "ALTER TABLE t DROP IF EXISTS COLUMN x");
    rejected(pg, "DROP INDEX CONCURRENTLY i\nDROP TABLE t");
    rejected(pg, "CRATE TABLE t (id int)");
    rejected(pg, "ALTER TABLE t FROBNICATE");
    rejected(
        pg,
        "ALTER TABLE t ALTER CONSTRAINT c DEFERRABLE, DROP IF EXISTS COLUMN x",
    );
    rejected(
        pg,
        "CREATE TABLE t (a int, CONSTRAINT t_a_nn NOT NULL a, b)",
    );
    rejected(pg, "SELECT 1 2");
    rejected(Dialect::MySql, "ALTER TABLE t RENAME t2 extra");
}

/// The parser gaps issue 10 found in real histories: (dialect, statement, form, effects).
#[test]
fn parser_gaps_of_real_histories() {
    let (pg, my) = (Dialect::Postgres, Dialect::MySql);
    let cases: &[(Dialect, &str, &str, &[&str])] = &[
        (
            pg,
            "ALTER TABLE accounts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (RESTART 100)",
            "alter-table-extra",
            &["Column", "name: \"id\", parent: Some(\"accounts\")"],
        ),
        (
            pg,
            "ALTER TABLE accounts ALTER id RESTART WITH 7, ALTER COLUMN note SET NOT NULL",
            "alter-table-extra",
            &["\"id\"", "\"note\""],
        ),
        (
            pg,
            "ALTER TABLE accounts ALTER COLUMN id SET GENERATED BY DEFAULT",
            "alter-table-extra",
            &["\"id\""],
        ),
        (
            pg,
            "ALTER TABLE accounts ALTER COLUMN id DROP IDENTITY IF EXISTS",
            "alter-table-extra",
            &["\"id\""],
        ),
        (
            pg,
            "CREATE INDEX IF NOT EXISTS readings_at ON ONLY readings USING btree (taken_at)",
            "create-index-on-only",
            &["Create", "Index", "\"readings_at\"", "Some(\"readings\")"],
        ),
        (
            my,
            "CREATE TABLE tags (label VARCHAR(40) BINARY NOT NULL, body TEXT BINARY, id INT)",
            "binary-attribute",
            &["Create", "\"tags\"", "\"label\"", "\"body\""],
        ),
        (
            my,
            "ALTER TABLE tags MODIFY label CHAR(8) BINARY",
            "binary-attribute",
            &["\"tags\""],
        ),
        (
            my,
            "ALTER TABLE tags DROP KEY tags_label",
            "alter-table-extra",
            &["Drop", "\"tags_label\""],
        ),
        (
            my,
            "ALTER TABLE tags ADD COLUMN (color VARCHAR(7), weight INT NOT NULL DEFAULT 0)",
            "alter-table-extra",
            &["Create", "\"color\"", "\"weight\""],
        ),
        (
            my,
            "ALTER TABLE tags ADD (color VARCHAR(7)), DROP KEY tags_label",
            "alter-table-extra",
            &["\"color\"", "\"tags_label\""],
        ),
        (
            my,
            "DROP INDEX tags_label ON tags ALGORITHM=INPLACE LOCK=NONE",
            "drop-index-options",
            &["Drop", "\"tags_label\""],
        ),
        (
            my,
            "DROP INDEX tags_label ON tags LOCK DEFAULT",
            "drop-index-options",
            &["Drop", "\"tags_label\""],
        ),
    ];
    for (dialect, sql, form, effects) in cases {
        check(*dialect, sql, form, effects);
    }
    // Not these: `BINARY` as a type or an operator, an option that is not one.
    rejected(my, "CREATE TABLE t (a BINARY(16) BINARY)");
    rejected(my, "DROP INDEX i ON t ALGORITHM=INPLACE FORCE");
    rejected(pg, "CREATE INDEX i ON ONLY");
}
