//! Splitting a script into statements at top-level semicolons.
//!
//! The script is tokenized once with sqlparser's tokenizer for the dialect, so semicolons inside
//! strings, quoted identifiers, comments and dollar-quoted bodies never split. Routine bodies
//! written as `BEGIN … END` (MySQL and SQLite triggers and procedures, PostgreSQL `BEGIN ATOMIC`)
//! are kept whole.

use std::ops::Range;

use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::Dialect;

/// One statement of a script: `text[span]` is the statement, from its first token to the end of
/// its last token, without leading comments and without the terminating semicolon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub span: Range<usize>,
}

impl Statement {
    pub fn text<'a>(&self, script: &'a str) -> &'a str {
        &script[self.span.clone()]
    }
}

/// The script could not be tokenized (an unterminated string or comment, for instance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError {
    pub message: String,
    /// Byte offset in the script where the tokenizer stopped.
    pub offset: usize,
    /// What to do about it.
    pub help: &'static str,
}

impl SplitError {
    /// The `syntax-error` finding for `file` (the script that could not be read).
    pub fn finding(&self, file: &crate::SqlFile) -> crate::Finding {
        let end = (self.offset + 1).min(file.text.len()).max(self.offset);
        crate::Finding::error(
            crate::lints::RuleId::SyntaxError,
            &file.display,
            format!("cannot read the script: {}", self.message),
        )
        .at(file.text.clone(), self.offset..end, "here")
        .with_help(self.help)
    }
}

pub fn split_statements(text: &str, dialect: Dialect) -> Result<Vec<Statement>, SplitError> {
    split_in_pieces(text, dialect, PIECE)
}

/// [`split_statements`] tokenizing `piece` bytes at a time (at least): the split does not
/// depend on it (a property test compares a piece of one byte with the whole script at once).
#[doc(hidden)]
pub fn split_in_pieces(
    text: &str,
    dialect: Dialect,
    piece: usize,
) -> Result<Vec<Statement>, SplitError> {
    let mut statements = Vec::new();
    for_each_statement(text, dialect, piece, |statement, _| {
        statements.push(statement)
    })?;
    Ok(statements)
}

/// How much of a script is tokenized at a time: the tokens of a piece are dropped once its
/// statements are handed on, so that a script of many megabytes never has all its tokens (some
/// 100 bytes each, several per word) in memory at once.
pub(crate) const PIECE: usize = 64 * 1024;

