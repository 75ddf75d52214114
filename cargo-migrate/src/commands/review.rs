//! `cargo migrate review [V…]`: shows each unreviewed migration (its files, its SQL, its lint
//! findings and what its down script does, in words) and records it in `migrate.lock`.

use build_support::analysis::{ForeignDrop, MigrationFacts, analyze};
use build_support::lock::{self, Lock, LockError};
use build_support::model::Effect;
use build_support::{Finding, Migration, MigrationSet, Severity};

use crate::cli::args::ReviewArgs;
use crate::cli::output;
use crate::cli::prompt;
use crate::commands::{Ctx, lint};
use crate::error::{Error, Result};
use crate::secrets::scrub;

pub fn run(ctx: &Ctx, args: &ReviewArgs) -> Result<()> {
    if !ctx.yes && !prompt::interactive() {
        return Err(Error::config(
            "review asks before recording each migration, and stdin is not a terminal",
            Some(
                "run it in a terminal, or pass --yes to record after reading what it prints: `cargo migrate review --yes`"
                    .to_owned(),
            ),
        ));
    }
    let set = MigrationSet::load(&ctx.cfg.dir, &ctx.cfg.dir_display)?;
    let lock_display = lock::lock_display(&set);
    // Only a lock that cannot be read stops the review; entries of migrations that are gone are
    // dropped when it is written again.
    let existing = Lock::read(&ctx.cfg.dir, &lock_display)
        .map_err(|damaged| Error::from(LockError::Damaged(damaged)))?;
    let lock_exists = existing.is_some();
    if set.migrations.is_empty() && !lock_exists {
        ctx.status(
            "Reviewed",
            "nothing to review: there are no migrations yet (`cargo migrate new <name>` creates one)",
        );
        return Ok(());
    }
    let lock = existing.unwrap_or_default();
    for gone in lock
        .entries()
        .iter()
        .filter(|e| set.get(e.version).is_none_or(|m| m.slug != e.slug))
    {
        output::warning(&format!(
            "{} is in {lock_display} but not in {}: it is dropped from the lock",
            gone.name(),
            set.display_dir
        ));
    }

    let targets: Vec<&Migration> = if args.versions.is_empty() {
        set.migrations
            .iter()
            .filter(|m| !lock.is_reviewed(m))
            .collect()
    } else {
        let mut targets = Vec::new();
        for &version in &args.versions {
            let Some(m) = set.get(version) else {
                return Err(Error::config(
                    format!(
                        "there is no migration with version {version} in {}",
                        set.display_dir
                    ),
                    Some("`cargo migrate status` lists the versions".to_owned()),
                ));
            };
            if lock.is_reviewed(m) {
                ctx.status(
                    "Reviewed",
                    &format!("{} already (its checksums are in {lock_display})", m.name()),
                );
            } else {
                targets.push(m);
            }
        }
        targets
    };

    let findings = lint::findings(ctx, &set, &lint::branch(ctx, &set))?;
    let analysis = analyze(&set, ctx.cfg.lint_dialect);
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for m in &targets {
        let index = set
            .migrations
            .iter()
            .position(|x| x.version == m.version)
            .expect("a target is in the set");
        let own: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.version == Some(m.version))
            .collect();
        output::stdout(&show(
            m,
            &own,
            &analysis.migrations[index],
            lock.get(m.version).is_some(),
        ));
        if own.iter().any(|f| f.severity == Severity::Error) {
            output::warning(&format!(
                "{} is not recorded: it has errors (above); fix them and review it again",
                m.name()
            ));
            refused.push(m.name());
            continue;
        }
        if ctx.yes || prompt::yes_or_no(&format!("Record {} as reviewed? [y/N] ", m.name()))? {
            accepted.push(m.version);
        } else {
            ctx.status("Skipped", &format!("{} stays unreviewed", m.name()));
        }
    }

    if !accepted.is_empty() || !lock_exists || lock.entries().len() != count_known(&lock, &set) {
        lock::record_reviewed(&ctx.cfg.dir, &set, &accepted)?;
    }
    if targets.is_empty() && args.versions.is_empty() {
        ctx.status(
            "Reviewed",
            &format!(
                "nothing to review: all {} migration(s) are in {lock_display}",
                set.migrations.len()
            ),
        );
    } else if !accepted.is_empty() {
        let names: Vec<String> = accepted
            .iter()
            .filter_map(|&v| set.get(v).map(Migration::name))
            .collect();
        ctx.status(
            "Reviewed",
            &format!("{}: recorded in {lock_display}", names.join(", ")),
        );
    }
    if !refused.is_empty() {
        return Err(Error::refused(
            format!("not recorded, because of errors: {}", refused.join(", ")),
            "fix the errors shown above (`cargo migrate lint` lists them), then `cargo migrate review` again",
        ));
    }
    Ok(())
}

