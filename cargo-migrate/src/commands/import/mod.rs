//! `cargo migrate import --from <tool>`: adopts another tool's history. The files are
//! converted in place (renamed in the git index too, as `git mv` would); with a database
//! (`--database-url`, `--env`, `DATABASE_URL`), the tool's tracking table is read and checked
//! (`adopt.rs`) before anything changes, and what it applied is recorded in ours, in one
//! transaction under the run lock, marked as imported. The tool's table is left untouched.
//!
//! `layout.rs`: the tools' layouts read and converted; `adopt.rs`: their tracking tables.

mod adopt;
mod layout;

use std::path::{Path, PathBuf};

use build_support::{Migration, MigrationSet};

use adopt::Known;
use layout::{Converted, Layout};

use crate::backend::{Access, Backend};
use crate::cli::args::ImportArgs;
use crate::cli::output;
use crate::commands::{Ctx, protect, with_backend, with_lock};
use crate::config::{Config, UrlOrigin};
use crate::error::{Error, Result};
use crate::foreign::{self, Found, Tool};
use crate::snapshot::{Change, Difference, diff};
use crate::state::status;

pub async fn run(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let tool = args.from;
    let dir = &ctx.cfg.dir;
    if !dir.is_dir() {
        return Err(Error::config(
            format!("there is no migrations directory {}", ctx.cfg.dir_display),
            Some(
                "point at the tool's migrations with `--dir` (or `--source`), or set `dir` in the config"
                    .to_owned(),
            ),
        ));
    }
    let layout = layout::read(tool, dir)?;
    for (file, why) in &layout.left {
        output::warning(&format!(
            "{}/{}: {why}",
            ctx.cfg.dir_display,
            file.display()
        ));
    }
    let changing: Vec<&Converted> = layout
        .converted
        .iter()
        .filter(|c| c.changes_files(dir))
        .collect();
    let known: Vec<Known> = if layout.converted.is_empty() {
        // Converted by an earlier `import` (another environment's turn): the history as it is.
        let set = ctx.load_strict()?;
        if set.migrations.is_empty() {
            return Err(Error::config(
                format!(
                    "there are no {} migrations (and no converted ones) in {}",
                    tool.name(),
                    ctx.cfg.dir_display
                ),
                Some("point at the tool's migrations with `--dir` (or `--source`)".to_owned()),
            ));
        }
        layout::read_converted(tool, &set)
            .into_iter()
            .zip(&set.migrations)
            .map(|((tool_version, version), m)| Known {
                tool_version,
                version,
                name: m.slug.clone(),
                checksummed: None,
                file: m.up.display.clone(),
            })
            .collect()
    } else {
        layout
            .converted
            .iter()
            .map(|c| Known {
                tool_version: c.source.tool_version.clone(),
                version: c.version,
                name: c.source.name.clone(),
                checksummed: c.source.checksummed.clone(),
                file: c.source.files[0].display().to_string(),
            })
            .collect()
    };
    print_plan(ctx, tool, &layout, &changing);

    // The database: read and checked before any file changes.
    let adopting = !matches!(ctx.cfg.url_origin, UrlOrigin::EmbeddedDefault);
    let adopted = if adopting {
        ctx.announce_database();
        with_backend!(ctx.cfg.url.kind, B => read_foreign::<B>(&ctx.cfg, tool, &known).await?)
    } else {
        None
    };
    if let Some((found, a)) = &adopted {
        let mut line = format!(
            "{} records {} applied migration(s) in {}",
            tool.name(),
            a.versions.len(),
            found.table
        );
        if a.checksums_compared > 0 {
            line.push_str(&format!(
                "; their {} checksums match the files",
                a.checksums_compared
            ));
        } else if matches!(tool, Tool::Sqlx | Tool::Refinery | Tool::Flyway) {
            line.push_str(" (checksums not compared: the files were converted earlier)");
        }
        ctx.status("Read", &line);
    }
    if args.verify {
        let Some((found, a)) = &adopted else {
            return Err(Error::config(
                "`import --verify` compares the converted history with a database, and there is none to compare with",
                Some("name the database with `--database-url` (`-D`) or `--env`".to_owned()),
            ));
        };
        // The history as it will be, read from memory: nothing is written before the proof.
        let files: Vec<(String, String)> = layout
            .converted
            .iter()
            .flat_map(|c| std::iter::once(c.up_file.clone()).chain(c.down_file.clone()))
            .collect();
        let set = if files.is_empty() {
            ctx.load_strict()?
        } else {
            MigrationSet::from_files(
                &ctx.cfg.dir_display,
                files.iter().map(|(n, t)| (n.as_str(), t.as_bytes())),
            )
        };
        let applied: Vec<&Migration> = set
            .migrations
            .iter()
            .filter(|m| a.versions.contains(&m.version))
            .collect();
        prove(ctx, &applied, Some(&found.table)).await?;
    }
    if args.dry_run {
        if let Some((_, a)) = &adopted {
            ctx.status(
                "Would",
                &format!(
                    "record {} migration(s) as applied (imported from {}): {}",
                    a.versions.len(),
                    tool.name(),
                    list(&a.versions)
                ),
            );
        }
        ctx.status("Finished", "dry run: nothing was changed");
        return Ok(());
    }
    if let Some((found, a)) = &adopted
        && !a.versions.is_empty()
    {
        protect::confirm(
            ctx,
            &format!(
                "import (record {} migration(s) that {} applied, from {})",
                a.versions.len(),
                tool.name(),
                found.table
            ),
        )?;
    }

    write_files(ctx, dir, &changing)?;

    let Some((found, a)) = adopted else {
        if adopting {
            output::warning(&format!(
                "the database has no {} tracking table ({}): only the files were converted; `cargo migrate up` applies them there",
                tool.name(),
                tool.default_table()
            ));
        }
        ctx.status(
            "Finished",
            &format!(
                "converted {} {} migration(s); adopt each database {} migrated with `cargo migrate import --from {} --database-url <URL>` (or `--env <NAME>`)",
                known.len(),
                tool.name(),
                tool.name(),
                tool.id()
            ),
        );
        return Ok(());
    };
    let set = ctx.load_strict()?;
    let cfg = Config {
        adopting: true,
        ..ctx.cfg.clone()
    };
    let recorded = with_backend!(ctx.cfg.url.kind, B => {
        with_lock::<B, _>(&cfg, async |session| {
            let rows = session.applied().await?;
            let entries = status(&set, &rows);
            let todo: Vec<_> = entries
                .iter()
                .filter(|e| e.row.is_none() && a.versions.contains(&e.version))
                .filter_map(|e| e.migration)
                .collect();
            if !todo.is_empty() {
                session.record_imported(&todo, tool.name()).await?;
            }
            Ok(todo.len())
        })
        .await?
    });
    ctx.status(
        "Finished",
        &format!(
            "recorded {recorded} migration(s) as applied, imported from {} ({} already recorded); `cargo migrate up` applies what comes after",
            found.table,
            a.versions.len() - recorded
        ),
    );
    ctx.status(
        "Kept",
        &format!(
            "{} as it was; once every environment runs cargo-migrate, drop it: `DROP TABLE {};`",
            found.table, found.table
        ),
    );
    Ok(())
}

