//! Timings and the final markdown table.

use std::fmt::Write as _;
use std::time::Duration;

use super::human;

/// KiB as MiB for people: `183.6 MiB`.
fn mib(kib: usize) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The timings of one measurement, in run order.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn last(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }

    pub fn min(&self) -> Duration {
        self.0.iter().copied().min().unwrap_or_default()
    }

    pub fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    /// `min–max over N runs`, to show how noisy the median is.
    fn spread(&self) -> String {
        format!(
            "{}–{} over {} run(s)",
            human(self.min()),
            human(self.max()),
            self.0.len()
        )
    }

    /// The median (the mean of the middle two for an even count).
    pub fn median(&self) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        match sorted.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub enum Row {
    /// cargo-migrate against the floor; `target` is the highest acceptable ratio.
    Compare {
        benchmark: &'static str,
        n: usize,
        floor: Samples,
        ours: Samples,
        target: f64,
    },
    /// cargo-migrate alone; `target` is the highest acceptable median, if there is one.
    Status {
        benchmark: &'static str,
        n: usize,
        samples: Samples,
        target: Option<Duration>,
    },
    /// The highest peak resident memory of cargo-migrate's runs, in KiB, and its target.
    Memory {
        benchmark: &'static str,
        n: usize,
        kib: usize,
        target_kib: usize,
    },
}

impl Row {
    /// `Some(met)` when the row has a target.
    fn met(&self) -> Option<bool> {
        match self {
            Row::Compare { target, .. } => Some(self.ratio().is_some_and(|r| r <= *target)),
            Row::Status {
                samples, target, ..
            } => target.map(|t| samples.median() < t),
            Row::Memory {
                kib, target_kib, ..
            } => Some(kib <= target_kib),
        }
    }

    fn ratio(&self) -> Option<f64> {
        match self {
            Row::Compare { floor, ours, .. } if !floor.median().is_zero() => {
                Some(ours.median().as_secs_f64() / floor.median().as_secs_f64())
            }
            _ => None,
        }
    }

    fn cells(&self) -> [String; 6] {
        let verdict = match self.met() {
            Some(true) => " ✓",
            Some(false) => " ✗",
            None => "",
        };
        match self {
            Row::Compare {
                benchmark,
                n,
                floor,
                ours,
                target,
            } => [
                (*benchmark).to_owned(),
                n.to_string(),
                human(floor.median()),
                human(ours.median()),
                self.ratio().map_or("—".into(), |r| format!("{r:.3}×")),
                format!("≤ {target:.2}×{verdict}"),
            ],
            Row::Status {
                benchmark,
                n,
                samples,
                target,
            } => [
                (*benchmark).to_owned(),
                n.to_string(),
                "—".into(),
                format!("{} (min {})", human(samples.median()), human(samples.min())),
                "—".into(),
                target.map_or("—".into(), |t| format!("< {}{verdict}", human(t))),
            ],
            Row::Memory {
                benchmark,
                n,
                kib,
                target_kib,
            } => [
                (*benchmark).to_owned(),
                n.to_string(),
                "—".into(),
                mib(*kib),
                "—".into(),
                format!("≤ {}{verdict}", mib(*target_kib)),
            ],
        }
    }

    /// A sentence for the status lines under the table.
    fn summary(&self) -> Option<String> {
        let met = self.met()?;
        let word = if met { "met" } else { "MISSED" };
        Some(match self {
            Row::Compare {
                benchmark,
                n,
                floor,
                ours,
                target,
            } => {
                let ratio = self.ratio().unwrap_or(f64::NAN);
                let (how, pct) = if ratio >= 1.0 {
                    ("slower", (ratio - 1.0) * 100.0)
                } else {
                    ("faster", (1.0 - ratio) * 100.0)
                };
                format!(
                    "{benchmark}, N={n}: cargo-migrate is {pct:.1}% {how} than the floor (ratio {ratio:.3}×, target ≤ {target:.2}×): {word}; floor {}, cargo-migrate {}",
                    floor.spread(),
                    ours.spread()
                )
            }
            Row::Status {
                benchmark,
                n,
                samples,
                target,
            } => format!(
                "{benchmark}, N={n}: median {} (target < {}): {word}; {}",
                human(samples.median()),
                target.map_or("—".into(), human),
                samples.spread()
            ),
            Row::Memory {
                benchmark,
                n,
                kib,
                target_kib,
            } => format!(
                "{benchmark}, N={n}: {} at most (target ≤ {}): {word}",
                mib(*kib),
                mib(*target_kib)
            ),
        })
    }
}

