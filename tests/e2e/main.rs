//! End-to-end tests: the real `cargo-migrate` binary in temporary directories, against a real
//! SQLite file and, when TEST_POSTGRES_URL / TEST_MYSQL_URL are set (CI sets them), a
//! throwaway database on a real PostgreSQL and MariaDB server.

/// Runs each scenario of the module it is called in once per database kind, as its own test
/// (`<module>::sqlite::<scenario>`, `<module>::postgres::…`, `<module>::mysql::…`). Defined
/// before the modules so that each of them can use it.
macro_rules! on_every_database {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $scenario() { super::$scenario(crate::support::Kind::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $scenario() { super::$scenario(crate::support::Kind::Postgres) })*
        }
        mod mysql {
            $(#[test] fn $scenario() { super::$scenario(crate::support::Kind::MySql) })*
        }
    };
}

/// `#[test]`s of `scenario(kind)` on the servers only (what SQLite has no counterpart for: a
/// network connection, a server session, a schema-qualified table).
macro_rules! on_servers {
    ($($scenario:ident),* $(,)?) => {
        mod postgres {
            $(#[test] fn $scenario() { super::$scenario(crate::support::Kind::Postgres) })*
        }
        mod mysql {
            $(#[test] fn $scenario() { super::$scenario(crate::support::Kind::MySql) })*
        }
    };
}

mod build_check;
mod explain;
mod gate;
mod git;
mod import;
mod machine;
mod online_ddl;
mod runtime;
mod safety;
mod scenarios;
mod sqlite_only;
mod support;
mod test_db;
mod verify;
