use sqlparser::parser::Parser;

use super::names::pg_object_name;
use super::*;

/// One effect as a line of text, the way the tests spell expectations.
pub(crate) fn render(effect: &Effect) -> String {
    match effect {
        Effect::Create {
            object,
            if_not_exists,
            or_replace,
            on,
            references,
            ..
        } => {
            let mut line = format!("create {object}");
            if let Some(on) = on {
                line += &format!(" on {on}");
            }
            if let Some(target) = references {
                line += &format!(" references {target}");
            }
            if *if_not_exists {
                line += " if not exists";
            }
            if *or_replace {
                line += " or replace";
            }
            line
        }
        Effect::Drop {
            object,
            if_exists,
            cascade,
        } => {
            let mut line = format!("drop {object}");
            if *if_exists {
                line += " if exists";
            }
            if *cascade {
                line += " cascade";
            }
            line
        }
        Effect::Rename { from, to } => format!("rename {from} -> {to}"),
        Effect::Use { object } => format!("use {object}"),
        Effect::Uncertain { object } => format!("uncertain {object}"),
        Effect::Opaque => "opaque".to_owned(),
    }
}

fn check(sql: &str, dialect: Dialect, expected: &[&str]) {
    let statements = Parser::new(&*dialect.sqlparser())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(statements.len(), 1, "{sql}");
    let got: Vec<String> = of_statement(&statements[0], dialect)
        .iter()
        .map(render)
        .collect();
    assert_eq!(got, expected, "{sql}");
}

fn pg(sql: &str, expected: &[&str]) {
    check(sql, Dialect::Postgres, expected);
}

fn mysql(sql: &str, expected: &[&str]) {
    check(sql, Dialect::MySql, expected);
}

fn sqlite(sql: &str, expected: &[&str]) {
    check(sql, Dialect::Sqlite, expected);
}

#[test]
fn names_drop_the_schema_and_fold_unquoted_case() {
    pg(
        r#"CREATE TABLE Public.Users ("Id" int, Email text)"#,
        &[
            "create table users",
            "create column users.Id",
            "create column users.email",
        ],
    );
    mysql(
        "CREATE TABLE `Users` (`Id` INT)",
        &["create table users", "create column users.id"],
    );
    sqlite(
        r#"CREATE TABLE "Users" ([Id] INT)"#,
        &["create table users", "create column users.id"],
    );
}

#[test]
fn create_table_with_postgres_implicit_constraint_names() {
    pg(
        "CREATE TABLE IF NOT EXISTS t (id serial PRIMARY KEY, email text NOT NULL UNIQUE, \
         owner int REFERENCES users (id) ON DELETE CASCADE, n int CHECK (n > 0))",
        &[
            "create table t if not exists",
            "create column t.id",
            "create constraint t.t_pkey",
            "create column t.email",
            "create constraint t.t_email_key",
            "create column t.owner",
            "use table users",
            "create constraint t.t_owner_fkey references users",
            "create column t.n",
            "create constraint t.t_n_check",
        ],
    );
}

#[test]
fn create_table_level_constraints() {
    pg(
        "CREATE TABLE t (a int, b int, parent int, PRIMARY KEY (a, b), UNIQUE (a, b), \
         FOREIGN KEY (a, b) REFERENCES u (x, y), FOREIGN KEY (parent) REFERENCES t (a), \
         CHECK (a > 0), CHECK (a < b), CHECK (1 = 1), CONSTRAINT named CHECK (b > 0))",
        &[
            "create table t",
            "create column t.a",
            "create column t.b",
            "create column t.parent",
            "create constraint t.t_pkey",
            "create constraint t.t_a_b_key",
            "use table u",
            "create constraint t.t_a_b_fkey references u",
            "create constraint t.t_parent_fkey references t",
            "create constraint t.t_a_check",
            "create constraint t.t_check",
            "create constraint t.t_check1",
            "create constraint t.named",
        ],
    );
}

#[test]
fn named_inline_constraints_keep_their_names() {
    pg(
        "CREATE TABLE t (a int CONSTRAINT a_pk PRIMARY KEY, b int CONSTRAINT b_fk REFERENCES u)",
        &[
            "create table t",
            "create column t.a",
            "create constraint t.a_pk",
            "create column t.b",
            "use table u",
            "create constraint t.b_fk references u",
        ],
    );
}

#[test]
fn long_implicit_names_are_truncated_like_postgres() {
    let table = "a".repeat(40);
    let column = "b".repeat(40);
    let name = pg_object_name(&table, Some(&column), "key");
    assert_eq!(name.len(), 63);
    assert_eq!(name, format!("{}_{}_key", "a".repeat(29), "b".repeat(29)));
    assert_eq!(pg_object_name("t", None, "pkey"), "t_pkey");
}

