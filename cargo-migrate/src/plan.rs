//! Plans: which migrations `up` applies and `down` reverts, or why they refuse. Pure: every
//! refusal is decided here, before anything runs.

use build_support::Migration;

use crate::error::{Error, Result};
use crate::state::AppliedRow;
use crate::state::{Entry, State};

/// Refuses to go on while a migration is recorded as failed.
pub fn refuse_failed(entries: &[Entry<'_, '_>]) -> Result<()> {
    if let Some(e) = entries.iter().find(|e| e.state == State::Failed) {
        return Err(Error::refused(
            format!(
                "migration {} is recorded as failed: the database may hold part of it",
                e.name()
            ),
            format!(
                "undo by hand the part of {name} that ran (its down script undoes all of it, so take from it only the statements whose objects exist) and run `cargo migrate repair {v}`, which clears the failed state so that `up` runs it again; if you finished the migration by hand instead, run `cargo migrate repair {v} --mark-applied`",
                name = e.name(),
                v = e.version
            ),
        ));
    }
    Ok(())
}

/// The migrations `up` applies, in order, or why it refuses.
pub fn plan_up<'s>(
    entries: &[Entry<'s, '_>],
    to: Option<i64>,
    allow_out_of_order: bool,
    ignore_missing: bool,
) -> Result<Vec<&'s Migration>> {
    refuse_failed(entries)?;
    if let Some(e) = entries.iter().find(|e| e.state == State::Modified) {
        let m = e.migration.expect("a modified entry has its file");
        return Err(Error::refused(
            format!(
                "migration {} was changed after it was applied ({} no longer matches the checksum recorded on {})",
                e.name(),
                m.up.display,
                e.row.map_or("", |r| r.applied_at.as_str())
            ),
            format!(
                "an applied migration must not change: restore the file (for example `git checkout -- {}`) and put the change in a new migration (`cargo migrate new <name>`); if the edit is deliberate and the database already matches it, run `cargo migrate repair {}`",
                m.up.display, e.version
            ),
        ));
    }
    if !ignore_missing && let Some(e) = entries.iter().find(|e| e.state == State::Missing) {
        {
            return Err(Error::refused(
                format!("migration {} is applied but its file is missing", e.name()),
                "restore the file (check out the branch that has it), or pass `--ignore-missing` if it was removed on purpose",
            ));
        }
    }
    if let Some(to) = to
        && !entries
            .iter()
            .any(|e| e.version == to && e.migration.is_some())
    {
        return Err(Error::config(
            format!("--to {to}: there is no migration with that version"),
            Some("`cargo migrate status` lists the versions".to_owned()),
        ));
    }
    let newest_applied = entries
        .iter()
        .filter(|e| e.row.is_some())
        .map(Entry::name)
        .next_back();
    let mut plan = Vec::new();
    for e in entries {
        if to.is_some_and(|to| e.version > to) {
            break;
        }
        match e.state {
            State::Pending => plan.push(e.migration.expect("pending has a file")),
            State::OutOfOrder if allow_out_of_order => plan.push(e.migration.expect("has a file")),
            State::OutOfOrder => {
                return Err(Error::refused(
                    format!(
                        "migration {} is pending but older than {}, which is already applied",
                        e.name(),
                        newest_applied
                            .as_deref()
                            .unwrap_or("the newest applied migration")
                    ),
                    {
                        // The newest applied migration older than this one: where to revert to.
                        let revert = entries
                            .iter()
                            .filter(|p| p.version < e.version && p.row.is_some_and(|r| r.success))
                            .map(|p| format!("cargo migrate down --to {}", p.version))
                            .next_back()
                            .unwrap_or_else(|| "cargo migrate down --all".to_owned());
                        format!(
                            "this usually comes from a merge. If {name} came from the main branch it may be deployed already: do not renumber it; revert this database's newer migrations (`{revert}`) and run `cargo migrate up`, or renumber this branch's own migrations after it with `cargo migrate rebase`. If {name} is new and yours, give it a version newer than every applied migration (rename both of its files), or apply it as it is with `cargo migrate up --allow-out-of-order`",
                            name = e.name()
                        )
                    },
                ));
            }
            _ => {}
        }
    }
    Ok(plan)
}

/// What `up` may do besides applying pending migrations in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpOptions {
    /// Apply up to this version only.
    pub to: Option<i64>,
    pub allow_out_of_order: bool,
    pub ignore_missing: bool,
}

/// Which applied migrations `down` reverts.
#[derive(Clone, Copy, Debug)]
pub enum DownTo {
    Steps(usize),
    /// Revert every migration newer than this version.
    Version(i64),
    All,
}

