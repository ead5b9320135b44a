//! The public JWK of an Ed25519 key (RFC 8037) and its RFC 7638 thumbprint,
//! written by hand: jsonwebtoken's `Jwk::from_encoding_key` panics for EdDSA
//! in some versions, and a hand-written struct cannot grow a `d` by accident.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One entry of `/.well-known/jwks.json`. Only public members exist here.
/// `alg` is `EdDSA` because PyJWT and Node `jose` match it strictly (RFC 9864's
/// `Ed25519` is refused by both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

impl PublicJwk {
    /// The JWK for the Ed25519 public key `x` (base64url, no padding).
    pub fn ed25519(kid: &str, x: &str) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: x.to_owned(),
            kid: kid.to_owned(),
            alg: "EdDSA".to_owned(),
            use_: "sig".to_owned(),
        }
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key: base64url(SHA-256) of the
/// required members in lexicographic order, no whitespace. Used as `kid`, so
/// anyone holding the JWK can recompute and check it.
///
/// `x` must already be canonical base64url (it is inserted verbatim; callers
/// decode it first, which refuses anything that would need JSON escaping).
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc8037_appendix_a3() {
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn serialises_exactly_the_public_members() {
        let jwk = serde_json::to_value(PublicJwk::ed25519("k", "xx")).unwrap();
        assert_eq!(
            jwk,
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"xx","kid":"k","alg":"EdDSA","use":"sig"})
        );
    }
}
