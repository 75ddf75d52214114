//! Bounds on waiting for a server that may have stopped answering. A connection can freeze
//! without closing (a network partition, a stuck proxy): neither side sees an error, and a
//! statement's answer never comes. A statement that is simply long (an index build) looks the
//! same from the client. So while an answer is long in coming, the watchdog asks the server,
//! on a connection of its own, what the session is doing: working on what it was sent (wait
//! on), done and waiting for the client (the answer was lost on the way: end the session, so
//! that its transaction rolls back and what happened can be read), or gone. A server that
//! cannot be reached at all for [`UNREACHABLE_FOR`] is given up on, the outcome unknown.
//!
//! The documented bound: once the server has stopped working on a statement, the run ends
//! within 60 s, whatever the network does.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{Access, Backend};
use crate::db_url::DbUrl;

/// How long an answer may take before the watchdog starts asking.
const QUIET: Duration = Duration::from_secs(5);
/// How often it asks.
const PROBE_EVERY: Duration = Duration::from_secs(5);
/// How many answers in a row that the session is idle (while its answer has not arrived)
/// make it lost: one could be the moment between the answer leaving and arriving.
const IDLE_PROBES: u32 = 2;
/// How long one probe (connecting, then asking) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may be out of reach of new connections too before the run gives up.
const UNREACHABLE_FOR: Duration = Duration::from_secs(25);

/// How a server sees one of its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Working on a statement, or waiting for a lock.
    Busy,
    /// Waiting for the client: it answered the last statement.
    Idle,
    /// Not there: it ended.
    Gone,
}

/// What watches one session: where its server is and the session's id there.
#[derive(Clone, Debug)]
pub(crate) struct Watchdog {
    url: DbUrl,
    id: Option<i64>,
}

impl Watchdog {
    pub(crate) fn new(url: &DbUrl, id: Option<i64>) -> Watchdog {
        Watchdog {
            url: url.clone(),
            id,
        }
    }

    pub(crate) fn url(&self) -> &DbUrl {
        &self.url
    }

    /// Runs `op` on the watched session; when its answer is long in coming and the server says
    /// it will not come, ends the session and fails with [`lost`]'s kind of error instead.
    pub(crate) async fn guard<B: Backend, T, E: Watched>(
        &self,
        op: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let Some(id) = self.id else {
            return op.await;
        };
        let op = std::pin::pin!(op);
        let mut op = op;
        tokio::select! {
            done = &mut op => return done,
            () = tokio::time::sleep(QUIET) => {}
        }
        tokio::select! {
            done = &mut op => done,
            gone = self.watch::<B>(id) => Err(E::lost(gone)),
        }
    }

