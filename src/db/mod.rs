//! Storage: the pool, embedded migrations, and the ways to run a query:
//! `db::run` for reads and `db::write` for writes, both of which keep Diesel's
//! blocking calls off the async workers, and `db::read` for the small reads
//! that cost less on SQLite than the trip to the blocking pool.

/// Runs the same Diesel code on whichever engine's own connection `$conn`
/// (an `&mut AnyConnection`) holds, with `$c` bound to it.
///
/// For the hot reads. A query run on `AnyConnection` goes through Diesel's
/// `MultiConnection`, whose wrapper writes out the statement's whole SQL text
/// twice on every execution (to decide whether it may be cached, and again to
/// collect its binds), even when the prepared statement is already cached:
/// about 40 % of the instructions of `GET /api/auth/me` went there. On the
/// engine's own connection a query of static type finds its cached
/// statement by type, without writing any SQL. The code is written once;
/// the macro compiles it once per engine.
macro_rules! per_engine {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use per_engine;

pub mod blob;
pub mod connection;
pub mod email_tokens;
mod faults;
pub mod ids;
pub mod mfa_challenges;
pub mod migrate;
pub mod outbox;
pub mod passkeys;
pub mod pat_cache;
pub mod pats;
pub mod rate_limits;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod schema;
pub mod session_cache;
pub mod sessions;
pub mod signing_keys;
pub mod tasks;
pub mod time;
pub mod totp;
pub mod users;
pub mod webauthn_ceremonies;

/// Fresh databases for unit tests, dropped at the end of each test on
/// PostgreSQL: the same code as the integration tests' harness.
#[cfg(test)]
#[path = "../../tests/api/helpers/database.rs"]
pub(crate) mod test_database;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

pub use connection::AnyConnection;
use connection::{Manager, PooledConn};
pub use faults::{is_unique_violation, UniqueIndex};
pub use migrate::{migrations_current, run_migrations, MIGRATIONS};

use crate::config::{Config, DatabaseUrl};
use crate::error::Fault;

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
                format!(
                    "DATABASE_URL: cannot create the folder {}",
                    parent.display()
                )
            })?;
        }
        let mut conn = manager.open().with_context(|| {
            format!(
                "DATABASE_URL: cannot open the SQLite database {}",
                path.display()
            )
        })?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .context("DATABASE_URL: cannot switch SQLite to WAL mode")?;
    } else {
        // Fail at start with the engine's own message (bad password, unreachable host).
        manager
            .open()
            .context("DATABASE_URL: cannot connect to PostgreSQL")?;
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

/// Runs a read with a pooled connection on the blocking thread pool. Both the
/// checkout (which may wait) and the query (which blocks) stay off the async
/// workers. A pool that cannot hand out a connection is `Fault::Unavailable` (503).
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    E: Into<Fault>,
    T: Send + 'static,
{
    blocking(pool, false, f).await
}

/// A read whose work is bounded by a few index pages (a primary- or
/// unique-key lookup, one page of tasks near the start), like [`run`] except
/// that on SQLite it runs on the calling async worker when the pool has a
/// connection free at once. Never for writes: a writer can wait for SQLite's
/// write lock, a reader cannot.
///
/// Why on the worker: the trip to the blocking pool and back is two thread
/// wake-ups, and on a small VM they cost more CPU than everything else a
/// `GET /api/auth/me` or a page of tasks does (see BENCHMARKS.md). A reader
/// in WAL mode takes no lock that a writer holds, and with the file in the
/// OS page cache such a read does no blocking I/O: a few microseconds. Where
/// that is not so (PostgreSQL, a network round trip; no connection free; a
/// read whose size the caller cannot bound), the read goes to the pool.
pub async fn read<T, E, F>(pool: &Pool, f: F) -> Result<T, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    E: Into<Fault>,
    T: Send + 'static,
{
    match pool.try_get() {
        Some(mut conn) if matches!(conn.inner, AnyConnection::Sqlite(_)) => {
            run_on(&mut conn, false, f)
        }
        // PostgreSQL: the same connection, on the blocking pool.
        Some(mut conn) => actix_web::web::block(move || run_on(&mut conn, false, f))
            .await
            .map_err(|e| Fault::internal(format!("blocking task failed: {e}")))?,
        None => run(pool, f).await,
    }
}

/// `SELECT 1`, for `/healthz`: a [`read`] (on SQLite it reads no table at
/// all), from a prepared statement.
pub async fn ping(pool: &Pool) -> Result<(), Fault> {
    read(pool, |conn| {
        use diesel::IntoSql;
        per_engine!(conn, |c| diesel::select(
            1.into_sql::<diesel::sql_types::Integer>()
        )
        .get_result::<i32>(c))
        .map(drop)
    })
    .await
}

/// Runs a write (one statement, or its own transaction), like [`run`].
///
/// On SQLite, writes of this process go one at a time. SQLite lets one writer
/// in at a time; the others get `SQLITE_BUSY` and its busy handler sleeps them
/// for 1, 2, 5, 10… ms before they retry, so with a few concurrent writers
/// most of their time went to those sleeps. Queued on a mutex here instead,
/// each writer starts as soon as the previous one commits (other processes
/// still meet the busy handler). After the write has committed, a revocation
/// it made is announced to the guard's session cache once more (see
/// [`session_cache`]), so no later request can be answered from an entry read
/// before the commit, however slow the disk.
pub async fn write<T, E, F>(pool: &Pool, f: F) -> Result<T, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    E: Into<Fault>,
    T: Send + 'static,
{
    blocking(pool, true, f).await
}

/// Runs a SQLite write inside `BEGIN IMMEDIATE`, which takes the write lock
/// first (waiting up to `busy_timeout` for other processes). A deferred
/// transaction that reads before it writes would otherwise fail at once with
/// `SQLITE_BUSY` whenever another process committed in between (WAL cannot
/// upgrade a stale read snapshot), so writes shared by several processes on
/// one file would answer 503 under contention. Transactions inside `f` nest
/// as savepoints.
fn immediate<T, E: Into<Fault>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, Fault> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let AnyConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn).map_err(Into::into);
    if let AnyConnection::Sqlite(c) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(c)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(c)?,
        }
    }
    result
}

async fn blocking<T, E, F>(pool: &Pool, write: bool, f: F) -> Result<T, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    E: Into<Fault>,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| Fault::Unavailable(e.to_string()))?;
        run_on(&mut conn, write, f)
    })
    .await
    .map_err(|e| Fault::internal(format!("blocking task failed: {e}")))?
}

/// Runs `f` on a checked-out connection, on the calling thread: SQLite writes
/// of this process one at a time (in `BEGIN IMMEDIATE`), commits noted for
/// the session cache, a connection that failed marked broken.
fn run_on<T, E, F>(pooled: &mut PooledConn, write: bool, f: F) -> Result<T, Fault>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: Into<Fault>,
{
    static WRITERS: Mutex<()> = Mutex::new(());
    if !pooled.session_hooks {
        // Opened before the migrations created `sessions` (fresh SQLite file).
        pooled.session_hooks = session_cache::install_triggers(&mut pooled.inner);
    }
    let queue = write && matches!(pooled.inner, AnyConnection::Sqlite(_));
    let turn = queue.then(|| WRITERS.lock().unwrap_or_else(PoisonError::into_inner));
    let result = session_cache::noting_commits(|| {
        if queue {
            immediate(&mut pooled.inner, f)
        } else {
            f(&mut pooled.inner).map_err(Into::into)
        }
    });
    drop(turn);
    if matches!(result, Err(Fault::Unavailable(_))) {
        pooled.broken = true;
    }
    result
}
