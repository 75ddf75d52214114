//! End-to-end tests: the real `cargo-migrate` binary in temporary directories, against a real
//! SQLite file and, when TEST_POSTGRES_URL / TEST_MYSQL_URL are set (CI sets them), a
//! throwaway database on a real PostgreSQL and MariaDB server.

mod build_check;
mod scenarios;
mod sqlite_only;
mod support;
mod verify;

/// Runs each scenario once per database kind, as its own test.
macro_rules! on_every_database {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $scenario() { crate::scenarios::$scenario(crate::support::Kind::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $scenario() { crate::scenarios::$scenario(crate::support::Kind::Postgres) })*
        }
        mod mysql {
            $(#[test] fn $scenario() { crate::scenarios::$scenario(crate::support::Kind::MySql) })*
        }
    };
}

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
);
