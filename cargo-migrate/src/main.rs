fn main() -> std::process::ExitCode {
    cargo_migrate::commands::main()
}
