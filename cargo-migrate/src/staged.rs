//! What `git commit` is about to record: the index against HEAD's tree, read with git2 the way
//! a hook sees it (`GIT_DIR` and `GIT_INDEX_FILE` respected, so `git commit -a` and
//! `git commit <paths>` are seen with the index git built for them).

use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, ErrorCode, Repository, RepositoryOpenFlags};

use crate::error::{Error, Result};

/// A git repository with a work tree.
pub struct Repo {
    repo: Repository,
    /// The work tree's root, canonical.
    workdir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repo({})", self.workdir.display())
    }
}

/// How a file in the work tree differs from the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unstaged {
    /// Tracked, and changed since it was staged.
    Modified,
    /// Tracked, and deleted from the work tree since.
    Deleted,
    /// Not tracked at all.
    Untracked,
}

impl Unstaged {
    pub fn as_str(self) -> &'static str {
        match self {
            Unstaged::Modified => "has changes that are not staged",
            Unstaged::Deleted => "is deleted in the work tree but not in the index",
            Unstaged::Untracked => "is not tracked by git",
        }
    }
}

pub(crate) fn git_error(doing: &str, e: &git2::Error) -> Error {
    Error::Git {
        doing: doing.to_owned(),
        message: e.message().to_owned(),
    }
}

impl Repo {
    /// The repository whose work tree holds `cwd` (or the one `GIT_DIR` names); `None` outside
    /// of any repository, or in a bare one.
    pub fn open(cwd: &Path) -> Result<Option<Repo>> {
        let repo = match Repository::open_ext(
            cwd,
            RepositoryOpenFlags::FROM_ENV,
            std::iter::empty::<&std::ffi::OsStr>(),
        ) {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(git_error("opening the git repository", &e)),
        };
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let workdir = workdir
            .canonicalize()
            .map_err(|e| Error::io(format!("cannot read {}", workdir.display()), e))?;
        Ok(Some(Repo { repo, workdir }))
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `path` relative to the work tree, `/`-separated as git writes paths; `None` when it lies
    /// outside of it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let canonical = path.canonicalize().ok()?;
        let rel = canonical.strip_prefix(&self.workdir).ok()?;
        let parts: Vec<&str> = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<_>>()?;
        Some(parts.join("/"))
    }

    /// Every `.sql` file the index adds or changes against HEAD (all of the index on a first
    /// commit), relative to the work tree.
    pub fn staged_sql(&self) -> Result<Vec<String>> {
        Ok(self.staged_sql_changes()?.0)
    }

    /// The `.sql` files the index changes against HEAD, relative to the work tree: those it
    /// adds or modifies, and those it deletes.
    pub fn staged_sql_changes(&self) -> Result<(Vec<String>, Vec<String>)> {
        let tree = match self.repo.head() {
            Ok(head) => Some(
                head.peel_to_tree()
                    .map_err(|e| git_error("reading HEAD's tree", &e))?,
            ),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
            Err(e) => return Err(git_error("reading HEAD", &e)),
        };
        let index = self
            .repo
            .index()
            .map_err(|e| git_error("reading the index", &e))?;
        let mut opts = DiffOptions::new();
        opts.pathspec("*.sql");
        let diff = self
            .repo
            .diff_tree_to_index(tree.as_ref(), Some(&index), Some(&mut opts))
            .map_err(|e| git_error("comparing the index with HEAD", &e))?;
        let (mut changed, mut deleted) = (Vec::new(), Vec::new());
        for delta in diff.deltas() {
            let (list, file) = match delta.status() {
                Delta::Deleted => (&mut deleted, delta.old_file()),
                _ => (&mut changed, delta.new_file()),
            };
            if let Some(path) = file.path().and_then(Path::to_str) {
                list.push(path.replace('\\', "/"));
            }
        }
        for list in [&mut changed, &mut deleted] {
            list.sort();
            list.dedup();
        }
        Ok((changed, deleted))
    }

    /// Files under `rel_dir` (relative to the work tree) whose work-tree state differs from the
    /// index, untracked ones included (ignored ones not).
    pub fn unstaged_under(&self, rel_dir: &str) -> Result<Vec<(String, Unstaged)>> {
        let index = self
            .repo
            .index()
            .map_err(|e| git_error("reading the index", &e))?;
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .pathspec(if rel_dir.is_empty() { "." } else { rel_dir });
        let diff = self
            .repo
            .diff_index_to_workdir(Some(&index), Some(&mut opts))
            .map_err(|e| git_error("comparing the work tree with the index", &e))?;
        let mut files = Vec::new();
        for delta in diff.deltas() {
            let change = match delta.status() {
                Delta::Untracked => Unstaged::Untracked,
                Delta::Deleted => Unstaged::Deleted,
                Delta::Unmodified | Delta::Ignored => continue,
                _ => Unstaged::Modified,
            };
            let file = match change {
                Unstaged::Deleted => delta.old_file(),
                _ => delta.new_file(),
            };
            if let Some(path) = file.path().and_then(Path::to_str) {
                files.push((path.replace('\\', "/"), change));
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// `core.hooksPath` as git would use it (local, global or system config), if set.
    pub fn hooks_path(&self) -> Result<Option<String>> {
        let config = self
            .repo
            .config()
            .map_err(|e| git_error("reading the git config", &e))?;
        match config.get_string("core.hooksPath") {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_error("reading core.hooksPath", &e)),
        }
    }

    /// Sets `core.hooksPath` in the repository's own config (`.git/config`).
    pub fn set_hooks_path(&self, value: &str) -> Result<()> {
        let mut config = self
            .repo
            .config()
            .and_then(|c| c.open_level(git2::ConfigLevel::Local))
            .map_err(|e| git_error("opening the repository's git config", &e))?;
        config
            .set_str("core.hooksPath", value)
            .map_err(|e| git_error("setting core.hooksPath", &e))
    }

    /// The hooks directory git uses when `core.hooksPath` is not set (`.git/hooks`).
    pub fn default_hooks_dir(&self) -> PathBuf {
        self.repo.commondir().join("hooks")
    }
}
