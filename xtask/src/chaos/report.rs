//! The table per database, one line per trial on stderr, and the log of every trial.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::HarnessError;
use super::options::Options;
use super::plan::{Db, Fault};
use super::trial::{HANG_BOUND, Landing, Outcome};

/// The counts of one database.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Trials per fault, in `Fault::ALL` order.
    pub trials: [usize; 5],
    pub missed: usize,
    pub disagreements: usize,
    pub hangs: usize,
    pub wrong_messages: usize,
    pub failed_recoveries: usize,
    pub harness_errors: usize,
    /// The longest time to exit of the runs that exited after a fault (hangs aside).
    pub worst_exit: Option<Duration>,
}

impl Counts {
    fn problems(&self) -> usize {
        self.disagreements
            + self.hangs
            + self.wrong_messages
            + self.failed_recoveries
            + self.harness_errors
    }
}

#[derive(Debug)]
pub struct Summary {
    pub rows: Vec<(Db, Counts)>,
}

impl Summary {
    pub fn of(dbs: &[Db], outcomes: &[Outcome], errors: &[HarnessError]) -> Summary {
        let rows = dbs
            .iter()
            .map(|&db| {
                let mut c = Counts::default();
                for o in outcomes.iter().filter(|o| o.plan.db == db) {
                    let k = Fault::ALL.iter().position(|f| *f == o.plan.fault).unwrap();
                    c.trials[k] += 1;
                    c.missed += usize::from(matches!(o.landing, Landing::Missed(_)));
                    c.disagreements += usize::from(!o.disagreements.is_empty());
                    c.hangs += usize::from(o.hang);
                    c.wrong_messages += usize::from(!o.wrong_messages.is_empty());
                    c.failed_recoveries += usize::from(o.recovery.is_err());
                    if let Some(t) = o.time_to_exit {
                        c.worst_exit = c.worst_exit.max(Some(t));
                    }
                }
                c.harness_errors = errors.iter().filter(|e| e.db == db).count();
                (db, c)
            })
            .collect();
        Summary { rows }
    }

    /// Nothing found: every count besides the trials is zero.
    pub fn clean(&self) -> bool {
        self.rows.iter().all(|(_, c)| c.problems() == 0)
    }

