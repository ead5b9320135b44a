//! TOTP second factor (RFC 6238): secrets, the `otpauth://` enrolment URI,
//! and verification that accepts one step either side and never a step twice.
//!
//! HOTP (RFC 4226) is computed here with `hmac` + `sha1` rather than through
//! totp-rs: we must know *which* step of the window matched (to refuse its
//! replay), totp-rs's `check()` only answers yes or no, and the algorithm is
//! twenty lines that the RFC's own test vectors pin down.

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per time step. 30 s, SHA-1 and 6 digits are what every authenticator
/// app supports; some silently ignore other settings and show wrong codes.
pub const STEP_SECS: i64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Bytes in a generated secret: 160 bits, RFC 4226's recommended length.
pub const SECRET_BYTES: usize = 20;
/// Name shown in authenticator apps, as issuer and label prefix.
pub const ISSUER: &str = "taskgate";

/// Characters escaped in the URI label: all but RFC 3986 unreserved ones and
/// `@`, which a path may hold and which apps show as typed (`+` becomes `%2B`,
/// so no app reads it as a space).
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// A TOTP shared secret. It is zeroed on drop and prints as `***`, because
/// anyone holding it can produce codes; store it sealed, show it only at enrolment.
pub struct TotpSecret(SecretSlice<u8>);

/// A secret shorter than 160 bits was offered (RFC 4226 section 4, R6).
#[derive(Debug, thiserror::Error)]
#[error("a TOTP secret needs at least 160 bits")]
pub struct WeakSecret;

/// Why a code was not accepted. All of them count as a failed attempt; they
/// differ only for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpRefused {
    /// Not six digits (after removing spaces).
    #[error("not a six-digit code")]
    Malformed,
    /// No step of the window produces this code.
    #[error("wrong code")]
    Mismatch,
    /// The code is right but its step was already accepted: a replay.
    #[error("code already used")]
    Replayed,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// A new random secret from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes.into())
    }

    /// Rebuilds a secret from its bytes (as unsealed from storage).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeakSecret> {
        if bytes.len() < SECRET_BYTES {
            return Err(WeakSecret);
        }
        Ok(Self(bytes.to_vec().into()))
    }

    /// The raw bytes, for sealing before storage.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// The secret as people type it into an app: RFC 4648 base32, upper
    /// case, without padding (apps reject or mangle `=`).
    pub fn to_base32(&self) -> String {
        base32(self.expose_bytes(), RFC4648)
    }

    /// The enrolment URI (Google's Key URI Format) for the QR code, e.g.
    /// `otpauth://totp/taskgate:ann%2Bx@example.com?secret=…&issuer=taskgate&algorithm=SHA1&digits=6&period=30`.
    pub fn otpauth_uri(&self, email: &str) -> String {
        format!(
            "otpauth://totp/{ISSUER}:{}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            utf8_percent_encode(email, LABEL),
            self.to_base32()
        )
    }

    /// The code for one time step (HOTP with counter = step), or `None` for a
    /// negative step.
    fn code_at(&self, step: i64) -> Option<u32> {
        let counter = u64::try_from(step).ok()?;
        let mut mac = Hmac::<Sha1>::new_from_slice(self.expose_bytes()).ok()?;
        mac.update(&counter.to_be_bytes());
        let h: [u8; 20] = mac.finalize().into_bytes().into();
        // Dynamic truncation, RFC 4226 section 5.3: offset <= 15, so o + 3 <= 18.
        let o = usize::from(h[19] & 0x0f);
        let bin = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
        Some(bin % 10u32.pow(DIGITS as u32))
    }
}

/// The time step a unix time falls in.
pub fn step_at(unix_time: i64) -> i64 {
    unix_time.div_euclid(STEP_SECS)
}

