//! `cargo xtask codegen`: the rule docs in docs/lints/, generated from the `//!` header of each
//! rule's file (a test in build-support fails when they are stale).

use build_support::lints::{RULES, render_doc, render_index, rule_source_path};

use crate::{Result, workspace_root};

pub fn main(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        return Err(format!("codegen takes no arguments (got `{arg}`)"));
    }
    let root = workspace_root();
    let docs = root.join("docs/lints");
    std::fs::create_dir_all(&docs).map_err(|e| format!("cannot create {}: {e}", docs.display()))?;
    let mut sources = Vec::new();
    for rule in RULES {
        let path = root.join(rule_source_path(rule));
        let source = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        write(
            &docs.join(format!("{}.md", rule.id)),
            &render_doc(rule, &source),
        )?;
        sources.push((rule, source));
    }
    write(&docs.join("README.md"), &render_index(&sources))?;
    eprintln!("generated docs/lints/ for {} rules", RULES.len());
    Ok(())
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
