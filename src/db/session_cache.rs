//! The guard's session cache, and everything that keeps it honest, in one place.
//!
//! On SQLite each worker thread remembers a positive session check for at
//! most [`TTL`] (the row read was most of the guard's cost). The promises:
//! - another process's revocation is seen once the entry expires: within 1 s,
//!   inside the contract's 2 s;
//! - this process's own revocations are seen by every request it answers
//!   after them. Every revoked or deleted `sessions` row fires a per-connection
//!   TEMP trigger (whatever the statement: logout, password change, reuse, an
//!   account deletion's cascade) that calls [`note_local_change`]; and once
//!   the write that fired it has committed, `db::write` notes the change again
//!   ([`noting_commits`]). An entry is used only if its row was read after the
//!   latest note, so no entry read before the commit survives it, however slow
//!   the disk;
//! - an entry never outlives the session's absolute or idle expiry.
//!
//! PostgreSQL does not use the cache: the guard reads the row every time.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::SqliteConnection;

use super::AnyConnection;
use crate::domain::{SessionId, UserId};

/// How long a positive answer is reused.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries per thread; when full, expired ones go, then everything.
const CAPACITY: usize = 4096;

diesel::define_sql_function! {
    /// Implemented in Rust on every SQLite connection: a session row was
    /// revoked or deleted through this connection.
    fn taskgate_session_changed() -> diesel::sql_types::Integer;
}

/// Per-connection (TEMP) triggers calling `taskgate_session_changed()` when a
/// session or a personal access token is revoked, changed or deleted (the
/// PAT cache, `db::pat_cache`, shares this change clock). They live only in
/// the connection, never in the file.
const TRIGGERS: &str = "\
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_session_revoked \
         AFTER UPDATE OF id, user_id, expires_at, revoked_at ON main.sessions \
         BEGIN SELECT taskgate_session_changed(); END; \
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_session_deleted \
         AFTER DELETE ON main.sessions \
         BEGIN SELECT taskgate_session_changed(); END; \
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_pat_revoked \
         AFTER UPDATE OF id, user_id, token_hash, scopes, expires_at, revoked_at \
         ON main.personal_access_tokens \
         BEGIN SELECT taskgate_session_changed(); END; \
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_pat_deleted \
         AFTER DELETE ON main.personal_access_tokens \
         BEGIN SELECT taskgate_session_changed(); END;";

thread_local! {
    /// Set by the trigger function while a write runs on this thread.
    static CHANGED_IN_WRITE: Cell<bool> = const { Cell::new(false) };
    static LIVE: RefCell<HashMap<SessionId, Entry>> = RefCell::new(HashMap::new());
}

/// Registers the trigger function on a freshly opened SQLite connection.
pub fn register(conn: &SqliteConnection) -> diesel::QueryResult<()> {
    taskgate_session_changed_utils::register_nondeterministic_impl(conn, || {
        note_local_change();
        CHANGED_IN_WRITE.with(|c| c.set(true));
        0
    })
}

/// Installs the triggers. False while the `sessions` or
/// `personal_access_tokens` table does not exist yet (a fresh file before its
/// migrations); `db::run` tries again then.
/// PostgreSQL needs nothing: true.
pub fn install_triggers(conn: &mut AnyConnection) -> bool {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(TRIGGERS).is_ok(),
        AnyConnection::Postgres(_) => true,
    }
}

/// Runs a database closure; if it revoked or deleted sessions, notes the
/// change again once it has returned (its transactions have committed).
pub fn noting_commits<T>(f: impl FnOnce() -> T) -> T {
    CHANGED_IN_WRITE.with(|c| c.set(false));
    let result = f();
    if CHANGED_IN_WRITE.with(|c| c.replace(false)) {
        note_local_change();
    }
    result
}

/// Microseconds on a monotonic clock private to this process; never 0.
pub fn clock_us() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let elapsed = BASE.get_or_init(Instant::now).elapsed().as_micros();
    u64::try_from(elapsed).unwrap_or(u64::MAX - 1) + 1
}

static LAST_LOCAL_CHANGE_US: AtomicU64 = AtomicU64::new(0);

/// Records that this process has revoked or deleted sessions (or is about to commit doing so).
pub fn note_local_change() {
    LAST_LOCAL_CHANGE_US.fetch_max(clock_us(), Ordering::AcqRel);
}

/// When this process last revoked or deleted a session (`clock_us`), 0 if never.
pub fn last_local_change_us() -> u64 {
    LAST_LOCAL_CHANGE_US.load(Ordering::Acquire)
}

#[derive(Clone, Copy)]
struct Entry {
    user_id: UserId,
    read_at: u64,
    valid_until: u64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// True when a row read at `read_at` (taken before the read began) is newer
/// than every local change.
fn settled(read_at: u64) -> bool {
    read_at > last_local_change_us()
}

/// A fresh positive answer for this session and user.
pub fn hit(session_id: SessionId, user_id: UserId) -> bool {
    let entry = LIVE.with(|live| live.borrow().get(&session_id).copied());
    entry.is_some_and(|e| e.user_id == user_id && clock_us() < e.valid_until && settled(e.read_at))
}

/// Remembers that the row, read at `read_at`, showed a live session for `live_for` more.
pub fn remember(session_id: SessionId, user_id: UserId, read_at: u64, live_for: Duration) {
    if !settled(read_at) {
        return;
    }
    let valid_until = read_at.saturating_add(micros(live_for.min(TTL)));
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
            session_id,
            Entry {
                user_id,
                read_at,
                valid_until,
            },
        );
    });
}

