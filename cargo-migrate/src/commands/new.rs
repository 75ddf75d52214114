//! `cargo migrate new <name>`: the next migration's files.

use std::io::Write;

use build_support::parse_file_name;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::cli::args::{NewArgs, Template};
use crate::cli::output;
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::templates::{Names, PLACEHOLDER_REFERENCES, PLACEHOLDER_TABLE, check_name, render};

pub fn run(ctx: &Ctx, args: &NewArgs) -> Result<()> {
    let foreign: String = args
        .name
        .chars()
        .filter(|c| c.is_alphanumeric() && !c.is_ascii())
        .collect();
    if !foreign.is_empty() {
        // Dropped silently, `ädd` would become `dd`.
        return Err(Error::config(
            format!(
                "`{}` has letters a migration name cannot hold ({foreign}): file names are ASCII letters, digits and `_`, so that every tool and file system reads them alike",
                args.name
            ),
            Some("write the name in ASCII, for example `cargo migrate new add_users`".to_owned()),
        ));
    }
    let slug = slugify(&args.name);
    if slug.is_empty() {
        return Err(Error::config(
            format!("`{}` gives an empty migration name", args.name),
            Some("use letters or digits, for example `cargo migrate new create_users`".to_owned()),
        ));
    }
    for (flag, value) in [
        ("--table", &args.table),
        ("--column", &args.column),
        ("--references", &args.references),
    ] {
        if let Some(value) = value {
            check_name(flag, value).map_err(|e| {
                Error::config(e, Some("pass a plain name, and edit the SQL `new` writes if the object needs a quoted one".to_owned()))
            })?;
        }
    }
    let dir = &ctx.cfg.dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", ctx.cfg.dir_display), e))?;
    let version = next_version(dir, now_version())?;
    let names = Names::guess(
        &slug,
        args.table.as_deref(),
        args.column.as_deref(),
        args.references.as_deref(),
    );
    // What the template names and was not given is guessed from the name: said, not silent,
    // since a name can be read more than one way.
    let mut guessed = Vec::new();
    let mut placeholders = Vec::new();
    if args.template.is_some() && args.table.is_none() {
        if names.table == PLACEHOLDER_TABLE {
            placeholders.push(format!("table `{PLACEHOLDER_TABLE}` (--table)"));
        } else {
            guessed.push(format!("table `{}`", names.table));
        }
    }
    let uses_column = !matches!(args.template, None | Some(Template::CreateTable));
    if uses_column && args.column.is_none() {
        guessed.push(format!("column `{}`", names.column));
    }
    if args.template == Some(Template::AddForeignKey) && args.references.is_none() {
        if names.references == PLACEHOLDER_REFERENCES {
            placeholders.push(format!(
                "referenced table `{PLACEHOLDER_REFERENCES}` (--references)"
            ));
        } else {
            guessed.push(format!("referenced table `{}`", names.references));
        }
    }
    if !guessed.is_empty() {
        ctx.status(
            "Guessed",
            &format!(
                "{} from the name (--table, --column and --references name them)",
                guessed.join(", ")
            ),
        );
    }
    if !placeholders.is_empty() {
        output::warning(&format!(
            "the name says nothing of the {}: the files name a placeholder; replace it, or run `new` again with the option",
            placeholders.join(" or the ")
        ));
    }
    let (up, down) = render(args.template, ctx.cfg.dialect, &slug, &names, args.up_only);
    let base = format!("{version}_{slug}");
    let files = match down {
        Some(down) => vec![
            (format!("{base}.up.sql"), up),
            (format!("{base}.down.sql"), down),
        ],
        None => vec![(format!("{base}.sql"), up)],
    };
    let mut created = String::new();
    for (name, body) in &files {
        let path = dir.join(name);
        let shown = format!("{}/{name}", ctx.cfg.dir_display);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot create {shown}"), e))?;
        file.write_all(body.as_bytes())
            .map_err(|e| Error::io(format!("cannot write {shown}"), e))?;
        ctx.status("Created", &shown);
        created.push_str(&shown);
        created.push('\n');
    }
    output::stdout(&created);
    Ok(())
}

/// Lowercase ASCII letters and digits, everything else folded into single `_`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
    }
    slug.trim_end_matches('_').to_owned()
}

/// The current UTC time as a `YYYYMMDDHHMMSS` version.
pub(crate) fn now_version() -> i64 {
    let format = format_description!("[year][month][day][hour][minute][second]");
    OffsetDateTime::now_utc()
        .format(&format)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("a timestamp formats as 14 digits")
}

/// A version greater than every file's in `dir`, even when the clock is behind them.
fn next_version(dir: &std::path::Path, now: i64) -> Result<i64> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
    let newest = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| parse_file_name(n).ok().flatten())
        })
        .map(|n| n.version)
        .max();
    let next = match newest {
        Some(v) if v >= now => v.saturating_add(1),
        _ => now,
    };
    // A version is a 14-digit timestamp: one past 99991231235959 would sort and read wrong.
    if next > LARGEST_VERSION {
        return Err(Error::config(
            format!(
                "the newest migration's version ({}) leaves no 14-digit timestamp after it",
                newest.unwrap_or(next)
            ),
            Some("rename the migrations whose versions are not `YYYYMMDDHHMMSS` timestamps (`cargo migrate rebase` renumbers new ones), then run `cargo migrate new` again".to_owned()),
        ));
    }
    Ok(next)
}

/// The largest version `new` writes: the 14-digit `YYYYMMDDHHMMSS` form.
const LARGEST_VERSION: i64 = 99_999_999_999_999;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Create Users"), "create_users");
        assert_eq!(slugify("  add-email  to users!! "), "add_email_to_users");
        assert_eq!(slugify("ünïcode"), "n_code");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn versions_always_grow() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            next_version(dir.path(), 20240101000000).unwrap(),
            20240101000000
        );
        std::fs::write(dir.path().join("20300101000000_future.up.sql"), "").unwrap();
        assert_eq!(
            next_version(dir.path(), 20240101000000).unwrap(),
            20300101000001
        );
        assert_eq!(now_version().to_string().len(), 14);
        // Never a 15-digit version.
        std::fs::write(dir.path().join("99999999999999_last.up.sql"), "").unwrap();
        let err = next_version(dir.path(), 20240101000000).unwrap_err();
        assert!(
            err.to_string().contains("leaves no 14-digit timestamp"),
            "{err}"
        );
    }
}
