//! Migration file names: `<VERSION>_<slug>.up.sql`, `<VERSION>_<slug>.down.sql` and the up-only
//! `<VERSION>_<slug>.sql`.

/// Which script a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Up,
    Down,
    /// `<VERSION>_<slug>.sql`: an up script with no down, on purpose.
    UpOnly,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationName {
    pub version: i64,
    pub slug: String,
    pub kind: FileKind,
}

/// Parses a migration file name. `Ok(None)` means the file is not a migration at all (it does
/// not end in `.sql`); `Err` says why a `.sql` file's name is not a valid migration name.
pub fn parse_file_name(name: &str) -> Result<Option<MigrationName>, String> {
    let Some(stem) = name.strip_suffix(".sql") else {
        return Ok(None);
    };
    let (stem, kind) = if let Some(s) = stem.strip_suffix(".up") {
        (s, FileKind::Up)
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, FileKind::Down)
    } else {
        (stem, FileKind::UpOnly)
    };
    let Some((version, slug)) = stem.split_once('_') else {
        return Err("expected `<VERSION>_<slug>.up.sql`, `.down.sql` or `.sql`".into());
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the version `{version}` is not a positive integer (expected digits such as 20240131093000)"
        ));
    }
    let version: i64 = version
        .parse()
        .map_err(|_| format!("the version `{version}` does not fit in a 64-bit signed integer"))?;
    if version == 0 {
        return Err("the version must be greater than zero".into());
    }
    if slug.is_empty() {
        return Err("the name after the version is empty".into());
    }
    if let Some(bad) = slug
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "the name `{slug}` has `{bad}`; names use only lowercase letters, digits and `_`"
        ));
    }
    Ok(Some(MigrationName {
        version,
        slug: slug.to_owned(),
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> MigrationName {
        parse_file_name(name).unwrap().unwrap()
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(
            ok("20240101120000_create_users.up.sql"),
            MigrationName {
                version: 20240101120000,
                slug: "create_users".into(),
                kind: FileKind::Up
            }
        );
        assert_eq!(ok("1_a.down.sql").kind, FileKind::Down);
        assert_eq!(ok("0007_seed_2.sql").kind, FileKind::UpOnly);
        assert_eq!(ok("0007_seed_2.sql").version, 7);
    }

    #[test]
    fn non_sql_files_are_not_migrations() {
        assert_eq!(parse_file_name("README.md"), Ok(None));
        assert_eq!(parse_file_name("migrate.lock"), Ok(None));
    }

    #[test]
    fn bad_names_say_why() {
        for (name, why) in [
            ("create_users.sql", "not a positive integer"),
            ("20240101.up.sql", "expected `<VERSION>_<slug>"),
            ("-5_x.sql", "not a positive integer"),
            ("0_x.sql", "greater than zero"),
            ("99999999999999999999_x.sql", "does not fit"),
            ("1_Create-Users.up.sql", "lowercase"),
            ("1_.sql", "empty"),
        ] {
            let err = parse_file_name(name).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
    }
}
