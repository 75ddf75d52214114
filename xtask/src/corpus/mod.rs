//! `cargo xtask corpus`: the differential harness of the checker (issue 10). For every real
//! migration history of `scripts/corpus.txt` (public repositories fetched beforehand, never
//! committed) it converts the history to this tool's layout, runs `cargo-migrate migrate lint
//! --format json` (the checker under test, a child process) and `verify` (the oracle, the
//! library's engine in-process, on the matching real server), and prints per history the
//! migrations, the lint errors on migrations verify proves clean (false alarms), the migrations
//! verify proves broken that lint has no error for (misses), the recall and the wall times.
//!
//! Never part of `cargo test`: it needs the fetched histories and the servers, and takes minutes.

pub(crate) mod convert;
mod judge;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use build_support::MigrationSet;
use cargo_migrate::config::Config;
use cargo_migrate::db_url::DbUrl;
use cargo_migrate::events::VerifyStep;
use cargo_migrate::verify::{Options as VerifyOptions, Problem, Report, Stop};

use crate::chaos::run::run_bounded;
use crate::{Result, flags::Flags, workspace_root};
use convert::Layout;
use judge::{Judged, Verdict};

const USAGE: &str = "\
usage: cargo xtask corpus [options]

Lints and verifies the real migration histories of scripts/corpus.txt and compares the two:
per history the migrations, the lint errors on migrations that verify proves clean (false
alarms), the migrations verify proves broken that lint reports no error for (misses), the
recall (broken migrations with a lint error, of all broken ones) and the wall times. The
errors of rules whose claim a round trip cannot show (deploy risks such as locks and
rewrites, the team's process) are counted apart, by rule, not as false alarms or catches. Each
repository must be fetched first (`fetch github:owner/name` leaves a bare git directory at
$MIRROR_ROOT/<owner>+<name>/repo; MIRROR_ROOT defaults to /work/.mirror); a history whose
mirror is missing is reported and skipped. Nothing is written inside the repository.

options:
  --corpus FILE       the list of histories (default scripts/corpus.txt)
  --only TEXT         only the histories whose `owner/name:path` contains TEXT (repeatable)
  --bin PATH          the cargo-migrate binary whose lint is judged (default
                      $CARGO_MIGRATE_BIN, else this workspace's, built in debug)
  --postgres-url URL  the server for PostgreSQL histories (default $TEST_POSTGRES_URL, else
                      postgres://postgres@127.0.0.1:5432/postgres)
  --mysql-url URL     the server for MySQL histories (default $TEST_MYSQL_URL, else
                      mysql://root@127.0.0.1:3306/test)
  --timeout SECS      the bound of one history's verify run (default 1800)
  --out DIR           where the details go: per history the lint JSON, the map from flat
                      file to original, every false alarm and miss (default target/corpus)
  --keep              also keep each converted (flat) history in DIR
  -h, --help          show this help
";

struct Options {
    corpus: PathBuf,
    only: Vec<String>,
    bin: Option<PathBuf>,
    postgres_url: String,
    mysql_url: String,
    timeout: Duration,
    out: PathBuf,
    keep: bool,
}

impl Options {
    fn parse(args: Vec<String>) -> Result<Option<Options>> {
        let root = workspace_root();
        let env =
            |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_owned());
        let mut o = Options {
            corpus: root.join("scripts/corpus.txt"),
            only: Vec::new(),
            bin: std::env::var_os("CARGO_MIGRATE_BIN").map(PathBuf::from),
            postgres_url: env(
                "TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            mysql_url: env("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
            timeout: Duration::from_secs(1800),
            out: crate::build::target_dir(&root).join("corpus"),
            keep: false,
        };
        let mut flags = Flags::new(args);
        while let Some((flag, inline)) = flags.next() {
            match flag.as_str() {
                "--corpus" => o.corpus = PathBuf::from(flags.value(&flag, inline)?),
                "--only" => o.only.push(flags.value(&flag, inline)?),
                "--bin" => o.bin = Some(PathBuf::from(flags.value(&flag, inline)?)),
                "--postgres-url" => o.postgres_url = flags.value(&flag, inline)?,
                "--mysql-url" => o.mysql_url = flags.value(&flag, inline)?,
                "--timeout" => {
                    let secs = crate::flags::parse_count(&flag, &flags.value(&flag, inline)?, 1)?;
                    o.timeout = Duration::from_secs(secs as u64);
                }
                "--out" => o.out = PathBuf::from(flags.value(&flag, inline)?),
                "--keep" => o.keep = true,
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
            }
        }
        Ok(Some(o))
    }
}

/// One line of the corpus list.
pub(crate) struct History {
    pub(crate) repo: String,
    pub(crate) path: String,
    pub(crate) layout: Layout,
    pub(crate) dialect: String,
    /// SQL the source tool's environment runs first (see [`convert::convert`]).
    pub(crate) setup: Option<String>,
}

impl History {
    pub(crate) fn label(&self) -> String {
        format!("{}:{}", self.repo, self.path)
    }
}

pub(crate) fn read_corpus(file: &Path) -> Result<Vec<History>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the corpus list {}: {e}", file.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [repo, path, layout, dialect, ..] = fields[..] else {
            return Err(format!(
                "{}:{}: expected `owner/name<TAB>path<TAB>layout<TAB>dialect`",
                file.display(),
                n + 1
            ));
        };
        if !matches!(dialect, "postgres" | "mysql" | "sqlite") {
            return Err(format!(
                "{}:{}: unknown dialect `{dialect}` (expected postgres, mysql or sqlite)",
                file.display(),
                n + 1
            ));
        }
        let setup = fields.get(4).and_then(|f| f.strip_prefix("setup="));
        if fields.len() > 4 && setup.is_none() {
            return Err(format!(
                "{}:{}: the fifth field, if any, is `setup=<SQL>`",
                file.display(),
                n + 1
            ));
        }
        out.push(History {
            repo: repo.to_owned(),
            path: path.to_owned(),
            layout: Layout::parse(layout)
                .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?,
            dialect: dialect.to_owned(),
            setup: setup.map(str::to_owned),
        });
    }
    Ok(out)
}

/// What became of one history.
struct Row {
    label: String,
    dialect: String,
    layout: &'static str,
    outcome: std::result::Result<Measured, String>,
}

struct Measured {
    judged: Judged,
    lint: Duration,
    verify: Duration,
    /// Why verify stopped before the end, in words.
    stopped: Option<String>,
}

pub fn main(args: Vec<String>) -> Result<()> {
    let Some(opts) = Options::parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let histories = read_corpus(&opts.corpus)?;
    let histories: Vec<History> = histories
        .into_iter()
        .filter(|h| opts.only.is_empty() || opts.only.iter().any(|o| h.label().contains(o)))
        .collect();
    if histories.is_empty() {
        return Err("no history of the corpus list matches --only".to_owned());
    }
    let bin = match &opts.bin {
        Some(bin) => bin.clone(),
        None => crate::build::cargo_migrate(&workspace_root(), false)?,
    };
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("cannot create {}: {e}", opts.out.display()))?;
    let mirrors = std::env::var_os("MIRROR_ROOT")
        .map_or_else(|| PathBuf::from("/work/.mirror"), PathBuf::from);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut rows = Vec::new();
    for h in &histories {
        eprintln!("== {} ({}, {})", h.label(), h.layout.as_str(), h.dialect);
        let outcome = one(&opts, &bin, &mirrors, &runtime, h);
        match &outcome {
            Ok(m) => eprintln!(
                "   {} migration(s): {} false alarm(s), {} miss(es) of {} broken; lint {:.1}s, verify {:.1}s{}",
                m.judged.migrations,
                m.judged.false_alarm_count(),
                m.judged.misses.len(),
                m.judged.broken,
                m.lint.as_secs_f64(),
                m.verify.as_secs_f64(),
                m.stopped
                    .as_deref()
                    .map(|s| format!("; verify stopped: {s}"))
                    .unwrap_or_default()
            ),
            Err(e) => eprintln!("   skipped: {e}"),
        }
        rows.push(Row {
            label: h.label(),
            dialect: h.dialect.clone(),
            layout: h.layout.as_str(),
            outcome,
        });
    }
    let table = render(&rows);
    print!("{table}");
    let summary = opts.out.join("summary.txt");
    std::fs::write(&summary, &table)
        .map_err(|e| format!("cannot write {}: {e}", summary.display()))?;
    eprintln!("details in {}", opts.out.display());
    Ok(())
}

