//! Properties of the checker over random input (issue 11): whatever bytes a migration holds and
//! whatever its file is called, splitting, parsing, the unparsed-form recogniser, loading,
//! linting and rendering the diagnostics never panic, and what they return is consistent.
//!
//! `cargo test` runs each property on proptest's default 256 cases (`PROPTEST_CASES` changes
//! that); `cargo xtask fuzz` runs them for longer, in release mode, and counts. The inputs are
//! random text biased toward what the splitter and the recogniser treat specially, so that the
//! cases reach their branches rather than the first tokenizer error.

use std::collections::BTreeMap;
use std::ops::Range;

use cargo_migrate_build_support::lints::{LintConfig, lint};
use cargo_migrate_build_support::{
    Dialect, Finding, MigrationSet, SplitError, StatementKind, parse_script, split_in_pieces,
    split_statements, unparsed,
};
use proptest::prelude::*;

/// Pieces of SQL the splitter treats specially (quotes, dollar quotes, comments, MySQL's
/// executable comments, routine bodies), the unparsed forms' leading words, and characters that
/// are hard on offsets (NUL, multi-byte, a BOM, CR).
const TOKENS: &[&str] = &[
    "'",
    "''",
    "\"",
    "`",
    "\\",
    "\\'",
    "E'",
    "X'",
    "N'",
    "$$",
    "$tag$",
    "$a$",
    "$1",
    "/*",
    "*/",
    "--",
    "-- migrate:no-transaction\n",
    "#",
    "/*!40101 ",
    "/*!",
    "/*M!100100 ",
    "*/;",
    ";",
    ";;",
    "\0",
    "BEGIN",
    "BEGIN ATOMIC",
    "END",
    "END;",
    "END IF",
    "END LOOP",
    "CASE",
    "IF",
    "LOOP",
    "REPEAT",
    "WHILE",
    "DECLARE",
    "DELIMITER //",
    "//",
    "(",
    ")",
    ",",
    ".",
    "=",
    "::",
    "?",
    "CREATE TABLE t (id int primary key, a text)",
    "CREATE TABLE",
    "ALTER TABLE t",
    "ADD COLUMN",
    "DROP COLUMN a",
    "DROP TABLE t",
    "RENAME TO",
    "SELECT 1",
    "INSERT INTO t VALUES (1)",
    "UPDATE t SET a = 1",
    "CREATE INDEX",
    "CONCURRENTLY",
    "CREATE UNIQUE INDEX i ON t (a)",
    "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW",
    "CREATE FUNCTION f() RETURNS int AS",
    "CREATE PROCEDURE p()",
    "LANGUAGE plpgsql",
    "DO",
    "DROP INDEX CONCURRENTLY",
    "REINDEX",
    "ALTER SEQUENCE",
    "ALTER TRIGGER",
    "ALTER INDEX",
    "ALTER VIEW",
    "CREATE SEQUENCE",
    "CREATE EXTENSION",
    "SCHEMA",
    "CREATE EVENT",
    "CREATE FULLTEXT INDEX",
    "CREATE TYPE",
    "AS ENUM",
    "CREATE VIEW v AS",
    "COMMENT ON",
    "VACUUM",
    "ANALYZE",
    "SET",
    "EXECUTE",
    "PREPARE",
    "PRAGMA",
    "OWNED BY",
    "IF NOT EXISTS",
    "IF EXISTS",
    "CASCADE",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "é",
    "日本",
    "🦀",
    "\u{feff}",
    "\u{2028}",
    "\u{0301}",
];

fn dialect() -> impl Strategy<Value = Dialect> {
    prop_oneof![
        Just(Dialect::Postgres),
        Just(Dialect::MySql),
        Just(Dialect::Sqlite)
    ]
}

/// One piece of a script: mostly tokens, some random text, now and then a line longer than
/// miette's 65,535 columns (inside a string, a comment or bare).
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        60 => proptest::sample::select(TOKENS).prop_map(str::to_owned),
        20 => "[a-zA-Z_0-9]{1,12}",
        10 => any::<String>(),
        1 => (70_000usize..72_000, proptest::sample::select(&["x", "'x", "-- ", "/*", "é"][..]))
            .prop_map(|(n, start)| format!("{start}{}", "y".repeat(n))),
    ]
}

/// A script: pieces glued directly or separated by a space or a line break.
fn sql() -> impl Strategy<Value = String> {
    let separator = proptest::sample::select(&["", " ", " ", "\n"][..]);
    proptest::collection::vec((piece(), separator), 0..40).prop_map(|pieces| {
        pieces
            .into_iter()
            .flat_map(|(piece, separator)| [piece, separator.to_owned()])
            .collect::<String>()
    })
}

