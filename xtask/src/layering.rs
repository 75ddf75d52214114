//! The layering invariants of ARCHITECTURE.md, checked against the sources: each crate's
//! "Module order:" sentence is read from the document itself, so the map and the check cannot
//! drift apart. Outside its tests, a module uses only the modules before it (or beside it, named
//! in the same step); and cargo-migrate's library (every module not behind the `cli` feature)
//! never writes to the terminal or exits the process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::workspace_root;

/// One crate's module order, in steps; the modules of a step may use each other.
struct Order {
    steps: Vec<Vec<String>>,
}

impl Order {
    /// Reads the "Module order: `a` → `b`, `c` → … ;" sentence under the crate's heading.
    fn of(heading: &str) -> Order {
        let doc = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
        let section = &doc[doc.find(heading).unwrap_or_else(|| panic!("no {heading}"))..];
        let start = section
            .find("Module order:")
            .unwrap_or_else(|| panic!("no module order under {heading}"));
        let sentence = &section[start + "Module order:".len()..];
        let sentence = &sentence[..sentence.find(';').unwrap()];
        let steps = sentence
            .split('→')
            .map(|step| {
                // The names are the backquoted words: `a`, `b`.
                step.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        Order { steps }
    }

    fn rank(&self, module: &str) -> Option<usize> {
        self.steps
            .iter()
            .position(|step| step.iter().any(|m| m == module))
    }
}

/// The lines of code of a source file (1-based numbers), without its test modules and comments.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let test_module = line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim_end().ends_with('{'));
        if test_module {
            break;
        }
        if !line.trim_start().starts_with("//") {
            out.push((i + 1, *line));
        }
    }
    out
}

fn code(text: &str) -> String {
    let lines: Vec<&str> = code_lines(text).into_iter().map(|(_, l)| l).collect();
    lines.join("\n")
}

/// The paths `crate::…` refers to in `code` (`backend::Tracking`, `error`), the members of a
/// `crate::{…}` group one by one, each as far as its first two segments.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let group = match rest.strip_prefix('{') {
            Some(group) => &group[..group.find('}').unwrap_or(group.len())],
            None => {
                &rest[..rest
                    .find(|c: char| c != '_' && c != ':' && !c.is_alphanumeric())
                    .unwrap_or(rest.len())]
            }
        };
        for part in group.split(',') {
            let path: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let two: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).take(2).collect();
            if !two.is_empty() {
                paths.push(two.join("::"));
            }
        }
    }
    paths
}

/// Every `.rs` file under `dir` but `tests.rs` files, with its path relative to `dir`.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(dir).unwrap().to_path_buf(), text));
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`backend` for `backend/mysql/mod.rs`).
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap().as_os_str();
    first.to_str().unwrap().trim_end_matches(".rs").to_owned()
}

/// What the crate root re-exports (`pub use module::{Item, …}`), by item name.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut exported = BTreeMap::new();
    for (at, _) in lib.match_indices("pub use ") {
        let rest = &lib[at + "pub use ".len()..];
        let statement = &rest[..rest.find(';').unwrap()];
        let Some((module, items)) = statement.split_once("::") else {
            continue;
        };
        for item in items.trim_matches(|c| "{} \n".contains(c)).split(',') {
            let item = item.trim().rsplit("::").next().unwrap();
            if !item.is_empty() {
                exported.insert(item.to_owned(), module.to_owned());
            }
        }
    }
    exported
}

