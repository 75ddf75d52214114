//! Another tool's migration files, read as that tool reads them, and the files they become in
//! cargo-migrate's layout (pure, apart from reading the directory).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::foreign::Tool;

/// One migration as the source tool sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The version as the tool writes it (`20230101120000`, `1.1`, `2023-01-01-120000`).
    pub tool_version: String,
    /// The tool's name for it (file name part after the version).
    pub name: String,
    /// The up script's statements, without the tool's annotations.
    pub up: String,
    /// The down script's, if it has one that is not empty.
    pub down: Option<String>,
    pub no_transaction: bool,
    /// The tool's files, relative to the migrations directory.
    pub files: Vec<PathBuf>,
    /// The text the tool checksums (sqlx's up file, refinery's and Flyway's `V` file), as it
    /// was found; `None` when the files were converted earlier (see [`read_converted`]).
    pub checksummed: Option<String>,
}

impl Source {
    /// The order key: the version's numeric parts (`1.10` after `1.9`).
    fn key(&self) -> Vec<u128> {
        self.tool_version
            .split(['.', '_', '-'])
            .map(|part| part.parse().unwrap_or(u128::MAX))
            .collect()
    }

    /// The version as one of ours, when it is one (a positive integer fitting in i64).
    fn as_version(&self) -> Option<i64> {
        let digits = self.tool_version.replace('-', "");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok().filter(|v| *v > 0)
    }
}

/// A source migration and the files it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    pub source: Source,
    pub version: i64,
    pub slug: String,
    /// File name and text of the up script (`.up.sql`, or `.sql` when there is no down).
    pub up_file: (String, String),
    pub down_file: Option<(String, String)>,
}

impl Converted {
    /// Whether converting changes anything on disk.
    pub fn changes_files(&self, dir: &Path) -> bool {
        let same = |(name, text): &(String, String)| {
            std::fs::read_to_string(dir.join(name)).is_ok_and(|t| &t == text)
        };
        let targets: Vec<PathBuf> = std::iter::once(&self.up_file)
            .chain(&self.down_file)
            .map(|(n, _)| PathBuf::from(n))
            .collect();
        !(same(&self.up_file)
            && self.down_file.as_ref().is_none_or(same)
            && self.source.files.iter().all(|f| targets.contains(f)))
    }
}

/// What reading a directory in a tool's layout gave.
#[derive(Debug, Default)]
pub struct Layout {
    pub converted: Vec<Converted>,
    /// (tool version, new version) for every migration that had to be renumbered.
    pub renumbered: Vec<(String, i64)>,
    /// Files left as they are, with why.
    pub left: Vec<(PathBuf, String)>,
}

/// The first line of a converted up script after its directives: where it came from, so that a
/// later `import` (another environment's database) knows the tool's version and file.
pub const IMPORTED_FROM: &str = "-- imported from ";

