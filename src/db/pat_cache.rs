//! The guard's cache of personal access token checks, held to the same
//! promises as `session_cache` (whose change clock it shares):
//! - SQLite only; on PostgreSQL the guard reads the row on every request;
//! - an answer is reused for at most [`TTL`] (1 s), so a revocation, expiry
//!   or account deletion made by another process is seen within 1 s;
//! - this process's own revocations are seen by every request after them: a
//!   revoked, changed or deleted token row fires the same per-connection
//!   trigger as a session row (`session_cache::TRIGGERS`), and an entry read
//!   before the latest such change is never used;
//! - an entry never outlives the token's expiry.
//!
//! Keyed by the SHA-256 of the token, so the cache holds no secret.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use super::session_cache::{clock_us, last_local_change_us};
use crate::domain::{PatId, Scopes, UserId};

/// How long a positive answer is reused.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries per thread; when full, expired ones go, then everything.
const CAPACITY: usize = 4096;

/// What a live token grants: its owner and scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub id: PatId,
    pub user_id: UserId,
    pub scopes: Scopes,
}

#[derive(Clone, Copy)]
struct Entry {
    grant: Grant,
    read_at: u64,
    valid_until: u64,
}

thread_local! {
    static LIVE: RefCell<HashMap<[u8; 32], Entry>> = RefCell::new(HashMap::new());
}

/// True when a row read at `read_at` is newer than every local change.
fn settled(read_at: u64) -> bool {
    read_at > last_local_change_us()
}

/// A fresh positive answer for the token with this digest.
pub fn hit(digest: &[u8; 32]) -> Option<Grant> {
    let entry = LIVE.with(|live| live.borrow().get(digest).copied())?;
    (clock_us() < entry.valid_until && settled(entry.read_at)).then_some(entry.grant)
}

/// Remembers that the row, read at `read_at` (taken before the read began),
/// showed a live token for `live_for` more.
pub fn remember(digest: [u8; 32], grant: Grant, read_at: u64, live_for: Duration) {
    if !settled(read_at) {
        return;
    }
    let micros = u64::try_from(live_for.min(TTL).as_micros()).unwrap_or(u64::MAX);
    let valid_until = read_at.saturating_add(micros);
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        if live.len() >= CAPACITY {
            let now = clock_us();
            live.retain(|_, e| e.valid_until > now);
            if live.len() >= CAPACITY {
                live.clear();
            }
        }
        live.insert(
            digest,
            Entry {
                grant,
                read_at,
                valid_until,
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::session_cache::{note_local_change, CHANGE_CLOCK_TESTS};

    fn grant() -> Grant {
        Grant {
            id: PatId::new(),
            user_id: UserId::new(),
            scopes: Scopes::parse(["tasks:read"]).unwrap(),
        }
    }

    #[test]
    fn answers_expire_with_the_token_and_on_any_local_change() {
        let _clock = CHANGE_CLOCK_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (digest, g) = ([1u8; 32], grant());
        assert_eq!(hit(&digest), None);
        remember(digest, g, clock_us(), Duration::from_secs(60));
        assert_eq!(hit(&digest), Some(g));
        assert_eq!(hit(&[2u8; 32]), None, "another token's digest");

        // A token that expires now is not remembered past its end.
        remember([3u8; 32], g, clock_us(), Duration::ZERO);
        assert_eq!(hit(&[3u8; 32]), None);

        // A local revocation makes every remembered answer useless, and an
        // answer read before it is not remembered either.
        let read_before = clock_us();
        note_local_change();
        assert_eq!(hit(&digest), None);
        remember(digest, g, read_before, Duration::from_secs(60));
        assert_eq!(hit(&digest), None);
        remember(digest, g, clock_us(), Duration::from_secs(60));
        assert_eq!(hit(&digest), Some(g));
    }

    #[test]
    fn an_answer_is_reused_for_at_most_one_second() {
        let _clock = CHANGE_CLOCK_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (digest, g) = ([4u8; 32], grant());
        remember(digest, g, clock_us(), Duration::from_secs(3600));
        assert_eq!(hit(&digest), Some(g));
        std::thread::sleep(TTL + Duration::from_millis(20));
        assert_eq!(hit(&digest), None);
    }
}
