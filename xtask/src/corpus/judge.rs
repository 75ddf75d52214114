//! Lint against the oracle: what `lint` said about each migration next to what `verify` proved on
//! the real server. Pure.

use std::collections::{BTreeMap, BTreeSet};

/// What `verify` proved about one migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its down undoes its up on the server.
    Clean,
    /// Its down fails, leaves the schema different, or its up fails again after it (the
    /// problems, in words).
    Broken(String),
    /// Applied, not reverted (up-only or marked irreversible): nothing proved.
    Irreversible,
    /// Its up failed on the server after the migrations before it (or the run stopped before
    /// it): nothing proved.
    Unproved,
}

/// One finding of `lint --format json`, as far as the harness reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub error: bool,
    /// The rule's claim is one `verify` proves or disproves ([`RuleId::judged_by_verify`]);
    /// an unknown rule counts as judged.
    ///
    /// [`RuleId::judged_by_verify`]: build_support::lints::RuleId::judged_by_verify
    pub judged: bool,
    pub version: Option<i64>,
    pub message: String,
}

/// Reads `lint --format json` tolerantly: a list of findings, or an object that holds one under
/// `findings` (unknown keys, such as a `format_version`, ignored).
pub fn findings(json: &serde_json::Value) -> Result<Vec<Finding>, String> {
    let list = match json {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(map) => match map.get("findings") {
            Some(serde_json::Value::Array(list)) => list,
            _ => return Err("the lint JSON is an object without a `findings` list".to_owned()),
        },
        _ => return Err("the lint JSON is neither a list nor an object".to_owned()),
    };
    Ok(list
        .iter()
        .map(|f| Finding {
            rule: f["rule"].as_str().unwrap_or("?").to_owned(),
            error: f["severity"].as_str() == Some("error"),
            judged: f["rule"]
                .as_str()
                .and_then(|r| r.parse::<build_support::lints::RuleId>().ok())
                .is_none_or(build_support::lints::RuleId::judged_by_verify),
            version: f["version"].as_i64(),
            message: f["message"].as_str().unwrap_or_default().to_owned(),
        })
        .collect())
}

/// One history judged.
#[derive(Debug, Default)]
pub struct Judged {
    pub migrations: usize,
    pub clean: usize,
    pub broken: usize,
    pub unproved: usize,
    /// Error findings on migrations verify proved clean, by rule.
    pub false_alarms: BTreeMap<String, usize>,
    /// (migration version, rule, message) of each false alarm.
    pub false_alarm_list: Vec<(i64, String, String)>,
    /// Broken migrations without an error finding: (version, with a warning, what verify found).
    pub misses: Vec<(i64, bool, String)>,
    /// Error findings on migrations verify proved nothing about, or on no migration.
    pub unjudged_errors: usize,
    /// Error findings of the rules verify cannot judge (deploy risks, the team's process), by
    /// rule: neither false alarms nor catches.
    pub risk_errors: BTreeMap<String, usize>,
}

impl Judged {
    pub fn false_alarm_count(&self) -> usize {
        self.false_alarms.values().sum()
    }

    /// Broken migrations that lint reported with an error.
    pub fn caught(&self) -> usize {
        self.broken - self.misses.len()
    }
}

/// Judges one history: `verdicts` by version (every migration of the set), `findings` of lint.
pub fn judge(verdicts: &BTreeMap<i64, Verdict>, findings: &[Finding]) -> Judged {
    let mut j = Judged {
        migrations: verdicts.len(),
        ..Judged::default()
    };
    let mut errors: BTreeSet<i64> = BTreeSet::new();
    let mut warned: BTreeSet<i64> = BTreeSet::new();
    for f in findings {
        let verdict = f.version.and_then(|v| verdicts.get(&v));
        if f.error && !f.judged {
            *j.risk_errors.entry(f.rule.clone()).or_default() += 1;
        } else if f.error {
            if let Some(v) = f.version {
                errors.insert(v);
            }
            match verdict {
                Some(Verdict::Clean) => {
                    *j.false_alarms.entry(f.rule.clone()).or_default() += 1;
                    j.false_alarm_list.push((
                        f.version.unwrap_or_default(),
                        f.rule.clone(),
                        f.message.clone(),
                    ));
                }
                Some(Verdict::Broken(_)) => {}
                _ => j.unjudged_errors += 1,
            }
        } else if let Some(v) = f.version {
            warned.insert(v);
        }
    }
    for (version, verdict) in verdicts {
        match verdict {
            Verdict::Clean => j.clean += 1,
            Verdict::Broken(what) => {
                j.broken += 1;
                if !errors.contains(version) {
                    j.misses
                        .push((*version, warned.contains(version), what.clone()));
                }
            }
            Verdict::Irreversible => {}
            Verdict::Unproved => j.unproved += 1,
        }
    }
    j
}

/// Recall in per cent: broken migrations caught with an error, of all broken ones (`None`
/// without any broken one).
pub fn recall(caught: usize, broken: usize) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (broken > 0).then(|| 100.0 * caught as f64 / broken as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, error: bool, version: Option<i64>) -> Finding {
        Finding {
            rule: rule.to_owned(),
            error,
            judged: rule != "r",
            version,
            message: String::new(),
        }
    }

    #[test]
    fn false_alarms_misses_and_recall() {
        let verdicts = BTreeMap::from([
            (1, Verdict::Clean),
            (2, Verdict::Broken("down failed".to_owned())),
            (3, Verdict::Broken("left index i".to_owned())),
            (4, Verdict::Broken("left table t".to_owned())),
            (5, Verdict::Irreversible),
            (6, Verdict::Unproved),
        ]);
        let findings = [
            finding("a", true, Some(1)),
            finding("a", true, Some(1)),
            finding("b", true, Some(2)),
            finding("c", false, Some(3)),
            finding("d", true, Some(6)),
            finding("e", true, None),
            finding("f", false, Some(1)),
            finding("r", true, Some(1)),
            finding("r", true, Some(4)),
        ];
        let j = judge(&verdicts, &findings);
        assert_eq!((j.migrations, j.clean, j.broken, j.unproved), (6, 1, 3, 1));
        assert_eq!(j.false_alarm_count(), 2);
        assert_eq!(j.false_alarms.get("a"), Some(&2));
        assert_eq!(
            j.misses,
            [
                (3, true, "left index i".to_owned()),
                (4, false, "left table t".to_owned())
            ]
        );
        assert_eq!(j.unjudged_errors, 2);
        // A deploy-risk rule's errors are neither false alarms on 1 nor a catch of 4.
        assert_eq!(j.risk_errors.get("r"), Some(&2));
        assert_eq!(j.caught(), 1);
        assert_eq!(recall(1, 4), Some(25.0));
        assert_eq!(recall(0, 0), None);
    }

    #[test]
    fn lint_json_is_read_tolerantly() {
        let list = serde_json::json!([{"rule": "x", "severity": "error", "version": 3, "message": "m", "new": 1}]);
        let wrapped = serde_json::json!({"format_version": 2, "findings": list.clone()});
        let expected = vec![Finding {
            rule: "x".to_owned(),
            error: true,
            judged: true,
            version: Some(3),
            message: "m".to_owned(),
        }];
        assert_eq!(findings(&list).unwrap(), expected);
        assert_eq!(findings(&wrapped).unwrap(), expected);
        assert!(findings(&serde_json::json!("no")).is_err());
    }
}
