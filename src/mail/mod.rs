//! Outgoing mail: what each message says (`compose`),
//! where it goes (`settings`, `transport`), and how it gets there (`queue`
//! and `worker`: requests only enqueue; a background worker delivers, retries
//! with backoff and survives restarts).
//!
//! Wiring, for the account flows: build [`MailSettings`] from the environment,
//! a [`Mailer`] from it, an [`Outbox`] around the server's sealer, and
//! [`spawn_worker`] one [`Worker`] per process. A flow composes a [`Mail`], calls
//! [`Outbox::enqueue`] inside its own database work, and [`Outbox::wake`]
//! once that work has committed.

use chrono::Duration;

pub mod compose;
pub mod message;
pub mod queue;
mod retry;
mod send;
pub mod settings;
mod texts;
pub mod transport;
pub mod worker;

#[cfg(test)]
mod tests;

pub use compose::{compose, Composed, Mail, MailContext};
pub use message::{build_message, BuildError};
pub use queue::{Outbox, TOKEN_MAILS_PER_WINDOW, TOKEN_MAIL_WINDOW};
pub use send::{outbox_for, start_worker};
pub use settings::{
    default_mail_dir, MailSettings, SettingsError, SmtpConfig, SmtpSecurity, TransportConfig,
};
pub use transport::{Mailer, SendError};
pub use worker::{spawn as spawn_worker, RetryPolicy, Worker, WorkerHandle, WorkerSettings};

/// Encrypts queued bodies at rest. A body may carry a single-use link, and the
/// contract allows it in the database only encrypted (with a key derived from
/// `JWT_SECRET`); the server's AES-GCM sealer implements this. `context` is
/// bound as associated data (the outbox row id), so a body copied onto another
/// row does not open.
pub trait BodySealer: Send + Sync {
    /// Seals `plaintext` into storable text.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> String;
    /// Opens what `seal` made with the same `context`; `None` when it was made
    /// under another secret, for another context, or was altered.
    fn open(&self, sealed: &str, context: &[u8]) -> Option<Vec<u8>>;
}

/// Every message taskgate sends. The stored name (`as_str`) appears in the
/// outbox and in `taskgate mail list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// Sign-up or resend: proves the address (link, 24 h).
    VerifyEmail,
    /// Forgot password (link, 1 h).
    PasswordReset,
    /// Notice: the password was reset through a link.
    PasswordResetDone,
    /// Notice: the password was changed while signed in.
    PasswordChanged,
    /// To the new address: confirms an email change (link, 1 h).
    EmailChangeConfirm,
    /// To the old address: an email change was asked for.
    EmailChangeNotice,
    /// Notice: two-factor sign-in turned on.
    TwoFactorEnabled,
    /// Notice: two-factor sign-in turned off.
    TwoFactorDisabled,
    /// Notice: a new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// Notice: a personal access token was created.
    TokenCreated,
}

impl MailKind {
    /// Every kind, in a stable order.
    pub const ALL: [MailKind; 10] = [
        Self::VerifyEmail,
        Self::PasswordReset,
        Self::PasswordResetDone,
        Self::PasswordChanged,
        Self::EmailChangeConfirm,
        Self::EmailChangeNotice,
        Self::TwoFactorEnabled,
        Self::TwoFactorDisabled,
        Self::RecoveryCodesRegenerated,
        Self::TokenCreated,
    ];

    /// The name stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
            Self::PasswordResetDone => "password_reset_done",
            Self::PasswordChanged => "password_changed",
            Self::EmailChangeConfirm => "email_change_confirm",
            Self::EmailChangeNotice => "email_change_notice",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::TokenCreated => "token_created",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == stored)
    }

    /// True for the mails with a single-use link: the contract limits these to
    /// 3 per address per hour, all purposes together.
    pub fn carries_token(self) -> bool {
        self.link_path().is_some()
    }

    /// The page the link opens, for the kinds that carry one.
    pub fn link_path(self) -> Option<&'static str> {
        match self {
            Self::VerifyEmail => Some("/verify-email"),
            Self::PasswordReset => Some("/reset-password"),
            Self::EmailChangeConfirm => Some("/confirm-email"),
            _ => None,
        }
    }

    /// How long the link in this kind of mail works (README, "Email"); the
    /// token store should use the same numbers the mail states.
    pub fn link_lifetime(self) -> Option<Duration> {
        match self {
            Self::VerifyEmail => Some(Duration::hours(24)),
            Self::PasswordReset | Self::EmailChangeConfirm => Some(Duration::hours(1)),
            _ => None,
        }
    }
}

impl std::fmt::Display for MailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `PUBLIC_URL` + the kind's path + `?token=…`; `None` for kinds without a link.
pub fn link(public_url: &str, kind: MailKind, token: &str) -> Option<String> {
    let path = kind.link_path()?;
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    Some(format!(
        "{}{path}?token={token}",
        public_url.trim_end_matches('/')
    ))
}
