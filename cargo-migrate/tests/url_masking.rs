//! URL masking over random URLs (issue 11), complementing the 12,960 shapes of
//! `no_url_shape_shows_its_password` in src/db_url.rs.
//!
//! A test binary of its own: masking a URL remembers what it took for a password in a
//! process-wide list (`secrets`), and the random URLs here make it remember random strings, which
//! would mask text in the assertions of whatever test the library's test binary runs beside
//! this one. `cargo xtask fuzz` runs the property for longer.

use cargo_migrate::db_url::DbUrl;
use cargo_migrate::secrets::scrub;
use proptest::prelude::*;

/// A random URL around a password of at least six characters (so that it cannot occur in
/// the rest of the URL by accident): any scheme, with or without `//`, a user or not, any
/// host, port, path and query, the password in the user part, in the query, or both; and
/// whether it is in the user part.
fn url_with_password() -> impl Strategy<Value = (String, String, bool)> {
    let scheme = proptest::sample::select(
        &[
            "postgres",
            "postgresql",
            "mysql",
            "mariadb",
            "sqlite",
            "PostgreS",
            "pg",
            "",
        ][..],
    );
    let separator = proptest::sample::select(&["://", ":", ":/", ":///", "//", ""][..]);
    // No `:` in the user and no `@` in the host: the password is then what a driver reads
    // as one (with `u:x` or a host `@h`, it would be `x:password` or `password@`).
    let user = prop_oneof![
        proptest::sample::select(&["u", "", "app", "us@er", "%40u"][..]).prop_map(str::to_owned),
        "[a-z@%]{1,4}",
    ];
    let host = prop_oneof![
        proptest::sample::select(
            &[
                "h",
                "db.example",
                "h:5432",
                "h:x",
                "",
                "[::1]:5432",
                "127.0.0.1:"
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9.:-]{0,8}",
    ];
    let path = prop_oneof![
        proptest::sample::select(&["/db", "", "/", "/d b", "/db/x"][..]).prop_map(str::to_owned),
        // A path starts with `/`: `h` then `@v/s` is the host `v` after a password `…@h`.
        "(/[a-z/@?#]{0,5})?",
    ];
    let query = proptest::sample::select(
        &[
            "",
            "?sslmode=require",
            "?application_name=me@host",
            "?host=/run/pg",
            "#x",
        ][..],
    );
    let placement = proptest::sample::select(&["user", "user", "query", "both"][..]);
    let key = proptest::sample::select(&["password", "sslpassword", "pass", "PASSWORD"][..]);
    (
        (scheme, separator, user, host, path, query),
        // The URL's reserved characters written unencoded included: people paste
        // passwords as they are.
        (placement, key, "[a-zA-Z0-9@:/#?%&=+!$*;~ .é-]{6,16}"),
        "[ \\t]{0,1}",
    )
        // Glued to a scheme without its `:`, a password starting with `//` reads as the
        // scheme's `//` and a user name: `postgres` `u:` `//x@h` is `postgresu://x@h`.
        .prop_filter(
            "no password to find",
            |((_, separator, ..), (placement, _, password), _)| {
                !(separator.is_empty() && *placement != "query" && password.starts_with("//"))
            },
        )
        .prop_map(
            |((scheme, separator, user, host, path, query), (placement, key, password), pad)| {
                let userinfo = match placement {
                    "query" => format!("{user}@"),
                    _ => format!("{user}:{password}@"),
                };
                // In a query an unencoded `&` ends the value: what follows is not the
                // password any driver reads.
                let in_query = password.replace('&', "_");
                let query = match placement {
                    "user" => query.to_owned(),
                    _ => {
                        let glue = if query.contains('?') { '&' } else { '?' };
                        format!("{query}{glue}{key}={in_query}")
                    }
                };
                let password = if placement == "query" {
                    in_query
                } else {
                    password
                };
                let url = format!("{pad}{scheme}{separator}{userinfo}{host}{path}{query}{pad}");
                (url, password, placement != "query")
            },
        )
}

/// The forms of a password someone may see: as written and percent-decoded.
fn forms_of(password: &str) -> Vec<String> {
    let decoded = url::form_urlencoded::parse(format!("p={password}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned());
    std::iter::once(password.to_owned())
        .chain(decoded.filter(|d| d.chars().count() >= 6))
        .collect()
}

proptest! {
    /// Complements `no_url_shape_shows_its_password` with random shapes: a server URL's
    /// password (in its user part or its query) never shows in its `Display`, `Debug`,
    /// address, database name, scratch-database URL or error, nor, once the URL was
    /// parsed, in text the command line scrubs (`secrets::scrub`, which cli/report.rs
    /// applies to every rendered diagnostic) that quotes the URL or, for a URL a driver
    /// gets, the password. A SQLite URL names a file and has no user part, so only its
    /// query password is checked; parsing never panics on any of them.
    #[test]
    fn random_urls_never_show_their_password(
        (raw, password, in_user_part) in url_with_password()
    ) {
        let forms = forms_of(&password);
        let rest = raw.replace(&password, "");
        prop_assume!(forms.iter().all(|f| !rest.contains(f.as_str())));
        let parsed = DbUrl::parse(&raw);
        let shown = match &parsed {
            Ok(url) => {
                let scratch = match url.with_database("cm_verify_1") {
                    Ok(scratch) => format!("{scratch} {scratch:?}"),
                    Err(e) => format!("{e} {e:?}"),
                };
                let name = url.database_name().unwrap_or_default();
                format!("{url} {url:?} {} {name} {scratch}", url.address())
            }
            Err(e) => format!("{e} {e:?}"),
        };
        let sqlite = raw.trim_start().to_ascii_lowercase().starts_with("sqlite:");
        if sqlite && in_user_part {
            return Ok(());
        }
        // Any message may quote the URL; only a URL that parsed reaches a driver, whose
        // errors may also quote the password alone.
        let scrubbed = match parsed {
            Ok(_) => scrub(&format!("connection to {raw} failed: {password}")),
            Err(_) => scrub(&raw),
        };
        for form in &forms {
            prop_assert!(!shown.contains(form.as_str()), "{raw} shown as {shown}");
            prop_assert!(
                sqlite || !scrubbed.contains(form.as_str()),
                "{raw} scrubbed as {scrubbed}"
            );
        }
    }
}
