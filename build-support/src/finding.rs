use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use crate::lints::RuleId;

/// Where the generated rule docs live (`docs/lints/<rule>.md` in the repository).
pub const DOCS_URL: &str = "https://github.com/cargo-migrate/cargo-migrate/blob/main/docs/lints";

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

    pub fn at(mut self, source: Arc<str>, span: Range<usize>, label: impl Into<String>) -> Self {
        self.source = Some(source);
        self.span = Some(span);
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
        let contents = source.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}
