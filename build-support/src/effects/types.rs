//! Types a column is declared with: the `Use` of a user-defined type, and the built-in and
//! extension types that `CREATE TYPE` never made.

use sqlparser::ast::{
    ArrayElemTypeDef, CharacterLength, ColumnOption, DataType, ExactNumberInfo, ObjectName,
    TimezoneInfo,
};

use super::Effects;
use crate::Dialect;
use crate::model::ObjectKind;

/// Types that `CREATE TYPE` never made: PostgreSQL built-ins sqlparser does not know (it parses
/// them as custom types) and the types of widely used extensions.
const BUILTIN_TYPES: &[&str] = &[
    "anyarray",
    "anycompatible",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bigserial",
    "bool",
    "box",
    "box2d",
    "box3d",
    "bpchar",
    "char",
    "cid",
    "cidr",
    "circle",
    "citext",
    "cstring",
    "cube",
    "datemultirange",
    "daterange",
    "ean13",
    "earth",
    "event_trigger",
    "float4",
    "float8",
    "geography",
    "geometry",
    "halfvec",
    "hstore",
    "inet",
    "int2",
    "int2vector",
    "int4",
    "int4multirange",
    "int4range",
    "int8",
    "int8multirange",
    "int8range",
    "internal",
    "isbn",
    "isbn13",
    "ismn",
    "ismn13",
    "issn",
    "issn13",
    "jsonpath",
    "language_handler",
    "line",
    "lquery",
    "lseg",
    "ltree",
    "ltxtquery",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "pg_lsn",
    "pg_snapshot",
    "point",
    "polygon",
    "raster",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "seg",
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallserial",
    "sparsevec",
    "tid",
    "timetz",
    "trigger",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "upc",
    "varbit",
    "vector",
    "void",
    "xid",
    "xid8",
    "xml",
];

impl Effects {
    /// `Use` of a user-defined type a column is declared with (PostgreSQL only: MySQL and
    /// SQLite have no user-defined types).
    pub(super) fn custom_type(&mut self, data_type: &DataType) {
        if self.dialect != Dialect::Postgres {
            return;
        }
        match data_type {
            DataType::Custom(name, _) if !self.is_builtin_type(name) => {
                self.use_object(ObjectKind::Type, name);
            }
            DataType::Array(
                ArrayElemTypeDef::SquareBracket(inner, _)
                | ArrayElemTypeDef::AngleBracket(inner)
                | ArrayElemTypeDef::Parenthesis(inner)
                | ArrayElemTypeDef::Qualified(inner, _),
            ) => self.custom_type(inner),
            _ => {}
        }
    }

    fn is_builtin_type(&self, name: &ObjectName) -> bool {
        let in_catalog = name.0.len() > 1
            && name.0[0]
                .as_ident()
                .is_some_and(|schema| self.ident(schema) == "pg_catalog");
        in_catalog || BUILTIN_TYPES.contains(&self.name(name).as_str())
    }
}

/// A column's type as the server names it, so that two declarations compare equal exactly when
/// the server gives the column the same type: PostgreSQL's `format_type` (`integer`,
/// `character varying(40)`, `timestamp with time zone`), MySQL's `COLUMN_TYPE` (`int`,
/// `varchar(40)`, `int unsigned`), SQLite's declared type (what `PRAGMA table_info` shows,
/// upper-cased). `None` when that is not sure: user-defined types (enums, domains), types whose
/// name depends on the server's version or settings (MySQL's display widths, `JSON` on
/// MariaDB, `REAL`), and anything this list does not know.
pub(crate) fn column_type(data_type: &DataType, dialect: Dialect) -> Option<String> {
    match dialect {
        Dialect::Postgres => postgres_type(data_type),
        Dialect::MySql => mysql_type(data_type),
        Dialect::Sqlite => sqlite_type(data_type),
    }
}

