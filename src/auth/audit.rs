//! Audit-log helpers: no raw user input reaches a log line. An account named
//! in a failed attempt that matches no user is logged as a keyed hash, so an
//! operator can still see that one address is under attack without the log
//! ever holding what was typed (which may be a password in the wrong field).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key for [`AuditKey::fingerprint`], derived from the server secret.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// 16 hex characters of HMAC-SHA256 over the normalised text.
    pub fn fingerprint(&self, text: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(text.trim().to_lowercase().as_bytes());
        mac.finalize().into_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_keyed_and_never_the_text() {
        let k = AuditKey::new([1; 32]);
        let f = k.fingerprint("Victim@Example.com");
        assert_eq!(f, k.fingerprint(" victim@example.com"));
        assert_eq!(f.len(), 16);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(f, AuditKey::new([2; 32]).fingerprint("victim@example.com"));
    }
}