/// The markdown table, the status lines, and how it was measured (against the floor).
pub fn render(rows: &[Row], runs: usize) -> String {
    render_with(
        rows,
        &format!(
            "Floor: `psql -f all_tx.sql` / `sqlite3 .read all_tx.sql` (one transaction per migration, one process); every time is a whole process, wall clock, median of {runs} run(s) on fresh databases."
        ),
    )
}

/// The markdown table, the status lines, and `how` (how it was measured).
pub fn render_with(rows: &[Row], how: &str) -> String {
    let header = [
        "benchmark",
        "N",
        "floor (median)",
        "cargo-migrate (median)",
        "ratio",
        "target",
    ];
    let mut out = String::new();
    out.push_str(&markdown_line(&header.map(str::to_owned)));
    out.push_str(&markdown_line(
        &["---", "--:", "--:", "--:", "--:", "---"].map(str::to_owned),
    ));
    for row in rows {
        out.push_str(&markdown_line(&row.cells()));
    }
    out.push('\n');
    let summaries: Vec<String> = rows.iter().filter_map(Row::summary).collect();
    for line in &summaries {
        let _ = writeln!(out, "- {line}");
    }
    let missed = rows.iter().filter(|r| r.met() == Some(false)).count();
    let _ = writeln!(
        out,
        "\n{}: {missed} of {} targets missed. {how}",
        if missed == 0 { "OK" } else { "TARGETS MISSED" },
        summaries.len(),
    );
    out
}

fn markdown_line(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(ms: &[u64]) -> Samples {
        Samples(ms.iter().map(|&m| Duration::from_millis(m)).collect())
    }

    #[test]
    fn medians() {
        assert_eq!(samples(&[30, 10, 20]).median(), Duration::from_millis(20));
        assert_eq!(
            samples(&[40, 10, 20, 30]).median(),
            Duration::from_millis(25)
        );
        assert_eq!(samples(&[]).median(), Duration::ZERO);
        assert_eq!(samples(&[5, 3, 9]).min(), Duration::from_millis(3));
    }

    #[test]
    fn memory_rows() {
        let row = |kib| Row::Memory {
            benchmark: "lint peak RSS",
            n: 20_000,
            kib,
            target_kib: 150 * 1024,
        };
        assert_eq!(row(150 * 1024).met(), Some(true));
        assert_eq!(row(150 * 1024 + 1).met(), Some(false));
        let table = render(&[row(188_416)], 3);
        assert!(
            table.contains("| lint peak RSS | 20000 | — | 184.0 MiB | — | ≤ 150.0 MiB ✗ |"),
            "{table}"
        );
    }

    #[test]
    fn verdicts() {
        let row = |floor: &[u64], ours: &[u64]| Row::Compare {
            benchmark: "up",
            n: 10,
            floor: samples(floor),
            ours: samples(ours),
            target: 1.05,
        };
        assert_eq!(row(&[100], &[104]).met(), Some(true));
        assert_eq!(row(&[100], &[106]).met(), Some(false));
        let status = Row::Status {
            benchmark: "status",
            n: 10,
            samples: samples(&[90]),
            target: None,
        };
        assert_eq!(status.met(), None);
        let table = render(&[row(&[100], &[106]), status], 3);
        assert!(
            table.starts_with("| benchmark | N | floor (median) |"),
            "{table}"
        );
        assert!(
            table.contains("| up | 10 | 100.0 ms | 106.0 ms | 1.060× | ≤ 1.05× ✗ |"),
            "{table}"
        );
        assert!(table.contains("1 of 1 targets missed"), "{table}");
    }
}
