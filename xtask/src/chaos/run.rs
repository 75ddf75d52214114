//! Child processes with a bound: the run under test (its stderr read as it comes, each line
//! with its time) and the short commands around it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::Result;

/// How often a waiting harness looks again.
pub const TICK: Duration = Duration::from_millis(5);

/// A process that ran: how it ended and what it printed.
#[derive(Debug, Clone)]
pub struct Finished {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with stdin closed; if it has not exited after `limit`, SIGKILLs it
/// (`timed_out`).
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Finished> {
    let mut running = Running::start(cmd)?;
    let start = Instant::now();
    let timed_out = running.wait_until(start + limit).is_none();
    if timed_out {
        running.kill();
    }
    let status = running.wait();
    let (stdout, stderr) = running.output();
    Ok(Finished {
        code: status.code(),
        timed_out,
        stdout,
        stderr,
    })
}

/// A process in the background whose stdout and stderr are collected as they come.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub started: Instant,
    stderr: Arc<Mutex<Vec<(Duration, String)>>>,
    readers: Vec<JoinHandle<()>>,
    stdout: Arc<Mutex<String>>,
    status: Option<ExitStatus>,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Result<Running> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| {
            format!(
                "cannot start `{}`: {e}",
                cmd.get_program().to_string_lossy()
            )
        })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(pipe) = child.stderr.take() {
            let lines = Arc::clone(&stderr);
            readers.push(thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().unwrap().push((started.elapsed(), line));
                }
            }));
        }
        if let Some(mut pipe) = child.stdout.take() {
            let text = Arc::clone(&stdout);
            readers.push(thread::spawn(move || {
                let mut all = String::new();
                let _ = pipe.read_to_string(&mut all);
                text.lock().unwrap().push_str(&all);
            }));
        }
        Ok(Running {
            child,
            started,
            stderr,
            readers,
            stdout,
            status: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the process has ended; never blocks.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits until the process ends or `deadline` passes; `None` if it is still running.
    pub fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(TICK);
        }
    }

    /// SIGKILL (a no-op once it has exited).
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
    }

    pub fn wait(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let status = self.child.wait().expect("waiting for a child process");
        self.status = Some(status);
        status
    }

    /// Everything printed, once the process has ended (its pipes close with it): stdout and
    /// stderr as text.
    pub fn output(&mut self) -> (String, String) {
        self.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let stderr: Vec<String> = self
            .stderr
            .lock()
            .unwrap()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        (self.stdout.lock().unwrap().clone(), stderr.join("\n"))
    }

    /// stderr with each line's time since the start, for the log.
    pub fn timed_stderr(&self) -> Vec<(Duration, String)> {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
        let _ = self.child.wait();
    }
}
