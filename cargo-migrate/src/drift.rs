//! Drift: what changed in an applied migration, and the refusal that shows it.

use build_support::{Migration, SqlFile};

use crate::error::Error;
use crate::state::AppliedRow;
use crate::state::Entry;

/// What changed in an applied migration: the recorded and current checksums and, when the
/// applied text was recorded, a unified diff from it to the file as it is now.
pub fn drift_details(m: &Migration, row: &AppliedRow, recorded: Option<&str>) -> String {
    changed_file(&m.up, &row.up_checksum, recorded, "the text applied")
}

/// What changed in the down script of an applied migration since it was recorded (when the
/// migration was applied, or its edit accepted by `repair`): the checksums and, when the
/// text was recorded, a unified diff from it to the file as it is now. Empty when the down
/// script is not [`Entry::down_modified`].
pub fn down_drift_details(m: &Migration, row: &AppliedRow, recorded: Option<&str>) -> String {
    match (&m.down, &row.down_checksum) {
        (Some(down), Some(checksum)) if down.checksum.to_hex() != *checksum => {
            changed_file(down, checksum, recorded, "the down script as applied")
        }
        _ => String::new(),
    }
}

/// The checksums of `file` (recorded and now) and, when the `recorded` text is there, a
/// unified diff from it to the file; otherwise a line saying that `what` was not recorded.
fn changed_file(file: &SqlFile, checksum: &str, recorded: Option<&str>, what: &str) -> String {
    let mut out = format!(
        "recorded checksum {checksum}\ncurrent checksum  {}\n",
        file.checksum.to_hex()
    );
    match recorded {
        Some(text) => {
            let before = text.replace("\r\n", "\n");
            let after = file.text.replace("\r\n", "\n");
            let diff = similar::TextDiff::from_lines(&before, &after);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} (as applied)", file.display),
                        &format!("{} (now)", file.display),
                    )
                    .to_string(),
            );
        }
        None => out.push_str(&format!(
            "{what} was not recorded (an earlier version of cargo-migrate applied it), so only the checksums can be compared\n"
        )),
    }
    out
}

/// The refusal for an applied migration whose file changed, with what changed.
pub fn drift_refusal(e: &Entry<'_, '_>, recorded: Option<&str>) -> Error {
    let m = e.migration.expect("a modified entry has its file");
    let row = e.row.expect("a modified entry has its row");
    Error::Drift {
        message: format!(
            "migration {} was changed after it was applied on {}",
            e.name(),
            row.applied_at
        ),
        details: drift_details(m, row, recorded).trim_end().to_owned(),
        help: format!(
            "an applied migration must not change: restore the file (for example `git checkout -- {}`) and put the change in a new migration (`cargo migrate new <name>`); if the edit is deliberate and the database already matches it, run `cargo migrate repair {}`",
            m.up.display, e.version
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::status;
    use crate::state::test_support::{row, set};

    #[test]
    fn drift_shows_the_checksums_and_the_changed_lines() {
        let (_d, s) = set(&[(
            "1_a.up.sql",
            "CREATE TABLE a (id BIGINT);\nCREATE TABLE b (id INT);\n",
        )]);
        let m = s.get(1).unwrap();
        let zeros = "0".repeat(64);
        let r = row(1, &zeros, true);
        // Recorded from a Windows checkout: line endings are not a change.
        let recorded = "CREATE TABLE a (id INT);\r\nCREATE TABLE b (id INT);\r\n";
        assert_eq!(
            drift_details(m, &r, Some(recorded)),
            format!(
                "recorded checksum {zeros}\ncurrent checksum  {}\n--- m/1_a.up.sql (as applied)\n+++ m/1_a.up.sql (now)\n@@ -1,2 +1,2 @@\n-CREATE TABLE a (id INT);\n+CREATE TABLE a (id BIGINT);\n CREATE TABLE b (id INT);\n",
                m.up.checksum.to_hex()
            )
        );
        let without = drift_details(m, &r, None);
        assert!(
            without.starts_with(&format!("recorded checksum {zeros}\n")),
            "{without}"
        );
        assert!(
            without.ends_with("so only the checksums can be compared\n"),
            "{without}"
        );
        let entries = status(&s, std::slice::from_ref(&r));
        let err = drift_refusal(&entries[0], Some(recorded)).to_string();
        assert!(err.starts_with("migration 1_a was changed after it was applied on 2024-01-01T00:00:00Z\nrecorded checksum"), "{err}");
    }
}
