//! Identifier newtypes, so a task id can never be passed where a user id belongs.

use std::fmt;

use uuid::Uuid;

/// Declares a UUID newtype with a constructor (`$make` picks the UUID
/// version), a parser, `Default` and hyphenated `Display`.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $make:expr, $parse_vis:vis) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id.
            pub fn new() -> Self {
                Self($make)
            }

            /// Parses an id; any malformed text is simply no id (`None`).
            $parse_vis fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// The id of a signed-in user. Handlers get one only from the auth guard
    /// (`Authenticated::user_id()`; only the guard can make an `Authenticated`),
    /// and every task query requires one: that is how queries are always
    /// scoped to their owner. Parsing is crate-private: nothing outside the
    /// crate makes one from text.
    UserId,
    Uuid::new_v4(),
    pub(crate)
);

uuid_id!(
    /// The id of a login session (the `sid` claim).
    SessionId,
    Uuid::new_v4(),
    pub
);

uuid_id!(
    /// The id of a task. Time-ordered (UUIDv7) so ties in `created_at` still
    /// sort in creation order. A malformed id gets the same 404 as a missing one.
    TaskId,
    Uuid::now_v7(),
    pub
);

uuid_id!(
    /// The id of a personal access token (shown in lists, used to revoke;
    /// never the secret). Another user's id is the same 404 as a missing one.
    PatId,
    Uuid::new_v4(),
    pub
);

uuid_id!(
    /// The id of a registered passkey (not its WebAuthn credential id). A
    /// malformed id gets the same 404 as another user's.
    PasskeyId,
    Uuid::new_v4(),
    pub
);
