//! Branch conflicts (SPEC §6), the git side: the migrations this branch added since its
//! merge-base with the main branch (committed, staged or untracked: whatever is in the working
//! directory and was not there at the merge-base) and those the main branch added since, read
//! from git objects. What counts as a conflict is decided by
//! [`branch_conflicts`](crate::conflicts::branch_conflicts), a pure function of the two sides.
//!
//! The repository is read through the `git` command ([`cli`]: a few refs, a merge-base, two
//! directory listings and the blobs main added), so that the check costs users' builds no C
//! library; with the `libgit2` feature, libgit2 ([`libgit2`]) reads it where no `git` command
//! is installed. Both answer the questions of [`Repo`], and one function decides with them.
//!
//! During a merge (MERGE_HEAD) the two sides of the merge are compared. Outside a git
//! repository, on the main branch itself, in a shallow clone without the merge-base, and with
//! no way to read git the check is skipped with a one-line reason.
//!
//! Only this module reads git; the lint rules never do.

mod cli;
#[cfg(feature = "libgit2")]
mod libgit2;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::conflicts::{SideFile, Sides, branch_conflicts};
use crate::finding::Finding;
use crate::set::parse_file_name;
use crate::{Dialect, MigrationSet};

/// An object id, as hexadecimal text.
type Oid = String;

/// What the check asks of a repository.
trait Repo {
    /// The repository's git directory (`.git`, or a worktree's), and the directory its refs
    /// and objects are in (the same outside a linked worktree).
    fn git_dir(&self) -> &Path;
    fn common_dir(&self) -> &Path;
    /// The working directory, `None` in a bare repository.
    fn workdir(&self) -> Option<&Path>;
    /// HEAD: `Ok(None)` before the first commit.
    fn head(&self) -> Result<Option<Head>, String>;
    /// The commit a full ref name (`refs/heads/main`) points at, with its short name.
    fn resolve(&self, refname: &str) -> Option<(String, Oid)>;
    /// The target of a symbolic ref (`refs/remotes/origin/HEAD`).
    fn symbolic_target(&self, refname: &str) -> Option<String>;
    /// The other side of a merge in progress.
    fn merge_head(&self) -> Option<Oid>;
    fn merge_base(&self, a: &str, b: &str) -> Option<Oid>;
    fn is_shallow(&self) -> bool;
    /// The migration files (by name) of the directory `rel` in a commit's tree, with their
    /// blobs; an error when the commit cannot be read.
    fn tree_migrations(&self, commit: &str, rel: &str) -> Result<BTreeMap<String, Oid>, String>;
    /// The text of each blob (`None` for one that is missing or not UTF-8), in order.
    fn blob_texts(&self, blobs: &[&str]) -> Vec<Option<String>>;
}

/// HEAD: the branch it is on (its full ref name), if any, and its commit.
struct Head {
    branch: Option<String>,
    commit: Result<Oid, String>,
}

/// The short name of a full ref name, as git shows it.
fn shorthand(refname: &str) -> &str {
    ["refs/heads/", "refs/tags/", "refs/remotes/", "refs/"]
        .iter()
        .find_map(|prefix| refname.strip_prefix(prefix))
        .unwrap_or(refname)
}

/// Whether the migration file `name` is one (`<version>_<slug>.up.sql`, …).
fn is_migration(name: &str) -> bool {
    matches!(parse_file_name(name), Ok(Some(_)))
}

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
    /// The versions committed on the main branch, when git could tell: also on the main branch
    /// itself, where conflicts are not checked. A migration not among them is new here.
    pub on_main: Option<BTreeSet<i64>>,
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
    check_with(cli::GIT, dir, set, dialect, main_branch)
}

