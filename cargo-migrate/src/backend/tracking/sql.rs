//! The statements on the tracking table as text, from a backend's column types, quoting,
//! placeholders and clock.

use super::{ADDED_COLUMNS, NewRow, RepairRow};

/// How a backend spells the types of the tracking table's columns.
#[derive(Debug)]
pub struct TrackingTypes {
    /// `version` and `execution_us`.
    pub integer: &'static str,
    /// `description`, `applied_by` and `repaired_by`.
    pub name: &'static str,
    /// `up_checksum` and `down_checksum` (64 hex digits).
    pub checksum: &'static str,
    /// `up_script` and `down_script`: a whole script.
    pub script: &'static str,
    /// `applied_at` and `repaired_at`.
    pub timestamp: &'static str,
    /// The current time as the default of `applied_at`.
    pub now: &'static str,
}

/// The definition of one tracking-table column (`name TYPE …`), for `CREATE TABLE` and for
/// adding the [`ADDED_COLUMNS`] to a table made by an earlier version.
pub(crate) fn tracking_column(types: &TrackingTypes, column: &str) -> String {
    let TrackingTypes {
        integer,
        name,
        checksum,
        script,
        timestamp,
        now,
    } = types;
    let definition = match column {
        "version" => format!("{integer} PRIMARY KEY"),
        "description" | "applied_by" => format!("{name} NOT NULL"),
        "up_checksum" => format!("{checksum} NOT NULL"),
        "down_checksum" => (*checksum).to_owned(),
        "applied_at" => format!("{timestamp} NOT NULL DEFAULT {now}"),
        "execution_us" => format!("{integer} NOT NULL"),
        "success" => "BOOLEAN NOT NULL".to_owned(),
        "up_script" | "down_script" => (*script).to_owned(),
        "baseline" | "cleared" => "BOOLEAN NOT NULL DEFAULT FALSE".to_owned(),
        "repaired_at" => (*timestamp).to_owned(),
        "repaired_by" => (*name).to_owned(),
        other => unreachable!("unknown tracking column {other}"),
    };
    format!("{column} {definition}")
}

