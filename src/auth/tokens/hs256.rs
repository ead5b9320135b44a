//! HS256 tokens, for deployments whose other services share `JWT_SECRET`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::{Claims, TokenSubject, VerifiedClaims, ISSUER, LEEWAY_SECS};
use crate::error::Fault;

/// The shared-secret keys and the strict validation rules.
pub struct Hs256 {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Hs256 {
    pub fn new(secret: &[u8]) -> Self {
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
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, Fault> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| Fault::internal(format!("cannot sign a token: {e}")))
    }

    pub fn verify(&self, token: &str) -> Option<TokenSubject> {
        // `decode` checks the signature, the algorithm and the registered
        // claims; the header it returns is the one it verified.
        let data =
            jsonwebtoken::decode::<VerifiedClaims>(token, &self.decoding, &self.validation).ok()?;
        if data.header.typ.as_deref() != Some("JWT") {
            return None;
        }
        Some(data.claims.into())
    }
}
