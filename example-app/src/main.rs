//! The example application of the workspace. Its build script checks and embeds the
//! repository's migrations (../migrations); at start-up it brings its database up to date, or,
//! with `--check`, refuses to start while any migration is not applied.
//!
//! ```text
//! example-app [--database-url URL] [--check]
//! ```
//!
//! The URL comes from `--database-url`, else `$DATABASE_URL`, else `sqlite:example-app.db`.

use std::process::ExitCode;

use cargo_migrate::embedded::Migrator;

const USAGE: &str = "usage: example-app [--database-url URL] [--check]";

struct Args {
    database_url: String,
    /// Refuse to start with pending migrations instead of applying them.
    check: bool,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("example-app: {message}\n{USAGE}");
            return ExitCode::from(cargo_migrate::exit::USAGE);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    match runtime.block_on(start(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("example-app: cannot start\n{}", error.render());
            ExitCode::from(error.exit_code())
        }
    }
}

async fn start(args: &Args) -> cargo_migrate::Result<()> {
    let migrator = Migrator::new(cargo_migrate::embedded_migrations!(), &args.database_url)?;
    if args.check {
        // Changes nothing; an error lists every migration that is not applied.
        migrator.check().await?;
    } else {
        // The same lock, checks and tracking rows as `cargo migrate up`.
        let applied = migrator
            .up_with_progress(|m| eprintln!("example-app: applying {}", m.name()))
            .await?;
        eprintln!("example-app: applied {} migration(s)", applied.len());
    }
    eprintln!("example-app: the database is up to date; serving");
    Ok(())
}

/// The arguments, `None` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let mut check = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--database-url" => {
                database_url = Some(args.next().ok_or("--database-url needs a URL")?);
            }
            "-h" | "--help" => return Ok(None),
            other => match other.strip_prefix("--database-url=") {
                Some(url) => database_url = Some(url.to_owned()),
                None => return Err(format!("unexpected argument `{other}`")),
            },
        }
    }
    Ok(Some(Args {
        database_url: database_url.unwrap_or_else(|| "sqlite:example-app.db".to_owned()),
        check,
    }))
}
