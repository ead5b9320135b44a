//! How a verified token's claims are read: every claim the contract lists is
//! required, the ids parse straight from the JSON text, and strings that the
//! validation has already checked are not copied.

use serde::Deserialize;

use crate::domain::{SessionId, UserId};

/// The claims as verification reads them: the same fields and types as
/// [`Claims`] (every one required, so a token missing `jti` or `iat` is still
/// refused), but the ids parse straight from the JSON text and the strings
/// that `Validation` has already checked are not copied.
#[derive(Deserialize)]
pub struct VerifiedClaims {
    pub sub: ClaimId<UserId>,
    pub sid: ClaimId<SessionId>,
    pub iat: i64,
    #[serde(rename = "nbf")]
    _nbf: i64,
    pub exp: i64,
    #[serde(rename = "iss")]
    _iss: ClaimStr,
    #[serde(rename = "aud")]
    _aud: ClaimStr,
    #[serde(rename = "jti")]
    _jti: ClaimStr,
}

/// An id claim: a JSON string that must parse as a UUID (as `UserId::parse` does).
pub struct ClaimId<T>(pub T);

/// Parses an id from a claim's text.
pub trait FromClaim: Sized {
    fn from_claim(s: &str) -> Option<Self>;
}

impl FromClaim for UserId {
    fn from_claim(s: &str) -> Option<Self> {
        UserId::parse(s)
    }
}

impl FromClaim for SessionId {
    fn from_claim(s: &str) -> Option<Self> {
        SessionId::parse(s)
    }
}

impl<'de, T: FromClaim> Deserialize<'de> for ClaimId<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<T: FromClaim> serde::de::Visitor<'_> for V<T> {
            type Value = ClaimId<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a UUID string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::from_claim(v)
                    .map(ClaimId)
                    .ok_or_else(|| E::custom("not a UUID"))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A claim that must be a JSON string; its value is not kept.
struct ClaimStr;

impl<'de> Deserialize<'de> for ClaimStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ClaimStr;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ClaimStr)
            }
        }
        d.deserialize_str(V)
    }
}
