//! One connection type for both engines (Diesel's `MultiConnection`), and an
//! r2d2 manager that picks the engine from the URL and reports the real error.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::config::DatabaseUrl;
use crate::db::sessions;

/// A connection to whichever engine `DATABASE_URL` names. All queries are
/// written once against this type.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Settings every pooled SQLite connection needs. WAL is set once at start-up
/// (see `db::prepare_sqlite`), not here: setting it per connection races.
const SQLITE_PER_CONNECTION: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = FULL;";

diesel::define_sql_function! {
    /// Implemented in Rust on every pooled SQLite connection: tells the guard's
    /// session cache that this process revoked or deleted a session.
    fn taskgate_session_changed() -> diesel::sql_types::Integer;
}

/// Per-connection (TEMP) triggers that call `taskgate_session_changed()` for every
/// session row revoked or deleted through this connection, whatever the
/// statement: a logout, a password change, a refresh-token reuse, an account
/// deletion's cascade. They live only in this connection, never in the file.
const SQLITE_SESSION_TRIGGERS: &str = "\
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_session_revoked \
         AFTER UPDATE OF id, user_id, expires_at, revoked_at ON main.sessions \
         BEGIN SELECT taskgate_session_changed(); END; \
     CREATE TEMP TRIGGER IF NOT EXISTS taskgate_session_deleted \
         AFTER DELETE ON main.sessions \
         BEGIN SELECT taskgate_session_changed(); END;";

/// Installs the session-change triggers on a SQLite connection (the function
/// itself is registered when the connection opens). False while the `sessions`
/// table does not exist yet (a fresh file before its migrations); `db::run`
/// tries again then. PostgreSQL needs nothing: true.
pub fn install_session_hooks(conn: &mut AnyConnection) -> bool {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(SQLITE_SESSION_TRIGGERS).is_ok(),
        AnyConnection::Postgres(_) => true,
    }
}

/// Process-wide SQLite settings that no PRAGMA reaches, applied once before
/// the first connection opens:
///
/// - the query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) on
///   every connection. Without it SQLite marks a statement whose plan *might*
///   depend on a bound value (any `LIMIT ?`, so every Diesel `.first()` and
///   every page of tasks) to be re-compiled on its next run after a re-bind,
///   which defeats Diesel's prepared-statement cache: each such query was
///   parsed and planned again on every request. Our plans never depend on the
///   values (no `LIKE ?`, no `ANALYZE` statistics), so the results are the same;
/// - no memory statistics (`SQLITE_CONFIG_MEMSTATUS`): they put every SQLite
///   allocation, in every thread, behind one global mutex.
pub fn configure_sqlite_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is called before any connection exists
        // (if one already does, it returns SQLITE_MISUSE and changes nothing),
        // with MEMSTATUS's one int argument. `sqlite3_auto_extension` receives
        // a function with exactly the signature it declares, which lives for
        // the whole process.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
            libsqlite3_sys::sqlite3_auto_extension(Some(on_sqlite_open));
        }
    });
}

/// Called by SQLite for every connection it opens in this process.
unsafe extern "C" fn on_sqlite_open(
    db: *mut libsqlite3_sys::sqlite3,
    _err: *mut *mut c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened. ENABLE_QPSG takes an int
    // (1 = on) and an int pointer for the new setting, which may be null.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        );
    }
    libsqlite3_sys::SQLITE_OK
}

/// A pooled connection plus what we learned about it while using it: after
/// a connection-level failure (the server restarted, say) it is marked broken
/// and r2d2 drops it instead of handing it out again, so the pool heals.
/// Diesel's own `is_broken` only looks at transaction state, not the socket.
pub struct PooledConn {
    pub inner: AnyConnection,
    pub broken: bool,
    /// The session-change triggers are installed (see `install_session_hooks`).
    pub session_hooks: bool,
}

/// Opens connections for the pool. Diesel's own `establish` on a
/// MultiConnection tries every engine and hides the real error.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    /// Opens one connection, with the engine's own error on failure.
    pub fn open(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                configure_sqlite_once();
                let path = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PER_CONNECTION)
                    .map_err(r2d2::Error::QueryError)?;
                taskgate_session_changed_utils::register_nondeterministic_impl(&conn, || {
                    sessions::note_local_change();
                    0
                })
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = PooledConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PooledConn, r2d2::Error> {
        self.open().map(|mut inner| PooledConn {
            session_hooks: install_session_hooks(&mut inner),
            inner,
            broken: false,
        })
    }

    fn is_valid(&self, pooled: &mut PooledConn) -> Result<(), r2d2::Error> {
        pooled
            .inner
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut PooledConn) -> bool {
        pooled.broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoking_or_deleting_session_rows_is_noticed_through_the_triggers() {
        let _clock = sessions::CHANGE_CLOCK_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let manager = Manager::new(DatabaseUrl::Sqlite(dir.path().join("hooks.db")));
        let mut conn = manager.open().unwrap();
        assert!(!install_session_hooks(&mut conn), "no sessions table yet");
        conn.batch_execute(
            "CREATE TABLE users (id TEXT NOT NULL PRIMARY KEY); \
             CREATE TABLE sessions (id TEXT NOT NULL PRIMARY KEY, \
                 user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, \
                 last_used_at TEXT, expires_at TEXT, revoked_at TEXT); \
             INSERT INTO users VALUES ('u'); \
             INSERT INTO sessions VALUES ('s1', 'u', 'x', 'y', NULL), ('s2', 'u', 'x', 'y', NULL);",
        )
        .unwrap();
        assert!(install_session_hooks(&mut conn));
        assert!(
            install_session_hooks(&mut conn),
            "installing twice is harmless"
        );

        let before = sessions::last_local_change_us();
        conn.batch_execute("UPDATE sessions SET revoked_at = 'now' WHERE id = 's1'")
            .unwrap();
        let revoked = sessions::last_local_change_us();
        assert!(revoked > before, "a revocation is noticed");

        conn.batch_execute("DELETE FROM users WHERE id = 'u'")
            .unwrap();
        assert!(
            sessions::last_local_change_us() > revoked,
            "sessions deleted by an account's cascade are noticed"
        );
    }
}
