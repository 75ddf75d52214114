//! `cargo migrate dump`: the database's schema, normalised, for review and for diffing two
//! environments (`diff <(cargo migrate dump --env staging) <(cargo migrate dump --env production)`).

use crate::backend::{Access, Backend};
use crate::cli::args::DumpFormat;
use crate::cli::machine;
use crate::cli::output;
use crate::commands::{Ctx, with_backend};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;

/// The JSON document of `dump`: the schema, the snapshot model (`tables`, `views`,
/// `sequences`, `types`, `functions`, `triggers`, …). It names no database, so that the
/// documents of two environments diff to their schemas' differences.
#[derive(Debug, serde::Serialize)]
struct DumpDocument<'a> {
    schema: &'a Snapshot,
}

pub async fn run(ctx: &Ctx, format: DumpFormat) -> Result<()> {
    ctx.announce_database();
    let snapshot = with_backend!(ctx.cfg.url.kind, B => read::<B>(&ctx.cfg).await?);
    let text = match format {
        DumpFormat::Sql => snapshot.to_sql(),
        DumpFormat::Json => machine::to_json("dump", &DumpDocument { schema: &snapshot }) + "\n",
    };
    output::stdout(&text);
    Ok(())
}

/// Reads the schema without creating or locking anything.
pub(crate) async fn read<B: Backend>(cfg: &Config) -> Result<Snapshot> {
    let Some(mut db) =
        crate::backend::connect::<B>(&cfg.url, Access::ReadOnly, cfg.wait, &cfg.events).await?
    else {
        return Err(Error::refused(
            format!("there is no database at {} yet", cfg.url),
            "`cargo migrate up` creates it and applies the migrations",
        ));
    };
    let snapshot = db.snapshot(&cfg.table).await;
    db.close().await;
    snapshot
}
