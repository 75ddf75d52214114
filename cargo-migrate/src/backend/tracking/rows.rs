//! The tracking table's rows as data: what a run writes ([`NewRow`]) and what a repair changes
//! ([`RepairRow`]); what is read is [`AppliedRow`], which `state` owns.

use std::time::Instant;

use crate::backend::connection::Param;
use crate::state::AppliedRow;

/// The columns added to the tracking table after its first release, in the order they were
/// added. A table made by an earlier version gets the ones it lacks on the first writing run
/// (under the run lock); until then they read as not recorded.
pub const ADDED_COLUMNS: [&str; 6] = [
    "up_script",
    "baseline",
    "repaired_at",
    "repaired_by",
    "cleared",
    // The down script as it was when its migration was applied, for `down`'s diff.
    "down_script",
];

/// The [`ADDED_COLUMNS`] that [`select_columns`] reads with every row (the scripts are read
/// one migration at a time). A table that has them all is read with them.
pub const ROW_FLAG_COLUMNS: [&str; 4] = ["baseline", "repaired_at", "repaired_by", "cleared"];

impl AppliedRow {
    /// Reads a row selected by [`select_columns`], whatever the database.
    pub(crate) fn from_row<'r, R>(r: &'r R) -> sqlx::Result<AppliedRow>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(AppliedRow {
            version: r.try_get(0)?,
            description: r.try_get(1)?,
            up_checksum: r.try_get(2)?,
            down_checksum: r.try_get(3)?,
            applied_at: r.try_get(4)?,
            execution_us: r.try_get(5)?,
            applied_by: r.try_get(6)?,
            success: r.try_get(7)?,
            baseline: if r.len() > 8 { r.try_get(8)? } else { false },
            repaired_at: if r.len() > 8 { r.try_get(9)? } else { None },
            repaired_by: if r.len() > 8 { r.try_get(10)? } else { None },
            cleared: if r.len() > 8 { r.try_get(11)? } else { false },
        })
    }
}

/// What to write into the tracking table for one migration.
#[derive(Clone, Debug)]
pub struct NewRow<'a> {
    pub version: i64,
    pub description: &'a str,
    pub up_checksum: &'a str,
    pub down_checksum: Option<&'a str>,
    pub execution_us: i64,
    pub applied_by: &'a str,
    pub success: bool,
    /// The up script as applied, so that a later edit can be shown as a diff.
    pub up_script: Option<&'a str>,
    /// The down script as it is when the migration is applied, so that `down` can show how
    /// it was edited since.
    pub down_script: Option<&'a str>,
    pub baseline: bool,
    /// The version has a cleared row (see [`AppliedRow::cleared`]): it is overwritten, keeping
    /// the repair's who and when, instead of a new row being inserted.
    pub replaces: bool,
}

/// What `repair` changes in a row, besides recording who and when.
#[derive(Clone, Debug)]
pub enum RepairRow<'a> {
    /// A failed migration undone by hand: mark the row cleared, so that `up` runs it again.
    Clear,
    /// A failed migration finished by hand: record it as applied.
    MarkApplied,
    /// A deliberate edit of an applied migration (its up script, its down script or its
    /// name): record the files as they are now.
    AcceptEdit {
        description: &'a str,
        up_checksum: &'a str,
        down_checksum: Option<&'a str>,
        up_script: Option<&'a str>,
        down_script: Option<&'a str>,
    },
}

/// The text to store as `up_script`: none when the database could not hold it (a NUL).
pub(crate) fn storable_script(text: &str) -> Option<&str> {
    (!text.contains('\0')).then_some(text)
}

impl NewRow<'_> {
    /// The parameters of [`write_row_sql`]'s statement, in its order.
    pub(crate) fn params(&self) -> [Param<'_>; 10] {
        [
            Param::Text(self.description),
            Param::Text(self.up_checksum),
            Param::MaybeText(self.down_checksum),
            Param::Int(self.execution_us),
            Param::Text(self.applied_by),
            Param::Bool(self.success),
            Param::MaybeText(self.up_script),
            Param::MaybeText(self.down_script),
            Param::Bool(self.baseline),
            Param::Int(self.version),
        ]
    }
}

/// The `execution_us` of a run that started at `start`.
pub(crate) fn elapsed_us(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX)
}
