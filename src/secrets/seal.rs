//! Authenticated encryption of secrets kept in the database (AES-256-GCM),
//! in a text format that names the key, so a changed `JWT_SECRET` is told
//! apart from a damaged value.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use super::derive::key_id;
use super::Purpose;

/// Format version, the first field of every sealed string.
const VERSION: &str = "v1";
/// AES-GCM's standard nonce length. Random nonces are safe for far more
/// messages than taskgate will ever seal under one key (NIST SP 800-38D: 2^32).
const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under another key: `JWT_SECRET` changed (or the value belongs
    /// to another purpose). Expected after a secret change; not corruption.
    #[error("sealed with another secret")]
    OtherSecret,
    /// Not a sealed value of ours, damaged, truncated, or bound to another
    /// context (moved to another row).
    #[error("sealed value is corrupt")]
    Corrupt,
}

/// Seals and opens values for one [`Purpose`] under a key derived from the
/// master secret. Built by `ServerKeys::sealer`; cheap to keep and share.
#[derive(Clone)]
pub struct Sealer {
    purpose: Purpose,
    cipher: Aes256Gcm,
    key_id: String,
}

impl Sealer {
    /// A sealer for `purpose` with the 32-byte AES key `key`.
    pub(super) fn new(purpose: Purpose, key: &[u8; 32]) -> Self {
        Self {
            purpose,
            cipher: Aes256Gcm::new(key.into()),
            key_id: key_id(key),
        }
    }

    /// The public name of this sealer's key (8 hex chars), as it appears in
    /// what it seals. Safe to log: it is a MAC of a constant, not the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext` bound to `context` (AEAD associated data, e.g. the
    /// row id, so a value copied into another row does not open there).
    /// Returns `v1.<key-id>.<base64url(nonce || ciphertext || tag)>`.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        // AES-GCM encryption fails only for inputs over 64 GiB.
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap_or_else(|_| unreachable!("AES-GCM input within limits"));
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        format!("{VERSION}.{}.{}", self.key_id, URL_SAFE_NO_PAD.encode(body))
    }

    /// Decrypts what [`Sealer::seal`] produced with the same key and `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, OpenError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(id), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Corrupt);
        };
        if id.len() != self.key_id.len() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(OpenError::Corrupt);
        }
        if id != self.key_id {
            return Err(OpenError::OtherSecret);
        }
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Corrupt)?;
        if body.len() < NONCE_LEN + TAG_LEN {
            return Err(OpenError::Corrupt);
        }
        let (nonce, ciphertext) = body
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(OpenError::Corrupt)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        self.cipher
            .decrypt(&Nonce::from(*nonce), payload)
            .map_err(|_| OpenError::Corrupt)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("purpose", &self.purpose)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(Purpose::SigningKeys, &[byte; 32])
    }

    #[test]
    fn round_trip_with_the_same_context() {
        let s = sealer(1);
        let sealed = s.seal(b"private key bytes", b"row-1");
        assert!(sealed.starts_with(&format!("v1.{}.", s.key_id())));
        assert_eq!(s.open(&sealed, b"row-1").unwrap(), b"private key bytes");
        assert_eq!(s.open(&s.seal(b"", b""), b"").unwrap(), b"");
    }

    #[test]
    fn sealing_twice_gives_different_text() {
        let s = sealer(1);
        assert_ne!(s.seal(b"same", b"c"), s.seal(b"same", b"c"));
    }

    #[test]
    fn another_key_is_reported_as_other_secret() {
        let sealed = sealer(1).seal(b"data", b"c");
        assert_eq!(sealer(2).open(&sealed, b"c"), Err(OpenError::OtherSecret));
    }

    #[test]
    fn wrong_context_flipped_or_truncated_is_corrupt() {
        let s = sealer(1);
        let sealed = s.seal(b"data", b"row-1");
        assert_eq!(s.open(&sealed, b"row-2"), Err(OpenError::Corrupt));

        let (head, body) = sealed.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(body).unwrap();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1;
            let text = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&flipped));
            assert_eq!(s.open(&text, b"row-1"), Err(OpenError::Corrupt), "byte {i}");
        }
        bytes.truncate(bytes.len() - 1);
        let text = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(s.open(&text, b"row-1"), Err(OpenError::Corrupt));
        assert_eq!(
            s.open(&sealed[..sealed.len() - 4], b"row-1"),
            Err(OpenError::Corrupt)
        );
    }

    #[test]
    fn malformed_text_is_corrupt_never_a_panic() {
        let s = sealer(1);
        let id = s.key_id().to_owned();
        for text in [
            "".to_owned(),
            "v1".to_owned(),
            format!("v1.{id}"),
            format!("v1.{id}."),
            format!("v1.{id}.!!!"),
            format!("v2.{id}.AAAA"),
            format!("v1.{id}.AAAA.extra"),
            "v1.zzzzzzzz.AAAA".to_owned(),
            "v1.123.AAAA".to_owned(),
            format!("v1.{id}.{}", URL_SAFE_NO_PAD.encode([0u8; 27])),
        ] {
            assert_eq!(s.open(&text, b""), Err(OpenError::Corrupt), "{text:?}");
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", sealer(7));
        assert!(text.contains("SigningKeys") && text.contains("key_id"));
        assert!(!text.contains("cipher"));
    }
}
