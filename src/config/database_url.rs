//! `DATABASE_URL`: which engine, and where.

use std::path::PathBuf;

use anyhow::bail;

/// Where the data lives; the URL scheme decides the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Embedded SQLite file; its parent folder is created at start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Picks the engine from the scheme; anything without a PostgreSQL scheme is a file path.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("DATABASE_URL is empty");
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if lower.starts_with("postgres:") || lower.starts_with("postgresql:") {
            bail!("DATABASE_URL looks like PostgreSQL but lacks '//' (use postgres://user:pass@host/db)");
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}
