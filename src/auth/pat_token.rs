//! The personal access token's format, GitHub style: `tgp_`, 43 base62
//! characters of randomness (43 × log2 62 ≈ 256.03 bits), then 6 base62
//! characters of the CRC32 of that random part. The prefix and checksum let a
//! secret scanner recognise a real taskgate token offline (few false
//! positives), and let the guard refuse a mistyped or made-up one without
//! reading the database. The checksum is not a secret and proves nothing
//! about validity: only the stored SHA-256 does.

use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// What every personal access token starts with.
pub const PREFIX: &str = "tgp_";
const RANDOM_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
/// The length of a whole token.
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new token (shown to its owner once) and the hash that is stored for it.
pub struct NewToken {
    pub token: SecretString,
    pub hash: String,
}

/// Makes a token from the operating system's randomness.
pub fn generate() -> NewToken {
    let mut random = String::with_capacity(RANDOM_LEN);
    let mut buf = [0u8; 64];
    while random.len() < RANDOM_LEN {
        OsRng.fill_bytes(&mut buf);
        // 248 = 4 × 62: keeping only bytes below it makes every character equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if random.len() == RANDOM_LEN {
                break;
            }
            random.push(char::from(BASE62[usize::from(*b % 62)]));
        }
    }
    let token = format!("{PREFIX}{random}{}", checksum(&random));
    let hash = stored_hash(&digest(&token));
    NewToken {
        token: SecretString::from(token),
        hash,
    }
}

/// True when `token` starts like a personal access token: the guard then
/// treats it as one (and never as a JWT).
pub fn is_pat(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// True for a well-formed token whose checksum matches.
pub fn well_formed(token: &str) -> bool {
    let Some(body) = token.strip_prefix(PREFIX) else {
        return false;
    };
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    checksum(random) == check
}

/// SHA-256 of the whole token. A fast hash is right here: the token has
/// 256 random bits, so there is nothing to brute-force.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The digest as stored in `personal_access_tokens.token_hash` (hex).
pub fn stored_hash(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// CRC32 of the random part, as 6 base62 digits (62^6 > 2^32), most significant first.
fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn tokens_have_the_prefix_base62_body_and_a_checksum_that_catches_typos() {
        let new = generate();
        let token = new.token.expose_secret();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token.starts_with("tgp_"));
        assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(well_formed(token));
        assert_eq!(new.hash, stored_hash(&digest(token)));
        assert_eq!(new.hash.len(), 64);

        // Change one character of the random part: the checksum no longer matches.
        let mut typo = token.to_owned().into_bytes();
        typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
        assert!(!well_formed(&String::from_utf8(typo).unwrap()));
        assert!(!well_formed(&token[..TOKEN_LEN - 1]));
        assert!(!well_formed(&format!("{token}0")));
        assert!(!well_formed(&token.replace("tgp_", "tgx_")));
        assert!(!well_formed("tgp_"));
    }

    #[test]
    fn tokens_differ_and_use_the_whole_alphabet() {
        let tokens: Vec<String> = (0..200)
            .map(|_| generate().token.expose_secret().to_owned())
            .collect();
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(distinct.len(), tokens.len());
        let seen: std::collections::HashSet<u8> = tokens
            .iter()
            .flat_map(|t| t[4..4 + RANDOM_LEN].bytes().collect::<Vec<_>>())
            .collect();
        assert_eq!(
            seen.len(),
            62,
            "every base62 character appears in 8600 draws"
        );
    }

    #[test]
    fn the_checksum_is_crc32_in_six_base62_digits() {
        // crc32("") = 0
        assert_eq!(checksum(""), "000000");
        // crc32("a") = 0xe8b7be43 = 3904355907 = 4 × 62^5 + …
        let c = checksum("a");
        let value = c.bytes().fold(0u64, |n, b| {
            n * 62 + BASE62.iter().position(|x| *x == b).unwrap() as u64
        });
        assert_eq!(value, 0xe8b7_be43);
    }
}
