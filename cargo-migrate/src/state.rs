//! Where each migration stands: the files joined with the tracking table.

use std::collections::BTreeMap;

use build_support::{Migration, MigrationSet};

/// A row of the tracking table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRow {
    pub version: i64,
    pub description: String,
    pub up_checksum: String,
    pub down_checksum: Option<String>,
    /// UTC, RFC 3339.
    pub applied_at: String,
    pub execution_us: i64,
    pub applied_by: String,
    pub success: bool,
    /// Recorded by `baseline`: marked as applied without being run.
    pub baseline: bool,
    /// UTC, RFC 3339: when `repair` last changed this row.
    pub repaired_at: Option<String>,
    pub repaired_by: Option<String>,
    /// A failed run that `repair` cleared: not applied (`up` runs it again and reuses the
    /// row), kept so that the repair's who and when stay on record.
    pub cleared: bool,
}

/// Where one migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Applied,
    Pending,
    /// Pending, but older than a migration that is already applied.
    OutOfOrder,
    /// Applied, but its file is gone.
    Missing,
    /// Applied, but its up script changed since.
    Modified,
    /// Recorded as failed: applied in part, or interrupted.
    Failed,
    /// Its up script is there but cannot be used (not UTF-8, or its version is used twice):
    /// the directory's findings say why.
    Invalid,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::OutOfOrder => "out-of-order",
            State::Missing => "missing",
            State::Modified => "modified",
            State::Failed => "failed",
            State::Invalid => "invalid",
        }
    }
}

/// One migration as `status` shows it: its file (from the set, lifetime `'s`) and its tracking
/// row (lifetime `'r`), either of which may be missing.
#[derive(Clone, Debug)]
pub struct Entry<'s, 'r> {
    pub version: i64,
    pub state: State,
    pub migration: Option<&'s Migration>,
    /// The tracking row of an applied (or failed) migration.
    pub row: Option<&'r AppliedRow>,
    /// A failed run that `repair` cleared: the migration is not applied, the row keeps who
    /// cleared it and when.
    pub cleared: Option<&'r AppliedRow>,
    /// The slug of an up script that is there but cannot be used.
    unusable: Option<&'s str>,
    /// Applied with a down script that has been edited since: its checksum is not the one
    /// recorded. A row recorded without a down checksum is never flagged.
    pub down_modified: bool,
    /// Applied under another slug: the recorded one, when the file was renamed since.
    pub renamed_from: Option<&'r str>,
}

impl Entry<'_, '_> {
    /// The slug: the file's, else the recorded one.
    pub fn description(&self) -> &str {
        match (self.migration, self.row, self.unusable) {
            (Some(m), _, _) => &m.slug,
            (None, Some(r), _) => &r.description,
            (None, None, Some(slug)) => slug,
            (None, None, None) => "",
        }
    }

    pub fn name(&self) -> String {
        format!("{}_{}", self.version, self.description())
    }
}

/// Joins the files with the tracking table, in version order.
pub fn status<'s, 'r>(set: &'s MigrationSet, rows: &'r [AppliedRow]) -> Vec<Entry<'s, 'r>> {
    // A cleared row stands for a migration that is not applied.
    let (cleared, rows): (Vec<&AppliedRow>, Vec<&AppliedRow>) =
        rows.iter().partition(|r| r.cleared && !r.success);
    let newest_applied = rows.iter().map(|r| r.version).max();
    let mut by_version: BTreeMap<i64, (Option<&Migration>, Option<&AppliedRow>)> = BTreeMap::new();
    for m in &set.migrations {
        by_version.entry(m.version).or_default().0 = Some(m);
    }
    for r in rows {
        by_version.entry(r.version).or_default().1 = Some(r);
    }
    for version in set.unusable.keys() {
        by_version.entry(*version).or_default();
    }
    by_version
        .into_iter()
        .map(|(version, (migration, row))| {
            let unusable = set
                .unusable
                .get(&version)
                .filter(|_| migration.is_none())
                .map(String::as_str);
            let state = match (migration, row) {
                (_, Some(r)) if !r.success => State::Failed,
                (None, _) if unusable.is_some() => State::Invalid,
                (None, Some(_)) => State::Missing,
                (Some(m), Some(r)) if m.up.checksum.to_hex() != r.up_checksum => State::Modified,
                (Some(_), Some(_)) => State::Applied,
                (Some(_), None) if newest_applied.is_some_and(|n| n > version) => State::OutOfOrder,
                (Some(_), None) => State::Pending,
                (None, None) => unreachable!("every entry has a file or a row"),
            };
            let applied = migration.zip(row).filter(|(_, r)| r.success);
            Entry {
                version,
                state,
                migration,
                row,
                cleared: cleared.iter().copied().find(|r| r.version == version),
                unusable,
                down_modified: applied.is_some_and(|(m, r)| down_modified(m, r)),
                renamed_from: applied
                    .filter(|(m, r)| m.slug != r.description)
                    .map(|(_, r)| r.description.as_str()),
            }
        })
        .collect()
}

