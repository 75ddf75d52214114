//! The SQL that `cargo migrate new --template …` starts from, for each dialect, each with the
//! down script that undoes it.

/// The table a template names when neither `--table` nor the migration's name gives one.
pub const PLACEHOLDER_TABLE: &str = "my_table";
/// The referenced table of `add_foreign_key` when `--references` does not give one.
pub const PLACEHOLDER_REFERENCES: &str = "other_table";

use build_support::Dialect;

use crate::cli::args::Template;

/// Names a template fills in: from the flags, else guessed from the migration's name.
#[derive(Debug)]
pub struct Names {
    pub table: String,
    pub column: String,
    pub references: String,
}

/// Refuses a `--table`, `--column` or `--references` value that is not a plain identifier (a
/// table may be `schema.table`): the templates write it into SQL as it is.
pub fn check_name(flag: &str, value: &str) -> Result<(), String> {
    let parts = if flag == "--column" { 1 } else { 2 };
    let plain = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if value.split('.').count() <= parts && value.split('.').all(plain) {
        Ok(())
    } else {
        let shape = if parts == 1 {
            "a name"
        } else {
            "a name or `schema.name`"
        };
        Err(format!(
            "{flag} `{value}` is not a plain SQL name: the template writes it into the SQL as it is; give {shape} of letters, digits and `_`, not starting with a digit"
        ))
    }
}

impl Names {
    /// `create_users` → users; `add_email_to_users` → email, users; `add_index_on_users_email`
    /// → users… Anything not given and not guessable gets a placeholder to edit.
    pub fn guess(
        slug: &str,
        table: Option<&str>,
        column: Option<&str>,
        references: Option<&str>,
    ) -> Names {
        let (mut t, mut c) = (None, None);
        if let Some(rest) = slug.strip_prefix("create_") {
            t = Some(rest.trim_end_matches("_table").to_owned());
        } else if let Some((left, right)) =
            slug.split_once("_to_").or_else(|| slug.split_once("_on_"))
        {
            t = Some(right.to_owned());
            let col = left
                .trim_start_matches("add_")
                .trim_start_matches("index_")
                .trim_start_matches("fk_");
            if !col.is_empty() && col != "index" && col != "fk" && col != "foreign_key" {
                c = Some(col.to_owned());
            } else if let Some((table, column)) = right.split_once('_') {
                // `add_index_on_users_email`: the table, then the column (Rails' naming).
                (t, c) = (Some(table.to_owned()), Some(column.to_owned()));
            }
        }
        let table = table
            .map(str::to_owned)
            .or(t)
            .unwrap_or_else(|| PLACEHOLDER_TABLE.to_owned());
        let references = references
            .map(str::to_owned)
            .unwrap_or_else(|| PLACEHOLDER_REFERENCES.to_owned());
        let column = column
            .map(str::to_owned)
            .or(c)
            .unwrap_or_else(|| format!("{references}_id"));
        Names {
            table,
            column,
            references,
        }
    }
}

