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
