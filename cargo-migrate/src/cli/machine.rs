//! Output for machines: the versioned JSON of `--format json`, SARIF 2.1.0 (`--format sarif`),
//! the one-line `--message-format short`, and GitHub Actions workflow commands.
//!
//! Every JSON document is one object that starts with `"format_version": 1` and `"command"`;
//! its fields are the serde types below, documented field by field (the README's "Output for
//! machines" lists them). A field is only ever added within a format version; renaming or
//! removing one, or changing its meaning, bumps [`FORMAT_VERSION`].

use build_support::{DOCS_URL, Finding, Severity, line_col};
use serde::Serialize;

use crate::cli::output;

/// The version of every JSON document this tool prints.
pub const FORMAT_VERSION: u32 = 1;

/// A JSON document: the format version, the command that printed it, and its body's fields.
#[derive(Debug, Serialize)]
struct Document<'a, T: Serialize> {
    format_version: u32,
    command: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// Prints `body` as the JSON document of `command` on stdout.
pub fn print_json<T: Serialize>(command: &str, body: &T) {
    output::stdout(&(to_json(command, body) + "\n"));
}

/// The JSON document of `command` with `body`'s fields.
pub fn to_json<T: Serialize>(command: &str, body: &T) -> String {
    let document = Document {
        format_version: FORMAT_VERSION,
        command,
        body,
    };
    serde_json::to_string_pretty(&document).expect("the output types always serialise")
}

/// Where a finding points: 1-based line and column (in characters) of its first and last
/// character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Region {
    fn of(finding: &Finding) -> Option<Region> {
        let (Some(source), Some(span)) = (&finding.source, &finding.span) else {
            return None;
        };
        let (line, column) = line_col(source, span.start);
        // The last character, not the one after it; an empty span ends where it starts.
        let last = source
            .get(..span.end.min(source.len()))
            .filter(|_| span.end > span.start)
            .and_then(|before| before.char_indices().next_back())
            .map_or(span.start, |(i, _)| i.max(span.start));
        let (end_line, end_column) = line_col(source, last);
        Some(Region {
            line,
            column,
            end_line,
            end_column,
        })
    }
}

/// One finding of `lint` or `check`.
#[derive(Debug, Serialize)]
pub struct FindingOut<'a> {
    /// The rule's id (`ban-drop-column`); its page is `doc`.
    pub rule: &'a str,
    /// `error` (fails `lint`, `check` and `cargo build`) or `warning`.
    pub severity: &'static str,
    pub message: &'a str,
    /// The file, as the command shows it (relative to where it ran).
    pub file: &'a str,
    /// Where in the file, when the finding points into it (else absent).
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub region: Option<Region>,
    /// The migration's version, when the finding is about one.
    pub version: Option<i64>,
    /// What to do about it.
    pub help: Option<&'a str>,
    /// The rule's documentation.
    pub doc: String,
}

