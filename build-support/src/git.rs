//! Branch conflicts (SPEC §6), the git side, read with libgit2: the migrations this branch
//! added since its merge-base with the main branch (committed, staged or untracked: whatever is
//! in the working directory and was not there at the merge-base) and those the main branch
//! added since, read from git objects. What counts as a conflict is decided by
//! [`branch_conflicts`](crate::conflicts::branch_conflicts), a pure function of the two sides.
//!
//! During a merge (MERGE_HEAD) the two sides of the merge are compared. Outside a git
//! repository, on the main branch itself, and in a shallow clone without the merge-base the
//! check is skipped with a one-line reason.
//!
//! Only this module reads git; the lint rules never do.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, RepositoryState, Tree};

use crate::conflicts::{SideFile, Sides, branch_conflicts};
use crate::finding::Finding;
use crate::set::parse_file_name;
use crate::{Dialect, MigrationSet};

/// What the branch check found.
#[derive(Clone, Debug, Default)]
pub struct BranchCheck {
    /// Why the check did not run (not a git repository, on main, shallow clone, …), one line.
    pub skipped: Option<String>,
    /// One error finding per conflict, naming both files and the fix.
    pub conflicts: Vec<Finding>,
    /// The main branch as compared against (`main`, `origin/main`, or the other side of a
    /// merge in progress).
    pub main_branch: Option<String>,
    /// The migrations this branch added since the merge-base (their up file), by version.
    pub branch_migrations: Vec<(i64, PathBuf)>,
    /// The newest version on the main branch.
    pub main_newest: Option<i64>,
    /// Files whose change means the answer may change (for `cargo:rerun-if-changed`); every
    /// one exists, and the `.git` directory itself is never among them.
    pub watch: Vec<PathBuf>,
}

impl BranchCheck {
    fn skip(reason: impl Into<String>) -> BranchCheck {
        BranchCheck {
            skipped: Some(reason.into()),
            ..BranchCheck::default()
        }
    }
}

/// Compares the migrations in `dir` (the working directory's, as loaded in `set`) with the
/// main branch's. `main_branch` is the configured name (`main_branch` in the config), if any.
pub fn check_branch(
    dir: &Path,
    set: &MigrationSet,
    dialect: Dialect,
    main_branch: Option<&str>,
) -> BranchCheck {
    let Ok(repo) = Repository::discover(dir) else {
        return BranchCheck::skip("not in a git repository: branch conflicts are not checked");
    };
    let mut watch = Watch::default();
    let result = check(&repo, dir, set, dialect, main_branch, &mut watch);
    let mut check = result.unwrap_or_else(BranchCheck::skip);
    check.watch = watch.files();
    check
}

/// The files to watch, collected on the way; only those that exist are kept.
#[derive(Default)]
struct Watch(BTreeSet<PathBuf>);

impl Watch {
    fn add(&mut self, path: PathBuf) {
        if path.is_file() {
            self.0.insert(path);
        }
    }

    fn files(self) -> Vec<PathBuf> {
        self.0.into_iter().collect()
    }
}

/// The main branch as found: how it is shown, its branch name, and its commit.
struct Main {
    label: String,
    name: String,
    commit: Oid,
}

