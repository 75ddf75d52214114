//! What another tool's tracking table says was applied, checked against the files: a failed or
//! dirty state and a checksum that differs from the file are refused with the fix (pure).

use std::hash::{Hash, Hasher};

use crate::error::{Error, Result};
use crate::foreign::{Found, Tool, truthy};

/// A migration of the history as the source tool knew it.
#[derive(Clone, Debug)]
pub struct Known {
    /// The version as the tool writes it.
    pub tool_version: String,
    /// Ours.
    pub version: i64,
    /// The tool's name for it (refinery hashes it).
    pub name: String,
    /// The text the tool checksums, when the files are converted in this run.
    pub checksummed: Option<String>,
    /// Its file, for messages.
    pub file: String,
}

/// The versions (ours) that `found`'s rows say are applied, in order, and how many of the
/// tool's checksums were compared with the files.
#[derive(Debug, PartialEq, Eq)]
pub struct Adopted {
    pub versions: Vec<i64>,
    pub checksums_compared: usize,
}

type Row = Vec<Option<String>>;

fn col(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|c| c.as_deref())
}

/// Versions compare as numbers part by part (`000001` is `1`; `1.1` is not `1.10`).
fn same_version(a: &str, b: &str) -> bool {
    let norm = |v: &str| -> Vec<String> {
        v.trim()
            .replace('-', "")
            .split(['.', '_'])
            .map(|p| {
                let t = p.trim_start_matches('0');
                if t.is_empty() { "0" } else { t }.to_owned()
            })
            .collect()
    };
    norm(a) == norm(b)
}

/// Reads what `found`'s rows (as [`crate::foreign::read_rows`] selects them) say, against the
/// history in `known`.
pub fn adopt(found: &Found, rows: &[Row], known: &[Known]) -> Result<Adopted> {
    let tool = found.tool;
    let table = &found.table;
    let name = tool.name();
    // (tool version, stored checksum) of every migration the tool counts as applied.
    let mut applied: Vec<(String, Option<String>)> = Vec::new();
    match tool {
        Tool::Sqlx => {
            for row in rows {
                let version = col(row, 0).unwrap_or_default().to_owned();
                if !truthy(col(row, 2)) {
                    return Err(dirty(
                        found,
                        &version,
                        &format!(
                            "finish or undo what it did by hand, then delete its row (`DELETE FROM {table} WHERE version = {version};`), and run `cargo migrate import` again"
                        ),
                    ));
                }
                applied.push((version, col(row, 3).map(str::to_owned)));
            }
        }
        Tool::Diesel | Tool::Dbmate => {
            for row in rows {
                applied.push((col(row, 0).unwrap_or_default().to_owned(), None));
            }
        }
        Tool::Refinery => {
            for row in rows {
                applied.push((
                    col(row, 0).unwrap_or_default().to_owned(),
                    col(row, 2).map(str::to_owned),
                ));
            }
        }
        Tool::GolangMigrate => {
            if rows.len() > 1 {
                return Err(Error::refused(
                    format!(
                        "{table} has {} rows; golang-migrate keeps exactly one (the current version)",
                        rows.len()
                    ),
                    format!(
                        "nothing was changed; check the table by hand (`SELECT * FROM {table};`): it may not be golang-migrate's"
                    ),
                ));
            }
            if let Some(row) = rows.first() {
                let current = col(row, 0).unwrap_or_default().to_owned();
                if truthy(col(row, 1)) {
                    return Err(dirty(
                        found,
                        &current,
                        &format!(
                            "fix the schema by hand, then tell golang-migrate which version it is at (`migrate force {current}`, or the version before it if you undid it), and run `cargo migrate import` again"
                        ),
                    ));
                }
                let current_key: Option<u128> = current.trim().parse().ok();
                for k in known {
                    let key: Option<u128> = k.tool_version.trim().parse().ok();
                    if let (Some(key), Some(current)) = (key, current_key)
                        && key <= current
                    {
                        applied.push((k.tool_version.clone(), None));
                    }
                }
                if !known
                    .iter()
                    .any(|k| same_version(&k.tool_version, &current))
                {
                    applied.push((current, None));
                }
            }
        }
        Tool::Goose => {
            let mut state: Vec<(String, bool)> = Vec::new();
            for row in rows {
                let version = col(row, 0).unwrap_or_default().to_owned();
                if same_version(&version, "0") {
                    continue;
                }
                let is_applied = truthy(col(row, 1));
                match state.iter_mut().find(|(v, _)| same_version(v, &version)) {
                    Some(entry) => entry.1 = is_applied,
                    None => state.push((version, is_applied)),
                }
            }
            applied.extend(
                state
                    .into_iter()
                    .filter(|(_, a)| *a)
                    .map(|(v, _)| (v, None)),
            );
        }
        Tool::Flyway => {
            for row in rows {
                let version = col(row, 0).map(str::to_owned);
                let kind = col(row, 1).unwrap_or_default().to_ascii_uppercase();
                let script = col(row, 2).unwrap_or_default();
                if !truthy(col(row, 4)) {
                    return Err(dirty(
                        found,
                        version.as_deref().unwrap_or(script),
                        "fix the schema by hand, then remove the failed entry with `flyway repair`, and run `cargo migrate import` again",
                    ));
                }
                match (kind.as_str(), version) {
                    ("SCHEMA", _) => {}
                    ("SQL", Some(v)) => applied.push((v, col(row, 3).map(str::to_owned))),
                    ("BASELINE", Some(v)) => {
                        for k in known {
                            if flyway_key(&k.tool_version) <= flyway_key(&v)
                                && !applied
                                    .iter()
                                    .any(|(a, _)| same_version(a, &k.tool_version))
                            {
                                applied.push((k.tool_version.clone(), None));
                            }
                        }
                    }
                    ("UNDO_SQL" | "DELETE", Some(v)) => {
                        applied.retain(|(a, _)| !same_version(a, &v))
                    }
                    (_, None) => {
                        return Err(Error::refused(
                            format!(
                                "{table} records the repeatable migration {script}: cargo-migrate has no repeatable migrations"
                            ),
                            "nothing was changed; turn what it maintains into a versioned migration (or drop it), then run `cargo migrate import` again",
                        ));
                    }
                    (other, Some(v)) => {
                        return Err(Error::refused(
                            format!(
                                "{table} records version {v} ({script}) as a migration of type {other}, which is not SQL"
                            ),
                            "nothing was changed; only SQL migrations can be imported: rewrite it as a SQL migration by hand",
                        ));
                    }
                }
            }
        }
    }

    let mut versions = Vec::new();
    let mut unknown = Vec::new();
    let mut differ = Vec::new();
    let mut compared = 0;
    for (tool_version, stored) in &applied {
        let Some(k) = known
            .iter()
            .find(|k| same_version(&k.tool_version, tool_version))
        else {
            unknown.push(tool_version.clone());
            continue;
        };
        if let (Some(stored), Some(text)) = (stored, &k.checksummed) {
            let current = checksum(tool, k, text);
            compared += 1;
            if !stored.trim().eq_ignore_ascii_case(&current) {
                differ.push(format!(
                    "{} ({}): {name} recorded checksum {}, the file's is {current}",
                    k.tool_version,
                    k.file,
                    stored.trim()
                ));
            }
        }
        if !versions.contains(&k.version) {
            versions.push(k.version);
        }
    }
    if !unknown.is_empty() {
        return Err(Error::refused(
            format!(
                "{table} records {} migration(s) as applied that have no file here: {}",
                unknown.len(),
                unknown.join(", ")
            ),
            "nothing was changed; restore their files (from git history or the deployed release), then run `cargo migrate import` again",
        ));
    }
    if !differ.is_empty() {
        return Err(Error::refused(
            format!(
                "{} migration(s) were edited after {name} applied them, so the files do not say what the database ran:\n  {}",
                differ.len(),
                differ.join("\n  ")
            ),
            "nothing was changed; restore the applied text from git history (`git log -p` on the file), then run `cargo migrate import` again; if the edit is deliberate, import first with the original text and accept the edit afterwards with `cargo migrate repair`",
        ));
    }
    versions.sort_unstable();
    Ok(Adopted {
        versions,
        checksums_compared: compared,
    })
}

