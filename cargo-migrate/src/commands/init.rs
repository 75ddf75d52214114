//! `cargo migrate init`: the migrations directory and the config table in Cargo.toml, written
//! with toml_edit so the manifest keeps its formatting and comments.

use toml_edit::{DocumentMut, Item, Table, value};

use crate::commands::Ctx;
use crate::config::display_relative;
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx) -> Result<()> {
    let Some(target) = &ctx.cfg.manifest else {
        return Err(Error::config(
            "no Cargo.toml here or in any parent directory",
            Some("run `cargo init` first, or pass --manifest-path".to_owned()),
        ));
    };
    let manifest_dir = target.path.parent().unwrap_or(&ctx.cfg.root);
    let text = std::fs::read_to_string(&target.path)
        .map_err(|e| Error::io(format!("cannot read {}", target.path.display()), e))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Error::config(format!("cannot parse {}: {e}", target.path.display()), None))?;
    let section = if target.workspace {
        "workspace"
    } else {
        "package"
    };
    let dir = display_relative(&ctx.cfg.dir, manifest_dir);
    let changed = add_config(&mut doc, section, &dir)?;
    if changed {
        std::fs::write(&target.path, doc.to_string())
            .map_err(|e| Error::io(format!("cannot write {}", target.path.display()), e))?;
        ctx.status(
            "Configured",
            &format!("[{section}.metadata.migrate] in {}", target.path.display()),
        );
    } else {
        ctx.status(
            "Unchanged",
            &format!(
                "{} already has [{section}.metadata.migrate]",
                target.path.display()
            ),
        );
    }
    if ctx.cfg.dir.is_dir() {
        ctx.status(
            "Unchanged",
            &format!("{} already exists", ctx.cfg.dir_display),
        );
    } else {
        std::fs::create_dir_all(&ctx.cfg.dir)
            .map_err(|e| Error::io(format!("cannot create {}", ctx.cfg.dir_display), e))?;
        ctx.status("Created", &ctx.cfg.dir_display);
    }
    ctx.status(
        "Next",
        "create a migration with `cargo migrate new <name>`, then run `cargo migrate up`",
    );
    Ok(())
}

/// Adds `[<section>.metadata.migrate]` with `dir`; false when it is already there.
fn add_config(doc: &mut DocumentMut, section: &str, dir: &str) -> Result<bool> {
    let not_a_table =
        |what: &str| Error::config(format!("`{what}` in Cargo.toml is not a table"), None);
    let root = doc
        .entry(section)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(section))?;
    let metadata = root
        .entry("metadata")
        .or_insert(Item::Table(implicit_table()))
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(&format!("{section}.metadata")))?;
    if metadata.contains_key("migrate") {
        return Ok(false);
    }
    let mut migrate = Table::new();
    migrate.insert("dir", value(dir));
    migrate.decor_mut().set_prefix("\n");
    metadata.insert("migrate", Item::Table(migrate));
    Ok(true)
}

fn implicit_table() -> Table {
    let mut t = Table::new();
    t.set_implicit(true);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_formatting_and_comments() {
        let before = "# my crate\n[package]\nname = \"app\"   # the name\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\" # keep\n";
        let mut doc: DocumentMut = before.parse().unwrap();
        assert!(add_config(&mut doc, "package", "migrations").unwrap());
        let after = doc.to_string();
        let added = "\n[package.metadata.migrate]\ndir = \"migrations\"\n";
        assert!(after.contains(added), "{after}");
        assert_eq!(after.replacen(added, "", 1), before, "nothing else changed");
        let mut again: DocumentMut = after.parse().unwrap();
        assert!(!add_config(&mut again, "package", "migrations").unwrap());
    }
}
