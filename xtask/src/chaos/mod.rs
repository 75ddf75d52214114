//! `cargo xtask chaos`: fault injection against a running `cargo-migrate migrate up` (issue 11,
//! Tests). Each trial's project, fault and moment come from the seed (`plan.rs`); the trial
//! runs the real binary against a fresh database with one fault (`trial.rs`, through the
//! harness's TCP proxy, `proxy.rs`, for connection faults), and the oracle (`oracle.rs`)
//! judges what the database holds (`db.rs`, through the command-line clients) against what the
//! run said. Not part of `cargo test`: it takes minutes and wants the servers.

mod db;
mod options;
mod oracle;
mod plan;
mod proxy;
mod report;
mod restart;
mod rng;
pub(crate) mod run;
mod trial;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::{Result, workspace_root};
use db::Server;
use options::Options;
use plan::{Db, Fault, Plan};
use trial::{Env, Outcome};

pub fn main(args: Vec<String>) -> Result<()> {
    let Some(opts) = Options::parse(args)? else {
        print!("{}", options::USAGE);
        return Ok(());
    };
    let seed = opts.seed.unwrap_or_else(clock_seed);
    let mut servers = BTreeMap::new();
    for &db in &opts.dbs {
        servers.insert(db, Server::connect(db)?);
    }
    let root = workspace_root();
    let bin = match &opts.bin {
        Some(bin) if bin.is_file() => bin.canonicalize().unwrap_or_else(|_| bin.clone()),
        Some(bin) => return Err(format!("--bin {}: no such file", bin.display())),
        None => crate::build::cargo_migrate(&root, opts.release)?,
    };
    let log_dir = crate::build::target_dir(&root).join("chaos");
    std::fs::create_dir_all(&log_dir)
        .map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;
    let log_path = log_dir.join(format!("seed-{seed}.log"));
    let work = std::env::temp_dir().join(format!("cargo-migrate-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let mut plans = schedule(&opts, seed);
    let restarts = plans.iter().any(|p| p.fault == Fault::Restart);
    let restart = match restarts.then(restart::PrivatePostgres::start) {
        None => None,
        Some(Ok(pg)) => Some(pg),
        Some(Err(e)) if opts.faults_named => {
            return Err(format!(
                "the restart fault needs a PostgreSQL server of its own: {e}"
            ));
        }
        Some(Err(e)) => {
            progress(&format!(
                "warning: restart trials skipped: no PostgreSQL server of the suite's own ({e})"
            ));
            plans.retain(|p| p.fault != Fault::Restart);
            None
        }
    };
    let env = Env { bin, work, restart };

    progress(&format!(
        "seed {seed} (repeat with --seed {seed}): {} trials, {} at a time, testing {}",
        plans.len(),
        opts.jobs,
        env.bin.display()
    ));
    let start = Instant::now();
    let (outcomes, errors) = run_all(&env, &servers, plans, opts.jobs);
    let _ = std::fs::remove_dir_all(&env.work);
    drop(env.restart); // stops the suite's own server and removes it

    let mut outcomes = outcomes;
    outcomes.sort_by_key(|o| (o.plan.db, o.plan.fault, o.plan.index));
    let summary = report::Summary::of(&opts.dbs, &outcomes, &errors);
    let table = summary.render();
    let log = report::log(
        seed,
        &env.bin,
        &opts,
        &outcomes,
        &errors,
        &table,
        start.elapsed(),
    );
    std::fs::write(&log_path, log)
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    print!("{table}");
    progress(&format!(
        "{} trials in {:.0} s; details in {}",
        outcomes.len() + errors.len(),
        start.elapsed().as_secs_f64(),
        log_path.display()
    ));
    if summary.clean() {
        Ok(())
    } else {
        Err(format!(
            "the trials found problems (seed {seed}); see the table and {}",
            log_path.display()
        ))
    }
}

/// Every trial of the run, the slowest kinds first (a frozen run may take the whole hang
/// bound), so that the last jobs to finish are short ones.
fn schedule(opts: &Options, seed: u64) -> Vec<Plan> {
    let mut plans = Vec::new();
    for fault in [
        Fault::Freeze,
        Fault::Restart,
        Fault::ServerKill,
        Fault::Drop,
        Fault::Sigkill,
    ] {
        let n = opts.trials_of(fault);
        for index in 0..n {
            for &db in &opts.dbs {
                if fault.applies_to(db) {
                    plans.push(Plan::new(seed, db, fault, index));
                }
            }
        }
    }
    plans
}

/// A trial the harness could not run (no database made, say), with why.
#[derive(Debug)]
pub struct HarnessError {
    pub label: String,
    pub db: Db,
    pub message: String,
}

fn run_all(
    env: &Env,
    servers: &BTreeMap<Db, Server>,
    plans: Vec<Plan>,
    jobs: usize,
) -> (Vec<Outcome>, Vec<HarnessError>) {
    let total = plans.len();
    let queue = Arc::new(Mutex::new(VecDeque::from(plans)));
    let outcomes = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..jobs.min(total.max(1)) {
            scope.spawn(|| {
                loop {
                    let Some(plan) = queue.lock().unwrap().pop_front() else {
                        return;
                    };
                    let label = plan.label();
                    let db = plan.db;
                    let result = trial::run_until_landed(env, &servers[&db], plan);
                    let done = outcomes.lock().unwrap().len() + errors.lock().unwrap().len() + 1;
                    match result {
                        Ok(outcome) => {
                            progress(&format!(
                                "[{done}/{total}] {label}: {}",
                                report::verdict(&outcome)
                            ));
                            outcomes.lock().unwrap().push(outcome);
                        }
                        Err(message) => {
                            progress(&format!(
                                "[{done}/{total}] {label}: harness error: {message}"
                            ));
                            errors
                                .lock()
                                .unwrap()
                                .push(HarnessError { label, db, message });
                        }
                    }
                }
            });
        }
    });
    (outcomes.into_inner().unwrap(), errors.into_inner().unwrap())
}

fn clock_seed() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Small enough to type.
    (now.as_secs() ^ u64::from(now.subsec_micros())) % 1_000_000
}

fn progress(message: &str) {
    eprintln!("chaos: {message}");
}
