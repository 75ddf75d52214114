//! Reaching the server and waiting for it: connecting with `--wait` (retrying with backoff
//! while the server is not reachable yet), and what a run that waits says, to the observer
//! and in its diagnostics: the server it waits for, the lock holder it waits on, durations as
//! people read them.

use std::time::{Duration, Instant};

use super::Access;
use super::Backend;
use crate::db_url::DbUrl;
use crate::error::{Error, Help, Result, Setting};
use crate::events::{Event, Observer};

/// How long connecting may take without `--wait`: a server that drops packets would otherwise
/// keep the run waiting for as long as the system's TCP retries last (minutes).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects like [`Backend::connect`], within [`CONNECT_TIMEOUT`]; with `wait`, retries with backoff for that long while
/// the server is not reachable ([`Error::Unreachable`]: refused, timed out, starting up),
/// telling `events` what it waits for. Other failures (a bad password, an unknown database)
/// are returned at once: waiting would not fix them.
pub async fn connect<B: Backend>(
    url: &DbUrl,
    access: Access,
    wait: Option<Duration>,
    events: &Observer,
) -> Result<Option<B>> {
    let Some(wait) = wait else {
        return super::watchdog::connect_within::<B>(url, access, CONNECT_TIMEOUT).await;
    };
    let deadline = deadline_after(wait);
    let mut delay = Duration::from_millis(100);
    let mut attempts = 0_u32;
    let mut shown: Option<String> = None;
    loop {
        attempts += 1;
        // A server that drops packets would keep one attempt hanging: bound each one, so that
        // the user hears what is going on, and by the window.
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_secs(1), Duration::from_secs(10));
        let cause = match tokio::time::timeout(budget, B::connect(url, access)).await {
            Ok(Err(Error::Unreachable { cause, .. })) => cause,
            Ok(other) => return other,
            Err(_) => format!("no answer within {}", for_humans(budget)),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(gave_up_waiting(url, wait, attempts, &cause));
        }
        if shown.as_deref() != Some(cause.as_str()) {
            // The window as the user gave it while hardly any of it has passed (not `999ms`
            // for `--wait 1s`), else what is left of it.
            let window = if wait.saturating_sub(left) < Duration::from_secs(1) {
                humantime::format_duration(wait).to_string()
            } else {
                for_humans(left).to_string()
            };
            events.report(Event::WaitingForServer {
                url: url.to_string(),
                address: url.address(),
                cause: cause.clone(),
                window: window.to_string(),
            });
            shown = Some(cause);
        }
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The failure of `--wait`: the server, the window, and the last reason.
fn gave_up_waiting(url: &DbUrl, wait: Duration, attempts: u32, cause: &str) -> Error {
    Error::Unreachable {
        url: url.to_string(),
        cause: format!(
            "still not reachable at {} after waiting {} ({attempts} attempt(s)); the last error: {cause}",
            url.address(),
            humantime::format_duration(wait)
        ),
        help: Some(
            Help::new(format!(
                "check that the server at {} is running and accepts connections, or wait longer (for example ",
                url.address()
            ))
            .suggest(Setting::Wait, Duration::from_secs(300))
            .then(")"),
        ),
    }
}

/// The moment `d` from now; a duration too long to add (`--lock-timeout 1000000y`) is a century.
pub(crate) fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// A query as one short line, for a message.
pub(crate) fn one_line(query: &str) -> String {
    let flat = query.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(80).collect::<String>())
    } else {
        flat
    }
}

/// A computed duration (time left, say) as people read it: `250ms`, `2s`, `1m 30s` (whole
/// seconds from one second on). Durations the user gave are shown as given.
pub(crate) fn for_humans(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(rounded(d))
}

