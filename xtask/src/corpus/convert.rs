//! Converting another tool's migration directory into this tool's flat layout: each conversion a
//! translation of the source tool's own meaning, never a fix (see the header of
//! `scripts/corpus.txt` for the layouts).
//!
//! Pure over the files it is given: [`convert`] takes the directory's entries (name, bytes) and
//! returns the flat files, so the rules are tested without a file system; [`read_dir`] and
//! [`Converted::write`] are the file-system sides.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Result;

/// How a source tool lays its migrations out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Files in one directory: sqlx `V_name.sql` / `V_name.up.sql` + `.down.sql`,
    /// golang-migrate `NNNNNN_name.up.sql`, authelia `V0001.Name.up.sql`.
    Flat,
    /// One directory a migration: `<YYYY-MM-DD-HHMMSS[-NNNN]>_name/up.sql` + `down.sql`.
    Diesel,
    /// goose: one `NNNN_name.sql` a migration with `-- +goose Up` / `-- +goose Down` sections.
    Goose,
}

impl Layout {
    pub fn parse(text: &str) -> Result<Layout> {
        match text {
            "flat" => Ok(Layout::Flat),
            "diesel" => Ok(Layout::Diesel),
            "goose" => Ok(Layout::Goose),
            other => Err(format!(
                "unknown layout `{other}` (expected flat, diesel or goose)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Flat => "flat",
            Layout::Diesel => "diesel",
            Layout::Goose => "goose",
        }
    }
}

/// One entry of the source directory: a file (`path` relative to the history's directory) or,
/// for diesel, a file one directory down.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The flat files of a history, the map back to the originals and what the conversion noted.
#[derive(Debug, Default)]
pub struct Converted {
    /// (flat file name, its bytes, the original path).
    pub files: Vec<(String, Vec<u8>, String)>,
    pub migrations: usize,
    pub notes: Vec<String>,
}

impl Converted {
    pub fn write(&self, dir: &Path) -> Result<()> {
        for (name, bytes, _) in &self.files {
            let path = dir.join(name);
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// The original path of each flat file, as `flat <TAB> original` lines.
    pub fn map(&self) -> String {
        self.files
            .iter()
            .map(|(name, _, orig)| format!("{name}\t{orig}\n"))
            .collect()
    }
}

/// Reads a history's directory: its files, and for diesel the files of its subdirectories.
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    let read = |dir: &Path| -> Result<Vec<(String, std::path::PathBuf, bool)>> {
        let mut entries = Vec::new();
        let list =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in list {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            entries.push((name, path.clone(), path.is_dir()));
        }
        entries.sort();
        Ok(entries)
    };
    for (name, path, is_dir) in read(dir)? {
        if is_dir {
            for (inner, inner_path, inner_dir) in read(&path)? {
                if !inner_dir {
                    out.push(SourceFile {
                        path: format!("{name}/{inner}"),
                        bytes: std::fs::read(&inner_path)
                            .map_err(|e| format!("cannot read {}: {e}", inner_path.display()))?,
                    });
                }
            }
        } else {
            out.push(SourceFile {
                path: name,
                bytes: std::fs::read(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            });
        }
    }
    Ok(out)
}

/// A migration before its version is made unique.
struct Entry {
    /// The order of the source tool.
    key: (i64, i64, String),
    version: i64,
    slug: String,
    up: Option<(String, Vec<u8>)>,
    down: Option<(String, Vec<u8>)>,
    /// An up-only file (no `.up`/`.down` in its name).
    only: Option<(String, Vec<u8>)>,
    no_transaction: bool,
}

/// Converts the files of one history. `setup`, when given, is SQL the source tool's
/// environment runs before the first migration (a schema the deployment creates, say): it
/// becomes an up-only first migration, `<v>_corpus_setup.sql`, so that lint and verify both see
/// it.
pub fn convert(files: &[SourceFile], layout: Layout, setup: Option<&str>) -> Converted {
    let mut notes = Vec::new();
    let mut entries = match layout {
        Layout::Flat => flat(files, &mut notes),
        Layout::Diesel => diesel(files, &mut notes),
        Layout::Goose => goose(files, &mut notes),
    };
    if let Some(sql) = setup {
        entries.push(Entry {
            key: (i64::MIN, 0, String::new()),
            version: 1,
            slug: "corpus_setup".to_owned(),
            up: None,
            down: None,
            only: Some((
                "(setup in scripts/corpus.txt)".to_owned(),
                format!("-- migrate:irreversible the environment the source tool expects\n{sql}\n")
                    .into_bytes(),
            )),
            no_transaction: false,
        });
        notes.push(format!("a first migration runs the setup: {sql}"));
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    // Versions must be positive and unique: keep each one unless it is 0 or not above the one
    // before it (shared versions, diesel's 00000000000000_*), which becomes the previous + 1.
    let mut fixed = Vec::new();
    let mut prev = 0;
    for e in &mut entries {
        let v = e.version.max(prev + 1);
        if v != e.version {
            fixed.push(format!("{}->{v}", e.version));
            e.version = v;
        }
        prev = v;
    }
    if !fixed.is_empty() {
        let more = if fixed.len() > 4 {
            format!(", ... ({} in all)", fixed.len())
        } else {
            String::new()
        };
        notes.push(format!(
            "versions changed to stay positive, unique and in order: {}{more}",
            fixed[..fixed.len().min(4)].join(", ")
        ));
    }
    let mut out = Converted {
        migrations: entries.len(),
        ..Converted::default()
    };
    for mut e in entries {
        let stem = format!("{}_{}", e.version, e.slug);
        if e.only.is_some() && (e.up.is_some() || e.down.is_some()) {
            notes.push(format!(
                "{stem}: both a plain .sql and .up/.down; the plain one is dropped"
            ));
            e.only = None;
        }
        let outs = match (e.up, e.down, e.only) {
            (Some(up), Some(down), _) => {
                vec![
                    (format!("{stem}.up.sql"), up),
                    (format!("{stem}.down.sql"), down),
                ]
            }
            (Some(up), None, _) | (None, None, Some(up)) => vec![(format!("{stem}.sql"), up)],
            (None, Some((orig, _)), _) => {
                // The source tool runs nothing for it on the way up.
                notes.push(format!(
                    "skipped {orig}: a down script without an up script"
                ));
                out.migrations -= 1;
                Vec::new()
            }
            (None, None, None) => Vec::new(),
        };
        for (name, (orig, mut bytes)) in outs {
            if e.no_transaction {
                let mut with = b"-- migrate:no-transaction\n".to_vec();
                with.append(&mut bytes);
                bytes = with;
            }
            out.files.push((name, bytes, orig));
        }
        if e.no_transaction {
            notes.push(format!("{stem}: no-transaction (from the source tool)"));
        }
    }
    out.notes = notes;
    out
}

/// The slug: lowercased, every character outside `[a-z0-9_]` a `_`.
fn slugify(s: &str) -> String {
    let slug: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        "migration".to_owned()
    } else {
        slug
    }
}

/// pop/fizz's `{{ index .Options "Namespace" }}` (supabase/auth) is its schema, `auth`.
fn body(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("{{") {
        return bytes.to_vec();
    }
    let mut out = String::new();
    let mut rest = &*text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner: Vec<&str> = rest[start + 2..start + len].split_whitespace().collect();
        out.push_str(&rest[..start]);
        if inner == ["index", ".Options", "\"Namespace\""] {
            out.push_str("auth");
        } else {
            out.push_str(&rest[start..start + len + 2]);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// sqlx's `-- no-transaction` on the first line.
fn sqlx_no_transaction(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    first.trim_ascii() == b"-- no-transaction"
}

/// `[V]<digits><sep><name>`: the version and the name.
fn versioned(stem: &str) -> Option<(i64, &str)> {
    let stem = stem
        .strip_prefix('V')
        .or_else(|| stem.strip_prefix('v'))
        .unwrap_or(stem);
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = &stem[digits..];
    let name = rest.strip_prefix(['.', '_', '-'])?;
    if name.is_empty() {
        return None;
    }
    Some((stem[..digits].parse().ok()?, name))
}

fn flat(files: &[SourceFile], notes: &mut Vec<String>) -> Vec<Entry> {
    let mut groups: BTreeMap<String, Entry> = BTreeMap::new();
    for f in files {
        let name = &f.path;
        if name.contains('/') || !name.ends_with(".sql") {
            continue;
        }
        let base = &name[..name.len() - 4];
        let (base, kind) = if let Some(b) = base.strip_suffix(".up") {
            (b, "up")
        } else if let Some(b) = base.strip_suffix(".down") {
            (b, "down")
        } else {
            (base, "only")
        };
        let Some((version, slug)) = versioned(base) else {
            notes.push(format!("skipped {name}: no version in the name"));
            continue;
        };
        let e = groups.entry(base.to_owned()).or_insert_with(|| Entry {
            key: (version, 0, base.to_owned()),
            version,
            slug: slugify(slug),
            up: None,
            down: None,
            only: None,
            no_transaction: false,
        });
        let file = Some((name.clone(), body(&f.bytes)));
        match kind {
            "up" => e.up = file,
            "down" => e.down = file,
            _ => e.only = file,
        }
        e.no_transaction |= sqlx_no_transaction(&f.bytes);
    }
    let paired = groups.values().any(|e| e.up.is_some() || e.down.is_some());
    groups
        .into_values()
        .filter(|e| {
            let plain = e.up.is_none() && e.down.is_none();
            if paired && plain {
                // golang-migrate and friends read only `.up.sql`/`.down.sql`: a plain `.sql`
                // next to them is never run by the source tool.
                let name = &e.only.as_ref().expect("a plain file").0;
                notes.push(format!(
                    "skipped {name}: plain .sql among .up/.down pairs (the source tool ignores it)"
                ));
            }
            !(paired && plain)
        })
        .collect()
}

/// diesel's directory names: `2019-01-01-120000[-NNNN]_name` (also `2019-01-01_120000_name` and
/// `20190101120000_name`), else `<digits>_name`.
fn diesel_name(dir: &str) -> Option<(i64, i64, &str)> {
    let b = dir.as_bytes();
    let mut digits = String::new();
    let mut i = 0;
    for (group, len) in [(0, 4), (1, 2), (2, 2), (3, 6)] {
        if group > 0 && i < b.len() && (b[i] == b'-' || (group == 3 && b[i] == b'_')) {
            i += 1;
        }
        let part = dir.get(i..i + len)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return plain_name(dir);
        }
        digits.push_str(part);
        i += len;
    }
    let mut sub = 0;
    if b.get(i) == Some(&b'-') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 && matches!(b.get(i + 1 + n), Some(b'_' | b'-')) {
            sub = dir[i + 1..i + 1 + n].parse().ok()?;
            i += 1 + n;
        }
    }
    let name = dir.get(i..)?.strip_prefix(['_', '-'])?;
    if name.is_empty() {
        return plain_name(dir);
    }
    Some((digits.parse().ok()?, sub, name))
}

fn plain_name(dir: &str) -> Option<(i64, i64, &str)> {
    let digits = dir.bytes().take_while(u8::is_ascii_digit).count();
    let name = dir.get(digits..)?.strip_prefix(['_', '-'])?;
    (digits > 0 && !name.is_empty()).then_some(())?;
    Some((dir[..digits].parse().ok()?, 0, name))
}

fn diesel(files: &[SourceFile], notes: &mut Vec<String>) -> Vec<Entry> {
    let mut dirs: BTreeMap<&str, Vec<&SourceFile>> = BTreeMap::new();
    for f in files {
        if let Some((dir, _)) = f.path.split_once('/') {
            dirs.entry(dir).or_default().push(f);
        }
    }
    let mut entries = Vec::new();
    for (dir, inside) in dirs {
        let Some((version, sub, slug)) = diesel_name(dir) else {
            notes.push(format!("skipped {dir}/: no version in the name"));
            continue;
        };
        let find = |file: &str| {
            inside
                .iter()
                .find(|f| f.path == format!("{dir}/{file}"))
                .map(|f| (f.path.clone(), body(&f.bytes)))
        };
        let (up, down) = (find("up.sql"), find("down.sql"));
        if up.is_none() && down.is_none() {
            notes.push(format!("skipped {dir}/: no up.sql or down.sql"));
            continue;
        }
        let meta = find("metadata.toml").is_some_and(|(_, m)| {
            String::from_utf8_lossy(&m).lines().any(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l.starts_with("run_in_transaction=false")
            })
        });
        let no_transaction = meta
            || up.as_ref().is_some_and(|(_, b)| sqlx_no_transaction(b))
            || down.as_ref().is_some_and(|(_, b)| sqlx_no_transaction(b));
        entries.push(Entry {
            key: (version, sub, dir.to_owned()),
            version,
            slug: slugify(slug),
            up,
            down,
            only: None,
            no_transaction,
        });
    }
    entries
}

/// goose's annotation on a line (`-- +goose Up`), lowercased, if the line is one.
fn goose_annotation(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose")?;
    Some(rest.trim().to_lowercase())
}

fn goose(files: &[SourceFile], notes: &mut Vec<String>) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut go = 0;
    for f in files {
        if f.path.contains('/') {
            continue;
        }
        if f.path.ends_with(".go") && !f.path.ends_with("_test.go") {
            go += 1;
            continue;
        }
        let Some(stem) = f.path.strip_suffix(".sql") else {
            continue;
        };
        let Some((version, slug)) = versioned(stem) else {
            notes.push(format!("skipped {}: no version in the name", f.path));
            continue;
        };
        let text = String::from_utf8_lossy(&body(&f.bytes)).into_owned();
        // Each annotation line becomes an empty line, so that line numbers stay close to the
        // original's within a section.
        let (mut up, mut down) = (None::<String>, None::<String>);
        let mut in_down = None;
        let mut no_transaction = false;
        for line in text.split_inclusive('\n') {
            match goose_annotation(line).as_deref() {
                Some("up") => {
                    in_down = Some(false);
                    up.get_or_insert_with(String::new);
                }
                Some("down") => {
                    in_down = Some(true);
                    down.get_or_insert_with(String::new);
                }
                Some("no transaction") => no_transaction = true,
                Some(_) => {
                    // StatementBegin/End, ENVSUB ON/OFF: markers for goose's own splitter.
                    if let Some(section) = if in_down == Some(true) {
                        down.as_mut()
                    } else {
                        up.as_mut()
                    } {
                        section.push('\n');
                    }
                }
                None => match in_down {
                    Some(true) => down.get_or_insert_with(String::new).push_str(line),
                    Some(false) => up.get_or_insert_with(String::new).push_str(line),
                    None => {}
                },
            }
        }
        let Some(up) = up else {
            notes.push(format!("skipped {}: no `-- +goose Up` section", f.path));
            continue;
        };
        entries.push(Entry {
            key: (version, 0, f.path.clone()),
            version,
            slug: slugify(slug),
            up: Some((f.path.clone(), up.into_bytes())),
            down: down.map(|d| (f.path.clone(), d.into_bytes())),
            only: None,
            no_transaction,
        });
    }
    if go > 0 {
        notes.push(format!(
            "skipped {go} Go migration(s): their code is not SQL, and the history may depend on what they do"
        ));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<SourceFile> {
        list.iter()
            .map(|(p, b)| SourceFile {
                path: (*p).to_owned(),
                bytes: b.as_bytes().to_vec(),
            })
            .collect()
    }

    fn names(c: &Converted) -> Vec<(&str, &str)> {
        c.files
            .iter()
            .map(|(n, _, o)| (n.as_str(), o.as_str()))
            .collect()
    }

    fn text<'a>(c: &'a Converted, name: &str) -> &'a str {
        let (_, bytes, _) = c.files.iter().find(|(n, _, _)| n == name).unwrap();
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn flat_pairs_versions_and_plain_files() {
        let c = convert(
            &files(&[
                ("000001_Create-Users.up.sql", "a"),
                ("000001_Create-Users.down.sql", "b"),
                ("000002_seed.up.sql", "-- no-transaction\nc"),
                ("2_stray.sql", "d"),
                ("3_lone.down.sql", "f"),
                ("README.md", "e"),
            ]),
            Layout::Flat,
            None,
        );
        assert_eq!(
            names(&c),
            [
                ("1_create_users.up.sql", "000001_Create-Users.up.sql"),
                ("1_create_users.down.sql", "000001_Create-Users.down.sql"),
                ("2_seed.sql", "000002_seed.up.sql"),
            ]
        );
        assert_eq!(
            text(&c, "2_seed.sql"),
            "-- migrate:no-transaction\n-- no-transaction\nc"
        );
        assert!(
            c.notes.iter().any(|n| n.contains("skipped 2_stray.sql")),
            "{:?}",
            c.notes
        );
        assert_eq!(c.migrations, 2);
    }

    #[test]
    fn flat_shared_versions_are_renumbered_in_order() {
        let c = convert(
            &files(&[
                ("V0001.A.up.sql", "a"),
                ("V0001.B.up.sql", "b"),
                ("V0002.C.up.sql", "c"),
            ]),
            Layout::Flat,
            None,
        );
        let got: Vec<_> = c.files.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(got, ["1_a.sql", "2_b.sql", "3_c.sql"]);
        assert!(
            c.notes.iter().any(|n| n.contains("1->2, 2->3")),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn diesel_directories_and_metadata() {
        let c = convert(
            &files(&[
                ("00000000000000_diesel_initial_setup/up.sql", "a"),
                ("00000000000000_diesel_initial_setup/down.sql", "b"),
                ("2019-01-01-120000_add_x/up.sql", "c"),
                ("2019-01-01-120000_add_x/down.sql", "d"),
                (
                    "2019-01-01-120000_add_x/metadata.toml",
                    "run_in_transaction = false\n",
                ),
                ("2019-01-01-120000-0001_add_y/up.sql", "e"),
                ("2019-01-02_130000_z/up.sql", "f"),
                ("notes/readme.txt", "g"),
            ]),
            Layout::Diesel,
            None,
        );
        assert_eq!(
            names(&c),
            [
                (
                    "1_diesel_initial_setup.up.sql",
                    "00000000000000_diesel_initial_setup/up.sql"
                ),
                (
                    "1_diesel_initial_setup.down.sql",
                    "00000000000000_diesel_initial_setup/down.sql"
                ),
                (
                    "20190101120000_add_x.up.sql",
                    "2019-01-01-120000_add_x/up.sql"
                ),
                (
                    "20190101120000_add_x.down.sql",
                    "2019-01-01-120000_add_x/down.sql"
                ),
                (
                    "20190101120001_add_y.sql",
                    "2019-01-01-120000-0001_add_y/up.sql"
                ),
                ("20190102130000_z.sql", "2019-01-02_130000_z/up.sql"),
            ]
        );
        assert_eq!(
            text(&c, "20190101120000_add_x.down.sql"),
            "-- migrate:no-transaction\nd"
        );
    }

    #[test]
    fn goose_sections_become_two_scripts() {
        let c = convert(
            &files(&[
                (
                    "00001_make_t.sql",
                    "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (a int);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE t;\n",
                ),
                (
                    "00002_fill.sql",
                    "-- +goose NO TRANSACTION\n-- +goose up\nINSERT INTO t VALUES (1);\n",
                ),
                ("00003_code.go", "package migrations"),
            ]),
            Layout::Goose,
            None,
        );
        assert_eq!(
            names(&c),
            [
                ("1_make_t.up.sql", "00001_make_t.sql"),
                ("1_make_t.down.sql", "00001_make_t.sql"),
                ("2_fill.sql", "00002_fill.sql"),
            ]
        );
        assert_eq!(
            text(&c, "1_make_t.up.sql"),
            "\nCREATE TABLE t (a int);\n\n\n"
        );
        assert_eq!(text(&c, "1_make_t.down.sql"), "DROP TABLE t;\n");
        assert_eq!(
            text(&c, "2_fill.sql"),
            "-- migrate:no-transaction\nINSERT INTO t VALUES (1);\n"
        );
        assert!(
            c.notes.iter().any(|n| n.contains("1 Go migration")),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn a_setup_is_an_up_only_first_migration() {
        let c = convert(
            &files(&[("00_init.up.sql", "a"), ("00_init.down.sql", "b")]),
            Layout::Flat,
            Some("CREATE SCHEMA IF NOT EXISTS auth;"),
        );
        let got: Vec<_> = c.files.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            got,
            ["1_corpus_setup.sql", "2_init.up.sql", "2_init.down.sql"]
        );
        assert_eq!(
            text(&c, "1_corpus_setup.sql"),
            "-- migrate:irreversible the environment the source tool expects\nCREATE SCHEMA IF NOT EXISTS auth;\n"
        );
    }

    #[test]
    fn the_namespace_template_is_its_schema() {
        assert_eq!(
            body(b"CREATE TABLE {{ index .Options \"Namespace\" }}.users ({{x}});"),
            b"CREATE TABLE auth.users ({{x}});"
        );
    }
}