/// [`column_type`] of a column declared with `options`: on MySQL `CHARACTER SET binary` makes
/// a character type a binary one (`TEXT` a `BLOB`), so the type is not named.
pub(crate) fn declared_type<'a>(
    data_type: &DataType,
    mut options: impl Iterator<Item = &'a ColumnOption>,
    dialect: Dialect,
) -> Option<String> {
    let binary = options.any(|o| {
        matches!(o, ColumnOption::CharacterSet(name) if name.to_string().eq_ignore_ascii_case("binary"))
    });
    if dialect == Dialect::MySql && binary {
        return None;
    }
    column_type(data_type, dialect)
}

/// The length of `varchar(n)`, `char(n)`: `None` for `MAX` or a unit.
fn char_length(length: &CharacterLength) -> Option<u64> {
    match length {
        CharacterLength::IntegerLength { length, unit: None } => Some(*length),
        _ => None,
    }
}

/// `format_type`'s name of a type.
fn postgres_type(data_type: &DataType) -> Option<String> {
    use DataType as T;
    let name = |s: &str| Some(s.to_owned());
    let zoned = |base: &str, precision: &Option<u64>, tz: &TimezoneInfo| {
        let zone = match tz {
            TimezoneInfo::None | TimezoneInfo::WithoutTimeZone => "without time zone",
            TimezoneInfo::WithTimeZone | TimezoneInfo::Tz => "with time zone",
        };
        Some(match precision {
            Some(p) => format!("{base}({p}) {zone}"),
            None => format!("{base} {zone}"),
        })
    };
    let numeric = |info: &ExactNumberInfo| match info {
        ExactNumberInfo::None => name("numeric"),
        ExactNumberInfo::Precision(p) => Some(format!("numeric({p},0)")),
        ExactNumberInfo::PrecisionAndScale(p, s) => Some(format!("numeric({p},{s})")),
    };
    match data_type {
        T::SmallInt(None) | T::Int2(None) => name("smallint"),
        T::Int(None) | T::Integer(None) | T::Int4(None) => name("integer"),
        T::BigInt(None) | T::Int8(None) => name("bigint"),
        T::Real | T::Float4 => name("real"),
        T::DoublePrecision | T::Float8 | T::Float(ExactNumberInfo::None) => {
            name("double precision")
        }
        T::Float(ExactNumberInfo::Precision(1..=24)) => name("real"),
        T::Float(ExactNumberInfo::Precision(25..=53)) => name("double precision"),
        T::Numeric(info) | T::Decimal(info) | T::Dec(info) => numeric(info),
        T::Text => name("text"),
        T::Varchar(None) | T::CharacterVarying(None) | T::CharVarying(None) => {
            name("character varying")
        }
        T::Varchar(Some(l)) | T::CharacterVarying(Some(l)) | T::CharVarying(Some(l)) => {
            Some(format!("character varying({})", char_length(l)?))
        }
        T::Char(None) | T::Character(None) => name("character(1)"),
        T::Char(Some(l)) | T::Character(Some(l)) => Some(format!("character({})", char_length(l)?)),
        T::Bool | T::Boolean => name("boolean"),
        T::Date => name("date"),
        T::Uuid => name("uuid"),
        T::Bytea => name("bytea"),
        T::JSON => name("json"),
        T::JSONB => name("jsonb"),
        T::Regclass => name("regclass"),
        T::TsVector => name("tsvector"),
        T::TsQuery => name("tsquery"),
        T::Timestamp(p, tz) => zoned("timestamp", p, tz),
        T::Time(p, tz) => zoned("time", p, tz),
        T::Interval {
            fields: None,
            precision: None,
        } => name("interval"),
        T::Bit(None) => name("bit(1)"),
        T::Bit(Some(n)) => Some(format!("bit({n})")),
        T::BitVarying(None) | T::VarBit(None) => name("bit varying"),
        T::BitVarying(Some(n)) | T::VarBit(Some(n)) => Some(format!("bit varying({n})")),
        T::Array(
            ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::AngleBracket(inner),
        ) => {
            let inner = postgres_type(inner)?;
            // An array of arrays is one array type (`integer[]`), whatever its dimensions.
            Some(match inner.ends_with("[]") {
                true => inner,
                false => format!("{inner}[]"),
            })
        }
        T::Custom(object, modifiers) => {
            // Only a built-in's unquoted name, alone or under `pg_catalog`.
            let parts: Vec<&sqlparser::ast::Ident> = object
                .0
                .iter()
                .map(|p| p.as_ident())
                .collect::<Option<_>>()?;
            let (last, schema) = parts.split_last()?;
            let in_catalog = match schema {
                [] => true,
                [s] => s.quote_style.is_none() && s.value.eq_ignore_ascii_case("pg_catalog"),
                _ => false,
            };
            if !in_catalog || last.quote_style.is_some() {
                return None;
            }
            let lower = last.value.to_ascii_lowercase();
            let length = match modifiers.as_slice() {
                [] => None,
                [sqlparser::ast::TypeModifier::Number(n, false)] => Some(n.parse::<u64>().ok()?),
                _ => return None,
            };
            let plain = match (lower.as_str(), length) {
                ("int2" | "smallserial" | "serial2", None) => "smallint",
                ("int4" | "int" | "integer" | "serial" | "serial4", None) => "integer",
                ("int8" | "bigserial" | "serial8", None) => "bigint",
                ("float4", None) => "real",
                ("float8", None) => "double precision",
                ("bool", None) => "boolean",
                ("timestamptz", None) => "timestamp with time zone",
                ("timetz", None) => "time with time zone",
                ("bpchar", Some(n)) => return Some(format!("character({n})")),
                ("varchar", Some(n)) => return Some(format!("character varying({n})")),
                (
                    t @ ("inet" | "cidr" | "macaddr" | "macaddr8" | "tsvector" | "tsquery"
                    | "money" | "xml" | "oid"),
                    None,
                ) => t,
                _ => return None,
            };
            name(plain)
        }
        _ => None,
    }
}