    /// A markdown table, one row per database.
    pub fn render(&self) -> String {
        let header = [
            "database",
            "sigkill",
            "drop",
            "freeze",
            "server kill",
            "restart",
            "missed",
            "silent disagreements",
            "hangs > 90 s",
            "wrong outcome messages",
            "failed recoveries",
            "harness errors",
            "worst time to exit",
        ];
        let mut lines = vec![
            header
                .to_vec()
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        ];
        for (db, c) in &self.rows {
            let trials = |f: Fault| {
                if f.applies_to(*db) {
                    c.trials[Fault::ALL.iter().position(|x| *x == f).unwrap()].to_string()
                } else {
                    "-".to_owned()
                }
            };
            let exited = c.worst_exit.map(|t| format!("{:.3} s", t.as_secs_f64()));
            let worst = match (c.hangs, exited) {
                (0, Some(t)) => t,
                (0, None) => "-".to_owned(),
                (_, None) => format!("> {} s (hang)", HANG_BOUND.as_secs()),
                (_, Some(t)) => format!("> {} s (hang); exits {t}", HANG_BOUND.as_secs()),
            };
            lines.push(vec![
                db.name().to_owned(),
                trials(Fault::Sigkill),
                trials(Fault::Drop),
                trials(Fault::Freeze),
                trials(Fault::ServerKill),
                trials(Fault::Restart),
                c.missed.to_string(),
                c.disagreements.to_string(),
                c.hangs.to_string(),
                c.wrong_messages.to_string(),
                c.failed_recoveries.to_string(),
                c.harness_errors.to_string(),
                worst,
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (n, line) in lines.iter().enumerate() {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    if i == 0 {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if n == 0 {
                let rule: Vec<String> = widths
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == 0 {
                            "-".repeat(*w)
                        } else {
                            format!("{}:", "-".repeat(w - 1))
                        }
                    })
                    .collect();
                let _ = writeln!(out, "| {} |", rule.join(" | "));
            }
        }
        out.push_str(
            "\nserver kill: pg_terminate_backend on PostgreSQL, KILL on MariaDB; restart: a crash and restart of a PostgreSQL server of the suite's own; missed: the run had ended (or had no connection) when the fault was due, after 3 retries with half the delay each; wrong outcome messages include a run that exited 0 without everything applied; time to exit: from the fault to the exit, SIGKILL left out\n",
        );
        out
    }
}

/// One trial in a few words, for its progress line.
pub fn verdict(o: &Outcome) -> String {
    let mut parts = Vec::new();
    match &o.landing {
        Landing::Missed(why) => parts.push(format!("fault missed ({why})")),
        Landing::Landed { after, .. } => {
            parts.push(format!("fault at {:.3} s", after.as_secs_f64()))
        }
    }
    if let Some(t) = o.time_to_exit {
        let code = o
            .exit_code
            .map_or("by a signal".to_owned(), |c| c.to_string());
        parts.push(format!("exited {code} {:.3} s later", t.as_secs_f64()));
    }
    let mut problems = Vec::new();
    if o.hang {
        problems.push(format!(
            "HANG (killed {} s after the fault)",
            HANG_BOUND.as_secs()
        ));
    }
    if !o.disagreements.is_empty() {
        problems.push(format!("DISAGREEMENT: {}", o.disagreements.join("; ")));
    }
    if !o.wrong_messages.is_empty() {
        problems.push(format!("WRONG MESSAGE: {}", o.wrong_messages.join("; ")));
    }
    if let Err(e) = &o.recovery {
        problems.push(format!(
            "RECOVERY FAILED: {}",
            e.lines().next().unwrap_or_default()
        ));
    }
    if problems.is_empty() {
        problems.push("ok".to_owned());
    }
    parts.extend(problems);
    parts.join(", ")
}

/// The log: the run's settings and table, then every trial in full.
pub fn log(
    seed: u64,
    bin: &Path,
    opts: &Options,
    outcomes: &[Outcome],
    errors: &[HarnessError],
    table: &str,
    elapsed: Duration,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "cargo xtask chaos: seed {seed}");
    let _ = writeln!(out, "binary: {}", bin.display());
    let _ = writeln!(
        out,
        "databases: {:?}; faults: {:?}; trials per fault: {}; jobs: {}; {:.0} s in all",
        opts.dbs,
        opts.faults,
        opts.trials.map_or_else(
            || "default (30 SIGKILL, 10 others)".to_owned(),
            |n| n.to_string()
        ),
        opts.jobs,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "\n{table}");
    for e in errors {
        let _ = writeln!(
            out,
            "=== {} (seed {seed}): harness error\n{}\n",
            e.label, e.message
        );
    }
    for o in outcomes {
        let _ = writeln!(out, "=== {} (seed {seed})", o.plan.label());
        let _ = writeln!(out, "database: {}", o.database);
        let _ = writeln!(out, "migrations: {}", o.plan.summary());
        let anchor = match o.plan.fault {
            Fault::Sigkill => "after the start",
            _ => "after the first connection",
        };
        let _ = writeln!(out, "fault due: {} ms {anchor}", o.plan.delay_ms);
        match &o.landing {
            Landing::Landed { after, what } => {
                // The last migration the run said it was applying before the fault.
                let applying = o
                    .stderr
                    .iter()
                    .rev()
                    .filter(|(t, _)| t <= after)
                    .find_map(|(_, l)| l.trim().strip_prefix("Applying "))
                    .unwrap_or("none yet");
                let _ = writeln!(
                    out,
                    "fault: {what}, at {:.3} s (applying: {applying})",
                    after.as_secs_f64()
                );
            }
            Landing::Missed(why) => {
                let _ = writeln!(out, "fault: missed: {why}");
            }
        }
        let _ = writeln!(
            out,
            "exit: {}; time to exit after the fault: {}; hang: {}",
            o.exit_code.map_or("signal".to_owned(), |c| c.to_string()),
            o.time_to_exit
                .map_or("-".to_owned(), |t| format!("{:.3} s", t.as_secs_f64())),
            o.hang
        );
        let _ = writeln!(
            out,
            "afterwards: tracking rows {:?}; markers {:?}",
            o.seen.rows, o.seen.markers
        );
        for d in &o.disagreements {
            let _ = writeln!(out, "SILENT DISAGREEMENT: {d}");
        }
        for w in &o.wrong_messages {
            let _ = writeln!(out, "WRONG OUTCOME MESSAGE: {w}");
        }
        match &o.recovery {
            Ok(()) => {
                let _ = writeln!(out, "recovery: ok");
            }
            Err(e) => {
                let _ = writeln!(out, "RECOVERY FAILED: {e}");
            }
        }
        for n in &o.notes {
            let _ = writeln!(out, "note: {n}");
        }
        let _ = writeln!(
            out,
            "trial took {:.1} s; stderr of the faulted run:",
            o.elapsed.as_secs_f64()
        );
        for (t, line) in &o.stderr {
            let _ = writeln!(out, "  [{:>7.3}] {line}", t.as_secs_f64());
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::db::Observed;
    use super::super::plan::Plan;
    use super::*;

    fn outcome(db: Db, fault: Fault, hang: bool, exit: Option<Duration>) -> Outcome {
        Outcome {
            plan: Plan::new(1, db, fault, 0),
            database: "chaos_0_0".to_owned(),
            landing: Landing::Landed {
                after: Duration::from_millis(100),
                what: "test".to_owned(),
            },
            exit_code: Some(1),
            hang,
            time_to_exit: exit,
            disagreements: Vec::new(),
            wrong_messages: Vec::new(),
            recovery: Ok(()),
            stderr: Vec::new(),
            notes: Vec::new(),
            seen: Observed::default(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn counts_per_database_and_the_worst_exit() {
        let outcomes = [
            outcome(Db::Sqlite, Fault::Sigkill, false, None),
            outcome(
                Db::Postgres,
                Fault::Drop,
                false,
                Some(Duration::from_millis(5)),
            ),
            outcome(
                Db::Postgres,
                Fault::ServerKill,
                false,
                Some(Duration::from_millis(80)),
            ),
        ];
        let summary = Summary::of(&[Db::Sqlite, Db::Postgres], &outcomes, &[]);
        assert!(summary.clean());
        let table = summary.render();
        let rows: Vec<&str> = table.lines().collect();
        assert!(
            rows[2].starts_with("| sqlite   |       1 |    - |"),
            "{table}"
        );
        assert!(
            rows[3].contains("|       0 |    1 |      0 |           1 |       0 |"),
            "{table}"
        );
        assert!(rows[3].ends_with("0.080 s |"), "{table}");

        let hung = [
            outcome(Db::Mysql, Fault::Freeze, true, None),
            outcome(
                Db::Mysql,
                Fault::Drop,
                false,
                Some(Duration::from_millis(7)),
            ),
        ];
        let summary = Summary::of(&[Db::Mysql], &hung, &[]);
        assert!(!summary.clean());
        assert!(summary.render().contains("> 90 s (hang); exits 0.007 s |"));
        let error = HarnessError {
            label: "mysql drop #0".to_owned(),
            db: Db::Mysql,
            message: "no database".to_owned(),
        };
        assert!(!Summary::of(&[Db::Mysql], &[], &[error]).clean());
    }
}
