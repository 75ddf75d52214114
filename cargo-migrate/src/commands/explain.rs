//! `cargo migrate explain`: what each statement of a migration locks, for how long, and
//! whether it rewrites or scans the table, from build-support's lock model (no database
//! needed).

use std::collections::BTreeMap;

use build_support::analysis::{MigrationFacts, analyze};
use build_support::lock_model::{
    self, Algorithm, LockMode, Prediction, Relation, Rewrite, ServerVersion,
};
use build_support::{Dialect, Migration, MigrationSet, Op, line_col};
use serde::Serialize;

use crate::cli::args::{ExplainArgs, Format};
use crate::cli::{machine, output};
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx, args: &ExplainArgs) -> Result<()> {
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let dialect = ctx.cfg.lint_dialect;
    let (version, version_from) = match ctx.cfg.metadata.server_version(dialect) {
        Some(text) => (
            ServerVersion::parse(text).ok_or_else(|| {
                Error::config(
                    format!("the configured server version `{text}` is not a version"),
                    Some("write it as in `postgres_version = \"15\"` or `mysql_version = \"8.0.29\"`".to_owned()),
                )
            })?,
            "config",
        ),
        None => (ServerVersion::default_for(dialect), "default"),
    };
    for wanted in &args.versions {
        if !set.migrations.iter().any(|m| m.version == *wanted) {
            return Err(Error::refused(
                format!("there is no migration {wanted} in {}", ctx.cfg.dir_display),
                "`cargo migrate status` lists the migrations",
            ));
        }
    }
    let analysis = analyze(&set, dialect);
    let migrations: Vec<MigrationOut> = set
        .migrations
        .iter()
        .zip(&analysis.migrations)
        .filter(|(m, _)| args.versions.is_empty() || args.versions.contains(&m.version))
        .map(|(m, facts)| explain(m, facts, dialect, version))
        .collect();
    match args.format {
        Format::Json => machine::print_json(
            "explain",
            &ExplainDocument {
                dialect: dialect.to_string(),
                server_version: version.to_string(),
                server_version_from: version_from,
                migrations,
            },
        ),
        Format::Human => {
            let mut text = String::new();
            let shown: Vec<&MigrationOut> = migrations
                .iter()
                .filter(|m| !args.versions.is_empty() || !m.statements.is_empty())
                .collect();
            for m in &shown {
                render(&mut text, m, dialect);
            }
            output::stdout(&text);
            let quiet = migrations.len() - shown.len();
            ctx.status(
                "Explained",
                &format!(
                    "{} migration(s) as {dialect}{}{}",
                    migrations.len(),
                    if dialect == Dialect::Sqlite {
                        String::new()
                    } else {
                        format!(" {version} ({version_from} version)")
                    },
                    if quiet > 0 {
                        format!("; {quiet} take no lock worth naming")
                    } else {
                        String::new()
                    }
                ),
            );
        }
    }
    Ok(())
}

/// The JSON document of `explain`.
#[derive(Debug, Serialize)]
struct ExplainDocument {
    dialect: String,
    server_version: String,
    /// `config` (`postgres_version`/`mysql_version`) or `default`.
    server_version_from: &'static str,
    migrations: Vec<MigrationOut>,
}

#[derive(Debug, Serialize)]
struct MigrationOut {
    version: i64,
    name: String,
    file: String,
    /// Whether the up runs in one transaction, so that every lock is held until its COMMIT.
    transaction: bool,
    /// The statements that take a lock, in order.
    statements: Vec<StatementOut>,
    /// The locks held when the migration's transaction commits (empty without one): the
    /// strongest mode per relation and the line of the statement that took it.
    held_at_commit: Vec<HeldOut>,
}

#[derive(Debug, Serialize)]
struct StatementOut {
    line: usize,
    column: usize,
    sql: String,
    operations: Vec<OperationOut>,
}

