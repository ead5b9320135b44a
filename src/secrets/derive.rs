//! HKDF-SHA256 key derivation from the master secret, one label per purpose.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use secrecy::zeroize::Zeroizing;
use sha2::Sha256;

/// HKDF salt for every key taskgate derives. Fixed and public (RFC 5869
/// allows that); changing it changes every derived key, so it names the
/// scheme's version.
pub const SALT: &[u8] = b"taskgate v2";

/// HKDF output length cap for SHA-256 (RFC 5869: 255 hash lengths).
const MAX_OKM: usize = 255 * 32;

/// Derives `N` bytes for `label` from `secret`. The result is wiped on drop.
pub fn derive<const N: usize>(secret: &[u8], label: &str) -> Zeroizing<[u8; N]> {
    const { assert!(N <= MAX_OKM, "HKDF-SHA256 yields at most 8160 bytes") };
    let hk = Hkdf::<Sha256>::new(Some(SALT), secret);
    let mut okm = Zeroizing::new([0u8; N]);
    if hk.expand(label.as_bytes(), okm.as_mut()).is_err() {
        // Only a length over MAX_OKM fails, and the const assertion above rules that out.
        unreachable!("HKDF output length checked at compile time");
    }
    okm
}

/// First 8 hex characters of HMAC-SHA256(key, "key-id"): names a derived key
/// in what it sealed without revealing it, so a changed secret is recognised.
pub fn key_id(key: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(b"key-id");
    let tag = mac.finalize().into_bytes();
    tag.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc5869_shape_and_is_deterministic() {
        let a: Zeroizing<[u8; 32]> = derive(b"0123456789abcdef0123456789abcdef", "x");
        let b: Zeroizing<[u8; 32]> = derive(b"0123456789abcdef0123456789abcdef", "x");
        let c: Zeroizing<[u8; 32]> = derive(b"0123456789abcdef0123456789abcdef", "y");
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        // The 64-byte output starts with the 32-byte one (HKDF-Expand's T(1)).
        let long: Zeroizing<[u8; 64]> = derive(b"0123456789abcdef0123456789abcdef", "x");
        assert_eq!(long[..32], a[..]);
    }

    #[test]
    fn key_id_is_eight_hex_chars_and_depends_on_the_key() {
        let id = key_id(&[1u8; 32]);
        assert_eq!(id.len(), 8);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, key_id(&[2u8; 32]));
    }
}