#[test]
fn unnamed_constraints_outside_postgres_create_nothing_but_still_use_targets() {
    sqlite(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER REFERENCES u (id), \
         CONSTRAINT c CHECK (id > 0), UNIQUE (u))",
        &[
            "create table t",
            "create column t.id",
            "create column t.u",
            "use table u",
            "create constraint t.c",
        ],
    );
    mysql(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, UNIQUE KEY uk_a (a), \
         KEY idx_a (a), INDEX (a), CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id), \
         FOREIGN KEY (a) REFERENCES v (id))",
        &[
            "create table t",
            "create column t.id",
            "create constraint t.primary",
            "create column t.a",
            "create index uk_a on t",
            "create index idx_a on t",
            "use table u",
            "create constraint t.fk references u",
            "use table v",
        ],
    );
}

#[test]
fn custom_types_are_used_but_builtins_are_not() {
    pg(
        "CREATE TABLE t (a mood, b public.mood[], c serial, d citext, e inet, f pg_catalog.foo)",
        &[
            "create table t",
            "use type mood",
            "create column t.a",
            "use type mood",
            "create column t.b",
            "create column t.c",
            "create column t.d",
            "create column t.e",
            "create column t.f",
        ],
    );
}

#[test]
fn create_table_as_like_partition_of() {
    pg(
        "CREATE TABLE t AS SELECT * FROM u",
        &["create table t", "uncertain table t"],
    );
    pg(
        "CREATE TABLE t (LIKE u)",
        &["create table t", "use table u", "uncertain table t"],
    );
    pg(
        "CREATE TABLE t PARTITION OF p FOR VALUES IN (1)",
        &["create table t", "use table p", "uncertain table t"],
    );
    mysql(
        "CREATE TABLE t LIKE u",
        &["create table t", "use table u", "uncertain table t"],
    );
}

#[test]
fn alter_table_columns() {
    pg(
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS a mood REFERENCES u (id), \
         DROP COLUMN IF EXISTS b CASCADE, RENAME COLUMN c TO d",
        &[
            "use table t",
            "use type mood",
            "create column t.a if not exists",
            "use table u",
            "create constraint t.t_a_fkey references u",
            "drop column t.b if exists cascade",
            "rename column t.c -> column t.d",
        ],
    );
    pg(
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b TYPE mood USING b::mood",
        &[
            "use table t",
            "use column t.a",
            "use column t.b",
            "use type mood",
        ],
    );
    pg(
        "ALTER TABLE t ADD COLUMN n int CHECK (n > 0)",
        &[
            "use table t",
            "create column t.n",
            "create constraint t.t_n_check",
        ],
    );
}

#[test]
fn alter_table_constraints() {
    pg(
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
        &[
            "use table t",
            "use table u",
            "create constraint t.fk references u",
        ],
    );
    pg(
        "ALTER TABLE t ADD PRIMARY KEY (id), ADD UNIQUE (a), ADD CHECK (a > 0), \
         ADD CHECK (status IN ('a', 'b'))",
        &[
            "use table t",
            "create constraint t.t_pkey",
            "create constraint t.t_a_key",
            "create constraint t.t_a_check",
        ],
    );
    pg(
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS c CASCADE, RENAME CONSTRAINT a TO b, \
         VALIDATE CONSTRAINT v",
        &[
            "use table t",
            "drop constraint t.c if exists cascade",
            "rename constraint t.a -> constraint t.b",
            "use constraint t.v",
        ],
    );
    pg(
        "ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX idx",
        &["use table t", "use index idx", "create constraint t.c"],
    );
}

#[test]
fn alter_table_rename_and_unmodelled_operations() {
    pg(
        "ALTER TABLE IF EXISTS public.t RENAME TO u",
        &["use table t", "rename table t -> table u"],
    );
    pg(
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY, OWNER TO bob",
        &["use table t"],
    );
    pg(
        "ALTER TABLE t SWAP WITH u",
        &["use table t", "uncertain table t"],
    );
}

#[test]
fn alter_table_mysql_specifics() {
    mysql(
        "ALTER TABLE t DROP FOREIGN KEY fk, DROP INDEX idx, DROP PRIMARY KEY",
        &[
            "use table t",
            "drop constraint t.fk",
            "drop index idx",
            "drop constraint t.primary",
        ],
    );
    mysql(
        "ALTER TABLE t CHANGE COLUMN a b BIGINT NOT NULL, CHANGE c c INT, MODIFY COLUMN d TEXT",
        &[
            "use table t",
            "use column t.a",
            "rename column t.a -> column t.b",
            "use column t.c",
            "use column t.d",
        ],
    );
    mysql(
        "ALTER TABLE t ADD UNIQUE KEY uk (a), ADD INDEX idx (b), ADD COLUMN c INT AFTER b, \
         ALGORITHM = INPLACE",
        &[
            "use table t",
            "create index uk on t",
            "create index idx on t",
            "create column t.c",
        ],
    );
    mysql(
        "ALTER TABLE t RENAME TO u, ADD COLUMN x INT",
        &[
            "use table t",
            "rename table t -> table u",
            "create column u.x",
        ],
    );
}

