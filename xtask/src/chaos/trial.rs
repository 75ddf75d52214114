//! One trial: a fresh project and database, `migrate up` with one fault injected, the oracle,
//! and the recovery (`status`, `repair` as the tool asks, `up` again without a fault).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::db::{Observed, Server, TrialDb};
use super::oracle;
use super::plan::{Fault, Plan};
use super::proxy::Proxy;
use super::restart::PrivatePostgres;
use super::run::{Finished, Running, TICK, run_bounded};
use crate::Result;

/// A run that has not exited this long after its fault hangs (the tool's documented bound on
/// noticing a lost or frozen connection is 60 s).
pub const HANG_BOUND: Duration = Duration::from_secs(90);
/// How long the harness waits for the run's first connection, for a fault that needs one.
const CONNECT_BOUND: Duration = Duration::from_secs(30);
/// How long the server may keep a session of the run's after the run is gone (a statement
/// finishing) before the harness ends it itself.
const DRAIN_BOUND: Duration = Duration::from_secs(30);
/// A recovery command that takes longer has failed.
const COMMAND_BOUND: Duration = Duration::from_secs(120);

/// What the fault did.
#[derive(Debug, Clone)]
pub enum Landing {
    /// It landed this long after the process started; `what` says on what.
    Landed { after: Duration, what: String },
    /// It did not land (the run had ended, or had no connection yet); the trial still checks
    /// the outcome.
    Missed(String),
}

/// Everything one trial found, for the table and the log.
#[derive(Debug)]
pub struct Outcome {
    pub plan: Plan,
    pub database: String,
    pub landing: Landing,
    /// How the faulted run ended: its exit code, `None` for a signal.
    pub exit_code: Option<i32>,
    pub hang: bool,
    /// From the fault to the process's exit (not for SIGKILL, which is the exit).
    pub time_to_exit: Option<Duration>,
    pub disagreements: Vec<String>,
    pub wrong_messages: Vec<String>,
    /// `Err`: why the recovery failed.
    pub recovery: Result<(), String>,
    /// The faulted run's stderr, each line with its time since the start.
    pub stderr: Vec<(Duration, String)>,
    /// What else happened along the way (a lingering session ended, the recovery's steps).
    pub notes: Vec<String>,
    pub seen: Observed,
    pub elapsed: Duration,
}

/// What every trial shares.
#[derive(Debug)]
pub struct Env {
    pub bin: PathBuf,
    /// Projects (and SQLite files) go under here, one directory per trial.
    pub work: PathBuf,
    /// The server the restart trials crash, when they run.
    pub restart: Option<PrivatePostgres>,
}

/// How many times a trial whose fault missed (the run had ended) runs again, each time with
/// half the delay, so that the faults of a default run land.
const RETRIES: usize = 3;

/// [`run`], again with half the delay while the fault misses a run that had ended and nothing
/// was found; the missed attempts are noted in the outcome.
pub fn run_until_landed(env: &Env, server: &Server, mut plan: Plan) -> Result<Outcome> {
    let mut missed = Vec::new();
    loop {
        let mut outcome = run(env, server, plan.clone())?;
        let retry = match &outcome.landing {
            Landing::Missed(why) if outcome.found_nothing() && missed.len() < RETRIES => {
                Some(why.clone())
            }
            _ => None,
        };
        match retry {
            Some(why) if plan.delay_ms > 0 => {
                missed.push(format!(
                    "an attempt with the fault due {} ms in missed ({why}); halving the delay",
                    plan.delay_ms
                ));
                plan.delay_ms /= 2;
            }
            _ => {
                outcome.notes.splice(0..0, missed);
                return Ok(outcome);
            }
        }
    }
}

impl Outcome {
    /// No disagreement, hang, wrong message or failed recovery.
    pub fn found_nothing(&self) -> bool {
        self.disagreements.is_empty()
            && !self.hang
            && self.wrong_messages.is_empty()
            && self.recovery.is_ok()
    }
}

