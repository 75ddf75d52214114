//! `cargo xtask squawk`: this tool's lock and deploy rules side by side with squawk's, on the
//! real PostgreSQL histories of `scripts/corpus.txt` (fetched beforehand, never committed).
//! Each history is converted as `cargo xtask corpus` converts it; both tools read the same up
//! scripts (squawk told which run in a transaction and the server version), every finding is
//! keyed by (migration, rule) after squawk's rule names are mapped to ours, and per rule the
//! table counts the migrations both flag, only ours, only squawk's. The disagreements are
//! written out with both messages, to be read: they are where one of the two is wrong.
//!
//! Never part of `cargo test`: it needs the fetched histories and squawk (`pip install
//! squawk-cli`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::chaos::run::run_bounded;
use crate::corpus::{self, History};
use crate::{Result, flags::Flags, workspace_root};

const USAGE: &str = "\
usage: cargo xtask squawk [options]

Runs this tool's `lint` and squawk on the up scripts of every PostgreSQL history of
scripts/corpus.txt and compares them rule by rule (squawk's rule names mapped to ours):
per rule the migrations both flag, only this tool flags, only squawk flags, and the wall time
of each tool. The style rules that are `allow` by default are turned on for the comparison.
Each repository must be fetched first, as for `cargo xtask corpus`.

options:
  --corpus FILE     the list of histories (default scripts/corpus.txt)
  --only TEXT       only the histories whose `owner/name:path` contains TEXT (repeatable)
  --bin PATH        the cargo-migrate binary (default $CARGO_MIGRATE_BIN, else this
                    workspace's, built in release)
  --squawk PATH     the squawk binary (default `squawk` on PATH)
  --pg-version V    the PostgreSQL version both tools assume (default 15)
  --out DIR         where the disagreements go (default target/squawk)
  -h, --help        show this help
";

/// squawk's rule names that have a counterpart here under another name. The rest are either
/// spelled alike or squawk's alone (then they are counted as such).
const SQUAWK_TO_OURS: &[(&str, &str)] = &[
    ("adding-field-with-default", "table-rewrite"),
    (
        "adding-foreign-key-constraint",
        "constraint-missing-not-valid",
    ),
    ("adding-not-nullable-field", "set-not-null-scan"),
    ("adding-required-field", "adding-not-nullable-field"),
    (
        "adding-serial-primary-key-field",
        "unique-constraint-without-index",
    ),
    (
        "disallowed-unique-constraint",
        "unique-constraint-without-index",
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        "concurrently-in-transaction",
    ),
    ("transaction-nesting", "transaction-control"),
    ("require-timeout-settings", "require-lock-timeout"),
    ("prefer-timestamp-tz", "prefer-timestamptz"),
];

/// Our rules that squawk also has (after the mapping): the ones compared.
const COMPARED: &[&str] = &[
    "require-lock-timeout",
    "table-rewrite",
    "changing-column-type",
    "constraint-missing-not-valid",
    "unique-constraint-without-index",
    "set-not-null-scan",
    "adding-not-nullable-field",
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "concurrently-in-transaction",
    "transaction-control",
    "renaming-column",
    "renaming-table",
    "prefer-robust-stmts",
    "ban-drop-column",
    "ban-drop-table",
    "prefer-bigint-over-int",
    "prefer-text-field",
    "prefer-timestamptz",
    "prefer-identity",
    "identifier-too-long",
    "require-concurrent-reindex",
    "require-concurrent-partition-detach",
];

/// The allow-by-default rules turned on for the comparison.
const STYLE: &[&str] = &[
    "prefer-bigint-over-int",
    "prefer-text-field",
    "prefer-timestamptz",
    "prefer-identity",
];

struct Options {
    corpus: PathBuf,
    only: Vec<String>,
    bin: Option<PathBuf>,
    squawk: PathBuf,
    pg_version: String,
    out: PathBuf,
}

impl Options {
    fn parse(args: Vec<String>) -> Result<Option<Options>> {
        let root = workspace_root();
        let mut o = Options {
            corpus: root.join("scripts/corpus.txt"),
            only: Vec::new(),
            bin: std::env::var_os("CARGO_MIGRATE_BIN").map(PathBuf::from),
            squawk: PathBuf::from("squawk"),
            pg_version: "15".to_owned(),
            out: crate::build::target_dir(&root).join("squawk"),
        };
        let mut flags = Flags::new(args);
        while let Some((flag, inline)) = flags.next() {
            match flag.as_str() {
                "--corpus" => o.corpus = PathBuf::from(flags.value(&flag, inline)?),
                "--only" => o.only.push(flags.value(&flag, inline)?),
                "--bin" => o.bin = Some(PathBuf::from(flags.value(&flag, inline)?)),
                "--squawk" => o.squawk = PathBuf::from(flags.value(&flag, inline)?),
                "--pg-version" => o.pg_version = flags.value(&flag, inline)?,
                "--out" => o.out = PathBuf::from(flags.value(&flag, inline)?),
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
            }
        }
        Ok(Some(o))
    }
}

/// One finding of either tool: the migration's version, our rule id, line, message.
#[derive(Clone, Debug)]
struct Hit {
    version: i64,
    rule: String,
    line: usize,
    message: String,
}

/// The comparison of one history.
#[derive(Default)]
struct Compared {
    migrations: usize,
    /// Per compared rule: (both, only ours, only squawk's), in migrations.
    rules: BTreeMap<&'static str, (usize, usize, usize)>,
    /// squawk's rules with no counterpart here: migrations flagged.
    squawk_only_rules: BTreeMap<String, usize>,
    ours: Duration,
    squawk: Duration,
}

pub fn main(args: Vec<String>) -> Result<()> {
    let Some(opts) = Options::parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let histories: Vec<History> = corpus::read_corpus(&opts.corpus)?
        .into_iter()
        .filter(|h| h.dialect == "postgres")
        .filter(|h| opts.only.is_empty() || opts.only.iter().any(|o| h.label().contains(o)))
        .collect();
    if histories.is_empty() {
        return Err("no PostgreSQL history of the corpus list matches --only".to_owned());
    }
    let version = Command::new(&opts.squawk).arg("--version").output();
    let squawk_version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => {
            return Err(format!(
                "cannot run {}: install it with `pip install squawk-cli` or name it with --squawk",
                opts.squawk.display()
            ));
        }
    };
    let bin = match &opts.bin {
        Some(bin) => bin.clone(),
        None => crate::build::cargo_migrate(&workspace_root(), true)?,
    };
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("cannot create {}: {e}", opts.out.display()))?;
    let mirrors = std::env::var_os("MIRROR_ROOT")
        .map_or_else(|| PathBuf::from("/work/.mirror"), PathBuf::from);
    let mut rows = Vec::new();
    for h in &histories {
        eprintln!("== {}", h.label());
        match one(&opts, &bin, &mirrors, h) {
            Ok(c) => rows.push((h.label(), c)),
            Err(e) => eprintln!("   skipped: {e}"),
        }
    }
    let table = render(&rows, &squawk_version, &opts.pg_version);
    print!("{table}");
    let summary = opts.out.join("summary.txt");
    std::fs::write(&summary, &table)
        .map_err(|e| format!("cannot write {}: {e}", summary.display()))?;
    eprintln!("disagreements in {}", opts.out.display());
    Ok(())
}