impl<'a> FindingOut<'a> {
    pub fn of(finding: &'a Finding) -> FindingOut<'a> {
        FindingOut {
            rule: finding.rule.as_str(),
            severity: severity(finding.severity),
            message: &finding.message,
            file: &finding.file,
            region: Region::of(finding),
            version: finding.version,
            help: finding.help.as_deref(),
            doc: doc_url(finding),
        }
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn doc_url(finding: &Finding) -> String {
    format!("{DOCS_URL}/{}.md", finding.rule)
}

/// The counts a lint run ends with.
#[derive(Debug, Serialize)]
pub struct LintSummary<'a> {
    /// The migrations directory, as shown.
    pub directory: &'a str,
    /// The dialect the SQL was checked as (`postgres`, `mysql`, `sqlite`).
    pub dialect: String,
    /// How many migrations the directory holds.
    pub migrations: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl<'a> LintSummary<'a> {
    pub fn new(
        directory: &'a str,
        dialect: String,
        migrations: usize,
        findings: &[Finding],
    ) -> Self {
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        LintSummary {
            directory,
            dialect,
            migrations,
            errors,
            warnings: findings.len() - errors,
        }
    }
}

/// `file:line:col: level[rule]: message`, as compilers print it (`file: …` when the finding
/// points at no line).
pub fn short_line(finding: &Finding) -> String {
    let place = match Region::of(finding) {
        Some(r) => format!("{}:{}:{}", finding.file, r.line, r.column),
        None => finding.file.clone(),
    };
    format!(
        "{place}: {}[{}]: {}",
        severity(finding.severity),
        finding.rule,
        one_line(&finding.message)
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether this run is a GitHub Actions job (`GITHUB_ACTIONS=true`), whose log turns
/// workflow commands into annotations on the pull request.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The workflow command that annotates `finding`'s file and lines in GitHub Actions
/// (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`).
pub fn github_annotation(finding: &Finding) -> String {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    message.push_str(&format!("\n{}", doc_url(finding)));
    annotation(
        finding.severity,
        Some(&finding.file),
        Region::of(finding),
        finding.rule.as_str(),
        &message,
    )
}

/// A workflow command of `severity` on `file` (and `region`), titled `title`.
pub fn annotation(
    severity: Severity,
    file: Option<&str>,
    region: Option<Region>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", escape_property(file)));
    }
    if let Some(r) = region {
        properties.push(format!("line={}", r.line));
        properties.push(format!("col={}", r.column));
        properties.push(format!("endLine={}", r.end_line));
        if r.end_line == r.line {
            properties.push(format!("endColumn={}", r.end_column));
        }
    }
    properties.push(format!("title={}", escape_property(title)));
    let command = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// A workflow command's message: `%`, CR and LF escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The findings as a SARIF 2.1.0 log with one run, for code scanning.
pub fn sarif(findings: &[Finding]) -> String {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let log = sarif::Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![sarif::Run {
            tool: sarif::Tool {
                driver: sarif::Driver {
                    name: "cargo-migrate",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: rules
                        .iter()
                        .map(|id| sarif::Rule {
                            id,
                            help_uri: format!("{DOCS_URL}/{id}.md"),
                        })
                        .collect(),
                },
            },
            results: findings
                .iter()
                .map(|f| sarif::Result {
                    rule_id: f.rule.as_str(),
                    rule_index: rules
                        .binary_search(&f.rule.as_str())
                        .expect("every finding's rule is listed"),
                    level: severity(f.severity),
                    message: sarif::Message {
                        text: match &f.help {
                            Some(help) => format!("{}\nhelp: {help}", f.message),
                            None => f.message.clone(),
                        },
                    },
                    locations: vec![sarif::Location {
                        physical_location: sarif::PhysicalLocation {
                            artifact_location: sarif::ArtifactLocation { uri: uri(&f.file) },
                            region: Region::of(f).map(|r| sarif::Region {
                                start_line: r.line,
                                start_column: r.column,
                                end_line: r.end_line,
                                // SARIF's end column is the one after the region.
                                end_column: r.end_column + 1,
                            }),
                        },
                    }],
                })
                .collect(),
        }],
    };
    serde_json::to_string_pretty(&log).expect("a SARIF log always serialises")
}

/// A relative file path as a URI reference: forward slashes, and the characters a URI cannot
/// hold percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The part of SARIF 2.1.0 (OASIS) this tool writes.
mod sarif {
    use serde::Serialize;

    #[derive(Debug, Serialize)]
    pub struct Log {
        #[serde(rename = "$schema")]
        pub schema: &'static str,
        pub version: &'static str,
        pub runs: Vec<Run>,
    }

    #[derive(Debug, Serialize)]
    pub struct Run {
        pub tool: Tool,
        pub results: Vec<Result>,
    }

    #[derive(Debug, Serialize)]
    pub struct Tool {
        pub driver: Driver,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Driver {
        pub name: &'static str,
        pub version: &'static str,
        pub information_uri: &'static str,
        pub rules: Vec<Rule>,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Rule {
        pub id: &'static str,
        pub help_uri: String,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Result {
        pub rule_id: &'static str,
        pub rule_index: usize,
        pub level: &'static str,
        pub message: Message,
        pub locations: Vec<Location>,
    }

    #[derive(Debug, Serialize)]
    pub struct Message {
        pub text: String,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Location {
        pub physical_location: PhysicalLocation,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhysicalLocation {
        pub artifact_location: ArtifactLocation,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub region: Option<Region>,
    }

    #[derive(Debug, Serialize)]
    pub struct ArtifactLocation {
        pub uri: String,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Region {
        pub start_line: usize,
        pub start_column: usize,
        pub end_line: usize,
        pub end_column: usize,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use build_support::lints::RuleId;

    use super::*;

    fn finding() -> Finding {
        let source: Arc<str> = Arc::from("-- first\nALTER TABLE t DROP COLUMN c;\n");
        let mut f = Finding::error(
            RuleId::BanDropColumn,
            "migrations/1_a, b.up.sql",
            "dropping column `c`\nloses its data",
        );
        f.span = Some(9..37);
        f.source = Some(source);
        f.help = Some("keep it: 100% safe".to_owned());
        f.version = Some(1);
        f
    }

    #[test]
    fn short_lines_read_like_a_compilers() {
        assert_eq!(
            short_line(&finding()),
            "migrations/1_a, b.up.sql:2:1: error[ban-drop-column]: dropping column `c` loses its data"
        );
        let unplaced = Finding::error(RuleId::OrphanDown, "migrations/2_x.down.sql", "no up");
        assert_eq!(
            short_line(&unplaced),
            "migrations/2_x.down.sql: error[orphan-down]: no up"
        );
    }

    #[test]
    fn annotations_escape_what_workflow_commands_reserve() {
        let line = github_annotation(&finding());
        assert!(
            line.starts_with(
                "::error file=migrations/1_a%2C b.up.sql,line=2,col=1,endLine=2,endColumn=28,title=ban-drop-column::dropping column `c`%0Aloses its data%0Ahelp: keep it: 100%25 safe%0Ahttps://"
            ),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn regions_end_at_the_last_character() {
        let r = Region::of(&finding()).unwrap();
        assert_eq!((r.line, r.column, r.end_line, r.end_column), (2, 1, 2, 28));
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("migrations/1_a, b.up.sql"),
            "migrations/1_a%2C%20b.up.sql"
        );
        assert_eq!(uri(r"migrations\1_a.up.sql"), "migrations/1_a.up.sql");
    }
}
