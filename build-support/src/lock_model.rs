//! The lock model: for each operation of a statement ([`Op`]), the locks it takes, on which
//! table or index, whether it rewrites or scans the table, and, on MySQL, which online DDL
//! algorithm it can use, by dialect and server version.
//!
//! The facts are PostgreSQL's manual (ALTER TABLE's lock level per subcommand, "Explicit
//! Locking", CREATE INDEX, REINDEX) and MySQL 8's and MariaDB's online DDL tables. A lock is
//! held until its transaction ends: in a migration's transaction, until its COMMIT.
//! `verify --locks` traces what the server really takes and reports every statement whose
//! traced lock is stronger than predicted here; a test on the real server keeps the two
//! equal for every form the model knows.

use crate::Dialect;
use crate::sql::{Alter, ConstraintKind, DefaultKind, Op};

pub use crate::sql::LockMode;

/// A server version: `15`, `8.0.29`, `10.11` (a MySQL-family version from 10 up is MariaDB's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl ServerVersion {
    /// The version assumed when neither the configuration nor a server says: the oldest
    /// release its makers still support at the end of 2026 (PostgreSQL 15; MySQL 8.4, the LTS
    /// after 8.0's end of life), so that a prediction is never better than a supported server
    /// gives.
    pub fn default_for(dialect: Dialect) -> ServerVersion {
        match dialect {
            Dialect::Postgres => ServerVersion::new(15, 0, 0),
            Dialect::MySql => ServerVersion::new(8, 4, 0),
            Dialect::Sqlite => ServerVersion::new(3, 0, 0),
        }
    }

    pub const fn new(major: u32, minor: u32, patch: u32) -> ServerVersion {
        ServerVersion {
            major,
            minor,
            patch,
        }
    }

    /// Reads `15`, `15.4`, `8.0.29`, and a server's own `version()` text (`15.20 (Debian …)`,
    /// `10.11.19-MariaDB-0+deb12u1`): the leading dotted numbers.
    pub fn parse(text: &str) -> Option<ServerVersion> {
        let numbers = text
            .trim()
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?;
        let mut parts = numbers.split('.').filter(|p| !p.is_empty());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(ServerVersion::new(major, minor, patch))
    }

    /// A MySQL-family version of MariaDB (10 and later; MySQL went from 5.7 to 8).
    pub fn is_mariadb(self) -> bool {
        self.major >= 10
    }

    fn at_least(self, major: u32, minor: u32, patch: u32) -> bool {
        self >= ServerVersion::new(major, minor, patch)
    }
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch > 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// Whether an operation writes every row of its table anew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rewrite {
    No,
    Yes,
    /// It depends on what the model cannot see from the files: why, in words.
    Unless(&'static str),
}

/// What a relation is, for a lock on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Table,
    Index,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Table => "table",
            Relation::Index => "index",
        }
    }
}

/// One lock an operation takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    pub relation: Relation,
    pub name: String,
    pub mode: LockMode,
}

/// MySQL's online DDL: the best algorithm an `ALTER TABLE` action can use and whether other
/// sessions may go on writing while it runs (`LOCK=NONE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Online {
    pub algorithm: Algorithm,
    pub concurrent_writes: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    Instant,
    Inplace,
    Copy,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        }
    }
}

/// What one operation costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// PostgreSQL: the locks, one per relation (the strongest), by name. MySQL and SQLite: none
    /// (see `online`).
    pub locks: Vec<Lock>,
    /// PostgreSQL: the mode each index of the table it locks is taken in, where that is
    /// stronger than the table's and the statement does not name the indexes (`REINDEX TABLE`
    /// rebuilds each under ACCESS EXCLUSIVE, blocking the reads that use it).
    pub each_index: Option<LockMode>,
    pub rewrite: Rewrite,
    /// Reads every row (a constraint validated, an index built, a NOT NULL checked).
    pub scan: bool,
    /// A `CONCURRENTLY` form: it waits for every transaction that might use the table and
    /// cannot run in a transaction block.
    pub waits: bool,
    /// MySQL: the online DDL an `ALTER TABLE` action can use.
    pub online: Option<Online>,
}

impl Prediction {
    fn new(locks: Vec<Lock>) -> Prediction {
        Prediction {
            locks,
            each_index: None,
            rewrite: Rewrite::No,
            scan: false,
            waits: false,
            online: None,
        }
    }

    fn rewrite(mut self, rewrite: Rewrite) -> Prediction {
        self.rewrite = rewrite;
        self
    }

    fn scan(mut self, scan: bool) -> Prediction {
        self.scan = scan;
        self
    }

    fn waits(mut self) -> Prediction {
        self.waits = true;
        self
    }

    /// The strongest lock it takes on `table`.
    pub fn mode_on(&self, table: &str) -> Option<LockMode> {
        self.locks
            .iter()
            .filter(|l| l.relation == Relation::Table && l.name == table)
            .map(|l| l.mode)
            .max()
    }

    /// The strongest lock it takes on any relation.
    pub fn strongest(&self) -> Option<LockMode> {
        self.locks
            .iter()
            .map(|l| l.mode)
            .chain(self.each_index)
            .max()
    }
}

fn table(name: &str, mode: LockMode) -> Lock {
    Lock {
        relation: Relation::Table,
        name: name.to_owned(),
        mode,
    }
}

fn index(name: &str, mode: LockMode) -> Lock {
    Lock {
        relation: Relation::Index,
        name: name.to_owned(),
        mode,
    }
}