/// Reads `dir` in `tool`'s layout and plans the conversion; what cannot be converted faithfully
/// is refused, every reason at once.
pub fn read(tool: Tool, dir: &Path) -> Result<Layout> {
    let mut sources = Vec::new();
    let mut refused = Vec::new();
    let mut left = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let read_text = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
    };
    for path in &entries {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let rel = PathBuf::from(file.as_ref());
        if path.is_dir() {
            if tool == Tool::Diesel {
                match diesel(path, &file, &read_text)? {
                    Ok(Some(source)) => sources.push(source),
                    Ok(None) => left.push((rel, "not a Diesel migration directory".to_owned())),
                    Err(why) => refused.push(format!("{file}: {why}")),
                }
            } else {
                left.push((rel, "a directory".to_owned()));
            }
            continue;
        }
        // The lock, hidden files, and Flyway's per-script settings (read with their script).
        if file == "migrate.lock"
            || file.starts_with('.')
            || (tool == Tool::Flyway && file.ends_with(".sql.conf"))
        {
            continue;
        }
        let result = match tool {
            Tool::Sqlx => sqlx_like(&file, &read_text(path)?, false),
            Tool::GolangMigrate => sqlx_like(&file, &read_text(path)?, true),
            Tool::Diesel => Ok(None),
            Tool::Refinery => refinery(&file, &read_text(path)?),
            Tool::Flyway => flyway(&file, path, &read_text),
            Tool::Goose => goose(&file, &read_text(path)?),
            Tool::Dbmate => dbmate(&file, &read_text(path)?),
        };
        match result {
            Ok(Some(part)) => sources.push(part),
            Ok(None) => left.push((
                rel,
                format!("not a {} migration: left as it is", tool.name()),
            )),
            Err(why) => refused.push(format!("{file}: {why}")),
        }
    }
    if !refused.is_empty() {
        return Err(Error::refused(
            format!(
                "{} of the {} migrations cannot be converted faithfully:\n  {}",
                refused.len(),
                tool.name(),
                refused.join("\n  ")
            ),
            "nothing was changed; convert those by hand (or remove them if they are obsolete), then run `cargo migrate import` again",
        ));
    }
    let sources = pair_up(tool, sources)?;
    let mut layout = plan(tool, sources)?;
    layout.left = left;
    Ok(layout)
}

/// Joins the up and down halves of tools that keep them in separate files (sqlx,
/// golang-migrate, Flyway's `U` scripts), refusing duplicate versions.
fn pair_up(tool: Tool, parts: Vec<Source>) -> Result<Vec<Source>> {
    let mut merged: Vec<Source> = Vec::new();
    for part in parts {
        match merged
            .iter_mut()
            .find(|m| m.tool_version == part.tool_version)
        {
            Some(m) if m.up.is_empty() && !part.up.is_empty() && m.checksummed.is_none() => {
                // `m` is a down half found first.
                let down = m.down.take();
                let mut files = std::mem::take(&mut m.files);
                *m = part;
                m.down = down;
                m.files.append(&mut files);
            }
            Some(m) if part.up.is_empty() && part.checksummed.is_none() && m.down.is_none() => {
                m.down = part.down;
                m.files.extend(part.files);
            }
            Some(m) => {
                return Err(Error::refused(
                    format!(
                        "two {} migrations have the version {}: {} and {}",
                        tool.name(),
                        part.tool_version,
                        m.files[0].display(),
                        part.files[0].display()
                    ),
                    "nothing was changed; the tool itself would refuse this too: renumber one of them, then run `cargo migrate import` again",
                ));
            }
            None => merged.push(part),
        }
    }
    if let Some(orphan) = merged
        .iter()
        .find(|m| m.checksummed.is_none() && m.up.is_empty())
    {
        return Err(Error::refused(
            format!(
                "{} has no up script to go with it",
                orphan.files[0].display()
            ),
            "nothing was changed; restore its up script or remove it, then run `cargo migrate import` again",
        ));
    }
    Ok(merged)
}

/// Orders the migrations as the tool does, keeps their versions where they are unique positive
/// integers in order, else renumbers the ones that are not, and writes the files' texts.
fn plan(tool: Tool, mut sources: Vec<Source>) -> Result<Layout> {
    sources.sort_by_key(Source::key);
    let mut layout = Layout::default();
    let mut previous = 0i64;
    for source in sources {
        let version = match source.as_version() {
            Some(v) if v > previous => v,
            _ => {
                let v = previous.checked_add(1).ok_or_else(|| {
                    Error::refused(
                        "the versions cannot be renumbered: they reach the largest version",
                        "nothing was changed; renumber the migrations by hand",
                    )
                })?;
                layout.renumbered.push((source.tool_version.clone(), v));
                v
            }
        };
        previous = version;
        let slug = slug(&source.name);
        let base = format!("{version}_{slug}");
        let up_name = if source.down.is_some() {
            format!("{base}.up.sql")
        } else {
            format!("{base}.sql")
        };
        let renamed = !source.files.iter().any(|f| f == Path::new(&up_name));
        let mut up = String::new();
        if source.no_transaction {
            up.push_str("-- migrate:no-transaction\n");
        }
        // The tool had no down script for it: irreversible, on purpose, as it was.
        if source.down.is_none() && !source.up.contains("-- migrate:irreversible") {
            up.push_str(&irreversible(tool));
        }
        if renamed {
            let origin = source.files[0].to_string_lossy().into_owned();
            up.push_str(&format!("{IMPORTED_FROM}{}: {origin}\n", tool.id()));
        }
        up.push_str(&source.up);
        let (up_file, down_file) = match &source.down {
            Some(down) => (
                (up_name, up),
                Some((format!("{base}.down.sql"), down.clone())),
            ),
            None => ((up_name, up), None),
        };
        layout.converted.push(Converted {
            source,
            version,
            slug,
            up_file,
            down_file,
        });
    }
    Ok(layout)
}

