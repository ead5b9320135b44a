//! `Password`: a secret that never prints, checked against the contract's rules.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};

/// The 10,000 most common passwords (Django's list, most frequent first), shipped in the binary.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../auth/common_passwords.txt")
        .lines()
        .collect()
});

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least 8 characters")]
    TooShort,
    #[error("use at most 128 characters")]
    TooLong,
    #[error("this password is too common; choose another")]
    Common,
    #[error("the password may not be your email address")]
    SameAsEmail,
    #[error("text may not contain the NUL character")]
    Nul,
}

/// A password as typed. `Debug` prints `Password(***)`, there is no `Display`,
/// and the text is only reachable through [`Password::expose`], which only
/// `auth::password` calls.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password presented at login: no strength rules, since an old
    /// account may predate them; the hash decides.
    pub fn presented(raw: String) -> Self {
        Self(SecretString::from(raw))
    }

    /// Checks a new password: 8–128 Unicode characters, kept exactly as typed,
    /// not among the common ones (compared case-insensitively), not the email.
    pub fn new_checked(raw: String, email: &str) -> Result<Self, PasswordError> {
        if raw.contains('\0') {
            return Err(PasswordError::Nul);
        }
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(PasswordError::TooShort);
        }
        if chars > 128 {
            return Err(PasswordError::TooLong);
        }
        let lower = raw.to_lowercase();
        if COMMON.contains(lower.as_str()) {
            return Err(PasswordError::Common);
        }
        if lower == email.to_lowercase() || lower.trim() == email.trim().to_lowercase() {
            return Err(PasswordError::SameAsEmail);
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The text itself, for hashing and verifying only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(
            Password::new_checked("ééééééé".into(), "a@b.c").unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::new_checked("éééééééé".into(), "a@b.c").is_ok());
        assert!(Password::new_checked("x".repeat(128), "a@b.c").is_ok());
        assert_eq!(
            Password::new_checked("x".repeat(129), "a@b.c").unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn common_passwords_and_the_email_are_refused() {
        assert_eq!(COMMON.len(), 10_000);
        assert_eq!(
            Password::new_checked("password".into(), "a@b.c").unwrap_err(),
            PasswordError::Common
        );
        assert_eq!(
            Password::new_checked("PassWord1".into(), "a@b.c").unwrap_err(),
            PasswordError::Common
        );
        assert_eq!(
            Password::new_checked("alice@example.com".into(), "alice@example.com").unwrap_err(),
            PasswordError::SameAsEmail
        );
    }

    #[test]
    fn kept_exactly_as_typed_and_never_printed() {
        let p = Password::new_checked("  spaced out pass  ".into(), "a@b.c").unwrap();
        assert_eq!(p.expose(), "  spaced out pass  ");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
