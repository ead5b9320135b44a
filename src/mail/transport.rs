//! Delivery of one built message: through an SMTP relay (plain, STARTTLS or
//! implicit TLS, over rustls), or as one `.eml` file in `MAIL_DIR`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::settings::{SettingsError, SmtpConfig, SmtpSecurity, TransportConfig};

/// Per SMTP command (and connect). A relay slower than this counts as down.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// `last_error` is for an operator's table, not a log dump.
const MAX_REASON: usize = 200;

/// SMTP codes that are permanent but about our side (authentication), which
/// an operator fixes by reconfiguring: worth retrying, unlike a refused recipient.
const CONFIG_CODES: [&str; 4] = ["530", "534", "535", "538"];

/// Sends messages. Built once per process; cheap to share behind an `Arc`.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        label: String,
    },
    Dir(PathBuf),
}

/// Why one delivery attempt failed. `reason` is short, printable and holds
/// no secret (it goes into `outbox.last_error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    /// Retrying cannot help (a 5xx refusal of the message or the recipient).
    pub permanent: bool,
    pub reason: String,
}

impl SendError {
    /// A failure worth retrying.
    pub fn transient(reason: impl std::fmt::Display) -> Self {
        Self {
            permanent: false,
            reason: short(&reason.to_string()),
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(reason: impl std::fmt::Display) -> Self {
        Self {
            permanent: true,
            reason: short(&reason.to_string()),
        }
    }
}

/// One line, printable, at most `MAX_REASON` characters.
fn short(reason: &str) -> String {
    let line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON)
        .collect();
    line.trim().to_owned()
}

impl Mailer {
    /// Prepares the transport. SMTP connects only when a message is sent, so
    /// a relay that is down at start delays mail instead of the server.
    pub fn new(config: &TransportConfig) -> Result<Self, SettingsError> {
        match config {
            TransportConfig::Dir(dir) => Ok(Self::Dir(dir.clone())),
            TransportConfig::Smtp(smtp) => Self::smtp(smtp),
        }
    }

    fn smtp(config: &SmtpConfig) -> Result<Self, SettingsError> {
        let host = config.host.as_str();
        let tls_error = |e: lettre::transport::smtp::Error| {
            SettingsError::from_reason(format!("SMTP_URL: cannot set up TLS for {host}: {e}"))
        };
        let (builder, how) = match config.security {
            SmtpSecurity::Plain => (
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                "plain",
            ),
            SmtpSecurity::StartTls => (
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?,
                "STARTTLS",
            ),
            SmtpSecurity::Tls => (
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?,
                "TLS",
            ),
        };
        let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            label: format!("SMTP relay {host}:{} ({how})", config.port),
        })
    }

    /// Where mail goes, for the start-up log line (no credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { label, .. } => label.clone(),
            Self::Dir(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Delivers `message`. `id` (the outbox id) names the `.eml` file, so a
    /// message retried after a crash overwrites its own file instead of
    /// appearing twice.
    pub async fn send(&self, id: &str, message: &Message) -> Result<(), SendError> {
        match self {
            Self::Smtp { transport, .. } => transport
                .send(message.clone())
                .await
                .map(drop)
                .map_err(classify),
            Self::Dir(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let raw = message.formatted();
                let written = path.clone();
                tokio::task::spawn_blocking(move || write_eml(&written, &raw))
                    .await
                    .map_err(SendError::transient)?
                    .map_err(|e| {
                        SendError::transient(format!("cannot write the .eml file: {e}"))
                    })?;
                tracing::info!(path = %path.display(), "mail written to a file (SMTP_URL is unset)");
                Ok(())
            }
        }
    }
}

fn classify(error: lettre::transport::smtp::Error) -> SendError {
    let config_code = error
        .status()
        .is_some_and(|code| CONFIG_CODES.contains(&code.to_string().as_str()));
    if error.is_permanent() && !config_code {
        SendError::permanent(error)
    } else {
        SendError::transient(error)
    }
}

/// Writes the file whole or not at all (a temporary name, then a rename), and
/// readable by the owner only: it may hold a link that signs someone in.
fn write_eml(path: &Path, raw: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("eml.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(raw)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
