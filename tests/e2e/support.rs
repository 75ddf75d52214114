//! The harness: throwaway databases ([`crate::test_db`]) and temporary project directories,
//! driven through the real binary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

pub use crate::test_db::{Kind, TestDb};

/// A temporary project directory with a `migrations/` directory and no Cargo.toml.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Makes the directory a Cargo package named `app` (Cargo.toml and an empty src/lib.rs),
    /// its manifest ending with `extra` (a `[package.metadata.migrate…]` table, say).
    pub fn package(&self, extra: &str) -> &Self {
        std::fs::write(
            self.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{extra}"
            ),
        )
        .unwrap();
        std::fs::create_dir_all(self.path().join("src")).unwrap();
        std::fs::write(self.path().join("src/lib.rs"), "").unwrap();
        self
    }

    /// Writes `migrations/<name>`.
    pub fn write(&self, name: &str, body: &str) -> &Self {
        std::fs::write(self.migrations().join(name), body).unwrap();
        self
    }

    /// Writes a reversible pair.
    pub fn pair(&self, base: &str, up: &str, down: &str) -> &Self {
        self.write(&format!("{base}.up.sql"), up)
            .write(&format!("{base}.down.sql"), down)
    }

    /// `cargo-migrate migrate <args…>` in the project directory, with no database URL from the
    /// test's own environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-migrate"));
        cmd.current_dir(self.path())
            .arg("migrate")
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("CARGO_MIGRATE_USER")
            .env_remove("GITHUB_ACTIONS")
            // The project's own target/ holds the embedded database, also where the tests run
            // with a shared target directory; a test of a shared one sets it.
            .env_remove("CARGO_TARGET_DIR")
            .env("NO_COLOR", "1");
        cmd
    }

    /// The same, against `db`.
    pub fn on(&self, db: &TestDb, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.args(["--database-url", &db.url]);
        cmd
    }
}

/// What a finished command printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs and asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn expect(cmd: Command, code: i32) -> Output {
    let out = run(cmd);
    assert_eq!(
        out.code, code,
        "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

/// `status --format json` as (version, state) pairs.
pub fn states(project: &Project, db: &TestDb) -> Vec<(i64, String)> {
    let out = expect(project.on(db, &["status", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("status JSON parses");
    json["migrations"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|m| {
            (
                m["version"].as_i64().unwrap(),
                m["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Asserts that `text` contains `needle`, showing the whole text when it does not.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
}

/// `text` as one line with single spaces: a diagnostic however the terminal width wrapped it.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `command` (a shell command line) in `dir` on a pseudo-terminal (util-linux `script`),
/// with `envs` set and `DATABASE_URL` unset, typing `input`; what the terminal showed is
/// `stdout`.
pub fn on_pty(dir: &Path, command: &str, envs: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("SHELL", "/bin/sh")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    // Kept open until the command ends: `script` would pass an end of input on to the
    // terminal, and what is typed must arrive as lines, not cut short by it.
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// How long any wait of the tests may take before it is a failure (generous: the machine
/// may be busy compiling).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `ready` until it is true, failing the test after [`DEADLINE`] with `what`.
#[track_caller]
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
