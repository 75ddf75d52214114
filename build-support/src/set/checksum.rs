use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// SHA-256 of a migration file with CRLF line endings normalised to LF, so that a checkout with
/// Windows line endings does not look like an edited migration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    pub fn of(bytes: &[u8]) -> Checksum {
        let mut hasher = Sha256::new();
        let mut rest = bytes;
        // Feed the hasher every run up to a "\r\n", dropping the '\r'.
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            hasher.update(&rest[..i]);
            rest = &rest[i + 1..];
        }
        hasher.update(rest);
        Checksum(hasher.finalize().into())
    }

    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

impl FromStr for Checksum {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a checksum is 64 hexadecimal digits");
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| "bad hex digit")?;
        }
        Ok(Checksum(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_hash_the_same() {
        let lf = Checksum::of(b"CREATE TABLE a (id int);\nDROP TABLE b;\n");
        let crlf = Checksum::of(b"CREATE TABLE a (id int);\r\nDROP TABLE b;\r\n");
        assert_eq!(lf, crlf);
    }

    #[test]
    fn lone_carriage_returns_are_content() {
        assert_ne!(Checksum::of(b"a\rb"), Checksum::of(b"ab"));
        assert_ne!(Checksum::of(b"a\r"), Checksum::of(b"a"));
    }

    #[test]
    fn known_digest_and_hex_round_trip() {
        let c = Checksum::of(b"");
        assert_eq!(
            c.to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(c.to_hex().parse::<Checksum>().unwrap(), c);
        assert!("xyz".parse::<Checksum>().is_err());
    }
}
