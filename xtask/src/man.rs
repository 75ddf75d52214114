//! `cargo xtask man [--out DIR]`: the man pages of `cargo migrate`, generated with clap_mangen
//! from the command line's own definition (so they cannot drift from `--help`):
//! `cargo-migrate.1` and one `cargo-migrate-<command>.1` per command, in `target/man/` by
//! default.

use std::path::PathBuf;

use crate::Result;

pub fn main(args: &[String]) -> Result<()> {
    let out = match args {
        [] => crate::workspace_root().join("target/man"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [--out DIR]".to_owned()),
    };
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut root = cargo_migrate::commands::cli_command().name("cargo-migrate");
    root.build();
    let mut pages = vec![("cargo-migrate".to_owned(), root.clone())];
    for sub in root.get_subcommands() {
        if sub.get_name() != "help" {
            pages.push((format!("cargo-migrate-{}", sub.get_name()), sub.clone()));
        }
    }
    for (name, command) in pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .title(name.clone())
            .render(&mut page)
            .map_err(|e| format!("cannot render {name}.1: {e}"))?;
        let path = out.join(format!("{name}.1"));
        std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!("wrote the man pages to {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_page_per_command() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_string_lossy().into_owned();
        super::main(&["--out".to_owned(), out]).unwrap();
        let main = std::fs::read_to_string(dir.path().join("cargo-migrate.1")).unwrap();
        assert!(main.contains(".TH cargo-migrate"), "{main}");
        let up = std::fs::read_to_string(dir.path().join("cargo-migrate-up.1")).unwrap();
        assert!(up.contains("lock\\-timeout"), "{up}");
    }
}
