//! The lint rules: one file per rule (its doc header, its check and its tests) and one
//! registry, [`RULES`], that names every rule once.
//!
//! Rules are pure functions of the parsed migration set and the replay facts
//! ([`crate::analysis`]); they never touch the file system or git.

/// The test of a rule that needs no more than a bad set, snapshotted, and its fixed version,
/// which must have no finding of the rule: `bad_and_good_test!(Postgres, "rule-id", bad, good)`.
macro_rules! bad_and_good_test {
    ($dialect:ident, $rule:literal, $bad:expr, $good:expr $(,)?) => {
        #[cfg(test)]
        mod tests {
            #[test]
            fn bad_and_good() {
                insta::assert_snapshot!($crate::lints::test_support::bad_not_good(
                    $crate::Dialect::$dialect,
                    $rule,
                    $bad,
                    $good,
                ));
            }
        }
    };
}

mod adding_not_nullable_field;
mod ban_drop_column;
mod ban_drop_table;
mod branch_conflict;
mod changing_column_type;
mod column_change_not_reverted;
mod concurrently_in_transaction;
mod constraint_missing_not_valid;
mod damaged_lock;
mod definition_not_restored;
mod down_creates_existing_object;
mod down_does_not_restore;
mod down_drop_order;
mod down_drops_foreign_object;
mod down_leaves_object;
mod down_rename_not_reversed;
mod duplicate_version;
mod empty_down_script;
mod empty_up_script;
mod enum_value_not_removable;
mod identifier_too_long;
mod invalid_directive;
mod invalid_file_name;
mod lock_held_after_exclusive;
mod misplaced_directive;
mod non_utf8_file;
mod object_used_before_created;
mod orphan_down;
mod placeholder_migration;
mod prefer_bigint_over_int;
mod prefer_identity;
mod prefer_robust_stmts;
mod prefer_text_field;
mod prefer_timestamptz;
mod renaming_column;
mod renaming_table;
mod require_concurrent_index_creation;
mod require_concurrent_index_deletion;
mod require_concurrent_partition_detach;
mod require_concurrent_reindex;
mod require_down_script;
mod require_lock_timeout;
mod require_online_ddl;
mod rule_id;
mod set_not_null_scan;
mod syntax_error;
mod table_rewrite;
mod transaction_control;
mod unique_constraint_without_index;
mod unreadable_file;
mod unreviewed_migration;
mod unused_allow;

pub use rule_id::RuleId;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;

use crate::analysis::{Analysis, MigrationFacts, NamedIndex, ParsedFile, analyze};
use crate::finding::{Finding, Severity};
use crate::lock_model::{self, Lock, Prediction, Relation, ServerVersion};
use crate::model::{Effect, ObjectId, ObjectKind};
use crate::sql::Syntax;
use crate::{Dialect, Migration, MigrationSet, Op, ParsedStatement, SqlFile};

/// How a finding of a rule is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Level::Allow),
            "warn" => Ok(Level::Warn),
            "deny" => Ok(Level::Deny),
            other => Err(format!(
                "`{other}` is not a lint level (allow, warn or deny)"
            )),
        }
    }
}