/// A split error points into the script, at a character.
fn check_error(text: &str, error: &SplitError) -> Result<(), TestCaseError> {
    prop_assert!(error.offset <= text.len(), "{error:?}");
    prop_assert!(text.is_char_boundary(error.offset), "{error:?}");
    prop_assert!(!error.message.is_empty());
    Ok(())
}

/// Statement spans lie within the script, on character boundaries, in order without
/// overlapping, and each starts at a token.
fn check_spans(text: &str, spans: &[Range<usize>]) -> Result<(), TestCaseError> {
    let mut end = 0;
    for span in spans {
        prop_assert!(
            end <= span.start,
            "{span:?} overlaps the previous statement: {spans:?}"
        );
        prop_assert!(span.start < span.end && span.end <= text.len(), "{span:?}");
        prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        let statement = &text[span.clone()];
        // SQL's whitespace is ASCII: to PostgreSQL a U+2028 is a character of a name.
        prop_assert!(
            !statement.starts_with(|c: char| c.is_ascii_whitespace()),
            "{statement:?}"
        );
        end = span.end;
    }
    Ok(())
}

proptest! {
    /// The splitter on every dialect.
    #[test]
    fn splitting(dialect in dialect(), text in sql()) {
        match split_statements(&text, dialect) {
            Ok(statements) => {
                let spans: Vec<_> = statements.into_iter().map(|s| s.span).collect();
                check_spans(&text, &spans)?;
            }
            Err(error) => check_error(&text, &error)?,
        }
    }

    /// Tokenizing a piece at a time (down to a piece per `;`) splits exactly as tokenizing the
    /// whole script at once, errors included.
    #[test]
    fn splitting_in_pieces(dialect in dialect(), text in sql(), piece in 1usize..64) {
        let whole = split_in_pieces(&text, dialect, usize::MAX);
        prop_assert_eq!(split_in_pieces(&text, dialect, piece), whole.clone());
        prop_assert_eq!(split_statements(&text, dialect), whole);
    }

    /// Parsing splits exactly as the splitter does (the migrator runs the splitter's
    /// statements, the checker checks the parser's), and every statement is parsed, recognised
    /// as a valid unparsed form, or invalid at an offset inside the script. The recogniser is
    /// also given every statement and the whole script directly, whatever the parser said.
    #[test]
    fn parsing_and_recognising(dialect in dialect(), text in sql()) {
        let split = split_statements(&text, dialect);
        match parse_script(&text, dialect) {
            Ok(parsed) => {
                let spans: Vec<_> = parsed.iter().map(|s| s.span.clone()).collect();
                let split: Vec<_> = split.expect("parsed but not split").into_iter().map(|s| s.span).collect();
                prop_assert_eq!(&spans, &split);
                for statement in &parsed {
                    if let StatementKind::Invalid { offset, .. } = statement.kind {
                        prop_assert!(offset <= text.len() && text.is_char_boundary(offset), "{offset}");
                    }
                    unparsed::recognize(statement.text(&text), dialect);
                }
            }
            Err(error) => {
                check_error(&text, &error)?;
                prop_assert_eq!(Some(error), split.err());
            }
        }
        unparsed::recognize(&text, dialect);
    }
}

/// A migration file's name: mostly well formed, often not (a bad version, slug or suffix).
fn file_name() -> impl Strategy<Value = String> {
    let version = prop_oneof![
        4 => (1u64..6).prop_map(|v| v.to_string()),
        1 => Just("20240101000000".to_owned()),
        1 => Just("99999999999999999999999".to_owned()),
        1 => "[0-9-]{0,4}",
    ];
    let slug = prop_oneof![
        4 => "[a-z_]{1,12}",
        1 => "[^/\0]{0,20}",
    ];
    let suffix = proptest::sample::select(
        &[
            ".up.sql",
            ".up.sql",
            ".down.sql",
            ".down.sql",
            ".sql",
            ".UP.SQL",
            ".up.sql.bak",
            ".txt",
            "",
        ][..],
    );
    (
        version,
        proptest::sample::select(&["_", "_", "-", ""][..]),
        slug,
        suffix,
    )
        .prop_map(|(version, sep, slug, suffix)| format!("{version}{sep}{slug}{suffix}"))
        // What no file system takes as a file's name.
        .prop_filter("not a file name", |name| {
            !name.is_empty() && name.len() <= 255 && name != "." && name != ".."
        })
}