fn check(
    repo: &Repository,
    dir: &Path,
    set: &MigrationSet,
    dialect: Dialect,
    configured: Option<&str>,
    watch: &mut Watch,
) -> Result<BranchCheck, String> {
    let git_dir = repo.path().to_owned();
    let common_dir = repo.commondir().to_owned();
    watch.add(git_dir.join("HEAD"));
    watch.add(git_dir.join("logs/HEAD"));
    watch.add(common_dir.join("packed-refs"));
    let Some(workdir) = repo.workdir() else {
        return Err("a bare git repository: branch conflicts are not checked".into());
    };
    let rel = relative_dir(workdir, dir)?;

    let head = match repo.head() {
        Ok(head) => head,
        Err(_) => {
            return Err(
                "the git repository has no commits yet: branch conflicts are not checked".into(),
            );
        }
    };
    let head_branch = head
        .shorthand()
        .filter(|_| head.is_branch())
        .map(str::to_owned);
    if let Some(name) = head.name()
        && head.is_branch()
    {
        watch.add(common_dir.join(name));
    }
    let head_commit = head.peel_to_commit().map_err(|e| {
        format!(
            "cannot read HEAD ({}): branch conflicts are not checked",
            e.message()
        )
    })?;

    let main = find_main(repo, configured, &common_dir, watch)?;
    let merge_head = match repo.state() {
        RepositoryState::Merge => repo.revparse_single("MERGE_HEAD").ok().map(|o| o.id()),
        _ => None,
    };
    watch.add(git_dir.join("MERGE_HEAD"));
    let on_main = head_branch.as_deref() == Some(main.name.as_str());

    // Which commit plays main, and which one the merge-base is taken with. The branch's side is
    // always the working directory: during a merge into main it holds main's files and the
    // incoming ones (renamed there by `cargo migrate rebase` if need be).
    let (main_label, main_commit, other) = match merge_head {
        Some(theirs) if on_main => (main.label.clone(), head_commit.id(), theirs),
        Some(theirs) => {
            let label = if theirs == main.commit {
                main.label.clone()
            } else {
                "the branch being merged (MERGE_HEAD)".to_owned()
            };
            (label, theirs, theirs)
        }
        None if on_main => {
            return Err(format!(
                "on the main branch ({}): branch conflicts are not checked",
                main.name
            ));
        }
        None => (main.label.clone(), main.commit, main.commit),
    };
    let base = match repo.merge_base(head_commit.id(), other) {
        Ok(base) => base,
        Err(_) if repo.is_shallow() => {
            return Err(format!(
                "shallow clone without the merge-base of HEAD and {main_label}: branch conflicts are not checked (`git fetch --unshallow` enables them)"
            ));
        }
        Err(_) => {
            return Err(format!(
                "HEAD and {main_label} have no common history: branch conflicts are not checked"
            ));
        }
    };

    let tree_of = |oid: Oid| -> Result<Tree<'_>, String> {
        repo.find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(|e| format!("cannot read commit {oid}: {}", e.message()))
    };
    let main_files = tree_migrations(repo, &tree_of(main_commit)?, &rel);
    let base_names: HashSet<String> = tree_migrations(repo, &tree_of(base)?, &rel)
        .into_keys()
        .collect();
    let branch_files = workdir_migrations(dir);

    let main_added = main_files
        .iter()
        .filter(|(name, _)| !base_names.contains(*name))
        .map(|(name, &oid)| SideFile {
            name: name.clone(),
            text: blob_text(repo, oid),
        })
        .collect();
    let branch_added = branch_files
        .iter()
        .filter(|n| !base_names.contains(*n) && !main_files.contains_key(*n))
        .map(|name| SideFile {
            name: name.clone(),
            text: std::fs::read_to_string(dir.join(name)).ok(),
        })
        .collect();
    let sides = Sides {
        main_label: main_label.clone(),
        main_files: main_files.keys().cloned().collect(),
        main_added,
        branch_added,
    };
    let found = branch_conflicts(&sides, set, dialect);
    Ok(BranchCheck {
        main_branch: Some(main_label),
        main_newest: found.main_newest,
        branch_migrations: found
            .branch_migrations
            .into_iter()
            .map(|(version, file)| (version, dir.join(file)))
            .collect(),
        conflicts: found.findings,
        ..BranchCheck::default()
    })
}

/// Finds the main branch: the configured name, else the remote's HEAD, else `main` or
/// `master` (local, then `origin/…`).
fn find_main(
    repo: &Repository,
    configured: Option<&str>,
    common_dir: &Path,
    watch: &mut Watch,
) -> Result<Main, String> {
    let resolve = |refname: &str, watch: &mut Watch| -> Option<Main> {
        let reference = repo.find_reference(refname).ok()?;
        let commit = reference.peel_to_commit().ok()?.id();
        watch.add(common_dir.join(refname));
        // Its reflog moves too when the ref is packed and a fetch or commit updates it.
        watch.add(common_dir.join("logs").join(refname));
        let label = reference.shorthand().unwrap_or(refname).to_owned();
        let name = refname
            .strip_prefix("refs/heads/")
            .or_else(|| {
                refname
                    .strip_prefix("refs/remotes/")
                    .and_then(|r| r.split_once('/').map(|(_, n)| n))
            })
            .unwrap_or(&label)
            .to_owned();
        Some(Main {
            label,
            name,
            commit,
        })
    };
    if let Some(name) = configured {
        for refname in [
            format!("refs/heads/{name}"),
            format!("refs/remotes/origin/{name}"),
            format!("refs/remotes/{name}"),
            name.to_owned(),
        ] {
            if let Some(main) = resolve(&refname, watch) {
                return Ok(main);
            }
        }
        return Err(format!(
            "the main branch `{name}` (`main_branch` in the config) is not in this repository: branch conflicts are not checked (`git fetch origin {name}` brings it)"
        ));
    }
    let origin_head = "refs/remotes/origin/HEAD";
    watch.add(common_dir.join(origin_head));
    if let Ok(reference) = repo.find_reference(origin_head)
        && let Some(target) = reference.symbolic_target()
        && let Some(main) = resolve(target, watch)
    {
        return Ok(main);
    }
    for name in ["main", "master"] {
        for refname in [
            format!("refs/heads/{name}"),
            format!("refs/remotes/origin/{name}"),
        ] {
            if let Some(main) = resolve(&refname, watch) {
                return Ok(main);
            }
        }
    }
    Err("no main branch found (no origin/HEAD, main or master): branch conflicts are not checked; set `main_branch` in [package.metadata.migrate]".into())
}

