// `cargo build` fails here, with a rendered report, when a migration in ../migrations is
// invalid; warnings show as cargo warnings.
fn main() {
    build_support::check_migrations("../migrations");
}
