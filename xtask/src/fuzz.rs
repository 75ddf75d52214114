//! `cargo xtask fuzz`: the property tests of issue 11 (splitting, parsing and the unparsed-form
//! recogniser, loading, linting and rendering a random migration set, URL masking) run for
//! longer than `cargo test` runs them, in release mode, with a count of what ran.
//!
//! The properties stay ordinary proptest tests, which `cargo test` runs too: each round here runs
//! one of them as its own test process with `PROPTEST_CASES` set, so a round starts with a fresh
//! process (the process-wide list of remembered passwords stays small) and a failure is
//! proptest's own report, with the minimal input it shrank to and the seed it saved for `cargo
//! test` to replay.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, process, workspace_root};

const USAGE: &str = "\
usage: cargo xtask fuzz [--cases N | --seconds S]

Runs the property tests over random input (build-support/tests/fuzz.rs,
cargo-migrate/tests/url_masking.rs) in release mode and prints, per target, how many inputs ran
and how many failed (a panic, a broken invariant or a shown password), each failure with its
minimal input. Exits 1 when any failed.

options:
  --cases N      run each target on N random inputs
  --seconds S    share S seconds of running between the targets (default 120)
  -h, --help     show this help
";

/// One property: the test it is, by package, test target and exact name.
struct Target {
    package: &'static str,
    /// The cargo flags that select the test binary holding it.
    binary: &'static [&'static str],
    test: &'static str,
    /// The most cases of one round. Each case of the URL property adds to the process's list of
    /// remembered passwords, which every later case scans, so that a round costs about the
    /// square of its cases: it runs in short rounds.
    most_per_round: u64,
}

/// The most cases of a round of a property whose cases cost the same however many ran before.
const ANY_ROUND: u64 = 1_000_000;

const TARGETS: &[Target] = &[
    Target {
        package: "cargo-migrate-build-support",
        binary: &["--test", "fuzz"],
        test: "splitting",
        most_per_round: ANY_ROUND,
    },
    Target {
        package: "cargo-migrate-build-support",
        binary: &["--test", "fuzz"],
        test: "parsing_and_recognising",
        most_per_round: ANY_ROUND,
    },
    Target {
        package: "cargo-migrate-build-support",
        binary: &["--test", "fuzz"],
        test: "loading_linting_and_rendering",
        most_per_round: ANY_ROUND,
    },
    Target {
        package: "cargo-migrate",
        binary: &["--test", "url_masking"],
        test: "random_urls_never_show_their_password",
        most_per_round: 5_000,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Cases(u64),
    Seconds(u64),
}

/// A round is at most this long, so that progress shows and a process's state stays small.
const LONGEST_ROUND: Duration = Duration::from_secs(60);

/// The cases of a timed target's first round, from which its speed is measured.
const FIRST_ROUND: u64 = 256;

fn parse(args: &[String]) -> Result<Option<Budget>> {
    let number = |flag: &str, value: Option<&String>| -> Result<u64> {
        let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
        match value.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{flag} takes a positive number, not `{value}`")),
        }
    };
    match args {
        [] => Ok(Some(Budget::Seconds(120))),
        [help] if help == "-h" || help == "--help" => Ok(None),
        [flag, value] if flag == "--cases" => Ok(Some(Budget::Cases(number(flag, Some(value))?))),
        [flag, value] if flag == "--seconds" => {
            Ok(Some(Budget::Seconds(number(flag, Some(value))?)))
        }
        [flag] if flag == "--cases" || flag == "--seconds" => number(flag, None).map(|_| None),
        _ => Err(format!(
            "unexpected arguments `{}`\n\n{USAGE}",
            args.join(" ")
        )),
    }
}

pub fn main(args: &[String]) -> Result<()> {
    let Some(budget) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    build()?;
    let mut results = Vec::new();
    for target in TARGETS {
        let outcome = match budget {
            Budget::Cases(n) => run_cases(target, n)?,
            Budget::Seconds(s) => run_for(target, Duration::from_secs(s) / TARGETS.len() as u32)?,
        };
        results.push((target, outcome));
    }
    println!(
        "{:<58} {:>12} {:>7} {:>8}",
        "target", "executions", "panics", "seconds"
    );
    for (target, outcome) in &results {
        println!(
            "{:<58} {:>12} {:>7} {:>8.1}",
            format!("{} {}", target.package, target.test),
            outcome.executions,
            outcome.failures.len(),
            outcome.elapsed.as_secs_f64()
        );
    }
    let failed: Vec<_> = results
        .iter()
        .flat_map(|(target, outcome)| outcome.failures.iter().map(move |f| (target, f)))
        .collect();
    for (target, failure) in &failed {
        eprintln!("\n{} failed:\n{failure}", target.test);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of the targets failed (proptest saved each failing seed in a .proptest-regressions file beside the test, which `cargo test` replays first)",
            failed.len()
        ))
    }
}