#[test]
fn drop_statements_one_effect_per_name() {
    pg(
        "DROP TABLE IF EXISTS a, public.b CASCADE",
        &[
            "drop table a if exists cascade",
            "drop table b if exists cascade",
        ],
    );
    pg("DROP VIEW v", &["drop view v"]);
    pg(
        "DROP MATERIALIZED VIEW IF EXISTS mv",
        &["drop view mv if exists"],
    );
    pg(
        "DROP INDEX IF EXISTS a, b",
        &["drop index a if exists", "drop index b if exists"],
    );
    pg("DROP SEQUENCE s", &["drop sequence s"]);
    pg(
        "DROP TYPE IF EXISTS mood CASCADE",
        &["drop type mood if exists cascade"],
    );
    pg("DROP SCHEMA s CASCADE", &["drop schema s cascade"]);
    pg("DROP DOMAIN IF EXISTS d", &["drop type d if exists"]);
    pg(
        "DROP FUNCTION IF EXISTS f(int), g",
        &["drop function f if exists", "drop function g if exists"],
    );
    pg("DROP PROCEDURE p CASCADE", &["drop function p cascade"]);
    pg(
        "DROP TRIGGER IF EXISTS trg ON t",
        &["use table t", "drop trigger trg if exists"],
    );
    pg(
        "DROP EXTENSION IF EXISTS a, b CASCADE",
        &[
            "drop extension a if exists cascade",
            "drop extension b if exists cascade",
        ],
    );
    pg("DROP ROLE r", &[]);
    mysql("DROP INDEX idx ON t", &["use table t", "drop index idx"]);
    mysql(
        "DROP TEMPORARY TABLE IF EXISTS t",
        &["drop table t if exists"],
    );
    sqlite("DROP TRIGGER trg", &["drop trigger trg"]);
}

#[test]
fn create_index() {
    pg(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON public.t USING btree \
         (a, lower(b)) INCLUDE (c) WHERE d IS NULL",
        &[
            "use table t",
            "use column t.a",
            "use column t.c",
            "create index idx on t if not exists",
        ],
    );
    pg(
        "CREATE INDEX ON t (a, lower(b))",
        &[
            "use table t",
            "use column t.a",
            "create index t_a_expr_idx on t",
        ],
    );
    sqlite(
        "CREATE INDEX idx ON t (a COLLATE NOCASE DESC)",
        &["use table t", "create index idx on t"],
    );
}

#[test]
fn renames() {
    pg(
        "ALTER INDEX idx RENAME TO idx2",
        &["rename index idx -> index idx2"],
    );
    mysql(
        "RENAME TABLE a TO b, c TO d",
        &["rename table a -> table b", "rename table c -> table d"],
    );
    pg(
        "ALTER TYPE mood RENAME TO feeling",
        &["rename type mood -> type feeling"],
    );
    pg(
        "ALTER FUNCTION f(int) RENAME TO g",
        &["rename function f -> function g"],
    );
    pg(
        "ALTER SCHEMA s RENAME TO t",
        &["rename schema s -> schema t"],
    );
}

#[test]
fn views() {
    pg(
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        &["create view v or replace"],
    );
    pg(
        "CREATE MATERIALIZED VIEW mv AS SELECT 1",
        &["create view mv"],
    );
    sqlite(
        "CREATE VIEW IF NOT EXISTS v AS SELECT 1",
        &["create view v if not exists"],
    );
    pg("ALTER VIEW v AS SELECT 2", &["use view v"]);
}

#[test]
fn types_sequences_and_extensions() {
    pg("CREATE TYPE mood AS ENUM ('a', 'b')", &["create type mood"]);
    pg(
        "CREATE TYPE pair AS (a mood, b int)",
        &["use type mood", "create type pair"],
    );
    pg(
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'c'",
        &["use type mood"],
    );
    pg(
        "CREATE DOMAIN email AS text CHECK (VALUE ~ '@')",
        &["create type email"],
    );
    pg(
        "CREATE SEQUENCE IF NOT EXISTS s OWNED BY t.id",
        &["create sequence s on t if not exists", "use column t.id"],
    );
    pg(
        "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"",
        &["create extension uuid-ossp if not exists"],
    );
}

#[test]
fn routines_and_triggers() {
    pg(
        "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ \
         LANGUAGE plpgsql",
        &["create function f or replace"],
    );
    pg(
        "CREATE TRIGGER trg BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION f()",
        &["use table t", "create trigger trg on t"],
    );
    mysql(
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END",
        &["use table t", "create trigger trg on t"],
    );
    sqlite(
        "CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; END",
        &["use table t", "create trigger trg on t"],
    );
}

