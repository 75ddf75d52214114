//! ## What it does
//! Flags an operation that rewrites a table that existed before the migration (PostgreSQL
//! only): a column added with a volatile default (`gen_random_uuid()`, `random()`, `nextval`, a
//! function the model does not know) or, before PostgreSQL 11, with any default; a stored
//! generated, identity or serial column added; `ALTER COLUMN … TYPE` with `USING`, or to a type
//! that a change to is never binary-coercible (anything but `text`, `varchar`, `numeric` and
//! `citext`); `SET LOGGED` / `SET UNLOGGED`.
//!
//! A type change to `text`, a longer `varchar` or a wider `numeric` rewrites only if the old
//! type is not binary-coercible to it, which the files alone do not say: the lock model marks
//! it as uncertain and this rule does not flag it (`cargo migrate verify --locks` sees the
//! rewrite in a scratch database).
//!
//! ## Why is this bad?
//! A rewrite copies every row into a new file and rebuilds every index of the table while
//! holding ACCESS EXCLUSIVE: nothing reads or writes the table until it is done, minutes or
//! hours on a large one, and it needs the table's size again in free disk. A table the same
//! migration creates is empty and not flagged.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN token UUID DEFAULT gen_random_uuid();
//! ```
//!
//! ## Use instead
//! Add the column without the volatile default, then set the default (for new rows only) and
//! fill the existing rows in batches:
//! ```sql
//! ALTER TABLE users ADD COLUMN token UUID;
//! ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();
//! -- then, in batches: UPDATE users SET token = gen_random_uuid() WHERE id BETWEEN … AND …;
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::lock_model::{Rewrite, ServerVersion};
use crate::sql::{Alter, DefaultKind};
use crate::{Dialect, Op};

pub(super) const RULE: Rule = Rule {
    id: RuleId::TableRewrite,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    if cx.dialect != Dialect::Postgres {
        return;
    }
    for (index, op, prediction) in cx.up_predictions() {
        let Op::Alter { table, action } = op else {
            continue;
        };
        if prediction.rewrite != Rewrite::Yes || !cx.existed_before(table) {
            continue;
        }
        let (why, help) = explain(action, cx.version);
        out.push(
            cx.at_statement(
                RULE.id,
                Script::Up,
                index,
                format!(
                    "this statement rewrites the existing table {table}: it {why}; every row is copied and every index rebuilt under ACCESS EXCLUSIVE (no reads or writes until it is done)"
                ),
                format!("rewrites {table}"),
            )
            .with_help(help),
        );
    }
}

/// Why the action rewrites, and what to do instead.
fn explain(action: &Alter, version: ServerVersion) -> (String, &'static str) {
    match action {
        Alter::AddColumn {
            column,
            fills_rows: true,
            ..
        } => (
            format!("adds {column}, a stored generated, identity or serial column"),
            "add a plain nullable column and fill it in batches (a trigger keeps new rows filled); an identity can then be added with `ALTER COLUMN … ADD GENERATED … AS IDENTITY`, which does not rewrite",
        ),
        Alter::AddColumn {
            column,
            default: Some(DefaultKind::Volatile),
            ..
        } => (
            format!("adds {column} with a volatile default"),
            "add the column without the default, then `ALTER COLUMN … SET DEFAULT …` (for new rows only) and fill the existing rows in batches",
        ),
        Alter::AddColumn { column, .. } => (
            format!(
                "adds {column} with a default, which PostgreSQL {version} writes into every row (11 and later do not for a constant)"
            ),
            "add the column without the default, then `ALTER COLUMN … SET DEFAULT …` (for new rows only) and fill the existing rows in batches",
        ),
        Alter::SetType {
            column,
            using: true,
            ..
        } => (
            format!("changes the type of {column} with USING"),
            "add a column of the new type, fill it in batches (a trigger keeps new rows in step), then switch the application over and drop the old column",
        ),
        Alter::SetType { column, to, .. } => (
            format!("changes the type of {column} to {to}, not a binary-coercible change"),
            "add a column of the new type, fill it in batches (a trigger keeps new rows in step), then switch the application over and drop the old column (a varchar made longer or text does not rewrite)",
        ),
        Alter::SetLogging => (
            "makes it LOGGED or UNLOGGED".to_owned(),
            "create the table logged or unlogged from the start, or plan the copy for a maintenance window: `-- migrate:allow table-rewrite <reason>`",
        ),
        _ => (
            "rewrites every row".to_owned(),
            "plan the rewrite for a maintenance window: `-- migrate:allow table-rewrite <reason>`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::bad_not_good;

    #[test]
    fn bad_and_good() {
        let users = (
            "1_users.up.sql",
            "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(100), age INT);",
        );
        let users_down = ("1_users.down.sql", "DROP TABLE users;");
        insta::assert_snapshot!(bad_not_good(
            Dialect::Postgres,
            "table-rewrite",
            &[
                users,
                users_down,
                (
                    "2_rewrites.up.sql",
                    "ALTER TABLE users ADD COLUMN token UUID DEFAULT gen_random_uuid();\nALTER TABLE users ADD COLUMN doubled INT GENERATED ALWAYS AS (age * 2) STORED;\nALTER TABLE users ALTER COLUMN age TYPE BIGINT;\nALTER TABLE users ALTER COLUMN email TYPE TEXT USING lower(email);\nALTER TABLE users SET UNLOGGED;"
                ),
                (
                    "2_rewrites.down.sql",
                    "ALTER TABLE users SET LOGGED;\nALTER TABLE users ALTER COLUMN email TYPE VARCHAR(100);\nALTER TABLE users ALTER COLUMN age TYPE INT;\nALTER TABLE users DROP COLUMN doubled;\nALTER TABLE users DROP COLUMN token;"
                ),
            ],
            &[
                users,
                users_down,
                // A constant default, a varchar made text (uncertain: not flagged), and a new
                // table's rewrites.
                (
                    "2_rewrites.up.sql",
                    "ALTER TABLE users ADD COLUMN token UUID;\nALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\nALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;\nALTER TABLE users ALTER COLUMN email TYPE TEXT;\nCREATE TABLE notes (id BIGINT PRIMARY KEY, n INT);\nALTER TABLE notes ALTER COLUMN n TYPE BIGINT;\nALTER TABLE notes ADD COLUMN u UUID DEFAULT gen_random_uuid();"
                ),
                (
                    "2_rewrites.down.sql",
                    "DROP TABLE notes;\nALTER TABLE users ALTER COLUMN email TYPE VARCHAR(100);\nALTER TABLE users DROP COLUMN active;\nALTER TABLE users DROP COLUMN token;"
                ),
            ]
        ));
    }
}