/// What `op` costs on `dialect` at `version`; `None` when it takes no lock worth naming (a
/// `SET`), or on SQLite, where every write locks the whole database.
pub fn predict(op: &Op, dialect: Dialect, version: ServerVersion) -> Option<Prediction> {
    let mut prediction = match dialect {
        Dialect::Postgres => postgres(op, version),
        Dialect::MySql => mysql(op, version),
        Dialect::Sqlite => None,
    }?;
    // One lock per relation, the strongest (a foreign key to its own table names it twice).
    prediction
        .locks
        .sort_by(|a, b| (a.name.as_str(), b.mode).cmp(&(b.name.as_str(), a.mode)));
    prediction
        .locks
        .dedup_by(|later, first| later.name == first.name && later.relation == first.relation);
    Some(prediction)
}

fn postgres(op: &Op, version: ServerVersion) -> Option<Prediction> {
    use LockMode::*;
    let p = match op {
        Op::Alter { table: t, action } => return Some(postgres_alter(t, action, version)),
        Op::CreateTable {
            references,
            partition_of,
            ..
        } => {
            let mut locks: Vec<Lock> = partition_of
                .iter()
                .map(|parent| table(parent, AccessExclusive))
                .collect();
            locks.extend(references.iter().map(|r| table(r, ShareRowExclusive)));
            if locks.is_empty() {
                return None;
            }
            Prediction::new(locks)
        }
        Op::CreateIndex {
            table: t,
            concurrently: false,
            ..
        } => Prediction::new(vec![table(t, Share)]).scan(true),
        Op::CreateIndex {
            table: t,
            concurrently: true,
            ..
        } => Prediction::new(vec![table(t, ShareUpdateExclusive)])
            .scan(true)
            .waits(),
        // The index's table is locked as strongly; the statement does not name it.
        Op::DropIndex {
            index: i,
            concurrently: false,
        } => Prediction::new(vec![index(i, AccessExclusive)]),
        Op::DropIndex {
            index: i,
            concurrently: true,
        } => Prediction::new(vec![index(i, ShareUpdateExclusive)]).waits(),
        // The tables its foreign keys reference lose the triggers that check them, those that
        // reference it (with CASCADE) their foreign keys, its partitioned table a partition.
        Op::DropTable {
            table: t, others, ..
        } => Prediction::new(
            std::iter::once(t)
                .chain(others)
                .map(|r| table(r, AccessExclusive))
                .collect(),
        ),
        // CASCADE empties the tables that reference it as well.
        Op::Truncate {
            table: t,
            cascade_to,
            ..
        } => Prediction::new(
            std::iter::once(t)
                .chain(cascade_to)
                .map(|r| table(r, AccessExclusive))
                .collect(),
        ),
        Op::DropTrigger { table: t } => Prediction::new(vec![table(t, AccessExclusive)]),
        Op::Reindex {
            name,
            table: is_table,
            concurrently,
        } => {
            let (on_table, on_index) = if *concurrently && version.at_least(12, 0, 0) {
                (ShareUpdateExclusive, ShareUpdateExclusive)
            } else {
                (Share, AccessExclusive)
            };
            let locks = if *is_table {
                vec![table(name, on_table)]
            } else {
                vec![index(name, on_index)]
            };
            let mut p = Prediction::new(locks).rewrite(Rewrite::No).scan(true);
            if *is_table {
                // Each index is rebuilt under the index lock (checked against the server).
                p.each_index = Some(on_index);
            }
            if *concurrently { p.waits() } else { p }
        }
        Op::CreateTrigger { table: t } => Prediction::new(vec![table(t, ShareRowExclusive)]),
        Op::AccessExclusive { table: t, .. } => Prediction::new(vec![table(t, AccessExclusive)]),
        // Each index is rebuilt as well, under the same lock.
        Op::Cluster { table: t } => {
            Prediction::new(vec![table(t, AccessExclusive)]).rewrite(Rewrite::Yes)
        }
        // The view's query runs into new storage, swapped in (without data: empty storage).
        Op::RefreshMaterializedView {
            view,
            concurrently: false,
            with_data,
        } => Prediction::new(vec![table(view, AccessExclusive)]).rewrite(if *with_data {
            Rewrite::Yes
        } else {
            Rewrite::No
        }),
        // The query's result is compared with every row and the difference written in place:
        // reads go on, writes (there are none but another refresh) wait.
        Op::RefreshMaterializedView {
            view,
            concurrently: true,
            ..
        } => Prediction::new(vec![table(view, Exclusive)]).scan(true),
        Op::LockTable { table: t, mode } => Prediction::new(vec![table(t, *mode)]),
        Op::Write { table: t } => Prediction::new(vec![table(t, RowExclusive)]),
        Op::SetLockTimeout { .. } => return None,
    };
    Some(p)
}

/// The binary-coercible targets: a `varchar` or `text` column made `text` or a longer
/// `varchar`, a `numeric` given more precision. From another type they rewrite.
fn maybe_coercible(to: &str) -> bool {
    to == "text"
        || to.starts_with("varchar")
        || to.starts_with("character varying")
        || to.starts_with("numeric")
        || to.starts_with("decimal")
        || to == "citext"
}