    /// Asks the server about session `id` until it is known not to answer; returns why.
    async fn watch<B: Backend>(&self, id: i64) -> sqlx::Error {
        let mut probe: Option<B> = None;
        let mut idle = 0;
        let mut out_of_reach_since: Option<Instant> = None;
        loop {
            match self.ask::<B>(&mut probe, id).await {
                Ok(SessionState::Busy) => {
                    idle = 0;
                    out_of_reach_since = None;
                }
                Ok(SessionState::Idle) => {
                    out_of_reach_since = None;
                    idle += 1;
                    if idle >= IDLE_PROBES {
                        let ended = self.end::<B>(&mut probe, id).await;
                        return frozen(if ended {
                            "the server finished the statement, but its answer never arrived: the connection stopped passing data, so the session was ended on the server"
                        } else {
                            "the server finished the statement, but its answer never arrived: the connection stopped passing data, and ending the session on the server failed"
                        });
                    }
                }
                Ok(SessionState::Gone) => {
                    return frozen(
                        "the server ended the session, but the connection did not pass that on",
                    );
                }
                Err(Probe::OutOfReach) => {
                    let since = *out_of_reach_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= UNREACHABLE_FOR {
                        return frozen(&format!(
                            "the server stopped answering: neither this connection nor a new one reached it for {}s",
                            (since.elapsed() + QUIET).as_secs()
                        ));
                    }
                    probe = None;
                }
                // The server answers but will not say (too many connections, say): the
                // session may well be working; wait on.
                Err(Probe::Refused) => probe = None,
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }

    /// One look at session `id` through `probe` (connected first when it is not).
    async fn ask<B: Backend>(&self, probe: &mut Option<B>, id: i64) -> Result<SessionState, Probe> {
        let asked = tokio::time::timeout(PROBE_TIMEOUT, async {
            if probe.is_none() {
                *probe = match B::connect(&self.url, Access::ReadOnly).await {
                    Ok(Some(db)) => Some(db),
                    Ok(None) => return Err(Probe::Refused),
                    Err(crate::error::Error::Unreachable { .. }) => return Err(Probe::OutOfReach),
                    Err(_) => return Err(Probe::Refused),
                };
            }
            let db = probe.as_mut().expect("connected above");
            db.session_state(id).await.map_err(|e| match lost(&e) {
                Some(_) => Probe::OutOfReach,
                None => Probe::Refused,
            })
        })
        .await;
        asked.unwrap_or(Err(Probe::OutOfReach))
    }

    /// Ends session `id` and waits (bounded) until the server shows it gone, so that what it
    /// did is settled when the tracking table is read. Whether it is known to be gone.
    async fn end<B: Backend>(&self, probe: &mut Option<B>, id: i64) -> bool {
        let Some(db) = probe.as_mut() else {
            return false;
        };
        let ended = tokio::time::timeout(PROBE_TIMEOUT, async {
            db.end_session(id).await.ok()?;
            loop {
                if db.session_state(id).await.ok()? == SessionState::Gone {
                    return Some(());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await;
        matches!(ended, Ok(Some(())))
    }
}

/// An error type an operation under [`Watchdog::guard`] can fail with.
pub(crate) trait Watched {
    /// The error for a session the watchdog gave up on.
    fn lost(error: sqlx::Error) -> Self;
}

impl Watched for sqlx::Error {
    fn lost(error: sqlx::Error) -> Self {
        error
    }
}

impl Watched for crate::error::Error {
    fn lost(error: sqlx::Error) -> Self {
        crate::error::Error::Database {
            doing: "waiting for the server's answer".to_owned(),
            source: error,
        }
    }
}

/// [`lost`] for an error of this crate.
pub(crate) fn lost_in(error: &crate::error::Error) -> Option<String> {
    match error {
        crate::error::Error::Database { source, .. } => lost(source),
        _ => None,
    }
}

/// Why a probe told nothing.
enum Probe {
    /// No answer from the server, on a new connection either.
    OutOfReach,
    /// The server answered but did not say (it refused the connection, say).
    Refused,
}

/// The error of a session the watchdog gave up on: [`lost`] recognises it.
fn frozen(why: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, why))
}

/// When `error` means the connection is gone (dropped, ended by the server, given up on by
/// the watchdog) rather than that a statement failed: what is known of why. After such an
/// error, whatever was sent last may or may not have taken effect.
pub(crate) fn lost(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Io(e) => Some(match e.kind() {
            std::io::ErrorKind::TimedOut => e.to_string(),
            _ => format!("the connection was lost ({e})"),
        }),
        sqlx::Error::Protocol(e) => Some(format!("the connection broke ({e})")),
        sqlx::Error::WorkerCrashed => Some("the connection's worker stopped".to_owned()),
        sqlx::Error::Tls(e) => Some(format!("the connection broke ({e})")),
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            // PostgreSQL: class 08 (connection exception), 57P01-03 (terminated by an
            // administrator, crash, shutdown). MySQL/MariaDB: the server is going away, the
            // connection was killed, shutdown in progress.
            #[cfg(feature = "mysql")]
            let number = db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|m| m.number());
            #[cfg(not(feature = "mysql"))]
            let number: Option<u16> = None;
            let gone = matches!(number, Some(1053 | 1927 | 2006 | 2013))
                || (number.is_none() && (code.starts_with("08") || code.starts_with("57P0")));
            gone.then(|| {
                format!(
                    "the server ended the session: {} ({})",
                    db.message(),
                    match number {
                        Some(n) => format!("error {n}"),
                        None => format!("SQLSTATE {code}"),
                    }
                )
            })
        }
        _ => None,
    }
}

/// Connects like [`Backend::connect`], giving up (as not reachable) when the server does not
/// answer within `timeout`: a server that drops packets would otherwise hang the run.
pub(crate) async fn connect_within<B: Backend>(
    url: &DbUrl,
    access: Access,
    timeout: Duration,
) -> crate::error::Result<Option<B>> {
    match tokio::time::timeout(timeout, B::connect(url, access)).await {
        Ok(connected) => connected,
        Err(_) => Err(crate::error::Error::Unreachable {
            url: url.to_string(),
            cause: format!("no answer within {}", super::connect::for_humans(timeout)),
            help: Some(super::connect::retry_help(url)),
        }),
    }
}
