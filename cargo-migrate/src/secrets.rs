//! The passwords this process has seen, and [`scrub`], which removes them from anything printed
//! or reported. A leaf: every module that renders text may use it, and it uses nothing of the
//! crate.

use std::sync::Mutex;

/// Every password seen in a URL this process parsed; error output is scrubbed of them.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Replaces every known password in `text` with `***`.
pub fn scrub(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 2) {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// Adds a password (and its percent-decoded form) to the list [`scrub`] removes.
pub fn remember(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let decoded = url::form_urlencoded::parse(format!("p={secret}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned());
    for s in std::iter::once(secret.to_owned()).chain(decoded) {
        if !secrets.contains(&s) {
            secrets.push(s);
        }
    }
    // Longest first, so that a password containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}
