//! Access tokens (HS256 JWTs with the contract's claims and strict checks)
//! and refresh tokens (256 random bits, stored only as a SHA-256 hash).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{SessionId, UserId};
use crate::error::Fault;

/// Issuer and audience of every token.
pub const ISSUER: &str = "taskgate";
/// Clock leeway for `exp` and `nbf` (the contract allows at most 30 s).
pub const LEEWAY_SECS: u64 = 30;
/// Anything longer than this is not one of our tokens; refuse before parsing.
const MAX_TOKEN_LEN: usize = 2048;

/// The access token's claims, exactly as CONTRACT.md section 2 lists them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Who a verified access token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// Signing and verification keys plus the validation rules, built once.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        // Only HS256; exp and nbf required and checked; iss and aud checked.
        // jsonwebtoken never fetches keys from jku/x5u/jwk/kid, so those headers are inert.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// Lifetime of an access token, in seconds (the `expires_in` of token responses).
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Signs a fresh access token for a session.
    pub fn issue(&self, user_id: UserId, session_id: SessionId) -> Result<String, Fault> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl),
            iss: ISSUER.to_owned(),
            aud: ISSUER.to_owned(),
            jti: Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Fault::internal(format!("cannot sign a token: {e}")))
    }

    /// Verifies signature, algorithm, header type and claims; `None` for any failure.
    /// Callers do not learn why, and neither does the client.
    pub fn verify(&self, token: &str) -> Option<TokenSubject> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return None;
        }
        // `decode` checks the signature, the algorithm and the registered
        // claims; the header it returns is the one it verified.
        let data =
            jsonwebtoken::decode::<VerifiedClaims>(token, &self.decoding, &self.validation).ok()?;
        if data.header.typ.as_deref() != Some("JWT") {
            return None;
        }
        Some(TokenSubject {
            user_id: data.claims.sub.0,
            session_id: data.claims.sid.0,
        })
    }
}

/// The claims as verification reads them: the same fields and types as
/// [`Claims`] (every one required, so a token missing `jti` or `iat` is still
/// refused), but the ids parse straight from the JSON text and the strings
/// that `Validation` has already checked are not copied.
#[derive(Deserialize)]
struct VerifiedClaims {
    sub: ClaimId<UserId>,
    sid: ClaimId<SessionId>,
    #[serde(rename = "iat")]
    _iat: i64,
    #[serde(rename = "nbf")]
    _nbf: i64,
    #[serde(rename = "exp")]
    _exp: i64,
    #[serde(rename = "iss")]
    _iss: ClaimStr,
    #[serde(rename = "aud")]
    _aud: ClaimStr,
    #[serde(rename = "jti")]
    _jti: ClaimStr,
}

/// An id claim: a JSON string that must parse as a UUID (as `UserId::parse` does).
struct ClaimId<T>(T);

/// Parses an id from a claim's text.
trait FromClaim: Sized {
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

/// A new refresh token and the hash that is stored for it.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// SHA-256 (hex) of a refresh token. A fast hash is right here: the token
/// has 256 bits of entropy, so there is nothing to brute-force.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], Duration::from_secs(900))
    }

    fn sign(claims: &serde_json::Value, alg: Algorithm, key: &[u8]) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
    }

    fn claims(exp_offset: i64, nbf_offset: i64) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({
            "sub": UserId::new().to_string(), "sid": SessionId::new().to_string(),
            "iat": now, "nbf": now + nbf_offset, "exp": now + exp_offset,
            "iss": ISSUER, "aud": ISSUER, "jti": "x"
        })
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_contract_claims() {
        let k = keys();
        let (user, sid) = (UserId::new(), SessionId::new());
        let token = k.issue(user, sid).unwrap();
        assert_eq!(
            k.verify(&token),
            Some(TokenSubject {
                user_id: user,
                session_id: sid
            })
        );
        let payload = token.split('.').nth(1).unwrap();
        let claims: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISSUER, ISSUER));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn expiry_and_not_before_are_enforced_with_30s_leeway() {
        let k = keys();
        assert!(k
            .verify(&sign(&claims(-20, 0), Algorithm::HS256, &[7u8; 32]))
            .is_some());
        assert!(k
            .verify(&sign(&claims(-40, -100), Algorithm::HS256, &[7u8; 32]))
            .is_none());
        assert!(k
            .verify(&sign(&claims(900, 40), Algorithm::HS256, &[7u8; 32]))
            .is_none());
    }

    #[test]
    fn other_algorithms_keys_and_issuers_are_refused() {
        let k = keys();
        assert!(k
            .verify(&sign(&claims(900, 0), Algorithm::HS512, &[7u8; 32]))
            .is_none());
        assert!(k
            .verify(&sign(&claims(900, 0), Algorithm::HS256, &[8u8; 32]))
            .is_none());
        let mut c = claims(900, 0);
        c["aud"] = "someone-else".into();
        assert!(k.verify(&sign(&c, Algorithm::HS256, &[7u8; 32])).is_none());
        let mut c = claims(900, 0);
        c.as_object_mut().unwrap().remove("nbf");
        assert!(k.verify(&sign(&c, Algorithm::HS256, &[7u8; 32])).is_none());
    }

    #[test]
    fn refresh_tokens_have_256_bits_and_are_stored_hashed() {
        let (token, hash) = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(hash, hash_refresh_token(&token));
        assert_ne!(token, hash);
    }
}
