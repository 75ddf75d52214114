//! `cargo migrate init`: the migrations directory, the config table in Cargo.toml (written
//! with toml_edit so the manifest keeps its formatting and comments), and, inside a git work
//! tree, the commit gate's hook (`.githooks/pre-commit` and `core.hooksPath`).

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, value};

use build_support::Dialect;

use crate::commands::Ctx;
use crate::config::display_relative;
use crate::error::{Error, Result};
use crate::staged::Repo;

/// Where the hooks live, relative to the work tree (what `core.hooksPath` is set to).
pub const HOOKS_DIR: &str = ".githooks";

pub fn run(ctx: &Ctx) -> Result<()> {
    let Some(target) = &ctx.cfg.manifest else {
        return Err(Error::config(
            "no Cargo.toml here or in any parent directory",
            Some("run `cargo init` first, or pass --manifest-path".to_owned()),
        ));
    };
    let manifest_dir = target.path.parent().unwrap_or(&ctx.cfg.root);
    let text = std::fs::read_to_string(&target.path)
        .map_err(|e| Error::io(format!("cannot read {}", target.path.display()), e))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Error::config(format!("cannot parse {}: {e}", target.path.display()), None))?;
    let section = if target.workspace {
        "workspace"
    } else {
        "package"
    };
    let dir = relative_to(&ctx.cfg.dir, manifest_dir);
    let changed = add_config(&mut doc, section, &dir, ctx.cfg.dialect)?;
    if changed {
        std::fs::write(&target.path, doc.to_string())
            .map_err(|e| Error::io(format!("cannot write {}", target.path.display()), e))?;
        ctx.status(
            "Configured",
            &format!("[{section}.metadata.migrate] in {}", target.path.display()),
        );
    } else {
        ctx.status(
            "Unchanged",
            &format!(
                "{} already has [{section}.metadata.migrate]",
                target.path.display()
            ),
        );
    }
    if ctx.cfg.dir.is_dir() {
        ctx.status(
            "Unchanged",
            &format!("{} already exists", ctx.cfg.dir_display),
        );
    } else {
        std::fs::create_dir_all(&ctx.cfg.dir)
            .map_err(|e| Error::io(format!("cannot create {}", ctx.cfg.dir_display), e))?;
        // git keeps no empty directory: without a file, a clone would not have it.
        let keep = ctx.cfg.dir.join(".gitkeep");
        std::fs::write(&keep, "")
            .map_err(|e| Error::io(format!("cannot create {}", keep.display()), e))?;
        ctx.status(
            "Created",
            &format!(
                "{} (with a .gitkeep, so that git keeps it)",
                ctx.cfg.dir_display
            ),
        );
    }
    enable_hooks(ctx, manifest_dir)?;
    ctx.status(
        "Next",
        "create a migration with `cargo migrate new <name>`, then run `cargo migrate up`",
    );
    ctx.status(
        "Next",
        &format!(
            "to have `cargo build` check the migrations, add `cargo-migrate-build-support` to [build-dependencies] and call `cargo_migrate_build_support::check_migrations(\"{dir}\");` in build.rs"
        ),
    );
    Ok(())
}

/// Writes `.githooks/pre-commit` (unless there is one) and points `core.hooksPath` at it,
/// saying what it did; never replaces a hook setup that is already there.
fn enable_hooks(ctx: &Ctx, manifest_dir: &Path) -> Result<()> {
    let Some(repo) = Repo::open(manifest_dir)? else {
        ctx.status(
            "Skipped",
            "the commit gate: not inside a git work tree (run `cargo migrate init` again after `git init` to enable it)",
        );
        return Ok(());
    };
    let hooks_dir = repo.workdir().join(HOOKS_DIR);
    let hook = hooks_dir.join("pre-commit");
    let current = repo.hooks_path()?;
    let manifest = repo
        .relative(&manifest_dir.join("Cargo.toml"))
        .filter(|rel| rel != "Cargo.toml");
    // The line for a hook someone else wrote: `|| exit 1`, since sh goes on after a failed
    // command and a hook's status is its last command's.
    let line = format!(
        "`{} || exit 1` near its top (before any `exit`)",
        gate_command(manifest.as_deref())
    );
    match &current {
        Some(path) if same_dir(repo.workdir(), path, &hooks_dir) => {}
        Some(other) => {
            crate::cli::output::warning(&format!(
                "the commit gate is not enabled: core.hooksPath is already `{other}`, and init leaves it as it is; add the line {line} to the pre-commit hook in {other}, or switch with `git config core.hooksPath {HOOKS_DIR}`"
            ));
            return Ok(());
        }
        None => {
            let existing = repo.default_hooks_dir().join("pre-commit");
            if existing.is_file() {
                crate::cli::output::warning(&format!(
                    "the commit gate is not enabled: {} exists, and setting core.hooksPath would turn it off; add the line {line} to it, or move it to {HOOKS_DIR}/pre-commit, add the line there and run `git config core.hooksPath {HOOKS_DIR}`",
                    existing.display()
                ));
                return Ok(());
            }
        }
    }
    let shown = display_relative(&hook, &std::env::current_dir().unwrap_or_default());
    if hook.exists() {
        let text = std::fs::read_to_string(&hook).unwrap_or_default();
        if text.contains("migrate pre-commit") || text.contains("xtask pre-commit") {
            ctx.status(
                "Unchanged",
                &format!("{shown} already runs the commit gate"),
            );
        } else {
            crate::cli::output::warning(&format!(
                "{shown} exists and does not run the commit gate: add the line {line} to it"
            ));
        }
    } else {
        write_hook(&hook, &hook_script(manifest.as_deref()))?;
        ctx.status(
            "Created",
            &format!("{shown} (runs `cargo migrate pre-commit`)"),
        );
    }
    if current.is_none() {
        repo.set_hooks_path(HOOKS_DIR)?;
        ctx.status(
            "Enabled",
            &format!(
                "the commit gate: core.hooksPath = {HOOKS_DIR} in this repository's .git/config"
            ),
        );
    } else {
        ctx.status(
            "Unchanged",
            &format!("core.hooksPath is already {HOOKS_DIR}"),
        );
    }
    Ok(())
}