/// The uses against `order` in the crate at `crate_dir`. `leaves` are paths (`lints::RuleId`)
/// that any module may name: their file imports nothing from the crate.
fn violations(crate_dir: &str, heading: &str, leaves: &[(&str, &str)]) -> Vec<String> {
    let order = Order::of(heading);
    let src = workspace_root().join(crate_dir).join("src");
    let lib = code(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let exported = root_exports(&lib);
    let mut wrong = Vec::new();
    for (relative, text) in sources(&src) {
        let module = module_of(&relative);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = order.rank(&module) else {
            wrong.push(format!(
                "{module} is not in the module order under {heading}"
            ));
            continue;
        };
        for path in crate_paths(&code(&text)) {
            if leaves.iter().any(|(leaf, _)| *leaf == path) {
                continue;
            }
            let first = path.split("::").next().unwrap();
            let used = match (order.rank(first), exported.get(first)) {
                (Some(_), _) => first.to_owned(),
                (None, Some(module)) => module.clone(),
                (None, None) => continue, // a function of the crate root
            };
            if order.rank(&used).is_some_and(|r| r > own) {
                wrong.push(format!("{} uses crate::{path}", relative.display()));
            }
        }
    }
    for (leaf, file) in leaves {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        if code(&text).contains("crate::") {
            wrong.push(format!("{file} ({leaf}) uses the crate"));
        }
    }
    wrong.sort();
    wrong.dedup();
    wrong
}

#[test]
fn build_support_modules_use_only_those_before_them() {
    let wrong = violations(
        "build-support",
        "### `build-support/`",
        &[("lints::RuleId", "lints/rule_id.rs")],
    );
    assert!(
        wrong.is_empty(),
        "against the module order:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn cargo_migrate_modules_use_only_those_before_them() {
    let wrong = violations("cargo-migrate", "### `cargo-migrate/`", &[]);
    assert!(
        wrong.is_empty(),
        "against the module order:\n{}",
        wrong.join("\n")
    );
}

/// The modules `lib.rs` declares without `#[cfg(feature = "cli")]` in front.
fn library_modules(lib: &str) -> Vec<String> {
    let lines: Vec<&str> = lib.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line
            .trim()
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .strip_prefix("mod ")
        else {
            continue;
        };
        let attributes = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("//"));
        if !attributes.clone().any(|l| l.contains("feature = \"cli\"")) {
            out.push(name.trim_end_matches(';').to_owned());
        }
    }
    out
}

#[test]
fn the_run_time_library_never_prints_or_exits() {
    const FORBIDDEN: &[&str] = &[
        "eprintln!(",
        "eprint!(",
        "println!(",
        "print!(",
        "dbg!(",
        "stdout()",
        "stderr()",
        "process::exit",
    ];
    let src = workspace_root().join("cargo-migrate/src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let library = library_modules(&lib);
    assert!(library.iter().any(|m| m == "embedded"), "{library:?}");
    let mut wrong = Vec::new();
    for (relative, text) in sources(&src) {
        if !library.contains(&module_of(&relative)) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if let Some(what) = FORBIDDEN.iter().find(|f| line.contains(*f)) {
                wrong.push(format!("{}:{n}: {what}", relative.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the library reports events, only the command line prints:\n{}",
        wrong.join("\n")
    );
}

/// build-support documents what a build.rs calls and hides the rest (the checker the command
/// line shares with it).
#[test]
fn build_support_documents_only_its_entry_points() {
    const DOCUMENTED: &[&str] = &["check_migrations", "embed_migrations", "EMBEDDED_FILE"];
    let lib = std::fs::read_to_string(workspace_root().join("build-support/src/lib.rs")).unwrap();
    let lines: Vec<&str> = code_lines(&lib).into_iter().map(|(_, l)| l).collect();
    let mut wrong = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("pub ") {
            continue;
        }
        let hidden = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.starts_with("#["))
            .any(|l| l.contains("doc(hidden)"));
        let documented = DOCUMENTED.iter().any(|d| line.contains(d));
        if hidden == documented {
            wrong.push(line.to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "public and not hidden, or hidden entry points:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_check() {
    // A check that reads nothing passes whatever the code does.
    let order = Order::of("### `cargo-migrate/`");
    assert!(
        order.rank("secrets") < order.rank("embedded"),
        "{:?}",
        order.steps
    );
    assert_eq!(
        crate_paths("use crate::{a::B, c};\nlet x = crate::d::e();"),
        ["a::B", "c", "d::e"]
    );
    let src = workspace_root().join("cargo-migrate/src");
    assert!(sources(&src).len() > 20);
}
