//! Branch conflicts (SPEC §6) as a pure function of the two sides: the migrations this branch
//! added since its merge-base with the main branch against those the main branch added since.
//!
//! A conflict is a branch migration whose version is not greater than the newest one on main,
//! one with the same version as a migration on main, or one that touches a table, column or
//! type that main's new migrations drop or rename.
//!
//! Reading the two sides (the repository, the refs, the merge-base, main's files from git
//! objects) is `git.rs`'s job, behind the `git` feature; this module knows nothing of git and is
//! compiled without it.

use std::collections::HashSet;
use std::sync::Arc;

use crate::Dialect;
use crate::finding::Finding;
use crate::lints::RuleId;
use crate::model::{Effect, ObjectId, ObjectKind};
use crate::set::{FileKind, MigrationSet, parse_file_name};
use crate::sql::parse_script;

/// One migration file of a side: its name in the migrations directory and its text (`None` when
/// it could not be read as UTF-8).
#[derive(Clone, Debug)]
pub struct SideFile {
    pub name: String,
    pub text: Option<String>,
}

/// The two sides compared.
#[derive(Clone, Debug, Default)]
pub struct Sides {
    /// How the main side is named in messages (`main`, `origin/main`, or the other side of a
    /// merge in progress).
    pub main_label: String,
    /// The name of every migration file on main, in name order.
    pub main_files: Vec<String>,
    /// The migration files main added since the merge-base, in name order, with their text.
    pub main_added: Vec<SideFile>,
    /// The migration files this branch added: neither at the merge-base nor on main, with their
    /// text.
    pub branch_added: Vec<SideFile>,
}

/// What the comparison found.
#[derive(Clone, Debug, Default)]
pub struct Conflicts {
    /// One error finding per conflict, naming both files and the fix.
    pub findings: Vec<Finding>,
    /// The migrations this branch added (the name of their up file), by version.
    pub branch_migrations: Vec<(i64, String)>,
    /// The newest version on the main branch.
    pub main_newest: Option<i64>,
}

