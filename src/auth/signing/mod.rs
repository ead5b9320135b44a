//! Ed25519-signed access tokens with keys kept in the database: generation
//! (`keypair`), the public JWK (`jwk`), the timeline of next / current /
//! retired keys (`rotation`), the loaded key set that signs and verifies
//! (`keyset`), and the database operations that create and drop keys (`store`).
//!
//! Every process of a deployment derives the same state from the rows and
//! the clock, so none needs to coordinate with the others.

pub mod jwk;
pub mod keypair;
pub mod keyset;
pub mod rotation;
pub mod store;

use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};

pub use keyset::{KeyInfo, KeySet, LoadReport, SignError};
pub use rotation::KeyState;
pub use store::{Ensured, StoreError};

/// `Cache-Control: max-age` of `/.well-known/jwks.json` (the contract allows at
/// most 300 s). A scheduled key is published two max-ages before it signs, so
/// a verifier's cached JWKS always knows it in time.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// Extra time a retired key keeps verifying after its last token's expiry:
/// covers clock skew between processes and the delay before a process
/// reloads its key set. Equal to the contract's verification leeway.
pub const RETIRE_LEEWAY: Duration = Duration::from_secs(30);

/// Claim checks for [`KeySet::verify`]. The algorithm is fixed to EdDSA here,
/// whatever the caller wants: an HS256 token signed with `JWT_SECRET`, or one
/// claiming `none`, never reaches a key.
#[derive(Debug, Clone)]
pub struct VerifyRules {
    validation: Validation,
}

impl VerifyRules {
    /// Requires `exp`, `nbf`, `iss`, `aud` and `sub`; checks `exp` and `nbf`
    /// with `leeway_secs` of clock skew, `iss` against `issuer` and `aud`
    /// against `audience`. (jsonwebtoken's defaults are 60 s of leeway and
    /// no `nbf` check, hence every field is set explicitly.)
    pub fn new(issuer: &str, audience: &str, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = leeway_secs;
        Self { validation }
    }

    pub(crate) fn validation(&self) -> &Validation {
        &self.validation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{Purpose, ServerKeys};

    /// Writes `jwks.json`, `valid.jwt`, `expired.jwt` and `foreign.jwt` (another
    /// key signing under our kid) into
    /// `$VERIFIER_FIXTURES` (default: `<tmp>/taskgate-verifiers`) for the
    /// third-party verifiers in `tests/verifiers/` (`tests/verifiers/run.sh`
    /// runs this, serves the folder and runs both).
    #[test]
    #[ignore = "writes fixtures for tests/verifiers/run.sh"]
    fn write_verifier_fixtures() {
        let dir = std::env::var_os("VERIFIER_FIXTURES")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("taskgate-verifiers"));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = secrecy::SecretString::from("verifier fixtures secret, 32+ bytes".to_owned());
        let sealer = ServerKeys::from_secret(&secret).sealer(Purpose::SigningKeys);
        let now = crate::db::now();
        let row = keypair::KeyPair::generate()
            .unwrap()
            .to_row(&sealer, now, now);
        let (keys, _) = KeySet::load(
            std::slice::from_ref(&row),
            &sealer,
            now,
            Duration::from_secs(900),
        );
        // Another Ed25519 key signing under our kid: must be refused.
        let other = keypair::KeyPair::generate()
            .unwrap()
            .to_row(&sealer, now, now);
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(row.kid.clone());
        let foreign_key = keypair::open_private(&other, &sealer).unwrap();
        let t = chrono::Utc::now().timestamp();
        let claims = |iat: i64| {
            serde_json::json!({
                "sub": "verifier-user", "sid": "s", "iat": iat, "nbf": iat, "exp": iat + 900,
                "iss": "taskgate", "aud": "taskgate", "jti": "j"
            })
        };
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
        write("jwks.json", keys.jwks().to_string());
        write("valid.jwt", keys.sign(&claims(t)).unwrap());
        write("expired.jwt", keys.sign(&claims(t - 3600)).unwrap());
        write(
            "foreign.jwt",
            jsonwebtoken::encode(&header, &claims(t), &foreign_key).unwrap(),
        );
        println!("fixtures in {}", dir.display());
    }
}
