//! `cargo migrate rebase`: renumbers the migrations this branch added after the main branch's
//! newest, keeping their order and slugs. Both files of each migration are renamed (in the
//! index too when they are tracked, as `git mv` would), the review lock is re-keyed so the
//! review survives, and a lock that a merge left conflicted is rebuilt from both sides.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use build_support::git::check_branch;
use build_support::lock::{LOCK_FILE, Lock, LockEntry, has_conflict_markers, rebuild_conflicted};
use build_support::{FileKind, MigrationSet, parse_file_name};

use crate::cli::output;
use crate::cli::report::eprintln_report;
use crate::commands::{Ctx, read_applied, with_backend};
use crate::error::{Error, Result};
use crate::state::AppliedRow;

/// One file to rename.
#[derive(Debug)]
struct Move {
    from: PathBuf,
    to: PathBuf,
}

/// One migration to renumber.
#[derive(Debug)]
struct Renumber {
    old: i64,
    new: i64,
    slug: String,
    moves: Vec<Move>,
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    let dir = &ctx.cfg.dir;
    let git_err = |what: &str, e: git2::Error| {
        Error::refused(
            format!("{what}: {}", e.message()),
            "check the repository with `git status`",
        )
    };
    let repo = git2::Repository::discover(dir).map_err(|_| {
        Error::refused(
            format!(
                "{} is not in a git repository: there is no branch to rebase",
                ctx.cfg.dir_display
            ),
            "rebase renumbers the migrations a git branch added; outside git, rename them by hand",
        )
    })?;
    let Some(workdir) = repo.workdir().map(canonical) else {
        return Err(Error::refused(
            "a bare repository has no working tree to rebase",
            "run it in a checkout",
        ));
    };
    let rel = |path: &Path| -> Option<PathBuf> {
        let parent = canonical(path.parent()?);
        Some(parent.strip_prefix(&workdir).ok()?.join(path.file_name()?))
    };
    let lock_path = dir.join(LOCK_FILE);
    let lock_rel = rel(&lock_path);
    let lock_shown = format!("{}/{LOCK_FILE}", ctx.cfg.dir_display.trim_end_matches('/'));

