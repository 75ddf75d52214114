//! The repository read with libgit2 (feature `libgit2`), where no `git` command is installed.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{ObjectType, Oid as GitOid, Repository, RepositoryState};

use super::{Head, Oid, Repo, is_migration};

pub(super) struct Git(Repository);

impl Git {
    pub(super) fn discover(dir: &Path) -> Option<Git> {
        Repository::discover(dir).ok().map(Git)
    }

    fn oid(text: &str) -> Option<GitOid> {
        GitOid::from_str(text).ok()
    }
}

impl Repo for Git {
    fn git_dir(&self) -> &Path {
        self.0.path()
    }

    fn common_dir(&self) -> &Path {
        self.0.commondir()
    }

    fn workdir(&self) -> Option<&Path> {
        self.0.workdir()
    }

    fn head(&self) -> Result<Option<Head>, String> {
        let Ok(head) = self.0.head() else {
            return Ok(None);
        };
        let branch = head.name().filter(|_| head.is_branch()).map(str::to_owned);
        let commit = head
            .peel_to_commit()
            .map(|c| c.id().to_string())
            .map_err(|e| e.message().to_owned());
        Ok(Some(Head { branch, commit }))
    }

    fn resolve(&self, refname: &str) -> Option<(String, Oid)> {
        let reference = self.0.find_reference(refname).ok()?;
        let commit = reference.peel_to_commit().ok()?.id().to_string();
        let label = reference.shorthand().unwrap_or(refname).to_owned();
        Some((label, commit))
    }

    fn symbolic_target(&self, refname: &str) -> Option<String> {
        let reference = self.0.find_reference(refname).ok()?;
        reference.symbolic_target().map(str::to_owned)
    }

    fn merge_head(&self) -> Option<Oid> {
        match self.0.state() {
            RepositoryState::Merge => self
                .0
                .revparse_single("MERGE_HEAD")
                .ok()
                .map(|o| o.id().to_string()),
            _ => None,
        }
    }

    fn merge_base(&self, a: &str, b: &str) -> Option<Oid> {
        let base = self.0.merge_base(Self::oid(a)?, Self::oid(b)?).ok()?;
        Some(base.to_string())
    }

    fn is_shallow(&self) -> bool {
        self.0.is_shallow()
    }

    fn tree_migrations(&self, commit: &str, rel: &str) -> Result<BTreeMap<String, Oid>, String> {
        let tree = Self::oid(commit)
            .ok_or_else(|| git2::Error::from_str("not an object id"))
            .and_then(|oid| self.0.find_commit(oid))
            .and_then(|c| c.tree())
            .map_err(|e| format!("cannot read commit {commit}: {}", e.message()))?;
        let subtree = if rel.is_empty() {
            Some(tree)
        } else {
            tree.get_path(Path::new(rel))
                .ok()
                .and_then(|e| e.to_object(&self.0).ok())
                .and_then(|o| o.into_tree().ok())
        };
        let mut files = BTreeMap::new();
        if let Some(subtree) = subtree {
            for entry in subtree.iter() {
                if entry.kind() == Some(ObjectType::Blob)
                    && let Some(name) = entry.name()
                    && is_migration(name)
                {
                    files.insert(name.to_owned(), entry.id().to_string());
                }
            }
        }
        Ok(files)
    }

    fn blob_texts(&self, blobs: &[&str]) -> Vec<Option<String>> {
        blobs
            .iter()
            .map(|b| {
                let blob = self.0.find_blob(Self::oid(b)?).ok()?;
                String::from_utf8(blob.content().to_vec()).ok()
            })
            .collect()
    }
}
