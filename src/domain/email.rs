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
    #[error("email addresses may not contain invisible or control characters")]
    Invisible,
}

/// Characters that render as nothing or reorder text: two addresses that
/// differ only in these would look identical. Unicode's format characters
/// (Cf: zero-width spaces and joiners, bidi controls, the BOM…), plus the
/// other default-ignorable ones that are not Cf.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
        || c.is_control()
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
        if email.chars().any(is_invisible) {
            return Err(EmailError::Invisible);
        }
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
    fn refuses_invisible_and_control_characters() {
        for bad in [
            "ad\u{200B}min@example.com",
            "admin@exam\u{200D}ple.com",
            "\u{202E}moc.elpmaxe@nimda",
            "admin@example.com\u{FEFF}",
            "a\u{1b}b@example.com",
            "a\u{7f}@example.com",
            "a\u{AD}dmin@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invisible), "{bad:?}");
        }
        assert!(
            Email::parse("josé@exämple.com").is_ok(),
            "other letters are fine"
        );
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