/// Checks `code` at `unix_time`. Accepts the current step and one either side
/// (clock drift and typing time), but only a step after `last_step`, the one
/// accepted last time for this user: store the returned step, so a code
/// seen over someone's shoulder or in a log cannot be used again.
///
/// Spaces are ignored (apps show `123 456`). Every step of the window is
/// computed and compared in constant time, whatever matches.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_time: i64,
    last_step: Option<i64>,
) -> Result<i64, TotpRefused> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRefused::Malformed);
    }
    let given: u32 = digits.parse().map_err(|_| TotpRefused::Malformed)?;
    let now = step_at(unix_time);
    let mut accepted = None;
    let mut replayed = false;
    for step in [now - 1, now, now + 1] {
        let matches = secret
            .code_at(step)
            .is_some_and(|expected| bool::from(expected.ct_eq(&given)));
        let fresh = last_step.is_none_or(|last| step > last);
        // The earliest fresh match wins, leaving later steps usable.
        if matches && fresh && accepted.is_none() {
            accepted = Some(step);
        }
        replayed |= matches && !fresh;
    }
    match accepted {
        Some(step) => Ok(step),
        None if replayed => Err(TotpRefused::Replayed),
        None => Err(TotpRefused::Mismatch),
    }
}

/// RFC 4648 base32 alphabet (TOTP secrets).
pub(crate) const RFC4648: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 without padding in the given alphabet; the last group is filled
/// with zero bits, as RFC 4648 does before padding.
pub(crate) fn base32(bytes: &[u8], alphabet: &[u8; 32]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u16, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(alphabet[usize::from((buf >> bits) & 31)]));
        }
        buf &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(alphabet[usize::from((buf << (5 - bits)) & 31)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 seed.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors_truncated_to_six_digits() {
        let secret = rfc_secret();
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let six = &eight[2..];
            assert_eq!(
                format!("{:06}", secret.code_at(step_at(t)).unwrap()),
                six,
                "t = {t}"
            );
            assert_eq!(verify(&secret, six, t, None), Ok(step_at(t)), "t = {t}");
        }
    }

    fn code(secret: &TotpSecret, step: i64) -> String {
        format!("{:06}", secret.code_at(step).unwrap())
    }

    #[test]
    fn previous_and_next_steps_are_accepted_two_away_refused() {
        let s = TotpSecret::generate();
        let t = 1_700_000_015;
        let now = step_at(t);
        assert_eq!(verify(&s, &code(&s, now - 1), t, None), Ok(now - 1));
        assert_eq!(verify(&s, &code(&s, now + 1), t, None), Ok(now + 1));
        for far in [now - 2, now + 2] {
            // A chance collision with the window (1 in 10^6 per step) is not a refusal bug.
            let c = code(&s, far);
            if (now - 1..=now + 1).all(|w| code(&s, w) != c) {
                assert_eq!(verify(&s, &c, t, None), Err(TotpRefused::Mismatch));
            }
        }
    }

    #[test]
    fn a_step_is_accepted_once_and_a_later_step_after_it() {
        let s = TotpSecret::generate();
        let t = 1_700_000_000;
        let first = verify(&s, &code(&s, step_at(t)), t, None).unwrap();
        assert_eq!(
            verify(&s, &code(&s, first), t + 5, Some(first)),
            Err(TotpRefused::Replayed)
        );
        assert_eq!(
            verify(&s, &code(&s, first - 1), t, Some(first)),
            Err(TotpRefused::Replayed),
            "an older step than the accepted one is refused too"
        );
        let next = verify(&s, &code(&s, first + 1), t + STEP_SECS, Some(first)).unwrap();
        assert_eq!(next, first + 1);
    }

    #[test]
    fn spaces_are_ignored_and_anything_but_six_digits_is_malformed() {
        let s = rfc_secret();
        assert_eq!(verify(&s, " 287 082 ", 59, None), Ok(1));
        for bad in [
            "",
            "28708",
            "2870822",
            "28708a",
            "२८७०८२",
            "+87082",
            "-87082",
        ] {
            assert_eq!(
                verify(&s, bad, 59, None),
                Err(TotpRefused::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_are_160_bits_base32_without_padding_and_never_printed() {
        let s = TotpSecret::generate();
        assert_eq!(s.expose_bytes().len(), 20);
        assert_eq!(s.to_base32().len(), 32);
        assert!(TotpSecret::from_bytes(&[1u8; 19]).is_err());
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes(), RFC4648), encoded);
        }
    }

    #[test]
    fn otpauth_uri_has_every_parameter_and_an_encoded_label() {
        let s = rfc_secret();
        assert_eq!(
            s.otpauth_uri("ann+x@example.com"),
            "otpauth://totp/taskgate:ann%2Bx@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=taskgate&algorithm=SHA1&digits=6&period=30"
        );
        assert!(s
            .otpauth_uri("a b?&#/:@x.y")
            .contains("taskgate:a%20b%3F%26%23%2F%3A@x.y?"));
    }
}
