//! Argon2id hashing and verification, always on the blocking pool and bounded
//! by a semaphore (each hash holds ~19 MiB), with a dummy hash so an unknown
//! email costs as much time as a wrong password.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;
use crate::error::AppError;

/// The contract's minimum: m = 19456 KiB, t = 2, p = 1 (OWASP's Argon2id baseline).
const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(M_COST, T_COST, P_COST, Some(32))
        .map_err(|e| AppError::Internal(anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub matches: bool,
    /// The stored hash uses weaker parameters (or another algorithm) than ours.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords; cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl Hasher {
    /// Builds the hasher; computes the dummy hash once (about 30 ms).
    pub fn new(max_concurrent: usize) -> anyhow::Result<Self> {
        let dummy = hash_now("taskgate dummy password for timing")
            .context("cannot compute the dummy hash")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy.into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.blocking(move || hash_now(password.expose())).await
    }

    /// Verifies `password` against `stored`, or against the dummy hash when
    /// there is no such user (the answer is then always "no match").
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<Verdict, AppError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let verdict = self
            .blocking(move || verify_now(password.expose(), &stored))
            .await?;
        Ok(Verdict {
            matches: verdict.matches && known,
            ..verdict
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(anyhow!("hash semaphore closed: {e}")))?;
        actix_web::web::block(f)
            .await
            .map_err(|e| AppError::Internal(anyhow!("hashing task failed: {e}")))?
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow!("hashing failed: {e}")))
}

fn verify_now(password: &str, stored: &str) -> Result<Verdict, AppError> {
    // A hash we cannot parse is treated as a failed match, not an error:
    // the account simply cannot log in until an operator resets it.
    let Ok(parsed) = PasswordHash::new(stored) else {
        tracing::warn!("stored password hash is not a PHC string");
        return Ok(Verdict {
            matches: false,
            needs_rehash: false,
        });
    };
    // Verification uses the parameters recorded in the hash itself.
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Ok(Verdict {
        matches,
        needs_rehash: matches && is_weaker(&parsed),
    })
}

/// True when the hash is not Argon2id v19 at (at least) our parameters.
fn is_weaker(hash: &PasswordHash<'_>) -> bool {
    if hash.algorithm != argon2::ARGON2ID_IDENT || hash.version != Some(0x13) {
        return true;
    }
    match Params::try_from(hash) {
        Ok(p) => p.m_cost() < M_COST || p.t_cost() < T_COST || p.p_cost() < P_COST,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_contract_parameters() {
        let h = hash_now("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        let v = verify_now("correct horse battery", &h).unwrap();
        assert_eq!(
            v,
            Verdict {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!verify_now("wrong horse battery", &h).unwrap().matches);
    }

    #[test]
    fn weaker_hashes_are_flagged_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let h = weak
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_now("correct horse battery", &h).unwrap(),
            Verdict {
                matches: true,
                needs_rehash: true
            }
        );
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default());
        let h = argon2i
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify_now("correct horse battery", &h)
                .unwrap()
                .needs_rehash
        );
    }

    #[test]
    fn garbage_hash_never_matches() {
        assert!(!verify_now("x", "not a hash").unwrap().matches);
    }
}