/// A rule's check: looks at one migration and pushes findings.
pub type Check = fn(&Cx<'_>, &mut Vec<Finding>);

/// One lint rule. Its documentation is the `//!` header of its file,
/// `build-support/src/lints/<id with _>.rs`, from which `docs/lints/<id>.md` is generated.
#[derive(Clone, Copy)]
pub struct Rule {
    pub id: RuleId,
    pub default: Level,
    /// `None` for the rules whose findings come from loading the set (file names, encodings,
    /// directives), from the engine itself (`unused-allow`), or from the team checks outside
    /// the lint run: the branch check (`branch-conflict`, `git.rs` and `conflicts.rs`) and the
    /// review lock (`unreviewed-migration`, `damaged-lock`, `lock.rs`).
    pub check: Option<Check>,
}

impl Rule {
    /// A rule whose findings are made while the set loads (file names, encodings,
    /// directives), denied unless configured otherwise.
    pub(crate) const fn found_while_loading(id: RuleId) -> Rule {
        Rule {
            id,
            default: Level::Deny,
            check: None,
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rule({})", self.id)
    }
}

/// Every rule, once.
pub static RULES: &[Rule] = &[
    invalid_file_name::RULE,
    duplicate_version::RULE,
    orphan_down::RULE,
    non_utf8_file::RULE,
    unreadable_file::RULE,
    invalid_directive::RULE,
    misplaced_directive::RULE,
    syntax_error::RULE,
    object_used_before_created::RULE,
    require_down_script::RULE,
    empty_up_script::RULE,
    placeholder_migration::RULE,
    empty_down_script::RULE,
    down_leaves_object::RULE,
    down_drops_foreign_object::RULE,
    down_drop_order::RULE,
    down_creates_existing_object::RULE,
    down_does_not_restore::RULE,
    down_rename_not_reversed::RULE,
    definition_not_restored::RULE,
    column_change_not_reverted::RULE,
    enum_value_not_removable::RULE,
    concurrently_in_transaction::RULE,
    transaction_control::RULE,
    ban_drop_table::RULE,
    ban_drop_column::RULE,
    adding_not_nullable_field::RULE,
    require_concurrent_index_creation::RULE,
    renaming_table::RULE,
    renaming_column::RULE,
    identifier_too_long::RULE,
    changing_column_type::RULE,
    prefer_robust_stmts::RULE,
    require_concurrent_index_deletion::RULE,
    require_concurrent_reindex::RULE,
    require_concurrent_partition_detach::RULE,
    require_online_ddl::RULE,
    prefer_bigint_over_int::RULE,
    prefer_text_field::RULE,
    prefer_timestamptz::RULE,
    prefer_identity::RULE,
    require_lock_timeout::RULE,
    lock_held_after_exclusive::RULE,
    table_rewrite::RULE,
    constraint_missing_not_valid::RULE,
    unique_constraint_without_index::RULE,
    set_not_null_scan::RULE,
    unused_allow::RULE,
    branch_conflict::RULE,
    unreviewed_migration::RULE,
    damaged_lock::RULE,
];

/// The rule of an id (every id has one: a test checks it).
pub fn rule(id: RuleId) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .expect("every RuleId is in RULES")
}

/// What a lint run is told: the dialect and the configured level of each rule.
#[derive(Clone, Debug)]
pub struct LintConfig {
    pub dialect: Dialect,
    pub levels: BTreeMap<RuleId, Level>,
    /// The server version the lock model assumes.
    pub version: ServerVersion,
    /// The migrations this branch added (not on the main branch, so deployed nowhere yet): the
    /// tables they create are empty wherever the migrations after them will run.
    pub undeployed: BTreeSet<i64>,
    /// The versions committed on the main branch, when git could tell (see
    /// [`BranchCheck::on_main`](crate::git::BranchCheck)); `None` without git.
    pub on_main: Option<BTreeSet<i64>>,
}

impl LintConfig {
    pub fn new(dialect: Dialect) -> Self {
        LintConfig {
            dialect,
            levels: BTreeMap::new(),
            version: ServerVersion::default_for(dialect),
            undeployed: BTreeSet::new(),
            on_main: None,
        }
    }

    /// The versions of the migrations this branch added (from the branch check).
    pub fn with_undeployed(mut self, versions: impl IntoIterator<Item = i64>) -> Self {
        self.undeployed = versions.into_iter().collect();
        self
    }

    /// The versions committed on the main branch (from the branch check), when git could tell.
    pub fn with_on_main(mut self, versions: Option<BTreeSet<i64>>) -> Self {
        self.on_main = versions;
        self
    }

    /// The configured `postgres_version`/`mysql_version`, if any; a version that does not
    /// read as one is an error.
    pub fn with_version(mut self, version: Option<&str>) -> Result<Self, String> {
        if let Some(text) = version {
            self.version = ServerVersion::parse(text).ok_or_else(|| {
                format!("server version `{text}` is not a version such as \"15\" or \"8.0.29\"")
            })?;
        }
        Ok(self)
    }

    /// Reads `[…metadata.migrate.lints]`-style pairs; an unknown rule or level is an error.
    pub fn with_levels<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        for (id, level) in pairs {
            let Ok(rule) = id.parse::<RuleId>() else {
                return Err(format!("unknown lint rule `{id}` in the lints config"));
            };
            let level: Level = level.parse().map_err(|e| format!("lint `{id}`: {e}"))?;
            self.levels.insert(rule, level);
        }
        Ok(self)
    }

    /// The rule's level: the configured one, else its default.
    pub fn level(&self, rule: &Rule) -> Level {
        self.configured(rule.id).unwrap_or(rule.default)
    }

    /// The level the config sets for the rule, if it sets one.
    pub fn configured(&self, id: RuleId) -> Option<Level> {
        self.levels.get(&id).copied()
    }

    /// `finding` at its rule's level: `None` when the rule is allowed, else with the level as
    /// its severity.
    pub fn apply_level(&self, finding: Finding) -> Option<Finding> {
        let level = self.level(rule(finding.rule));
        with_level(finding, level)
    }
}

