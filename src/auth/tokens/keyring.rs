//! The Ed25519 key ring of one process: the key set loaded from the
//! database, re-read every few seconds (so `taskgate keys rotate` reaches
//! every process within 5 s) and at once when a token names a key this
//! process has not seen (so a key another process just created never makes
//! this one refuse valid tokens). Scheduled rotation and the removal of
//! expired keys run on the same loop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::{verified, Claims, TokenSubject, VerifiedClaims, ISSUER, LEEWAY_SECS};
use crate::auth::signing::{store, KeySet, VerifyRules};
use crate::db::{self, AnyConnection, Pool};
use crate::error::Fault;
use crate::secrets::{Purpose, Sealer, ServerKeys};

/// How often the key set is re-read.
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);
/// Unknown-kid reloads happen at most this often (a flood of forged kids
/// costs one small read per interval, not one per request).
const UNKNOWN_KID_RELOAD: Duration = Duration::from_millis(500);

/// The loaded keys and what it takes to reload them.
pub struct KeyRing {
    keys: RwLock<Arc<KeySet>>,
    /// Bumped whenever a reload changes the published keys; remembered
    /// verifications from an older generation are not used.
    generation: AtomicU64,
    sealer: Sealer,
    rules: VerifyRules,
    ttl: Duration,
    rotation_days: u32,
    last_forced: Mutex<Option<Instant>>,
}

impl KeyRing {
    /// At start: makes sure a key can sign (creating one when the table is
    /// empty or `JWT_SECRET` changed, with one warning line), applies a due
    /// scheduled rotation, and loads the set.
    pub fn open(
        conn: &mut AnyConnection,
        keys: &ServerKeys,
        ttl: Duration,
        rotation_days: u32,
    ) -> anyhow::Result<Self> {
        let sealer = keys.sealer(Purpose::SigningKeys);
        let now = db::now();
        let ensured = store::ensure(conn, &sealer, now, ttl)?;
        let report = &ensured.report;
        if report.other_secret > 0 {
            tracing::warn!(
                undecryptable = report.other_secret,
                new_key = ensured.created.as_deref().unwrap_or(""),
                "JWT_SECRET changed: stored signing keys cannot be decrypted; signing with a new key (they keep verifying until their tokens expire, sessions continue)"
            );
        }
        if report.corrupt > 0 || !report.tampered.is_empty() {
            tracing::warn!(
                corrupt = report.corrupt,
                tampered = report.tampered.len(),
                "some stored signing keys fail their checks and are not used"
            );
        }
        if let Some(kid) = &ensured.created {
            tracing::info!(kid = %kid, "created a signing key");
        }
        let mut ring = Self {
            keys: RwLock::new(Arc::new(ensured.keys)),
            generation: AtomicU64::new(0),
            sealer,
            rules: VerifyRules::new(ISSUER, ISSUER, LEEWAY_SECS),
            ttl,
            rotation_days,
            last_forced: Mutex::new(None),
        };
        if rotation_days > 0 {
            if let Some(kid) = store::rotate_if_due(conn, &ring.sealer, now, rotation_days)? {
                tracing::info!(kid = %kid, "scheduled the next signing key");
            }
            ring.keys = RwLock::new(Arc::new(store::load(conn, &ring.sealer, now, ttl)?.0));
        }
        Ok(ring)
    }

    /// The key set as loaded last.
    pub fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Signs with the current key.
    pub fn sign(&self, claims: &Claims) -> Result<String, Fault> {
        self.current()
            .sign(claims)
            .map_err(|e| Fault::internal(format!("cannot sign a token: {e}")))
    }

    /// A full verification, answered from this thread's memory of verified
    /// tokens when it can be (see `verified`).
    pub fn verify(&self, token: &str) -> Option<TokenSubject> {
        let now = chrono::Utc::now().timestamp();
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(subject) = verified::hit(token, generation, now) {
            return Some(subject);
        }
        let subject: TokenSubject = self
            .current()
            .verify::<VerifiedClaims>(token, &self.rules)?
            .into();
        verified::remember(token, generation, subject, now);
        Some(subject)
    }

    /// Re-reads the key set. When no key can sign any more (its row was
    /// tampered with, or every key expired), makes one, as at start.
    pub async fn reload(&self, pool: &Pool) -> Result<(), Fault> {
        let (sealer, ttl) = (self.sealer.clone(), self.ttl);
        let keys = db::run(pool, move |conn| {
            store::load(conn, &sealer, db::now(), ttl).map_err(|e| Fault::Internal(e.into()))
        })
        .await?
        .0;
        let keys = if keys.signing_kid(db::now()).is_some() {
            keys
        } else {
            let (sealer, ttl) = (self.sealer.clone(), self.ttl);
            let ensured = db::write(pool, move |conn| {
                store::ensure(conn, &sealer, db::now(), ttl).map_err(|e| Fault::Internal(e.into()))
            })
            .await?;
            tracing::warn!(
                new_key = ensured.created.as_deref().unwrap_or(""),
                "no stored signing key could sign; made a new one"
            );
            ensured.keys
        };
        let mut current = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if current.jwks() != keys.jwks() {
            // Bumped before the new set is visible, so no verification by an
            // older set is remembered under the new generation.
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        *current = Arc::new(keys);
        Ok(())
    }

    /// For a token whose `kid` is not loaded: reloads (at most every
    /// [`UNKNOWN_KID_RELOAD`]) and says whether the kid is known now.
    pub async fn reload_for(&self, pool: &Pool, token: &str) -> bool {
        let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) else {
            return false;
        };
        if self.current().has_kid(&kid) {
            return false;
        }
        {
            let mut last = self
                .last_forced
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < UNKNOWN_KID_RELOAD) {
                return false;
            }
            *last = Some(Instant::now());
        }
        self.reload(pool).await.is_ok() && self.current().has_kid(&kid)
    }

    /// One round of key housekeeping: a due scheduled rotation, removal of
    /// keys whose tokens have all expired, and a reload.
    pub async fn housekeeping(&self, pool: &Pool) -> Result<(), Fault> {
        let (sealer, ttl, days) = (self.sealer.clone(), self.ttl, self.rotation_days);
        db::write(pool, move |conn| {
            let now = db::now();
            if days > 0 {
                if let Some(kid) = store::rotate_if_due(conn, &sealer, now, days)
                    .map_err(|e| Fault::Internal(e.into()))?
                {
                    tracing::info!(kid = %kid, "scheduled the next signing key");
                }
            }
            store::delete_expired(conn, now, ttl).map_err(|e| Fault::Internal(e.into()))
        })
        .await?;
        self.reload(pool).await
    }
}

/// Keeps every process's key set fresh: a reload every [`RELOAD_EVERY`], key
/// housekeeping once a minute.
pub fn spawn_refresher(state: actix_web::web::Data<crate::state::AppState>) {
    if state.tokens.keyring().is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RELOAD_EVERY);
        let mut rounds: u32 = 0;
        loop {
            tick.tick().await;
            let Some(ring) = state.tokens.keyring() else {
                return;
            };
            rounds = rounds.wrapping_add(1);
            let result = if rounds.is_multiple_of(30) {
                ring.housekeeping(&state.pool).await
            } else {
                ring.reload(&state.pool).await
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "signing keys could not be refreshed");
            }
        }
    });
}
