//! Pages of tasks a worker thread answered in the last second, reused while
//! their owner's `tasks_version` is unchanged.
//!
//! Every write to a user's tasks bumps `users.tasks_version` in its own
//! transaction (`db::tasks`), whichever process makes it, so checking an
//! entry costs one small read instead of the page's rows. The promises:
//! - an entry is only ever answered to the owner it was read for: the key
//!   is the `UserId` the guard produced, with the query;
//! - a write through taskgate, in any process, is seen by the next request:
//!   the version read decides, the entry is never trusted on its own;
//! - a row changed outside taskgate (SQL by hand) bumps no version; entries
//!   live at most [`TTL`], so such a change shows within a second.
//!
//! Memory is bounded per thread: bodies over [`MAX_BODY`] are not kept, and
//! when the entries would pass [`MAX_BYTES`] the old ones go, then all.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

use crate::db::tasks::{Known, ListQuery};
use crate::domain::UserId;

/// How long an entry may be used at all.
pub const TTL: Duration = Duration::from_secs(1);
/// The largest body kept (a page of 20 short tasks is about 4 KiB).
const MAX_BODY: usize = 64 * 1024;
/// All bodies kept by one worker thread.
const MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    owner: UserId,
    completed: Option<bool>,
    limit: i64,
    offset: i64,
}

impl Key {
    fn new(owner: UserId, q: ListQuery) -> Self {
        Self {
            owner,
            completed: q.completed,
            limit: q.limit,
            offset: q.offset,
        }
    }
}

struct Entry {
    version: i64,
    at: Instant,
    body: Bytes,
}

#[derive(Default)]
struct Pages {
    entries: HashMap<Key, Entry>,
    bytes: usize,
}

thread_local! {
    static PAGES: RefCell<Pages> = RefCell::new(Pages::default());
}

/// What this thread has of `owner`'s page for `q`, for `db::tasks::page_since`;
/// [`Known::Off`] when pages are not remembered (`REMEMBER_TASK_PAGES=false`).
pub fn known(enabled: bool, owner: UserId, q: ListQuery) -> Known<Bytes> {
    if !enabled {
        return Known::Off;
    }
    recall(owner, q).map_or(Known::Nothing, |(version, body)| Known::At(version, body))
}

/// A body this thread answered for `owner`'s `q` in the last [`TTL`], with the
/// owner's `tasks_version` it was read at. Check the version before using it.
fn recall(owner: UserId, q: ListQuery) -> Option<(i64, Bytes)> {
    PAGES.with(|pages| {
        let pages = pages.borrow();
        let entry = pages.entries.get(&Key::new(owner, q))?;
        (entry.at.elapsed() < TTL).then(|| (entry.version, entry.body.clone()))
    })
}

/// Keeps `body` as `owner`'s page for `q` at `version`.
pub fn remember(owner: UserId, q: ListQuery, version: i64, body: Bytes) {
    if body.len() > MAX_BODY {
        return;
    }
    PAGES.with(|pages| {
        let mut pages = pages.borrow_mut();
        let key = Key::new(owner, q);
        if let Some(old) = pages.entries.remove(&key) {
            pages.bytes -= old.body.len();
        }
        if pages.bytes + body.len() > MAX_BYTES {
            pages.entries.retain(|_, e| e.at.elapsed() < TTL);
            pages.bytes = pages.entries.values().map(|e| e.body.len()).sum();
            if pages.bytes + body.len() > MAX_BYTES {
                pages.entries.clear();
                pages.bytes = 0;
            }
        }
        pages.bytes += body.len();
        let at = Instant::now();
        pages.entries.insert(key, Entry { version, at, body });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(offset: i64) -> ListQuery {
        ListQuery {
            completed: None,
            limit: 50,
            offset,
        }
    }

    #[test]
    fn an_entry_is_only_recalled_for_its_owner_and_query() {
        let (alice, bob) = (UserId::new(), UserId::new());
        remember(alice, query(0), 7, Bytes::from_static(b"alice's page"));
        assert_eq!(
            recall(alice, query(0)),
            Some((7, Bytes::from_static(b"alice's page")))
        );
        assert_eq!(recall(bob, query(0)), None);
        assert_eq!(recall(alice, query(1)), None);
    }

    #[test]
    fn the_bytes_kept_stay_under_the_budget() {
        let body = Bytes::from(vec![b'x'; MAX_BODY]);
        let owners: Vec<UserId> = (0..MAX_BYTES / MAX_BODY + 8)
            .map(|_| UserId::new())
            .collect();
        for owner in &owners {
            remember(*owner, query(0), 1, body.clone());
            PAGES.with(|p| assert!(p.borrow().bytes <= MAX_BYTES));
        }
        remember(
            owners[0],
            query(0),
            1,
            Bytes::from(vec![b'x'; MAX_BODY + 1]),
        );
        PAGES.with(|p| {
            let p = p.borrow();
            assert_eq!(
                p.bytes,
                p.entries.values().map(|e| e.body.len()).sum::<usize>()
            );
        });
    }
}