/// Calls `each` with every statement of the script, in order, and its tokens (with their
/// locations in the whole script, so that a parser reading them points into the file).
///
/// The script is tokenized a piece at a time: from the start of the next statement to a `;`
/// at least `piece` bytes further (outside MySQL's executable comments), and only the
/// statements that end with a top-level `;` inside the piece are taken; the next piece starts
/// after the last of them. A `;` ends no token but its own, and the tokenizer looks back only
/// at the previous token (a word or a period; a `;` and the start of the text are alike to it),
/// so every taken statement has exactly the tokens the whole script would give it. A piece
/// that ends inside a string or a comment counts only up to the token that could not be read;
/// a piece without a complete statement is tried again twice as long, so that the work stays
/// linear in the script's length; a tokenizer error counts only once the piece reaches the end
/// of the script.
pub(crate) fn for_each_statement(
    text: &str,
    dialect: Dialect,
    piece: usize,
    mut each: impl FnMut(Statement, &[TokenWithSpan]),
) -> Result<(), SplitError> {
    // No server takes a NUL in SQL text, and SQLite's C API would stop reading the script at it
    // (and loop on what is left): refused here, so that no command runs such a script.
    if let Some(offset) = text.find('\0') {
        return Err(SplitError {
            message: "it contains a NUL byte (U+0000), which no database accepts in SQL".to_owned(),
            offset,
            help: "remove the NUL byte (a binary or UTF-16 file saved as .sql has them)",
        });
    }
    // MySQL's executable comments (`/*!40101 SET … */`, MariaDB's `/*M!100100 … */`) are SQL
    // to the server: the tokenizer reads their content with the markers blanked out (same
    // length, so every offset holds), and a statement that ends or starts inside one takes it
    // whole, so that what runs is the text as written.
    let executable = match dialect {
        Dialect::MySql => executable_comments(text),
        _ => Vec::new(),
    };
    let blanked = blank_markers(text, &executable);
    let tokens_text = blanked.as_deref().unwrap_or(text);
    let sqlparser_dialect = dialect.sqlparser();
    let piece = piece.max(1);

    // Where the next piece starts: a byte offset and its location.
    let mut start = Mark {
        offset: 0,
        location: Location::new(1, 1),
    };
    let mut length = piece;
    let mut tokens = Vec::new();
    // The statements of a piece, waiting for the executable comments' widening and merging.
    let mut taken: Vec<(Statement, Range<usize>)> = Vec::new();
    while start.offset < text.len() {
        let end = piece_end(tokens_text, &executable, start.offset, length);
        let last = end == text.len();
        tokens.clear();
        let tokenized = Tokenizer::new(&*sqlparser_dialect, &tokens_text[start.offset..end])
            .with_unescape(false)
            .tokenize_with_location_into_buf_with_mapper(&mut tokens, |mut t| {
                t.span.start = start.shift(t.span.start);
                t.span.end = start.shift(t.span.end);
                t
            });
        // A piece that ends inside a string or a comment stops the tokenizer there: the tokens
        // before that are the script's all the same (they are kept in `tokens`), so the
        // statements they end are taken.
        let failed = match tokenized {
            Err(e) if last => {
                return Err(SplitError {
                    offset: Cursor::at(text, &start).offset(start.shift(e.location)),
                    message: e.message,
                    help: "close the string, quoted name or comment that starts here",
                });
            }
            result => result.is_err(),
        };
        let last = last && !failed;

        let mut cursor = Cursor::at(text, &start);
        let mut current: Option<Current> = None;
        // After the last top-level `;` of the piece outside executable comments: where the
        // next piece starts, and how many of the statements taken end before it.
        let mut resume = None;
        for (i, t) in tokens.iter().enumerate() {
            if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
                continue;
            }
            if t.token == Token::SemiColon && current.as_ref().is_none_or(Current::at_top_level) {
                if let Some(c) = current.take() {
                    taken.push((
                        Statement {
                            span: c.start..c.end,
                        },
                        c.first..c.last + 1,
                    ));
                }
                let at = cursor.offset(t.span.start);
                if region_at(&executable, at).is_none() {
                    let mark = Mark {
                        offset: cursor.offset(t.span.end),
                        location: t.span.end,
                    };
                    resume = Some((mark, taken.len()));
                }
                continue;
            }
            let offset = cursor.offset(t.span.start);
            let c = current.get_or_insert_with(|| Current::new(offset, i));
            c.observe(&t.token, || next_word(&tokens[i + 1..]));
            c.end = cursor.offset(t.span.end);
            c.last = i;
        }
        if last && let Some(c) = current {
            taken.push((
                Statement {
                    span: c.start..c.end,
                },
                c.first..c.last + 1,
            ));
        }
        if !last {
            // The statements after it are read again with the next piece.
            taken.truncate(resume.map_or(0, |(_, taken)| taken));
        }
        widen_and_merge(&mut taken, &executable);
        for (statement, range) in taken.drain(..) {
            each(statement, &tokens[range]);
        }
        match resume {
            _ if last => break,
            Some((mark, _)) => {
                start = mark;
                length = piece;
            }
            // No statement ended in the piece (a long routine body): a longer one.
            None => length = length.saturating_mul(2),
        }
    }
    Ok(())
}

/// The end of the piece that starts at `start`: just after the first `;` at least `length`
/// bytes further that is not inside an executable comment, or the end of the text.
fn piece_end(text: &str, executable: &[Range<usize>], start: usize, length: usize) -> usize {
    let mut from = start.saturating_add(length - 1);
    while from < text.len() {
        // Bytes: `from` may be inside a character, and a `;` byte is always the character.
        let Some(at) = text.as_bytes()[from..]
            .iter()
            .position(|&b| b == b';')
            .map(|i| from + i)
        else {
            break;
        };
        match region_at(executable, at) {
            Some(region) => from = region.end,
            None => return at + 1,
        }
    }
    text.len()
}

/// The executable comment (of the sorted, disjoint `regions`) that holds byte `offset`.
fn region_at(regions: &[Range<usize>], offset: usize) -> Option<&Range<usize>> {
    let i = regions.partition_point(|r| r.end <= offset);
    regions.get(i).filter(|r| r.contains(&offset))
}

