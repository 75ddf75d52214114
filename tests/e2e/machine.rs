//! Output for machines, from the real binary: the versioned JSON documents (insta snapshots,
//! with what changes from run to run redacted), SARIF validated against the SARIF 2.1.0
//! schema, `--message-format short` and GitHub Actions annotations.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Project, expect};
use crate::test_db::TestDb;

/// A project with one clean applied migration and one whose down is empty (an error) and
/// whose up drops a column (a warning) — on SQLite, the embedded default's dialect.
fn project() -> Project {
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);\n",
        "DROP TABLE users;\n",
    )
    .pair(
        "2_drop_legacy",
        "-- the old column\nALTER TABLE users DROP COLUMN legacy;\n",
        "-- nothing\n",
    );
    p
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

#[test]
fn lint_and_check_print_versioned_json_documents() {
    let p = project();
    let lint = json(&expect(p.cmd(&["lint", "--format", "json"]), 1).stdout);
    insta::assert_json_snapshot!("lint", lint, { ".findings[].doc" => "[doc]" });

    let db = TestDb::sqlite();
    std::fs::write(
        p.migrations().join("2_drop_legacy.down.sql"),
        "ALTER TABLE users ADD COLUMN legacy TEXT;\n",
    )
    .unwrap();
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let check = json(&expect(p.on(&db, &["check", "--format", "json"]), 1).stdout);
    insta::assert_json_snapshot!("check", check, { ".findings[].doc" => "[doc]" });
}

#[test]
fn status_history_and_dump_print_versioned_json_documents() {
    let p = project();
    std::fs::write(p.migrations().join("2_drop_legacy.down.sql"), "SELECT 1;\n").unwrap();
    let db = TestDb::sqlite();
    expect(p.on(&db, &["up", "--to", "1"]), 0);
    let redactions = |v: &mut serde_json::Value| {
        assert!(
            v["database"].as_str().unwrap().starts_with("sqlite:"),
            "{v}"
        );
        v["database"] = "[database]".into();
    };
    let mut status = json(&expect(p.on(&db, &["status", "--format", "json"]), 0).stdout);
    redactions(&mut status);
    insta::assert_json_snapshot!("status", status, {
        ".migrations[].applied_at" => unless_null("[time]"),
        ".migrations[].applied_by" => unless_null("[user]"),
        ".migrations[].execution_us" => unless_null("[us]"),
    });
    let mut history = json(&expect(p.on(&db, &["history", "--format", "json"]), 0).stdout);
    redactions(&mut history);
    insta::assert_json_snapshot!("history", history, {
        ".migrations[].applied_at" => unless_null("[time]"),
        ".migrations[].applied_by" => unless_null("[user]"),
        ".migrations[].execution_us" => unless_null("[us]"),
    });
    let dump = json(&expect(p.on(&db, &["dump", "--format", "json"]), 0).stdout);
    insta::assert_json_snapshot!("dump", dump);
}

/// Replaces a value that changes from run to run by `label`, and leaves a null alone (a
/// pending migration's).
fn unless_null(label: &'static str) -> insta::internals::Redaction {
    insta::dynamic_redaction(
        move |value, _| {
            if value.is_nil() { value } else { label.into() }
        },
    )
}

/// The SARIF 2.1.0 schema (OASIS), as the serde-sarif crate ships it.
fn sarif_schema() -> serde_json::Value {
    // The host's packages only: the others (Windows-only crates, say) may not be downloaded.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata = json(&String::from_utf8_lossy(&out.stdout));
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif is a dev-dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let schema = PathBuf::from(manifest).with_file_name("src/schema.json");
    let mut schema = json(&std::fs::read_to_string(&schema).unwrap());
    // The published schema's one pattern that is not a valid regular expression (a stray `]`,
    // on `language`, which this tool does not write): its intended meaning, so that the
    // validator compiles the rest.
    for owner in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    schema
}