/// Serialises the unit tests that move or depend on the local change clock.
#[cfg(test)]
pub static CHANGE_CLOCK_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::config::DatabaseUrl;
    use crate::db::connection::Manager;

    fn lock_clock() -> std::sync::MutexGuard<'static, ()> {
        CHANGE_CLOCK_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[test]
    fn the_cache_forgets_on_expiry_and_on_any_local_change() {
        let _clock = lock_clock();
        let (sid, uid) = (SessionId::new(), UserId::new());
        assert!(!hit(sid, uid), "nothing remembered yet");
        remember(sid, uid, clock_us(), Duration::from_secs(60));
        assert!(hit(sid, uid));
        assert!(
            !hit(sid, UserId::new()),
            "the session must belong to the token's user"
        );

        // An answer never outlives the session's own end.
        let ending = SessionId::new();
        remember(ending, uid, clock_us(), Duration::ZERO);
        assert!(!hit(ending, uid));

        // A local revocation (of any session) makes every remembered answer
        // useless, and answers read before it are not remembered either.
        let read_before = clock_us();
        note_local_change();
        assert!(!hit(sid, uid));
        remember(sid, uid, read_before, Duration::from_secs(60));
        assert!(!hit(sid, uid));
        remember(sid, uid, clock_us(), Duration::from_secs(60));
        assert!(hit(sid, uid), "a row read after the change is trusted");
    }

    #[test]
    fn revoking_or_deleting_session_rows_is_noticed_through_the_triggers() {
        let _clock = lock_clock();
        let dir = tempfile::tempdir().unwrap();
        let manager = Manager::new(DatabaseUrl::Sqlite(dir.path().join("hooks.db")));
        let mut conn = manager.open().unwrap();
        assert!(!install_triggers(&mut conn), "no sessions table yet");
        conn.batch_execute(
            "CREATE TABLE users (id TEXT NOT NULL PRIMARY KEY); \
             CREATE TABLE sessions (id TEXT NOT NULL PRIMARY KEY, \
                 user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, \
                 last_used_at TEXT, expires_at TEXT, revoked_at TEXT); \
             INSERT INTO users VALUES ('u'); \
             INSERT INTO sessions VALUES ('s1', 'u', 'x', 'y', NULL), ('s2', 'u', 'x', 'y', NULL);",
        )
        .unwrap();
        assert!(
            !install_triggers(&mut conn),
            "no personal_access_tokens table yet"
        );
        conn.batch_execute(PAT_TABLE).unwrap();
        conn.batch_execute("INSERT INTO personal_access_tokens VALUES ('p1', 'u', 'h1', 's', 'y', NULL, NULL), ('p2', 'u', 'h2', 's', 'y', NULL, NULL);")
            .unwrap();
        assert!(install_triggers(&mut conn));
        assert!(install_triggers(&mut conn), "installing twice is harmless");

        let before = last_local_change_us();
        conn.batch_execute("UPDATE sessions SET revoked_at = 'now' WHERE id = 's1'")
            .unwrap();
        let revoked = last_local_change_us();
        assert!(revoked > before, "a revocation is noticed");

        conn.batch_execute(
            "UPDATE personal_access_tokens SET last_used_at = 'now' WHERE id = 'p1'",
        )
        .unwrap();
        assert_eq!(
            last_local_change_us(),
            revoked,
            "recording use is not a change"
        );
        conn.batch_execute("UPDATE personal_access_tokens SET revoked_at = 'now' WHERE id = 'p1'")
            .unwrap();
        let revoked = last_local_change_us();
        assert!(revoked > before, "a token's revocation is noticed");

        conn.batch_execute("DELETE FROM users WHERE id = 'u'")
            .unwrap();
        assert!(
            last_local_change_us() > revoked,
            "sessions and tokens deleted by an account's cascade are noticed"
        );
    }

    const PAT_TABLE: &str = "CREATE TABLE personal_access_tokens (id TEXT NOT NULL PRIMARY KEY, \
         user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, token_hash TEXT, \
         scopes TEXT, expires_at TEXT, last_used_at TEXT, revoked_at TEXT);";

    /// A revocation whose commit is slow (a slow fsync) must still be in
    /// force for every request after it: an entry read while the commit was
    /// pending saw the session live, and must not be used afterwards.
    #[test]
    fn an_entry_read_while_a_slow_revocation_commits_is_not_trusted_after_it() {
        let _clock = lock_clock();
        let dir = tempfile::tempdir().unwrap();
        let manager = Manager::new(DatabaseUrl::Sqlite(dir.path().join("slow.db")));
        let mut conn = manager.open().unwrap();
        conn.batch_execute(
            "CREATE TABLE sessions (id TEXT NOT NULL PRIMARY KEY, user_id TEXT, \
                 last_used_at TEXT, expires_at TEXT, revoked_at TEXT); \
             INSERT INTO sessions VALUES ('s1', 'u', 'x', 'y', NULL); \
             CREATE TABLE users (id TEXT NOT NULL PRIMARY KEY);",
        )
        .unwrap();
        conn.batch_execute(PAT_TABLE).unwrap();
        assert!(install_triggers(&mut conn));
        let (sid, uid) = (SessionId::new(), UserId::new());
        let reader = std::thread::spawn(move || {
            // Reads the (still live) row 1.2 s into the revoking write.
            std::thread::sleep(Duration::from_millis(1200));
            remember(sid, uid, clock_us(), Duration::from_secs(60));
        });
        noting_commits(|| {
            conn.batch_execute("BEGIN; UPDATE sessions SET revoked_at = 'now' WHERE id = 's1';")
                .unwrap();
            std::thread::sleep(Duration::from_millis(1500)); // the slow commit
            conn.batch_execute("COMMIT;").unwrap();
        });
        reader.join().unwrap();
        assert!(
            !hit(sid, uid),
            "an answer read before the revocation committed must not be used after it"
        );
    }
}