    // Conflicts: only one in the lock can be fixed here.
    let mut index = repo
        .index()
        .map_err(|e| git_err("cannot read the git index", e))?;
    let mut lock_conflicted = false;
    let mut others = BTreeSet::new();
    if index.has_conflicts() {
        let conflicts = index
            .conflicts()
            .map_err(|e| git_err("cannot read the conflicts", e))?;
        for conflict in conflicts {
            let conflict = conflict.map_err(|e| git_err("cannot read the conflicts", e))?;
            let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) else {
                continue;
            };
            let path = PathBuf::from(String::from_utf8_lossy(&entry.path).into_owned());
            if Some(&path) == lock_rel.as_ref() {
                lock_conflicted = true;
            } else {
                others.insert(path.display().to_string());
            }
        }
    }
    if !others.is_empty() {
        return Err(Error::refused(
            format!(
                "the working tree has unresolved conflicts: {}",
                others.into_iter().collect::<Vec<_>>().join(", ")
            ),
            "resolve them and `git add` them (`git status` lists them), then run `cargo migrate rebase` again; a conflict in migrate.lock alone is fine, rebase rebuilds it",
        ));
    }
    let lock_text = std::fs::read_to_string(&lock_path).ok();
    let rebuild = lock_conflicted || lock_text.as_deref().is_some_and(has_conflict_markers);

    let against_main = |set: &MigrationSet| {
        check_branch(
            dir,
            set,
            ctx.cfg.lint_dialect,
            ctx.cfg.metadata.main_branch.as_deref(),
        )
    };
    let set = MigrationSet::load(dir, &ctx.cfg.dir_display)?;
    let check = against_main(&set);
    if let Some(reason) = &check.skipped {
        return Err(Error::refused(
            format!("cannot rebase: {reason}"),
            "rebase renumbers the migrations a branch added after the main branch's (`main_branch` in the config, else origin/HEAD, main or master): run it on that branch, or on main while `git merge <branch>` is in progress",
        ));
    }
    let main = check.main_branch.clone().unwrap_or_else(|| "main".into());

    let plan = plan(dir, &check.branch_migrations, check.main_newest)?;

    // A migration the developer's database applied under its old version would show there as
    // missing after the rename, with its new version pending: revert it first, while its
    // files still carry the version the database knows.
    if !plan.is_empty() {
        let applied = with_backend!(ctx.cfg.url.kind, B => read_applied::<B>(&ctx.cfg).await);
        match applied {
            Ok(rows) => refuse_applied(&plan, &rows, &set, &main, &ctx.cfg.url.to_string())?,
            Err(e) => output::warning(&format!(
                "could not read your database to see whether a migration to renumber is applied there ({e}); if one is, `cargo migrate status` will show it as missing after the rename"
            )),
        }
    }

    let mut staged = false;
    for r in &plan {
        for m in &r.moves {
            std::fs::rename(&m.from, &m.to).map_err(|e| {
                Error::io(
                    format!("cannot rename {} to {}", m.from.display(), m.to.display()),
                    e,
                )
            })?;
            if let (Some(from), Some(to)) = (rel(&m.from), rel(&m.to))
                && let Some(entry) = index.get_path(&from, 0)
            {
                let mut entry = entry;
                entry.path = to.to_string_lossy().into_owned().into_bytes();
                index
                    .add(&entry)
                    .and_then(|()| index.remove_path(&from))
                    .map_err(|e| git_err("cannot stage the rename", e))?;
                staged = true;
            }
            ctx.status(
                "Renamed",
                &format!(
                    "{} -> {}",
                    shown(&ctx.cfg.dir_display, &m.from),
                    shown(&ctx.cfg.dir_display, &m.to)
                ),
            );
        }
    }

    // The lock: rebuilt from both sides of a merge, or read; then re-keyed.
    let mut lock = if rebuild {
        Some(rebuild_conflicted(lock_text.as_deref().unwrap_or(""), &set))
    } else {
        match Lock::read(dir, &lock_shown) {
            Ok(lock) => lock,
            Err(damaged) => {
                eprintln_report(miette::Report::new(*damaged));
                return Err(Error::refused(
                    format!(
                        "{lock_shown} is damaged (above), so the review could not be carried over"
                    ),
                    "fix the lock as it says, then record the renamed migrations with `cargo migrate review`",
                ));
            }
        }
    };
    if let Some(lock) = &mut lock {
        let mut changed = rebuild;
        for r in &plan {
            if let Some(entry) = lock.remove(r.old) {
                changed = true;
                if entry.slug == r.slug {
                    lock.insert(LockEntry {
                        version: r.new,
                        ..entry
                    });
                }
            }
        }
        if changed {
            lock.write(dir)
                .map_err(|e| Error::io(format!("cannot write {lock_shown}"), e))?;
            let tracked = lock_rel
                .as_ref()
                .is_some_and(|p| index.get_path(p, 0).is_some());
            if let Some(path) = &lock_rel
                && (lock_conflicted || (staged && tracked))
            {
                index
                    .add_path(path)
                    .map_err(|e| git_err("cannot stage the lock", e))?;
                staged = true;
            }
            ctx.status(
                if rebuild { "Rebuilt" } else { "Updated" },
                &if rebuild {
                    format!(
                        "{lock_shown} from both sides of the merge, with the renamed migrations"
                    )
                } else {
                    format!("{lock_shown}: the review of the renamed migrations is kept")
                },
            );
        }
    }
    if staged {
        index
            .write()
            .map_err(|e| git_err("cannot write the git index", e))?;
    }

    // What is left: conflicts renumbering cannot fix.
    let after = against_main(&MigrationSet::load(dir, &ctx.cfg.dir_display)?);
    if !after.conflicts.is_empty() {
        for finding in &after.conflicts {
            eprintln_report(miette::Report::new(finding.clone()));
        }
        return Err(Error::refused(
            format!(
                "{} conflict(s) with {main} remain that renumbering cannot fix (above)",
                after.conflicts.len()
            ),
            "rewrite those migrations against main's schema (`git merge` main first), then `cargo migrate lint`",
        ));
    }
    let newest = after
        .main_newest
        .map_or_else(|| "none".to_owned(), |v| v.to_string());
    if plan.is_empty() {
        ctx.status(
            "Checked",
            &format!("nothing to renumber: this branch's migrations already come after {main}'s newest ({newest})"),
        );
    } else {
        ctx.status(
            "Rebased",
            &format!(
                "{} migration(s) now come after {main}'s newest ({newest}); review them again only if you edit them",
                plan.len()
            ),
        );
    }
    Ok(())
}

