//! Protected environments (`[…metadata.migrate.env.NAME] protected = true`): commands that
//! revert, rewrite the record or adopt a database ask for a confirmation first. `--yes`
//! confirms; otherwise, on a terminal, the database's name must be typed; without a terminal
//! (CI) they refuse and say the command to run with `--yes`.

use crate::cli::prompt::{self, command_with_yes};
use crate::commands::Ctx;
use crate::db_url::DbUrl;
use crate::error::{Error, Result};

/// The name of the protected environment the command runs against, if it is one.
pub fn protected(ctx: &Ctx) -> Option<&str> {
    match &ctx.cfg.environment {
        Some((name, env)) if env.protected => Some(name),
        _ => None,
    }
}

/// What has to be typed to confirm: the database's name from the URL, or for SQLite the
/// file's name.
pub fn database_name(url: &DbUrl) -> String {
    match &url.sqlite_path {
        Some(path) => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        None => url
            .database_name()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| ":memory:".to_owned()),
    }
}

/// Asks for a confirmation of `what` (for example "down: revert 1 migration") when the
/// environment is protected. Returns once confirmed; refuses, having changed nothing, when not.
pub fn confirm(ctx: &Ctx, what: &str) -> Result<()> {
    let Some(env) = protected(ctx) else {
        return Ok(());
    };
    if ctx.yes {
        ctx.status(
            "Confirmed",
            &format!("{what} on the protected environment `{env}` (--yes)"),
        );
        return Ok(());
    }
    let name = database_name(&ctx.cfg.url);
    if !prompt::interactive() {
        return Err(Error::refused(
            format!(
                "environment `{env}` is protected: {what} needs a confirmation, and there is no terminal to ask on; nothing was changed"
            ),
            format!(
                "to confirm without a terminal (CI), run `{}`",
                command_with_yes()
            ),
        ));
    }
    let typed = prompt::ask(&format!(
        "environment `{env}` is protected: {what} on {}\ntype the database name ({name}) to continue: ",
        ctx.cfg.url
    ))
    .map_err(|e| Error::io("cannot read the confirmation", e))?;
    if typed != name {
        return Err(Error::refused(
            format!("`{typed}` is not `{name}`: nothing was changed"),
            format!(
                "run the command again and type `{name}`, or confirm with `{}`",
                command_with_yes()
            ),
        ));
    }
    ctx.status(
        "Confirmed",
        &format!("{what} on the protected environment `{env}`"),
    );
    Ok(())
}

/// `verify` creates and drops a scratch database on the server it is given: on a protected
/// environment that is production's server, so it needs `--yes`.
pub fn refuse_scratch(ctx: &Ctx) -> Result<()> {
    let Some(env) = protected(ctx) else {
        return Ok(());
    };
    if ctx.yes {
        return Ok(());
    }
    Err(Error::refused(
        format!(
            "environment `{env}` is protected: verify would create and drop a scratch database on its server; nothing was done"
        ),
        format!(
            "verify against a development or CI server (`--database-url`), or confirm with `{}`",
            command_with_yes()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_to_type() {
        let url = |s: &str| DbUrl::parse(s).unwrap();
        assert_eq!(database_name(&url("postgres://u:p@h/prod_db")), "prod_db");
        assert_eq!(database_name(&url("mysql://u@h:3306/shop")), "shop");
        assert_eq!(database_name(&url("sqlite:data/app.db")), "app.db");
    }
}
