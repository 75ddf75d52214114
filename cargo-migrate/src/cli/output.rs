//! Output: Cargo-style status lines on stderr; the product (tables, JSON, SQL) on stdout.
//! A reader that closes stdout early (`| head`) ends the program quietly.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::events::{Event, Observer};
use crate::secrets::scrub;

/// `--quiet`: no status lines, from wherever they come (a backend waiting for a lock too).
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// `--color`, resolved: whether stderr gets colours.
static COLOR: AtomicBool = AtomicBool::new(false);

pub fn set_colored(colored: bool) {
    COLOR.store(colored, Ordering::Relaxed);
}

pub fn colored() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// `text` in bold `color` (an ANSI colour code) when colours are on.
fn paint(text: &str, color: u8) -> String {
    if colored() {
        format!("\x1b[1;{color}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A status line on stderr, Cargo style: a right-aligned verb, then the message.
pub fn status(verb: &str, message: &str) {
    if QUIET.load(Ordering::Relaxed) {
        return;
    }
    status_always(verb, message);
}

/// A status line that `--quiet` does not silence (the plan of `up` on a protected
/// environment).
pub fn status_always(verb: &str, message: &str) {
    // Padded before painting, so that the escapes do not count towards the width.
    let verb = paint(&format!("{verb:>12}"), 32);
    let _ = writeln!(io::stderr().lock(), "{verb} {}", scrub(message));
}

/// A block of text on stderr (a diff, a list), as it is, with passwords masked.
pub fn stderr(text: &str) {
    let _ = io::stderr().lock().write_all(scrub(text).as_bytes());
}

/// An `error:` line: one of several problems a command lists before it fails.
pub fn error(message: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "{} {}",
        paint("error:", 31),
        scrub(message)
    );
}

pub fn warning(message: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "{} {}",
        paint("warning:", 33),
        scrub(message)
    );
}

/// The CLI's observer of the library's events: warnings as `warning:` lines, the rest as
/// status lines (silenced by `--quiet`).
pub fn printer() -> Observer {
    Observer::new(print_event)
}

/// How [`printer`] prints one event: a warning, or a status line.
pub fn print_event(event: &Event) {
    if event.is_warning() {
        warning(&event.to_string());
    } else {
        status(event.verb(), &event.to_string());
    }
}

/// Writes the product to stdout. A closed pipe is not an error: the process exits 0 quietly.
pub fn stdout(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Formats a duration in microseconds the way people read them.
pub fn duration(us: i64) -> String {
    match us {
        // SQLite times a migration in milliseconds: 0 means under one.
        0 => "< 1 ms".to_owned(),
        us if us < 1_000 => format!("{us} µs"),
        us if us < 1_000_000 => format!("{:.1} ms", us as f64 / 1e3),
        us => format!("{:.2} s", us as f64 / 1e6),
    }
}

/// Lays out rows as left-aligned columns separated by two spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(cell);
            if i + 1 < widths.len() {
                l.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}