/// `finding` at `level`: `None` at `allow`, else with the level as its severity.
pub fn with_level(mut finding: Finding, level: Level) -> Option<Finding> {
    finding.severity = match level {
        Level::Allow => return None,
        Level::Warn => Severity::Warning,
        Level::Deny => Severity::Error,
    };
    Some(finding)
}

/// What a rule sees: one migration, its parsed scripts and what the replay found.
#[derive(Debug)]
pub struct Cx<'a> {
    pub set: &'a MigrationSet,
    pub migration: &'a Migration,
    pub facts: &'a MigrationFacts,
    /// The facts of the migrations before this one, in version order.
    pub history: &'a [MigrationFacts],
    pub dialect: Dialect,
    /// The server version the lock model assumes.
    pub version: ServerVersion,
    /// The tables created by migrations that are new on this branch (see
    /// [`LintConfig::undeployed`]).
    pub undeployed_tables: &'a HashSet<String>,
    /// The versions committed on the main branch (see [`LintConfig::on_main`]).
    pub on_main: Option<&'a BTreeSet<i64>>,
}

/// Which script of the migration a finding points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    Up,
    Down,
}

impl Cx<'_> {
    pub fn file(&self, script: Script) -> Option<&SqlFile> {
        match script {
            Script::Up => Some(&self.migration.up),
            Script::Down => self.migration.down.as_ref(),
        }
    }

    pub fn parsed(&self, script: Script) -> Option<&ParsedFile> {
        match script {
            Script::Up => Some(&self.facts.up),
            Script::Down => self.facts.down.as_ref(),
        }
    }

    /// The objects of `kind` the up script drops, with the index of the statement that drops
    /// each.
    pub fn up_drops(&self, kind: ObjectKind) -> impl Iterator<Item = (usize, &ObjectId)> {
        let statements = self.facts.up.statements.iter().enumerate();
        statements.flat_map(move |(index, statement)| {
            statement
                .effects
                .iter()
                .filter_map(move |effect| match effect {
                    Effect::Drop { object, .. } if object.kind == kind => Some((index, object)),
                    _ => None,
                })
        })
    }

    /// The renames of objects of `kind` in the up script, with the index of the statement that
    /// renames each: (statement, from, to).
    pub fn up_renames(
        &self,
        kind: ObjectKind,
    ) -> impl Iterator<Item = (usize, &ObjectId, &ObjectId)> {
        let statements = self.facts.up.statements.iter().enumerate();
        statements.flat_map(move |(index, statement)| {
            statement
                .effects
                .iter()
                .filter_map(move |effect| match effect {
                    Effect::Rename { from, to } if from.kind == kind => Some((index, from, to)),
                    _ => None,
                })
        })
    }

    /// The columns the up script's `CREATE TABLE` and `ALTER TABLE … ADD COLUMN` statements
    /// define, in order: (statement index, column name as written, its type as written,
    /// lower-cased).
    pub fn up_new_columns(&self) -> impl Iterator<Item = (usize, &str, String)> {
        let statements = self.facts.up.statements.iter().enumerate();
        statements.flat_map(|(index, statement)| {
            let columns: Vec<(&str, String)> = match statement.syntax() {
                Some(Syntax::CreateTable { columns }) => columns
                    .iter()
                    .map(|(name, data_type)| (name.as_str(), data_type.clone()))
                    .collect(),
                Some(Syntax::AlterTable { added_columns, .. }) => added_columns
                    .iter()
                    .map(|c| (c.name.as_str(), c.data_type.clone()))
                    .collect(),
                _ => Vec::new(),
            };
            columns
                .into_iter()
                .map(move |(name, data_type)| (index, name, data_type))
        })
    }

    /// The up script's operations with what the lock model predicts for each, in order:
    /// (statement index, operation, prediction). Operations the model has nothing to say about
    /// (a `SET`, anything on SQLite) are left out.
    pub fn up_predictions(&self) -> impl Iterator<Item = (usize, &Op, Prediction)> {
        let statements = self.facts.up.statements.iter().enumerate();
        statements.flat_map(move |(index, statement)| {
            statement.ops.iter().filter_map(move |op| {
                lock_model::predict(op, self.dialect, self.version).map(|p| (index, op, p))
            })
        })
    }

    /// Whether `table` existed, in use, before this migration: a table the migration creates,
    /// or one that a migration new on this branch created (deployed nowhere yet), is empty
    /// and unused by any running application, so locking, rewriting or renaming it costs
    /// nothing.
    pub fn existed_before(&self, table: &str) -> bool {
        self.facts.preexisting_tables.contains(table) && !self.undeployed_tables.contains(table)
    }

    /// Whether statement `statement` of the up, or one before it, makes `id` (creates it, or
    /// renames something to it). What the up makes is not in use yet; what it makes only later
    /// (a column renamed away and added again under its name) is in use up to there.
    pub fn made_by(&self, statement: usize, id: &ObjectId) -> bool {
        let statements = &self.facts.up.statements;
        let earlier = &statements[..(statement + 1).min(statements.len())];
        earlier.iter().flat_map(|s| &s.effects).any(|e| match e {
            Effect::Create { object, .. } | Effect::Rename { to: object, .. } => object == id,
            _ => false,
        })
    }

    /// The index that statement `statement` of the up names without its table (`DROP INDEX
    /// i`, `REINDEX INDEX i`), if it is on a table that existed before this migration (see
    /// [`Cx::existed_before`]); when the model does not know its table, if an earlier
    /// migration made the index. An index no migration made is not.
    pub fn index_on_existing_table(&self, statement: usize, index: &str) -> Option<&NamedIndex> {
        let named = self
            .facts
            .named_indexes
            .iter()
            .find(|n| n.statement == statement && n.index == index)?;
        let live = match &named.table {
            Some(table) => self.existed_before(table),
            None => named.existed,
        };
        live.then_some(named)
    }

    /// Whether the relation a lock of up statement `statement` is on existed before this
    /// migration: a table as [`existed_before`](Cx::existed_before) says, an index as
    /// [`index_on_existing_table`](Cx::index_on_existing_table) does.
    pub fn locks_existing(&self, statement: usize, lock: &Lock) -> bool {
        match lock.relation {
            Relation::Table => self.existed_before(&lock.name),
            Relation::Index => self
                .index_on_existing_table(statement, &lock.name)
                .is_some(),
        }
    }

    /// The line of the up script at which statement `index` starts.
    pub fn up_line(&self, index: usize) -> usize {
        let start = self
            .facts
            .up
            .statements
            .get(index)
            .map_or(0, |s| s.span.start);
        crate::line_col(&self.migration.up.text, start).0
    }

    /// Every statement of the scripts that run inside the migration's transaction (those
    /// without `-- migrate:no-transaction`), with its script, file and index.
    pub fn transactional_statements(
        &self,
    ) -> impl Iterator<Item = (Script, &SqlFile, usize, &ParsedStatement)> {
        [Script::Up, Script::Down]
            .into_iter()
            .filter_map(|script| Some((script, self.file(script)?, self.parsed(script)?)))
            .filter(|(_, file, _)| !file.directives.no_transaction)
            .flat_map(|(script, file, parsed)| {
                let statements = parsed.statements.iter().enumerate();
                statements.map(move |(index, statement)| (script, file, index, statement))
            })
    }

    /// A finding labelled on statement `index` of `script`.
    pub fn at_statement(
        &self,
        rule: RuleId,
        script: Script,
        index: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Finding {
        let file = self
            .file(script)
            .expect("a finding points into an existing script");
        let span = self
            .parsed(script)
            .and_then(|p| p.statements.get(index))
            .map_or(0..0, |s| s.span.clone());
        Finding::error(rule, &file.display, message)
            .at(file.text.clone(), span, label)
            .in_migration(self.migration.version)
    }

    /// A finding about a whole file of the migration (no span).
    pub fn at_file(&self, rule: RuleId, script: Script, message: impl Into<String>) -> Finding {
        let display = match self.file(script) {
            Some(f) => f.display.clone(),
            None => self.migration.up.display.replace(".up.sql", ".down.sql"),
        };
        Finding::error(rule, display, message).in_migration(self.migration.version)
    }

    /// `<version>_<slug>` of another migration of the set.
    pub fn name_of(&self, version: i64) -> String {
        self.set
            .get(version)
            .map_or_else(|| version.to_string(), Migration::name)
    }
}

