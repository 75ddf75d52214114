// `cargo build` fails here, with a rendered report, when a migration in ../migrations is
// invalid; warnings show as cargo warnings. The checked files are then embedded for
// `cargo_migrate::embedded_migrations!()` in main.rs.
fn main() {
    cargo_migrate_build_support::embed_migrations("../migrations");
}
