//! One connection type for both engines (Diesel's `MultiConnection`), and an
//! r2d2 manager that picks the engine from the URL and reports the real error.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::config::DatabaseUrl;

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

/// A pooled connection plus what we learned about it while using it: after
/// a connection-level failure (the server restarted, say) it is marked broken
/// and r2d2 drops it instead of handing it out again, so the pool heals.
/// Diesel's own `is_broken` only looks at transaction state, not the socket.
pub struct PooledConn {
    pub inner: AnyConnection,
    pub broken: bool,
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
                let path = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PER_CONNECTION)
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
        self.open().map(|inner| PooledConn {
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
