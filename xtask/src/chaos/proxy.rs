//! The TCP proxy between a trial's run and its server: it forwards until told to drop (close
//! both sides of every connection open at that moment) or to freeze (stop forwarding on them
//! and keep their sockets open). The fault is of the connections open when it lands; a
//! connection the run opens afterwards is forwarded as usual.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::Result;

/// How often a pump looks at its connection's state while nothing arrives.
const POLL: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    closed: AtomicBool,
    connections: Mutex<Vec<Arc<Link>>>,
}

/// One forwarded connection: the client's socket and the server's.
#[derive(Debug)]
struct Link {
    client: TcpStream,
    server: TcpStream,
    frozen: AtomicBool,
    dropped: AtomicBool,
}

impl Link {
    fn cut(&self) {
        self.dropped.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards each connection to `target`.
    pub fn start(target: SocketAddr) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("the proxy cannot listen on 127.0.0.1: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("the proxy's port: {e}"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("the proxy's listener: {e}"))?;
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        thread::spawn(move || accept(&listener, target, &accepting));
        Ok(Proxy { port, shared })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections the run has opened through the proxy so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.lock().unwrap().len()
    }

    /// Closes both sides of every connection still open; returns how many there were.
    pub fn drop_open(&self) -> usize {
        let links = self.shared.connections.lock().unwrap();
        let open: Vec<&Arc<Link>> = links
            .iter()
            .filter(|l| !l.dropped.load(Ordering::SeqCst))
            .collect();
        for link in &open {
            link.cut();
        }
        open.len()
    }

    /// Stops forwarding on every connection still open, sockets kept; returns how many.
    pub fn freeze_open(&self) -> usize {
        let links = self.shared.connections.lock().unwrap();
        let mut n = 0;
        for link in links.iter().filter(|l| !l.dropped.load(Ordering::SeqCst)) {
            link.frozen.store(true, Ordering::SeqCst);
            n += 1;
        }
        n
    }
}

impl Drop for Proxy {
    /// Closes everything, so that the server sees the run's sessions end.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        for link in self.shared.connections.lock().unwrap().iter() {
            link.cut();
        }
    }
}

fn accept(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    while !shared.closed.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(_) => continue,
        };
        let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(5)) else {
            continue; // the client sees its connection closed, as if the server were down
        };
        let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let _ = client.set_nonblocking(false);
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let link = Arc::new(Link {
            client,
            server,
            frozen: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
        });
        let mut links = shared.connections.lock().unwrap();
        if shared.closed.load(Ordering::SeqCst) {
            link.cut();
            return;
        }
        links.push(Arc::clone(&link));
        drop(links);
        let (up, down) = (Arc::clone(&link), link);
        thread::spawn(move || pump(c2, &up, Side::Server));
        thread::spawn(move || pump(s2, &down, Side::Client));
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Client,
    Server,
}

/// Copies what `from` receives to the other side of `link` until either side closes. While
/// the link is frozen it reads nothing more and writes nothing more (the kernel's buffers
/// fill, the peer's writes block), without closing anything.
fn pump(mut from: TcpStream, link: &Link, to: Side) {
    let _ = from.set_read_timeout(Some(POLL));
    let mut to_stream = match to {
        Side::Client => &link.client,
        Side::Server => &link.server,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if link.dropped.load(Ordering::SeqCst) {
            return;
        }
        if link.frozen.load(Ordering::SeqCst) {
            thread::sleep(POLL);
            continue;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        // Frozen between the read and the write: the bytes read are held back for good.
        while link.frozen.load(Ordering::SeqCst) && !link.dropped.load(Ordering::SeqCst) {
            thread::sleep(POLL);
        }
        if link.dropped.load(Ordering::SeqCst) || to_stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
    // One side closed: pass the close on, as a plain TCP path would.
    if !link.frozen.load(Ordering::SeqCst) {
        let _ = to_stream.shutdown(Shutdown::Write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that echoes every byte back, on a free port.
    fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                thread::spawn(move || {
                    let mut read = conn.try_clone().unwrap();
                    let _ = std::io::copy(&mut read, &mut conn);
                });
            }
        });
        addr
    }

    fn connect(proxy: &Proxy) -> TcpStream {
        let conn = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn
    }

    fn round_trip(conn: &mut TcpStream, text: &[u8]) -> std::io::Result<Vec<u8>> {
        conn.write_all(text)?;
        let mut got = vec![0; text.len()];
        conn.read_exact(&mut got)?;
        Ok(got)
    }

    /// Waits (bounded) until the proxy has accepted `n` connections.
    fn accepted(proxy: &Proxy, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while proxy.connections() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "no connection accepted"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn forwards_then_drops_both_sides() {
        let proxy = Proxy::start(echo_server()).unwrap();
        let mut conn = connect(&proxy);
        assert_eq!(round_trip(&mut conn, b"hello").unwrap(), b"hello");
        accepted(&proxy, 1);
        assert_eq!(proxy.drop_open(), 1);
        let mut buf = [0u8; 1];
        // Closed, not silent: the read ends at once with EOF (or a reset).
        assert!(matches!(conn.read(&mut buf), Ok(0) | Err(_)));
        // A new connection is forwarded again.
        let mut again = connect(&proxy);
        assert_eq!(round_trip(&mut again, b"again").unwrap(), b"again");
        assert_eq!(proxy.drop_open(), 1, "only the open one");
    }

    #[test]
    fn a_frozen_connection_stays_open_and_silent() {
        let proxy = Proxy::start(echo_server()).unwrap();
        let mut conn = connect(&proxy);
        assert_eq!(round_trip(&mut conn, b"ping").unwrap(), b"ping");
        accepted(&proxy, 1);
        assert_eq!(proxy.freeze_open(), 1);
        conn.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        conn.write_all(b"lost").unwrap();
        let mut buf = [0u8; 4];
        let err = conn.read(&mut buf).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{err}"
        );
        // Tearing the proxy down closes it.
        drop(proxy);
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(matches!(conn.read(&mut buf), Ok(0) | Err(_)));
    }
}
