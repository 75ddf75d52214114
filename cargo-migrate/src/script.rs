//! A script split into statements before anything runs, and the refusals that need only the
//! split text.

use build_support::{Dialect, Finding, SqlFile, Statement, split_statements};

use crate::backend::Backend;
use crate::error::{Error, Result};

/// A script split into statements, ready to run.
#[derive(Debug)]
pub struct Script<'a> {
    pub file: &'a SqlFile,
    pub statements: Vec<Statement>,
}

impl<'a> Script<'a> {
    pub fn prepare(file: &'a SqlFile, dialect: Dialect) -> std::result::Result<Self, Box<Finding>> {
        let statements =
            split_statements(&file.text, dialect).map_err(|e| Box::new(e.finding(file)))?;
        Ok(Script { file, statements })
    }

    pub fn no_transaction(&self) -> bool {
        self.file.directives.no_transaction
    }
}

/// Splits every script of a plan before anything runs, so a broken file later in the plan
/// stops the run before it starts.
pub fn prepare_all<'a>(
    files: impl IntoIterator<Item = &'a SqlFile>,
    dialect: Dialect,
    dir: &str,
) -> Result<Vec<Script<'a>>> {
    let mut scripts = Vec::new();
    let mut findings = Vec::new();
    for file in files {
        match Script::prepare(file, dialect) {
            Ok(s) => scripts.push(s),
            Err(f) => findings.push(*f),
        }
    }
    if findings.is_empty() {
        Ok(scripts)
    } else {
        Err(Error::Invalid {
            dir: dir.to_owned(),
            count: findings.len(),
            findings,
        })
    }
}

/// Refuses, before anything runs, scripts that control transactions themselves when the backend
/// wraps each migration in one: a `COMMIT` inside would commit part of a migration without its
/// tracking row (the lint rule `transaction-control` says the same at build time).
pub fn refuse_transaction_control<B: Backend>(scripts: &[Script<'_>], dir: &str) -> Result<()> {
    if !B::TRANSACTIONAL_DDL {
        return Ok(());
    }
    let mut findings = Vec::new();
    for script in scripts.iter().filter(|s| !s.no_transaction()) {
        for statement in &script.statements {
            if let Some(keyword) =
                build_support::transaction_control(statement.text(&script.file.text))
            {
                findings.push(
                    Finding::error(
                        build_support::lints::RuleId::TransactionControl,
                        &script.file.display,
                        format!("`{keyword}` inside a migration that runs in its own transaction"),
                    )
                    .at(script.file.text.clone(), statement.span.clone(), "controls the transaction")
                    .with_help(format!(
                        "nothing was run; remove it (each migration already runs in a transaction), or add `-- migrate:no-transaction` at the top of {}",
                        script.file.display
                    )),
                );
            }
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            dir: dir.to_owned(),
            count: findings.len(),
            findings,
        })
    }
}
