//! [`RuleId`]: the id of every rule, one variant each, so that a mistyped id does not compile.
//!
//! This file imports nothing from the crate: [`Finding`](crate::Finding) names a `RuleId`, and
//! the modules before `lints` make findings.

use std::fmt;
use std::str::FromStr;

macro_rules! rule_ids {
    ($($variant:ident = $id:literal,)*) => {
        /// The id of a rule; [`as_str`](RuleId::as_str) is its kebab-case spelling, the one users
        /// write in the config and in `-- migrate:allow`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant,)*
        }

        impl RuleId {
            /// Every rule id, in the order of [`RULES`](super::RULES).
            pub const ALL: &[RuleId] = &[$(RuleId::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }
    };
}

rule_ids! {
    InvalidFileName = "invalid-file-name",
    DuplicateVersion = "duplicate-version",
    OrphanDown = "orphan-down",
    NonUtf8File = "non-utf8-file",
    UnreadableFile = "unreadable-file",
    InvalidDirective = "invalid-directive",
    MisplacedDirective = "misplaced-directive",
    SyntaxError = "syntax-error",
    ObjectUsedBeforeCreated = "object-used-before-created",
    RequireDownScript = "require-down-script",
    EmptyUpScript = "empty-up-script",
    PlaceholderMigration = "placeholder-migration",
    EmptyDownScript = "empty-down-script",
    DownLeavesObject = "down-leaves-object",
    DownDropsForeignObject = "down-drops-foreign-object",
    DownDropOrder = "down-drop-order",
    DownCreatesExistingObject = "down-creates-existing-object",
    DownDoesNotRestore = "down-does-not-restore",
    DownRenameNotReversed = "down-rename-not-reversed",
    DefinitionNotRestored = "definition-not-restored",
    ColumnChangeNotReverted = "column-change-not-reverted",
    EnumValueNotRemovable = "enum-value-not-removable",
    ConcurrentlyInTransaction = "concurrently-in-transaction",
    TransactionControl = "transaction-control",
    BanDropTable = "ban-drop-table",
    BanDropColumn = "ban-drop-column",
    AddingNotNullableField = "adding-not-nullable-field",
    RequireConcurrentIndexCreation = "require-concurrent-index-creation",
    RenamingTable = "renaming-table",
    RenamingColumn = "renaming-column",
    IdentifierTooLong = "identifier-too-long",
    ChangingColumnType = "changing-column-type",
    PreferRobustStmts = "prefer-robust-stmts",
    RequireConcurrentIndexDeletion = "require-concurrent-index-deletion",
    RequireConcurrentReindex = "require-concurrent-reindex",
    RequireConcurrentPartitionDetach = "require-concurrent-partition-detach",
    RequireOnlineDdl = "require-online-ddl",
    PreferBigintOverInt = "prefer-bigint-over-int",
    PreferTextField = "prefer-text-field",
    PreferTimestamptz = "prefer-timestamptz",
    PreferIdentity = "prefer-identity",
    RequireLockTimeout = "require-lock-timeout",
    LockHeldAfterExclusive = "lock-held-after-exclusive",
    TableRewrite = "table-rewrite",
    ConstraintMissingNotValid = "constraint-missing-not-valid",
    UniqueConstraintWithoutIndex = "unique-constraint-without-index",
    SetNotNullScan = "set-not-null-scan",
    UnusedAllow = "unused-allow",
    BranchConflict = "branch-conflict",
    UnreviewedMigration = "unreviewed-migration",
    DamagedLock = "damaged-lock",
}

impl RuleId {
    /// Whether a finding of this rule claims what a round trip on a real server shows: that the
    /// server rejects the script, or that the down leaves the schema other than before the up.
    /// `verify` is the oracle for these. The other rules warn of what a deploy meets with rows
    /// and traffic (locks, rewrites, scans, a running older application, names that collide
    /// later), which a round trip on an empty scratch database cannot show, or they enforce the
    /// team's process; the corpus harness counts their findings apart.
    pub fn judged_by_verify(self) -> bool {
        use RuleId as R;
        match self {
            R::InvalidFileName
            | R::DuplicateVersion
            | R::OrphanDown
            | R::NonUtf8File
            | R::UnreadableFile
            | R::InvalidDirective
            | R::MisplacedDirective
            | R::SyntaxError
            | R::ObjectUsedBeforeCreated
            | R::RequireDownScript
            | R::EmptyUpScript
            | R::PlaceholderMigration
            | R::EmptyDownScript
            | R::DownLeavesObject
            | R::DownDropsForeignObject
            | R::DownDropOrder
            | R::DownCreatesExistingObject
            | R::DownDoesNotRestore
            | R::DownRenameNotReversed
            | R::DefinitionNotRestored
            | R::ColumnChangeNotReverted
            | R::EnumValueNotRemovable
            | R::ConcurrentlyInTransaction
            | R::TransactionControl
            | R::UnusedAllow => true,
            R::BanDropTable
            | R::BanDropColumn
            | R::AddingNotNullableField
            | R::RequireConcurrentIndexCreation
            | R::RenamingTable
            | R::RenamingColumn
            | R::IdentifierTooLong
            | R::ChangingColumnType
            | R::PreferRobustStmts
            | R::RequireConcurrentIndexDeletion
            | R::RequireConcurrentReindex
            | R::RequireConcurrentPartitionDetach
            | R::RequireOnlineDdl
            | R::PreferBigintOverInt
            | R::PreferTextField
            | R::PreferTimestamptz
            | R::PreferIdentity
            | R::RequireLockTimeout
            | R::LockHeldAfterExclusive
            | R::TableRewrite
            | R::ConstraintMissingNotValid
            | R::UniqueConstraintWithoutIndex
            | R::SetNotNullScan
            | R::BranchConflict
            | R::UnreviewedMigration
            | R::DamagedLock => false,
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| format!("there is no rule `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back() {
        for &id in RuleId::ALL {
            assert_eq!(id.as_str().parse::<RuleId>(), Ok(id));
            assert_eq!(id.to_string(), id.as_str());
        }
        assert!("Ban-Drop-Table".parse::<RuleId>().is_err());
        assert!("ban_drop_table".parse::<RuleId>().is_err());
    }
}
