//! What a trial's outcome is judged by, as pure functions of what the run left and printed.

use super::db::Observed;
use super::plan::Migration;

/// A migration recorded as applied whose marker table is missing, or a marker table whose
/// migration has no row at all. A row recorded as failed tells the truth either way; a row
/// that `repair` cleared counts as no row (the tool reads it as not applied).
pub fn disagreements(migrations: &[Migration], seen: &Observed) -> Vec<String> {
    let rows = seen.rows.as_deref().unwrap_or_default();
    let mut found = Vec::new();
    for m in migrations {
        let row = rows.iter().find(|r| r.version == m.version && !r.cleared);
        let marker = seen.markers.contains(&m.version);
        match (row, marker) {
            (Some(r), false) if r.success => found.push(format!(
                "{} is recorded as applied but {} does not exist",
                m.name(),
                m.marker()
            )),
            (None, true) => found.push(format!(
                "{} exists but {} has no tracking row",
                m.marker(),
                m.name()
            )),
            _ => {}
        }
    }
    found
}

/// What a sentence of the run's stderr says happened to a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// "rolled back", "nothing was applied": its changes are not in the database.
    NotApplied,
    /// "committed", "was applied": they are.
    Applied,
}

/// Phrases that make a claim, first match wins (so that "nothing was applied" is not read as
/// "was applied").
const CLAIMS: &[(&str, Claim)] = &[
    ("nothing was applied", Claim::NotApplied),
    ("rolled back", Claim::NotApplied),
    ("was applied", Claim::Applied),
    ("committed", Claim::Applied),
];

/// Words that take the claim back: the sentence says the outcome is not known.
const NO_CLAIM: &[&str] = &["unknown", "recorded as failed"];

/// Sentences of `stderr` that claim an outcome contradicted by the marker tables: "rolled
/// back" or "nothing was applied" for a migration whose marker exists, "committed" or "was
/// applied" for one whose marker does not. A claim is about the migration named last at or
/// before it (in the same line first, else in an earlier one: the diagnostic's header).
pub fn wrong_messages(migrations: &[Migration], seen: &Observed, stderr: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut current: Option<&Migration> = None;
    for line in stderr.lines() {
        let lower = line.to_lowercase();
        for sentence in sentences(&lower) {
            let named = last_named(migrations, sentence.text);
            let claim = claim_of(sentence.text);
            // A name after the claim in the same sentence is what it is about ("rolled back
            // 2_slow"); else the last one named before.
            let about = named.or(current);
            if let (Some(claim), Some(m)) = (claim, about) {
                let marker = seen.markers.contains(&m.version);
                let contradicted = match claim {
                    Claim::NotApplied => marker,
                    Claim::Applied => !marker,
                };
                if contradicted {
                    let state = if marker { "exists" } else { "does not exist" };
                    wrong.push(format!(
                        "says `{}` of {} but {} {state}: {}",
                        sentence.phrase(claim),
                        m.name(),
                        m.marker(),
                        line.trim()
                    ));
                }
            }
            if named.is_some() {
                current = named;
            }
        }
    }
    wrong
}

struct Sentence<'a> {
    text: &'a str,
}

impl Sentence<'_> {
    fn phrase(&self, claim: Claim) -> &'static str {
        CLAIMS
            .iter()
            .find(|(p, c)| *c == claim && self.text.contains(p))
            .map_or("?", |(p, _)| p)
    }
}

/// A line cut at `;` and at `. ` (sentence ends), the units a claim and its "unknown" share.
fn sentences(line: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let end = [rest.find(';'), rest.find(". ")]
            .into_iter()
            .flatten()
            .min()
            .map_or(rest.len(), |i| i + 1);
        out.push(Sentence { text: &rest[..end] });
        rest = &rest[end..];
    }
    out
}

fn claim_of(sentence: &str) -> Option<Claim> {
    if NO_CLAIM.iter().any(|w| sentence.contains(w)) {
        return None;
    }
    CLAIMS
        .iter()
        .find(|(phrase, _)| sentence.contains(phrase))
        .map(|(_, claim)| *claim)
}

