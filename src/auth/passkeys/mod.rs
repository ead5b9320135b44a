//! Passkeys (WebAuthn) as building blocks: the relying party built from `PUBLIC_URL`, and the
//! registration and usernameless sign-in ceremonies, with their server-side state as JSON text.
//!
//! The caller owns storage. For each ceremony it keeps the state JSON in a row (id, state,
//! expires_at = now + [`CEREMONY_TTL`]) and, on finish, **deletes that row in the same
//! transaction that uses it** and refuses when nothing was deleted: webauthn-rs itself accepts
//! the same response twice with the same state, so single use is the caller's delete. The
//! `finish_*` functions take the state by value to match that: load-and-delete, then finish.
//! Stored passkeys are [`StoredPasskey::to_json`] text beside a UNIQUE `credential_id` column
//! ([`StoredPasskey::credential_id`]), which is how a sign-in finds the passkey and its owner.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use uuid::Uuid;
use webauthn_rs::prelude::{DiscoverableKey, Url, Webauthn, WebauthnBuilder, WebauthnError};
use webauthn_rs_proto::ResidentKeyRequirement;

#[cfg(test)]
mod tests;
mod types;

pub use types::{
    Claimed, PasskeyError, PendingLogin, PendingRegistration, StoredPasskey, Unavailable, Verified,
};
/// The JSON the browser receives (`*Response` of a start, `{"publicKey":{…}}`) and sends back
/// (`RegisterPublicKeyCredential`, `PublicKeyCredential`): the caller's request/response fields.
pub use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// How long a started ceremony may be finished (also the timeout the browser is given).
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The relying party: `PUBLIC_URL`'s host is the RP id, its origin the only allowed origin.
#[derive(Debug, Clone)]
pub struct Passkeys {
    webauthn: Webauthn,
}

impl Passkeys {
    /// Builds the relying party from `PUBLIC_URL` (e.g. `http://localhost:8080`), or says why
    /// passkeys cannot work there (an IP-address host, plain http on a name other than localhost).
    pub fn new(public_url: &str) -> Result<Self, Unavailable> {
        let url = Url::parse(public_url).map_err(|_| Unavailable::InvalidUrl)?;
        let host = match (url.host_str(), url.domain()) {
            (None, _) => return Err(Unavailable::NoHost),
            (Some(ip), None) => return Err(Unavailable::IpAddress(ip.to_owned())),
            (Some(_), Some(name)) => name.to_owned(),
        };
        let local = host == "localhost" || host.ends_with(".localhost");
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            other => return Err(Unavailable::Insecure(other.to_owned())),
        }
        let origin =
            Url::parse(&url.origin().ascii_serialization()).map_err(|_| Unavailable::InvalidUrl)?;
        let refused = |_| Unavailable::Refused(host.clone());
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .map_err(refused)?
            .rp_name("taskgate")
            .timeout(CEREMONY_TTL)
            .build()
            .map_err(refused)?;
        Ok(Self { webauthn })
    }

    /// Starts adding a passkey for `user`: a discoverable credential (resident key required)
    /// with user verification required; `existing` passkeys of the user are excluded.
    pub fn start_registration(
        &self,
        user: Uuid,
        email: &str,
        display_name: &str,
        existing: &[StoredPasskey],
    ) -> Result<(CreationChallengeResponse, PendingRegistration), PasskeyError> {
        let display_name = if display_name.trim().is_empty() {
            email
        } else {
            display_name
        };
        let exclude = existing.iter().map(|p| p.0.cred_id().clone()).collect();
        let (mut options, state) =
            self.webauthn
                .start_passkey_registration(user, email, display_name, Some(exclude))?;
        // webauthn-rs asks for `residentKey: "discouraged"`; usernameless sign-in needs the
        // credential stored on the authenticator. (The server cannot verify this: residency is
        // not signed. The browser's unsigned `credProps.rk` is checked in finish.)
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((options, PendingRegistration(state)))
    }

    /// Verifies the browser's answer to [`Passkeys::start_registration`]. The caller inserts
    /// the passkey; a UNIQUE credential id refuses one already registered (to anyone).
    pub fn finish_registration(
        &self,
        state: PendingRegistration,
        response: &RegisterPublicKeyCredential,
    ) -> Result<StoredPasskey, PasskeyError> {
        let rk = response.extensions.cred_props.as_ref().and_then(|p| p.rk);
        if rk == Some(false) {
            return Err(PasskeyError::NotDiscoverable);
        }
        let passkey = self
            .webauthn
            .finish_passkey_registration(response, &state.0)?;
        Ok(StoredPasskey(passkey))
    }

    /// Starts a usernameless sign-in (modal: the browser shows its passkey picker).
    pub fn start_login(&self) -> Result<(RequestChallengeResponse, PendingLogin), PasskeyError> {
        let (mut options, state) = self.webauthn.start_discoverable_authentication()?;
        // webauthn-rs sets `mediation: "conditional"` (autofill UI); a button wants the modal.
        options.mediation = None;
        Ok((options, PendingLogin(state)))
    }

    /// Reads which passkey and user a sign-in response claims, without verifying anything.
    pub fn identify(response: &PublicKeyCredential) -> Result<Claimed, PasskeyError> {
        let user_handle = response
            .get_user_unique_id()
            .and_then(|handle| Uuid::from_slice(handle).ok())
            .ok_or(PasskeyError::NoUserHandle)?;
        Ok(Claimed {
            credential_id: URL_SAFE_NO_PAD.encode(response.get_credential_id()),
            user_handle,
        })
    }

    /// Verifies a sign-in against the stored passkey found by [`Passkeys::identify`], whose
    /// owner is `owner`, and updates `passkey` (counter, backup flags): save it when
    /// [`Verified::changed`]. A counter that does not increase is refused
    /// ([`PasskeyError::CounterWentBack`]) unless both stored and received counters are 0.
    pub fn finish_login(
        &self,
        state: PendingLogin,
        response: &PublicKeyCredential,
        owner: Uuid,
        passkey: &mut StoredPasskey,
    ) -> Result<Verified, PasskeyError> {
        if Self::identify(response)?.user_handle != owner {
            return Err(PasskeyError::WrongUser);
        }
        let key = DiscoverableKey::from(&passkey.0);
        let result = self
            .webauthn
            .finish_discoverable_authentication(response, state.0, &[key])?;
        if !result.user_verified() {
            return Err(PasskeyError::Rejected(WebauthnError::UserNotVerified));
        }
        let changed = passkey.0.update_credential(&result).unwrap_or(false);
        Ok(Verified {
            counter: result.counter(),
            changed,
        })
    }
}