/// `COLUMN_TYPE`'s name of a type, where MySQL and MariaDB agree on which types are the same:
/// integers without a display width (MariaDB shows one, MySQL 8 none), no `BOOL` (tinyint(1)),
/// `JSON` (MariaDB's longtext) or `REAL` (float under `REAL_AS_FLOAT`).
fn mysql_type(data_type: &DataType) -> Option<String> {
    use DataType as T;
    let name = |s: &str| Some(s.to_owned());
    let decimal = |info: &ExactNumberInfo| match info {
        ExactNumberInfo::None => name("decimal(10,0)"),
        ExactNumberInfo::Precision(p) => Some(format!("decimal({p},0)")),
        ExactNumberInfo::PrecisionAndScale(p, s) => Some(format!("decimal({p},{s})")),
    };
    let fraction = |base: &str, p: &Option<u64>| match p {
        None | Some(0) => name(base),
        Some(p) => Some(format!("{base}({p})")),
    };
    match data_type {
        T::TinyInt(None) => name("tinyint"),
        T::SmallInt(None) => name("smallint"),
        T::MediumInt(None) => name("mediumint"),
        T::Int(None) | T::Integer(None) => name("int"),
        T::BigInt(None) => name("bigint"),
        T::TinyIntUnsigned(None) => name("tinyint unsigned"),
        T::SmallIntUnsigned(None) => name("smallint unsigned"),
        T::MediumIntUnsigned(None) => name("mediumint unsigned"),
        T::IntUnsigned(None) | T::IntegerUnsigned(None) => name("int unsigned"),
        T::BigIntUnsigned(None) => name("bigint unsigned"),
        T::Varchar(Some(l)) | T::CharacterVarying(Some(l)) | T::CharVarying(Some(l)) => {
            Some(format!("varchar({})", char_length(l)?))
        }
        T::Char(None) | T::Character(None) => name("char(1)"),
        T::Char(Some(l)) | T::Character(Some(l)) => Some(format!("char({})", char_length(l)?)),
        T::Text => name("text"),
        T::TinyText => name("tinytext"),
        T::MediumText => name("mediumtext"),
        T::LongText => name("longtext"),
        T::Blob(None) => name("blob"),
        T::TinyBlob => name("tinyblob"),
        T::MediumBlob => name("mediumblob"),
        T::LongBlob => name("longblob"),
        T::Binary(None) => name("binary(1)"),
        T::Binary(Some(n)) => Some(format!("binary({n})")),
        T::Date => name("date"),
        T::Datetime(p) => fraction("datetime", p),
        T::Timestamp(p, TimezoneInfo::None) => fraction("timestamp", p),
        T::Time(p, TimezoneInfo::None) => fraction("time", p),
        T::Decimal(info) | T::Numeric(info) | T::Dec(info) => decimal(info),
        T::Float(ExactNumberInfo::None) => name("float"),
        T::Double(ExactNumberInfo::None) | T::DoublePrecision => name("double"),
        T::Bit(None) => name("bit(1)"),
        T::Bit(Some(n)) => Some(format!("bit({n})")),
        _ => None,
    }
}

