//! Database URLs: which backend, where, and how to show them without their password.

use std::fmt;
use std::path::{Path, PathBuf};

use build_support::Dialect;

use crate::secrets;

/// A URL that cannot be used, with the reason; the URL is shown masked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid database URL `{url}`: {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
    MySql,
}

impl DbKind {
    pub fn dialect(self) -> Dialect {
        match self {
            DbKind::Sqlite => Dialect::Sqlite,
            DbKind::Postgres => Dialect::Postgres,
            DbKind::MySql => Dialect::MySql,
        }
    }

    /// The crate feature that compiles this database's driver.
    pub fn feature(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
            DbKind::MySql => "mysql",
        }
    }

    /// Whether this build has the driver (see [`DbKind::feature`]).
    pub fn is_built(self) -> bool {
        match self {
            DbKind::Sqlite => cfg!(feature = "sqlite"),
            DbKind::Postgres => cfg!(feature = "postgres"),
            DbKind::MySql => cfg!(feature = "mysql"),
        }
    }
}

/// A parsed database URL. Its `Display` masks the password; [`DbUrl::expose`] gives the real
/// URL for the driver and nothing else.
#[derive(Clone)]
pub struct DbUrl {
    raw: String,
    masked: String,
    pub kind: DbKind,
    /// For SQLite: the database file (`None` for an in-memory database).
    pub sqlite_path: Option<PathBuf>,
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.masked)
    }
}

/// Masks the password of a `scheme://user:password@host…` URL by text alone, so that even a URL
/// too broken to parse is never shown with its password.
fn mask_userinfo(raw: &str) -> String {
    mask_userinfo_checked(raw).0
}

/// [`mask_userinfo`], and whether the password seems to hold an unencoded `/`, `?` or `#`,
/// which ends the authority early, so that the URL cannot mean what was written.
fn mask_userinfo_checked(raw: &str) -> (String, bool) {
    let (masked, reserved) = mask_authority(raw);
    // Masking the user part can cut into the query (up to an `@` in it, or past the `?` it
    // starts with), and a stray `?` makes a key `?password`: the passwords of the URL as
    // written are masked wherever they are left.
    let masked = (written_passwords(raw).iter())
        .filter(|s| s.len() >= 2)
        .fold(mask_query_passwords(&masked), |masked, s| {
            masked.replace(s.as_str(), "***")
        });
    (masked, reserved)
}

