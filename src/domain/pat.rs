//! A personal access token's validated request: its name, its scopes and its
//! lifetime (contract section 7). The token itself is made in `auth::pat_token`.

use std::collections::BTreeMap;
use std::fmt;

/// One thing a personal access token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `GET /api/tasks…`.
    TasksRead,
    /// Every `/api/tasks…` method; implies [`Scope::TasksRead`].
    TasksWrite,
    /// `POST /api/auth/introspect`.
    Introspect,
}

impl Scope {
    /// Every scope, in the order lists show them.
    pub const ALL: [Scope; 3] = [Self::TasksRead, Self::TasksWrite, Self::Introspect];

    /// The scope's name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TasksRead => "tasks:read",
            Self::TasksWrite => "tasks:write",
            Self::Introspect => "introspect",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Self::TasksRead => 1,
            Self::TasksWrite => 2,
            Self::Introspect => 4,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of scopes, as granted to one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

/// Why a list of scopes was refused.
pub const SCOPES_RULE: &str = "must be a non-empty list of: tasks:read, tasks:write, introspect";

impl Scopes {
    /// Scopes from names as sent; repeats are ignored, an unknown name or an
    /// empty list is refused.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, &'static str> {
        let mut bits = 0;
        for name in names {
            bits |= Scope::parse(name).ok_or(SCOPES_RULE)?.bit();
        }
        if bits == 0 {
            return Err(SCOPES_RULE);
        }
        Ok(Self(bits))
    }

    /// Scopes as stored (space-separated); `None` for a corrupt value.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::parse(text.split(' ')).ok()
    }

    /// The names, in [`Scope::ALL`] order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }

    /// The stored (and RFC 7662 `scope`) form: names separated by one space.
    pub fn to_stored(self) -> String {
        self.names().join(" ")
    }

    /// True when these scopes allow what `needed` guards (`tasks:write` implies `tasks:read`).
    pub fn grants(self, needed: Scope) -> bool {
        self.contains(needed) || (needed == Scope::TasksRead && self.contains(Scope::TasksWrite))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// A token's name: trimmed, 1–100 characters, no control characters (it is
/// shown in pages, mails and the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            Err("is required")
        } else if name.chars().any(char::is_control) {
            Err("may not contain control characters")
        } else if name.chars().count() > Self::MAX {
            Err("must be at most 100 characters")
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lifetime in days when the request names none.
pub const DEFAULT_LIFETIME_DAYS: i64 = 90;
/// The longest lifetime a token may have.
pub const MAX_LIFETIME_DAYS: i64 = 365;

/// A new token's fields, validated together.
#[derive(Debug, Clone)]
pub struct PatRequest {
    pub name: TokenName,
    pub scopes: Scopes,
    /// 1 to 365.
    pub lifetime_days: i64,
}

/// What was sent for one field: absent, or of the wrong JSON type, is told
/// apart from a value that breaks a rule by the caller (the API or the form).
#[derive(Debug, Clone, Copy)]
pub enum Sent<T> {
    Missing,
    WrongType,
    Value(T),
}

impl PatRequest {
    /// Checks every field; on failure each field's reason, by field name.
    pub fn parse(
        name: Sent<&str>,
        scopes: Sent<&[&str]>,
        lifetime_days: Sent<i64>,
    ) -> Result<Self, BTreeMap<String, String>> {
        let mut fields = BTreeMap::new();
        let mut refuse = |field: &str, reason: &str| {
            fields.insert(field.to_owned(), reason.to_owned());
        };
        let name = match name {
            Sent::Value(n) => TokenName::parse(n).map_err(|e| refuse("name", e)).ok(),
            Sent::Missing => refuse_none(&mut refuse, "name", "is required"),
            Sent::WrongType => refuse_none(&mut refuse, "name", "must be a string"),
        };
        let scopes = match scopes {
            Sent::Value(list) => Scopes::parse(list.iter().copied())
                .map_err(|e| refuse("scopes", e))
                .ok(),
            Sent::Missing | Sent::WrongType => refuse_none(&mut refuse, "scopes", SCOPES_RULE),
        };
        let days = match lifetime_days {
            Sent::Missing => Some(DEFAULT_LIFETIME_DAYS),
            Sent::Value(d) if (1..=MAX_LIFETIME_DAYS).contains(&d) => Some(d),
            Sent::Value(_) | Sent::WrongType => refuse_none(
                &mut refuse,
                "expires_in_days",
                "must be a whole number of days from 1 to 365",
            ),
        };
        match (name, scopes, days) {
            (Some(name), Some(scopes), Some(lifetime_days)) => Ok(Self {
                name,
                scopes,
                lifetime_days,
            }),
            _ => Err(fields),
        }
    }
}

fn refuse_none<T>(refuse: &mut impl FnMut(&str, &str), field: &str, reason: &str) -> Option<T> {
    refuse(field, reason);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_store_and_grant_with_write_implying_read() {
        let s = Scopes::parse(["introspect", "tasks:write", "introspect"]).unwrap();
        assert_eq!(s.to_stored(), "tasks:write introspect");
        assert_eq!(Scopes::from_stored(&s.to_stored()), Some(s));
        assert!(s.grants(Scope::TasksRead) && s.grants(Scope::TasksWrite));
        let read = Scopes::parse(["tasks:read"]).unwrap();
        assert!(read.grants(Scope::TasksRead));
        assert!(!read.grants(Scope::TasksWrite) && !read.grants(Scope::Introspect));
        assert!(Scopes::parse([]).is_err());
        assert!(Scopes::parse(["tasks:admin"]).is_err());
        assert!(Scopes::parse(["Tasks:Read"]).is_err());
        assert_eq!(Scopes::from_stored(""), None);
    }

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(TokenName::parse("  ci  ").unwrap().as_str(), "ci");
        assert!(TokenName::parse(&"é".repeat(100)).is_ok());
        assert!(TokenName::parse(&"é".repeat(101)).is_err());
        for bad in [
            "",
            "   ",
            "a\u{0}b",
            "a\u{1b}[31mb",
            "line\nbreak",
            "\u{7f}",
        ] {
            assert!(TokenName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_request_names_every_bad_field_and_defaults_to_90_days() {
        let ok = PatRequest::parse(
            Sent::Value("ci"),
            Sent::Value(&["tasks:read"]),
            Sent::Missing,
        )
        .unwrap();
        assert_eq!(ok.lifetime_days, 90);
        let err =
            PatRequest::parse(Sent::WrongType, Sent::Value(&[]), Sent::Value(366)).unwrap_err();
        assert_eq!(
            err.keys().collect::<Vec<_>>(),
            ["expires_in_days", "name", "scopes"]
        );
        for days in [0, -1, 366] {
            assert!(PatRequest::parse(
                Sent::Value("x"),
                Sent::Value(&["introspect"]),
                Sent::Value(days)
            )
            .is_err());
        }
    }
}