/// The up and down scripts (the down is `None` for an up-only migration).
pub fn render(
    template: Option<Template>,
    dialect: Dialect,
    slug: &str,
    names: &Names,
    up_only: bool,
) -> (String, Option<String>) {
    let Names {
        table,
        column,
        references,
    } = names;
    let (up, down) = match (template, dialect) {
        (None, _) => (
            format!("-- {slug}\n-- Write the schema change here. Each statement ends with `;`.\n"),
            format!("-- Revert {slug}\n-- Undo everything the up script does, in reverse order.\n"),
        ),
        (Some(Template::CreateTable), Dialect::Postgres) => (
            format!(
                "CREATE TABLE {table} (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\n"
            ),
            format!("DROP TABLE {table};\n"),
        ),
        (Some(Template::CreateTable), Dialect::MySql) => (
            format!(
                "CREATE TABLE {table} (\n    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP\n);\n"
            ),
            format!("DROP TABLE {table};\n"),
        ),
        (Some(Template::CreateTable), Dialect::Sqlite) => (
            format!(
                "CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,\n    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n"
            ),
            format!("DROP TABLE {table};\n"),
        ),
        (Some(Template::AddColumn), Dialect::Postgres) => (
            format!(
                "-- Give up instead of queueing every query on the table behind this ALTER while it\n-- waits for a long transaction; run the migration again when it fails.\nSET lock_timeout = '5s';\n-- A NOT NULL column on a table that has rows needs a DEFAULT.\nALTER TABLE {table} ADD COLUMN {column} TEXT;\n"
            ),
            format!("ALTER TABLE {table} DROP COLUMN {column};\n"),
        ),
        (Some(Template::AddColumn), _) => (
            format!(
                "-- A NOT NULL column on a table that has rows needs a DEFAULT.\nALTER TABLE {table} ADD COLUMN {column} TEXT;\n"
            ),
            format!("ALTER TABLE {table} DROP COLUMN {column};\n"),
        ),
        (Some(Template::AddIndex), Dialect::Postgres) => (
            format!(
                "-- migrate:no-transaction\n-- CONCURRENTLY builds the index without blocking writes; it cannot run in a transaction.\nCREATE INDEX CONCURRENTLY {table}_{column}_idx ON {table} ({column});\n"
            ),
            format!("-- migrate:no-transaction\nDROP INDEX CONCURRENTLY {table}_{column}_idx;\n"),
        ),
        (Some(Template::AddIndex), Dialect::MySql) => (
            format!("CREATE INDEX {table}_{column}_idx ON {table} ({column});\n"),
            format!("DROP INDEX {table}_{column}_idx ON {table};\n"),
        ),
        (Some(Template::AddIndex), Dialect::Sqlite) => (
            format!("CREATE INDEX {table}_{column}_idx ON {table} ({column});\n"),
            format!("DROP INDEX {table}_{column}_idx;\n"),
        ),
        (Some(Template::AddForeignKey), Dialect::Postgres) => (
            format!(
                "-- migrate:no-transaction\n-- Each statement commits on its own: NOT VALID adds the constraint without scanning the\n-- table, then VALIDATE checks the existing rows under a lock that blocks no reads or writes\n-- (in one transaction it would scan under the ADD's lock, which blocks writes).\nSET lock_timeout = '5s';\nALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey\n    FOREIGN KEY ({column}) REFERENCES {references} (id) NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {table}_{column}_fkey;\n"
            ),
            format!("ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey;\n"),
        ),
        (Some(Template::AddForeignKey), Dialect::MySql) => (
            // MySQL needs an index on the key's column and makes one up when there is none; an
            // index of the migration's own is one the down can name.
            format!(
                "CREATE INDEX {table}_{column}_idx ON {table} ({column});\nALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey\n    FOREIGN KEY ({column}) REFERENCES {references} (id);\n"
            ),
            format!(
                "ALTER TABLE {table} DROP FOREIGN KEY {table}_{column}_fkey;\nDROP INDEX {table}_{column}_idx ON {table};\n"
            ),
        ),
        (Some(Template::AddForeignKey), Dialect::Sqlite) => (
            format!(
                "-- SQLite cannot add a constraint to an existing table: add the column with its reference.\nALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {references} (id);\n"
            ),
            format!("ALTER TABLE {table} DROP COLUMN {column};\n"),
        ),
    };
    if up_only {
        let up =
            format!("-- migrate:irreversible {slug} cannot be undone (edit this reason)\n{up}");
        (up, None)
    } else {
        (up, Some(down))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_slug() {
        let n = Names::guess("create_users", None, None, None);
        assert_eq!(n.table, "users");
        let n = Names::guess("add_email_to_users", None, None, None);
        assert_eq!((n.table.as_str(), n.column.as_str()), ("users", "email"));
        let n = Names::guess("add_index_on_users_email", None, None, None);
        assert_eq!((n.table.as_str(), n.column.as_str()), ("users", "email"));
        let n = Names::guess("whatever", Some("orders"), None, Some("customers"));
        assert_eq!(
            (n.table.as_str(), n.column.as_str()),
            ("orders", "customers_id")
        );
    }

    #[test]
    fn every_template_has_its_down() {
        for t in [
            Template::CreateTable,
            Template::AddColumn,
            Template::AddIndex,
            Template::AddForeignKey,
        ] {
            for d in Dialect::ALL {
                let n = Names::guess("x", Some("t"), Some("c"), Some("p"));
                let (up, down) = render(Some(t), d, "x", &n, false);
                let down = down.unwrap();
                for s in [&up, &down] {
                    build_support::split_statements(s, d).unwrap();
                }
                assert!(down.contains("DROP"), "{t:?} {d}: {down}");
            }
        }
    }
}