/// Checks a migration set: the findings of loading it, of parsing its scripts and of every
/// rule, with the configured levels applied and `-- migrate:allow` honoured. Allowed findings
/// are dropped; the rest keep their level as severity.
pub fn lint(set: &MigrationSet, config: &LintConfig) -> Vec<Finding> {
    let analysis = analyze(set, config.dialect);
    lint_analysis(set, &analysis, config)
}

pub fn lint_analysis(set: &MigrationSet, analysis: &Analysis, config: &LintConfig) -> Vec<Finding> {
    let mut raw: Vec<Finding> = set.findings.clone();
    let undeployed_tables: HashSet<String> = set
        .migrations
        .iter()
        .zip(&analysis.migrations)
        .filter(|(m, _)| config.undeployed.contains(&m.version))
        .flat_map(|(_, facts)| facts.made.iter())
        .filter(|object| object.kind == ObjectKind::Table)
        .map(|object| object.name.clone())
        .collect();
    for (i, (migration, facts)) in set.migrations.iter().zip(&analysis.migrations).enumerate() {
        let cx = Cx {
            set,
            migration,
            facts,
            history: &analysis.migrations[..i],
            dialect: config.dialect,
            version: config.version,
            undeployed_tables: &undeployed_tables,
            on_main: config.on_main.as_ref(),
        };
        for rule in RULES {
            if let Some(check) = rule.check
                && config.level(rule) != Level::Allow
            {
                check(&cx, &mut raw);
            }
        }
    }

    // `-- migrate:allow <rule> <reason>` silences that rule for its migration.
    let mut used: HashSet<(i64, String)> = HashSet::new();
    let mut findings = Vec::new();
    for finding in raw {
        let allowed = finding.version.and_then(|v| {
            set.get(v)?
                .directives()
                .allow
                .iter()
                .any(|a| a.rule == finding.rule.as_str())
                .then_some(v)
        });
        if let Some(v) = allowed {
            used.insert((v, finding.rule.as_str().to_owned()));
            continue;
        }
        findings.extend(config.apply_level(finding));
    }
    let unused = unused_allow::check(set, &used);
    findings.extend(unused.into_iter().filter_map(|f| config.apply_level(f)));
    findings.sort_by(|a, b| {
        (a.version, &a.file, a.span.as_ref().map(|s| s.start)).cmp(&(
            b.version,
            &b.file,
            b.span.as_ref().map(|s| s.start),
        ))
    });
    findings
}

