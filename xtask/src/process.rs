//! Running external tools: clear errors when a tool is missing or fails, and wall-clock timing.

use std::io::ErrorKind;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// Checks that `program` can be started (`program --version`), with `hint` on how to get it.
pub fn require(program: &str, hint: &str) -> Result<()> {
    let mut cmd = Command::new(program);
    cmd.arg("--version");
    run(&mut cmd, &format!("`{program} --version`"))
        .map(drop)
        .map_err(|e| format!("{e}\n  hint: {hint}"))
}

/// Runs `cmd` to completion with stdin closed, capturing stdout and stderr; fails unless it
/// exits with status 0. `what` names the step in messages.
pub fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    let output = captured(cmd, what)?;
    check(&output, what)?;
    Ok(output)
}

/// Runs `cmd` to completion with stdin closed, capturing stdout and stderr, whatever its exit.
fn captured(cmd: &mut Command, what: &str) -> Result<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.output().map_err(|e| spawn_error(cmd, what, &e))
}

/// Like [`run`], but exit status 1 passes too: a checker's "it found something" (lint's error
/// findings, squawk's violations), which a benchmark of it expects.
pub fn run_checker(cmd: &mut Command, what: &str) -> Result<Output> {
    let output = captured(cmd, what)?;
    if output.status.code() != Some(1) {
        check(&output, what)?;
    }
    Ok(output)
}

/// Runs `cmd` with stdout discarded and returns the wall-clock time of the whole process
/// (spawn to exit). Fails unless it exits with status 0.
pub fn time(cmd: &mut Command, what: &str) -> Result<Duration> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let output = cmd.output().map_err(|e| spawn_error(cmd, what, &e))?;
    let elapsed = start.elapsed();
    check(&output, what)?;
    Ok(elapsed)
}

/// Runs `cmd` with its output going to this process's stderr (for long steps whose progress
/// the user wants to see, such as a build), failing unless it exits with status 0.
pub fn run_visible(cmd: &mut Command, what: &str) -> Result<()> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit());
    let status = cmd.status().map_err(|e| spawn_error(cmd, what, &e))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Runs `cmd` and returns its stdout, trimmed.
pub fn stdout_of(cmd: &mut Command, what: &str) -> Result<String> {
    let output = run(cmd, what)?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn check(output: &Output, what: &str) -> Result<()> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.trim();
    Err(if stderr.is_empty() {
        format!("{what} failed ({})", output.status)
    } else {
        format!("{what} failed ({}):\n{}", output.status, indent(stderr))
    })
}

fn spawn_error(cmd: &Command, what: &str, e: &std::io::Error) -> String {
    let program = cmd.get_program().to_string_lossy();
    if e.kind() == ErrorKind::NotFound {
        format!("{what}: `{program}` was not found (is it installed and on PATH?)")
    } else {
        format!("{what}: cannot start `{program}`: {e}")
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
