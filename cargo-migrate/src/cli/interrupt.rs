//! Ctrl-C during `up` or `down`, and the progress lines of a run (also `verify`'s). The first Ctrl-C asks the run
//! to stop after the migration in flight (each migration is a unit: applied, or not); the run
//! then says what it did and what is left. A second Ctrl-C stops at once, saying what the
//! migration in flight may have left.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::cli::output;

/// One run through a plan: how far it is, and whether Ctrl-C asked it to stop.
#[derive(Debug)]
pub struct Run {
    verb: &'static str,
    stop: Arc<AtomicBool>,
    current: Arc<Mutex<Option<String>>>,
    progress: Progress,
}

/// The `[n/N]` counter of a run's progress lines, with the elapsed time on a terminal (a CI
/// log gets plain lines).
#[derive(Debug)]
pub struct Progress {
    total: AtomicUsize,
    done: AtomicUsize,
    start: Instant,
    terminal: bool,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress {
            total: AtomicUsize::new(total),
            done: AtomicUsize::new(0),
            start: Instant::now(),
            terminal: std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("CI").is_none(),
        }
    }

    /// The line of the next migration, `name`: `name [n/N]` (only `name` when there is one).
    pub fn next_line(&self, name: &str) -> String {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let total = self.total.load(Ordering::SeqCst).max(n);
        match (total, self.terminal) {
            (1, _) => name.to_owned(),
            (_, false) => format!("{name} [{n}/{total}]"),
            (_, true) => format!(
                "{name} [{n}/{total}, {} elapsed]",
                output::duration(
                    i64::try_from(self.start.elapsed().as_micros()).unwrap_or(i64::MAX)
                )
            ),
        }
    }
}

impl Run {
    /// A run whose progress lines say `verb` (`Applying`, `Reverting`); Ctrl-C is caught from
    /// now until the process ends.
    pub fn start(verb: &'static str) -> Run {
        let run = Run {
            verb,
            stop: Arc::new(AtomicBool::new(false)),
            current: Arc::new(Mutex::new(None)),
            progress: Progress::new(0),
        };
        let (stop, current) = (run.stop.clone(), run.current.clone());
        let doing = match verb {
            "Reverting" => "reverted",
            _ => "applied",
        };
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            stop.store(true, Ordering::SeqCst);
            let now = current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            output::status_always(
                "Stopping",
                &match &now {
                    Some(name) => {
                        format!("after {name}, once it is {doing} (Ctrl-C again stops at once)")
                    }
                    None => "before the next migration (Ctrl-C again stops at once)".to_owned(),
                },
            );
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            let now = current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            output::warning(&match now {
                Some(name) => format!(
                    "stopped during {name}: in a transaction, the server rolls it back; outside one (MySQL, `-- migrate:no-transaction`) it stays recorded as failed; `cargo migrate status` shows which"
                ),
                None => "stopped between two migrations".to_owned(),
            });
            std::process::exit(i32::from(crate::error::exit::INTERRUPTED));
        });
        run
    }

    /// How many migrations the plan holds.
    pub fn planned(&self, total: usize) {
        self.progress.total.store(total, Ordering::SeqCst);
    }

    /// Before migration `name` runs: its progress line, or `Break` when Ctrl-C asked to stop.
    pub fn next(&self, name: &str) -> ControlFlow<()> {
        if self.stopped() {
            return ControlFlow::Break(());
        }
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(name.to_owned());
        output::status(self.verb, &self.progress.next_line(name));
        ControlFlow::Continue(())
    }

    /// Whether Ctrl-C asked the run to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
