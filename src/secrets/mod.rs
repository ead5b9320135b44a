//! Every key taskgate derives from `JWT_SECRET`: one secret to configure,
//! independent keys per purpose (HKDF-SHA256), and sealing of secrets kept
//! in the database.

pub mod derive;
mod resolve;
pub mod seal;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

pub use resolve::{generate, resolve, secret_path};
pub use seal::{OpenError, Sealer};

/// What a sealing key protects. Each purpose has its own HKDF label, so a
/// value sealed for one purpose never opens as another, and a leak of one
/// derived key says nothing about the others or the master secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Private Ed25519 signing keys in `signing_keys`.
    SigningKeys,
    /// Links of queued mail, until delivered.
    MailLinks,
    /// TOTP shared secrets.
    TotpSecrets,
    /// The successor token kept for the refresh-reuse grace window.
    RefreshSuccessors,
}

impl Purpose {
    /// The HKDF `info` label. Never change one: it would orphan every value
    /// sealed under it.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::SigningKeys => "signing-keys",
            Purpose::MailLinks => "mail-links",
            Purpose::TotpSecrets => "totp-secrets",
            Purpose::RefreshSuccessors => "refresh-successors",
        }
    }
}

/// HKDF label of the cookie-session key.
const COOKIE_LABEL: &str = "cookie-session";
/// HKDF label of the key that hashes unknown accounts in audit lines.
const AUDIT_LABEL: &str = "audit-log";

/// The master secret and what derives from it. Built once at start-up.
#[derive(Clone)]
pub struct ServerKeys {
    secret: SecretString,
}

impl ServerKeys {
    /// Keeps the master secret; keys are derived on demand (HKDF is cheap, and
    /// callers build their `Sealer` once and keep it).
    pub fn from_secret(secret: &SecretString) -> Self {
        Self {
            secret: secret.clone(),
        }
    }

    /// The raw secret bytes: the HS256 key with `JWT_ALG=HS256`, where other
    /// services share the secret by design.
    pub fn hs256(&self) -> &[u8] {
        self.secret.expose_secret().as_bytes()
    }

    /// The 64-byte key for actix-session's private cookie (`Key::from`):
    /// stable across restarts, so a restart logs nobody out.
    pub fn cookie_key(&self) -> [u8; 64] {
        *derive::derive::<64>(self.hs256(), COOKIE_LABEL)
    }

    /// The key for keyed hashes in audit lines (`auth::audit`).
    pub fn audit_key(&self) -> [u8; 32] {
        *derive::derive::<32>(self.hs256(), AUDIT_LABEL)
    }

    /// An AES-256-GCM sealer for `purpose`.
    pub fn sealer(&self, purpose: Purpose) -> Sealer {
        let key = derive::derive::<32>(self.hs256(), purpose.label());
        Sealer::new(purpose, &key)
    }
}

impl fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKeys(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "correct horse battery staple 0123456789";

    fn keys(secret: &str) -> ServerKeys {
        ServerKeys::from_secret(&SecretString::from(secret.to_owned()))
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    const ALL: [Purpose; 4] = [
        Purpose::SigningKeys,
        Purpose::MailLinks,
        Purpose::TotpSecrets,
        Purpose::RefreshSuccessors,
    ];

    #[test]
    fn derivation_matches_an_independent_hkdf() {
        // Computed with Python's `cryptography`: HKDF(SHA256, salt=b"taskgate v2", info=label).
        let k = keys(SECRET);
        assert_eq!(k.sealer(Purpose::SigningKeys).key_id(), "13198b3f");
        assert_eq!(
            hex(&k.cookie_key()),
            "c00666ec57a996f62fe60a650fd8aa4731bf06af5a94ff1b6df8eef2371e3410\
             2bdbe827716ac5a5af18482d24c956bcf9c700e80241d0895abdbd929712021e"
        );
        assert_eq!(k.hs256(), SECRET.as_bytes());
    }

    #[test]
    fn keys_differ_per_purpose_and_are_stable_for_one_secret() {
        let (a, b) = (keys(SECRET), keys(SECRET));
        let ids: Vec<String> = ALL
            .iter()
            .map(|p| a.sealer(*p).key_id().to_owned())
            .collect();
        for (i, p) in ALL.iter().enumerate() {
            assert_eq!(b.sealer(*p).key_id(), ids[i], "stable: {p:?}");
            assert!(!ids[i + 1..].contains(&ids[i]), "distinct: {p:?}");
        }
        assert_eq!(a.cookie_key(), b.cookie_key());
        assert_ne!(
            a.cookie_key(),
            keys("another secret, also 32 bytes long").cookie_key()
        );
    }

    #[test]
    fn a_value_sealed_for_one_purpose_or_secret_does_not_open_as_another() {
        let k = keys(SECRET);
        let sealed = k.sealer(Purpose::TotpSecrets).seal(b"otp", b"u1");
        assert_eq!(
            k.sealer(Purpose::MailLinks).open(&sealed, b"u1"),
            Err(OpenError::OtherSecret)
        );
        let other = keys("another secret, also 32 bytes long");
        assert_eq!(
            other.sealer(Purpose::TotpSecrets).open(&sealed, b"u1"),
            Err(OpenError::OtherSecret)
        );
        assert_eq!(
            k.sealer(Purpose::TotpSecrets).open(&sealed, b"u1").unwrap(),
            b"otp"
        );
    }

    #[test]
    fn debug_prints_no_secret() {
        let k = keys(SECRET);
        assert_eq!(format!("{k:?}"), "ServerKeys(***)");
        assert!(!format!("{:?}", k.sealer(Purpose::SigningKeys)).contains(SECRET));
    }
}