/// The migration whose name (`2_slow`, not preceded by a digit) occurs last in `text`.
fn last_named<'m>(migrations: &'m [Migration], text: &str) -> Option<&'m Migration> {
    migrations
        .iter()
        .filter_map(|m| {
            let name = m.name();
            text.match_indices(&name)
                .filter(|(at, _)| {
                    !text[..*at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_digit())
                })
                .map(|(at, _)| at)
                .last()
                .map(|at| (at, m))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::super::db::TrackingRow;
    use super::super::plan::{Db, Fault, Plan};
    use super::*;

    fn project() -> Vec<Migration> {
        // Any plan's first three migrations have the versions 1, 2, 3.
        let mut ms = Plan::new(1, Db::Postgres, Fault::Drop, 0).migrations;
        ms.truncate(3);
        ms
    }

    fn seen(rows: &[(u32, bool)], markers: &[u32]) -> Observed {
        Observed {
            rows: Some(
                rows.iter()
                    .map(|&(version, success)| TrackingRow {
                        version,
                        success,
                        cleared: false,
                    })
                    .collect(),
            ),
            markers: markers.iter().copied().collect(),
        }
    }

    #[test]
    fn disagreement_is_a_row_and_a_marker_that_contradict() {
        let ms = project();
        let (one, two) = (ms[0].name(), ms[1].name());
        assert!(disagreements(&ms, &seen(&[(1, true), (2, true)], &[1, 2])).is_empty());
        // A failed record tells the truth whether or not the marker is there.
        assert!(disagreements(&ms, &seen(&[(1, true), (2, false)], &[1, 2])).is_empty());
        assert!(disagreements(&ms, &seen(&[(1, true), (2, false)], &[1])).is_empty());
        assert_eq!(
            disagreements(&ms, &seen(&[(1, true), (2, true)], &[1])),
            [format!(
                "{two} is recorded as applied but m_2 does not exist"
            )]
        );
        assert_eq!(
            disagreements(&ms, &seen(&[], &[1])),
            [format!("m_1 exists but {one} has no tracking row")]
        );
        let no_table = Observed {
            rows: None,
            markers: [1].into_iter().collect(),
        };
        assert_eq!(disagreements(&ms, &no_table).len(), 1);
        let mut cleared = seen(&[(1, false)], &[1]);
        cleared.rows.as_mut().unwrap()[0].cleared = true;
        assert_eq!(disagreements(&ms, &cleared).len(), 1);
    }

    #[test]
    fn claims_are_checked_against_the_markers() {
        let ms = project();
        let two = ms[1].name();
        let stderr = format!(
            "    Applying {one}\n    Applying {two}\n  x migration {two} failed at migrations/{two}.up.sql:1:1: error communicating with database\n  help: the whole migration was rolled back, so the database is as it was before; fix the statement and run `cargo migrate up` again",
            one = ms[0].name()
        );
        assert!(wrong_messages(&ms, &seen(&[(1, true)], &[1]), &stderr).is_empty());
        let wrong = wrong_messages(&ms, &seen(&[(1, true)], &[1, 2]), &stderr);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].starts_with(&format!("says `rolled back` of {two} but m_2 exists")));
    }

    #[test]
    fn nothing_was_applied_is_not_read_as_was_applied() {
        let ms = project();
        let stderr = format!(
            "x migration {} failed\nhelp: this was the first statement, so nothing was applied; fix it",
            ms[2].name()
        );
        assert!(wrong_messages(&ms, &seen(&[], &[]), &stderr).is_empty());
        let wrong = wrong_messages(&ms, &seen(&[], &[3]), &stderr);
        assert!(wrong[0].contains("`nothing was applied`"), "{wrong:?}");
    }

    #[test]
    fn unknown_and_recorded_as_failed_make_no_claim() {
        let ms = project();
        let two = ms[1].name();
        for stderr in [
            format!(
                "x the connection was lost while committing {two}: whether it was applied is unknown"
            ),
            format!(
                "x {two}: 1 statement(s) were applied and stay; the migration is recorded as failed and was applied in part"
            ),
        ] {
            assert!(
                wrong_messages(&ms, &seen(&[], &[]), &stderr).is_empty(),
                "{stderr}"
            );
        }
        let stderr = format!("x {two} was committed");
        assert_eq!(wrong_messages(&ms, &seen(&[], &[]), &stderr).len(), 1);
    }

    #[test]
    fn names_are_whole_versions() {
        let ms = project();
        let text = format!("1{}", ms[0].name());
        assert!(last_named(&ms, &text).is_none());
    }
}