/// Masks `?password=…` and `sslpassword=…` query values, which drivers accept too.
fn mask_query_passwords(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    // A `#` in a password is not a fragment: the value runs to the next `&`.
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value))
                if ["password", "sslpassword", "pass"]
                    .contains(&key.to_ascii_lowercase().as_str()) =>
            {
                secrets::remember(value);
                format!("{key}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// Where the scheme ends: at its first character that a scheme cannot have (RFC 3986 allows
/// letters, digits, `+`, `-` and `.`), whatever separator was written after it.
fn scheme_end(raw: &str) -> usize {
    raw.find(|c: char| !c.is_ascii_alphanumeric() && !"+.-".contains(c))
        .unwrap_or(raw.len())
}

/// The values of `password=`, `sslpassword=` and `pass=` anywhere in `url` after a character
/// that is not a name's, each up to the next `&`, remembered.
fn written_passwords(url: &str) -> Vec<String> {
    let lower = url.to_ascii_lowercase();
    let mut found = Vec::new();
    for key in ["password=", "pass="] {
        for (at, _) in lower.match_indices(key) {
            let before = lower[..at].trim_end_matches("ssl");
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let value = &url[at + key.len()..];
            let value = &value[..value.find('&').unwrap_or(value.len())];
            secrets::remember(value);
            found.push(value.to_owned());
        }
    }
    found
}

/// A server URL written without `//` (`postgres:user:pw@host/db`, or `postgres//user:pw@host/db`)
/// does not parse, and is shown in the error that says so: everything after the scheme and its
/// misspelt separator and before the last `@` could be a password, and all of it is masked (a
/// user name cannot be told apart here: in `postgresu:pw:x@host/db` the user is glued to the
/// scheme, and what precedes the first `:` is a password's).
fn mask_without_slashes(raw: &str) -> String {
    let scheme_end = scheme_end(raw);
    if raw[..scheme_end].eq_ignore_ascii_case("sqlite") && raw[scheme_end..].starts_with(':') {
        return raw.to_owned();
    }
    let separator = raw[scheme_end..]
        .strip_prefix(':')
        .unwrap_or(&raw[scheme_end..]);
    let rest = separator.trim_start_matches('/');
    let (start, rest) = raw.split_at(raw.len() - rest.len());
    let Some(at) = rest.rfind('@') else {
        return raw.to_owned();
    };
    let userinfo = &rest[..at];
    if let Some((_, secret)) = userinfo.split_once(':') {
        secrets::remember(secret);
    }
    secrets::remember(userinfo);
    format!("{start}***{}", &rest[at..])
}

/// Masks the password of the `user:password@` part.
/// A password with an unencoded `/`, `?` or `#` ends the authority before its `@`
/// (`postgres://app:pa/ss@db/app`): then the last `@` is taken, and the bool is true, when the
/// URL could not be what it says (that `@` is before the query, or the URL does not parse or
/// names no database). A valid URL whose `@` after the authority are in query parameters' values
/// only is left alone.
fn mask_authority(raw: &str) -> (String, bool) {
    // The `://` right after the scheme: one further on (`postgres:u://x@h`) is a password's.
    let scheme_end = scheme_end(raw);
    if !raw[scheme_end..].starts_with("://") {
        return (mask_without_slashes(raw), false);
    }
    let rest = &raw[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(last) = rest.rfind('@') else {
        return (raw.to_owned(), false);
    };
    // Where the query proper starts: an `@` between the authority and it (in the path, or after
    // a `#`) is a password's whose `/` or `#` ended the authority early.
    let query = rest[authority_end..]
        .find('?')
        .map_or(rest.len(), |q| authority_end + q);
    let (at, reserved) = if last < authority_end {
        (last, false)
    } else {
        let valid = url::Url::parse(raw).is_ok_and(|u| {
            let host = u.host_str().is_some_and(|h| !h.is_empty())
                || u.query_pairs().any(|(k, _)| k == "host" || k == "socket");
            host && !u.path().trim_start_matches('/').is_empty()
        });
        let in_path = rest[authority_end..query].contains('@');
        // The `:` of `app:/pa@ss…` is a password's too: the URL parses, as the host `app` with
        // an empty port.
        let authority = &rest[..authority_end];
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let after_host = match host.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or("", |(_, after)| after),
            None => host,
        };
        let port = after_host
            .split_once(':')
            .is_none_or(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
        // Nor is a fragment part of a database URL: an `@` after a `#` is a password's.
        let fragment = rest.find('#').unwrap_or(rest.len());
        // And the `@` of `application_name=me@host` is in a parameter's value: one in a part of
        // the query without `=` before it (`?-a@h/db`) is a password's.
        let in_value = rest[query..].match_indices('@').all(|(at, _)| {
            let before = &rest[query..query + at];
            let pair = before.rfind(['?', '&']).unwrap_or(0);
            before[pair..].contains('=')
        });
        let means_it = last > query && last < fragment && in_value && valid && !in_path && port;
        match authority.rfind('@') {
            // An `@` in the query of a URL that means what it says is not a password's.
            Some(at) if means_it => (at, false),
            None if means_it => return (raw.to_owned(), false),
            // An `@` after a `/`, `?` or `#` that ended the authority early.
            _ => (last, true),
        }
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return (raw.to_owned(), false);
    };
    secrets::remember(&userinfo[colon + 1..]);
    let masked = format!(
        "{}{}:***{}",
        &raw[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    );
    (masked, reserved)
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<DbUrl, UrlError> {
        let raw = raw.trim();
        let (masked, reserved) = mask_userinfo_checked(raw);
        let bad = |reason: &str| UrlError {
            url: masked.clone(),
            reason: reason.to_owned(),
        };
        let scheme = raw.split(':').next().unwrap_or("").to_ascii_lowercase();
        let kind = match scheme.as_str() {
            "sqlite" => DbKind::Sqlite,
            "postgres" | "postgresql" => DbKind::Postgres,
            "mysql" | "mariadb" => DbKind::MySql,
            "" => return Err(bad("the URL is empty")),
            _ if !raw.contains(':') => {
                return Err(bad(
                    "it has no scheme (expected sqlite:, postgres:// or mysql://)",
                ));
            }
            other => {
                return Err(bad(&format!(
                    "unknown scheme `{other}` (expected sqlite, postgres, postgresql, mysql or mariadb)"
                )));
            }
        };
        if !kind.is_built() {
            return Err(bad(&format!(
                "this build of cargo-migrate has no {} driver: enable the `{}` feature of the `cargo-migrate` dependency",
                kind.dialect(),
                kind.feature()
            )));
        }
        if reserved && kind != DbKind::Sqlite {
            return Err(bad(
                "its password seems to contain `/`, `?` or `#`, which end the password early: percent-encode them in the URL (`%2F`, `%3F`, `%23`; `@` is `%40`)",
            ));
        }
        let mut sqlite_path = None;
        if kind == DbKind::Sqlite {
            let rest = raw["sqlite:".len()..]
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or("");
            if rest.is_empty() {
                return Err(bad(
                    "it names no database file (write `sqlite:path/to/file.db`)",
                ));
            }
            if rest != ":memory:" {
                sqlite_path = Some(PathBuf::from(rest));
            }
        } else {
            // Right after the scheme: a `://` further on is in a password or a path.
            if !raw[scheme.len()..].starts_with("://") {
                return Err(bad(&format!(
                    "it has no `//` after `{scheme}:` (write `{scheme}://user:password@host/database`)"
                )));
            }
            let parsed = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
            if parsed.host_str().is_none_or(str::is_empty)
                && !parsed
                    .query_pairs()
                    .any(|(k, _)| k == "host" || k == "socket")
            {
                return Err(bad("it names no host"));
            }
            if parsed.path().trim_start_matches('/').is_empty() {
                return Err(bad(
                    "it names no database (add `/<database>` after the host)",
                ));
            }
        }
        let raw = if scheme == "mariadb" {
            format!("mysql{}", &raw["mariadb".len()..])
        } else {
            raw.to_owned()
        };
        Ok(DbUrl {
            raw,
            masked,
            kind,
            sqlite_path,
        })
    }

    /// A SQLite database file given by path (the embedded default).
    pub fn sqlite_file(path: PathBuf) -> DbUrl {
        let shown = format!("sqlite:{}", path.display());
        DbUrl {
            raw: shown.clone(),
            masked: shown,
            kind: DbKind::Sqlite,
            sqlite_path: Some(path),
        }
    }

    /// Makes a relative SQLite path relative to `base` instead of the working directory.
    pub fn resolve_sqlite_path(self, base: &Path) -> DbUrl {
        match &self.sqlite_path {
            Some(p) if p.is_relative() => {
                let abs = base.join(p);
                let query = self.raw.split_once('?').map(|(_, q)| q);
                let raw = match query {
                    Some(q) => format!("sqlite://{}?{q}", abs.display()),
                    None => format!("sqlite://{}", abs.display()),
                };
                DbUrl {
                    masked: raw.clone(),
                    raw,
                    kind: DbKind::Sqlite,
                    sqlite_path: Some(abs),
                }
            }
            _ => self,
        }
    }

    /// Where the server is, for messages: `host:port` (the driver's default port when the URL
    /// names none), the `host`/`socket` query parameter, or the SQLite file.
    pub fn address(&self) -> String {
        if let Some(path) = &self.sqlite_path {
            return path.display().to_string();
        }
        let Ok(parsed) = url::Url::parse(&self.raw) else {
            return self.masked.clone();
        };
        if let Some((_, v)) = parsed
            .query_pairs()
            .find(|(k, _)| k == "host" || k == "socket")
        {
            return v.into_owned();
        }
        let port = parsed.port().unwrap_or(match self.kind {
            DbKind::Postgres => 5432,
            _ => 3306,
        });
        format!("{}:{port}", parsed.host_str().unwrap_or("localhost"))
    }

    /// The URL with its password, for the driver only. Never print it.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The same server and credentials with another database (for scratch databases). Only
    /// for server URLs; the password stays masked in the new URL's `Display`.
    pub fn with_database(&self, database: &str) -> Result<DbUrl, UrlError> {
        let bad = |reason: String| UrlError {
            url: self.masked.clone(),
            reason,
        };
        if self.kind == DbKind::Sqlite {
            return Err(bad("a SQLite URL names a file, not a database".to_owned()));
        }
        let mut parsed = url::Url::parse(&self.raw).map_err(|e| bad(e.to_string()))?;
        parsed.set_path(&format!("/{database}"));
        let raw = parsed.to_string();
        Ok(DbUrl {
            masked: mask_userinfo(&raw),
            raw,
            kind: self.kind,
            sqlite_path: None,
        })
    }

    /// The database name, for messages (`None` for SQLite).
    pub fn database_name(&self) -> Option<String> {
        if self.kind == DbKind::Sqlite {
            return None;
        }
        let parsed = url::Url::parse(&self.raw).ok()?;
        Some(parsed.path().trim_start_matches('/').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::scrub;

    #[test]
    fn kinds_by_scheme() {
        assert_eq!(DbUrl::parse("sqlite:dev.db").unwrap().kind, DbKind::Sqlite);
        assert_eq!(
            DbUrl::parse("sqlite://target/x.db?mode=rwc")
                .unwrap()
                .sqlite_path,
            Some(PathBuf::from("target/x.db"))
        );
        assert_eq!(DbUrl::parse("sqlite::memory:").unwrap().sqlite_path, None);
        assert_eq!(
            DbUrl::parse("postgresql://u@h/db").unwrap().kind,
            DbKind::Postgres
        );
        let maria = DbUrl::parse("mariadb://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(maria.kind, DbKind::MySql);
        assert_eq!(maria.expose(), "mysql://root@127.0.0.1:3306/test");
        assert_eq!(maria.database_name().as_deref(), Some("test"));
    }

    #[test]
    fn addresses_for_messages() {
        let address = |u: &str| DbUrl::parse(u).unwrap().address();
        assert_eq!(
            address("postgres://app:pw@db.example/prod"),
            "db.example:5432"
        );
        assert_eq!(
            address("mysql://root@127.0.0.1:3307/test"),
            "127.0.0.1:3307"
        );
        assert_eq!(address("mariadb://root@h/test"), "h:3306");
        assert_eq!(
            address("postgres://localhost/prod?host=/var/run/postgresql"),
            "/var/run/postgresql"
        );
        assert_eq!(address("sqlite:dev.db"), "dev.db");
    }

    #[test]
    fn passwords_never_show() {
        let url = DbUrl::parse("postgres://app:s3cr%40t@db.example:5432/prod").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db.example:5432/prod");
        assert_eq!(
            format!("{url:?}"),
            "DbUrl(postgres://app:***@db.example:5432/prod)"
        );
        assert_eq!(
            scrub("auth failed for s3cr@t and s3cr%40t"),
            "auth failed for *** and ***"
        );
    }

    #[test]
    fn another_database_on_the_same_server() {
        let url = DbUrl::parse("postgres://app:pw%2Fx@db:5432/prod?sslmode=disable").unwrap();
        let scratch = url.with_database("cm_verify_1_2").unwrap();
        assert_eq!(
            scratch.expose(),
            "postgres://app:pw%2Fx@db:5432/cm_verify_1_2?sslmode=disable"
        );
        assert_eq!(
            scratch.to_string(),
            "postgres://app:***@db:5432/cm_verify_1_2?sslmode=disable"
        );
        assert_eq!(scratch.database_name().as_deref(), Some("cm_verify_1_2"));
        assert!(
            DbUrl::parse("sqlite:x.db")
                .unwrap()
                .with_database("y")
                .is_err()
        );
    }

    #[test]
    fn query_passwords_are_masked() {
        let url =
            DbUrl::parse("postgres://app@db/prod?sslmode=require&password=qu3ry-Secret").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://app@db/prod?sslmode=require&password=***"
        );
        assert_eq!(scrub("failed: qu3ry-Secret"), "failed: ***");
    }

    /// Every shape of URL, valid or not, built from the parts people get wrong (the `//`, an
    /// `@`, `:`, `/`, `?`, `#` or space in the password, a percent-encoded one, an empty user,
    /// no host, no database, a query password): no output of parsing it shows the password.
    #[test]
    fn no_url_shape_shows_its_password() {
        let passwords = [
            "pw1x", "p@ss2", "p:ss3", "p/ss4", "p?ss5", "p#ss6", "p%40ss7", "p ss8", "s3cr@t@9",
        ];
        let mut tried = 0;
        for scheme in ["postgres", "mysql", "mariadb", "postgresql", "pg"] {
            for sep in ["://", ":", ":/", ":///"] {
                for user in ["u", "", "us@er"] {
                    for host in ["h", "h:5432", "", "h:x"] {
                        for path in ["/db", "", "/"] {
                            for pw in passwords {
                                for query in ["", "?sslmode=require", "?password="] {
                                    let query = match query {
                                        "?password=" => format!("?password={pw}"),
                                        q => q.to_owned(),
                                    };
                                    let raw =
                                        format!("{scheme}{sep}{user}:{pw}@{host}{path}{query}");
                                    let shown = match DbUrl::parse(&raw) {
                                        Ok(url) => format!("{url} {url:?} {}", url.address()),
                                        Err(e) => e.to_string(),
                                    };
                                    let decoded = pw.replace("%40", "@");
                                    assert!(
                                        !shown.contains(pw) && !shown.contains(&decoded),
                                        "{raw} shown as {shown}"
                                    );
                                    assert!(!scrub(&raw).contains(pw), "{raw}");
                                    tried += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(tried, 5 * 4 * 3 * 4 * 3 * 9 * 3);
    }

    /// Found by `random_urls_never_show_their_password` (issue 11): the key was `?password`.
    #[test]
    fn a_query_password_after_a_stray_question_mark_is_masked() {
        for (url, masked) in [
            (
                "postgres://u@h??password=éa A?-",
                "`postgres://u@h??password=***`",
            ),
            (
                "postgres://u@h?#?password=éa A?-",
                "`postgres://u@h?#?password=***`",
            ),
        ] {
            let shown = DbUrl::parse(url).unwrap_err().to_string();
            assert!(shown.contains(masked), "{shown}");
        }
    }

    #[test]
    fn a_url_without_slashes_is_refused_and_masked() {
        let shown = DbUrl::parse("postgres:app:hunter22@db/prod")
            .unwrap_err()
            .to_string();
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("postgres:***@db/prod"), "{shown}");
        assert!(shown.contains("no `//` after `postgres:`"), "{shown}");
    }

    /// Found by `random_urls_never_show_their_password` (issue 11): with `//` but no `:`, the
    /// scheme was read as `postgres//u` and the password as the user name; with the user glued
    /// to the scheme, the password's first part was read as the user name; a `://` after the
    /// scheme's `:` (in a host `127.0.0.1:` before a path `//`, or a password `//…`) was taken
    /// for the one after the scheme.
    #[test]
    fn a_url_with_a_misspelt_separator_is_masked() {
        for (url, secret, masked) in [
            (
                "postgres//u:00A0a~@h:5432/db?application_name=me@host",
                "00A0a~",
                "`postgres//***@host`",
            ),
            ("postgresu:-0= a:@h/db", "-0= a", "`postgresu:***@h/db`"),
            ("sqlite//u:a0a AA@h/db", "a0a AA", "`sqlite//***@h/db`"),
            (
                "postgres:u:-0aéaA@127.0.0.1://",
                "-0aéaA",
                "`postgres:***@127.0.0.1://`",
            ),
            ("postgres:u://##AA@h/db", "##AA", "`postgres:***@h/db`"),
            (
                "postgres:u:a00=*a@127.0.0.1://?host=/run/pg",
                "a00=*a",
                "`postgres:***@127.0.0.1://?host=/run/pg`",
            ),
        ] {
            let shown = DbUrl::parse(url).unwrap_err().to_string();
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains(masked), "{shown}");
            assert!(!scrub(url).contains(secret), "{url}");
        }
    }

    /// Found by `random_urls_never_show_their_password` (issue 11): URLs whose password starts
    /// with `/` and that have an `@` after it (in the fragment, in the query) were taken for
    /// ones without a password.
    #[test]
    fn a_password_cut_short_by_a_slash_is_masked_whatever_follows() {
        let shown = DbUrl::parse("postgres://u:/*=*-=@h#@")
            .unwrap_err()
            .to_string();
        assert!(!shown.contains("*=*-="), "{shown}");
        assert!(shown.contains("percent-encode"), "{shown}");
        // These parse (the host `app` with an empty port, the rest a path and a fragment).
        for (url, masked) in [
            ("postgres://app:/~#-é*@h/db", "`postgres://app:***@h/db`"),
            ("postgres://app:/a?b=1@h/db", "`postgres://app:***@h/db`"),
            (
                "postgres://us@er:/*#=Aa@h/db",
                "`postgres://us@er:***@h/db`",
            ),
            ("postgres://u:0/é?é#@h/db", "`postgres://u:***@h/db`"),
            ("postgres://u:0/0?-a@h/db", "`postgres://u:***@h/db`"),
            (
                "postgres://app:0/0?a$@h/db?application_name=me@host",
                "`postgres://app:***@host`",
            ),
            (
                "postgres://u:@=/aA#@h/db?application_name=me@host",
                "`postgres://u:***@host`",
            ),
        ] {
            let shown = DbUrl::parse(url).unwrap_err().to_string();
            assert!(shown.contains(masked), "{shown}");
        }
        // An `@` in the query of a URL with a host, a port and no password is not a password's.
        for url in [
            "postgres://db:5432/prod?application_name=me@host",
            "postgres://[::1]:5432/prod?application_name=me@host",
            "postgres://[::1]/prod?application_name=me@host",
        ] {
            assert_eq!(DbUrl::parse(url).unwrap().to_string(), url);
        }
    }

    /// Found by `random_urls_never_show_their_password` (issue 11): masking the user part up to
    /// an `@` in the query took the query's `?` (or cut into its password), and the query's
    /// password was left.
    #[test]
    fn a_query_password_is_masked_when_the_user_part_takes_the_query_start() {
        for (url, secret, masked) in [
            (
                "postgres://u:=-A/Aa@h/db?application_name=me@host&password==-A/Aa",
                "-A/Aa",
                "`postgres://u:***@host&password=***`",
            ),
            (
                "postgres://u:éa*? 0@h/db?application_name=me@host&password=éa*? 0",
                "éa*",
                "`postgres://u:***@host&password=***`",
            ),
            (
                "postgres://u:@?= ~#@h/db#x?password=@?= ~#",
                "?= ~#",
                "`postgres://u:******`",
            ),
            (
                "postgres://u:@*a*~é@h?password=@*a*~é",
                "*a*~é",
                "`postgres://u:******`",
            ),
        ] {
            let shown = DbUrl::parse(url).unwrap_err().to_string();
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains(masked), "{shown}");
        }
    }

    #[test]
    fn broken_urls_are_masked_too() {
        let err = DbUrl::parse("postgres://app:hunter22@db:notaport/prod").unwrap_err();
        let shown = err.to_string();
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db:notaport/prod"),
            "{shown}"
        );
    }

    #[test]
    fn a_password_with_a_reserved_character_is_masked_and_refused() {
        for (url, secret) in [
            ("postgres://app:Pa55/word@db/prod", "Pa55/word"),
            ("postgres://app:Pa55#word@db/prod", "Pa55#word"),
            ("mysql://app:Pa55?word@db/prod", "Pa55?word"),
            ("postgres://app:1234/x@db/prod", "1234/x"),
            ("postgres://app:12?x@db/prod", "12?x"),
        ] {
            let shown = DbUrl::parse(url).unwrap_err().to_string();
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("percent-encode"), "{shown}");
        }
        // `@` in the query of a URL without a password is not a password.
        let url = DbUrl::parse("postgres://db:5432/prod?application_name=me@host").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://db:5432/prod?application_name=me@host"
        );
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("", "empty"),
            ("localhost/db", "no scheme"),
            ("oracle://x/y", "unknown scheme `oracle`"),
            ("postgres://host:5432", "no database"),
            ("sqlite:", "no database file"),
        ] {
            let err = DbUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
    }
}