fn one(opts: &Options, bin: &Path, mirrors: &Path, h: &History) -> Result<Compared> {
    // `_tmp` holds the directory until the end (`_` would drop it at once).
    let corpus::Checkout {
        tmp: _tmp,
        flat,
        cwd,
        ..
    } = corpus::Checkout::of(mirrors, h)?;
    let src = cwd.join("src");
    std::fs::create_dir(&src).map_err(|e| format!("cannot create {}: {e}", src.display()))?;
    // A package whose config turns the style rules on and names the server version, so that
    // both tools judge the same rules for the same server.
    let mut manifest = format!(
        "[package]\nname = \"corpus\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [package.metadata.migrate]\ndialect = \"postgres\"\npostgres_version = \"{}\"\n\n\
         [package.metadata.migrate.lints]\n",
        opts.pg_version
    );
    for rule in STYLE {
        let _ = writeln!(manifest, "{rule} = \"warn\"");
    }
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(&cwd.join("Cargo.toml"), &manifest)?;
    write(&cwd.join("src/lib.rs"), "")?;

    let started = Instant::now();
    let lint = run_bounded(
        Command::new(bin)
            .current_dir(&cwd)
            .args(["migrate", "lint", "--format", "json", "--dir"])
            .arg(&flat),
        Duration::from_secs(600),
    )?;
    let ours_time = started.elapsed();
    if lint.timed_out || !matches!(lint.code, Some(0 | 1)) {
        return Err(format!(
            "lint failed (exit {:?}): {}",
            lint.code,
            lint.stderr.lines().take(10).collect::<Vec<_>>().join("\n")
        ));
    }
    let json: serde_json::Value = serde_json::from_str(&lint.stdout)
        .map_err(|e| format!("lint printed no JSON ({e}):\n{}", lint.stderr))?;
    let ours = our_hits(&json);

    // squawk reads each up script; those without `-- migrate:no-transaction` are told they run
    // in a transaction, as they do here.
    let (mut in_tx, mut no_tx) = (Vec::new(), Vec::new());
    let mut migrations = 0;
    for entry in
        std::fs::read_dir(&flat).map_err(|e| format!("cannot read {}: {e}", flat.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".sql") || name.ends_with(".down.sql") {
            continue;
        }
        migrations += 1;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text
            .lines()
            .any(|l| l.trim() == "-- migrate:no-transaction")
        {
            no_tx.push(path);
        } else {
            in_tx.push(path);
        }
    }
    let started = Instant::now();
    let mut theirs = Vec::new();
    for (files, in_transaction) in [(&in_tx, true), (&no_tx, false)] {
        if files.is_empty() {
            continue;
        }
        let mut cmd = Command::new(&opts.squawk);
        cmd.args(["--reporter", "json", "--pg-version", &opts.pg_version]);
        if in_transaction {
            cmd.arg("--assume-in-transaction");
        }
        cmd.args(files.iter());
        let out = run_bounded(&mut cmd, Duration::from_secs(600))?;
        if out.timed_out {
            return Err("squawk timed out after 600 s".to_owned());
        }
        let json: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| {
            format!(
                "squawk printed no JSON ({e}): {}",
                out.stderr.lines().take(5).collect::<Vec<_>>().join("\n")
            )
        })?;
        theirs.extend(squawk_hits(&json));
    }
    let squawk_time = started.elapsed();

    let mut compared = Compared {
        migrations,
        ours: ours_time,
        squawk: squawk_time,
        ..Compared::default()
    };
    let key = |h: &Hit| (h.version, h.rule.clone());
    let ours_keys: BTreeSet<(i64, String)> = ours.iter().map(key).collect();
    let theirs_keys: BTreeSet<(i64, String)> = theirs.iter().map(key).collect();
    let mut disagreements = String::new();
    for rule in COMPARED {
        let flagged = |keys: &BTreeSet<(i64, String)>| -> BTreeSet<i64> {
            keys.iter()
                .filter(|(_, r)| r == rule)
                .map(|(v, _)| *v)
                .collect()
        };
        let (a, b) = (flagged(&ours_keys), flagged(&theirs_keys));
        let both = a.intersection(&b).count();
        let only_ours: Vec<i64> = a.difference(&b).copied().collect();
        let only_theirs: Vec<i64> = b.difference(&a).copied().collect();
        compared
            .rules
            .insert(rule, (both, only_ours.len(), only_theirs.len()));
        let sides = [
            ("only ours", &only_ours, &ours, &theirs),
            ("only squawk", &only_theirs, &theirs, &ours),
        ];
        for (label, versions, hits, other) in sides {
            for v in versions {
                let _ = writeln!(disagreements, "{rule} {label}: migration {v}");
                for hit in hits.iter().filter(|x| x.version == *v && x.rule == *rule) {
                    let _ = writeln!(disagreements, "    line {}: {}", hit.line, hit.message);
                }
                for hit in other.iter().filter(|x| x.version == *v) {
                    let _ = writeln!(
                        disagreements,
                        "    (the other tool: {} line {}: {})",
                        hit.rule, hit.line, hit.message
                    );
                }
            }
        }
    }
    for (_, rule) in &theirs_keys {
        if !COMPARED.contains(&rule.as_str()) {
            *compared.squawk_only_rules.entry(rule.clone()).or_default() += 1;
        }
    }
    let path = opts.out.join(format!("{}.txt", corpus::safe(&h.label())));
    write(&path, &disagreements)?;
    Ok(compared)
}

