//! One connection type for both engines (Diesel's `MultiConnection`), and an
//! r2d2 manager that picks the engine from the URL and reports the real error.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::session_cache;
use crate::config::DatabaseUrl;

/// A connection to whichever engine `DATABASE_URL` names. All queries are
/// written once against this type.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Settings every pooled SQLite connection needs. WAL is set once at start-up
/// (in `db::build_pool`), not here: setting it per connection races.
const SQLITE_PER_CONNECTION: &str = "PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = FULL;";

/// The only `unsafe` in the crate (`unsafe_code` is denied everywhere else):
/// two calls into SQLite's C API that no PRAGMA can replace.
#[expect(
    unsafe_code,
    reason = "SQLite's process-wide configuration is only reachable through its C API"
)]
mod sqlite_ffi {
    use std::ffi::{c_char, c_int};
    use std::sync::Once;

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
    ///   allocation, in every thread, behind one global mutex;
    /// - multi-thread mode (`SQLITE_CONFIG_MULTITHREAD`): no mutex per
    ///   connection. The default (serialized) mode locks the connection's mutex
    ///   in every API call, twice per column read (a page of 20 tasks took ~300
    ///   lock/unlock pairs). A Diesel connection is `Send` but not `Sync` and the
    ///   pool hands it to one thread at a time, which is what this mode requires.
    pub fn configure_sqlite_once() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: `sqlite3_config` is called before any connection exists
            // (if one already does, it returns SQLITE_MISUSE and changes nothing),
            // with MEMSTATUS's one int argument and MULTITHREAD's none.
            // `sqlite3_auto_extension` receives
            // a function with exactly the signature it declares, which lives for
            // the whole process.
            unsafe {
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD);
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
}

pub use sqlite_ffi::configure_sqlite_once;

/// A pooled connection plus what we learned about it while using it: after
/// a connection-level failure (the server restarted, say) it is marked broken
/// and r2d2 drops it instead of handing it out again, so the pool heals.
/// Diesel's own `is_broken` only looks at transaction state, not the socket.
pub struct PooledConn {
    pub inner: AnyConnection,
    pub broken: bool,
    /// The session-change triggers are installed (see `session_cache`).
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
                session_cache::register(&conn).map_err(r2d2::Error::QueryError)?;
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
            session_hooks: session_cache::install_triggers(&mut inner),
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
