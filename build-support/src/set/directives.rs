//! `-- migrate:` directives: SQL comments at the top of a script that change how it is run or
//! checked.

use std::ops::Range;
use std::sync::Arc;

use crate::finding::Finding;
use crate::lints::RuleId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- migrate:no-transaction`: run the statements one at a time, outside a transaction.
    pub no_transaction: bool,
    /// `-- migrate:irreversible <reason>`: no down script, on purpose.
    pub irreversible: Option<String>,
    /// `-- migrate:allow <rule-id> <reason>`: silence one rule for this migration.
    pub allow: Vec<Allow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    pub rule: String,
    pub reason: String,
    /// Byte range of the directive's line in the up script.
    pub span: Range<usize>,
}

/// Whether the script is an up or a down script: only `no-transaction` belongs in a down script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    Up,
    Down,
}

const PREFIX: &str = "migrate:";

/// Reads the directives of one script. Directives must stand in the leading comment block; one
/// found after the first statement, an unknown one, or one missing its reason is a finding.
pub(crate) fn parse(
    file: &str,
    text: &Arc<str>,
    script: Script,
    findings: &mut Vec<Finding>,
) -> Directives {
    let mut directives = Directives::default();
    let mut in_header = true;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        let span = start + (line.len() - line.trim_start().len())..start + line.trim_end().len();
        let comment = trimmed.strip_prefix("--").map(str::trim_start);
        let Some(body) = comment.and_then(|c| c.strip_prefix(PREFIX)) else {
            if !trimmed.is_empty() && comment.is_none() {
                in_header = false;
            }
            continue;
        };
        let here = |rule: RuleId, message: String, label: &str| {
            Finding::error(rule, file, message).at(text.clone(), span.clone(), label)
        };
        if !in_header {
            findings.push(
                here(
                    RuleId::MisplacedDirective,
                    format!(
                        "`-- {PREFIX}{}` after the first statement has no effect",
                        word(body)
                    ),
                    "directive after SQL",
                )
                .with_help("move the directive to the comment block at the top of the file"),
            );
            continue;
        }
        let (name, rest) = match body.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, rest.trim()),
            None => (body.trim(), ""),
        };
        match (name, script) {
            ("no-transaction", _) => directives.no_transaction = true,
            ("irreversible", Script::Up) if rest.is_empty() => findings.push(
                here(
                    RuleId::InvalidDirective,
                    "`-- migrate:irreversible` needs a reason".into(),
                    "no reason given",
                )
                .with_help("say why it cannot be undone: `-- migrate:irreversible <reason>`"),
            ),
            ("irreversible", Script::Up) => directives.irreversible = Some(rest.to_owned()),
            ("allow", Script::Up) => {
                let (rule, reason) = match rest.split_once(char::is_whitespace) {
                    Some((rule, reason)) => (rule, reason.trim()),
                    None => (rest, ""),
                };
                if rule.is_empty() || reason.is_empty() {
                    findings.push(
                        here(
                            RuleId::InvalidDirective,
                            "`-- migrate:allow` needs a rule id and a reason".into(),
                            "incomplete directive",
                        )
                        .with_help("write `-- migrate:allow <rule-id> <reason>`"),
                    );
                } else {
                    directives.allow.push(Allow {
                        rule: rule.to_owned(),
                        reason: reason.to_owned(),
                        span: span.clone(),
                    });
                }
            }
            ("irreversible" | "allow", Script::Down) => findings.push(
                here(
                    RuleId::InvalidDirective,
                    format!("`-- migrate:{name}` belongs in the up script"),
                    "in the down script",
                )
                .with_help("move it to the top of the matching `.up.sql` file"),
            ),
            _ => findings.push(
                here(
                    RuleId::InvalidDirective,
                    format!("unknown directive `-- migrate:{name}`"),
                    "unknown directive",
                )
                .with_help(
                    "the directives are `no-transaction`, `irreversible <reason>` and `allow <rule-id> <reason>`",
                ),
            ),
        }
    }
    directives
}

fn word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, script: Script) -> (Directives, Vec<String>) {
        let mut findings = Vec::new();
        let d = parse("f.sql", &Arc::from(text), script, &mut findings);
        (
            d,
            findings
                .iter()
                .map(|f| f.location() + " " + &f.message)
                .collect(),
        )
    }

    #[test]
    fn reads_the_header() {
        let (d, errs) = check(
            "-- a comment\n-- migrate:no-transaction\n--migrate:allow ban-drop-table old data is archived\n\n-- migrate:irreversible drops data\nDROP TABLE a;\n",
            Script::Up,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert!(d.no_transaction);
        assert_eq!(d.irreversible.as_deref(), Some("drops data"));
        assert_eq!(d.allow[0].rule, "ban-drop-table");
        assert_eq!(d.allow[0].reason, "old data is archived");
    }

    #[test]
    fn reports_bad_directives_with_their_line() {
        let (_, errs) = check(
            "-- migrate:irreversible\n-- migrate:no-transactoin\n-- migrate:allow x\nSELECT 1;\n-- migrate:no-transaction\n",
            Script::Up,
        );
        assert_eq!(
            errs,
            [
                "f.sql:1:1 `-- migrate:irreversible` needs a reason",
                "f.sql:2:1 unknown directive `-- migrate:no-transactoin`",
                "f.sql:3:1 `-- migrate:allow` needs a rule id and a reason",
                "f.sql:5:1 `-- migrate:no-transaction` after the first statement has no effect",
            ]
        );
    }

    #[test]
    fn down_scripts_take_only_no_transaction() {
        let (d, errs) = check(
            "-- migrate:no-transaction\n-- migrate:irreversible nope\nDROP INDEX CONCURRENTLY i;\n",
            Script::Down,
        );
        assert!(d.no_transaction);
        assert_eq!(
            errs,
            ["f.sql:2:1 `-- migrate:irreversible` belongs in the up script"]
        );
    }
}