/// Compares the two sides. `set` is this branch's migration set (for the file names shown);
/// `dialect` reads the scripts of both sides.
pub fn branch_conflicts(sides: &Sides, set: &MigrationSet, dialect: Dialect) -> Conflicts {
    let main_label = sides.main_label.as_str();
    let main_all: Vec<Side> = sides
        .main_files
        .iter()
        .filter_map(|n| Side::of(n))
        .collect();
    let main_newest = main_all.iter().max_by_key(|s| s.version).cloned();
    let mut branch_added: Vec<(Side, Option<&str>)> = sides
        .branch_added
        .iter()
        .filter_map(|f| Some((Side::of(&f.name)?, f.text.as_deref())))
        .collect();
    branch_added.sort_by(|(a, _), (b, _)| (a.version, &a.file).cmp(&(b.version, &b.file)));

    let mut result = Conflicts {
        main_newest: main_newest.as_ref().map(|s| s.version),
        branch_migrations: branch_added
            .iter()
            .map(|(s, _)| (s.version, s.file.clone()))
            .collect(),
        ..Conflicts::default()
    };
    let shown = |file: &str| set.display_path(file);
    let rebase_help = |newest: &Side| {
        format!(
            "run `cargo migrate rebase`: it renumbers this branch's migrations after {main_label}'s newest ({}) and keeps their review",
            newest.name()
        )
    };

    // Versions.
    for (b, _) in &branch_added {
        let Some(newest) = &main_newest else { break };
        if let Some(same) = main_all.iter().find(|m| m.version == b.version) {
            result.findings.push(
                Finding::error(
                    RuleId::BranchConflict,
                    shown(&b.file),
                    format!(
                        "{} has the same version as {}'s {} ({}): the two cannot both be applied",
                        b.name(),
                        main_label,
                        same.name(),
                        shown(&same.file)
                    ),
                )
                .in_migration(b.version)
                .with_help(rebase_help(newest)),
            );
        } else if b.version < newest.version {
            result.findings.push(
                Finding::error(
                    RuleId::BranchConflict,
                    shown(&b.file),
                    format!(
                        "{} was added on this branch, but {} already has the newer {} ({}): after the merge it would sort before a migration that may already be applied",
                        b.name(),
                        main_label,
                        newest.name(),
                        shown(&newest.file)
                    ),
                )
                .in_migration(b.version)
                .with_help(rebase_help(newest)),
            );
        }
    }

    // Objects main's new migrations drop or rename.
    let mut removed: Vec<(ObjectId, String, Side)> = Vec::new();
    let mut made_on_main: HashSet<ObjectId> = HashSet::new();
    let mut main_added: Vec<(Side, Option<&str>)> = sides
        .main_added
        .iter()
        .filter_map(|f| Some((Side::of(&f.name)?, f.text.as_deref())))
        .collect();
    main_added.sort_by_key(|(s, _)| s.version);
    for (m, text) in &main_added {
        let Some(text) = text else {
            continue;
        };
        for statement in parse_script(text, dialect).unwrap_or_default() {
            for effect in &statement.effects {
                match effect {
                    Effect::Create { object, .. } => {
                        made_on_main.insert(object.clone());
                    }
                    Effect::Drop { object, .. }
                        if watched_kind(object) && !made_on_main.contains(object) =>
                    {
                        removed.push((object.clone(), "drops it".to_owned(), m.clone()));
                    }
                    Effect::Rename { from, to }
                        if watched_kind(from) && !made_on_main.contains(from) =>
                    {
                        removed.push((
                            from.clone(),
                            format!("renames it to {}", to.name),
                            m.clone(),
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
    if !removed.is_empty() {
        for (b, text) in &branch_added {
            let Some(text) = text else {
                continue;
            };
            let source: Arc<str> = Arc::from(*text);
            let mut created: HashSet<ObjectId> = HashSet::new();
            let mut reported: HashSet<ObjectId> = HashSet::new();
            for statement in parse_script(text, dialect).unwrap_or_default() {
                for effect in &statement.effects {
                    for touched in touched(effect) {
                        let Some((object, verb, m)) = removed
                            .iter()
                            .find(|(o, _, _)| covers(o, &touched) && !created.contains(o))
                        else {
                            continue;
                        };
                        if !reported.insert(object.clone()) {
                            continue;
                        }
                        result.findings.push(
                            Finding::error(
                                RuleId::BranchConflict,
                                shown(&b.file),
                                format!(
                                    "{} uses {object}, but {}'s {} ({}) {verb}",
                                    b.name(),
                                    main_label,
                                    m.name(),
                                    shown(&m.file)
                                ),
                            )
                            .at(source.clone(), statement.span.clone(), format!("uses {touched}"))
                            .in_migration(b.version)
                            .with_help(format!(
                                "bring {main_label} into this branch (`git merge {main_label}`), rewrite {} against the new schema, then run `cargo migrate rebase`",
                                b.name()
                            )),
                        );
                    }
                    if let Effect::Create { object, .. } = effect {
                        created.insert(object.clone());
                    }
                }
            }
        }
    }
    result
}

/// One migration (its up file) on one side.
#[derive(Clone, Debug)]
struct Side {
    version: i64,
    slug: String,
    file: String,
}

impl Side {
    fn of(file: &str) -> Option<Side> {
        let parsed = parse_file_name(file).ok().flatten()?;
        (parsed.kind != FileKind::Down).then(|| Side {
            version: parsed.version,
            slug: parsed.slug,
            file: file.to_owned(),
        })
    }

    fn name(&self) -> String {
        format!("{}_{}", self.version, self.slug)
    }
}

/// The kinds of object whose drop or rename on main conflicts with a branch that uses them.
fn watched_kind(object: &ObjectId) -> bool {
    matches!(
        object.kind,
        ObjectKind::Table | ObjectKind::Column | ObjectKind::Type
    )
}

/// The objects an effect needs to exist (a create needs its table, not itself).
fn touched(effect: &Effect) -> Vec<ObjectId> {
    let mut ids = Vec::new();
    let with_parent = |id: &ObjectId, itself: bool, ids: &mut Vec<ObjectId>| {
        if itself {
            ids.push(id.clone());
        }
        if let Some(parent) = &id.parent {
            ids.push(ObjectId::table(parent.clone()));
        }
    };
    match effect {
        Effect::Create {
            object,
            on,
            references,
            ..
        } => {
            with_parent(object, false, &mut ids);
            ids.extend(
                on.iter()
                    .chain(references)
                    .map(|t| ObjectId::table(t.clone())),
            );
        }
        Effect::Drop { object, .. } | Effect::Use { object } | Effect::Uncertain { object } => {
            with_parent(object, true, &mut ids);
        }
        Effect::Rename { from, .. } => with_parent(from, true, &mut ids),
        Effect::Opaque => {}
    }
    ids
}

/// Whether removing `removed` takes `touched` away.
fn covers(removed: &ObjectId, touched: &ObjectId) -> bool {
    removed == touched
        || (removed.kind == ObjectKind::Table
            && touched.parent.as_deref() == Some(removed.name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `branch` touches an object `main` drops or renames.
    fn conflicts(main: &str, branch: &str) -> bool {
        let removed: Vec<ObjectId> = parse_script(main, Dialect::Postgres)
            .unwrap()
            .iter()
            .flat_map(|s| s.effects.clone())
            .filter_map(|e| match e {
                Effect::Drop { object, .. } if watched_kind(&object) => Some(object),
                Effect::Rename { from, .. } if watched_kind(&from) => Some(from),
                _ => None,
            })
            .collect();
        parse_script(branch, Dialect::Postgres)
            .unwrap()
            .iter()
            .flat_map(|s| s.effects.iter().flat_map(touched))
            .any(|t| removed.iter().any(|r| covers(r, &t)))
    }

    #[test]
    fn drops_and_renames_of_tables_columns_and_types() {
        for (main, branch, expected) in [
            (
                "DROP TABLE users;",
                "ALTER TABLE users ADD COLUMN email TEXT;",
                true,
            ),
            (
                "DROP TABLE users;",
                "CREATE INDEX users_email_idx ON users (email);",
                true,
            ),
            (
                "DROP TABLE users;",
                "CREATE TABLE posts (id INT, user_id INT REFERENCES users (id));",
                true,
            ),
            (
                "ALTER TABLE users RENAME TO people;",
                "INSERT INTO users (id) VALUES (1);",
                true,
            ),
            (
                "ALTER TABLE users DROP COLUMN name;",
                "ALTER TABLE users RENAME COLUMN name TO full_name;",
                true,
            ),
            (
                "ALTER TABLE users DROP COLUMN name;",
                "CREATE INDEX users_name_idx ON users (name);",
                true,
            ),
            ("DROP TYPE mood;", "CREATE TABLE t (id INT, m mood);", true),
            (
                "ALTER TABLE users DROP COLUMN name;",
                "ALTER TABLE users ADD COLUMN email TEXT;",
                false,
            ),
            ("DROP TABLE users;", "CREATE TABLE posts (id INT);", false),
            (
                "DROP INDEX users_name_idx;",
                "CREATE INDEX users_name_idx2 ON users (name);",
                false,
            ),
        ] {
            assert_eq!(
                conflicts(main, branch),
                expected,
                "main: {main} / branch: {branch}"
            );
        }
    }

    fn file(name: &str, text: &str) -> SideFile {
        SideFile {
            name: name.to_owned(),
            text: Some(text.to_owned()),
        }
    }

    #[test]
    fn versions_and_objects_conflict_without_git() {
        let sides = Sides {
            main_label: "main".to_owned(),
            main_files: vec!["1_users.up.sql".into(), "3_drop_name.up.sql".into()],
            main_added: vec![file(
                "3_drop_name.up.sql",
                "ALTER TABLE users DROP COLUMN name;",
            )],
            branch_added: vec![
                file("4_email.up.sql", "ALTER TABLE users ADD COLUMN email TEXT;"),
                file("3_posts.up.sql", "CREATE TABLE posts (id INT);"),
                file(
                    "2_name_idx.up.sql",
                    "CREATE INDEX users_name_idx ON users (name);",
                ),
                file("2_name_idx.down.sql", "DROP INDEX users_name_idx;"),
            ],
        };
        let found = branch_conflicts(&sides, &MigrationSet::default(), Dialect::Postgres);
        assert_eq!(found.main_newest, Some(3));
        let versions: Vec<i64> = found.branch_migrations.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, [2, 3, 4]);
        let shown: Vec<String> = found
            .findings
            .iter()
            .map(|f| format!("{} {}: {}", f.rule, f.file, f.message))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert!(shown[0].starts_with("branch-conflict 2_name_idx.up.sql: 2_name_idx was added on this branch, but main already has the newer 3_drop_name"), "{shown:#?}");
        assert!(
            shown[1].starts_with(
                "branch-conflict 3_posts.up.sql: 3_posts has the same version as main's 3_drop_name"
            ),
            "{shown:#?}"
        );
        assert!(
            shown[2].starts_with("branch-conflict 2_name_idx.up.sql: 2_name_idx uses "),
            "{shown:#?}"
        );
        assert!(
            shown[2].ends_with("but main's 3_drop_name (3_drop_name.up.sql) drops it"),
            "{shown:#?}"
        );
    }
}