fn assert_valid_sarif(log: &serde_json::Value) {
    let validator = jsonschema::validator_for(&sarif_schema()).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{log:#}");
}

#[test]
fn lint_and_check_print_sarif_that_the_schema_accepts() {
    let p = project();
    let lint = json(&expect(p.cmd(&["lint", "--format", "sarif"]), 1).stdout);
    assert_valid_sarif(&lint);
    insta::assert_json_snapshot!("sarif", lint, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.rules[].helpUri" => "[doc]",
    });
    // The validator does reject what the schema forbids.
    let mut wrong = lint.clone();
    wrong["runs"][0]["results"][0]["level"] = "fatal".into();
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    assert!(!validator.is_valid(&wrong));
    let results = lint["runs"][0]["results"].as_array().unwrap();
    let empty = results
        .iter()
        .find(|r| r["ruleId"] == "empty-down-script")
        .unwrap_or_else(|| panic!("{lint:#}"));
    assert_eq!(empty["level"], "error");
    let location = &empty["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "migrations/2_drop_legacy.down.sql"
    );
    let rules = lint["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let index = empty["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "empty-down-script");
    assert!(
        rules[index]["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/docs/lints/empty-down-script.md")
    );
    let dropped = results
        .iter()
        .find(|r| r["ruleId"] == "ban-drop-column")
        .unwrap_or_else(|| panic!("{lint:#}"));
    assert_eq!(dropped["level"], "warning");
    let region = &dropped["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 2, "{lint:#}");
    assert_eq!(region["startColumn"], 1, "{lint:#}");

    let db = TestDb::sqlite();
    let check = json(&expect(p.on(&db, &["check", "--format", "sarif"]), 1).stdout);
    assert_valid_sarif(&check);
    // A clean project is a valid log with no results.
    let clean = Project::new();
    clean.pair("1_t", "CREATE TABLE t (id INTEGER);\n", "DROP TABLE t;\n");
    let empty = json(&expect(clean.cmd(&["lint", "--format", "sarif"]), 0).stdout);
    assert_valid_sarif(&empty);
    assert_eq!(empty["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn short_messages_are_one_line_per_finding() {
    let p = project();
    let out = expect(p.cmd(&["lint", "--message-format", "short"]), 1);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("migrations/"))
        .collect();
    assert!(
        lines.contains(&"migrations/2_drop_legacy.up.sql:2:1: warning[ban-drop-column]: the up script drops column users.legacy: its data is lost"),
        "{}",
        out.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("migrations/2_drop_legacy.down.sql:")
                && l.contains(": error[empty-down-script]: ")),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains('│'),
        "no report boxes:\n{}",
        out.stderr
    );
}

#[test]
fn github_actions_gets_an_annotation_per_finding() {
    let p = project();
    let mut cmd = p.cmd(&["lint"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let out = expect(cmd, 1);
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 2, "{}", out.stdout);
    let docs = format!("{}/", env!("CARGO_PKG_VERSION"));
    insta::assert_snapshot!(
        "annotations",
        out.stdout
            .replace(&format!("blob/v{docs}"), "blob/[version]/")
            .replace("blob/main/", "blob/[version]/")
    );
    assert!(
        annotations
            .iter()
            .any(|a| a.starts_with(
                "::warning file=migrations/2_drop_legacy.up.sql,line=2,col=1,endLine=2,endColumn="
            ) && a.contains(",title=ban-drop-column::the up script drops column")),
        "{}",
        out.stdout
    );
    assert!(
        annotations
            .iter()
            .any(|a| a.starts_with("::error file=migrations/2_drop_legacy.down.sql,")),
        "{}",
        out.stdout
    );
    // The report for people is still on stderr.
    assert!(out.stderr.contains("empty-down-script"), "{}", out.stderr);
    // Outside GitHub Actions, stdout stays empty.
    assert_eq!(expect(p.cmd(&["lint"]), 1).stdout, "");
    // check annotates a migration that needs attention on its up file.
    std::fs::write(p.migrations().join("2_drop_legacy.down.sql"), "SELECT 1;\n").unwrap();
    let db = TestDb::sqlite();
    let mut cmd = p.on(&db, &["check"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let out = expect(cmd, 1);
    assert!(
        out.stdout.lines().any(|l| l
            == "::error file=migrations/1_users.up.sql,title=pending::1_users is pending: run `cargo migrate up`"),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_prints_a_versioned_json_document() {
    let p = Project::new();
    p.pair(
        "1_users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        "DROP TABLE users;\n",
    )
    .pair(
        "2_posts",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nCREATE INDEX posts_id ON posts (id);\n",
        "DROP INDEX posts_id;\n",
    );
    let db = TestDb::sqlite();
    let out = expect(p.on(&db, &["verify", "--format", "json"]), 1);
    let doc = json(&out.stdout);
    insta::assert_json_snapshot!("verify", doc);
    // The diagnostics and the progress lines for people are still on stderr.
    assert!(
        out.stderr.contains("Verifying 1_users [1/2]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Verifying 2_posts [2/2]"),
        "{}",
        out.stderr
    );
}
