//! ## What it does
//! Flags a migration file that is not valid UTF-8, pointing at the first invalid byte.
//!
//! ## Why is this bad?
//! The checksum, the parser and the database would each read such a file differently; a file
//! saved as Latin-1 or UTF-16 by an editor usually holds text that the server would mangle.
//!
//! ## Example
//! A file saved as Latin-1: `INSERT INTO cities VALUES ('Malm\xf6');`
//!
//! ## Use instead
//! Save the file as UTF-8: `INSERT INTO cities VALUES ('Malmö');`

use super::{Rule, RuleId};

pub(super) const RULE: Rule = Rule::found_while_loading(RuleId::NonUtf8File);

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::lints::test_support::check;

    #[test]
    fn bad_and_good() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1_a.up.sql"), b"SELECT 'Malm\xf6';\n").unwrap();
        let set = crate::MigrationSet::load(dir.path(), "migrations").unwrap();
        assert_eq!(set.findings[0].rule, crate::lints::RuleId::NonUtf8File);
        let mut rendered = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false)
            .render_report(&mut rendered, &set.findings[0])
            .unwrap();
        insta::assert_snapshot!(rendered);
        // Found by the loading property (issue 11): the label ended inside the replacement
        // character that stands for the bad byte.
        let label = set.findings[0].span.clone().unwrap();
        assert_eq!(
            &set.findings[0].source.as_deref().unwrap()[label],
            "\u{fffd}"
        );
        assert_eq!(
            check(
                Dialect::Postgres,
                &[("1_a.up.sql", "SELECT 'Malmö';")],
                "non-utf8-file"
            ),
            ""
        );
    }
}