/// `d` to the precision [`for_humans`] shows.
fn rounded(d: Duration) -> Duration {
    if d >= Duration::from_secs(1) {
        Duration::from_secs(d.as_secs() + u64::from(d.subsec_millis() >= 500))
    } else {
        Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The help of a server that is not reachable (yet).
pub(crate) fn retry_help(url: &DbUrl) -> Help {
    Help::new(format!(
        "is the server running and reachable at {}? ",
        url.address()
    ))
    .suggest(Setting::Wait, Duration::from_secs(30))
    .then(" retries while it starts")
}

/// Tells `events` that a run waits for the migration lock.
pub(crate) fn say_waiting_for_lock(
    events: &Observer,
    database: &str,
    holder: &str,
    timeout: Duration,
) {
    if timeout.is_zero() {
        return; // no waiting: the failure says it all
    }
    events.report(Event::WaitingForLock {
        database: database.to_owned(),
        holder: holder.to_owned(),
        timeout,
    });
}

/// The diagnostic of a run that waited `timeout` for the lock. `end_it` says how to end the
/// holder's session when it is stuck, where the server allows that.
pub(crate) fn lock_timed_out(
    database: &str,
    holder: String,
    timeout: Duration,
    end_it: Option<String>,
) -> Error {
    let help = Help::new(
        "another run is migrating this database: wait for it to finish and run the command again, or give it longer with ",
    )
    .suggest(
        Setting::LockTimeout,
        rounded((timeout * 5).max(Duration::from_secs(300))),
    )
    .then(match end_it {
        Some(end_it) => format!("; if that process is gone or stuck, check it first, then {end_it}"),
        None => "; if no such process is running, check for one that is stuck".to_owned(),
    });
    Error::LockTimeout {
        database: database.to_owned(),
        waited: humantime::format_duration(timeout).to_string(),
        holder,
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let shown = |d: Duration| for_humans(d).to_string();
        assert_eq!(shown(Duration::from_millis(500)), "500ms");
        assert_eq!(shown(Duration::from_millis(1_999)), "2s");
        assert_eq!(shown(Duration::from_millis(90_400)), "1m 30s");
        assert_eq!(shown(Duration::ZERO), "0s");
    }

    #[test]
    fn a_lock_timeout_says_who_and_what_to_do() {
        let e = lock_timed_out(
            "database app",
            "server process 42 (deploy@10.0.0.7:5000)".to_owned(),
            Duration::from_secs(60),
            Some("end its server session with `SELECT pg_terminate_backend(42)`".to_owned()),
        );
        assert_eq!(
            e.to_string(),
            "gave up after 1m waiting for the migration lock on database app, held by server process 42 (deploy@10.0.0.7:5000)"
        );
        let Error::LockTimeout { help, .. } = &e else {
            panic!("{e:?}")
        };
        let help = help.to_string();
        assert!(help.contains("`--lock-timeout 5m`"), "{help}");
        assert!(help.contains("pg_terminate_backend(42)"), "{help}");
        assert_eq!(e.exit_code(), crate::error::exit::FAILURE);
        // A long timeout suggests a longer one still.
        let e = lock_timed_out(
            "x.db",
            "another process".to_owned(),
            Duration::from_secs(600),
            None,
        );
        let Error::LockTimeout { help, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(help.to_string().contains("`--lock-timeout 50m`"), "{help}");
    }

    /// The diagnostic as a user sees it (no colours).
    fn rendered(e: Error) -> String {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .render_report(&mut out, &e)
            .unwrap();
        out
    }

    #[test]
    fn rendered_lock_timeout_and_unreachable() {
        insta::assert_snapshot!(
            "lock_timeout",
            rendered(lock_timed_out(
                "database app",
                "server process 4242 (deploy@10.0.0.7:58070, application `cargo-migrate pid 99`, connected since 2026-01-02 03:04:05 UTC, running `BEGIN; CREATE INDEX i ON t (c)` for 12 s)".to_owned(),
                Duration::from_secs(60),
                Some("end its server session with `SELECT pg_terminate_backend(4242)`, which releases the lock".to_owned()),
            ))
        );
        let url = DbUrl::parse("postgres://app:hunter2@db:5432/app").unwrap();
        insta::assert_snapshot!(
            "unreachable_after_wait",
            rendered(gave_up_waiting(
                &url,
                Duration::from_secs(30),
                17,
                "error communicating with database: Connection refused (os error 111)"
            ))
        );
    }

    #[test]
    fn queries_are_shown_on_one_short_line() {
        assert_eq!(one_line("SELECT 1\n  FROM   t"), "SELECT 1 FROM t");
        let long = "x".repeat(100);
        assert_eq!(one_line(&long).chars().count(), 81);
    }
}