/// Reads and checks the tool's tracking table (none: `Ok(None)`), refusing another tool's.
async fn read_foreign<B: Backend>(
    cfg: &Config,
    tool: Tool,
    known: &[Known],
) -> Result<Option<(Found, adopt::Adopted)>> {
    let Some(mut db) =
        crate::backend::connect::<B>(&cfg.url, Access::ReadOnly, cfg.wait, &cfg.events).await?
    else {
        return Ok(None);
    };
    let result = async {
        let found = foreign::detect(&mut db, cfg.sqlx_table.as_deref()).await?;
        let Some(found) = found else {
            return Ok(None);
        };
        if found.tool != tool {
            return Err(Error::refused(
                format!(
                    "this database was migrated with {}, not {}: it holds {}",
                    found.tool.name(),
                    tool.name(),
                    found.table
                ),
                format!(
                    "nothing was changed; run `cargo migrate import --from {}`",
                    found.tool.id()
                ),
            ));
        }
        let rows = foreign::read_rows(&mut db, &found, cfg.url.kind.dialect()).await?;
        let adopted = adopt::adopt(&found, &rows, known)?;
        Ok(Some((found, adopted)))
    }
    .await;
    db.close().await;
    result
}

fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_plan(ctx: &Ctx, tool: Tool, layout: &Layout, changing: &[&Converted]) {
    for (from, to) in &layout.renumbered {
        ctx.status(
            "Renumber",
            &format!(
                "{} version {from} -> {to} (its versions are not unique positive integers in order; the order is kept)",
                tool.name()
            ),
        );
    }
    for c in changing {
        let targets: Vec<&str> = std::iter::once(&c.up_file)
            .chain(&c.down_file)
            .map(|(n, _)| n.as_str())
            .collect();
        let sources: Vec<String> = c
            .source
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        ctx.status(
            "Convert",
            &format!("{} -> {}", sources.join(" + "), targets.join(" + ")),
        );
    }
    if changing.is_empty() && !layout.converted.is_empty() {
        ctx.status("Fresh", "the files are already in cargo-migrate's layout");
    }
}

