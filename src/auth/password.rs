//! Argon2id hashing and verification, always on the blocking pool and bounded
//! by a semaphore (each hash needs ~19 MiB of working memory), with a dummy
//! hash so an unknown email costs as much time as a wrong password.
//!
//! The working memory is allocated once per permit and reused: a finished hash
//! hands its 19 MiB to the next one. Allocating it for every hash cost page
//! faults on every login, and glibc kept the freed blocks in per-thread arenas,
//! so a burst of logins spread over the blocking pool's threads grew the
//! process far beyond its working set (BENCHMARKS.md has the figures). Now it
//! holds at most `max_concurrent` × 19 MiB.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;
use crate::error::Fault;

/// The contract's minimum: m = 19456 KiB, t = 2, p = 1 (OWASP's Argon2id baseline).
const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Length of the hash we store, in bytes.
const OUTPUT_LEN: usize = 32;

/// Hashes allowed to wait for a permit, per permit: beyond this, callers get
/// 503 at once instead of queueing without end (the last in line waits for
/// this many hashes).
const QUEUE_PER_PERMIT: usize = 16;

fn params() -> Result<Params, Fault> {
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN))
        .map_err(|e| Fault::internal(format!("argon2 params: {e}")))
}

/// Argon2 working memory: one 1 KiB block per KiB of `m`.
type Memory = Vec<Block>;

/// Memory for one hash at our parameters (touches every page once).
fn new_memory() -> Memory {
    vec![
        Block::new();
        Params::new(M_COST, T_COST, P_COST, None).map_or(M_COST as usize, |p| p.block_count())
    ]
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
    /// Hashes waiting for a permit or running, and how many may.
    in_line: Arc<AtomicUsize>,
    max_in_line: usize,
    /// Working memory of finished hashes, for the next ones. A buffer is only
    /// made by a hash holding a permit that finds this empty, so there are
    /// never more buffers than permits.
    spare: Arc<Mutex<Vec<Memory>>>,
    dummy_hash: Arc<str>,
}

impl Hasher {
    /// Builds the hasher; computes the dummy hash once, in memory that is
    /// freed again, so an idle server stays small.
    pub fn new(max_concurrent: usize) -> anyhow::Result<Self> {
        let dummy = hash_now("taskgate dummy password for timing")
            .context("cannot compute the dummy hash")?;
        let permits = max_concurrent.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(permits)),
            in_line: Arc::new(AtomicUsize::new(0)),
            max_in_line: permits * (QUEUE_PER_PERMIT + 1),
            spare: Arc::new(Mutex::new(Vec::new())),
            dummy_hash: dummy.into(),
        })
    }

    /// Hashes waiting for their turn right now (a metrics gauge).
    pub fn waiting(&self) -> usize {
        self.in_line
            .load(Ordering::Relaxed)
            .saturating_sub(self.permits.available_permits())
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: Password) -> Result<String, Fault> {
        self.blocking(move |memory| hash_with(password.expose(), memory))
            .await
    }

    /// Verifies `password` against `stored`, or against the dummy hash when
    /// there is no such user (the answer is then always "no match").
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<Verdict, Fault> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let verdict = self
            .blocking(move |memory| verify_with(password.expose(), &stored, memory))
            .await?;
        Ok(Verdict {
            matches: verdict.matches && known,
            ..verdict
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> Result<T, Fault> + Send + 'static,
    ) -> Result<T, Fault> {
        let _place = InLine::join(&self.in_line, self.max_in_line)?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Fault::internal(format!("hash semaphore closed: {e}")))?;
        let spare = Arc::clone(&self.spare);
        actix_web::web::block(move || {
            let taken = spare.lock().ok().and_then(|mut s| s.pop());
            let mut memory = taken.unwrap_or_else(new_memory);
            let result = f(&mut memory);
            if let Ok(mut s) = spare.lock() {
                s.push(memory);
            }
            result
        })
        .await
        .map_err(|e| Fault::internal(format!("hashing task failed: {e}")))?
    }
}

/// A place in the hashing line, given back when dropped (also when the
/// request is cancelled while waiting).
struct InLine<'a>(&'a AtomicUsize);

