//! ## What it does
//! Flags `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` on a partitioned table that
//! existed before the migration (PostgreSQL 14 and later, the versions that have `DETACH
//! PARTITION … CONCURRENTLY`; the server version is the configured `postgres_version`).
//!
//! ## Why is this bad?
//! A plain detach takes an ACCESS EXCLUSIVE lock on the partitioned table and the partition:
//! every read and write of every partition waits until it is done, and it waits itself behind
//! any running query on the table.
//!
//! ## Example
//! ```sql
//! ALTER TABLE events DETACH PARTITION events_2024;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- migrate:no-transaction
//! ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::ServerVersion;
use crate::{Alter, Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::RequireConcurrentPartitionDetach,
    default: Level::Warn,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres || cx.version < ServerVersion::new(14, 0, 0) {
        return;
    }
    for (statement, op, _) in cx.up_predictions() {
        let Op::Alter {
            table,
            action:
                Alter::DetachPartition {
                    partition,
                    concurrently: false,
                },
        } = op
        else {
            continue;
        };
        if !cx.existed_before(table) {
            continue;
        }
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                statement,
                format!(
                    "DETACH PARTITION {partition} takes an ACCESS EXCLUSIVE lock on the existing table {table}: every read and write of all its partitions waits until it is done"
                ),
                "locks the partitioned table",
            )
            .with_help("use DETACH PARTITION … CONCURRENTLY in a migration with `-- migrate:no-transaction` at its top"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let events = (
            "1_events.up.sql",
            "CREATE TABLE events (id BIGINT, at DATE) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        );
        let events_down = (
            "1_events.down.sql",
            "DROP TABLE events_2024;\nDROP TABLE events;",
        );
        let attach_back = (
            "2_detach.down.sql",
            "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        );
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "require-concurrent-partition-detach",
            &[
                events,
                events_down,
                (
                    "2_detach.up.sql",
                    "ALTER TABLE events DETACH PARTITION events_2024;"
                ),
                attach_back,
            ],
            &[
                events,
                events_down,
                (
                    "2_detach.up.sql",
                    "-- migrate:no-transaction\nALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;"
                ),
                attach_back,
                // A table this migration creates is empty.
                (
                    "3_logs.up.sql",
                    "CREATE TABLE logs (id BIGINT, at DATE) PARTITION BY RANGE (at);\nCREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE logs DETACH PARTITION logs_2024;"
                ),
                ("3_logs.down.sql", "DROP TABLE logs_2024;\nDROP TABLE logs;"),
            ]
        ));
    }
}