/// The test binaries, built once before any round is timed.
fn build() -> Result<()> {
    let mut built: Vec<(&str, &[&str])> = Vec::new();
    for target in TARGETS {
        if built.contains(&(target.package, target.binary)) {
            continue;
        }
        let mut cmd = cargo_test(target);
        cmd.arg("--no-run");
        process::run_visible(
            &mut cmd,
            &format!("building the tests of {}", target.package),
        )?;
        built.push((target.package, target.binary));
    }
    Ok(())
}

fn cargo_test(target: &Target) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["test", "--release", "--quiet", "--package", target.package])
        .args(target.binary);
    cmd
}

/// One round's result: the inputs that ran, and proptest's report if the property failed.
struct Round {
    executions: u64,
    failure: Option<String>,
}

#[derive(Debug)]
struct Outcome {
    executions: u64,
    failures: Vec<String>,
    elapsed: Duration,
}

impl Outcome {
    fn of(rounds: Vec<Round>, start: Instant) -> Outcome {
        Outcome {
            executions: rounds.iter().map(|r| r.executions).sum(),
            failures: rounds.into_iter().filter_map(|r| r.failure).collect(),
            elapsed: start.elapsed(),
        }
    }
}

/// Rounds of `target` until `cases` ran or it fails.
fn run_cases(target: &Target, cases: u64) -> Result<Outcome> {
    let start = Instant::now();
    let mut rounds: Vec<Round> = Vec::new();
    let mut left = cases;
    while left > 0 && rounds.last().is_none_or(|r| r.failure.is_none()) {
        let round = run_round(target, left.min(target.most_per_round))?;
        left = left.saturating_sub(round.executions);
        rounds.push(round);
    }
    Ok(Outcome::of(rounds, start))
}

/// Rounds of `target` until `share` is spent or it fails, each sized from the speed of the
/// ones before so that the last one ends about when the share does.
fn run_for(target: &Target, share: Duration) -> Result<Outcome> {
    let start = Instant::now();
    let mut rounds = Vec::new();
    let mut cases = FIRST_ROUND;
    loop {
        let round_start = Instant::now();
        let round = run_round(target, cases)?;
        let failed = round.failure.is_some();
        let per_case = round_start.elapsed().as_secs_f64() / round.executions.max(1) as f64;
        rounds.push(round);
        let left = share.saturating_sub(start.elapsed()).min(LONGEST_ROUND);
        if failed || left.is_zero() {
            break;
        }
        cases = ((left.as_secs_f64() / per_case) as u64).clamp(1, target.most_per_round);
    }
    Ok(Outcome::of(rounds, start))
}

/// Runs `target` once on `cases` random inputs.
fn run_round(target: &Target, cases: u64) -> Result<Round> {
    let mut cmd = cargo_test(target);
    cmd.args(["--", "--exact", target.test])
        .env("PROPTEST_CASES", cases.to_string())
        // proptest's report names the input and the line; a backtrace would bury them.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    let what = format!("{} ({cases} cases)", target.test);
    eprintln!("     Fuzzing {what}");
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run cargo test for {what}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ran = ["test result: ok. 1 passed", "0 passed; 1 failed"];
    if !ran.iter().any(|verdict| stdout.contains(verdict)) {
        // Not a verdict on the property: the test did not build, or did not run.
        return Err(format!(
            "{what}: cargo test ran no test ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if output.status.success() {
        return Ok(Round {
            executions: cases,
            failure: None,
        });
    }
    Ok(Round {
        executions: successes(&stdout) + 1,
        failure: Some(stdout.into_owned()),
    })
}

/// The inputs that passed before the failing one, from proptest's report (`successes: N`).
fn successes(report: &str) -> u64 {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix("successes: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn budgets() {
        assert_eq!(parse(&args("")), Ok(Some(Budget::Seconds(120))));
        assert_eq!(parse(&args("--cases 10")), Ok(Some(Budget::Cases(10))));
        assert_eq!(
            parse(&args("--seconds 600")),
            Ok(Some(Budget::Seconds(600)))
        );
        assert_eq!(parse(&args("--help")), Ok(None));
        for bad in [
            "--cases",
            "--cases 0",
            "--seconds x",
            "--cases 1 --seconds 2",
            "-x",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_successes_before_a_failure_are_counted() {
        let report = "thread 'splitting' panicked at build-support/tests/fuzz.rs:90:5:\n\
            Test failed: boom.\nminimal failing input: text = \"'\"\n\tsuccesses: 41\n\
            \tlocal rejects: 0\n\tglobal rejects: 0\n";
        assert_eq!(successes(report), 41);
        assert_eq!(successes("no report"), 0);
    }

    /// Every target names a property that exists, so that no round runs no test.
    #[test]
    fn every_target_is_a_test() {
        for target in TARGETS {
            let file = match target.package {
                "cargo-migrate-build-support" => "build-support/tests/fuzz.rs",
                _ => "cargo-migrate/tests/url_masking.rs",
            };
            let source = std::fs::read_to_string(workspace_root().join(file)).unwrap();
            let name = target.test.rsplit("::").next().unwrap();
            assert!(source.contains(&format!("fn {name}(")), "{file}: {name}");
        }
    }
}
