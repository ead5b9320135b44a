//! Free-text fields: task title and description, and a user's display name.
//!
//! U+0000 is refused everywhere (PostgreSQL cannot store it), so behaviour
//! never depends on the engine. Other characters are kept byte-for-byte.

/// Why a text field was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is required")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("may not contain the NUL character")]
    Nul,
}

fn check(text: &str, max: usize) -> Result<(), TextError> {
    if text.contains('\0') {
        Err(TextError::Nul)
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
        check(title, Self::MAX)?;
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
        check(raw, Self::MAX)?;
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
        check(name, Self::MAX)?;
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
    fn blank_name_is_none() {
        assert_eq!(DisplayName::parse("  "), Ok(None));
        assert_eq!(
            DisplayName::parse(" Ann ").unwrap().unwrap().into_inner(),
            "Ann"
        );
    }
}