/// A statement that starts or ends inside an executable comment takes the comment whole, and
/// statements that then share one (`/*!40101 SET a = 1; SET b = 2 */`) are one statement, or
/// the comment would run once per statement in it.
fn widen_and_merge(statements: &mut Vec<(Statement, Range<usize>)>, executable: &[Range<usize>]) {
    if executable.is_empty() {
        return;
    }
    for (statement, _) in statements.iter_mut() {
        if let Some(region) = region_at(executable, statement.span.start) {
            statement.span.start = region.start;
        }
        if let Some(region) = region_at(executable, statement.span.end)
            && statement.span.end > region.start
        {
            statement.span.end = region.end;
        }
    }
    let mut merged: Vec<(Statement, Range<usize>)> = Vec::with_capacity(statements.len());
    for (statement, range) in statements.drain(..) {
        match merged.last_mut() {
            Some((last, last_range)) if statement.span.start < last.span.end => {
                last.span.end = last.span.end.max(statement.span.end);
                last_range.end = range.end;
            }
            _ => merged.push((statement, range)),
        }
    }
    *statements = merged;
}

/// A byte offset of the script and its location (1-based line and column, in characters).
#[derive(Clone, Copy, Debug)]
struct Mark {
    offset: usize,
    location: Location,
}

impl Mark {
    /// A location in a piece that starts here, as a location in the whole script.
    fn shift(&self, at: Location) -> Location {
        if at.line <= 1 {
            Location::new(
                self.location.line,
                self.location.column + at.column.max(1) - 1,
            )
        } else {
            Location::new(self.location.line + at.line - 1, at.column)
        }
    }
}

/// The byte ranges of MySQL executable comments, `/*!…*/` and MariaDB's `/*M!…*/`, outside
/// strings, quoted names and other comments.
fn executable_comments(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        // The index after the next `end` from `from`, or the end of the text.
        let skip_to = |end: &str, from: usize| {
            text[from..]
                .find(end)
                .map_or(bytes.len(), |at| from + at + end.len())
        };
        i = match bytes[i] {
            b'\'' | b'"' | b'`' => closing_quote(bytes, i),
            b'#' => skip_to("\n", i),
            b'-' if rest.starts_with(b"-- ") || rest.starts_with(b"--\t") || rest == b"--" => {
                skip_to("\n", i)
            }
            b'/' if rest.starts_with(b"/*!") || rest.starts_with(b"/*M!") => {
                let end = skip_to("*/", i + 2);
                out.push(i..end);
                end
            }
            b'/' if rest.starts_with(b"/*") => skip_to("*/", i + 2),
            _ => i + 1,
        };
    }
    out
}

/// The index after the quote that closes the one at `start` (doubled quotes and backslash
/// escapes stay inside), or the end.
fn closing_quote(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `text` with the markers of each executable comment (`/*!40101`, `/*M!100100`, `*/`) turned
/// into spaces, or `None` when there is none.
fn blank_markers(text: &str, regions: &[Range<usize>]) -> Option<String> {
    if regions.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for region in regions {
        let comment = &text[region.clone()];
        // `/*!` or `/*M!`, then the optional server version.
        let marker = comment.find('!').map_or(2, |bang| bang + 1);
        let version = comment[marker..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        bytes[region.start..region.start + marker + version].fill(b' ');
        if comment.ends_with("*/") {
            bytes[region.end - 2..region.end].fill(b' ');
        }
    }
    // Only ASCII bytes were replaced by spaces, so this is still UTF-8.
    String::from_utf8(bytes).ok()
}

/// The byte offset of the tokenizer location `to` (1-based line and column, in characters),
/// counted from byte `from`, whose location is `from_location` (so that it costs the distance
/// between them, not the length of the text before).
pub(crate) fn offset_from(text: &str, from: usize, from_location: Location, to: Location) -> usize {
    let mark = Mark {
        offset: from,
        location: from_location,
    };
    Cursor::at(text, &mark).offset(to)
}

/// The transaction-control keyword a statement starts with (`BEGIN`, `START TRANSACTION`,
/// `COMMIT`, `END`, `ROLLBACK`, `ABORT`), if it is one. `ROLLBACK TO SAVEPOINT` is not: it stays
/// inside the transaction.
pub fn transaction_control(statement: &str) -> Option<&'static str> {
    let mut words = statement
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase);
    let first = words.next()?;
    let second = words.next();
    match (first.as_str(), second.as_deref()) {
        (
            "BEGIN",
            None
            | Some(
                "TRANSACTION" | "WORK" | "ISOLATION" | "READ" | "DEFERRED" | "IMMEDIATE"
                | "EXCLUSIVE",
            ),
        ) => Some("BEGIN"),
        ("START", Some("TRANSACTION")) => Some("START TRANSACTION"),
        ("COMMIT", _) => Some("COMMIT"),
        ("END", None | Some("TRANSACTION" | "WORK")) => Some("END"),
        ("ROLLBACK", Some("TO")) => None,
        ("ROLLBACK", _) => Some("ROLLBACK"),
        ("ABORT", _) => Some("ABORT"),
        _ => None,
    }
}