/// The directive a converted up-only migration gets.
fn irreversible(tool: Tool) -> String {
    format!(
        "-- migrate:irreversible imported from {}, which had no down script\n",
        tool.name()
    )
}

/// A slug from the tool's name: lower case, `[a-z0-9_]`, never empty.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug = slug.trim_matches('_').to_owned();
    if slug.is_empty() {
        "migration".to_owned()
    } else {
        slug
    }
}

type Part = std::result::Result<Option<Source>, String>;

fn part(version: &str, name: &str, file: &str) -> Source {
    Source {
        tool_version: version.to_owned(),
        name: name.to_owned(),
        up: String::new(),
        down: None,
        no_transaction: false,
        files: vec![PathBuf::from(file)],
        checksummed: None,
    }
}

/// sqlx (`-- no-transaction` on the first line) and golang-migrate (which never wraps a file
/// in a transaction): `<version>_<name>.up.sql` / `.down.sql`, and sqlx's up-only `.sql`.
fn sqlx_like(file: &str, text: &str, golang: bool) -> Part {
    let Some(stem) = file.strip_suffix(".sql") else {
        return Ok(None);
    };
    let (stem, kind) = if let Some(s) = stem.strip_suffix(".up") {
        (s, "up")
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, "down")
    } else if golang {
        return Ok(None);
    } else {
        (stem, "simple")
    };
    let Some((version, name)) = stem.split_once('_') else {
        return Ok(None);
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let mut p = part(version, name, file);
    if kind == "down" {
        p.down = Some(text.to_owned());
        return Ok(Some(p));
    }
    // Converted by an earlier `import`: what sqlx ran (and checksummed) had its own directive
    // and none of ours.
    let sqlx_text = {
        let irreversible = irreversible(Tool::Sqlx);
        let mut rest = text;
        let mut no_transaction = false;
        loop {
            if let Some(r) = rest.strip_prefix("-- migrate:no-transaction\n") {
                (rest, no_transaction) = (r, true);
            } else if let Some(r) = rest.strip_prefix(irreversible.as_str()) {
                rest = r;
            } else {
                break;
            }
        }
        if no_transaction {
            format!("-- no-transaction\n{rest}")
        } else {
            rest.to_owned()
        }
    };
    let (no_transaction, body) = if golang {
        (true, text)
    } else if let Some(rest) = text.strip_prefix("-- no-transaction") {
        (
            true,
            rest.strip_prefix("\r\n")
                .or(rest.strip_prefix('\n'))
                .unwrap_or(rest),
        )
    } else {
        (false, text)
    };
    if body.trim().is_empty() {
        return Err("its up script is empty".to_owned());
    }
    // An up script already in our layout keeps its own directives.
    let ours = body.contains("-- migrate:no-transaction");
    p.no_transaction = no_transaction && !ours;
    p.up = body.to_owned();
    if !golang {
        p.checksummed = Some(sqlx_text);
    }
    Ok(Some(p))
}