#[derive(Debug, Serialize)]
struct OperationOut {
    operation: String,
    locks: Vec<LockOut>,
    /// The mode it takes on each index of its table (`REINDEX TABLE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    each_index: Option<&'static str>,
    /// `yes`, `no`, or `unless …` (what the files do not say).
    rewrite: String,
    scan: bool,
    /// A `CONCURRENTLY` form: it waits for the transactions that use the table.
    waits: bool,
    /// `commit`, or `statement` (no transaction, or MySQL's implicit commit of DDL).
    held_until: &'static str,
    /// The tables it touches that the same migration creates (empty, so the cost is nil).
    new_tables: Vec<String>,
    /// MySQL: the best online DDL algorithm and whether writes go on meanwhile.
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<OnlineOut>,
}

#[derive(Debug, Serialize)]
struct LockOut {
    relation: &'static str,
    name: String,
    mode: &'static str,
    blocks: &'static [&'static str],
}

#[derive(Debug, Serialize)]
struct OnlineOut {
    algorithm: &'static str,
    concurrent_writes: bool,
}

#[derive(Debug, Serialize)]
struct HeldOut {
    relation: &'static str,
    name: String,
    mode: &'static str,
    since_line: usize,
}

/// What a lock mode keeps other sessions from doing.
fn blocks(mode: LockMode) -> &'static [&'static str] {
    if mode.blocks_reads() {
        &["reads", "writes", "DDL"]
    } else if mode.blocks_writes() {
        &["writes", "DDL"]
    } else {
        &["DDL"]
    }
}

fn relation(r: Relation) -> &'static str {
    match r {
        Relation::Table => "table",
        Relation::Index => "index",
    }
}

