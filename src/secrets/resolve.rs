//! The master secret: from `JWT_SECRET`, or (SQLite only) generated once and
//! kept in a mode-0600 file beside the database so restarts keep sessions.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, DatabaseUrl};

/// The file that holds a generated secret for the SQLite database at `db`.
pub fn secret_path(db: &Path) -> PathBuf {
    let mut name = db
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "taskgate.db".into());
    name.push(".jwt-secret");
    db.with_file_name(name)
}

/// A new random secret: 48 bytes, base64url (64 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secret to sign with; `config.validate()` has already refused the bad cases.
pub fn resolve(config: &Config) -> anyhow::Result<SecretString> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.clone());
    }
    let DatabaseUrl::Sqlite(db) = &config.database_url else {
        bail!("JWT_SECRET must be set when DATABASE_URL is PostgreSQL");
    };
    let path = secret_path(db);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).with_context(|| {
            format!(
                "DATABASE_URL: cannot create the folder {}",
                parent.display()
            )
        })?;
    }
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let secret = generate();
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a JWT secret");
            Ok(SecretString::from(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let secret = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let secret = SecretString::from(secret.trim().to_owned());
            if secret.expose_secret().len() < 32 {
                bail!("{} holds a secret shorter than 32 bytes", path.display());
            }
            Ok(secret)
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}