#[test]
fn schemas() {
    pg(
        "CREATE SCHEMA IF NOT EXISTS s",
        &["create schema s if not exists"],
    );
    pg("CREATE SCHEMA AUTHORIZATION bob", &["create schema bob"]);
    pg("ALTER SCHEMA s OWNER TO bob", &["use schema s"]);
}

#[test]
fn data_statements_use_their_table() {
    pg(
        "INSERT INTO public.t (a) VALUES (1) ON CONFLICT DO NOTHING",
        &["use table t"],
    );
    pg(
        "UPDATE t SET a = u.b FROM u WHERE t.id = u.id",
        &["use table t"],
    );
    pg("DELETE FROM t USING u WHERE t.id = u.id", &["use table t"]);
    mysql("DELETE t FROM t JOIN u ON t.id = u.id", &["use table t"]);
    pg(
        "TRUNCATE a, b RESTART IDENTITY",
        &["use table a", "use table b"],
    );
    pg("COPY t (a) FROM STDIN", &["use table t"]);
    pg("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", &["use table t"]);
    pg(
        "MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE",
        &["use table t"],
    );
}

#[test]
fn comments_use_their_object() {
    pg("COMMENT ON TABLE public.t IS 'x'", &["use table t"]);
    pg(
        "COMMENT ON COLUMN public.t.a IS NULL",
        &["use table t", "use column t.a"],
    );
    pg("COMMENT ON INDEX idx IS 'x'", &["use index idx"]);
    pg("COMMENT ON TYPE mood IS 'x'", &["use type mood"]);
    pg("COMMENT ON ROLE r IS 'x'", &[]);
}

#[test]
fn policies_use_their_table() {
    pg("CREATE POLICY p ON t USING (true)", &["use table t"]);
    pg("DROP POLICY IF EXISTS p ON t", &["use table t"]);
}

#[test]
fn code_with_unknown_effects_is_opaque() {
    pg("CALL p(1)", &["opaque"]);
    pg("EXECUTE stmt(1)", &["opaque"]);
    mysql("CALL p()", &["opaque"]);
}

#[test]
fn statements_without_schema_effects() {
    for sql in [
        "SELECT 1",
        "SET search_path TO a, b",
        "GRANT SELECT ON t TO bob",
        "REVOKE ALL ON t FROM PUBLIC",
        "BEGIN",
        "COMMIT",
        "CREATE ROLE r",
        "SHOW search_path",
    ] {
        pg(sql, &[]);
    }
    sqlite("PRAGMA foreign_keys = 1", &[]);
    mysql("SET FOREIGN_KEY_CHECKS = 0", &[]);
}

#[test]
fn sqlite_virtual_table() {
    sqlite(
        "CREATE VIRTUAL TABLE ft USING fts5(a, b)",
        &["create table ft", "uncertain table ft"],
    );
}

/// Forms sqlparser 0.64 parses that the unparsed-form registry used to recognise: the parsed
/// statements have the effects the forms had.
#[test]
fn forms_sqlparser_now_parses() {
    let pg = Dialect::Postgres;
    let cases: &[(&str, &[&str])] = &[
        (
            "ALTER TRIGGER trg ON t RENAME TO trg2",
            &["use table t", "rename trigger trg -> trigger trg2"],
        ),
        ("ALTER VIEW v RENAME TO w", &["rename view v -> view w"]),
        (
            "ALTER MATERIALIZED VIEW IF EXISTS v RENAME TO w",
            &["rename view v -> view w"],
        ),
        ("ALTER VIEW v OWNER TO r", &["use view v"]),
        (
            "ALTER TABLE t ATTACH PARTITION p FOR VALUES FROM (1) TO (2)",
            &["use table t", "uncertain table t"],
        ),
        (
            "ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO r",
            &[],
        ),
        (
            "CREATE SEQUENCE s START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1",
            &["create sequence s"],
        ),
        (
            "CREATE SEQUENCE s AS integer OWNED BY t.id",
            &["create sequence s on t", "use column t.id"],
        ),
        (
            "CREATE EXTENSION IF NOT EXISTS ltree SCHEMA public",
            &["create extension ltree if not exists"],
        ),
        ("CREATE AGGREGATE a (int) (sfunc = f, stype = int)", &[]),
        ("CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING", &[]),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY v", &[]),
        ("SELECT", &[]),
        ("ALTER TABLE t RESET (fillfactor)", &["use table t"]),
        ("ALTER TABLE t SET (fillfactor = 70)", &["use table t"]),
    ];
    for (sql, expected) in cases {
        check(sql, pg, expected);
    }
}