/// Diesel: `<version>_<name>/up.sql` + `down.sql`, and `metadata.toml`'s
/// `run_in_transaction = false`. The version is the part before the first `_`, its dashes
/// left out (`2023-01-01-120000` is recorded as `20230101120000`).
fn diesel(
    path: &Path,
    dir_name: &str,
    read_text: &dyn Fn(&Path) -> Result<String>,
) -> Result<Part> {
    let up = path.join("up.sql");
    if !up.is_file() {
        return Ok(Ok(None));
    }
    let Some((version, name)) = dir_name.split_once('_') else {
        return Ok(Err("expected `<version>_<name>`".to_owned()));
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Ok(Err(format!("the version `{version}` is not a number")));
    }
    let mut p = part(
        &version.replace('-', ""),
        name,
        &format!("{dir_name}/up.sql"),
    );
    p.up = read_text(&up)?;
    let down = path.join("down.sql");
    if down.is_file() {
        let text = read_text(&down)?;
        p.files.push(PathBuf::from(format!("{dir_name}/down.sql")));
        if !text.trim().is_empty() {
            p.down = Some(text);
        }
    }
    let metadata = path.join("metadata.toml");
    if metadata.is_file() {
        let text = read_text(&metadata)?;
        let doc: toml_edit::DocumentMut = match text.parse() {
            Ok(doc) => doc,
            Err(e) => return Ok(Err(format!("metadata.toml does not parse: {e}"))),
        };
        p.no_transaction = doc
            .get("run_in_transaction")
            .and_then(|v| v.as_bool())
            .is_some_and(|b| !b);
        p.files
            .push(PathBuf::from(format!("{dir_name}/metadata.toml")));
    }
    if p.up.trim().is_empty() {
        return Ok(Err("its up.sql is empty".to_owned()));
    }
    Ok(Ok(Some(p)))
}