/// Writes the converted files, removes the tool's, and stages both in the git index where the
/// tool's files were tracked, so that history follows the files.
fn write_files(ctx: &Ctx, dir: &Path, changing: &[&Converted]) -> Result<()> {
    if changing.is_empty() {
        return Ok(());
    }
    let repo = git2::Repository::discover(dir).ok();
    let workdir = repo.as_ref().and_then(|r| r.workdir().map(canonical));
    let mut index = repo.as_ref().and_then(|r| r.index().ok());
    let dir_abs = canonical(dir);
    let rel = |name: &Path| -> Option<PathBuf> {
        let workdir = workdir.as_ref()?;
        dir_abs
            .join(name)
            .strip_prefix(workdir)
            .ok()
            .map(Path::to_path_buf)
    };
    let git_err =
        |what: &str, e: git2::Error| Error::config(format!("{what}: {}", e.message()), None);
    let mut staged = false;
    for c in changing {
        let targets: Vec<&(String, String)> =
            std::iter::once(&c.up_file).chain(&c.down_file).collect();
        for (name, text) in &targets {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        }
        let tracked = c.source.files.iter().any(|f| {
            rel(f).is_some_and(|r| index.as_ref().is_some_and(|i| i.get_path(&r, 0).is_some()))
        });
        for f in &c.source.files {
            if targets.iter().any(|(n, _)| Path::new(n) == f) {
                continue;
            }
            let path = dir.join(f);
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(format!("cannot remove {}", path.display()), e))?;
            if let Some(parent) = f.parent().filter(|p| !p.as_os_str().is_empty()) {
                // Diesel's directory, once empty.
                let _ = std::fs::remove_dir(dir.join(parent));
            }
            if let (Some(index), Some(r)) = (index.as_mut(), rel(f))
                && index.get_path(&r, 0).is_some()
            {
                index
                    .remove_path(&r)
                    .map_err(|e| git_err("cannot stage the removal", e))?;
                staged = true;
            }
        }
        if tracked && let Some(index) = index.as_mut() {
            for (name, _) in &targets {
                if let Some(r) = rel(Path::new(name)) {
                    index
                        .add_path(&r)
                        .map_err(|e| git_err("cannot stage the new file", e))?;
                    staged = true;
                }
            }
        }
    }
    if staged && let Some(index) = index.as_mut() {
        index
            .write()
            .map_err(|e| git_err("cannot write the git index", e))?;
    }
    ctx.status(
        "Converted",
        &format!(
            "{} migration(s) in {}{}",
            changing.len(),
            ctx.cfg.dir_display,
            if staged {
                " (renames staged in git)"
            } else {
                ""
            }
        ),
    );
    Ok(())
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Proves that `migrations` build the live database's schema: applies them in a scratch
/// database on the same server and compares its schema with the live one, per object (the
/// tracking tables, ours and `foreign_table`, left out). Every difference is shown.
pub(crate) async fn prove(
    ctx: &Ctx,
    migrations: &[&Migration],
    foreign_table: Option<&str>,
) -> Result<()> {
    protect::refuse_scratch(ctx)?;
    let (live, replayed) = with_backend!(ctx.cfg.url.kind, B => {
        let live = crate::commands::dump::read::<B>(&ctx.cfg).await?;
        let replayed =
            crate::verify::replay_schema::<B>(&ctx.cfg, migrations, &ctx.cfg.dir_display).await?;
        (live, replayed)
    });
    let differences: Vec<String> = diff(&live, &replayed)
        .iter()
        .filter(|d| foreign_table.is_none_or(|t| !mentions(&d.object, t)))
        .map(in_words)
        .collect();
    if !differences.is_empty() {
        return Err(Error::refused(
            format!(
                "the {} migration(s) do not build the live database's schema: {} difference(s):\n  {}",
                migrations.len(),
                differences.len(),
                differences.join("\n  ")
            ),
            "nothing was recorded and no file changed; make the migrations say what the database has (a new migration for what was changed by hand, or the file as it was applied), then run the command again; `cargo migrate dump` prints the live schema",
        ));
    }
    ctx.status(
        "Proved",
        &format!(
            "the {} migration(s) build the live schema (compared per object with a scratch database's)",
            migrations.len()
        ),
    );
    Ok(())
}

/// Whether a difference's object (`table users`, `index users_pkey`) is about `table`.
fn mentions(object: &str, table: &str) -> bool {
    let table = table
        .rsplit('.')
        .next()
        .unwrap_or(table)
        .to_ascii_lowercase();
    object
        .to_ascii_lowercase()
        .split([' ', '.', '(', ')', ','])
        .any(|word| word == table || word.starts_with(&format!("{table}_")))
}

/// A difference between the live schema (before) and the replayed one (after), in words.
fn in_words(d: &Difference) -> String {
    let object = &d.object;
    match &d.change {
        Change::Left => format!("{object}: built by the migrations, not in the live database"),
        Change::Missing => format!("{object}: in the live database, not built by the migrations"),
        Change::Changed {
            attribute,
            before,
            after,
            ..
        } => format!(
            "{object}: {attribute} is {} in the live database, {} from the migrations",
            before.as_deref().unwrap_or("not set"),
            after.as_deref().unwrap_or("not set")
        ),
    }
}
