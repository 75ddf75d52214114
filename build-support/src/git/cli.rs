//! The repository read through the `git` command: one process per question (a few refs, a
//! merge-base, two directory listings) and one `cat-file --batch` for the blobs main added.
//! What a question costs is a fork and exec of git, and nothing at build time.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Head, Oid, Repo, is_migration, shorthand};

/// The command run, found on PATH.
pub(super) const GIT: &str = "git";

/// Why the repository could not be opened.
pub(super) enum Unopened {
    /// No `git` command to run: the reason, one line (the skip reason, unless libgit2 reads
    /// the repository instead).
    NotInstalled(#[cfg_attr(feature = "libgit2", allow(dead_code))] String),
    /// `dir` is not in a git repository (or git refuses it, as one owned by someone else).
    NotARepository,
}

pub(super) struct Git {
    program: String,
    /// Where every command runs.
    dir: PathBuf,
    git_dir: PathBuf,
    common_dir: PathBuf,
    workdir: Option<PathBuf>,
}

impl Git {
    /// The repository `dir` is in, as the `git` command `program` finds it from there.
    pub(super) fn discover(program: &str, dir: &Path) -> Result<Git, Unopened> {
        let mut git = Git {
            program: program.to_owned(),
            dir: dir.to_owned(),
            git_dir: PathBuf::new(),
            common_dir: PathBuf::new(),
            workdir: None,
        };
        let out = git
            .command(&[
                "rev-parse",
                "--absolute-git-dir",
                "--git-common-dir",
                "--is-bare-repository",
            ])
            .output()
            .map_err(|e| {
                Unopened::NotInstalled(match e.kind() {
                    std::io::ErrorKind::NotFound => format!(
                        "git is not installed (no `{program}` command on PATH): branch conflicts are not checked"
                    ),
                    _ => format!("cannot run `{program}` ({e}): branch conflicts are not checked"),
                })
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let (Some(git_dir), Some(common_dir), Some(bare), true) = (
            lines.next(),
            lines.next(),
            lines.next(),
            out.status.success(),
        ) else {
            return Err(Unopened::NotARepository);
        };
        git.git_dir = PathBuf::from(git_dir);
        // Relative to where git ran (`--path-format=absolute` needs git 2.31).
        let common_dir = dir.join(common_dir);
        git.common_dir = common_dir.canonicalize().unwrap_or(common_dir);
        if bare != "true" {
            git.workdir = git
                .stdout(&["rev-parse", "--show-toplevel"])
                .map(PathBuf::from);
        }
        Ok(git)
    }

    /// `git <args>` in the directory, with none of the variables that would make it read
    /// another repository than the one the directory is in (a hook has some of them set).
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(&self.dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_COMMON_DIR",
            "GIT_INDEX_FILE",
            "GIT_NAMESPACE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// The first line of what `git <args>` prints, if it succeeds.
    fn stdout(&self, args: &[&str]) -> Option<String> {
        let out = self.command(args).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        let line = text.lines().next()?.trim();
        (!line.is_empty()).then(|| line.to_owned())
    }

    /// The commit `rev` names, if it names one.
    fn commit(&self, rev: &str) -> Option<Oid> {
        self.stdout(&["rev-parse", "-q", "--verify", &format!("{rev}^{{commit}}")])
    }
}

impl Repo for Git {
    fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    fn head(&self) -> Result<Option<Head>, String> {
        let branch = self.stdout(&["symbolic-ref", "-q", "HEAD"]);
        let Some(commit) = self.commit("HEAD") else {
            // A branch without a commit: the repository has none yet (or HEAD is broken).
            return match branch {
                Some(_) => Ok(None),
                None => Err("cannot read HEAD: branch conflicts are not checked".into()),
            };
        };
        Ok(Some(Head {
            branch,
            commit: Ok(commit),
        }))
    }

    fn resolve(&self, refname: &str) -> Option<(String, Oid)> {
        // Only full names (and HEAD-like ones), as libgit2 looks them up: `git rev-parse` would
        // also take `main` for a tag or an abbreviated commit.
        let full = refname.starts_with("refs/")
            || refname.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        if !full {
            return None;
        }
        let commit = self.commit(refname)?;
        Some((shorthand(refname).to_owned(), commit))
    }

    fn symbolic_target(&self, refname: &str) -> Option<String> {
        self.stdout(&["symbolic-ref", "-q", refname])
    }

    fn merge_head(&self) -> Option<Oid> {
        // As libgit2 reads the repository's state: a rebase in progress is not a merge.
        let rebasing = ["rebase-merge", "rebase-apply"]
            .iter()
            .any(|d| self.git_dir.join(d).is_dir());
        if rebasing || !self.git_dir.join("MERGE_HEAD").is_file() {
            return None;
        }
        self.commit("MERGE_HEAD")
    }

    fn merge_base(&self, a: &str, b: &str) -> Option<Oid> {
        self.stdout(&["merge-base", a, b])
    }

    fn is_shallow(&self) -> bool {
        self.stdout(&["rev-parse", "--is-shallow-repository"])
            .is_some_and(|s| s == "true")
    }

    fn tree_migrations(&self, commit: &str, rel: &str) -> Result<BTreeMap<String, Oid>, String> {
        let tree = self
            .stdout(&["rev-parse", "-q", "--verify", &format!("{commit}^{{tree}}")])
            .ok_or_else(|| format!("cannot read commit {commit}"))?;
        let spec = if rel.is_empty() {
            tree
        } else {
            format!("{tree}:{rel}")
        };
        let mut files = BTreeMap::new();
        // A directory that is not in the tree lists nothing; `--full-tree`, or git would list
        // only what is under the directory it runs in.
        let Ok(out) = self
            .command(&["ls-tree", "-z", "--full-tree", &spec])
            .output()
        else {
            return Ok(files);
        };
        if !out.status.success() {
            return Ok(files);
        }
        // `<mode> SP <type> SP <object> TAB <name> NUL`
        for entry in out.stdout.split(|&b| b == 0) {
            let Ok(entry) = std::str::from_utf8(entry) else {
                continue;
            };
            let Some((meta, name)) = entry.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (_, Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else {
                continue;
            };
            if is_migration(name) {
                files.insert(name.to_owned(), oid.to_owned());
            }
        }
        Ok(files)
    }

    fn blob_texts(&self, blobs: &[&str]) -> Vec<Option<String>> {
        let mut texts = vec![None; blobs.len()];
        if blobs.is_empty() {
            return texts;
        }
        let Ok(mut child) = self
            .command(&["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            return texts;
        };
        // Written from a thread: git answers while it reads, and both pipes have a limit.
        let input: String = blobs.iter().map(|b| format!("{b}\n")).collect();
        let stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(input.as_bytes());
            }
        });
        let out = child.wait_with_output();
        let _ = writer.join();
        let Ok(out) = out else {
            return texts;
        };
        // Per object: `<oid> blob <size> LF <content> LF`, or `<name> missing LF`.
        let mut rest = &out.stdout[..];
        for text in &mut texts {
            let Some(line_end) = rest.iter().position(|&b| b == b'\n') else {
                break;
            };
            let header = String::from_utf8_lossy(&rest[..line_end]).into_owned();
            rest = &rest[line_end + 1..];
            let mut fields = header.split(' ');
            let (Some(_), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Ok(size) = size.parse::<usize>() else {
                continue;
            };
            let Some(content) = rest.get(..size) else {
                break;
            };
            if kind == "blob" {
                *text = String::from_utf8(content.to_vec()).ok();
            }
            rest = rest.get(size + 1..).unwrap_or_default();
        }
        texts
    }
}