pub fn run(env: &Env, server: &Server, plan: Plan) -> Result<Outcome> {
    let start = Instant::now();
    // A restart trial has the suite's own server to itself.
    let (server, restart, _turn) = match (&env.restart, plan.fault) {
        (Some(pg), Fault::Restart) => (&pg.server, Some(pg), Some(pg.turn())),
        (None, Fault::Restart) => return Err("no server of the suite's own to restart".into()),
        _ => (server, None, None),
    };
    let dir = env.work.join(format!(
        "{}-{}-{}",
        plan.db,
        plan.fault.name(plan.db),
        plan.index
    ));
    write_project(&dir, &plan)?;
    let db = server.create(&dir)?;
    let proxy = match plan.fault {
        Fault::Drop | Fault::Freeze => Some(Proxy::start(server.addr()?)?),
        _ => None,
    };
    let url = db.url(proxy.as_ref().map(Proxy::port));
    let mut notes = Vec::new();

    let mut running = Running::start(&mut tool(env, &dir, &["up", "--database-url", &url]))?;
    let pid = running.pid();
    let landing = inject(&plan, &mut running, &db, proxy.as_ref(), restart)?;
    let (hang, time_to_exit) = match &landing {
        Landing::Landed { after, .. } => {
            let fault_at = running.started + *after;
            match running.wait_until(fault_at + HANG_BOUND) {
                Some(_) if plan.fault == Fault::Sigkill => (false, None),
                // Noticed within a tick of the exit: the figure errs long by a few milliseconds.
                Some(_) => (false, Some(fault_at.elapsed())),
                None => (true, None),
            }
        }
        Landing::Missed(_) => (
            running.wait_until(Instant::now() + HANG_BOUND).is_none(),
            None,
        ),
    };
    if hang {
        let when = match landing {
            Landing::Landed { .. } => "the fault",
            Landing::Missed(_) => "the fault was due (it missed)",
        };
        notes.push(format!(
            "still running {} s after {when}: killed",
            HANG_BOUND.as_secs()
        ));
        running.kill();
    }
    let status = running.wait();
    // Read to the end of the pipes first: the last lines may still be on their way.
    let (_, stderr_text) = running.output();
    let stderr = running.timed_stderr();
    drop(proxy); // closes every connection left, so the server ends the run's sessions
    drain(&db, pid, &mut notes)?;

    let seen = db.observe()?;
    let disagreements = oracle::disagreements(&plan.migrations, &seen);
    let mut wrong_messages = oracle::wrong_messages(&plan.migrations, &seen, &stderr_text);
    if status.code() == Some(0) && !all_applied(&plan, &seen) {
        wrong_messages.push("exited 0 (success) but not every migration is applied".to_owned());
    }
    let recovery = recover(env, &dir, &db, &plan, &mut notes);
    let outcome = Outcome {
        database: db.name.clone(),
        plan,
        landing,
        exit_code: status.code(),
        hang,
        time_to_exit,
        disagreements,
        wrong_messages,
        recovery,
        stderr,
        notes,
        seen,
        elapsed: start.elapsed(),
    };
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

/// `<bin> migrate <args>` in the project directory, nothing from this environment's database
/// settings.
fn tool(env: &Env, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(&env.bin);
    cmd.current_dir(dir)
        .arg("migrate")
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CARGO_MIGRATE_USER", "chaos")
        .env("NO_COLOR", "1");
    cmd
}

fn write_project(dir: &Path, plan: &Plan) -> Result<()> {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations)
        .map_err(|e| format!("cannot create {}: {e}", migrations.display()))?;
    for m in &plan.migrations {
        for (suffix, text) in [("up", &m.up), ("down", &m.down)] {
            let path = migrations.join(format!("{}.{suffix}.sql", m.name()));
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Waits for the plan's moment and injects its fault.
fn inject(
    plan: &Plan,
    running: &mut Running,
    db: &TrialDb,
    proxy: Option<&Proxy>,
    restart: Option<&PrivatePostgres>,
) -> Result<Landing> {
    let delay = Duration::from_millis(plan.delay_ms);
    // The moment is taken just before the fault is injected (ending a session is a query).
    let landed = |after: Duration, what: String| Landing::Landed { after, what };
    match plan.fault {
        Fault::Sigkill => {
            if running.wait_until(running.started + delay).is_some() {
                return Ok(ended(running));
            }
            let at = running.started.elapsed();
            running.kill();
            Ok(landed(at, "SIGKILL".to_owned()))
        }
        Fault::Drop | Fault::Freeze => {
            let proxy = proxy.expect("a proxy fault has a proxy");
            let anchor = match fault_due(running, delay, || Ok(proxy.connections() > 0))? {
                Ok(anchor) => anchor,
                Err(missed) => return Ok(missed),
            };
            let at = running.started.elapsed();
            let n = match plan.fault {
                Fault::Drop => proxy.drop_open(),
                _ => proxy.freeze_open(),
            };
            if n == 0 {
                return Ok(Landing::Missed(
                    "no connection was open at the moment".to_owned(),
                ));
            }
            let verb = if plan.fault == Fault::Drop {
                "closed both sides of"
            } else {
                "froze"
            };
            Ok(landed(
                at,
                format!(
                    "{verb} {n} connection(s), {:.3} s after the first one opened",
                    anchor.elapsed().as_secs_f64()
                ),
            ))
        }
        Fault::Restart => {
            let pg = restart.expect("a restart trial has its server");
            let pid = running.pid();
            let anchor = match fault_due(running, delay, || Ok(!db.sessions(pid)?.is_empty()))? {
                Ok(anchor) => anchor,
                Err(missed) => return Ok(missed),
            };
            let at = running.started.elapsed();
            pg.restart()?;
            Ok(landed(
                at,
                format!(
                    "crashed and restarted the server (pg_ctl restart -m immediate, {:.3} s), {:.3} s after the run's session was first seen",
                    (running.started.elapsed() - at).as_secs_f64(),
                    (at - (anchor - running.started)).as_secs_f64()
                ),
            ))
        }
        Fault::ServerKill => {
            let pid = running.pid();
            let anchor = match fault_due(running, delay, || Ok(!db.sessions(pid)?.is_empty()))? {
                Ok(anchor) => anchor,
                Err(missed) => return Ok(missed),
            };
            let Some(id) = db.sessions(pid)?.into_iter().next() else {
                return Ok(Landing::Missed("the run's session had ended".to_owned()));
            };
            let at = running.started.elapsed();
            if !db.end_session(&id)? {
                return Ok(Landing::Missed(format!("session {id} had ended")));
            }
            Ok(landed(
                at,
                format!(
                    "ended server session {id}, {:.3} s after it was first seen",
                    anchor.elapsed().as_secs_f64()
                ),
            ))
        }
    }
}

fn ended(running: &Running) -> Landing {
    Landing::Missed(format!(
        "the run ended {:.3} s after its start, before the fault",
        running.started.elapsed().as_secs_f64()
    ))
}

fn no_connection(running: &Running) -> Landing {
    Landing::Missed(format!(
        "no connection of the run's was seen ({:.3} s after its start)",
        running.started.elapsed().as_secs_f64()
    ))
}

/// The first moment `seen` holds while the run is alive; `None` if the run ends first or
/// `CONNECT_BOUND` passes.
/// Waits until the fault is due, `delay` after `seen` first holds, and returns when `seen`
/// first held; `Err` with the missed landing when the run had no connection by then, or ended
/// before the fault was due.
fn fault_due(
    running: &mut Running,
    delay: Duration,
    seen: impl FnMut() -> Result<bool>,
) -> Result<Result<Instant, Landing>> {
    let Some(anchor) = first_moment(running, seen)? else {
        return Ok(Err(no_connection(running)));
    };
    if running.wait_until(anchor + delay).is_some() {
        return Ok(Err(ended(running)));
    }
    Ok(Ok(anchor))
}

fn first_moment(
    running: &mut Running,
    mut seen: impl FnMut() -> Result<bool>,
) -> Result<Option<Instant>> {
    let deadline = running.started + CONNECT_BOUND;
    loop {
        if seen()? {
            return Ok(Some(Instant::now()));
        }
        if running.exited().is_some() || Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(TICK);
    }
}

/// Waits until the server has no session of the run's left; ends those that linger.
fn drain(db: &TrialDb, pid: u32, notes: &mut Vec<String>) -> Result<()> {
    let deadline = Instant::now() + DRAIN_BOUND;
    let start = Instant::now();
    loop {
        let left = db.sessions(pid)?;
        if left.is_empty() {
            if start.elapsed() > Duration::from_millis(200) {
                notes.push(format!(
                    "the server ended the run's session(s) {:.3} s after the run",
                    start.elapsed().as_secs_f64()
                ));
            }
            return Ok(());
        }
        if Instant::now() >= deadline {
            for id in &left {
                db.end_session(id)?;
            }
            notes.push(format!(
                "session(s) {} still open {DRAIN_BOUND:?} after the run: ended by the harness",
                left.join(", ")
            ));
            return Ok(());
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn all_applied(plan: &Plan, seen: &Observed) -> bool {
    let rows = seen.rows.as_deref().unwrap_or_default();
    plan.migrations.iter().all(|m| {
        seen.markers.contains(&m.version)
            && rows
                .iter()
                .any(|r| r.version == m.version && r.success && !r.cleared)
    })
}

/// `status`; for each migration it lists as failed, the marker dropped by hand (what the tool
/// asks: bring the database back to where it was before) and `repair <version>`; `up`. Must
/// end with every migration applied and every marker there.
fn recover(
    env: &Env,
    dir: &Path,
    db: &TrialDb,
    plan: &Plan,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let url = db.url(None);
    let step = |args: &[&str]| -> Result<Finished, String> {
        let mut all = args.to_vec();
        all.extend(["--database-url", &url]);
        let finished = run_bounded(&mut tool(env, dir, &all), COMMAND_BOUND)?;
        if finished.timed_out {
            return Err(format!(
                "`migrate {}` did not finish within {COMMAND_BOUND:?}:\n{}",
                args.join(" "),
                finished.stderr
            ));
        }
        Ok(finished)
    };
    let status = step(&["status"])?;
    let failed = failed_versions(&status.stdout);
    notes.push(format!(
        "recovery: status exited {:?}; failed: {failed:?}",
        status.code
    ));
    if status.code.is_none() {
        return Err(format!("`migrate status` was killed:\n{}", status.stderr));
    }
    for version in &failed {
        db.drop_marker(*version)?;
        let repair = step(&["repair", &version.to_string()])?;
        if repair.code != Some(0) {
            return Err(format!(
                "`migrate repair {version}` exited {:?}:\n{}",
                repair.code, repair.stderr
            ));
        }
    }
    let up = step(&["up"])?;
    if up.code != Some(0) {
        return Err(format!(
            "`migrate up` exited {:?} (after repairing {failed:?}):\n{}",
            up.code, up.stderr
        ));
    }
    let seen = db.observe()?;
    if !all_applied(plan, &seen) {
        return Err(format!(
            "`migrate up` succeeded but the database has rows {:?} and markers {:?}",
            seen.rows, seen.markers
        ));
    }
    Ok(())
}

/// The versions `status` lists as failed (its table: VERSION NAME STATE …).
fn failed_versions(status: &str) -> Vec<u32> {
    status
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let version = words.next()?.parse().ok()?;
            let _name = words.next()?;
            (words.next()? == "failed").then_some(version)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_versions_from_the_status_table() {
        let table = "VERSION  NAME   STATE    APPLIED AT\n1        multi  applied  2026-12-03T15:49:36Z\n2        slow   failed   2026-12-03T15:49:39Z\n3        no_tx  pending\n";
        assert_eq!(failed_versions(table), [2]);
    }
}