/// The migrations `down` reverts, newest first, or why it refuses. Every one must still have
/// its files and a down script, checked before anything runs.
pub fn plan_down<'s, 'r>(
    entries: &[Entry<'s, 'r>],
    to: DownTo,
) -> Result<Vec<(&'s Migration, &'r AppliedRow)>> {
    refuse_failed(entries)?;
    if let DownTo::Version(v) = to
        && !entries.iter().any(|e| e.version == v)
    {
        return Err(Error::config(
            format!("--to {v}: there is no migration with that version"),
            Some("`cargo migrate status` lists the versions".to_owned()),
        ));
    }
    let applied = entries.iter().rev().filter(|e| e.row.is_some());
    let chosen: Vec<&Entry<'s, 'r>> = match to {
        DownTo::Steps(n) => applied.take(n).collect(),
        DownTo::Version(v) => applied.take_while(|e| e.version > v).collect(),
        DownTo::All => applied.collect(),
    };
    let mut plan = Vec::new();
    for e in chosen {
        let row = e.row.expect("applied");
        let Some(m) = e.migration else {
            return Err(Error::refused(
                format!("cannot revert {}: its files are missing", e.name()),
                "restore the migration's files (check out the branch that has them) and run the command again",
            ));
        };
        if m.down.is_none() {
            let why = m
                .directives()
                .irreversible
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(Error::refused(
                format!(
                    "cannot revert {}: it has no down script{why}; nothing was reverted",
                    e.name()
                ),
                if m.up_only {
                    "it is an up-only migration: undo it with a new migration (`cargo migrate new <name>`)".to_owned()
                } else {
                    format!(
                        "write {} to make it reversible",
                        m.up.display.replace(".up.sql", ".down.sql")
                    )
                },
            ));
        }
        plan.push((m, row));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::status;
    use crate::state::test_support::{row, set};

    #[test]
    fn up_plans_pending_in_order_and_respects_to() {
        let (_d, s) = set(&[("1_a.up.sql", ""), ("2_b.up.sql", ""), ("10_c.up.sql", "")]);
        let entries = status(&s, &[]);
        let plan: Vec<i64> = plan_up(&entries, None, false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [1, 2, 10]);
        let plan: Vec<i64> = plan_up(&entries, Some(2), false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [1, 2]);
        assert!(plan_up(&entries, Some(7), false, false).is_err());
    }

    #[test]
    fn up_refuses_out_of_order_naming_both() {
        let (_d, s) = set(&[("1_a.up.sql", ""), ("2_b.up.sql", "")]);
        let rows = vec![row(2, &s.get(2).unwrap().up.checksum.to_hex(), true)];
        let entries = status(&s, &rows);
        let err = plan_up(&entries, None, false, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "migration 1_a is pending but older than 2_b, which is already applied"
        );
        // A migration merged in from main may be deployed: the help does not ask to renumber
        // it before offering to revert the newer ones.
        let Error::Refused {
            help: Some(help), ..
        } = err
        else {
            panic!("a refusal with help")
        };
        assert!(help.contains("do not renumber it"), "{help}");
        assert!(help.contains("`cargo migrate down --all`"), "{help}");
        let plan = plan_up(&entries, None, true, false).unwrap();
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn a_cleared_row_is_not_applied() {
        let (_d, s) = set(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("1_a.down.sql", "SELECT 1;"),
            ("2_b.up.sql", "SELECT 2;"),
            ("2_b.down.sql", "SELECT 2;"),
        ]);
        let cleared = AppliedRow {
            cleared: true,
            repaired_by: Some("frank".into()),
            ..row(2, &s.get(2).unwrap().up.checksum.to_hex(), false)
        };
        let rows = vec![
            row(1, &s.get(1).unwrap().up.checksum.to_hex(), true),
            cleared,
        ];
        let entries = status(&s, &rows);
        assert_eq!(entries[1].state, State::Pending);
        assert!(entries[1].row.is_none());
        assert_eq!(
            entries[1].cleared.and_then(|r| r.repaired_by.as_deref()),
            Some("frank")
        );
        let plan: Vec<i64> = plan_up(&entries, None, false, false)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(plan, [2]);
        let down: Vec<i64> = plan_down(&entries, DownTo::All)
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(down, [1], "a cleared migration is not reverted");
    }

    #[test]
    fn down_checks_every_step_before_running() {
        let (_d, s) = set(&[
            ("1_a.up.sql", ""),
            ("1_a.down.sql", ""),
            ("2_b.sql", "-- migrate:irreversible drops data\n"),
            ("3_c.up.sql", ""),
            ("3_c.down.sql", ""),
        ]);
        let rows: Vec<AppliedRow> = s
            .migrations
            .iter()
            .map(|m| row(m.version, &m.up.checksum.to_hex(), true))
            .collect();
        let entries = status(&s, &rows);
        let plan: Vec<i64> = plan_down(&entries, DownTo::Steps(1))
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(plan, [3]);
        let err = plan_down(&entries, DownTo::All).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot revert 2_b: it has no down script (drops data); nothing was reverted"
        );
        let plan: Vec<i64> = plan_down(&entries, DownTo::Version(2))
            .unwrap()
            .iter()
            .map(|(m, _)| m.version)
            .collect();
        assert_eq!(plan, [3]);
    }

    #[test]
    fn up_refuses_failed_modified_and_missing() {
        let (_d, s) = set(&[("1_a.up.sql", "SELECT 1;")]);
        let ok = s.get(1).unwrap().up.checksum.to_hex();
        for (rows, expect) in [
            (vec![row(1, &ok, false)], "recorded as failed"),
            (
                vec![row(1, &"0".repeat(64), true)],
                "was changed after it was applied",
            ),
            (
                vec![row(1, &ok, true), row(2, "x", true)],
                "its file is missing",
            ),
        ] {
            let entries = status(&s, &rows);
            let err = plan_up(&entries, None, false, false)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{err}");
        }
    }
}