/// The renames: when a branch migration is not newer than main's newest, every branch migration
/// gets a new version above main's newest and every file in the directory, in its old order.
/// Refuses to renumber a migration that `rows` (the developer's database) has applied, naming
/// the `down` that reverts it and everything after it.
/// When that `down` would also have to revert migrations whose files this branch does not have
/// (main's, applied from a checkout of main to the same database), it cannot: the help then
/// says to merge main first, which brings their files.
fn refuse_applied(
    plan: &[Renumber],
    rows: &[AppliedRow],
    set: &MigrationSet,
    main: &str,
    url: &str,
) -> Result<()> {
    let applied: Vec<&Renumber> = plan
        .iter()
        .filter(|r| rows.iter().any(|row| row.version == r.old))
        .collect();
    let Some(oldest) = applied.iter().map(|r| r.old).min() else {
        return Ok(());
    };
    let before = rows
        .iter()
        .filter(|r| !r.cleared)
        .map(|r| r.version)
        .filter(|&v| v < oldest)
        .max();
    let down = match before {
        Some(before) => format!("cargo migrate down --to {before}"),
        None => "cargo migrate down --all".to_owned(),
    };
    let without_files: Vec<String> = rows
        .iter()
        .filter(|r| !r.cleared && before.is_none_or(|b| r.version > b))
        .filter(|r| set.get(r.version).is_none())
        .map(|r| format!("{}_{}", r.version, r.description))
        .collect();
    let names: Vec<String> = applied
        .iter()
        .map(|r| format!("{}_{}", r.old, r.slug))
        .collect();
    Err(Error::refused(
        format!(
            "{} {} applied to your database ({url}) under the version rebase would change: after the rename the database would know it by a version no file has; nothing was renamed",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" },
        ),
        if without_files.is_empty() {
            format!(
                "revert it first with `{down}` (it reverts every migration newer than that), then run `cargo migrate rebase` and `cargo migrate up`"
            )
        } else {
            format!(
                "your database also has {} applied, which this branch has no files for, so `{down}` cannot revert them yet: bring them in with `git merge {main}`, then run `{down}`, `cargo migrate rebase` and `cargo migrate up`",
                without_files.join(", ")
            )
        },
    ))
}

fn plan(dir: &Path, branch: &[(i64, PathBuf)], main_newest: Option<i64>) -> Result<Vec<Renumber>> {
    let Some(newest) = main_newest else {
        return Ok(Vec::new());
    };
    if !branch.iter().any(|(v, _)| *v <= newest) {
        return Ok(Vec::new());
    }
    let files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?
        .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_owned))
        .collect();
    let highest = files
        .iter()
        .filter_map(|n| parse_file_name(n).ok().flatten())
        .map(|n| n.version)
        .chain([newest])
        .max()
        .unwrap_or(newest);
    let now = crate::commands::new::now_version();
    let mut next = highest;
    let mut plan = Vec::new();
    for (old, up) in branch {
        next = if next >= 10_000_000_000_000 {
            now.max(next + 1)
        } else {
            next + 1
        };
        let Some(parsed) = up
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| parse_file_name(n).ok().flatten())
        else {
            continue;
        };
        let mut moves = Vec::new();
        for name in &files {
            let Ok(Some(other)) = parse_file_name(name) else {
                continue;
            };
            if other.version != *old || other.slug != parsed.slug {
                continue;
            }
            let suffix = match other.kind {
                FileKind::Up => "up.sql",
                FileKind::Down => "down.sql",
                FileKind::UpOnly => "sql",
            };
            moves.push(Move {
                from: dir.join(name),
                to: dir.join(format!("{next}_{}.{suffix}", parsed.slug)),
            });
        }
        moves.sort_by(|a, b| a.from.cmp(&b.from).reverse());
        plan.push(Renumber {
            old: *old,
            new: next,
            slug: parsed.slug,
            moves,
        });
    }
    Ok(plan)
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

fn shown(dir_display: &str, path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{}/{name}", dir_display.trim_end_matches('/'))
}