fn postgres_alter(t: &str, action: &Alter, version: ServerVersion) -> Prediction {
    use LockMode::*;
    let exclusive = || Prediction::new(vec![table(t, AccessExclusive)]);
    match action {
        Alter::AddColumn {
            default,
            not_null,
            fills_rows,
            unique,
            references,
            check,
            ..
        } => {
            let rewrite = *fills_rows
                || *default == Some(DefaultKind::Volatile)
                || (default.is_some() && !version.at_least(11, 0, 0));
            let mut locks = vec![table(t, AccessExclusive)];
            locks.extend(references.iter().map(|r| table(r, ShareRowExclusive)));
            let filled = rewrite || default.is_some();
            Prediction::new(locks)
                .rewrite(if rewrite { Rewrite::Yes } else { Rewrite::No })
                // A new column is NULL in every row: checking it needs a scan only when a
                // default or a rewrite gives it values (or NOT NULL must find no row).
                .scan(*unique || (filled && (*check || references.is_some())) || (*not_null && default.is_none()))
        }
        Alter::SetType { to, using, .. } => exclusive().rewrite(if *using || !maybe_coercible(to) {
            Rewrite::Yes
        } else {
            Rewrite::Unless("the old type is binary-coercible to the new one (a varchar made text or longer)")
        }),
        Alter::SetNotNull { .. } => exclusive().scan(true),
        Alter::AddConstraint {
            kind,
            not_valid,
            ..
        } => match kind {
            ConstraintKind::ForeignKey { references } => {
                Prediction::new(vec![table(t, ShareRowExclusive), table(references, ShareRowExclusive)])
                    .scan(!not_valid)
            }
            ConstraintKind::Check { .. } => exclusive().scan(!not_valid),
            ConstraintKind::Unique | ConstraintKind::PrimaryKey | ConstraintKind::Other => {
                exclusive().scan(true)
            }
            ConstraintKind::UsingIndex => exclusive(),
        },
        Alter::ValidateConstraint { .. } => {
            Prediction::new(vec![table(t, ShareUpdateExclusive)]).scan(true)
        }
        Alter::SetLogging => exclusive().rewrite(Rewrite::Yes),
        // Its files are copied block by block: a rewrite's cost, though no row changes.
        Alter::SetTablespace => {
            exclusive().rewrite(Rewrite::Unless("it is already in that tablespace"))
        }
        Alter::StorageParameters | Alter::ColumnOptions { .. } | Alter::Cluster => {
            Prediction::new(vec![table(t, ShareUpdateExclusive)])
        }
        Alter::AttachPartition {
            partition,
            default_partition,
            ..
        } => {
            let parent = if version.at_least(12, 0, 0) {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            };
            let mut locks = vec![table(partition, AccessExclusive), table(t, parent)];
            // The default partition is scanned for rows that now belong to the new one.
            locks.extend(default_partition.iter().map(|d| table(d, AccessExclusive)));
            Prediction::new(locks).scan(true)
        }
        // The foreign keys on the column go with it, and their triggers on the tables they
        // reference.
        Alter::DropColumn { references, .. } => Prediction::new(
            std::iter::once(t)
                .chain(references.iter().map(String::as_str))
                .map(|r| table(r, AccessExclusive))
                .collect(),
        ),
        // A foreign key's triggers on the referenced table go with it; with CASCADE, the
        // foreign keys of the tables that rely on the constraint.
        Alter::DropConstraint { references, .. } if !references.is_empty() => Prediction::new(
            std::iter::once(table(t, AccessExclusive))
                .chain(references.iter().map(|r| table(r, AccessExclusive)))
                .collect(),
        ),
        Alter::DetachPartition {
            partition,
            concurrently,
        } => {
            if *concurrently && version.at_least(14, 0, 0) {
                Prediction::new(vec![
                    table(t, ShareUpdateExclusive),
                    table(partition, ShareUpdateExclusive),
                ])
                .waits()
            } else {
                Prediction::new(vec![table(t, AccessExclusive), table(partition, AccessExclusive)])
            }
        }
        Alter::Trigger => Prediction::new(vec![table(t, ShareRowExclusive)]),
        Alter::Algorithm(_) | Alter::Lock(_) => Prediction::new(Vec::new()),
        Alter::DropNotNull { .. }
        | Alter::SetDefault { .. }
        | Alter::DropDefault { .. }
        | Alter::AddIdentity { .. }
        | Alter::DropConstraint { .. }
        | Alter::RenameColumn { .. }
        | Alter::RenameTable
        | Alter::RenameConstraint
        | Alter::RowSecurity
        | Alter::ReplicaIdentity
        | Alter::Inherit
        | Alter::OwnerTo
        | Alter::Other => exclusive(),
    }
}

fn mysql(op: &Op, version: ServerVersion) -> Option<Prediction> {
    let Op::Alter { action, .. } = op else {
        return match op {
            Op::CreateIndex { .. } => Some(online(Algorithm::Inplace, true).scan(true)),
            Op::DropIndex { .. } => Some(online(Algorithm::Inplace, true)),
            _ => None,
        };
    };
    Some(mysql_alter(action, version))
}

fn online(algorithm: Algorithm, concurrent_writes: bool) -> Prediction {
    let mut p = Prediction::new(Vec::new());
    p.online = Some(Online {
        algorithm,
        concurrent_writes,
    });
    if algorithm == Algorithm::Copy {
        p.rewrite = Rewrite::Yes;
    }
    p
}