/// `CREATE [OR REPLACE] [CONSTRAINT] [DEFINER = user] TRIGGER|PROCEDURE|FUNCTION|EVENT`: the
/// statements whose body may hold `BEGIN … END` with semicolons inside.
fn is_routine_header(lead: &[String]) -> bool {
    const ROUTINES: &[&str] = &["TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"];
    if lead.first().map(String::as_str) != Some("CREATE") {
        return false;
    }
    let mut words = lead[1..].iter().map(String::as_str);
    while let Some(word) = words.next() {
        match word {
            "OR" | "REPLACE" | "CONSTRAINT" | "TEMP" | "TEMPORARY" => {}
            // DEFINER = `user`@`host` | CURRENT_USER: skip to the routine keyword.
            "DEFINER" => return words.any(|w| ROUTINES.contains(&w)),
            w => return ROUTINES.contains(&w),
        }
    }
    false
}

/// `CREATE [OR REPLACE] RULE`: a rule whose actions, in parentheses, are separated by
/// semicolons.
fn is_rule_header(lead: &[String]) -> bool {
    matches!(
        lead.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["CREATE", "RULE", ..] | ["CREATE", "OR", "REPLACE", "RULE", ..]
    )
}

/// The statement being read.
struct Current {
    start: usize,
    end: usize,
    /// Index of the statement's first and last tokens.
    first: usize,
    last: usize,
    /// The first words of the statement, upper-cased, to recognise routine definitions.
    lead: Vec<String>,
    routine: bool,
    /// `BEGIN … END` nesting inside a routine body.
    depth: usize,
    /// `CASE … END` nesting inside a routine body (a CASE's END closes no block).
    case_depth: usize,
    /// The previous word was END, so this one (`END CASE`, `END IF`, a label) opens nothing.
    after_end: bool,
    /// A `(` was seen: the words that decide what the statement is are behind.
    header_done: bool,
    /// A `CREATE RULE`, and how deep in parentheses it is (its actions' `;` are inside).
    rule: bool,
    parens: usize,
}

impl Current {
    fn new(start: usize, first: usize) -> Self {
        Current {
            start,
            end: start,
            first,
            last: first,
            lead: Vec::new(),
            routine: false,
            depth: 0,
            case_depth: 0,
            after_end: false,
            header_done: false,
            rule: false,
            parens: 0,
        }
    }

    /// Whether a `;` here ends the statement: not inside a routine's body or a rule's actions.
    fn at_top_level(&self) -> bool {
        self.depth == 0 && self.parens == 0
    }

    fn observe(&mut self, token: &Token, next_word: impl FnOnce() -> Option<String>) {
        if *token == Token::LParen {
            // The header is over: a word in a column list (`event text`) defines nothing.
            self.header_done = true;
            self.rule = self.rule || is_rule_header(&self.lead);
        }
        if self.rule {
            match token {
                Token::LParen => self.parens += 1,
                Token::RParen => self.parens = self.parens.saturating_sub(1),
                _ => {}
            }
        }
        let Token::Word(w) = token else { return };
        if w.quote_style.is_some() {
            return;
        }
        let word = w.value.to_ascii_uppercase();
        if !self.header_done && self.lead.len() < 8 {
            self.lead.push(word.clone());
            self.routine = is_routine_header(&self.lead);
        }
        if !self.routine || std::mem::take(&mut self.after_end) {
            return;
        }
        match word.as_str() {
            "BEGIN" => self.depth += 1,
            "CASE" => self.case_depth += 1,
            "END" => match next_word().as_deref().inspect(|_| self.after_end = true) {
                Some("IF" | "LOOP" | "WHILE" | "REPEAT") => {}
                Some("CASE") => self.case_depth = self.case_depth.saturating_sub(1),
                _ if self.case_depth > 0 => self.case_depth -= 1,
                _ => self.depth = self.depth.saturating_sub(1),
            },
            _ => {}
        }
    }
}

