//! What the passkey ceremonies hand to the caller and take back: ceremony state and stored
//! passkeys as JSON text, what a sign-in claims and proves, and why things fail.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, WebauthnError,
};

/// Why passkeys are off for this `PUBLIC_URL`: the text is meant for the log and the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("PUBLIC_URL is not a valid URL")]
    InvalidUrl,
    #[error("PUBLIC_URL has no host name (write it like http://localhost:8080)")]
    NoHost,
    #[error("PUBLIC_URL's host {0} is an IP address, and browsers refuse passkeys on IP-address origins; use a host name such as localhost")]
    IpAddress(String),
    #[error(
        "PUBLIC_URL uses {0}://, and browsers allow passkeys only over https (or http://localhost)"
    )]
    Insecure(String),
    #[error("webauthn-rs refused {0} as relying party")]
    Refused(String),
}

/// Why a ceremony failed. `Storage` is the server's own data (a 500); the others are the
/// client's answer (a 400/401 that says only "passkey not accepted").
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("stored passkey data is unreadable: {0}")]
    Storage(#[from] serde_json::Error),
    #[error("the passkey response was not accepted: {0}")]
    Rejected(WebauthnError),
    #[error("the signature counter did not increase: a cloned or replayed passkey")]
    CounterWentBack,
    #[error("the authenticator returned no user handle (not a discoverable passkey)")]
    NoUserHandle,
    #[error("the user handle does not belong to the passkey's owner")]
    WrongUser,
    #[error("the browser reports that it did not store the passkey on the authenticator")]
    NotDiscoverable,
}

impl From<WebauthnError> for PasskeyError {
    fn from(err: WebauthnError) -> Self {
        match err {
            WebauthnError::CredentialPossibleCompromise => PasskeyError::CounterWentBack,
            other => PasskeyError::Rejected(other),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, PasskeyError> {
    Ok(serde_json::to_string(value)?)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    Ok(serde_json::from_str(text)?)
}

/// Server-side state of one registration ceremony (store it, never send it to the client).
#[derive(Debug)]
pub struct PendingRegistration(pub(super) PasskeyRegistration);

/// Server-side state of one usernameless sign-in ceremony (store it, never send it).
#[derive(Debug)]
pub struct PendingLogin(pub(super) DiscoverableAuthentication);

/// A registered passkey: public key, signature counter, backup flags.
#[derive(Debug, Clone)]
pub struct StoredPasskey(pub(super) Passkey);

impl PendingRegistration {
    pub fn to_json(&self) -> Result<String, PasskeyError> {
        to_json(&self.0)
    }
    pub fn from_json(text: &str) -> Result<Self, PasskeyError> {
        from_json(text).map(Self)
    }
}

impl PendingLogin {
    pub fn to_json(&self) -> Result<String, PasskeyError> {
        to_json(&self.0)
    }
    pub fn from_json(text: &str) -> Result<Self, PasskeyError> {
        from_json(text).map(Self)
    }
}

impl StoredPasskey {
    pub fn to_json(&self) -> Result<String, PasskeyError> {
        to_json(&self.0)
    }
    pub fn from_json(text: &str) -> Result<Self, PasskeyError> {
        from_json(text).map(Self)
    }
    /// The credential id, base64url without padding: the UNIQUE lookup key.
    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.cred_id())
    }
}

/// Who a sign-in response claims to be, read before verifying it: look the passkey up by
/// `credential_id`, then pass its owner to [`super::Passkeys::finish_login`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub credential_id: String,
    pub user_handle: Uuid,
}

/// The outcome of a verified sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The authenticator's signature counter in this assertion (0 = it keeps none).
    pub counter: u32,
    /// The stored passkey changed (counter or backup flags): save its JSON again.
    pub changed: bool,
}
