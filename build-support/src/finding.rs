use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use crate::lints::RuleId;

/// Where the generated rule docs live (`docs/lints/<rule>.md` in the repository), at the tag of
/// this version (`v0.1.0`), so that a diagnostic links the rule as the installed version has
/// it.
pub const DOCS_URL: &str = concat!(
    "https://github.com/cargo-migrate/cargo-migrate/blob/v",
    env!("CARGO_PKG_VERSION"),
    "/docs/lints"
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the migration set: which rule, where, and what to do about it.
///
/// A finding is data; it renders as a miette diagnostic whose code is the rule id and whose
/// source is the file it points into.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    /// The file, as shown to the user (relative to where the set was loaded from).
    pub file: String,
    /// The file's text when the finding points into it.
    pub source: Option<Arc<str>>,
    pub span: Option<Range<usize>>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// The migration the finding is about, when it is about one (for `-- migrate:allow`).
    pub version: Option<i64>,
}

impl Finding {
    pub fn error(rule: RuleId, file: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: Severity::Error,
            message: message.into(),
            file: file.into(),
            source: None,
            span: None,
            label: None,
            help: None,
            version: None,
        }
    }

    pub fn warning(rule: RuleId, file: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(rule, file, message)
        }
    }

    pub fn in_migration(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the finding at `span` of `source`, widened to whole characters: callers point at
    /// "the byte at `offset`" (`offset..offset + 1`), which ends inside a multi-byte character,
    /// and a span that does not lie on character boundaries cannot be shown or sliced.
    pub fn at(mut self, source: Arc<str>, span: Range<usize>, label: impl Into<String>) -> Self {
        let mut start = span.start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
        self.source = Some(source);
        self.span = Some(start..end);
        self.label = Some(label.into());
        self
    }

    /// `file:line:col` of the finding's span, or just the file.
    pub fn location(&self) -> String {
        match (&self.source, &self.span) {
            (Some(src), Some(span)) => {
                let (line, col) = crate::line_col(src, span.start);
                format!("{}:{line}:{col}", self.file)
            }
            _ => self.file.clone(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_some() {
            f.write_str(&self.message)
        } else {
            // Nothing to point at: name the file in the message itself.
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl std::error::Error for Finding {}

impl Diagnostic for Finding {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.rule))
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        // Every rule has its page (`docs/lints/`, generated from the rule's file).
        Some(Box::new(format!("{DOCS_URL}/{}.md", self.rule)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            self.label.clone(),
            span,
        ))))
    }
}

impl SourceCode for Finding {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let source = self.source.as_deref().unwrap_or("");
        read_script_span(
            &self.file,
            source,
            span,
            context_lines_before,
            context_lines_after,
        )
    }
}

/// A script as the source of a diagnostic: its name and text, read through
/// [`read_script_span`] so that a very long line renders as the part around the label.
#[derive(Clone, Debug)]
pub struct ScriptSource {
    pub name: String,
    pub text: Arc<str>,
}

impl ScriptSource {
    pub fn new(name: impl Into<String>, text: Arc<str>) -> ScriptSource {
        ScriptSource {
            name: name.into(),
            text,
        }
    }
}

impl SourceCode for ScriptSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        read_script_span(
            &self.name,
            &self.text,
            span,
            context_lines_before,
            context_lines_after,
        )
    }
}

/// Bytes of a long line shown on each side of where a label starts.
const LONG_LINE_CONTEXT: usize = 120;

/// A line longer than this is shown only around the label: miette's renderer cannot pad past
/// column 65,535 (it panics), and nobody reads a megabyte-wide line anyway.
const LONG_LINE: usize = 4 * LONG_LINE_CONTEXT;

/// `text`'s span with its context lines, named `name`; when a line of it is very long, only
/// the part of the span's line around the span's start, with its true line and column.
pub fn read_script_span<'a>(
    name: &str,
    text: &'a str,
    span: &miette::SourceSpan,
    context_lines_before: usize,
    context_lines_after: usize,
) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
    let contents = text.read_span(span, context_lines_before, context_lines_after)?;
    let long = contents
        .data()
        .split(|b| *b == b'\n')
        .any(|line| line.len() > LONG_LINE);
    if !long {
        return Ok(Box::new(miette::MietteSpanContents::new_named(
            name.to_owned(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )));
    }
    let start = span.offset().min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut from = if context_lines_before == 0 {
        start
    } else {
        start.saturating_sub(LONG_LINE_CONTEXT).max(line_start)
    };
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (start + LONG_LINE_CONTEXT).min(line_end).max(from);
    while !text.is_char_boundary(to) {
        to += 1;
    }
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    Ok(Box::new(miette::MietteSpanContents::new_named(
        name.to_owned(),
        &text.as_bytes()[from..to],
        (from, to - from).into(),
        line,
        from - line_start,
        1,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(finding: &Finding) -> String {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, finding)
            .unwrap();
        out
    }

    /// Found by the loading property (issue 11): a syntax error at a script's first character
    /// `é` and a non-UTF-8 byte (shown as U+FFFD) each pointed at `offset..offset + 1`, inside
    /// the character.
    #[test]
    fn a_label_covers_whole_characters() {
        for (text, span, covered) in [
            ("éyyy", 0..1, "é"),
            ("\u{fffd}", 0..1, "\u{fffd}"),
            ("aé", 2..3, "é"),
            ("a", 1..2, ""),
        ] {
            let finding = Finding::error(RuleId::SyntaxError, "1_a.up.sql", "bad").at(
                text.into(),
                span,
                "here",
            );
            assert_eq!(&text[finding.span.clone().unwrap()], covered);
            render(&finding);
        }
    }

    #[test]
    fn a_label_far_along_a_long_line_shows_the_part_around_it_at_its_true_column() {
        let text: Arc<str> =
            format!("SELECT 1;\nSELECT {} + é + oops;\n", "1 + ".repeat(30_000)).into();
        let at = text.find("oops").unwrap();
        let finding = Finding::error(RuleId::SyntaxError, "m.up.sql", "bad").at(
            text.clone(),
            at..at + 4,
            "here",
        );
        let out = render(&finding);
        assert!(out.contains("[m.up.sql:2:120016]"), "{out}");
        assert!(out.contains("é + oops;"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 400), "{out}");
        // A short script renders as it always did, with its context lines.
        let short: Arc<str> = "SELECT 1;\nSELECT oops;\n".into();
        let out = render(&Finding::error(RuleId::SyntaxError, "m.up.sql", "bad").at(
            short,
            17..21,
            "here",
        ));
        assert!(
            out.contains("[m.up.sql:2:8]") && out.contains("SELECT 1;"),
            "{out}"
        );
    }
}
