use super::*;

fn users() -> Snapshot {
    let mut s = Snapshot::new("postgres");
    let mut t = Table::default();
    t.columns.insert(
        "id".into(),
        Column {
            data_type: "bigint".into(),
            nullable: false,
            ..Column::default()
        },
    );
    t.columns.insert(
        "email".into(),
        Column {
            data_type: "text".into(),
            nullable: true,
            ..Column::default()
        },
    );
    t.constraints.insert(
        "users_pkey".into(),
        Constraint {
            kind: ConstraintKind::PrimaryKey,
            name: None,
            definition: "PRIMARY KEY (id)".into(),
        },
    );
    s.tables.insert("users".into(), Arc::new(t));
    s
}

fn users_table(s: &mut Snapshot) -> &mut Table {
    Arc::make_mut(s.tables.get_mut("users").unwrap())
}

fn messages(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    diff(before, after)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn equal_snapshots_have_no_differences() {
    assert!(diff(&users(), &users()).is_empty());
}

#[test]
fn left_over_and_missing_objects_are_named() {
    let before = users();
    let mut after = users();
    after.indexes.insert(
        "users_email_idx".into(),
        Arc::new(Index {
            table: "users".into(),
            method: "btree".into(),
            columns: vec!["email".into()],
            ..Index::default()
        }),
    );
    users_table(&mut after).columns.remove("email");
    assert_eq!(
        messages(&before, &after),
        [
            "column users.email is missing after down",
            "index users_email_idx is left after down"
        ]
    );
}

#[test]
fn a_missing_table_is_one_difference_not_one_per_column() {
    let mut after = users();
    after.tables.clear();
    assert_eq!(
        messages(&users(), &after),
        ["table users is missing after down"]
    );
    assert_eq!(
        messages(&after, &users()),
        ["table users is left after down"]
    );
}

#[test]
fn changed_attributes_say_before_and_after() {
    let mut before = users();
    let mut after = users();
    users_table(&mut before)
        .columns
        .get_mut("email")
        .unwrap()
        .data_type = "integer".into();
    let email = users_table(&mut after).columns.get_mut("email").unwrap();
    email.data_type = "numeric(10,2)".into();
    email.nullable = false;
    email.default = Some("0".into());
    assert_eq!(
        messages(&before, &after),
        [
            "column users.email has type numeric(10,2) after down, integer before",
            "column users.email is not null after down, nullable before",
            "column users.email has default 0 after down, no default before",
        ]
    );
}

#[test]
fn an_index_definition_is_reported_only_when_nothing_more_precise_differs() {
    let index = |columns: &[&str], def: &str| {
        Arc::new(Index {
            table: "users".into(),
            method: "btree".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            definition: Some(def.into()),
            ..Index::default()
        })
    };
    let mut before = users();
    let mut after = users();
    before.indexes.insert(
        "i".into(),
        index(&["email"], "CREATE INDEX i ON users (email)"),
    );
    after.indexes.insert(
        "i".into(),
        index(&["email", "id"], "CREATE INDEX i ON users (email, id)"),
    );
    assert_eq!(
        messages(&before, &after),
        ["index i has columns (email, id) after down, (email) before"]
    );
    after.indexes.insert(
        "i".into(),
        index(&["email"], "CREATE INDEX i ON users (email DESC)"),
    );
    assert_eq!(
        messages(&before, &after),
        [
            "index i has definition CREATE INDEX i ON users (email DESC) after down, CREATE INDEX i ON users (email) before"
        ]
    );
}

#[test]
fn whitespace_is_normalised_outside_quotes() {
    assert_eq!(
        sql::normalize_sql("CREATE  VIEW v AS\n  SELECT ( a ,  b ) FROM t WHERE x = 'a  b'\n"),
        "CREATE VIEW v AS SELECT (a, b) FROM t WHERE x = 'a  b'"
    );
}

#[test]
fn sql_rendering_is_stable() {
    let sql = users().to_sql();
    assert!(
        sql.contains(
            "CREATE TABLE users (\n    email text,\n    id bigint NOT NULL,\n    CONSTRAINT users_pkey PRIMARY KEY (id)\n);"
        ),
        "{sql}"
    );
}
