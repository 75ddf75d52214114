//! `migrate lint` on the synthetic set, whole process: parsing, replaying and every rule; its
//! time and, where GNU time is installed, its peak memory against the input's size.

use std::time::Duration;

use super::report::{Row, Samples};
use super::{Ctx, human, progress, time_with_peak};
use crate::Result;
use crate::bench::inputs::BenchSet;

/// Issue 16's targets, whole process: 5,000 migrations under half a second and 20,000 under
/// two; peak memory at most 20× the input plus 50 MB, and under 150 MiB at 20,000.
const TARGETS: &[(usize, Duration)] = &[
    (5000, Duration::from_millis(500)),
    (20_000, Duration::from_secs(2)),
];
const MEMORY_CAP_N: usize = 20_000;
const MEMORY_CAP_KIB: usize = 150 * 1024;

pub fn bench(ctx: &Ctx, set: &BenchSet) -> Result<Vec<Row>> {
    let mut samples = Samples::default();
    let mut peak = None;
    for _ in 0..ctx.runs.max(3) {
        // The URL only selects the dialect; lint never connects.
        let mut cmd = ctx.migrate(
            "lint",
            "postgres://bench@localhost/bench",
            &set.migrations(),
        );
        let (time, rss) = time_with_peak(&mut cmd, "cargo-migrate migrate lint")?;
        samples.push(time);
        peak = peak.max(rss);
    }
    progress(&format!(
        "lint N={}: median {}, min {}",
        set.n,
        human(samples.median()),
        human(samples.min())
    ));
    let target = TARGETS.iter().find(|(n, _)| *n == set.n).map(|(_, t)| *t);
    let mut rows = vec![Row::Status {
        benchmark: "lint (PostgreSQL dialect)",
        n: set.n,
        samples: samples.clone(),
        target,
    }];
    let squawk = squawk(ctx, set)?;
    if let Some((squawk_samples, _)) = &squawk {
        rows.push(Row::Compare {
            benchmark: "lint vs squawk (floor: squawk, up files)",
            n: set.n,
            floor: squawk_samples.clone(),
            ours: samples,
            target: 1.0,
        });
    }
    if let Some(kib) = peak {
        if let Some((_, Some(squawk_kib))) = squawk {
            rows.push(Row::Memory {
                benchmark: "lint peak RSS (target: squawk's)",
                n: set.n,
                kib,
                target_kib: squawk_kib,
            });
        }
        let input = input_bytes(&set.migrations());
        let mut target_kib = (20 * input + 50_000_000) / 1024;
        if set.n == MEMORY_CAP_N {
            target_kib = target_kib.min(MEMORY_CAP_KIB);
        }
        rows.push(Row::Memory {
            benchmark: "lint peak RSS",
            n: set.n,
            kib,
            target_kib,
        });
    }
    Ok(rows)
}

/// squawk (`squawk-cli` on PyPI), the peer, on the same set's up scripts (it has no down
/// scripts to read), when it is on PATH: its samples and peak memory; `None` without it.
fn squawk(ctx: &Ctx, set: &BenchSet) -> Result<Option<(Samples, Option<usize>)>> {
    if crate::process::require("squawk", "pip install squawk-cli").is_err() {
        progress("squawk is not on PATH (pip install squawk-cli): no lint row against it");
        return Ok(None);
    }
    let mut samples = Samples::default();
    let mut peak = None;
    let files = set.migrations().join("*.up.sql");
    for _ in 0..ctx.runs.max(3) {
        let mut cmd = std::process::Command::new("squawk");
        // squawk expands the glob itself.
        cmd.arg("--pg-version")
            .arg("15")
            .arg(&files)
            .current_dir(&ctx.work_dir);
        let (time, rss) = time_with_peak(&mut cmd, "squawk")?;
        samples.push(time);
        peak = peak.max(rss);
    }
    progress(&format!(
        "squawk N={}: median {}",
        set.n,
        human(samples.median())
    ));
    Ok(Some((samples, peak)))
}

/// The bytes of every file in the directory.
fn input_bytes(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len() as usize)
        .sum()
}
