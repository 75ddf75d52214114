//! ## What it does
//! Flags a statement that is not valid SQL for the configured dialect, and a script that cannot
//! even be read (an unterminated string, quoted name or comment). Valid statements that the
//! parser does not know (a `DO` block, `DROP INDEX CONCURRENTLY`, …) are recognised and are
//! not errors.
//!
//! ## Why is this bad?
//! It fails at deploy time. The classic case is a missing semicolon, which glues two statements
//! into one that the server rejects — after the statements before it already ran.
//!
//! ## Example
//! ```sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY)
//! CREATE INDEX users_id_idx ON users (id);
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE users (id BIGINT PRIMARY KEY);
//! CREATE INDEX users_id_idx ON users (id);
//! ```

use super::{Cx, Level, Rule, RuleId, Script};
use crate::finding::Finding;
use crate::sql::StatementKind;

pub(super) const RULE: Rule = Rule {
    id: RuleId::SyntaxError,
    default: Level::Deny,
    check: Some(check),
};

fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for script in [Script::Up, Script::Down] {
        let (Some(file), Some(parsed)) = (cx.file(script), cx.parsed(script)) else {
            continue;
        };
        if let Some(e) = &parsed.error {
            out.push(e.finding(file).in_migration(cx.migration.version));
        }
        for statement in &parsed.statements {
            if let StatementKind::Invalid { message, offset } = &statement.kind {
                let end = (offset + 1).min(statement.span.end).max(*offset);
                out.push(
                    cx.at_file(RULE.id, script, format!("invalid SQL: {message}"))
                        .at(file.text.clone(), *offset..end, "the parser stopped here")
                        .with_help(help(message)),
                );
            }
        }
    }
}

fn help(message: &str) -> String {
    if message.contains("end of statement") {
        "a statement ends here but another starts without a `;` between them: add the missing semicolon".to_owned()
    } else {
        format!(
            "fix the statement; if it is valid for your database, the configured `dialect` may be wrong, or the form is not yet recognised ({}/syntax-error.md)",
            crate::finding::DOCS_URL
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn glued_statements() {
        insta::assert_snapshot!(check(
            Dialect::Postgres,
            &[
                (
                    "1_a.up.sql",
                    "CREATE TABLE users (id BIGINT PRIMARY KEY)\nCREATE INDEX users_id_idx ON users (id);\n"
                ),
                ("1_a.down.sql", "DROP TABLE users;")
            ],
            "syntax-error"
        ));
    }

    #[test]
    fn unterminated_string_in_a_down() {
        insta::assert_snapshot!(check(
            Dialect::Sqlite,
            &[
                ("1_a.up.sql", "CREATE TABLE t (id INT);"),
                ("1_a.down.sql", "DELETE FROM t WHERE x = 'oops;\n")
            ],
            "syntax-error"
        ));
    }

    /// Valid forms of real histories that are no syntax error, in a whole migration whose down
    /// undoes them (so no other rule speaks either): (dialect, up, down).
    #[test]
    fn valid_forms_are_not_syntax_errors() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        let cases: &[(Dialect, &str, &str)] = &[
            (
                pg,
                "CREATE TABLE meters (id INT NOT NULL);\nALTER TABLE meters ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (RESTART 10);\nALTER TABLE meters SET (fillfactor = 80);\nALTER TABLE meters RESET (fillfactor);\n",
                "DROP TABLE meters;\n",
            ),
            (
                pg,
                "CREATE TABLE readings (taken_at DATE NOT NULL) PARTITION BY RANGE (taken_at);\nCREATE INDEX readings_at ON ONLY readings (taken_at);\n",
                "DROP INDEX readings_at;\nDROP TABLE readings;\n",
            ),
            (
                pg,
                "CREATE TABLE meters (id INT);\nCREATE VIEW meter_ids AS SELECT id FROM meters;\nALTER VIEW meter_ids RENAME TO meter_list;\n",
                "ALTER VIEW meter_list RENAME TO meter_ids;\nDROP VIEW meter_ids;\nDROP TABLE meters;\n",
            ),
            (
                my,
                "CREATE TABLE labels (name VARCHAR(30) BINARY NOT NULL, KEY labels_name (name));\n",
                "DROP TABLE labels;\n",
            ),
            (
                my,
                "CREATE TABLE labels (id INT);\nALTER TABLE labels ADD COLUMN (hue INT, tone INT);\nCREATE INDEX labels_hue ON labels (hue);\n",
                "DROP INDEX labels_hue ON labels ALGORITHM=INPLACE LOCK=NONE;\nALTER TABLE labels DROP COLUMN tone, DROP COLUMN hue;\nDROP TABLE labels;\n",
            ),
            (
                my,
                "CREATE TABLE labels (id INT, hue INT, KEY labels_hue (hue));\n",
                "ALTER TABLE labels DROP KEY labels_hue;\nDROP TABLE labels;\n",
            ),
        ];
        for (dialect, up, down) in cases {
            let files = [("1_a.up.sql", *up), ("1_a.down.sql", *down)];
            assert_eq!(check(*dialect, &files, "syntax-error"), "", "{up}");
        }
    }

    /// An up that does not parse hides what it creates: its down is not judged against it (it
    /// drew a false `down-drops-foreign-object`).
    #[test]
    fn an_up_that_does_not_parse_leaves_its_down_unjudged() {
        let files = [
            ("1_a.up.sql", "CREATE TABLEX x (id INT);\n"),
            ("1_a.down.sql", "DROP TABLE x;\n"),
        ];
        assert_ne!(check(Dialect::Sqlite, &files, "syntax-error"), "");
        for rule in ["down-drops-foreign-object", "down-leaves-object"] {
            assert_eq!(check(Dialect::Sqlite, &files, rule), "", "{rule}");
        }
    }

    #[test]
    fn good() {
        assert_eq!(
            check(
                Dialect::Postgres,
                &[
                    (
                        "1_a.up.sql",
                        "CREATE TABLE users (id BIGINT PRIMARY KEY);\nCREATE INDEX users_id_idx ON users (id);\n"
                    ),
                    ("1_a.down.sql", "DROP TABLE users;")
                ],
                "syntax-error"
            ),
            ""
        );
    }
}
