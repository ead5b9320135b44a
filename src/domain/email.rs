//! `Email`: trimmed, lower-cased, shaped like `local@domain`, at most 254 characters.

use std::fmt;

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address like name@example.com")]
    Malformed,
    #[error("email addresses are at most 254 characters")]
    TooLong,
    #[error("text may not contain the NUL character")]
    Nul,
}

/// A normalised email address; the only way to get one is [`Email::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases, then checks the shape. Deliberately loose on the
    /// local part (RFC 5321 allows a lot) but strict on what would break storage
    /// or display: no whitespace, no control characters, one `@`, a dotted-or-not domain.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if raw.contains('\0') {
            return Err(EmailError::Nul);
        }
        let email = raw.trim().to_lowercase();
        if email.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError::Malformed)?;
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || c == '@';
        if local.is_empty()
            || domain.is_empty()
            || local.chars().count() > 64
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
            || domain.chars().any(bad_char)
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(EmailError::Malformed);
        }
        Ok(Self(email))
    }

    /// Rebuilds an `Email` read back from the database, where it was stored already validated.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").unwrap().as_ref(),
            "alice@example.com"
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a@b@c",
            "a b@c.d",
            "a@.com",
            "a@b..c",
            "a@b.",
            "a\u{0}@b.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_more_than_254_characters() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
        assert!(long.len() > 254);
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        let fits = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
        assert!(Email::parse(&fits).is_ok());
    }
}