/// MySQL 8.0's "Online DDL Operations" and MariaDB's "InnoDB Online DDL Operations with
/// ALGORITHM=INSTANT" tables, for the actions the model knows; where MariaDB 10.11 does
/// otherwise, the server is right (`tests/e2e/online_ddl.rs` runs each form on it).
///
/// What one action does not say is predicted as the common case. Slower than the server:
/// `MODIFY`/`CHANGE` is a type change (COPY) even when it keeps the type (MariaDB renames or
/// widens a `VARCHAR` INSTANT); a dropped foreign key or check is a dropped index (INPLACE;
/// MariaDB drops them INSTANT). Faster: a `FULLTEXT` or `SPATIAL` index is a secondary index
/// (INPLACE with writes; the server needs `LOCK=SHARED`), a default that reads another
/// column is a constant, a dropped column is not in an index (then it is INPLACE). A stored
/// generated column is taken as an `AUTO_INCREMENT` one: INPLACE without writes, where the
/// server copies.
fn mysql_alter(action: &Alter, v: ServerVersion) -> Prediction {
    let instant_add = if v.is_mariadb() {
        v.at_least(10, 3, 2)
    } else {
        v.at_least(8, 0, 12)
    };
    let instant_drop = if v.is_mariadb() {
        v.at_least(10, 4, 0)
    } else {
        v.at_least(8, 0, 29)
    };
    let instant_rename = if v.is_mariadb() {
        v.at_least(10, 5, 2)
    } else {
        v.at_least(8, 0, 28)
    };
    let rebuild = || online(Algorithm::Inplace, true).rewrite(Rewrite::Yes);
    match action {
        Alter::AddColumn {
            fills_rows,
            unique,
            references,
            check,
            ..
        } => {
            // MariaDB adds a column with a CHECK INSTANT, without checking the rows it has.
            let checked = *check && !v.is_mariadb();
            if references.is_some() || checked {
                online(Algorithm::Copy, false)
            } else if *fills_rows {
                // AUTO_INCREMENT or a stored generated column: every row is written.
                online(Algorithm::Inplace, false).rewrite(Rewrite::Yes)
            } else if *unique {
                rebuild().scan(true)
            } else if instant_add {
                online(Algorithm::Instant, true)
            } else {
                rebuild()
            }
        }
        Alter::DropColumn { .. } => {
            if instant_drop {
                online(Algorithm::Instant, true)
            } else {
                rebuild()
            }
        }
        Alter::RenameColumn { .. } => {
            if instant_rename {
                online(Algorithm::Instant, true)
            } else {
                online(Algorithm::Inplace, true)
            }
        }
        // MariaDB renames a table under an exclusive lock: it refuses `LOCK=NONE`.
        Alter::RenameTable if v.is_mariadb() => online(Algorithm::Instant, false),
        Alter::SetDefault { .. } | Alter::DropDefault { .. } | Alter::RenameTable => {
            online(Algorithm::Instant, true)
        }
        Alter::AddConstraint { kind, .. } => match kind {
            ConstraintKind::Unique => online(Algorithm::Inplace, true).scan(true),
            ConstraintKind::PrimaryKey => rebuild().scan(true),
            // `ADD INDEX`/`ADD KEY`: a secondary index is built with writes going on.
            ConstraintKind::Other => online(Algorithm::Inplace, true).scan(true),
            _ => online(Algorithm::Copy, false).scan(true),
        },
        Alter::DropConstraint { name, .. } if name == "primary" => online(Algorithm::Copy, false),
        Alter::DropConstraint { .. } | Alter::RenameConstraint => online(Algorithm::Inplace, true),
        Alter::Algorithm(_) | Alter::Lock(_) => Prediction::new(Vec::new()),
        _ => online(Algorithm::Copy, false),
    }
}

impl Op {
    /// The table the operation is on, when it names one (a materialized view counts as one;
    /// `DROP INDEX` names only its index, `SET lock_timeout` none).
    pub fn table(&self) -> Option<&str> {
        match self {
            Op::Alter { table, .. }
            | Op::CreateTable { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropTable { table, .. }
            | Op::CreateTrigger { table }
            | Op::DropTrigger { table }
            | Op::AccessExclusive { table, .. }
            | Op::Cluster { table }
            | Op::RefreshMaterializedView { view: table, .. }
            | Op::Truncate { table, .. }
            | Op::LockTable { table, .. }
            | Op::Write { table } => Some(table),
            Op::Reindex {
                name, table: true, ..
            } => Some(name),
            Op::Reindex { .. } | Op::DropIndex { .. } | Op::SetLockTimeout { .. } => None,
        }
    }
}

/// The operation in a few words, as `explain` and the rules name it: `ADD COLUMN email`,
/// `CREATE INDEX on users`.
impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Alter { action, .. } => write!(f, "{action}"),
            Op::CreateTable {
                table,
                partition_of: Some(parent),
                ..
            } => write!(f, "CREATE TABLE {table} PARTITION OF {parent}"),
            Op::CreateTable { table, .. } => write!(f, "CREATE TABLE {table}"),
            Op::CreateIndex {
                table,
                unique,
                concurrently,
            } => write!(
                f,
                "CREATE {}INDEX {}on {table}",
                if *unique { "UNIQUE " } else { "" },
                if *concurrently { "CONCURRENTLY " } else { "" }
            ),
            Op::DropIndex {
                index,
                concurrently,
            } => write!(
                f,
                "DROP INDEX {}{index}",
                if *concurrently { "CONCURRENTLY " } else { "" }
            ),
            Op::DropTable { table, .. } => write!(f, "DROP TABLE {table}"),
            Op::Reindex {
                name,
                table,
                concurrently,
            } => write!(
                f,
                "REINDEX {} {}{name}",
                if *table { "TABLE" } else { "INDEX" },
                if *concurrently { "CONCURRENTLY " } else { "" }
            ),
            Op::CreateTrigger { table } => write!(f, "CREATE TRIGGER on {table}"),
            Op::DropTrigger { table } => write!(f, "DROP TRIGGER on {table}"),
            Op::AccessExclusive { table, statement } => write!(f, "{statement} on {table}"),
            Op::Cluster { table } => write!(f, "CLUSTER {table}"),
            Op::RefreshMaterializedView {
                view,
                concurrently,
                with_data,
            } => write!(
                f,
                "REFRESH MATERIALIZED VIEW {}{view}{}",
                if *concurrently { "CONCURRENTLY " } else { "" },
                if *with_data { "" } else { " WITH NO DATA" }
            ),
            Op::Truncate { table, cascade, .. } => write!(
                f,
                "TRUNCATE {table}{}",
                if *cascade { " CASCADE" } else { "" }
            ),
            Op::LockTable { table, mode } => {
                write!(f, "LOCK TABLE {table} IN {} MODE", mode.as_str())
            }
            Op::Write { table } => write!(f, "write to {table}"),
            Op::SetLockTimeout { off, local } => {
                f.write_str(if *local { "SET LOCAL" } else { "SET" })?;
                f.write_str(if *off {
                    " lock_timeout = 0"
                } else {
                    " lock_timeout"
                })
            }
        }
    }
}

