//! `migrate lint` on the synthetic set, whole process: parsing, replaying and every rule.

use std::time::Duration;

use super::report::{Row, Samples};
use super::{Ctx, human, progress};
use crate::Result;
use crate::bench::inputs::BenchSet;
use crate::process;

/// The target: 5,000 migrations under a second.
const TARGET_N: usize = 5000;
const TARGET: Duration = Duration::from_secs(1);

pub fn bench(ctx: &Ctx, set: &BenchSet) -> Result<Row> {
    let mut samples = Samples::default();
    for _ in 0..ctx.runs.max(3) {
        // The URL only selects the dialect; lint never connects.
        let mut cmd = ctx.migrate(
            "lint",
            "postgres://bench@localhost/bench",
            &set.migrations(),
        );
        samples.push(process::time(&mut cmd, "cargo-migrate migrate lint")?);
    }
    progress(&format!(
        "lint N={}: median {}, min {}",
        set.n,
        human(samples.median()),
        human(samples.min())
    ));
    Ok(Row::Status {
        benchmark: "lint (PostgreSQL dialect)",
        n: set.n,
        samples,
        target: (set.n == TARGET_N).then_some(TARGET),
    })
}