/// The generated documentation page of a rule, from the `//!` header of its source file.
pub fn render_doc(rule: &Rule, source: &str) -> String {
    let mut out = format!(
        "<!-- generated by `cargo xtask codegen` from build-support/src/lints/{}.rs; do not edit -->\n\n# {}\n\nDefault level: **{}**\n\n",
        rule.id.as_str().replace('-', "_"),
        rule.id,
        rule.default
    );
    for line in source.lines().take_while(|l| l.starts_with("//!")) {
        let text = line.trim_start_matches("//!");
        out.push_str(text.strip_prefix(' ').unwrap_or(text));
        out.push('\n');
    }
    out
}

/// The index page of the rule docs: every rule, its default level and first line.
pub fn render_index(sources: &[(&Rule, String)]) -> String {
    let mut out = String::from(
        "<!-- generated by `cargo xtask codegen` from build-support/src/lints/; do not edit -->\n\n# Lint rules\n\nLevels are set in `[…metadata.migrate.lints]` (`allow`, `warn`, `deny`); one migration silences one rule with `-- migrate:allow <rule> <reason>`.\n\n| rule | default | what it does |\n|---|---|---|\n",
    );
    for (rule, source) in sources {
        let summary: Vec<&str> = source
            .lines()
            .skip_while(|l| !l.starts_with("//! ## What it does"))
            .skip(1)
            .map(|l| l.trim_start_matches("//!").trim())
            .take_while(|l| !l.is_empty())
            .collect();
        let summary = summary.join(" ");
        out.push_str(&format!(
            "| [`{0}`]({0}.md) | {1} | {summary} |\n",
            rule.id, rule.default
        ));
    }
    out
}