/// Our findings, by migration: the version from the file name (`<version>_<slug>…`).
fn our_hits(json: &serde_json::Value) -> Vec<Hit> {
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    findings
        .iter()
        .filter_map(|f| {
            let file = f["file"].as_str()?;
            Some(Hit {
                version: version_of(file)?,
                rule: f["rule"].as_str()?.to_owned(),
                line: f["region"]["line"].as_u64().unwrap_or(0) as usize,
                message: f["message"].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// squawk's findings (0-based lines), its rule names mapped to ours.
fn squawk_hits(json: &serde_json::Value) -> Vec<Hit> {
    let findings = json.as_array().cloned().unwrap_or_default();
    findings
        .iter()
        .filter_map(|f| {
            let name = f["rule_name"].as_str()?;
            let rule = SQUAWK_TO_OURS
                .iter()
                .find(|(theirs, _)| *theirs == name)
                .map_or(name, |(_, ours)| ours);
            Some(Hit {
                version: version_of(f["file"].as_str()?)?,
                rule: rule.to_owned(),
                line: f["line"].as_u64().unwrap_or(0) as usize + 1,
                message: f["message"].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

fn version_of(file: &str) -> Option<i64> {
    let name = Path::new(file).file_name()?.to_str()?;
    name.split('_').next()?.parse().ok()
}

fn render(rows: &[(String, Compared)], squawk_version: &str, pg_version: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cargo-migrate lint vs {squawk_version}, PostgreSQL {pg_version}: migrations flagged per rule (both / only ours / only squawk)\n"
    );
    let mut totals: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut squawk_only: BTreeMap<String, usize> = BTreeMap::new();
    for (label, c) in rows {
        let _ = writeln!(
            out,
            "{label}: {} migration(s); lint {:.2}s, squawk {:.2}s",
            c.migrations,
            c.ours.as_secs_f64(),
            c.squawk.as_secs_f64()
        );
        for (rule, (both, ours, theirs)) in &c.rules {
            if both + ours + theirs > 0 {
                let _ = writeln!(out, "  {rule:<36} {both:>4} / {ours:>4} / {theirs:>4}");
            }
            let t = totals.entry(rule).or_default();
            t.0 += both;
            t.1 += ours;
            t.2 += theirs;
        }
        for (rule, n) in &c.squawk_only_rules {
            *squawk_only.entry(rule.clone()).or_default() += n;
        }
    }
    let _ = writeln!(out, "\ntotal, {} histories:", rows.len());
    for (rule, (both, ours, theirs)) in &totals {
        let _ = writeln!(out, "  {rule:<36} {both:>4} / {ours:>4} / {theirs:>4}");
    }
    if !squawk_only.is_empty() {
        let _ = writeln!(
            out,
            "\nsquawk's rules with no counterpart here (migrations flagged):"
        );
        for (rule, n) in &squawk_only {
            let _ = writeln!(out, "  {rule:<36} {n:>4}");
        }
    }
    out
}