/// A label as a file name.
pub(crate) fn safe(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn one(
    opts: &Options,
    bin: &Path,
    mirrors: &Path,
    runtime: &tokio::runtime::Runtime,
    h: &History,
) -> std::result::Result<Measured, String> {
    let Checkout {
        tmp,
        flat,
        cwd,
        converted,
    } = Checkout::of(mirrors, h)?;
    eprintln!("   converted {} migration(s)", converted.migrations);
    for note in &converted.notes {
        eprintln!("   note: {note}");
    }
    let name = safe(&h.label());
    let write = |file: String, text: &str| {
        let path = opts.out.join(file);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(format!("{name}.map.tsv"), &converted.map())?;
    if opts.keep {
        let kept = opts.out.join(format!("{name}.flat"));
        let _ = std::fs::remove_dir_all(&kept);
        std::fs::create_dir_all(&kept)
            .map_err(|e| format!("cannot create {}: {e}", kept.display()))?;
        converted.write(&kept)?;
    }

    // The checker under test.
    let dummy = match h.dialect.as_str() {
        "postgres" => "postgres://x@localhost/x",
        "mysql" => "mysql://x@localhost/x",
        _ => "sqlite::memory:",
    };
    let started = Instant::now();
    let lint = run_bounded(
        Command::new(bin)
            .current_dir(&cwd)
            .args([
                "migrate",
                "lint",
                "--format",
                "json",
                "--database-url",
                dummy,
                "--dir",
            ])
            .arg(&flat),
        Duration::from_secs(600),
    )?;
    let lint_time = started.elapsed();
    if lint.timed_out || !matches!(lint.code, Some(0 | 1)) {
        return Err(format!(
            "lint {} (exit {:?}):\n{}",
            if lint.timed_out {
                "timed out after 600 s"
            } else {
                "failed"
            },
            lint.code,
            lint.stderr.lines().take(20).collect::<Vec<_>>().join("\n")
        ));
    }
    write(format!("{name}.lint.json"), &lint.stdout)?;
    let json: serde_json::Value = serde_json::from_str(&lint.stdout)
        .map_err(|e| format!("lint printed no JSON ({e}):\n{}", lint.stderr))?;
    let findings = judge::findings(&json)?;

    // The oracle.
    let url = match h.dialect.as_str() {
        "postgres" => opts.postgres_url.clone(),
        "mysql" => opts.mysql_url.clone(),
        _ => format!("sqlite:{}", tmp.path().join("corpus.db").display()),
    };
    let set = MigrationSet::load(&flat, "migrations")
        .map_err(|e| format!("cannot load the converted history: {e}"))?;
    let load_errors: Vec<_> = set
        .findings
        .iter()
        .filter(|f| f.severity == build_support::Severity::Error)
        .collect();
    if let Some(f) = load_errors.first() {
        return Err(format!(
            "the converted history does not load cleanly ({} problem(s), the first: {})",
            load_errors.len(),
            f.message
        ));
    }
    let url = DbUrl::parse(&url).map_err(|e| format!("bad server URL for {}: {e}", h.dialect))?;
    let cfg = Config::embedded(url, "_migrations", "migrations").map_err(|e| e.to_string())?;
    let started = Instant::now();
    let limit = opts.timeout;
    let report = runtime
        .block_on(async {
            cargo_migrate::verify::verify(
                &cfg,
                &set,
                &VerifyOptions::default(),
                tokio::time::sleep(limit),
                |_, _| {},
            )
            .await
        })
        .map_err(|e| format!("verify could not run: {e}"))?;
    let verify_time = started.elapsed();
    let (verdicts, stopped) = verdicts(&set, &report, limit);
    if let Some(e) = &report.not_dropped {
        eprintln!("   warning: {e}");
    }
    let judged = judge::judge(&verdicts, &findings);
    write(
        format!("{name}.details.txt"),
        &details(&set, &judged, stopped.as_deref(), &converted.notes),
    )?;
    Ok(Measured {
        judged,
        lint: lint_time,
        verify: verify_time,
        stopped,
    })
}

/// One history taken out of its mirror and converted to this tool's layout, in a temporary
/// directory (gone when this is dropped): the flat migrations, and an empty working directory
/// to run the tool from.
pub(crate) struct Checkout {
    pub tmp: tempfile::TempDir,
    pub flat: PathBuf,
    pub cwd: PathBuf,
    pub converted: convert::Converted,
}

impl Checkout {
    /// The history `h` from its mirror under `mirrors` (`<owner>+<name>/repo`).
    pub(crate) fn of(mirrors: &Path, h: &History) -> Result<Checkout> {
        let gitdir = mirrors.join(h.repo.replace('/', "+")).join("repo");
        if !gitdir.is_dir() {
            return Err(format!(
                "no mirror at {}: fetch github:{} first",
                gitdir.display(),
                h.repo
            ));
        }
        let tmp =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let raw = tmp.path().join("raw");
        let flat = tmp.path().join("flat");
        let cwd = tmp.path().join("cwd");
        for d in [&raw, &flat, &cwd] {
            std::fs::create_dir(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        extract(&gitdir, &h.path, &raw)?;
        let files = convert::read_dir(&raw.join(&h.path))?;
        let converted = convert::convert(&files, h.layout, h.setup.as_deref());
        converted.write(&flat)?;
        commit_on_main(tmp.path(), "flat")?;
        Ok(Checkout {
            tmp,
            flat,
            cwd,
            converted,
        })
    }
}

/// Commits `dir/path` on the branch `main` of a new repository in `dir`: the history is what
/// a main branch holds, so that lint judges its migrations as deployed (an empty up in it is a
/// placeholder, not a migration still to be written).
fn commit_on_main(dir: &Path, path: &str) -> std::result::Result<(), String> {
    let steps: [&[&str]; 3] = [
        &["init", "-q", "-b", "main"],
        &["add", "--", path],
        &[
            "-c",
            "user.name=corpus",
            "-c",
            "user.email=corpus@localhost",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "the history",
        ],
    ];
    for args in steps {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .map_err(|e| format!("cannot start git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`git {}` in {} failed: {}",
                args.join(" "),
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

/// `git archive HEAD -- path | tar -x -C dir`.
fn extract(gitdir: &Path, path: &str, dir: &Path) -> std::result::Result<(), String> {
    let mut archive = Command::new("git")
        .arg("--git-dir")
        .arg(gitdir)
        .args(["archive", "HEAD", "--", path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start git: {e}"))?;
    let stdout = archive.stdout.take().expect("piped");
    let tar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(dir)
        .stdin(stdout)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot start tar: {e}"))?;
    let git = archive
        .wait_with_output()
        .map_err(|e| format!("git archive: {e}"))?;
    if !git.status.success() {
        return Err(format!(
            "`git archive HEAD -- {path}` failed: {}",
            String::from_utf8_lossy(&git.stderr).trim()
        ));
    }
    if !tar.status.success() || !dir.join(path).is_dir() {
        return Err(format!("{path} is not a directory at HEAD"));
    }
    Ok(())
}

/// What verify proved about each migration of the set, and why it stopped early.
fn verdicts(
    set: &MigrationSet,
    report: &Report<'_>,
    limit: Duration,
) -> (BTreeMap<i64, Verdict>, Option<String>) {
    let mut verdicts: BTreeMap<i64, Verdict> = set
        .migrations
        .iter()
        .map(|m| (m.version, Verdict::Unproved))
        .collect();
    for checked in &report.migrations {
        let problems = &checked.problems;
        let verdict = if problems.iter().any(|p| matches!(p, Problem::UpFailed(_))) {
            Verdict::Unproved
        } else if checked.step == VerifyStep::Irreversible {
            Verdict::Irreversible
        } else if checked.step != VerifyStep::Verify {
            Verdict::Unproved
        } else if problems.is_empty() {
            Verdict::Clean
        } else {
            Verdict::Broken(problems.iter().map(describe).collect::<Vec<_>>().join("; "))
        };
        verdicts.insert(checked.migration.version, verdict);
    }
    let stopped = report.stopped.as_ref().map(|s| match s {
        Stop::FailFast => "--fail-fast".to_owned(),
        Stop::UpFailed {
            migration,
            after_down,
        } => {
            let first = report
                .migrations
                .iter()
                .find(|c| c.migration.name() == *migration)
                .and_then(|c| {
                    c.problems.iter().find_map(|p| match p {
                        Problem::UpFailed(e) | Problem::UpFailedAgain { error: e, .. } => {
                            Some(first_line(e))
                        }
                        _ => None,
                    })
                })
                .unwrap_or_default();
            format!(
                "the up of {migration} failed{}: {first}",
                if *after_down {
                    " again after its down"
                } else {
                    ""
                }
            )
        }
        Stop::Cancelled => format!("timed out after {} s", limit.as_secs()),
        Stop::Error(e) => first_line(e),
    });
    (verdicts, stopped)
}

fn first_line(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or_default();
    if line.len() > 240 {
        let mut end = 240;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &line[..end])
    } else {
        line.to_owned()
    }
}

fn describe(p: &Problem) -> String {
    match p {
        Problem::NoDown => "no down".to_owned(),
        Problem::UpFailed(e) => format!("up failed: {}", first_line(e)),
        Problem::DownFailed { error, .. } => format!("down failed: {}", first_line(error)),
        Problem::NotUndone(differences) => format!(
            "not undone: {}",
            differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Problem::UpFailedAgain { error, .. } => format!("up failed again: {}", first_line(error)),
    }
}

fn details(set: &MigrationSet, j: &Judged, stopped: Option<&str>, notes: &[String]) -> String {
    let name = |v: i64| {
        set.get(v)
            .map_or_else(|| v.to_string(), build_support::Migration::name)
    };
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }
    if let Some(s) = stopped {
        let _ = writeln!(out, "verify stopped: {s}");
    }
    let _ = writeln!(out, "\nfalse alarms ({}):", j.false_alarm_count());
    for (v, rule, message) in &j.false_alarm_list {
        let _ = writeln!(out, "  {}\t{rule}\t{message}", name(*v));
    }
    let _ = writeln!(out, "\nmisses ({} of {} broken):", j.misses.len(), j.broken);
    for (v, warned, what) in &j.misses {
        let _ = writeln!(
            out,
            "  {}{}\t{what}",
            name(*v),
            if *warned { " (warned)" } else { "" }
        );
    }
    out
}

fn render(rows: &[Row]) -> String {
    let head = [
        "history", "dialect", "layout", "migr", "clean", "broken", "unproved", "false-al",
        "misses", "recall", "lint-s", "verify-s",
    ];
    let mut table: Vec<Vec<String>> = vec![head.iter().map(|s| (*s).to_owned()).collect()];
    let mut tot = [0usize; 6];
    let (mut lint, mut verify) = (Duration::ZERO, Duration::ZERO);
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut risks: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = Vec::new();
    for r in rows {
        match &r.outcome {
            Ok(m) => {
                let j = &m.judged;
                let cells = [
                    j.migrations,
                    j.clean,
                    j.broken,
                    j.unproved,
                    j.false_alarm_count(),
                    j.misses.len(),
                ];
                for (t, c) in tot.iter_mut().zip(cells) {
                    *t += c;
                }
                lint += m.lint;
                verify += m.verify;
                for (rule, n) in &j.false_alarms {
                    *rules.entry(rule.clone()).or_default() += n;
                }
                for (rule, n) in &j.risk_errors {
                    *risks.entry(rule.clone()).or_default() += n;
                }
                let mut row = vec![r.label.clone(), r.dialect.clone(), r.layout.to_owned()];
                row.extend(cells.iter().map(ToString::to_string));
                row.push(percent(judge::recall(j.caught(), j.broken)));
                row.push(format!("{:.1}", m.lint.as_secs_f64()));
                row.push(format!("{:.1}", m.verify.as_secs_f64()));
                table.push(row);
                if let Some(s) = &m.stopped {
                    notes.push(format!("{}: verify stopped: {s}", r.label));
                }
            }
            Err(e) => {
                let mut row = vec![r.label.clone(), r.dialect.clone(), r.layout.to_owned()];
                row.extend(std::iter::repeat_n("-".to_owned(), 9));
                table.push(row);
                notes.push(format!(
                    "{}: skipped: {}",
                    r.label,
                    e.lines().next().unwrap_or_default()
                ));
            }
        }
    }
    let mut total = vec!["total".to_owned(), String::new(), String::new()];
    total.extend(tot.iter().map(ToString::to_string));
    total.push(percent(judge::recall(tot[2] - tot[5], tot[2])));
    total.push(format!("{:.1}", lint.as_secs_f64()));
    total.push(format!("{:.1}", verify.as_secs_f64()));
    table.push(total);
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < 3 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    for (what, counts) in [
        ("\nfalse alarms by rule", rules),
        (
            "deploy-risk and process errors (not judged by verify) by rule",
            risks,
        ),
    ] {
        let mut by_count: Vec<_> = counts.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            out,
            "{what}: {}",
            if by_count.is_empty() {
                "none".to_owned()
            } else {
                by_count
                    .iter()
                    .map(|(r, n)| format!("{r}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        );
    }
    for n in notes {
        let _ = writeln!(out, "{n}");
    }
    out
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
}
