//! Storage: the pool, embedded migrations, and the one way to run a query
//! (`db::run`, which keeps Diesel's blocking calls off the async workers).

pub mod connection;
pub mod outbox;
pub mod schema;
pub mod sessions;
pub mod tasks;
pub mod users;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use connection::AnyConnection;
use connection::{Manager, PooledConn};

use crate::config::{Config, DatabaseUrl};
use crate::error::AppError;

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A pool of connections to the configured engine.
pub type Pool = diesel::r2d2::Pool<Manager>;

/// Current time as stored: UTC, truncated to microseconds (PostgreSQL's precision),
/// so a value reads back exactly as it was written on both engines.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Creates the SQLite folder and switches the file to WAL once; then builds the pool.
pub fn build_pool(config: &Config) -> anyhow::Result<Pool> {
    let manager = Manager::new(config.database_url.clone());
    if let DatabaseUrl::Sqlite(path) = &config.database_url {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("cannot create the database folder {}", parent.display())
            })?;
        }
        let mut conn = manager
            .open()
            .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .context("cannot switch SQLite to WAL mode")?;
    } else {
        // Fail at start with the engine's own message (bad password, unreachable host).
        manager.open().context("cannot connect to PostgreSQL")?;
    }
    diesel::r2d2::Pool::builder()
        .max_size(config.database_pool_size)
        .min_idle(Some(1))
        .connection_timeout(config.database_connect_timeout)
        .idle_timeout(Some(Duration::from_secs(300)))
        .test_on_check_out(false)
        .build(manager)
        .context("cannot build the database pool")
}

/// Applies pending migrations; returns how many ran.
pub fn run_migrations(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get().context("cannot get a database connection")?;
    let pooled: &mut PooledConn = &mut conn;
    let applied = pooled
        .inner
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
        .len();
    pooled.session_hooks = connection::install_session_hooks(&mut pooled.inner);
    Ok(applied)
}

/// True when no migration is pending (for readiness).
pub fn migrations_current(conn: &mut AnyConnection) -> anyhow::Result<bool> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(|e| anyhow::anyhow!("cannot read migration state: {e}"))
}

/// Runs a self-contained write (one statement, or its own transaction) on
/// SQLite one at a time within this process.
///
/// SQLite lets one writer in at a time; the others get `SQLITE_BUSY` and its
/// busy handler sleeps them for 1, 2, 5, 10… ms before they retry. With a few
/// concurrent writers most of their time went to those sleeps and wake-ups
/// (p99 of `POST /api/tasks` was over half a second). Queued on a mutex here
/// instead, each writer starts as soon as the previous one commits. Other
/// processes still meet the busy handler, as before.
///
/// Inside a caller's transaction it does not queue: that transaction may
/// already hold SQLite's write lock, and waiting here for a writer that waits
/// for that lock would stall both. PostgreSQL does not queue at all.
pub fn queued_write<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    static WRITERS: Mutex<()> = Mutex::new(());
    let queue = match conn {
        AnyConnection::Sqlite(c) => matches!(
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
            Ok(None)
        ),
        AnyConnection::Postgres(_) => false,
    };
    if !queue {
        return f(conn);
    }
    let _turn = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    f(conn)
}

/// Runs `f` with a pooled connection on the blocking thread pool. Both the
/// checkout (which may wait) and the query (which blocks) stay off the async
/// workers. A pool that cannot hand out a connection is `Unavailable` (503).
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    E: Into<AppError>,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        let pooled: &mut PooledConn = &mut conn;
        if !pooled.session_hooks {
            // Opened before the migrations created `sessions` (fresh SQLite file).
            pooled.session_hooks = connection::install_session_hooks(&mut pooled.inner);
        }
        let result = f(&mut pooled.inner).map_err(Into::into);
        if matches!(result, Err(AppError::Unavailable(_))) {
            pooled.broken = true;
        }
        result
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}