impl<'a> InLine<'a> {
    fn join(line: &'a AtomicUsize, max: usize) -> Result<Self, Fault> {
        let before = line.fetch_add(1, Ordering::AcqRel);
        let place = Self(line);
        if before >= max {
            return Err(Fault::Busy {
                retry_after_secs: 1,
            });
        }
        Ok(place)
    }
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Hashes with freshly allocated memory (start-up's dummy hash, tests).
fn hash_now(password: &str) -> Result<String, Fault> {
    hash_with(password, &mut new_memory())
}

/// Verifies with freshly allocated memory (tests).
#[cfg(test)]
fn verify_now(password: &str, stored: &str) -> Result<Verdict, Fault> {
    verify_with(password, stored, &mut Vec::new())
}

/// Argon2id v19 at our parameters, with a random 16-byte salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), computed in `memory`.
fn hash_with(password: &str, memory: &mut Memory) -> Result<String, Fault> {
    let failed = |e: &dyn std::fmt::Display| Fault::internal(format!("hashing failed: {e}"));
    let params = params()?;
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| failed(&e))?;
    let mut out = [0u8; OUTPUT_LEN];
    fit(memory, params.block_count());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, &mut memory[..])
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Grows `memory` to `blocks` when a stored hash asks for more than ours.
fn fit(memory: &mut Memory, blocks: usize) {
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
}

fn verify_with(password: &str, stored: &str, memory: &mut Memory) -> Result<Verdict, Fault> {
    // A hash we cannot parse is treated as a failed match, not an error:
    // the account simply cannot log in until an operator resets it.
    let Ok(parsed) = PasswordHash::new(stored) else {
        tracing::warn!("stored password hash is not a PHC string");
        return Ok(Verdict {
            matches: false,
            needs_rehash: false,
        });
    };
    let matches = matches(password, &parsed, memory);
    Ok(Verdict {
        matches,
        needs_rehash: matches && is_weaker(&parsed),
    })
}

/// What `PasswordVerifier::verify_password` does for Argon2 (the algorithm,
/// version and parameters recorded in the hash itself; a constant-time
/// comparison of the output), but computed in the given memory.
fn matches(password: &str, parsed: &PasswordHash<'_>, memory: &mut Memory) -> bool {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    let blocks = params.block_count();
    let mut larger;
    let memory = if memory.len() >= blocks {
        &mut memory[..]
    } else {
        // Stronger than ours: a one-off buffer, not kept.
        larger = vec![Block::new(); blocks];
        &mut larger[..]
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
        .is_ok()
        && Output::new(out).is_ok_and(|computed| computed == expected)
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
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    /// Hashes in every shape a database may hold, made by the crate's own hasher.
    fn reference_hashes(password: &[u8]) -> Vec<String> {
        let salt = SaltString::generate(&mut OsRng);
        [
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(M_COST, T_COST, P_COST, None),
            ),
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(8192, 1, 1, Some(16)),
            ),
            (
                Algorithm::Argon2id,
                Version::V0x10,
                Params::new(4096, 3, 2, Some(64)),
            ),
            (
                Algorithm::Argon2i,
                Version::V0x13,
                Params::new(4096, 2, 1, None),
            ),
            (
                Algorithm::Argon2d,
                Version::V0x13,
                Params::new(4096, 2, 1, None),
            ),
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(M_COST + 1024, 1, 1, None),
            ),
        ]
        .into_iter()
        .map(|(alg, version, params)| {
            Argon2::new(alg, version, params.unwrap())
                .hash_password(password, &salt)
                .unwrap()
                .to_string()
        })
        .collect()
    }

    #[test]
    fn verification_in_reused_memory_agrees_with_the_crates_verifier() {
        let mut memory = new_memory();
        for stored in reference_hashes(b"correct horse battery") {
            let parsed = PasswordHash::new(&stored).unwrap();
            for attempt in ["correct horse battery", "correct horse batterz", ""] {
                let expected = Argon2::default()
                    .verify_password(attempt.as_bytes(), &parsed)
                    .is_ok();
                let ours = verify_with(attempt, &stored, &mut memory).unwrap();
                assert_eq!(ours.matches, expected, "{stored} / {attempt:?}");
                assert_eq!(verify_now(attempt, &stored).unwrap().matches, expected);
            }
        }
        assert_eq!(
            memory.len(),
            new_memory().len(),
            "a larger hash used a one-off buffer"
        );
    }

    #[test]
    fn our_hashes_verify_with_the_crates_verifier() {
        let mut memory = new_memory();
        let h = hash_with("correct horse battery", &mut memory).unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong horse battery", &parsed)
            .is_err());
        assert_eq!(parsed.hash.unwrap().len(), OUTPUT_LEN);
        assert_eq!(parsed.salt.unwrap().len(), 22, "16 random bytes, base64");
        assert_ne!(h, hash_with("correct horse battery", &mut memory).unwrap());
    }

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
