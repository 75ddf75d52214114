//! `cargo xtask pre-commit` (what `.githooks/pre-commit` runs) and `cargo xtask install-hooks`.

use std::path::Path;
use std::process::ExitCode;

use cargo_migrate::commands::pre_commit;
use cargo_migrate::config::Overrides;
use cargo_migrate::staged::Repo;

use crate::{Result, workspace_root};

/// Where this repository keeps its hooks, relative to the work tree.
const HOOKS_DIR: &str = ".githooks";

/// The commit gate for this repository, in-process: the same check as
/// `cargo migrate pre-commit`, run at the workspace root.
pub fn pre_commit(args: &[String]) -> ExitCode {
    let quiet = match args {
        [] => false,
        [flag] if flag == "-q" || flag == "--quiet" => true,
        _ => {
            eprintln!(
                "error: unexpected arguments {args:?}\n\nusage: cargo xtask pre-commit [-q|--quiet]"
            );
            return ExitCode::from(2);
        }
    };
    pre_commit::main(&workspace_root(), &Overrides::default(), quiet)
}

/// Points `core.hooksPath` of this clone at `.githooks`, saying what it was before.
pub fn install(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(format!(
            "unexpected arguments {args:?}\n\nusage: cargo xtask install-hooks"
        ));
    }
    eprintln!("{}", install_in(&workspace_root())?);
    Ok(())
}

/// Sets `core.hooksPath = .githooks` in the repository at `root`; returns what it did.
fn install_in(root: &Path) -> Result<String> {
    let repo = Repo::open(root)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "{} is not a git work tree: clone the repository with git to use its hooks",
                root.display()
            )
        })?;
    let hook = repo.workdir().join(HOOKS_DIR).join("pre-commit");
    if !hook.is_file() {
        return Err(format!(
            "{} is missing: restore it with `git checkout -- {HOOKS_DIR}/pre-commit`",
            hook.display()
        ));
    }
    let before = repo.hooks_path().map_err(|e| e.to_string())?;
    repo.set_hooks_path(HOOKS_DIR).map_err(|e| e.to_string())?;
    Ok(match before.as_deref() {
        Some(HOOKS_DIR) => format!("core.hooksPath is already {HOOKS_DIR}: nothing to do"),
        Some(other) => format!(
            "core.hooksPath was `{other}`, now {HOOKS_DIR}: the hooks in {other} no longer run (`git config core.hooksPath {other}` puts it back)"
        ),
        None => format!(
            "core.hooksPath = {HOOKS_DIR}: `git commit` now runs {HOOKS_DIR}/pre-commit (`cargo xtask pre-commit`)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[test]
    fn install_sets_the_hooks_path_and_says_what_it_replaced() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let missing = install_in(dir.path()).unwrap_err();
        assert!(
            missing.contains(".githooks/pre-commit is missing"),
            "{missing}"
        );
        std::fs::create_dir(dir.path().join(HOOKS_DIR)).unwrap();
        std::fs::write(dir.path().join(".githooks/pre-commit"), "#!/bin/sh\n").unwrap();
        git(dir.path(), &["config", "core.hooksPath", ".husky"]);
        let said = install_in(dir.path()).unwrap();
        assert!(said.contains("was `.husky`, now .githooks"), "{said}");
        assert_eq!(git(dir.path(), &["config", "core.hooksPath"]), ".githooks");
        let again = install_in(dir.path()).unwrap();
        assert!(again.contains("already .githooks"), "{again}");
        let outside = tempfile::tempdir().unwrap();
        assert!(
            install_in(outside.path())
                .unwrap_err()
                .contains("not a git work tree")
        );
    }
}
