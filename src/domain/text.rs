//! Free-text fields: task title and description, and a user's display name.
//!
//! U+0000 is refused everywhere (PostgreSQL cannot store it), so behaviour
//! never depends on the engine. Control characters (Unicode Cc) are refused
//! in titles and names — they forge lines in terminals and logs — and allowed
//! in a description only as line breaks and tabs. Everything else is kept
//! byte-for-byte.

/// Why a text field was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is required")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("may not contain the NUL character")]
    Nul,
    #[error("may not contain control characters")]
    Control,
}

/// Length and NUL; control characters other than those `allowed`.
fn check(text: &str, max: usize, allowed: &[char]) -> Result<(), TextError> {
    if text.contains('\0') {
        Err(TextError::Nul)
    } else if text
        .chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
    {
        Err(TextError::Control)
    } else if text.chars().count() > max {
        Err(TextError::TooLong(max))
    } else {
        Ok(())
    }
}

/// A task title: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTitle(String);

impl TaskTitle {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let title = raw.trim();
        check(title, Self::MAX, &[])?;
        if title.is_empty() {
            return Err(TextError::Empty);
        }
        Ok(Self(title.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A task description: at most 2000 characters, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        check(raw, Self::MAX, &['\n', '\r', '\t'])?;
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A user's display name: trimmed, at most 100 characters; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX: usize = 100;

    /// `Ok(None)` for a blank name: the name is optional.
    pub fn parse(raw: &str) -> Result<Option<Self>, TextError> {
        let name = raw.trim();
        check(name, Self::MAX, &[])?;
        Ok((!name.is_empty()).then(|| Self(name.to_owned())))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(
            TaskTitle::parse("  buy milk ").unwrap().into_inner(),
            "buy milk"
        );
        assert_eq!(TaskTitle::parse("   "), Err(TextError::Empty));
        assert!(TaskTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            TaskTitle::parse(&"é".repeat(201)),
            Err(TextError::TooLong(200))
        );
        assert_eq!(TaskTitle::parse("a\0b"), Err(TextError::Nul));
    }

    #[test]
    fn description_is_kept_verbatim() {
        let raw = "  <b>'; DROP TABLE tasks; --\n{{ x }}  ";
        assert_eq!(Description::parse(raw).unwrap().into_inner(), raw);
        assert!(Description::parse(&"x".repeat(2001)).is_err());
        assert_eq!(Description::parse("\0"), Err(TextError::Nul));
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_descriptions() {
        assert_eq!(TaskTitle::parse("a\u{1b}[2Jb"), Err(TextError::Control));
        assert_eq!(TaskTitle::parse("a\nb"), Err(TextError::Control));
        assert_eq!(DisplayName::parse("Ann\r\nroot"), Err(TextError::Control));
        assert_eq!(DisplayName::parse("\u{7f}"), Err(TextError::Control));
        assert!(Description::parse("line one\r\nline two\tindented").is_ok());
        assert_eq!(Description::parse("bell\u{7}"), Err(TextError::Control));
    }

    #[test]
    fn blank_name_is_none() {
        assert_eq!(DisplayName::parse("  "), Ok(None));
        assert_eq!(
            DisplayName::parse(" Ann ").unwrap().unwrap().into_inner(),
            "Ann"
        );
    }
}