fn explain(
    m: &Migration,
    facts: &MigrationFacts,
    dialect: Dialect,
    version: ServerVersion,
) -> MigrationOut {
    let text = &m.up.text;
    let transaction = !m.up.directives.no_transaction;
    let held_until = if !transaction {
        "statement"
    } else if dialect == Dialect::MySql {
        // DDL commits implicitly there: each statement's locks end with it.
        "statement"
    } else {
        "commit"
    };
    let mut held: BTreeMap<(&'static str, String), (LockMode, usize)> = BTreeMap::new();
    let mut statements = Vec::new();
    for statement in &facts.up.statements {
        let operations: Vec<(&Op, Prediction)> = statement
            .ops
            .iter()
            .filter_map(|op| lock_model::predict(op, dialect, version).map(|p| (op, p)))
            .collect();
        let sqlite_write =
            dialect == Dialect::Sqlite && statement.ops.iter().any(|op| op.table().is_some());
        if operations.is_empty() && !sqlite_write {
            continue;
        }
        let (line, column) = line_col(text, statement.span.start);
        let mut out = StatementOut {
            line,
            column,
            sql: one_line(statement.text(text)),
            operations: Vec::new(),
        };
        if sqlite_write {
            out.operations.push(OperationOut {
                operation: statement
                    .ops
                    .iter()
                    .filter(|op| op.table().is_some())
                    .map(Op::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                locks: Vec::new(),
                each_index: None,
                rewrite: "no".to_owned(),
                scan: false,
                waits: false,
                held_until,
                new_tables: Vec::new(),
                online: None,
            });
        }
        for (op, p) in operations {
            for lock in &p.locks {
                let key = (relation(lock.relation), lock.name.clone());
                let entry = held.entry(key).or_insert((lock.mode, line));
                if lock.mode > entry.0 {
                    *entry = (lock.mode, line);
                }
            }
            let mut new_tables: Vec<String> = p
                .locks
                .iter()
                .filter(|l| l.relation == Relation::Table)
                .map(|l| l.name.as_str())
                .chain(op.table())
                .filter(|t| !facts.preexisting_tables.contains(*t))
                .map(str::to_owned)
                .collect();
            new_tables.sort();
            new_tables.dedup();
            out.operations.push(OperationOut {
                operation: op.to_string(),
                locks: p
                    .locks
                    .iter()
                    .map(|l| LockOut {
                        relation: relation(l.relation),
                        name: l.name.clone(),
                        mode: l.mode.as_str(),
                        blocks: blocks(l.mode),
                    })
                    .collect(),
                each_index: p.each_index.map(LockMode::as_str),
                rewrite: match p.rewrite {
                    Rewrite::No => "no".to_owned(),
                    Rewrite::Yes => "yes".to_owned(),
                    Rewrite::Unless(why) => format!("unless {why}"),
                },
                scan: p.scan,
                waits: p.waits,
                held_until,
                new_tables,
                online: p.online.map(|o| OnlineOut {
                    algorithm: o.algorithm.as_str(),
                    concurrent_writes: o.concurrent_writes,
                }),
            });
        }
        statements.push(out);
    }
    let held_at_commit = if held_until == "commit" {
        held.into_iter()
            .map(|((relation, name), (mode, since_line))| HeldOut {
                relation,
                name,
                mode: mode.as_str(),
                since_line,
            })
            .collect()
    } else {
        Vec::new()
    };
    MigrationOut {
        version: m.version,
        name: m.name(),
        file: m.up.display.clone(),
        transaction,
        statements,
        held_at_commit,
    }
}

/// A statement on one line, cut to 100 characters.
fn one_line(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn render(text: &mut String, m: &MigrationOut, dialect: Dialect) {
    use std::fmt::Write;
    let how = match (m.transaction, dialect) {
        (false, _) => "no transaction: each statement's locks end with it",
        (true, Dialect::MySql) => "MySQL commits each DDL statement on its own",
        (true, Dialect::Sqlite) => {
            "one transaction: the database is locked for writes until COMMIT"
        }
        (true, _) => "one transaction: every lock is held until COMMIT",
    };
    let _ = writeln!(text, "{} ({how})", m.name);
    if m.statements.is_empty() {
        let _ = writeln!(text, "  takes no lock worth naming");
    }
    for s in &m.statements {
        let _ = writeln!(text, "  {}:{}:{}  {}", m.file, s.line, s.column, s.sql);
        for op in &s.operations {
            let _ = writeln!(text, "    {}", describe(op, dialect));
        }
    }
    if !m.held_at_commit.is_empty() {
        let held: Vec<String> = m
            .held_at_commit
            .iter()
            .map(|h| format!("{} {} (since line {})", h.name, h.mode, h.since_line))
            .collect();
        let _ = writeln!(text, "  held until COMMIT: {}", held.join(", "));
    }
    text.push('\n');
}

fn describe(op: &OperationOut, dialect: Dialect) -> String {
    let mut parts = Vec::new();
    for lock in &op.locks {
        let what = if lock.relation == "index" {
            format!("index {} (and its table)", lock.name)
        } else {
            lock.name.clone()
        };
        parts.push(format!(
            "{what} {} (blocks {})",
            lock.mode,
            lock.blocks.join(", ")
        ));
    }
    if let Some(mode) = op.each_index {
        parts.push(format!("each index of the table {mode}"));
    }
    if let Some(online) = &op.online {
        parts.push(if online.concurrent_writes {
            format!("ALGORITHM={} with writes going on", online.algorithm)
        } else if online.algorithm == Algorithm::Copy.as_str() {
            "copies the table, blocking writes (ALGORITHM=COPY)".to_owned()
        } else {
            format!("ALGORITHM={}, blocking writes", online.algorithm)
        });
    }
    if dialect == Dialect::Sqlite {
        parts.push("the whole database, for writers".to_owned());
    }
    match op.rewrite.as_str() {
        "no" => {}
        "yes" => parts.push("rewrites the table".to_owned()),
        unless => parts.push(format!("rewrites the table {unless}")),
    }
    if op.scan {
        parts.push("scans the table".to_owned());
    }
    if op.waits {
        parts.push("waits for the transactions using the table".to_owned());
    }
    if !op.new_tables.is_empty() {
        parts.push(format!(
            "{} new in this migration (empty, so cheap)",
            op.new_tables.join(", ")
        ));
    }
    format!("{} → {}", op.operation, parts.join("; "))
}