/// `CREATE TABLE IF NOT EXISTS` for the tracking table (`quoted`: its quoted name).
pub(crate) fn create_tracking_table_sql(quoted: &str, types: &TrackingTypes) -> String {
    const FIRST_RELEASE: [&str; 8] = [
        "version",
        "description",
        "up_checksum",
        "down_checksum",
        "applied_at",
        "execution_us",
        "applied_by",
        "success",
    ];
    let columns: Vec<String> = FIRST_RELEASE
        .into_iter()
        .chain(ADDED_COLUMNS)
        .map(|c| format!("    {}", tracking_column(types, c)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {quoted} (\n{}\n)",
        columns.join(",\n")
    )
}

/// How a server adds columns to a table all or none.
#[derive(Debug)]
pub enum AddColumns {
    /// One `ALTER TABLE` with a clause per column; the clause is `ADD COLUMN` or
    /// `ADD COLUMN IF NOT EXISTS`.
    InOneAlter(&'static str),
    /// An `ALTER TABLE … ADD COLUMN` per column, in one transaction started with the given
    /// statement.
    OneAlterEach { begin: &'static str },
}

/// The statement(s) that add `columns` (from [`ADDED_COLUMNS`]) to the tracking table
/// (`quoted`: its quoted name), so that they are added all or none.
pub(crate) fn add_tracking_columns_sql(
    quoted: &str,
    types: &TrackingTypes,
    columns: &[&str],
    add: &AddColumns,
) -> String {
    match add {
        AddColumns::InOneAlter(clause) => {
            let adds: Vec<String> = columns
                .iter()
                .map(|column| format!("{clause} {}", tracking_column(types, column)))
                .collect();
            format!("ALTER TABLE {quoted} {}", adds.join(", "))
        }
        AddColumns::OneAlterEach { begin } => {
            let mut sql = format!("{begin};\n");
            for column in columns {
                let definition = tracking_column(types, column);
                sql.push_str(&format!("ALTER TABLE {quoted} ADD COLUMN {definition};\n"));
            }
            sql.push_str("COMMIT");
            sql
        }
    }
}

/// The select list [`AppliedRow::from_row`] reads: the first release's columns, then, when the
/// table has them (`extended`), the [`ROW_FLAG_COLUMNS`](super::ROW_FLAG_COLUMNS): `baseline`
/// and the repair columns. `time` formats a timestamp
/// column as RFC 3339 text.
pub(crate) fn select_columns(extended: bool, time: impl Fn(&str) -> String) -> String {
    let mut list = format!(
        "version, description, up_checksum, down_checksum, {}, execution_us, applied_by, success",
        time("applied_at")
    );
    if extended {
        list.push_str(&format!(
            ", baseline, {}, repaired_by, cleared",
            time("repaired_at")
        ));
    }
    list
}

/// Quotes each part of a `schema.table` name with `quote`.
pub(crate) fn quote_table(table: &str, quote: char) -> String {
    table
        .split('.')
        .map(|part| format!("{quote}{part}{quote}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The statement that writes a tracking row with bound parameters, in this order:
/// description, up_checksum, down_checksum, execution_us, applied_by, success, up_script,
/// down_script, baseline, version. `p(i)` writes the i-th placeholder (from 1), `now` the current time as
/// `applied_at` stores it. A row that [`NewRow::replaces`] a cleared one is an `UPDATE` of it.
pub(crate) fn write_row_sql(
    table: &str,
    replaces: bool,
    now: &str,
    p: impl Fn(usize) -> String,
) -> String {
    let values: Vec<String> = (1..=ROW_COLUMNS.len()).map(&p).collect();
    write_row(table, replaces, now, &values, &p(ROW_COLUMNS.len() + 1))
}

/// The columns a run writes into a tracking row, besides `version` and `applied_at`.
const ROW_COLUMNS: [&str; 9] = [
    "description",
    "up_checksum",
    "down_checksum",
    "execution_us",
    "applied_by",
    "success",
    "up_script",
    "down_script",
    "baseline",
];

/// The statement that writes a tracking row: `values` (SQL, for [`ROW_COLUMNS`] in order),
/// `version` and `now` (for `applied_at`), as an `INSERT`, or as an `UPDATE` of the cleared
/// row it `replaces`.
fn write_row(table: &str, replaces: bool, now: &str, values: &[String], version: &str) -> String {
    if replaces {
        let set: Vec<String> = ROW_COLUMNS
            .iter()
            .zip(values)
            .map(|(c, v)| format!("{c} = {v}"))
            .collect();
        format!(
            "UPDATE {table} SET {}, applied_at = {now}, cleared = FALSE WHERE version = {version}",
            set.join(", ")
        )
    } else {
        format!(
            "INSERT INTO {table} ({}, version, applied_at) VALUES ({}, {version}, {now})",
            ROW_COLUMNS.join(", "),
            values.join(", ")
        )
    }
}

/// The statement that records a repair with bound parameters, in this order: for
/// [`RepairRow::AcceptEdit`] description, up_checksum, down_checksum, up_script and
/// down_script; then
/// repaired_by and
/// version. `p(i)` writes the i-th placeholder (from 1), `now` the current time as
/// `repaired_at` stores it.
pub(crate) fn repair_row_sql(
    table: &str,
    change: &RepairRow<'_>,
    now: &str,
    p: impl Fn(usize) -> String,
) -> String {
    let (set, next) = match change {
        RepairRow::Clear => ("cleared = TRUE".to_owned(), 1),
        RepairRow::MarkApplied => ("success = TRUE".to_owned(), 1),
        RepairRow::AcceptEdit { .. } => (
            format!(
                "description = {}, up_checksum = {}, down_checksum = {}, up_script = {}, down_script = {}",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            6,
        ),
    };
    format!(
        "UPDATE {table} SET {set}, repaired_at = {now}, repaired_by = {} WHERE version = {}",
        p(next),
        p(next + 1)
    )
}

/// `INSERT … VALUES (…); COMMIT` with the row written as literals, so that a backend can send
/// the tracking row and the commit in one round trip. `table` is quoted; `quote` writes a
/// string literal; `execution_us` is the SQL for the execution time (the row's value, or a
/// server expression); `now` the SQL for the current time as `applied_at` stores it. A row
/// that [`NewRow::replaces`] a cleared one is an `UPDATE` of it instead.
pub(crate) fn insert_and_commit_sql(
    table: &str,
    row: &NewRow<'_>,
    execution_us: &str,
    now: &str,
    quote: impl Fn(&str) -> String,
) -> String {
    let boolean = |b: bool| if b { "TRUE" } else { "FALSE" }.to_owned();
    let values = [
        quote(row.description),
        quote(row.up_checksum),
        row.down_checksum.map_or_else(|| "NULL".to_owned(), &quote),
        execution_us.to_owned(),
        quote(row.applied_by),
        boolean(row.success),
        row.up_script.map_or_else(|| "NULL".to_owned(), &quote),
        row.down_script.map_or_else(|| "NULL".to_owned(), &quote),
        boolean(row.baseline),
    ];
    let write = write_row(table, row.replaces, now, &values, &row.version.to_string());
    format!("{write}; COMMIT")
}

#[cfg(all(test, feature = "mysql"))]
mod tests {
    use super::*;

    #[test]
    fn tracking_table_sql() {
        let types = &<crate::backend::MySql as crate::backend::Backend>::SPELLING.types;
        assert_eq!(
            create_tracking_table_sql("`_cm`", types),
            "CREATE TABLE IF NOT EXISTS `_cm` (
    version BIGINT PRIMARY KEY,
    description VARCHAR(255) NOT NULL,
    up_checksum CHAR(64) NOT NULL,
    down_checksum CHAR(64),
    applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    execution_us BIGINT NOT NULL,
    applied_by VARCHAR(255) NOT NULL,
    success BOOLEAN NOT NULL,
    up_script LONGTEXT,
    baseline BOOLEAN NOT NULL DEFAULT FALSE,
    repaired_at DATETIME(6),
    repaired_by VARCHAR(255),
    cleared BOOLEAN NOT NULL DEFAULT FALSE,
    down_script LONGTEXT
)"
        );
        let dollar = |i: usize| format!("${i}");
        assert_eq!(
            repair_row_sql("t", &RepairRow::Clear, "now()", dollar),
            "UPDATE t SET cleared = TRUE, repaired_at = now(), repaired_by = $1 WHERE version = $2"
        );
        let edit = RepairRow::AcceptEdit {
            description: "a",
            up_checksum: "u",
            down_checksum: None,
            up_script: None,
            down_script: None,
        };
        assert_eq!(
            repair_row_sql("t", &edit, "now()", dollar),
            "UPDATE t SET description = $1, up_checksum = $2, down_checksum = $3, up_script = $4, down_script = $5, repaired_at = now(), repaired_by = $6 WHERE version = $7"
        );
    }
}
