//! The example application of the workspace. Its build script checks the repository's
//! migrations, so `cargo build` at the root refuses to build when one of them is invalid.

fn main() {
    println!("example-app: built against checked migrations (see build.rs)");
}