/// How many lock entries name a migration of the set.
fn count_known(lock: &Lock, set: &MigrationSet) -> usize {
    lock.entries()
        .iter()
        .filter(|e| set.get(e.version).is_some_and(|m| m.slug == e.slug))
        .count()
}

/// What review prints for one migration.
fn show(m: &Migration, findings: &[&Finding], facts: &MigrationFacts, edited: bool) -> String {
    let mut out = String::new();
    let state = if edited {
        "changed since it was reviewed"
    } else {
        "not reviewed"
    };
    out.push_str(&format!("=== {} ({state})\n\n", m.name()));
    out.push_str(&format!(
        "--- {}\n{}",
        m.up.display,
        ensure_newline(&m.up.text)
    ));
    match &m.down {
        Some(down) => out.push_str(&format!(
            "\n--- {}\n{}",
            down.display,
            ensure_newline(&down.text)
        )),
        None => out.push_str("\n--- no down script\n"),
    }
    out.push_str("\nfindings:\n");
    if findings.is_empty() {
        out.push_str("  none\n");
    }
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "  {level}[{}] {}: {}\n",
            f.rule,
            f.location(),
            f.message
        ));
        if let Some(help) = &f.help {
            out.push_str(&format!("      help: {help}\n"));
        }
    }
    out.push_str("\nthe down script:\n");
    for line in describe_down(m, facts) {
        out.push_str(&format!("  - {line}\n"));
    }
    out.push('\n');
    scrub(&out)
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// What the down script does, in words, from its statements' effects and the replay's facts.
pub fn describe_down(m: &Migration, facts: &MigrationFacts) -> Vec<String> {
    let Some(down) = &facts.down else {
        return vec![match (&m.directives().irreversible, m.up_only) {
            (Some(reason), _) => format!("none: the migration is irreversible ({reason})"),
            (None, true) => "none: the migration is up-only".to_owned(),
            (None, false) => "missing: nothing can revert this migration".to_owned(),
        }];
    };
    let mut lines = Vec::new();
    if let Some(error) = &down.error {
        lines.push(format!("cannot be read: {}", error.message));
    }
    for statement in &down.statements {
        for effect in &statement.effects {
            let line = match effect {
                Effect::Create { object, .. } => format!("creates {object}"),
                Effect::Drop {
                    object,
                    if_exists,
                    cascade,
                } => format!(
                    "drops {object}{}{}",
                    if *if_exists { " if it exists" } else { "" },
                    if *cascade {
                        ", with everything that depends on it"
                    } else {
                        ""
                    }
                ),
                Effect::Rename { from, to } => format!("renames {from} to {}", to.name),
                Effect::Uncertain { object } => {
                    format!("changes {object} in a way the checker does not follow")
                }
                Effect::Opaque => "runs code whose effects are unknown".to_owned(),
                Effect::Use { .. } => continue,
            };
            lines.push(line);
        }
    }
    if lines.is_empty() {
        lines.push("changes nothing in the schema (data only, or empty)".to_owned());
    }
    for (_, object) in &facts.left_by_down {
        lines.push(format!("does not drop {object}, which the up creates"));
    }
    for (_, object, why) in &facts.foreign_drops {
        lines.push(match why {
            ForeignDrop::ExistedBefore => format!("drops {object}, which existed before the up"),
            ForeignDrop::DoesNotExist => {
                format!("drops {object}, which does not exist at that point")
            }
        });
    }
    for (_, from, to) in &facts.renames_not_reversed {
        lines.push(format!("does not rename {to} back to {}", from.name));
    }
    if facts.left_by_down.is_empty()
        && facts.foreign_drops.is_empty()
        && facts.renames_not_reversed.is_empty()
        && !facts.opaque
        && down.error.is_none()
    {
        lines.push("undoes everything the up creates, as far as the checker can tell".to_owned());
    }
    lines
}
