//! Questions asked on the terminal: whether there is one to ask on, a line typed as the
//! answer, a y/N question, and the command line to run again with `--yes` where there is none.
//! What needs asking, and what the answer must be, is decided by the commands
//! (`commands/protect.rs`, `commands/review.rs`).

use std::io::{self, BufRead, IsTerminal, Write};

use crate::error::{Error, Result};
use crate::secrets::scrub;

/// Whether a question can be asked: stdin and stderr are both terminals.
pub fn interactive() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Prints `prompt` on stderr (passwords masked) and reads one line from stdin, trimmed.
pub fn ask(prompt: &str) -> io::Result<String> {
    let mut err = io::stderr().lock();
    let _ = write!(err, "{}", scrub(prompt));
    let _ = err.flush();
    drop(err);
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// Asks a y/N question; anything but `y`/`yes` is no.
pub fn yes_or_no(question: &str) -> Result<bool> {
    let answer = ask(question).map_err(|e| Error::io("cannot read the answer", e))?;
    Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// The command line this process was started with, as `cargo migrate …`, with `--yes` added.
pub fn command_with_yes() -> String {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "migrate") {
        args.remove(0);
    }
    let mut command = "cargo migrate".to_owned();
    for arg in args.iter().chain(std::iter::once(&"--yes".to_owned())) {
        command.push(' ');
        command.push_str(&shell_quote(arg));
    }
    command
}

/// `arg` as a POSIX shell reads it back.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("--env"), "--env");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