/// `dir` relative to the repository's working directory, `/`-separated.
fn relative_dir(workdir: &Path, dir: &Path) -> Result<String, String> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let (workdir, dir) = (canon(workdir), canon(dir));
    let rel = dir.strip_prefix(&workdir).map_err(|_| {
        format!(
            "{} is outside the git working directory {}: branch conflicts are not checked",
            dir.display(),
            workdir.display()
        )
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// The migration files (by name) of the directory `rel` in `tree`, with their blobs.
fn tree_migrations(repo: &Repository, tree: &Tree<'_>, rel: &str) -> BTreeMap<String, Oid> {
    let subtree = if rel.is_empty() {
        Some(tree.clone())
    } else {
        tree.get_path(Path::new(rel))
            .ok()
            .and_then(|e| e.to_object(repo).ok())
            .and_then(|o| o.into_tree().ok())
    };
    let mut files = BTreeMap::new();
    if let Some(subtree) = subtree {
        for entry in subtree.iter() {
            if entry.kind() == Some(ObjectType::Blob)
                && let Some(name) = entry.name()
                && matches!(parse_file_name(name), Ok(Some(_)))
            {
                files.insert(name.to_owned(), entry.id());
            }
        }
    }
    files
}

/// The migration files in the working directory.
fn workdir_migrations(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if let Some(name) = entry.file_name().to_str()
                && entry.file_type().is_ok_and(|t| t.is_file())
                && matches!(parse_file_name(name), Ok(Some(_)))
            {
                files.insert(name.to_owned());
            }
        }
    }
    files
}

fn blob_text(repo: &Repository, oid: Oid) -> Option<String> {
    let blob = repo.find_blob(oid).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// `git commit -q` with `args`, as a throwaway identity.
    fn commit(dir: &Path, args: &[&str]) {
        let mut all = vec!["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q"];
        all.extend_from_slice(args);
        git(dir, &all);
    }

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn watches_only_files_that_exist_and_never_the_git_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id INT);").unwrap();
        git(root.path(), &["init", "-q", "-b", "main"]);
        commit(root.path(), &["--allow-empty", "-m", "empty"]);
        git(root.path(), &["add", "-A"]);
        commit(root.path(), &["-m", "a"]);
        git(root.path(), &["checkout", "-q", "-b", "feature"]);
        git(root.path(), &["pack-refs", "--all"]);
        let set = MigrationSet::load(&dir, "migrations").unwrap();
        let check = check_branch(&dir, &set, Dialect::Postgres, None);
        assert_eq!(check.skipped, None);
        assert_eq!(check.main_branch.as_deref(), Some("main"));
        assert!(!check.watch.is_empty());
        let git_dir = root.path().join(".git").canonicalize().unwrap();
        for file in &check.watch {
            assert!(file.is_file(), "{} is not an existing file", file.display());
            assert_ne!(file.canonicalize().unwrap(), git_dir);
        }
        let names: Vec<String> = check
            .watch
            .iter()
            .map(|f| {
                f.strip_prefix(root.path().join(".git"))
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        // Packed refs: no loose ref files for the branches, so none is named.
        assert_eq!(
            names,
            ["HEAD", "logs/HEAD", "logs/refs/heads/main", "packed-refs"]
        );
    }

    #[test]
    fn a_configured_main_branch_that_does_not_exist_is_a_skip_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        git(root.path(), &["init", "-q", "-b", "main"]);
        commit(root.path(), &["--allow-empty", "-m", "empty"]);
        let set = MigrationSet::default();
        let check = check_branch(root.path(), &set, Dialect::Postgres, Some("trunk"));
        let reason = check.skipped.unwrap();
        assert!(
            reason.contains("`trunk`") && reason.contains("git fetch origin trunk"),
            "{reason}"
        );
    }
}
