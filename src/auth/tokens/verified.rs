//! Per-thread memory of EdDSA tokens that passed a full verification.
//!
//! An Ed25519 check costs ~40–50 µs, twenty times an HS256 one, and the same
//! token comes back on every request of its client. An entry is keyed on the
//! whole token text and answers only until the token's own `exp` plus the
//! leeway the full check allows, so a hit never accepts a token that a full
//! check would refuse: the signature of those exact bytes was verified, the
//! claims do not change, and a key is dropped only after every token it
//! signed has expired. Entries also carry the generation of the key set that
//! verified them: when a reload changes the set (a rotation, a key dropped
//! because its row failed its checks), older entries are not used. (The
//! session behind the token is still checked on every request, by the guard.)

use std::cell::RefCell;
use std::collections::HashMap;

use super::{TokenSubject, LEEWAY_SECS};

/// Entries per worker thread; when full, expired ones go, then everything.
const CAPACITY: usize = 4096;

thread_local! {
    static VERIFIED: RefCell<HashMap<Box<str>, (u64, TokenSubject)>> = RefCell::new(HashMap::new());
}

fn leeway() -> i64 {
    i64::try_from(LEEWAY_SECS).unwrap_or(30)
}

/// The subject of `token` if this thread verified it with key-set
/// `generation` and it has not expired.
pub fn hit(token: &str, generation: u64, now: i64) -> Option<TokenSubject> {
    VERIFIED.with(|v| {
        v.borrow()
            .get(token)
            .filter(|(g, s)| *g == generation && now <= s.exp.saturating_add(leeway()))
            .map(|(_, s)| *s)
    })
}

/// Remembers a token fully verified with key-set `generation`.
pub fn remember(token: &str, generation: u64, subject: TokenSubject, now: i64) {
    VERIFIED.with(|v| {
        let mut map = v.borrow_mut();
        if map.len() >= CAPACITY {
            map.retain(|_, (g, s)| *g == generation && now <= s.exp.saturating_add(leeway()));
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(token.into(), (generation, subject));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SessionId, UserId};

    #[test]
    fn an_entry_answers_until_exp_plus_leeway_and_only_for_the_same_text() {
        let s = TokenSubject {
            user_id: UserId::new(),
            session_id: SessionId::new(),
            iat: 1000,
            exp: 1900,
        };
        remember("a.b.c", 7, s, 1000);
        assert_eq!(hit("a.b.c", 7, 1900 + 30), Some(s));
        assert_eq!(hit("a.b.c", 7, 1900 + 31), None, "past exp + leeway");
        assert_eq!(hit("a.b.C", 7, 1000), None, "another text is another token");
        assert_eq!(hit("a.b.c", 8, 1000), None, "the key set changed since");
    }
}