/// Where a rule's source file is, relative to the workspace root.
pub fn rule_source_path(rule: &Rule) -> String {
    format!(
        "build-support/src/lints/{}.rs",
        rule.id.as_str().replace('-', "_")
    )
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Lints `files` (name, text) as a migration directory and renders the findings of `rule`
    /// as a user sees them (without colour), for snapshots. No finding renders as "".
    pub fn check(dialect: Dialect, files: &[(&str, &str)], rule: &str) -> String {
        check_with(&LintConfig::new(dialect), files, rule)
    }

    /// [`check`] with a config: a rule that is `allow` by default enabled, another server
    /// version.
    pub fn check_with(config: &LintConfig, files: &[(&str, &str)], rule: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let set = MigrationSet::load(dir.path(), "migrations").unwrap();
        let findings = lint(&set, config);
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_links(false);
        let mut out = String::new();
        for finding in findings.iter().filter(|f| f.rule.as_str() == rule) {
            handler.render_report(&mut out, finding).unwrap();
        }
        out
    }

    /// The rendered findings of `rule` on the `bad` files, for a snapshot, after checking that
    /// the `good` ones, the fixed version, have none.
    pub fn bad_not_good(
        dialect: Dialect,
        rule: &str,
        bad: &[(&str, &str)],
        good: &[(&str, &str)],
    ) -> String {
        assert_eq!(
            check(dialect, good, rule),
            "",
            "the good files have {rule} findings"
        );
        check(dialect, bad, rule)
    }

    /// [`bad_not_good`] under `config`.
    pub fn bad_not_good_with(
        config: &LintConfig,
        rule: &str,
        bad: &[(&str, &str)],
        good: &[(&str, &str)],
    ) -> String {
        assert_eq!(
            check_with(config, good, rule),
            "",
            "the good files have {rule} findings"
        );
        check_with(config, bad, rule)
    }

    /// For a rule that is `allow` by default (the style rules): quiet on `bad` as configured
    /// out of the box, then [`bad_not_good_with`] with the rule at `warn`, on PostgreSQL.
    pub fn allowed_bad_not_good(rule: &str, bad: &[(&str, &str)], good: &[(&str, &str)]) -> String {
        assert_eq!(
            check(Dialect::Postgres, bad, rule),
            "",
            "{rule} is not `allow` by default"
        );
        let enabled = LintConfig::new(Dialect::Postgres)
            .with_levels([(rule, "warn")])
            .unwrap();
        bad_not_good_with(&enabled, rule, bad, good)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_utf8_down_script_is_not_reported_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1_a.up.sql"), "CREATE TABLE a (id INT);").unwrap();
        std::fs::write(
            dir.path().join("1_a.down.sql"),
            b"-- caf\xe9\nDROP TABLE a;",
        )
        .unwrap();
        let set = MigrationSet::load(dir.path(), "migrations").unwrap();
        let findings = lint(&set, &LintConfig::new(Dialect::Postgres));
        let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["non-utf8-file"]);
    }

    #[test]
    fn every_rule_once_in_kebab_case_with_its_file() {
        let mut seen = HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "{} twice", rule.id);
            assert!(
                rule.id
                    .as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.id
            );
            let path = format!(
                "{}/src/lints/{}.rs",
                env!("CARGO_MANIFEST_DIR"),
                rule.id.as_str().replace('-', "_")
            );
            let source =
                std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} is missing"));
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(
                    source.contains(&format!("//! {section}")),
                    "{path} lacks `{section}`"
                );
            }
        }
    }

    #[test]
    fn every_rule_id_has_one_rule_in_the_order_of_rules() {
        let ids: Vec<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids, RuleId::ALL);
    }

    #[test]
    fn generated_docs_are_fresh() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut sources = Vec::new();
        for rule in RULES {
            let source =
                std::fs::read_to_string(format!("{root}/{}", rule_source_path(rule))).unwrap();
            let expected = render_doc(rule, &source);
            let path = format!("{root}/docs/lints/{}.md", rule.id);
            let actual = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                actual == expected,
                "{path} is stale or missing: run `cargo xtask codegen` and commit the result"
            );
            sources.push((rule, source));
        }
        let index =
            std::fs::read_to_string(format!("{root}/docs/lints/README.md")).unwrap_or_default();
        assert!(
            index == render_index(&sources),
            "docs/lints/README.md is stale or missing: run `cargo xtask codegen` and commit the result"
        );
    }

    #[test]
    fn levels_come_from_the_config() {
        let config = LintConfig::new(Dialect::Postgres)
            .with_levels([("ban-drop-table", "deny")])
            .unwrap();
        assert_eq!(config.level(rule(RuleId::BanDropTable)), Level::Deny);
        assert!(
            LintConfig::new(Dialect::Postgres)
                .with_levels([("no-such-rule", "deny")])
                .is_err()
        );
        assert!(
            LintConfig::new(Dialect::Postgres)
                .with_levels([("ban-drop-table", "loud")])
                .is_err()
        );
    }
}