impl std::fmt::Display for Alter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Alter::AddColumn { column, .. } => write!(f, "ADD COLUMN {column}"),
            Alter::DropColumn { column, .. } => write!(f, "DROP COLUMN {column}"),
            Alter::SetType { column, to, .. } => write!(f, "ALTER COLUMN {column} TYPE {to}"),
            Alter::SetNotNull { column } => write!(f, "ALTER COLUMN {column} SET NOT NULL"),
            Alter::DropNotNull { column } => write!(f, "ALTER COLUMN {column} DROP NOT NULL"),
            Alter::SetDefault { column } => write!(f, "ALTER COLUMN {column} SET DEFAULT"),
            Alter::DropDefault { column } => write!(f, "ALTER COLUMN {column} DROP DEFAULT"),
            Alter::AddIdentity { column } => write!(f, "ALTER COLUMN {column} ADD IDENTITY"),
            Alter::ColumnOptions { column } => write!(f, "ALTER COLUMN {column} SET options"),
            Alter::AddConstraint {
                name,
                kind,
                not_valid,
            } => {
                let kind = match kind {
                    ConstraintKind::Check { .. } => "CHECK",
                    ConstraintKind::ForeignKey { .. } => "FOREIGN KEY",
                    ConstraintKind::Unique => "UNIQUE",
                    ConstraintKind::PrimaryKey => "PRIMARY KEY",
                    ConstraintKind::UsingIndex => "constraint USING INDEX",
                    ConstraintKind::Other => "constraint",
                };
                write!(f, "ADD {kind}")?;
                if let Some(name) = name {
                    write!(f, " {name}")?;
                }
                if *not_valid {
                    f.write_str(" NOT VALID")?;
                }
                Ok(())
            }
            Alter::ValidateConstraint { name } => write!(f, "VALIDATE CONSTRAINT {name}"),
            Alter::DropConstraint { name, .. } => write!(f, "DROP CONSTRAINT {name}"),
            Alter::RenameColumn { column } => write!(f, "RENAME COLUMN {column}"),
            Alter::RenameTable => f.write_str("RENAME TO"),
            Alter::RenameConstraint => f.write_str("RENAME CONSTRAINT"),
            Alter::SetLogging => f.write_str("SET LOGGED/UNLOGGED"),
            Alter::StorageParameters => f.write_str("SET (storage parameters)"),
            Alter::AttachPartition { partition, .. } => write!(f, "ATTACH PARTITION {partition}"),
            Alter::DetachPartition {
                partition,
                concurrently,
            } => write!(
                f,
                "DETACH PARTITION {partition}{}",
                if *concurrently { " CONCURRENTLY" } else { "" }
            ),
            Alter::SetTablespace => f.write_str("SET TABLESPACE"),
            Alter::Trigger => f.write_str("ENABLE/DISABLE TRIGGER"),
            Alter::Cluster => f.write_str("CLUSTER ON/SET WITHOUT CLUSTER"),
            Alter::RowSecurity => f.write_str("ROW LEVEL SECURITY"),
            Alter::ReplicaIdentity => f.write_str("REPLICA IDENTITY"),
            Alter::Inherit => f.write_str("INHERIT"),
            Alter::OwnerTo => f.write_str("OWNER TO"),
            Alter::Algorithm(a) => write!(f, "ALGORITHM={a}"),
            Alter::Lock(l) => write!(f, "LOCK={l}"),
            Alter::Other => f.write_str("ALTER TABLE action"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_script;

    fn predict_all(sql: &str, dialect: Dialect, version: &str) -> Vec<Prediction> {
        let version = ServerVersion::parse(version).unwrap();
        parse_script(sql, dialect)
            .unwrap()
            .iter()
            .flat_map(|s| s.ops.iter())
            .filter_map(|op| predict(op, dialect, version))
            .collect()
    }

    /// The predictions for the last script's operations, each script a migration replayed in
    /// order before it (so that what the statement does not name is resolved).
    fn predict_after(scripts: &[&str]) -> Vec<Prediction> {
        let names: Vec<String> = (1..=scripts.len()).map(|v| format!("{v}_m.sql")).collect();
        let set = crate::MigrationSet::from_files(
            "migrations",
            names
                .iter()
                .map(String::as_str)
                .zip(scripts.iter().map(|s| s.as_bytes())),
        );
        let analysis = crate::analysis::analyze(&set, Dialect::Postgres);
        let last = analysis.migrations.last().unwrap();
        last.up
            .statements
            .iter()
            .flat_map(|s| s.ops.iter())
            .filter_map(|op| predict(op, Dialect::Postgres, ServerVersion::new(15, 0, 0)))
            .collect()
    }

    fn locked(p: &[Prediction]) -> Vec<(String, LockMode)> {
        let mut out: Vec<(String, LockMode)> = p
            .iter()
            .flat_map(|p| &p.locks)
            .map(|l| (l.name.clone(), l.mode))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn ae(names: &[&str]) -> Vec<(String, LockMode)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), LockMode::AccessExclusive))
            .collect()
    }

    const PARENT_CHILD: &str = "CREATE TABLE parent (id int PRIMARY KEY); \
        CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent (id));";

    #[test]
    fn dropping_a_foreign_key_locks_the_table_it_references() {
        let drop = "ALTER TABLE child DROP CONSTRAINT child_parent_fk";
        assert_eq!(
            locked(&predict_after(&[PARENT_CHILD, drop])),
            ae(&["child", "parent"])
        );
        // An unnamed one, by PostgreSQL's name for it; a table renamed after, by its new name.
        let unnamed = "CREATE TABLE parent (id int PRIMARY KEY); \
            CREATE TABLE child (id int, parent_id int REFERENCES parent (id));";
        assert_eq!(
            locked(&predict_after(&[
                unnamed,
                "ALTER TABLE parent RENAME TO ancestor",
                "ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey"
            ])),
            ae(&["ancestor", "child"])
        );
        // A constraint the model does not know, or that is not a foreign key: its table only.
        assert_eq!(locked(&predict_after(&[drop])), ae(&["child"]));
        let check = "ALTER TABLE parent ADD CONSTRAINT positive CHECK (id > 0)";
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                check,
                "ALTER TABLE parent DROP CONSTRAINT positive"
            ])),
            ae(&["parent"])
        );
    }

    #[test]
    fn dropping_a_table_locks_the_tables_its_foreign_keys_reference() {
        assert_eq!(
            locked(&predict_after(&[PARENT_CHILD, "DROP TABLE child"])),
            ae(&["child", "parent"])
        );
        // One that references itself names it once; the referenced one needs no more.
        let tree = "CREATE TABLE node (id int PRIMARY KEY, up int REFERENCES node (id))";
        assert_eq!(
            locked(&predict_after(&[tree, "DROP TABLE node"])),
            ae(&["node"])
        );
        assert_eq!(
            locked(&predict_after(&[PARENT_CHILD, "DROP TABLE child, parent"])),
            ae(&["child", "parent"])
        );
        // With CASCADE, the tables whose foreign keys reference it lose them.
        assert_eq!(
            locked(&predict_after(&[PARENT_CHILD, "DROP TABLE parent"])),
            ae(&["parent"])
        );
        assert_eq!(
            locked(&predict_after(&[PARENT_CHILD, "DROP TABLE parent CASCADE"])),
            ae(&["child", "parent"])
        );
        // A partition: its partitioned table.
        let events = "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at); \
            CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')";
        assert_eq!(
            locked(&predict_after(&[events, "DROP TABLE events_2024"])),
            ae(&["events", "events_2024"])
        );
    }

    #[test]
    fn the_tables_locked_without_being_named_existed_before() {
        let set = crate::MigrationSet::from_files(
            "migrations",
            [
                ("1_m.sql", PARENT_CHILD.as_bytes()),
                ("2_m.sql", b"DROP TABLE child".as_slice()),
            ],
        );
        let analysis = crate::analysis::analyze(&set, Dialect::Postgres);
        let mut tables: Vec<&String> = analysis.migrations[1].preexisting_tables.iter().collect();
        tables.sort();
        assert_eq!(tables, ["child", "parent"]);
    }

    #[test]
    fn dropping_a_column_with_a_foreign_key_locks_the_table_it_references() {
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                "ALTER TABLE child DROP COLUMN parent_id"
            ])),
            ae(&["child", "parent"])
        );
        let two = "CREATE TABLE pair (a int, b int, FOREIGN KEY (a, b) REFERENCES parent (id, id))";
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                two,
                "ALTER TABLE pair DROP COLUMN b"
            ])),
            ae(&["pair", "parent"])
        );
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                "ALTER TABLE child DROP COLUMN id"
            ])),
            ae(&["child"])
        );
    }

    #[test]
    fn truncate_cascade_locks_every_table_it_reaches() {
        let grandchild = "CREATE TABLE toy (id int, child_id int REFERENCES child (id))";
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                grandchild,
                "TRUNCATE parent CASCADE"
            ])),
            ae(&["child", "parent", "toy"])
        );
        // Without CASCADE (the server refuses it while child references parent), or from the
        // bottom: the table named.
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                grandchild,
                "TRUNCATE parent"
            ])),
            ae(&["parent"])
        );
        assert_eq!(
            locked(&predict_after(&[
                PARENT_CHILD,
                grandchild,
                "TRUNCATE toy CASCADE"
            ])),
            ae(&["toy"])
        );
    }

    #[test]
    fn attaching_a_partition_locks_the_default_partition() {
        let events = "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at); \
            CREATE TABLE events_2025 (id int, at date);";
        let attach = "ALTER TABLE events ATTACH PARTITION events_2025 \
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')";
        let with_default = |default: &str| {
            let p = predict_after(&[events, default, attach]);
            assert!(p[0].scan);
            locked(&p)
                .into_iter()
                .filter(|(_, mode)| *mode == LockMode::AccessExclusive)
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        assert_eq!(with_default("SELECT 1"), ["events_2025"]);
        let created = "CREATE TABLE events_other PARTITION OF events DEFAULT";
        assert_eq!(with_default(created), ["events_2025", "events_other"]);
        let attached = "CREATE TABLE events_other (id int, at date); \
            ALTER TABLE events ATTACH PARTITION events_other DEFAULT";
        assert_eq!(with_default(attached), ["events_2025", "events_other"]);
        // A partition with bounds is not the default; a detached or dropped default is gone.
        let bounded = "CREATE TABLE events_2024 PARTITION OF events \
            FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')";
        assert_eq!(with_default(bounded), ["events_2025"]);
        let detached = format!("{created}; ALTER TABLE events DETACH PARTITION events_other");
        assert_eq!(with_default(&detached), ["events_2025"]);
        let dropped = format!("{created}; DROP TABLE events_other");
        assert_eq!(with_default(&dropped), ["events_2025"]);
        // The partitioned table renamed: its default partition stays its own.
        let renamed = predict_after(&[
            events,
            created,
            "ALTER TABLE events RENAME TO happenings",
            "ALTER TABLE happenings ATTACH PARTITION events_2025 \
             FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        ]);
        assert_eq!(
            renamed[0].mode_on("events_other"),
            Some(LockMode::AccessExclusive)
        );
    }

    #[test]
    fn versions_parse_from_config_and_from_servers() {
        assert_eq!(
            ServerVersion::parse("15"),
            Some(ServerVersion::new(15, 0, 0))
        );
        assert_eq!(
            ServerVersion::parse("15.20 (Debian 15.20-0+deb12u1)"),
            Some(ServerVersion::new(15, 20, 0))
        );
        let maria = ServerVersion::parse("10.11.19-MariaDB-0+deb12u1").unwrap();
        assert_eq!(maria, ServerVersion::new(10, 11, 19));
        assert!(maria.is_mariadb());
        assert!(!ServerVersion::parse("8.0.29").unwrap().is_mariadb());
        assert_eq!(ServerVersion::parse("x"), None);
    }

    #[test]
    fn constant_defaults_stopped_rewriting_in_postgres_11() {
        let sql = "ALTER TABLE t ADD COLUMN a INT NOT NULL DEFAULT 0";
        assert_eq!(
            predict_all(sql, Dialect::Postgres, "10")[0].rewrite,
            Rewrite::Yes
        );
        assert_eq!(
            predict_all(sql, Dialect::Postgres, "11")[0].rewrite,
            Rewrite::No
        );
        let volatile = "ALTER TABLE t ADD COLUMN a UUID DEFAULT gen_random_uuid()";
        assert_eq!(
            predict_all(volatile, Dialect::Postgres, "16")[0].rewrite,
            Rewrite::Yes
        );
    }

    #[test]
    fn a_foreign_key_locks_both_tables() {
        let p = &predict_all(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES b (id)",
            Dialect::Postgres,
            "15",
        )[0];
        assert_eq!(p.mode_on("a"), Some(LockMode::ShareRowExclusive));
        assert_eq!(p.mode_on("b"), Some(LockMode::ShareRowExclusive));
        assert!(p.scan);
    }

    #[test]
    fn concurrently_forms_depend_on_the_version() {
        let reindex = "REINDEX INDEX CONCURRENTLY i";
        assert_eq!(
            predict_all(reindex, Dialect::Postgres, "11")[0].strongest(),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(
            predict_all(reindex, Dialect::Postgres, "12")[0].strongest(),
            Some(LockMode::ShareUpdateExclusive)
        );
        let detach = "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY";
        assert_eq!(
            predict_all(detach, Dialect::Postgres, "13")[0].mode_on("p"),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(
            predict_all(detach, Dialect::Postgres, "14")[0].mode_on("p"),
            Some(LockMode::ShareUpdateExclusive)
        );
    }

    #[test]
    fn column_planner_settings_and_cluster_take_share_update_exclusive() {
        let mode = |sql: &str| predict_all(sql, Dialect::Postgres, "15")[0].mode_on("t");
        for sql in [
            "ALTER TABLE t ALTER COLUMN c SET STATISTICS 100",
            "ALTER TABLE t ALTER c SET (n_distinct = 10)",
            "ALTER TABLE t ALTER COLUMN c RESET (n_distinct)",
            "ALTER TABLE t CLUSTER ON t_pkey",
            "ALTER TABLE t SET WITHOUT CLUSTER",
        ] {
            assert_eq!(mode(sql), Some(LockMode::ShareUpdateExclusive), "{sql}");
        }
        let storage = "ALTER TABLE t ALTER COLUMN c SET STORAGE EXTERNAL";
        assert_eq!(mode(storage), Some(LockMode::AccessExclusive));
        // One operation per action: the strongest wins.
        let both = predict_all(
            "ALTER TABLE t ALTER COLUMN c SET STATISTICS 100, ALTER COLUMN c SET STORAGE MAIN",
            Dialect::Postgres,
            "15",
        );
        assert_eq!(
            both.iter().filter_map(|p| p.mode_on("t")).max(),
            Some(LockMode::AccessExclusive)
        );
    }

    #[test]
    fn policies_rules_cluster_and_refresh_as_the_server_takes_them() {
        use LockMode::*;
        let one = |sql: &str| {
            let mut p = predict_all(sql, Dialect::Postgres, "15");
            assert_eq!(p.len(), 1, "{sql}");
            p.remove(0)
        };
        for sql in [
            "CREATE POLICY p ON t USING (true)",
            "ALTER POLICY p ON t USING (false)",
            "DROP POLICY p ON t",
            "CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING",
            "DROP RULE r ON t",
        ] {
            let p = one(sql);
            assert_eq!(p.mode_on("t"), Some(AccessExclusive), "{sql}");
            assert_eq!((p.rewrite, p.scan), (Rewrite::No, false), "{sql}");
        }
        let cluster = one("CLUSTER t USING t_pkey");
        assert_eq!(cluster.mode_on("t"), Some(AccessExclusive));
        assert_eq!(cluster.rewrite, Rewrite::Yes);
        let refresh = one("REFRESH MATERIALIZED VIEW mv");
        assert_eq!(refresh.mode_on("mv"), Some(AccessExclusive));
        assert_eq!(refresh.rewrite, Rewrite::Yes);
        let emptied = one("REFRESH MATERIALIZED VIEW mv WITH NO DATA");
        assert_eq!(emptied.mode_on("mv"), Some(AccessExclusive));
        assert_eq!(emptied.rewrite, Rewrite::No);
        // Reads of the view go on while it is refreshed concurrently.
        let concurrently = one("REFRESH MATERIALIZED VIEW CONCURRENTLY mv");
        assert_eq!(concurrently.mode_on("mv"), Some(Exclusive));
        assert!(!concurrently.strongest().unwrap().blocks_reads());
        assert_eq!(
            (concurrently.rewrite, concurrently.waits),
            (Rewrite::No, false)
        );
        let tablespace = one("ALTER TABLE t SET TABLESPACE fast");
        assert_eq!(tablespace.mode_on("t"), Some(AccessExclusive));
        assert!(matches!(tablespace.rewrite, Rewrite::Unless(_)));
        // Only PostgreSQL has them.
        assert!(predict_all("CREATE POLICY p ON t USING (true)", Dialect::MySql, "8.4").is_empty());
    }

    #[test]
    fn what_clustering_or_refreshing_names_existed_before() {
        let set = crate::MigrationSet::from_files(
            "migrations",
            [
                (
                    "1_m.sql",
                    "CREATE TABLE t (id int PRIMARY KEY); \
                     CREATE MATERIALIZED VIEW mv AS SELECT id FROM t; \
                     CREATE TABLE other (id int)"
                        .as_bytes(),
                ),
                (
                    "2_m.sql",
                    b"CLUSTER t USING t_pkey; REFRESH MATERIALIZED VIEW mv; \
                      CREATE RULE r AS ON INSERT TO other DO INSTEAD NOTHING; \
                      CREATE TABLE fresh (id int); CLUSTER fresh"
                        .as_slice(),
                ),
            ],
        );
        let analysis = crate::analysis::analyze(&set, Dialect::Postgres);
        let mut tables: Vec<&String> = analysis.migrations[1].preexisting_tables.iter().collect();
        tables.sort();
        assert_eq!(tables, ["mv", "other", "t"]);
    }

    #[test]
    fn reindex_table_locks_each_index_access_exclusive() {
        let p = &predict_all("REINDEX TABLE t", Dialect::Postgres, "15")[0];
        assert_eq!(p.mode_on("t"), Some(LockMode::Share));
        assert_eq!(p.each_index, Some(LockMode::AccessExclusive));
        assert_eq!(p.strongest(), Some(LockMode::AccessExclusive));
    }

    #[test]
    fn mysql_instant_add_column_by_version() {
        let sql = "ALTER TABLE t ADD COLUMN a INT";
        let algorithm = |v| {
            predict_all(sql, Dialect::MySql, v)[0]
                .online
                .unwrap()
                .algorithm
        };
        assert_eq!(algorithm("8.0.11"), Algorithm::Inplace);
        assert_eq!(algorithm("8.0.12"), Algorithm::Instant);
        assert_eq!(algorithm("10.11"), Algorithm::Instant);
        let modify = "ALTER TABLE t MODIFY a BIGINT";
        assert_eq!(
            predict_all(modify, Dialect::MySql, "8.0.30")[0].online,
            Some(Online {
                algorithm: Algorithm::Copy,
                concurrent_writes: false
            })
        );
    }

    /// The MariaDB answers `tests/e2e/online_ddl.rs` found, kept where no server runs.
    #[test]
    fn mariadb_online_ddl_as_the_server_answers() {
        let online = |sql: &str| {
            predict_all(&format!("ALTER TABLE t {sql}"), Dialect::MySql, "10.11")[0]
                .online
                .unwrap()
        };
        let is = |algorithm, concurrent_writes| Online {
            algorithm,
            concurrent_writes,
        };
        assert_eq!(online("ADD INDEX i (b)"), is(Algorithm::Inplace, true));
        assert_eq!(
            online("ADD COLUMN c INT AUTO_INCREMENT UNIQUE"),
            is(Algorithm::Inplace, false)
        );
        assert_eq!(
            online("ADD COLUMN c INT CHECK (c > 0)"),
            is(Algorithm::Instant, true)
        );
        assert_eq!(online("RENAME TO t2"), is(Algorithm::Instant, false));
    }
}
