//! Ed25519 key pairs: generation, sealing into a `signing_keys` row, and the
//! checks a row must pass before its public half verifies or its private
//! half signs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, SecretDocument};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use secrecy::zeroize::Zeroizing;

use super::jwk::thumbprint;
use crate::db::signing_keys::StoredKey;
use crate::secrets::{OpenError, Sealer};

/// A key could not be encoded as PKCS#8 (not expected with Ed25519; kept as
/// an error rather than a panic).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode an Ed25519 key as PKCS#8")]
pub struct KeyError;

/// A freshly generated key pair, before it is stored.
pub struct KeyPair {
    kid: String,
    public_x: String,
    /// Full PKCS#8 v2 DER (private and public key), which is what
    /// `EncodingKey::from_ed_der` expects. Wiped on drop.
    pkcs8: SecretDocument,
}

impl KeyPair {
    /// 32 random bytes from the OS as the Ed25519 seed.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(seed.as_mut());
        let signing = SigningKey::from_bytes(&seed);
        let pkcs8 = signing.to_pkcs8_der().map_err(|_| KeyError)?;
        let public_x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        Ok(Self {
            kid: thumbprint(&public_x),
            public_x,
            pkcs8,
        })
    }

    /// The RFC 7638 thumbprint, used as `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The row to store: the private half sealed for `Purpose::SigningKeys`
    /// and bound to the kid, so it cannot be moved under another public key.
    pub fn to_row(
        &self,
        sealer: &Sealer,
        created_at: NaiveDateTime,
        activates_at: NaiveDateTime,
    ) -> StoredKey {
        StoredKey {
            kid: self.kid.clone(),
            public_x: self.public_x.clone(),
            private_sealed: sealer.seal(self.pkcs8.as_bytes(), self.kid.as_bytes()),
            created_at,
            activates_at,
        }
    }
}

/// The public half of a row, if the row is sound: `public_x` is a canonical
/// base64url Ed25519 point that is not of small order, and `kid` is its
/// thumbprint. A row that fails is treated as tampered and never verifies.
pub fn check_public(row: &StoredKey) -> Option<DecodingKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&row.public_x)
        .ok()?
        .try_into()
        .ok()?;
    let key = VerifyingKey::from_bytes(&bytes).ok()?;
    if key.is_weak() || thumbprint(&row.public_x) != row.kid {
        return None;
    }
    // 32 bytes checked above: jsonwebtoken slices `[..32]` and would panic on fewer.
    DecodingKey::from_ed_components(&row.public_x).ok()
}

/// The private half of a sound row, ready to sign. `OtherSecret` when it was
/// sealed under another `JWT_SECRET`; `Corrupt` when it does not open, is not
/// PKCS#8 Ed25519, or does not belong to the row's public key.
pub fn open_private(row: &StoredKey, sealer: &Sealer) -> Result<EncodingKey, OpenError> {
    let der = Zeroizing::new(sealer.open(&row.private_sealed, row.kid.as_bytes())?);
    let signing = SigningKey::from_pkcs8_der(&der).map_err(|_| OpenError::Corrupt)?;
    if URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()) != row.public_x {
        return Err(OpenError::Corrupt);
    }
    Ok(EncodingKey::from_ed_der(&der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Purpose;

    fn sealer(byte: u8) -> Sealer {
        let secret = secrecy::SecretString::from(format!("{byte:0>40}"));
        crate::secrets::ServerKeys::from_secret(&secret).sealer(Purpose::SigningKeys)
    }

    fn fresh() -> (KeyPair, StoredKey) {
        let pair = KeyPair::generate().unwrap();
        let t = crate::db::now();
        let row = pair.to_row(&sealer(1), t, t);
        (pair, row)
    }

    #[test]
    fn a_generated_row_is_sound_and_opens() {
        let (pair, row) = fresh();
        assert_eq!(row.kid, pair.kid());
        assert_eq!(URL_SAFE_NO_PAD.decode(&row.public_x).unwrap().len(), 32);
        assert!(check_public(&row).is_some());
        assert!(open_private(&row, &sealer(1)).is_ok());
        assert!(!row.private_sealed.contains(&row.public_x));
    }

    #[test]
    fn another_secret_and_a_moved_private_half_are_told_apart() {
        let (_, row) = fresh();
        assert_eq!(
            open_private(&row, &sealer(2)).err(),
            Some(OpenError::OtherSecret)
        );
        let (_, other) = fresh();
        let moved = StoredKey {
            private_sealed: other.private_sealed,
            ..row.clone()
        };
        assert_eq!(
            open_private(&moved, &sealer(1)).err(),
            Some(OpenError::Corrupt)
        );
    }

    #[test]
    fn a_private_half_resealed_under_another_kid_is_corrupt() {
        // Someone with the secret re-seals key B's private half under key A's kid.
        let (_, a) = fresh();
        let (b, _) = fresh();
        let forged = StoredKey {
            private_sealed: sealer(1).seal(b.pkcs8.as_bytes(), a.kid.as_bytes()),
            ..a.clone()
        };
        assert_eq!(
            open_private(&forged, &sealer(1)).err(),
            Some(OpenError::Corrupt)
        );
    }

    #[test]
    fn tampered_public_halves_are_refused() {
        let (_, good) = fresh();
        let (_, other) = fresh();
        let cases = [
            StoredKey {
                public_x: other.public_x.clone(),
                ..good.clone()
            },
            StoredKey {
                kid: "not-a-thumbprint".to_owned(),
                ..good.clone()
            },
            StoredKey {
                public_x: format!("{}=", good.public_x),
                ..good.clone()
            },
            StoredKey {
                public_x: "AAAA".to_owned(),
                kid: thumbprint("AAAA"),
                ..good.clone()
            },
            // The identity point: a small-order ("weak") key.
            {
                let x = URL_SAFE_NO_PAD.encode({
                    let mut b = [0u8; 32];
                    b[0] = 1;
                    b
                });
                StoredKey {
                    kid: thumbprint(&x),
                    public_x: x,
                    ..good.clone()
                }
            },
        ];
        for case in cases {
            assert!(check_public(&case).is_none(), "{case:?}");
        }
    }
}
