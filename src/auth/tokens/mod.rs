//! Access tokens: JWTs with the contract's claims and strict checks, signed
//! with Ed25519 keys from the database (`JWT_ALG=EdDSA`, the default; see
//! [`keyring`]) or with `JWT_SECRET` (`HS256`). Refresh tokens live in
//! [`refresh`].

mod claims;
mod hs256;
pub mod keyring;
pub mod refresh;
mod verified;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use claims::VerifiedClaims;
use hs256::Hs256;
use keyring::KeyRing;
pub use refresh::{hash_refresh_token, new_refresh_token};

use crate::db::Pool;
use crate::domain::{SessionId, UserId};
use crate::error::Fault;

/// Issuer and audience of every token.
pub const ISSUER: &str = "taskgate";
/// Clock leeway for `exp` and `nbf` (the contract allows at most 30 s).
pub const LEEWAY_SECS: u64 = 30;
/// Anything longer than this is not one of our tokens; refuse before parsing.
const MAX_TOKEN_LEN: usize = 2048;

/// The access token's claims, exactly as the contract lists them.
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

/// Who a verified access token speaks for, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub iat: i64,
    pub exp: i64,
}

impl From<VerifiedClaims> for TokenSubject {
    fn from(c: VerifiedClaims) -> Self {
        Self {
            user_id: c.sub.0,
            session_id: c.sid.0,
            iat: c.iat,
            exp: c.exp,
        }
    }
}

/// How tokens are signed in this deployment.
enum Signer {
    Hs256(Box<Hs256>),
    EdDsa(Box<KeyRing>),
}

/// Signs and verifies access tokens, whichever the algorithm.
pub struct TokenKeys {
    signer: Signer,
    ttl: Duration,
}

impl TokenKeys {
    /// HS256 with the shared secret (`JWT_ALG=HS256`).
    pub fn hs256(secret: &[u8], ttl: Duration) -> Self {
        Self {
            signer: Signer::Hs256(Box::new(Hs256::new(secret))),
            ttl,
        }
    }

    /// Ed25519 keys from the database (`JWT_ALG=EdDSA`).
    pub fn eddsa(ring: KeyRing, ttl: Duration) -> Self {
        Self {
            signer: Signer::EdDsa(Box::new(ring)),
            ttl,
        }
    }

    /// Lifetime of an access token, in seconds (the `expires_in` of token responses).
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// The key ring, with EdDSA.
    pub fn keyring(&self) -> Option<&KeyRing> {
        match &self.signer {
            Signer::EdDsa(ring) => Some(ring),
            Signer::Hs256(_) => None,
        }
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
        match &self.signer {
            Signer::Hs256(h) => h.sign(&claims),
            Signer::EdDsa(ring) => ring.sign(&claims),
        }
    }

    /// Verifies signature, algorithm, header and claims; `None` for any
    /// failure (callers do not learn why, and neither does the client).
    /// Never reads the database: see [`TokenKeys::verify_fresh`].
    pub fn verify(&self, token: &str) -> Option<TokenSubject> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return None;
        }
        match &self.signer {
            Signer::Hs256(h) => h.verify(token),
            Signer::EdDsa(ring) => ring.verify(token),
        }
    }

    /// [`TokenKeys::verify`], but a token naming a key this process has not
    /// loaded yet (another process just created it) makes it reload the key
    /// set once before answering, so a rotation elsewhere never refuses valid tokens.
    pub async fn verify_fresh(&self, pool: &Pool, token: &str) -> Option<TokenSubject> {
        if let Some(subject) = self.verify(token) {
            return Some(subject);
        }
        let Signer::EdDsa(ring) = &self.signer else {
            return None;
        };
        if ring.reload_for(pool, token).await {
            self.verify(token)
        } else {
            None
        }
    }

    /// `/.well-known/jwks.json`: the public keys (none with HS256).
    pub fn jwks(&self) -> serde_json::Value {
        match &self.signer {
            Signer::EdDsa(ring) => ring.current().jwks(),
            Signer::Hs256(_) => serde_json::json!({ "keys": [] }),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::hs256(&[7u8; 32], Duration::from_secs(900))
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
        let subject = k.verify(&token).unwrap();
        assert_eq!((subject.user_id, subject.session_id), (user, sid));
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
}
