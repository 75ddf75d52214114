//! What the library reports while it works. The library never prints: it hands each
//! [`Event`] to the [`Events`] observer of its [`Config`](crate::config::Config). The CLI
//! prints them as Cargo-style status lines; an application that embeds the migrator routes
//! them to its own log, or ignores them (the default).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something worth telling whoever runs the migrations.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server does not accept connections yet and the run retries (`--wait`).
    WaitingForServer {
        /// The URL, password masked.
        url: String,
        /// Where the server is: `host:port`, a socket or a file.
        address: String,
        /// Why the last attempt failed.
        cause: String,
        /// How long it goes on retrying, as people read it.
        window: String,
    },
    /// Another run holds the migration lock; this one waits for it up to `timeout`.
    WaitingForLock {
        database: String,
        holder: String,
        timeout: Duration,
    },
    /// Something that does not stop the run but that its reader should know.
    Warning { message: String },
    /// `verify` created its scratch database, which it drops at the end whatever happens.
    ScratchCreated {
        /// Its name, or its file for SQLite.
        database: String,
    },
    /// `verify` runs a migration in its scratch database.
    Verifying { migration: String, step: VerifyStep },
    /// `verify` ran to the end and every down script undid its up script.
    Verified {
        /// The migrations whose down script was proved.
        migrations: usize,
        /// The irreversible migrations applied without a down.
        irreversible: usize,
    },
    /// `verify` dropped its scratch database.
    ScratchDropped { database: String },
    /// `verify` made its scratch database again, with the ups up to and including `after`,
    /// whose down left it in a state of its own, and goes on with the next migration.
    ScratchRebuilt { database: String, after: String },
}

/// What `verify` does with one migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyStep {
    /// Up, down, compare the schema with the one before the up, up again.
    Verify,
    /// Before the first migration to verify (`--from`): applied to reach the starting point.
    BeforeFrom,
    /// Up-only or `-- migrate:irreversible`: applied, not reverted.
    Irreversible,
    /// No down script and not marked irreversible: applied, not reverted, and a failure.
    NoDown,
}

impl Event {
    /// The verb of a Cargo-style status line (`Waiting`), or `warning`.
    pub fn verb(&self) -> &'static str {
        match self {
            Event::WaitingForServer { .. } | Event::WaitingForLock { .. } => "Waiting",
            Event::Warning { .. } => "warning",
            Event::ScratchCreated { .. } => "Created",
            Event::Verifying {
                step: VerifyStep::Verify,
                ..
            } => "Verifying",
            Event::Verifying { .. } => "Applying",
            Event::Verified { .. } => "Verified",
            Event::ScratchDropped { .. } => "Dropped",
            Event::ScratchRebuilt { .. } => "Rebuilt",
        }
    }

    pub fn is_warning(&self) -> bool {
        matches!(self, Event::Warning { .. })
    }
}

/// The line after the verb.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::WaitingForServer {
                url,
                address,
                cause,
                window,
            } => write!(
                f,
                "for {url} ({address}) to accept connections: {cause}; retrying for up to {window}"
            ),
            Event::WaitingForLock {
                database,
                holder,
                timeout,
            } => write!(
                f,
                "for the migration lock on {database}, held by {holder} (gives up after {})",
                humantime::format_duration(*timeout)
            ),
            Event::Warning { message } => f.write_str(message),
            Event::ScratchCreated { database } => {
                write!(f, "scratch database {database} (dropped at the end)")
            }
            Event::Verifying { migration, step } => {
                f.write_str(migration)?;
                match step {
                    VerifyStep::Verify => Ok(()),
                    VerifyStep::BeforeFrom => f.write_str(" (before --from: not verified)"),
                    VerifyStep::Irreversible => {
                        f.write_str(" (irreversible: applied, not reverted)")
                    }
                    VerifyStep::NoDown => f.write_str(" (no down script: applied, not reverted)"),
                }
            }
            Event::Verified {
                migrations,
                irreversible,
            } => {
                write!(
                    f,
                    "{migrations} migration(s): every down script undoes its up script"
                )?;
                match irreversible {
                    0 => Ok(()),
                    n => write!(f, "; {n} irreversible migration(s) applied without a down"),
                }
            }
            Event::ScratchDropped { database } => write!(f, "scratch database {database}"),
            Event::ScratchRebuilt { database, after } => write!(
                f,
                "scratch database {database} with the up scripts up to {after} (its down left the database in a state of its own), to go on with the next migration"
            ),
        }
    }
}

/// Receives the library's events. Implemented for closures: `Arc::new(|e: &Event| …)`.
pub trait Events: Send + Sync {
    fn report(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> Events for F {
    fn report(&self, event: &Event) {
        self(event)
    }
}

/// A shared observer, as the config holds it; [`Observer::silent`] drops every event.
#[derive(Clone)]
pub struct Observer(Arc<dyn Events>);

impl Observer {
    pub fn new(events: impl Events + 'static) -> Self {
        Observer(Arc::new(events))
    }

    pub fn silent() -> Self {
        Observer::new(|_: &Event| {})
    }

    pub fn report(&self, event: Event) {
        self.0.report(&event);
    }
}

impl Default for Observer {
    fn default() -> Self {
        Observer::silent()
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn events_reach_the_observer_and_read_as_status_lines() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let observer = Observer::new(move |e: &Event| {
            sink.lock().unwrap().push(format!("{} {e}", e.verb()));
        });
        observer.report(Event::WaitingForLock {
            database: "app".into(),
            holder: "pid 7".into(),
            timeout: Duration::from_secs(60),
        });
        observer.report(Event::Warning {
            message: "careful".into(),
        });
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "Waiting for the migration lock on app, held by pid 7 (gives up after 1m)",
                "warning careful"
            ]
        );
        Observer::silent().report(Event::Warning {
            message: "unheard".into(),
        });
    }
}
