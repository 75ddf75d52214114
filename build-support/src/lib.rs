//! Build-time side of cargo-migrate.
//!
//! This crate reads a migration directory and returns data: the migration set, the findings
//! about it, and each script split into statements with their positions. It never touches a
//! database, never starts an async runtime and never prints; callers (the `cargo migrate`
//! binary, a user's build.rs) decide how to render what it returns.

pub mod analysis;
mod build_script;
mod catalog;
pub mod conflicts;
mod dialect;
pub mod effects;
mod finding;
#[cfg(feature = "git")]
pub mod git;
pub mod lints;
pub mod lock;
pub mod model;
mod set;
mod sql;

pub use build_script::{
    BuildReport, EMBEDDED_FILE, check_migrations, embed_migrations, write_embedded,
};
pub use dialect::Dialect;
pub use finding::{DOCS_URL, Finding, Severity};
pub use set::{
    Allow, Checksum, Directives, FileKind, LoadError, Migration, MigrationName, MigrationSet, Read,
    SqlFile, parse_file_name,
};
pub use sql::unparsed;
pub use sql::{
    ParsedStatement, SplitError, Statement, StatementKind, parse_script, split_statements,
    transaction_control,
};

/// Line and column (both 1-based, column counted in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The modules in order: each one uses only those before it (or beside it, on one line).
    const MODULE_ORDER: &[&[&str]] = &[
        &["dialect"],
        &["finding"],
        &["set"],
        &["model"],
        &["effects"],
        &["sql"],
        &["catalog"],
        &["analysis"],
        &["lints"],
        &["conflicts", "lock"],
        &["git"],
        &["build_script"],
    ];

    /// `lints::RuleId` (`lints/rule_id.rs`) imports nothing from the crate: every module may name
    /// it, as every module makes findings.
    const LEAF: &str = "lints::RuleId";

    /// The code of a source file without its test modules and comments.
    fn code(text: &str) -> String {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let test_module = line.trim() == "#[cfg(test)]"
                && lines
                    .get(i + 1)
                    .is_some_and(|next| next.trim_end().ends_with('{'));
            if test_module {
                break;
            }
            if !line.trim_start().starts_with("//") {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// The names `crate::…` refers to in `code`, the names of a `crate::{…}` group one by one.
    fn crate_names(code: &str) -> Vec<String> {
        let mut names = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let group = match rest.strip_prefix('{') {
                Some(group) => &group[..group.find('}').unwrap_or(group.len())],
                None => {
                    &rest[..rest
                        .find(|c: char| c != '_' && !c.is_alphanumeric())
                        .unwrap_or(rest.len())]
                }
            };
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if rest.starts_with(LEAF) {
                    names.push(LEAF.to_owned());
                } else if !name.is_empty() {
                    names.push(name);
                }
            }
        }
        names
    }

    #[test]
    fn each_module_uses_only_those_before_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let rank = |module: &str| MODULE_ORDER.iter().position(|line| line.contains(&module));
        // What the crate root re-exports, by the module it comes from.
        let lib = code(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
        let mut exported: BTreeMap<String, String> = BTreeMap::new();
        for (at, _) in lib.match_indices("pub use ") {
            let rest = &lib[at + "pub use ".len()..];
            let statement = &rest[..rest.find(';').unwrap()];
            let (module, items) = statement.split_once("::").unwrap();
            for item in items.trim_matches(|c| "{} \n".contains(c)).split(',') {
                let item = item.trim().rsplit("::").next().unwrap();
                if !item.is_empty() {
                    exported.insert(item.to_owned(), module.to_owned());
                }
            }
        }
        let mut wrong = Vec::new();
        let mut files = vec![src.clone()];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap();
            let module = relative.components().next().unwrap().as_os_str();
            let module = module.to_str().unwrap().trim_end_matches(".rs");
            let is_rust = path.extension().is_some_and(|e| e == "rs");
            if !is_rust || module == "lib" || path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let own = rank(module).unwrap_or_else(|| panic!("{module} is not in MODULE_ORDER"));
            let text = std::fs::read_to_string(&path).unwrap();
            for name in crate_names(&code(&text)) {
                let used = if rank(&name).is_some() {
                    name.clone()
                } else if let Some(module) = exported.get(&name) {
                    module.clone()
                } else {
                    continue; // a function of the crate root (`line_col`)
                };
                if name == LEAF {
                    continue;
                }
                if rank(&used).is_some_and(|r| r > own) {
                    wrong.push(format!(
                        "{} uses crate::{name} ({used})",
                        relative.display()
                    ));
                }
            }
        }
        let leaf = std::fs::read_to_string(src.join("lints/rule_id.rs")).unwrap();
        if code(&leaf).contains("crate::") {
            wrong.push("lints/rule_id.rs uses the crate".to_owned());
        }
        wrong.sort();
        assert!(
            wrong.is_empty(),
            "uses against the module order:\n{}",
            wrong.join("\n")
        );
    }
}
