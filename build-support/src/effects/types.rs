//! Types a column is declared with: the `Use` of a user-defined type, and the built-in and
//! extension types that `CREATE TYPE` never made.

use sqlparser::ast::{ArrayElemTypeDef, DataType, ObjectName};

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
