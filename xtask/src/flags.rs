//! Command-line flags parsed by hand (std only), shared by the commands.

use crate::Result;

/// Command-line arguments read as flags: `--flag value` or `--flag=value`.
pub struct Flags<I> {
    args: I,
}

impl<I: Iterator<Item = String>> Flags<I> {
    pub fn new(args: impl IntoIterator<IntoIter = I>) -> Flags<I> {
        Flags {
            args: args.into_iter(),
        }
    }

    /// The next flag, with its `=value` if it was written that way.
    pub fn next(&mut self) -> Option<(String, Option<String>)> {
        let arg = self.args.next()?;
        Some(match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        })
    }

    /// The value of `flag`: its `=value`, else the next argument.
    pub fn value(&mut self, flag: &str, inline: Option<String>) -> Result<String> {
        inline
            .or_else(|| self.args.next())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}

pub fn parse_count(flag: &str, text: &str, min: usize) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(format!(
            "{flag}: expected a whole number of at least {min}, got `{text}`"
        )),
    }
}