fn next_word(rest: &[TokenWithSpan]) -> Option<String> {
    rest.iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
        .and_then(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
}

/// Turns the tokenizer's (line, column) locations into byte offsets. Locations must be asked
/// for in increasing order, which keeps the whole walk linear in the script's length.
struct Cursor<'a> {
    text: &'a str,
    line: u64,
    column: u64,
    offset: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at `mark`, for locations from there on.
    fn at(text: &'a str, mark: &Mark) -> Self {
        Cursor {
            text,
            line: mark.location.line,
            column: mark.location.column,
            offset: mark.offset,
        }
    }

    fn offset(&mut self, to: Location) -> usize {
        let mut chars = self.text[self.offset..].chars();
        while (self.line, self.column) < (to.line, to.column) {
            let Some(c) = chars.next() else { break };
            self.offset += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(dialect: Dialect, script: &str, expected: &[&str]) {
        let got: Vec<&str> = split_statements(script, dialect)
            .unwrap()
            .iter()
            .map(|s| s.text(script))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn mysql_executable_comments_reach_the_server_whole() {
        let script = "/*!40101 SET @OLD=@@CHARACTER_SET_CLIENT */;\n\
            CREATE TABLE t (id int) /*!50100 ENGINE=InnoDB */;\n\
            /*M!100100 SET x = 1 */;\n\
            SELECT '/*!1 not one */', \"/*!2\" /* /*!3 */;\n\
            /*!40101 SET CHARACTER_SET_CLIENT=@OLD */";
        check(
            Dialect::MySql,
            script,
            &[
                "/*!40101 SET @OLD=@@CHARACTER_SET_CLIENT */",
                "CREATE TABLE t (id int) /*!50100 ENGINE=InnoDB */",
                "/*M!100100 SET x = 1 */",
                "SELECT '/*!1 not one */', \"/*!2\"",
                "/*!40101 SET CHARACTER_SET_CLIENT=@OLD */",
            ],
        );
    }

    /// Found by the splitting property (issue 11): each statement took the comment whole, so
    /// the comment was two statements with the same span and would have run twice.
    #[test]
    fn statements_sharing_an_executable_comment_are_one() {
        check(
            Dialect::MySql,
            "/*!40101 BEGIN;BEGIN",
            &["/*!40101 BEGIN;BEGIN"],
        );
        check(
            Dialect::MySql,
            "SELECT 1; /*!40101 SET a = 1; SET b = 2 */; SELECT 2",
            &["SELECT 1", "/*!40101 SET a = 1; SET b = 2 */", "SELECT 2"],
        );
    }

    /// Statements, their spans and the errors' offsets do not depend on how much is tokenized
    /// at a time, whether a piece ends inside a string, a comment, a routine body or an
    /// executable comment.
    #[test]
    fn pieces_split_as_the_whole_script() {
        let scripts = [
            (
                Dialect::Postgres,
                "SELECT 'a;b;c';\n-- x; y;\nSELECT 2; /* ; */ SELECT $$;$$;",
            ),
            (
                Dialect::Sqlite,
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  SELECT 1;\nEND;\nSELECT 'é;'; SELECT 3",
            ),
            (
                Dialect::MySql,
                "SELECT 1; /*!40101 SET a = 1; SET b = 2 */; SELECT '\\';'; CREATE PROCEDURE p() BEGIN SELECT 1; END;",
            ),
            // Found by the property: a piece that stopped inside a string after a `;` inside
            // an executable comment must not resume there.
            (
                Dialect::MySql,
                r"/*!40101 END;\''' CREATE UNIQUE INDEX i ON t (a)''*/;E'",
            ),
            (Dialect::Postgres, "SELECT 1;\\nSELECT 'oops;\\n;;"),
            (
                Dialect::Postgres,
                "SELECT 1;\nSELECT 2 FROM t WHERE a = ;;\nSELECT 'x",
            ),
        ];
        for (dialect, script) in scripts {
            let whole = split_in_pieces(script, dialect, usize::MAX);
            for piece in 1..script.len() + 2 {
                assert_eq!(
                    split_in_pieces(script, dialect, piece),
                    whole,
                    "{script:?} in pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn a_nul_byte_is_an_error_at_its_offset() {
        let err = split_statements("SELECT 1;\0SELECT 2;", Dialect::Sqlite).unwrap_err();
        assert_eq!(err.offset, 9);
        assert!(err.message.contains("NUL"), "{}", err.message);
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        check(
            Dialect::Postgres,
            "-- header\nCREATE TABLE a (x text default ';');\n\n/* c; */ INSERT INTO a VALUES ('b;c'); -- trailing;\nSELECT \"we;ird\" FROM a",
            &[
                "CREATE TABLE a (x text default ';')",
                "INSERT INTO a VALUES ('b;c')",
                "SELECT \"we;ird\" FROM a",
            ],
        );
    }

    #[test]
    fn a_rule_s_actions_stay_whole() {
        check(
            Dialect::Postgres,
            "CREATE RULE r AS ON DELETE TO t DO INSTEAD (DELETE FROM t2 WHERE id = (old.id); NOTIFY x);\nCREATE OR REPLACE RULE s AS ON INSERT TO t WHERE (new.id > 0) DO ALSO (NOTIFY a; NOTIFY b);\nSELECT (1); SELECT 2",
            &[
                "CREATE RULE r AS ON DELETE TO t DO INSTEAD (DELETE FROM t2 WHERE id = (old.id); NOTIFY x)",
                "CREATE OR REPLACE RULE s AS ON INSERT TO t WHERE (new.id > 0) DO ALSO (NOTIFY a; NOTIFY b)",
                "SELECT (1)",
                "SELECT 2",
            ],
        );
    }

    #[test]
    fn dollar_quoted_bodies_stay_whole() {
        let f = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1; RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\nDO $$ BEGIN PERFORM 1; END $$;";
        check(
            Dialect::Postgres,
            f,
            &[
                "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1; RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql",
                "DO $$ BEGIN PERFORM 1; END $$",
            ],
        );
    }

    #[test]
    fn begin_end_routine_bodies_stay_whole() {
        check(
            Dialect::Sqlite,
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nCREATE TABLE c (x int);",
            &[
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND",
                "CREATE TABLE c (x int)",
            ],
        );
        check(
            Dialect::MySql,
            "CREATE PROCEDURE p() BEGIN\n IF 1 THEN SELECT 1; END IF;\n lbl: LOOP LEAVE lbl; END LOOP;\n CASE 1 WHEN 1 THEN SELECT 2; END CASE;\nEND;\nSELECT `a;b`; # comment;\n",
            &[
                "CREATE PROCEDURE p() BEGIN\n IF 1 THEN SELECT 1; END IF;\n lbl: LOOP LEAVE lbl; END LOOP;\n CASE 1 WHEN 1 THEN SELECT 2; END CASE;\nEND",
                "SELECT `a;b`",
            ],
        );
    }

    #[test]
    fn column_names_do_not_make_a_routine() {
        check(
            Dialect::Postgres,
            "CREATE TABLE sched (id int, event text, begin timestamptz);\nCREATE TABLE c (id int);",
            &[
                "CREATE TABLE sched (id int, event text, begin timestamptz)",
                "CREATE TABLE c (id int)",
            ],
        );
        check(
            Dialect::MySql,
            "CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.x = 1; END;\nSELECT 1;",
            &[
                "CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.x = 1; END",
                "SELECT 1",
            ],
        );
    }

    #[test]
    fn transaction_control_statements() {
        for (sql, expected) in [
            ("BEGIN", Some("BEGIN")),
            (
                "begin transaction isolation level serializable",
                Some("BEGIN"),
            ),
            ("START TRANSACTION", Some("START TRANSACTION")),
            ("COMMIT", Some("COMMIT")),
            ("END", Some("END")),
            ("ROLLBACK", Some("ROLLBACK")),
            ("ROLLBACK TO SAVEPOINT a", None),
            ("BEGIN ATOMIC SELECT 1; END", None),
            ("SELECT 1", None),
        ] {
            assert_eq!(transaction_control(sql), expected, "{sql}");
        }
    }

    #[test]
    fn transaction_begin_is_not_a_block() {
        check(
            Dialect::Postgres,
            "BEGIN; SELECT 1; COMMIT;",
            &["BEGIN", "SELECT 1", "COMMIT"],
        );
    }

    #[test]
    fn empty_statements_and_comment_only_scripts() {
        check(Dialect::Sqlite, ";;\n-- nothing here\n", &[]);
        check(Dialect::Sqlite, "", &[]);
    }

    #[test]
    fn multibyte_text_keeps_byte_spans() {
        check(
            Dialect::Postgres,
            "-- café\nINSERT INTO a VALUES ('žluťoučký'); SELECT 'ü';",
            &["INSERT INTO a VALUES ('žluťoučký')", "SELECT 'ü'"],
        );
    }

    #[test]
    fn unterminated_string_is_an_error_with_its_position() {
        let script = "SELECT 1;\nSELECT 'oops;\n";
        let err = split_statements(script, Dialect::Postgres).unwrap_err();
        assert!(err.message.contains("Unterminated"), "{}", err.message);
        assert_eq!(crate::line_col(script, err.offset).0, 2);
    }
}