/// Whether the `core.hooksPath` value `value` (relative to the work tree, or absolute) names
/// `dir`.
fn same_dir(workdir: &Path, value: &str, dir: &Path) -> bool {
    let path = workdir.join(value.trim_end_matches('/'));
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    canonical(&path) == canonical(dir)
}

/// The hook `init` writes: a few lines of sh that run the gate. `manifest` is the project's
/// Cargo.toml relative to the work tree when it is not at its root (hooks run at the root).
fn hook_script(manifest: Option<&str>) -> String {
    format!(
        "#!/bin/sh\n# The commit gate, written by `cargo migrate init`: blocks a commit that stages a\n# migration that is unreviewed, fails lint, conflicts with main, or is not applied to your\n# database, and says what to run to fix it.\nexec {}\n",
        gate_command(manifest)
    )
}

/// `cargo migrate pre-commit`, with `--manifest-path` when the project is not at the root.
fn gate_command(manifest: Option<&str>) -> String {
    match manifest {
        Some(path) => format!(
            "cargo migrate pre-commit --manifest-path {}",
            sh_quote(path)
        ),
        None => "cargo migrate pre-commit".to_owned(),
    }
}

/// `text` as one sh word.
pub(crate) fn sh_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn write_hook(path: &Path, script: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    std::fs::write(path, script)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(format!("cannot make {} executable", path.display()), e))?;
    }
    Ok(())
}

/// Adds `[<section>.metadata.migrate]` with `dir`; false when it is already there.
/// `path` as the manifest in `manifest_dir` names it: relative (with `..` where it lies
/// outside), so that the config holds in every clone; absolute only where no relative path
/// leads there (another drive).
fn relative_to(path: &Path, manifest_dir: &Path) -> String {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    // The directory may not exist yet: its parent does, or the path is taken as written.
    let path = match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !path.exists() => canonical(parent).join(name),
        _ => canonical(path),
    };
    match pathdiff::diff_paths(&path, canonical(manifest_dir)) {
        Some(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Some(rel) => rel.to_string_lossy().replace('\\', "/"),
        None => display_relative(&path, manifest_dir),
    }
}

/// Adds `[<section>.metadata.migrate]` with `dir` and the `dialect` the SQL is written in,
/// unless the manifest has one. Whether it changed the document.
fn add_config(doc: &mut DocumentMut, section: &str, dir: &str, dialect: Dialect) -> Result<bool> {
    let not_a_table =
        |what: &str| Error::config(format!("`{what}` in Cargo.toml is not a table"), None);
    let root = doc
        .entry(section)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(section))?;
    let metadata = root
        .entry("metadata")
        .or_insert(Item::Table(implicit_table()))
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(&format!("{section}.metadata")))?;
    if metadata.contains_key("migrate") {
        return Ok(false);
    }
    let mut migrate = Table::new();
    migrate.insert("dir", value(dir));
    migrate.insert("dialect", value(dialect.name()));
    migrate.decor_mut().set_prefix("\n");
    metadata.insert("migrate", Item::Table(migrate));
    Ok(true)
}

fn implicit_table() -> Table {
    let mut t = Table::new();
    t.set_implicit(true);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_formatting_and_comments() {
        let before = "# my crate\n[package]\nname = \"app\"   # the name\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\" # keep\n";
        let mut doc: DocumentMut = before.parse().unwrap();
        assert!(add_config(&mut doc, "package", "migrations", Dialect::Sqlite).unwrap());
        let after = doc.to_string();
        let added = "\n[package.metadata.migrate]\ndir = \"migrations\"\ndialect = \"sqlite\"\n";
        assert!(after.contains(added), "{after}");
        assert_eq!(after.replacen(added, "", 1), before, "nothing else changed");
        let mut again: DocumentMut = after.parse().unwrap();
        assert!(!add_config(&mut again, "package", "migrations", Dialect::Sqlite).unwrap());
    }

    #[test]
    fn hook_script_runs_the_gate_from_the_work_tree_root() {
        assert!(hook_script(None).ends_with("\nexec cargo migrate pre-commit\n"));
        assert!(
            hook_script(Some("backend/Cargo.toml"))
                .ends_with("\nexec cargo migrate pre-commit --manifest-path backend/Cargo.toml\n")
        );
        assert!(
            hook_script(Some("my app/Cargo.toml"))
                .ends_with(" --manifest-path 'my app/Cargo.toml'\n")
        );
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
    }
}