/// Statements on a few shared names, so that the replay creates, drops and renames the same
/// objects across migrations and the rules have something to say.
const STATEMENTS: &[&str] = &[
    "CREATE TABLE t (id int primary key, a text);",
    "CREATE TABLE u (id int, t_id int references t (id));",
    "DROP TABLE t;",
    "DROP TABLE IF EXISTS u;",
    "ALTER TABLE t ADD COLUMN b int not null;",
    "ALTER TABLE t DROP COLUMN a;",
    "ALTER TABLE t RENAME TO t2;",
    "ALTER TABLE t RENAME COLUMN a TO c;",
    "CREATE INDEX i ON t (a);",
    "CREATE INDEX CONCURRENTLY j ON t (a);",
    "DROP INDEX i;",
    "CREATE VIEW v AS SELECT * FROM t;",
    "CREATE TYPE mood AS ENUM ('a');",
    "ALTER TYPE mood ADD VALUE 'b';",
    "INSERT INTO t (id) VALUES (1);",
    "BEGIN;",
    "COMMIT;",
    "-- migrate:no-transaction\n",
    "-- migrate:irreversible\n",
    "-- migrate:allow ban-drop-column\n",
    "-- migrate:allow nonsense\n",
    "-- migrate:\n",
];

/// A file's bytes: statements, SQL soup, a BOM, or bytes that are not UTF-8.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(proptest::sample::select(STATEMENTS), 0..8)
            .prop_map(|s| s.join("\n").into_bytes()),
        3 => sql().prop_map(String::into_bytes),
        1 => sql().prop_map(|s| format!("\u{feff}{s}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

fn files() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    proptest::collection::btree_map(file_name(), body(), 0..8)
}

/// A review lock: absent, empty, or random lines that look a little like one.
fn lock() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        proptest::collection::vec(
            prop_oneof![
                "[0-9a-f ]{0,70}",
                Just("<<<<<<< HEAD".to_owned()),
                Just("=======".to_owned()),
                Just(">>>>>>> branch".to_owned()),
                any::<String>(),
            ],
            0..5,
        )
        .prop_map(|lines| lines.join("\n")),
    )
}

/// Renders a finding as `cargo build` shows it (build_script.rs's handler), and checks that
/// its span lies within its source, on character boundaries.
fn render(finding: &Finding) -> Result<String, TestCaseError> {
    // The finding itself can hold a 70,000-character line: the message names its parts.
    let shown = || {
        format!(
            "{} finding in {}: {}",
            finding.rule.as_str(),
            finding.file,
            finding.message.chars().take(200).collect::<String>()
        )
    };
    if let (Some(source), Some(span)) = (&finding.source, &finding.span) {
        let within = span.start <= span.end && span.end <= source.len();
        prop_assert!(within, "{} at {span:?} of {} bytes", shown(), source.len());
        let whole = source.is_char_boundary(span.start) && source.is_char_boundary(span.end);
        prop_assert!(whole, "{} at {span:?}, inside a character", shown());
    }
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(120)
            .with_links(false);
    let mut out = String::new();
    let rendered = handler.render_report(&mut out, finding);
    prop_assert!(rendered.is_ok(), "cannot render the {}", shown());
    Ok(out)
}

fn summary(set: &MigrationSet) -> Vec<(i64, String, String, Option<String>)> {
    set.migrations
        .iter()
        .map(|m| {
            let down = m.down.as_ref().map(|d| d.checksum.to_string());
            (m.version, m.slug.clone(), m.up.checksum.to_string(), down)
        })
        .collect()
}

proptest! {
    /// A directory of random files, well or badly named: loading it from disk and from memory
    /// (what `embed_migrations` embeds) gives the same set and the same findings, linting it on
    /// every dialect and reading a random review lock never panic, and every diagnostic
    /// renders.
    #[test]
    fn loading_linting_and_rendering(files in files(), lock in lock(), dialect in dialect()) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        if let Some(lock) = &lock {
            std::fs::write(dir.path().join(cargo_migrate_build_support::lock::LOCK_FILE), lock).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "migrations").unwrap();
        let embedded = MigrationSet::from_files(
            "migrations",
            files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
        );
        prop_assert_eq!(summary(&set), summary(&embedded));
        let messages = |set: &MigrationSet| -> Vec<String> {
            set.findings.iter().map(|f| format!("{} {}: {}", f.rule.as_str(), f.file, f.message)).collect()
        };
        prop_assert_eq!(messages(&set), messages(&embedded));

        let mut findings = lint(&set, &LintConfig::new(dialect));
        match cargo_migrate_build_support::lock::review_status(dir.path(), &set) {
            Ok(status) => findings.extend(cargo_migrate_build_support::lock::unreviewed_findings(
                &set,
                &status,
                cargo_migrate_build_support::Severity::Warning,
            )),
            Err(damaged) => findings.push(*damaged),
        }
        for finding in &findings {
            render(finding)?;
        }
    }
}
