//! `cargo migrate verify`: proves, in a scratch database, that each down script undoes its up
//! script (SPEC §8). The engine is [`crate::verify`]; this command refuses a protected
//! environment, cancels the run on Ctrl-C and prints the report.

use build_support::MigrationSet;

use crate::cli::args::VerifyArgs;
use crate::cli::report;
use crate::commands::{Ctx, protect};
use crate::error::Result;
use crate::verify::Options;

pub async fn run(ctx: &Ctx, args: &VerifyArgs) -> Result<()> {
    ctx.announce_database();
    protect::refuse_scratch(ctx)?;
    let set = ctx.load_strict()?;
    verify(ctx, &set, &args.into()).await
}

/// Verifies a loaded, valid migration set (for `verify` and `check --verify`).
pub async fn verify(ctx: &Ctx, set: &MigrationSet, options: &Options) -> Result<()> {
    let report =
        crate::verify::verify(&ctx.cfg, set, options, ctrl_c(), report::verify_problem).await?;
    report::verify_outcome(report)
}

/// Completes on Ctrl-C; never, where signals cannot be handled. The handler is installed when
/// the engine first polls it, before it creates the scratch database.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