fn flyway_key(v: &str) -> Vec<u128> {
    v.split(['.', '_'])
        .map(|p| p.parse().unwrap_or(u128::MAX))
        .collect()
}

fn dirty(found: &Found, version: &str, fix: &str) -> Error {
    let name = found.tool.name();
    Error::refused(
        format!(
            "{name} recorded version {version} as failed (in {}): the schema may be half-migrated",
            found.table
        ),
        format!("nothing was changed; {fix}"),
    )
}

/// The checksum `tool` stores for a migration, as text: sqlx's SHA-384 (hex), refinery's
/// SipHash-1-3 of the name, version and SQL (decimal), Flyway's CRC-32 of the lines without
/// their line ends and a leading BOM (signed decimal).
pub fn checksum(tool: Tool, k: &Known, text: &str) -> String {
    match tool {
        Tool::Sqlx => {
            use sha2::Digest;
            sha2::Sha384::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
        Tool::Refinery => {
            let mut hasher = siphasher::sip::SipHasher13::new();
            k.name.hash(&mut hasher);
            k.tool_version
                .trim()
                .parse::<i32>()
                .unwrap_or_default()
                .hash(&mut hasher);
            text.hash(&mut hasher);
            hasher.finish().to_string()
        }
        Tool::Flyway => {
            const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let mut digest = CRC.digest();
            for line in text.split(['\n', '\r']) {
                digest.update(line.as_bytes());
            }
            // Java's int: the same 32 bits, signed.
            (digest.finalize() as i32).to_string()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(v: &str, ours: i64, text: &str) -> Known {
        Known {
            tool_version: v.to_owned(),
            version: ours,
            name: "users".to_owned(),
            checksummed: Some(text.to_owned()),
            file: format!("{v}_users.sql"),
        }
    }

    fn rows(list: &[&[Option<&str>]]) -> Vec<Row> {
        list.iter()
            .map(|r| r.iter().map(|c| c.map(str::to_owned)).collect())
            .collect()
    }

    /// The message and the help, as a user reads them.
    fn text(e: Error) -> String {
        let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
        format!("{e} {}", help.unwrap_or_default())
    }

    fn found(tool: Tool) -> Found {
        Found {
            tool,
            table: tool.default_table().to_owned(),
        }
    }

    #[test]
    fn known_checksums() {
        let k = known("1", 1, "");
        // SHA-384 of the empty string, CRC-32 of "123456789" (the catalogue's check value,
        // 0xCBF43926, as a signed int).
        assert!(checksum(Tool::Sqlx, &k, "").starts_with("38b060a751ac9638"));
        assert_eq!(
            checksum(Tool::Flyway, &k, "1234\r\n56789\n"),
            (0xCBF43926u32 as i32).to_string()
        );
        assert_eq!(
            checksum(Tool::Flyway, &k, "\u{feff}1234\n56789"),
            checksum(Tool::Flyway, &k, "123456789")
        );
    }

    #[test]
    fn sqlx_failed_rows_and_edited_files_are_refused() {
        let k = [known("1", 1, "CREATE TABLE users (id INT);\n")];
        let good = checksum(Tool::Sqlx, &k[0], "CREATE TABLE users (id INT);\n");
        let ok = adopt(
            &found(Tool::Sqlx),
            &rows(&[&[Some("1"), Some("users"), Some("true"), Some(&good)]]),
            &k,
        )
        .unwrap();
        assert_eq!(
            ok,
            Adopted {
                versions: vec![1],
                checksums_compared: 1
            }
        );
        let e = adopt(
            &found(Tool::Sqlx),
            &rows(&[&[Some("1"), Some("users"), Some("false"), Some(&good)]]),
            &k,
        )
        .unwrap_err();
        let e = text(e);
        assert!(e.contains("sqlx recorded version 1 as failed"), "{e}");
        let e = adopt(
            &found(Tool::Sqlx),
            &rows(&[&[Some("1"), Some("users"), Some("1"), Some("00")]]),
            &k,
        )
        .unwrap_err();
        let e = text(e);
        assert!(e.contains("edited after sqlx applied them"), "{e}");
        let e = adopt(
            &found(Tool::Sqlx),
            &rows(&[&[Some("2"), Some("x"), Some("1"), Some("00")]]),
            &k,
        )
        .unwrap_err();
        let e = text(e);
        assert!(e.contains("have no file here: 2"), "{e}");
    }

    #[test]
    fn golang_migrate_goose_and_flyway_states() {
        let k = [
            known("000001", 1, ""),
            known("000002", 2, ""),
            known("000003", 3, ""),
        ];
        let g = adopt(
            &found(Tool::GolangMigrate),
            &rows(&[&[Some("2"), Some("false")]]),
            &k,
        )
        .unwrap();
        assert_eq!(g.versions, [1, 2]);
        let e = adopt(
            &found(Tool::GolangMigrate),
            &rows(&[&[Some("2"), Some("true")]]),
            &k,
        )
        .unwrap_err();
        let e = text(e);
        assert!(e.contains("migrate force 2"), "{e}");
        let goose = rows(&[
            &[Some("0"), Some("true")],
            &[Some("1"), Some("true")],
            &[Some("2"), Some("true")],
            &[Some("2"), Some("false")],
        ]);
        assert_eq!(
            adopt(&found(Tool::Goose), &goose, &k).unwrap().versions,
            [1]
        );
        let f = [known("1", 1, "a"), known("1.1", 2, "b")];
        let sums: Vec<String> = f
            .iter()
            .map(|k| checksum(Tool::Flyway, k, k.checksummed.as_deref().unwrap()))
            .collect();
        let fly = rows(&[
            &[None, Some("SCHEMA"), Some("\"public\""), None, Some("true")],
            &[
                Some("1"),
                Some("SQL"),
                Some("V1__users.sql"),
                Some(&sums[0]),
                Some("true"),
            ],
            &[
                Some("1.1"),
                Some("SQL"),
                Some("V1.1__users.sql"),
                Some(&sums[1]),
                Some("true"),
            ],
        ]);
        assert_eq!(
            adopt(&found(Tool::Flyway), &fly, &f).unwrap(),
            Adopted {
                versions: vec![1, 2],
                checksums_compared: 2
            }
        );
        let failed = rows(&[&[
            Some("1"),
            Some("SQL"),
            Some("V1__users.sql"),
            Some(&sums[0]),
            Some("false"),
        ]]);
        let e = adopt(&found(Tool::Flyway), &failed, &f).unwrap_err();
        let e = text(e);
        assert!(
            e.contains("flyway repair") || e.contains("as failed"),
            "{e}"
        );
    }
}
