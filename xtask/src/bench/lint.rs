//! `migrate lint` on the synthetic set, whole process: parsing, replaying and every rule.

use std::time::Duration;

use super::report::Row;
use super::{Ctx, command_row};
use crate::Result;
use crate::bench::inputs::BenchSet;

/// The target: 5,000 migrations under a second.
const TARGET_N: usize = 5000;
const TARGET: Duration = Duration::from_secs(1);

pub fn bench(ctx: &Ctx, set: &BenchSet) -> Result<Row> {
    // The URL only selects the dialect; lint never connects.
    command_row(
        ctx,
        "lint (PostgreSQL dialect)",
        ("lint", "postgres://bench@localhost/bench"),
        set,
        ctx.runs.max(3),
        (set.n == TARGET_N).then_some(TARGET),
    )
}