/// refinery: `V{n}__{name}.sql`, up only; `U` (unversioned) and Rust migrations refused.
fn refinery(file: &str, text: &str) -> Part {
    if file.ends_with(".rs") && file.starts_with(['V', 'U']) {
        return Err("a Rust migration: its code cannot become SQL".to_owned());
    }
    let Some(stem) = file.strip_suffix(".sql") else {
        return Ok(None);
    };
    let (prefix, rest) = stem.split_at(stem.len().min(1));
    let Some((version, name)) = rest.split_once("__") else {
        return Ok(None);
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match prefix {
        "V" => {}
        "U" => {
            return Err(
                "an unversioned migration (refinery runs it in any order): it has no place in an ordered history"
                    .to_owned(),
            );
        }
        _ => return Ok(None),
    }
    let mut p = part(version, name, file);
    p.up = text.to_owned();
    p.checksummed = Some(text.to_owned());
    Ok(Some(p))
}

/// Flyway: `V{version}__{description}.sql`, its `U` undo script as the down, a
/// `.sql.conf` with `executeInTransaction=false`; repeatable `R__` scripts and Java
/// migrations refused.
fn flyway(file: &str, path: &Path, read_text: &dyn Fn(&Path) -> Result<String>) -> Part {
    if file.ends_with(".java") || file.ends_with(".class") {
        return Err("a Java migration: its code cannot become SQL".to_owned());
    }
    let Some(stem) = file.strip_suffix(".sql") else {
        return Ok(None);
    };
    if stem.starts_with("R__") {
        return Err(
            "a repeatable migration (Flyway runs it again whenever it changes): cargo-migrate has no such kind"
                .to_owned(),
        );
    }
    let (prefix, rest) = stem.split_at(stem.len().min(1));
    let Some((version, name)) = rest.split_once("__") else {
        return Ok(None);
    };
    if version.is_empty()
        || !version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
    {
        return Ok(None);
    }
    let version = version.replace('_', ".");
    let text = read_text(path).map_err(|e| e.to_string())?;
    let mut p = part(&version, name, file);
    match prefix {
        "V" => {
            p.up = text.clone();
            p.checksummed = Some(text);
            let conf = path.with_file_name(format!("{file}.conf"));
            if conf.is_file() {
                let conf_text = read_text(&conf).map_err(|e| e.to_string())?;
                p.no_transaction = conf_text.lines().any(|l| {
                    l.replace(' ', "")
                        .eq_ignore_ascii_case("executeInTransaction=false")
                });
                p.files.push(PathBuf::from(format!("{file}.conf")));
            }
        }
        "U" => p.down = Some(text),
        _ => return Ok(None),
    }
    Ok(Some(p))
}

/// goose: `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down` sections,
/// `-- +goose NO TRANSACTION`, and `StatementBegin`/`StatementEnd` around statements that hold
/// semicolons; Go migrations and `ENVSUB` refused.
fn goose(file: &str, text: &str) -> Part {
    if file.ends_with(".go") {
        return Err("a Go migration: its code cannot become SQL".to_owned());
    }
    let Some(stem) = file.strip_suffix(".sql") else {
        return Ok(None);
    };
    let Some((version, name)) = stem.split_once('_') else {
        return Ok(None);
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    if !text.contains("-- +goose Up") && !text.contains("--+goose Up") {
        return Ok(None);
    }
    let mut p = part(version, name, file);
    let (mut up, mut down, mut section) = (String::new(), String::new(), 0);
    for line in text.split_inclusive('\n') {
        let annotation = line
            .trim()
            .strip_prefix("--")
            .map(str::trim_start)
            .and_then(|l| l.strip_prefix("+goose"))
            .map(|l| l.trim().to_ascii_uppercase());
        match annotation.as_deref() {
            Some("UP") => section = 1,
            Some("DOWN") => section = 2,
            Some("NO TRANSACTION") => p.no_transaction = true,
            Some("STATEMENTBEGIN" | "STATEMENTEND") => {}
            Some(other) if other.starts_with("ENVSUB") => {
                return Err(
                    "it uses `-- +goose ENVSUB` (environment variables substituted into the SQL), which cargo-migrate does not do"
                        .to_owned(),
                );
            }
            Some(other) => return Err(format!("unknown goose annotation `{other}`")),
            None => match section {
                1 => up.push_str(line),
                2 => down.push_str(line),
                _ => {}
            },
        }
    }
    if up.trim().is_empty() {
        return Err("its `-- +goose Up` section is empty".to_owned());
    }
    p.up = up.trim_start_matches('\n').to_owned();
    p.down = (!down.trim().is_empty()).then(|| down.trim_start_matches('\n').to_owned());
    Ok(Some(p))
}

/// dbmate: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down` sections and
/// `transaction:false`.
fn dbmate(file: &str, text: &str) -> Part {
    let Some(stem) = file.strip_suffix(".sql") else {
        return Ok(None);
    };
    let Some((version, name)) = stem.split_once('_') else {
        return Ok(None);
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    if !text
        .lines()
        .any(|l| l.trim_start().starts_with("-- migrate:up"))
    {
        return Ok(None);
    }
    let mut p = part(version, name, file);
    let (mut up, mut down, mut section) = (String::new(), String::new(), 0);
    let mut down_no_transaction = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(options) = trimmed.strip_prefix("-- migrate:up") {
            section = 1;
            p.no_transaction |= options.contains("transaction:false");
        } else if let Some(options) = trimmed.strip_prefix("-- migrate:down") {
            section = 2;
            down_no_transaction = options.contains("transaction:false");
        } else {
            match section {
                1 => up.push_str(line),
                2 => down.push_str(line),
                _ => {}
            }
        }
    }
    if up.trim().is_empty() {
        return Err("its `-- migrate:up` section is empty".to_owned());
    }
    p.up = up.trim_start_matches('\n').to_owned();
    p.down = (!down.trim().is_empty()).then(|| {
        let body = down.trim_start_matches('\n');
        if down_no_transaction {
            format!("-- migrate:no-transaction\n{body}")
        } else {
            body.to_owned()
        }
    });
    Ok(Some(p))
}

/// The migrations of a directory that an earlier `import` already converted, as the tool knew
/// them: the tool's version from the `-- imported from` line, else the version itself.
pub fn read_converted(tool: Tool, set: &build_support::MigrationSet) -> Vec<(String, i64)> {
    set.migrations
        .iter()
        .map(|m| {
            let origin = m.up.text.lines().find_map(|l| {
                l.strip_prefix(IMPORTED_FROM)?
                    .strip_prefix(tool.id())?
                    .strip_prefix(": ")
            });
            let tool_version = origin
                .and_then(|file| tool_version_of(tool, file))
                .unwrap_or_else(|| m.version.to_string());
            (tool_version, m.version)
        })
        .collect()
}

/// The tool's version in one of its file (or directory) names.
fn tool_version_of(tool: Tool, file: &str) -> Option<String> {
    let file = file.split('/').next()?;
    match tool {
        Tool::Refinery | Tool::Flyway => {
            let rest = file.get(1..)?;
            Some(rest.split_once("__")?.0.replace('_', "."))
        }
        Tool::Diesel => Some(file.split_once('_')?.0.replace('-', "")),
        _ => Some(file.split_once('_')?.0.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn files(layout: &Layout) -> Vec<(String, String)> {
        layout
            .converted
            .iter()
            .flat_map(|c| std::iter::once(c.up_file.clone()).chain(c.down_file.clone()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn sqlx_files_stay_and_no_transaction_becomes_a_directive() {
        let d = dir(&[
            ("1_users.up.sql", "CREATE TABLE users (id INT);\n"),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            (
                "2_idx.sql",
                "-- no-transaction\nCREATE INDEX i ON users (id);\n",
            ),
        ]);
        let layout = read(Tool::Sqlx, d.path()).unwrap();
        assert_eq!(
            files(&layout),
            pairs(&[
                ("1_users.up.sql", "CREATE TABLE users (id INT);\n"),
                ("1_users.down.sql", "DROP TABLE users;\n"),
                (
                    "2_idx.sql",
                    "-- migrate:no-transaction\n-- migrate:irreversible imported from sqlx, which had no down script\nCREATE INDEX i ON users (id);\n"
                ),
            ])
        );
        assert!(!layout.converted[0].changes_files(d.path()));
        assert!(layout.converted[1].changes_files(d.path()));
        assert_eq!(
            layout.converted[1].source.checksummed.as_deref(),
            Some("-- no-transaction\nCREATE INDEX i ON users (id);\n")
        );
        // Converted, the files give sqlx's text back for its checksums, and stay as they are.
        for (name, text) in files(&layout) {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        let again = read(Tool::Sqlx, d.path()).unwrap();
        assert_eq!(files(&again), files(&layout));
        assert!(!again.converted[1].changes_files(d.path()));
        assert_eq!(
            again.converted[1].source.checksummed,
            layout.converted[1].source.checksummed
        );
    }

    #[test]
    fn diesel_directories_become_pairs_and_version_zero_is_renumbered() {
        let d = dir(&[
            ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;\n"),
            (
                "00000000000000_diesel_initial_setup/down.sql",
                "SELECT 2;\n",
            ),
            (
                "2023-01-02-030405_create_users/up.sql",
                "CREATE TABLE users (id INT);\n",
            ),
            (
                "2023-01-02-030405_create_users/down.sql",
                "DROP TABLE users;\n",
            ),
            (
                "2023-01-02-030405_create_users/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ]);
        let layout = read(Tool::Diesel, d.path()).unwrap();
        assert_eq!(layout.renumbered, vec![("00000000000000".to_owned(), 1)]);
        assert_eq!(
            files(&layout),
            pairs(&[
                (
                    "1_diesel_initial_setup.up.sql",
                    "-- imported from diesel: 00000000000000_diesel_initial_setup/up.sql\nSELECT 1;\n"
                ),
                ("1_diesel_initial_setup.down.sql", "SELECT 2;\n"),
                (
                    "20230102030405_create_users.up.sql",
                    "-- migrate:no-transaction\n-- imported from diesel: 2023-01-02-030405_create_users/up.sql\nCREATE TABLE users (id INT);\n"
                ),
                (
                    "20230102030405_create_users.down.sql",
                    "DROP TABLE users;\n"
                ),
            ])
        );
        assert_eq!(layout.converted[1].source.tool_version, "20230102030405");
    }

    #[test]
    fn goose_sections_and_annotations() {
        let d = dir(&[(
            "00002_add_fn.sql",
            "-- +goose Up\n-- +goose NO TRANSACTION\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f;\n",
        )]);
        let layout = read(Tool::Goose, d.path()).unwrap();
        assert_eq!(
            files(&layout),
            pairs(&[
                (
                    "2_add_fn.up.sql",
                    "-- migrate:no-transaction\n-- imported from goose: 00002_add_fn.sql\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\n"
                ),
                ("2_add_fn.down.sql", "DROP FUNCTION f;\n"),
            ])
        );
        let go = dir(&[("00003_data.go", "package main\n")]);
        let e = read(Tool::Goose, go.path()).unwrap_err().to_string();
        assert!(e.contains("00003_data.go: a Go migration"), "{e}");
    }

    #[test]
    fn dbmate_sections_and_transaction_false() {
        let d = dir(&[(
            "20240101000000_users.sql",
            "-- migrate:up transaction:false\nCREATE TABLE users (id INT);\n\n-- migrate:down\nDROP TABLE users;\n",
        )]);
        let layout = read(Tool::Dbmate, d.path()).unwrap();
        assert_eq!(
            files(&layout),
            pairs(&[
                (
                    "20240101000000_users.up.sql",
                    "-- migrate:no-transaction\n-- imported from dbmate: 20240101000000_users.sql\nCREATE TABLE users (id INT);\n\n"
                ),
                ("20240101000000_users.down.sql", "DROP TABLE users;\n"),
            ])
        );
    }

    #[test]
    fn flyway_dotted_versions_are_renumbered_in_order_and_undo_is_the_down() {
        let d = dir(&[
            ("V1__Create_person.sql", "CREATE TABLE person (id INT);\n"),
            ("V1.1__Add_name.sql", "ALTER TABLE person ADD name TEXT;\n"),
            ("U1.1__Add_name.sql", "ALTER TABLE person DROP name;\n"),
            ("V2__More.sql", "CREATE TABLE more (id INT);\n"),
        ]);
        let layout = read(Tool::Flyway, d.path()).unwrap();
        assert_eq!(
            layout.renumbered,
            vec![("1.1".to_owned(), 2), ("2".to_owned(), 3)]
        );
        let names: Vec<String> = files(&layout).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "1_create_person.sql",
                "2_add_name.up.sql",
                "2_add_name.down.sql",
                "3_more.sql"
            ]
        );
        let r = dir(&[("R__views.sql", "CREATE VIEW v AS SELECT 1;\n")]);
        let e = read(Tool::Flyway, r.path()).unwrap_err().to_string();
        assert!(e.contains("R__views.sql: a repeatable migration"), "{e}");
    }

    #[test]
    fn refinery_and_golang_migrate() {
        let d = dir(&[("V3__cars.sql", "CREATE TABLE cars (id INT);\n")]);
        let layout = read(Tool::Refinery, d.path()).unwrap();
        assert_eq!(layout.converted[0].up_file.0, "3_cars.sql");
        let g = dir(&[
            ("000001_users.up.sql", "CREATE TABLE users (id INT);\n"),
            ("000001_users.down.sql", "DROP TABLE users;\n"),
        ]);
        let layout = read(Tool::GolangMigrate, g.path()).unwrap();
        assert_eq!(
            files(&layout),
            pairs(&[
                (
                    "1_users.up.sql",
                    "-- migrate:no-transaction\n-- imported from golang-migrate: 000001_users.up.sql\nCREATE TABLE users (id INT);\n"
                ),
                ("1_users.down.sql", "DROP TABLE users;\n"),
            ])
        );
        assert_eq!(
            tool_version_of(Tool::GolangMigrate, "000001_users.up.sql").as_deref(),
            Some("000001")
        );
    }
}