/// Whether `m`'s down script differs from the one recorded when it was applied. Not when none
/// was recorded (applied without one), nor when the file has none now (a migration made
/// up-only cannot be reverted, and `down` says so).
fn down_modified(m: &Migration, row: &AppliedRow) -> bool {
    match (&row.down_checksum, &m.down) {
        (Some(recorded), Some(down)) => down.checksum.to_hex() != *recorded,
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub(crate) fn set(files: &[(&str, &str)]) -> (tempfile::TempDir, MigrationSet) {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "m").unwrap();
        (dir, set)
    }

    pub(crate) fn row(version: i64, checksum: &str, success: bool) -> AppliedRow {
        AppliedRow {
            version,
            description: format!("v{version}"),
            up_checksum: checksum.to_owned(),
            down_checksum: None,
            applied_at: "2024-01-01T00:00:00Z".into(),
            execution_us: 1,
            applied_by: "me".into(),
            success,
            baseline: false,
            repaired_at: None,
            repaired_by: None,
            cleared: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{row, set};
    use super::*;

    #[test]
    fn states() {
        let (_d, s) = set(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("2_b.up.sql", "SELECT 2;"),
            ("3_c.up.sql", "SELECT 3;"),
            ("5_e.up.sql", "SELECT 5;"),
            ("6_f.up.sql", "SELECT 6;"),
        ]);
        let sum = |v: i64| s.get(v).unwrap().up.checksum.to_hex();
        let rows = vec![
            row(1, &sum(1), true),
            row(3, "0".repeat(64).as_str(), true),
            row(4, "x", true),
            row(5, &sum(5), false),
        ];
        let got: Vec<(i64, &str)> = status(&s, &rows)
            .iter()
            .map(|e| (e.version, e.state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "applied"),
                (2, "out-of-order"),
                (3, "modified"),
                (4, "missing"),
                (5, "failed"),
                (6, "pending")
            ]
        );
    }

    #[test]
    fn an_edited_down_script_and_a_renamed_file_are_told_only_when_recorded() {
        let (_d, s) = set(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("1_a.down.sql", "SELECT 2;"),
            ("2_b.up.sql", "SELECT 3;"),
            ("2_b.down.sql", "SELECT 4;"),
            ("3_c.up.sql", "SELECT 5;"),
            ("3_c.down.sql", "SELECT 6;"),
        ]);
        let m = |v: i64| s.get(v).unwrap();
        let mut rows = Vec::new();
        // Recorded with another down script, under another name.
        let mut one = row(1, &m(1).up.checksum.to_hex(), true);
        one.description = "old".into();
        one.down_checksum = Some("0".repeat(64));
        rows.push(one);
        // Recorded with the down script as it is.
        let mut two = row(2, &m(2).up.checksum.to_hex(), true);
        two.description = "b".into();
        two.down_checksum = Some(m(2).down.as_ref().unwrap().checksum.to_hex());
        rows.push(two);
        // Recorded without a down checksum: never flagged.
        let mut three = row(3, &m(3).up.checksum.to_hex(), true);
        three.description = "c".into();
        rows.push(three);
        let got: Vec<(i64, &str, bool, Option<&str>)> = status(&s, &rows)
            .iter()
            .map(|e| (e.version, e.state.as_str(), e.down_modified, e.renamed_from))
            .collect();
        assert_eq!(
            got,
            [
                (1, "applied", true, Some("old")),
                (2, "applied", false, None),
                (3, "applied", false, None),
            ]
        );
    }
}