/// [`check_branch`] with the `git` command `program`, so that tests can name one that is not
/// installed.
fn check_with(
    program: &str,
    dir: &Path,
    set: &MigrationSet,
    dialect: Dialect,
    main_branch: Option<&str>,
) -> BranchCheck {
    const NOT_A_REPOSITORY: &str = "not in a git repository: branch conflicts are not checked";
    match cli::Git::discover(program, dir) {
        Ok(repo) => check_repo(&repo, dir, set, dialect, main_branch),
        Err(cli::Unopened::NotARepository) => BranchCheck::skip(NOT_A_REPOSITORY),
        #[cfg(feature = "libgit2")]
        Err(cli::Unopened::NotInstalled(_)) => match libgit2::Git::discover(dir) {
            Some(repo) => check_repo(&repo, dir, set, dialect, main_branch),
            None => BranchCheck::skip(NOT_A_REPOSITORY),
        },
        #[cfg(not(feature = "libgit2"))]
        Err(cli::Unopened::NotInstalled(reason)) => BranchCheck::skip(reason),
    }
}

fn check_repo(
    repo: &dyn Repo,
    dir: &Path,
    set: &MigrationSet,
    dialect: Dialect,
    main_branch: Option<&str>,
) -> BranchCheck {
    let mut watch = Watch::default();
    let result = check(repo, dir, set, dialect, main_branch, &mut watch);
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
    repo: &dyn Repo,
    dir: &Path,
    set: &MigrationSet,
    dialect: Dialect,
    configured: Option<&str>,
    watch: &mut Watch,
) -> Result<BranchCheck, String> {
    let git_dir = repo.git_dir().to_owned();
    let common_dir = repo.common_dir().to_owned();
    watch.add(git_dir.join("HEAD"));
    watch.add(git_dir.join("logs/HEAD"));
    watch.add(common_dir.join("packed-refs"));
    let Some(workdir) = repo.workdir() else {
        return Err("a bare git repository: branch conflicts are not checked".into());
    };
    let rel = relative_dir(workdir, dir)?;

    let Some(head) = repo.head()? else {
        return Err(
            "the git repository has no commits yet: branch conflicts are not checked".into(),
        );
    };
    let head_branch = head.branch.as_deref().map(|b| shorthand(b).to_owned());
    if let Some(name) = &head.branch {
        watch.add(common_dir.join(name));
    }
    let head_commit = head
        .commit
        .map_err(|e| format!("cannot read HEAD ({e}): branch conflicts are not checked"))?;

    let main = find_main(repo, configured, &common_dir, watch)?;
    let merge_head = repo.merge_head();
    watch.add(git_dir.join("MERGE_HEAD"));
    let on_main = head_branch.as_deref() == Some(main.name.as_str());

    // Which commit plays main, and which one the merge-base is taken with. The branch's side is
    // always the working directory: during a merge into main it holds main's files and the
    // incoming ones (renamed there by `cargo migrate rebase` if need be).
    let (main_label, main_commit, other) = match merge_head {
        Some(theirs) if on_main => (main.label.clone(), head_commit.clone(), theirs),
        Some(theirs) => {
            let label = if theirs == main.commit {
                main.label.clone()
            } else {
                "the branch being merged (MERGE_HEAD)".to_owned()
            };
            (label, theirs.clone(), theirs)
        }
        None if on_main => {
            return Ok(BranchCheck {
                skipped: Some(format!(
                    "on the main branch ({}): branch conflicts are not checked",
                    main.name
                )),
                on_main: Some(versions(&repo.tree_migrations(&head_commit, &rel)?)),
                ..BranchCheck::default()
            });
        }
        None => (main.label.clone(), main.commit.clone(), main.commit.clone()),
    };
    let Some(base) = repo.merge_base(&head_commit, &other) else {
        if repo.is_shallow() {
            return Err(format!(
                "shallow clone without the merge-base of HEAD and {main_label}: branch conflicts are not checked (`git fetch --unshallow` enables them)"
            ));
        }
        return Err(format!(
            "HEAD and {main_label} have no common history: branch conflicts are not checked"
        ));
    };

    let main_files = repo.tree_migrations(&main_commit, &rel)?;
    let base_names: HashSet<String> = repo.tree_migrations(&base, &rel)?.into_keys().collect();
    let branch_files = workdir_migrations(dir);

    let added: Vec<(&String, &Oid)> = main_files
        .iter()
        .filter(|(name, _)| !base_names.contains(*name))
        .collect();
    let blobs: Vec<&str> = added.iter().map(|(_, oid)| oid.as_str()).collect();
    let main_added = added
        .iter()
        .zip(repo.blob_texts(&blobs))
        .map(|((name, _), text)| SideFile {
            name: (*name).clone(),
            text,
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
        on_main: Some(versions(&main_files)),
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

/// The versions of the migration files among `files` (names in a tree).
fn versions(files: &BTreeMap<String, Oid>) -> BTreeSet<i64> {
    files
        .keys()
        .filter_map(|name| parse_file_name(name).ok().flatten())
        .map(|name| name.version)
        .collect()
}

/// Finds the main branch: the configured name, else the remote's HEAD, else `main` or
/// `master` (local, then `origin/…`).
fn find_main(
    repo: &dyn Repo,
    configured: Option<&str>,
    common_dir: &Path,
    watch: &mut Watch,
) -> Result<Main, String> {
    let resolve = |refname: &str, watch: &mut Watch| -> Option<Main> {
        let (label, commit) = repo.resolve(refname)?;
        watch.add(common_dir.join(refname));
        // Its reflog moves too when the ref is packed and a fetch or commit updates it.
        watch.add(common_dir.join("logs").join(refname));
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
    if let Some(target) = repo.symbolic_target(origin_head)
        && let Some(main) = resolve(&target, watch)
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

/// The migration files in the working directory.
fn workdir_migrations(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if let Some(name) = entry.file_name().to_str()
                && entry.file_type().is_ok_and(|t| t.is_file())
                && is_migration(name)
            {
                files.insert(name.to_owned());
            }
        }
    }
    files
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

    /// `git merge --no-commit feature`, as a user named `t` (a merge left in progress).
    const MERGE_FEATURE: [&str; 8] = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "merge",
        "--no-commit",
        "-q",
        "feature",
    ];

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

    /// What a check found, comparable between readers.
    fn summary(check: &BranchCheck) -> String {
        let conflicts: Vec<String> = check.conflicts.iter().map(|f| f.message.clone()).collect();
        format!(
            "skipped {:?}\nmain {:?} newest {:?}\nbranch {:?}\nconflicts {conflicts:?}\nwatch {:?}",
            check.skipped,
            check.main_branch,
            check.main_newest,
            check.branch_migrations,
            check.watch
        )
    }

    /// A repository with main's migrations 1 and 3, and a branch `feature` that adds 2 (below
    /// main's newest, a conflict) and 4.
    fn diverged() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("db/migrations");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, sql: &str| std::fs::write(dir.join(name), sql).unwrap();
        write("1_a.up.sql", "CREATE TABLE a (id INT);");
        write("1_a.down.sql", "DROP TABLE a;");
        git(root.path(), &["init", "-q", "-b", "main"]);
        git(root.path(), &["add", "-A"]);
        commit(root.path(), &["-m", "a"]);
        git(root.path(), &["checkout", "-q", "-b", "feature"]);
        write("2_b.up.sql", "CREATE TABLE b (id INT);");
        write("4_d.up.sql", "CREATE TABLE d (id INT);");
        git(root.path(), &["add", "-A"]);
        commit(root.path(), &["-m", "b"]);
        git(root.path(), &["checkout", "-q", "main"]);
        write("3_c.up.sql", "CREATE TABLE c (id INT);");
        write("3_c.down.sql", "DROP TABLE c;");
        git(root.path(), &["add", "-A"]);
        commit(root.path(), &["-m", "c"]);
        git(root.path(), &["checkout", "-q", "feature"]);
        (root, dir)
    }

    fn load(dir: &Path) -> MigrationSet {
        MigrationSet::load(dir, "db/migrations").unwrap()
    }

    #[test]
    fn the_git_command_finds_the_conflicts_of_a_branch() {
        let (root, dir) = diverged();
        let check = check_branch(&dir, &load(&dir), Dialect::Postgres, None);
        assert_eq!(check.skipped, None, "{}", summary(&check));
        assert_eq!(check.main_branch.as_deref(), Some("main"));
        assert_eq!(check.main_newest, Some(3), "{}", summary(&check));
        assert_eq!(check.conflicts.len(), 1, "{}", summary(&check));
        assert!(
            check.conflicts[0]
                .message
                .contains("main already has the newer 3_c")
        );
        // During the merge into main, the other side is the branch.
        git(root.path(), &["checkout", "-q", "main"]);
        git(root.path(), &MERGE_FEATURE);
        let merging = check_branch(&dir, &load(&dir), Dialect::Postgres, None);
        assert_eq!(merging.skipped, None, "{}", summary(&merging));
        assert_eq!(merging.conflicts.len(), 1, "{}", summary(&merging));
        assert!(merging.watch.iter().any(|f| f.ends_with("MERGE_HEAD")));
    }

    #[test]
    fn without_the_git_command_the_check_is_skipped_in_one_line_or_read_with_libgit2() {
        let (_root, dir) = diverged();
        let set = load(&dir);
        let missing = check_with(
            "git-not-installed-here",
            &dir,
            &set,
            Dialect::Postgres,
            None,
        );
        if cfg!(feature = "libgit2") {
            let with_git = check_branch(&dir, &set, Dialect::Postgres, None);
            assert_eq!(summary(&missing), summary(&with_git));
        } else {
            let reason = missing.skipped.expect("skipped");
            assert!(reason.contains("git is not installed"), "{reason}");
            assert!(!reason.contains('\n'), "{reason}");
            assert!(missing.conflicts.is_empty() && missing.watch.is_empty());
        }
    }

    #[test]
    fn outside_a_repository_and_before_the_first_commit_the_check_is_skipped() {
        let root = tempfile::tempdir().unwrap();
        let set = MigrationSet::default();
        let outside = check_branch(root.path(), &set, Dialect::Postgres, None);
        assert_eq!(
            outside.skipped.as_deref(),
            Some("not in a git repository: branch conflicts are not checked")
        );
        git(root.path(), &["init", "-q", "-b", "main"]);
        let empty = check_branch(root.path(), &set, Dialect::Postgres, None);
        assert_eq!(
            empty.skipped.as_deref(),
            Some("the git repository has no commits yet: branch conflicts are not checked")
        );
    }

    /// The two readers answer alike: on a branch, on main, during a merge, with packed refs,
    /// with a configured main branch, outside a repository.
    #[cfg(feature = "libgit2")]
    #[test]
    fn the_git_command_and_libgit2_agree() {
        let (root, dir) = diverged();
        let agree = |label: &str, main_branch: Option<&str>| {
            let set = load(&dir);
            let cli = cli::Git::discover(cli::GIT, &dir)
                .ok()
                .expect("git finds it");
            let lib = libgit2::Git::discover(&dir).expect("libgit2 finds it");
            let by_cli = check_repo(&cli, &dir, &set, Dialect::Postgres, main_branch);
            let by_lib = check_repo(&lib, &dir, &set, Dialect::Postgres, main_branch);
            assert_eq!(summary(&by_cli), summary(&by_lib), "{label}");
        };
        agree("on the branch", None);
        agree("configured main", Some("main"));
        agree("configured missing", Some("trunk"));
        git(root.path(), &["pack-refs", "--all"]);
        agree("packed refs", None);
        git(root.path(), &["checkout", "-q", "main"]);
        agree("on main", None);
        git(root.path(), &MERGE_FEATURE);
        agree("merging into main", None);
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