/// The declared type as `PRAGMA table_info` shows it (verify compares it with its whitespace
/// collapsed, upper-cased): the type as sqlparser writes it back, which is the same for the
/// same tokens. `None` for no type, or a quoted name.
fn sqlite_type(data_type: &DataType) -> Option<String> {
    // A collation is no part of the declared type.
    if matches!(data_type, DataType::Unspecified | DataType::Collate(..)) {
        return None;
    }
    let text = data_type.to_string();
    if text.is_empty() || text.contains(['"', '`', '\'', '[']) {
        return None;
    }
    Some(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::column_type;
    use crate::Dialect;

    /// The type of `c` in `CREATE TABLE t (c <spelling>)`.
    fn named(dialect: Dialect, spelling: &str) -> Option<String> {
        let sql = format!("CREATE TABLE t (c {spelling})");
        let mut parsed =
            sqlparser::parser::Parser::parse_sql(&*dialect.sqlparser(), &sql).expect(&sql);
        let sqlparser::ast::Statement::CreateTable(create) = parsed.remove(0) else {
            panic!("{sql}")
        };
        column_type(&create.columns[0].data_type, dialect)
    }

    /// (dialect, a type as written, the name the model gives it: `format_type`'s, MySQL's
    /// `COLUMN_TYPE` without display widths, SQLite's declared text upper-cased; `None`: not
    /// sure). Checked against the servers by `scripts/column-types-oracle.py`.
    const NAMES: &[(Dialect, &str, Option<&str>)] = &[
        (Dialect::Postgres, "int", Some("integer")),
        (Dialect::Postgres, "INTEGER", Some("integer")),
        (Dialect::Postgres, "int4", Some("integer")),
        (Dialect::Postgres, "serial", Some("integer")),
        (Dialect::Postgres, "serial4", Some("integer")),
        (Dialect::Postgres, "int8", Some("bigint")),
        (Dialect::Postgres, "bigint", Some("bigint")),
        (Dialect::Postgres, "bigserial", Some("bigint")),
        (Dialect::Postgres, "serial8", Some("bigint")),
        (Dialect::Postgres, "int2", Some("smallint")),
        (Dialect::Postgres, "smallint", Some("smallint")),
        (Dialect::Postgres, "smallserial", Some("smallint")),
        (Dialect::Postgres, "real", Some("real")),
        (Dialect::Postgres, "float4", Some("real")),
        (Dialect::Postgres, "float(24)", Some("real")),
        (Dialect::Postgres, "float(25)", Some("double precision")),
        (Dialect::Postgres, "float", Some("double precision")),
        (Dialect::Postgres, "float8", Some("double precision")),
        (
            Dialect::Postgres,
            "double precision",
            Some("double precision"),
        ),
        (Dialect::Postgres, "numeric", Some("numeric")),
        (Dialect::Postgres, "decimal", Some("numeric")),
        (Dialect::Postgres, "numeric(10)", Some("numeric(10,0)")),
        (Dialect::Postgres, "decimal(10, 2)", Some("numeric(10,2)")),
        (Dialect::Postgres, "text", Some("text")),
        (Dialect::Postgres, "varchar", Some("character varying")),
        (
            Dialect::Postgres,
            "character varying",
            Some("character varying"),
        ),
        (
            Dialect::Postgres,
            "varchar(40)",
            Some("character varying(40)"),
        ),
        (
            Dialect::Postgres,
            "character  varying (40)",
            Some("character varying(40)"),
        ),
        (Dialect::Postgres, "char", Some("character(1)")),
        (Dialect::Postgres, "character", Some("character(1)")),
        (Dialect::Postgres, "char(40)", Some("character(40)")),
        (Dialect::Postgres, "character(40)", Some("character(40)")),
        (Dialect::Postgres, "bpchar(40)", Some("character(40)")),
        (Dialect::Postgres, "bpchar", None),
        (Dialect::Postgres, "bool", Some("boolean")),
        (Dialect::Postgres, "boolean", Some("boolean")),
        (Dialect::Postgres, "date", Some("date")),
        (Dialect::Postgres, "uuid", Some("uuid")),
        (Dialect::Postgres, "bytea", Some("bytea")),
        (Dialect::Postgres, "json", Some("json")),
        (Dialect::Postgres, "jsonb", Some("jsonb")),
        (Dialect::Postgres, "regclass", Some("regclass")),
        (
            Dialect::Postgres,
            "timestamp",
            Some("timestamp without time zone"),
        ),
        (
            Dialect::Postgres,
            "timestamp(3)",
            Some("timestamp(3) without time zone"),
        ),
        (
            Dialect::Postgres,
            "timestamp without time zone",
            Some("timestamp without time zone"),
        ),
        (
            Dialect::Postgres,
            "timestamptz",
            Some("timestamp with time zone"),
        ),
        (
            Dialect::Postgres,
            "timestamptz(6)",
            Some("timestamp(6) with time zone"),
        ),
        (
            Dialect::Postgres,
            "timestamp with time zone",
            Some("timestamp with time zone"),
        ),
        (Dialect::Postgres, "time", Some("time without time zone")),
        (
            Dialect::Postgres,
            "time(2) with time zone",
            Some("time(2) with time zone"),
        ),
        (Dialect::Postgres, "timetz", Some("time with time zone")),
        (Dialect::Postgres, "interval", Some("interval")),
        (Dialect::Postgres, "interval day", None),
        (Dialect::Postgres, "bit", Some("bit(1)")),
        (Dialect::Postgres, "bit(8)", Some("bit(8)")),
        (Dialect::Postgres, "bit varying(8)", Some("bit varying(8)")),
        (Dialect::Postgres, "varbit", Some("bit varying")),
        (Dialect::Postgres, "int[]", Some("integer[]")),
        (Dialect::Postgres, "integer[][]", Some("integer[]")),
        (
            Dialect::Postgres,
            "varchar(20)[]",
            Some("character varying(20)[]"),
        ),
        (Dialect::Postgres, "text[3]", Some("text[]")),
        (Dialect::Postgres, "pg_catalog.int4", Some("integer")),
        (Dialect::Postgres, "inet", Some("inet")),
        (Dialect::Postgres, "tsvector", Some("tsvector")),
        (Dialect::Postgres, "money", Some("money")),
        (Dialect::Postgres, "other.mood", None),
        (Dialect::Postgres, "mood", None),
        (Dialect::Postgres, "\"int4\"", None),
        (Dialect::Postgres, "\"char\"", None),
        (Dialect::Postgres, "numeric(10, -2)", Some("numeric(10,-2)")),
        (
            Dialect::Postgres,
            "timestamp(0)",
            Some("timestamp(0) without time zone"),
        ),
        (Dialect::Postgres, "interval(3)", None),
        (
            Dialect::Postgres,
            "varchar(10) COLLATE \"C\"",
            Some("character varying(10)"),
        ),
        (Dialect::Postgres, "citext", None),
        (Dialect::MySql, "int", Some("int")),
        (Dialect::MySql, "INTEGER", Some("int")),
        (Dialect::MySql, "int(11)", None),
        (Dialect::MySql, "int unsigned", Some("int unsigned")),
        (Dialect::MySql, "integer unsigned", Some("int unsigned")),
        (Dialect::MySql, "tinyint", Some("tinyint")),
        (Dialect::MySql, "tinyint(1)", None),
        (Dialect::MySql, "bool", None),
        (Dialect::MySql, "smallint", Some("smallint")),
        (Dialect::MySql, "mediumint", Some("mediumint")),
        (Dialect::MySql, "bigint", Some("bigint")),
        (Dialect::MySql, "bigint unsigned", Some("bigint unsigned")),
        (Dialect::MySql, "varchar(40)", Some("varchar(40)")),
        (Dialect::MySql, "char", Some("char(1)")),
        (Dialect::MySql, "char(40)", Some("char(40)")),
        (Dialect::MySql, "text", Some("text")),
        (Dialect::MySql, "tinytext", Some("tinytext")),
        (Dialect::MySql, "mediumtext", Some("mediumtext")),
        (Dialect::MySql, "longtext", Some("longtext")),
        (Dialect::MySql, "blob", Some("blob")),
        (Dialect::MySql, "longblob", Some("longblob")),
        (Dialect::MySql, "binary(16)", Some("binary(16)")),
        (Dialect::MySql, "date", Some("date")),
        (Dialect::MySql, "datetime", Some("datetime")),
        (Dialect::MySql, "datetime(0)", Some("datetime")),
        (Dialect::MySql, "datetime(6)", Some("datetime(6)")),
        (Dialect::MySql, "timestamp", Some("timestamp")),
        (Dialect::MySql, "timestamp(3)", Some("timestamp(3)")),
        (Dialect::MySql, "time", Some("time")),
        (Dialect::MySql, "decimal", Some("decimal(10,0)")),
        (Dialect::MySql, "numeric(8)", Some("decimal(8,0)")),
        (Dialect::MySql, "decimal(8, 2)", Some("decimal(8,2)")),
        (Dialect::MySql, "float", Some("float")),
        (Dialect::MySql, "double", Some("double")),
        (Dialect::MySql, "double precision", Some("double")),
        (Dialect::MySql, "real", None),
        (Dialect::MySql, "json", None),
        (Dialect::MySql, "bit", Some("bit(1)")),
        (Dialect::MySql, "bit(8)", Some("bit(8)")),
        (Dialect::MySql, "enum('a', 'b')", None),
        (Dialect::Sqlite, "INTEGER", Some("INTEGER")),
        (Dialect::Sqlite, "int", Some("INT")),
        (Dialect::Sqlite, "BIGINT", Some("BIGINT")),
        (Dialect::Sqlite, "INT64", Some("INT64")),
        (Dialect::Sqlite, "text", Some("TEXT")),
        (Dialect::Sqlite, "VARCHAR(40)", Some("VARCHAR(40)")),
        // SQLite keeps the space (verify sees another type): a difference the model misses.
        (Dialect::Sqlite, "varchar (40)", Some("VARCHAR(40)")),
        (Dialect::Sqlite, "numeric(10,2)", Some("NUMERIC(10,2)")),
        (
            Dialect::Sqlite,
            "double precision",
            Some("DOUBLE PRECISION"),
        ),
        (Dialect::Sqlite, "boolean", Some("BOOLEAN")),
        (Dialect::Sqlite, "datetime", Some("DATETIME")),
        (Dialect::Sqlite, "blob", Some("BLOB")),
    ];

    #[test]
    fn types_are_named_as_the_server_names_them() {
        for (dialect, spelling, name) in NAMES {
            assert_eq!(
                named(*dialect, spelling).as_deref(),
                *name,
                "{dialect:?} {spelling}"
            );
        }
    }
}
