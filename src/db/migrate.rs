//! The embedded migrations (the `migrations/` folder, compiled in), applied
//! at start by `serve` and `migrate`; the diesel CLI applies the same folder.

use anyhow::Context;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::connection::PooledConn;
use super::{session_cache, AnyConnection, Pool};

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies pending migrations; returns how many ran.
pub fn run_migrations(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get().context("cannot get a database connection")?;
    let pooled: &mut PooledConn = &mut conn;
    let applied = pooled
        .inner
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
        .len();
    pooled.session_hooks = session_cache::install_triggers(&mut pooled.inner);
    Ok(applied)
}

/// True when no migration is pending (for readiness).
pub fn migrations_current(conn: &mut AnyConnection) -> anyhow::Result<bool> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(|e| anyhow::anyhow!("cannot read migration state: {e}"))
}
