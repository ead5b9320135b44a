//! Recovery codes: the second factor of last resort when the authenticator
//! app is lost. Ten per set, each 120 random bits, shown once, stored hashed.
//!
//! A code is 24 characters of Crockford's base32 (no `i`, `l`, `o`, `u`) in
//! groups of four, `7k2m-q9xa-d4tr-b8ne-3hwz-p0cj`: lower case, and what
//! people mistype is forgiven on input (spaces, dashes, case, `i`/`l` for
//! `1`, `o` for `0`).
//!
//! Why 120 bits when the contract asks for 80: OWASP ASVS 5.0 (6.5.2) allows
//! a plain (unsalted, fast) hash only for lookup secrets of at least 112
//! bits; shorter ones would need a salted password hash, and checking ten of
//! those per attempt would cost about a third of a CPU-second.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::totp::base32;

/// Codes in one set.
pub const SET_SIZE: usize = 10;
/// Random bytes per code: 120 bits, 24 base32 characters.
const CODE_BYTES: usize = 15;
/// Characters of a normalised code.
const CODE_CHARS: usize = 24;
/// Crockford's base32, lower case: no letters that look like digits.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A freshly generated set: `codes` are shown to the user once, `hashes`
/// (same order) are what gets stored.
pub struct RecoveryCodeSet {
    pub codes: Vec<String>,
    pub hashes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodeSet({} codes: ***)", self.codes.len())
    }
}

/// Makes a new set of [`SET_SIZE`] codes from the operating system's CSPRNG.
pub fn generate_set() -> RecoveryCodeSet {
    let (codes, hashes) = (0..SET_SIZE).map(|_| generate_code()).unzip();
    RecoveryCodeSet { codes, hashes }
}

/// One code as shown (grouped) and its hash (of the normalised form).
fn generate_code() -> (String, String) {
    let mut bytes = [0u8; CODE_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = base32(&bytes, ALPHABET);
    let groups: Vec<&str> = plain
        .as_bytes()
        .chunks(4)
        .filter_map(|g| std::str::from_utf8(g).ok())
        .collect();
    (groups.join("-"), hash_normalised(&plain))
}

/// The canonical form of a typed code (24 characters of the alphabet), or
/// `None` when it cannot be one, which is then simply a wrong code.
pub fn normalise(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            c if c.is_whitespace() || c == '-' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if out.len() == CODE_CHARS || !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// SHA-256 (hex) of a normalised code. A fast unsalted hash is enough here:
/// each code carries 120 random bits, so even with the hashes in hand there
/// are 2^120 candidates to try per code — out of reach, unlike a password
/// (and at least the 112 bits ASVS 6.5.2 asks of an unsalted hash).
fn hash_normalised(normalised: &str) -> String {
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Which stored hash, if any, the presented code matches (its index in
/// `stored`). Every stored hash is compared, each in constant time, so timing
/// tells nothing about which code or how much of it matched. The caller
/// deletes (or marks used) that row, in the same transaction that accepts it.
pub fn find_match<S: AsRef<str>>(presented: &str, stored: &[S]) -> Option<usize> {
    let hash = hash_normalised(&normalise(presented)?);
    let mut found = None;
    for (i, candidate) in stored.iter().enumerate() {
        let same: bool = hash.as_bytes().ct_eq(candidate.as_ref().as_bytes()).into();
        if same && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_has_ten_distinct_grouped_lower_case_codes_and_their_hashes() {
        let set = generate_set();
        assert_eq!(set.codes.len(), SET_SIZE);
        assert_eq!(set.hashes.len(), SET_SIZE);
        for code in &set.codes {
            assert_eq!(code.len(), 29, "{code}");
            assert_eq!(code.split('-').count(), 6);
            assert!(code
                .chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
            assert_eq!(code.to_lowercase(), *code);
        }
        let mut distinct = set.codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), SET_SIZE);
        assert!(set.hashes.iter().all(|h| h.len() == 64));
        assert!(!format!("{set:?}").contains(&set.codes[0]));
    }

    #[test]
    fn each_code_finds_its_own_hash_however_it_is_typed() {
        let set = generate_set();
        for (i, code) in set.codes.iter().enumerate() {
            assert_eq!(find_match(code, &set.hashes), Some(i));
            let sloppy = format!(" {} ", code.replace('-', " ").to_uppercase());
            assert_eq!(find_match(&sloppy, &set.hashes), Some(i));
            assert_eq!(find_match(&code.replace('-', ""), &set.hashes), Some(i));
        }
    }

    #[test]
    fn look_alike_letters_read_as_digits() {
        assert_eq!(
            normalise("IL0o-1111-2222-3333-4444-5555").as_deref(),
            Some("110011112222333344445555")
        );
    }

    #[test]
    fn wrong_short_long_or_foreign_input_matches_nothing() {
        let set = generate_set();
        let other = generate_set();
        assert_eq!(find_match(&other.codes[0], &set.hashes), None);
        let code = &set.codes[0];
        for bad in [
            String::new(),
            code[..28].to_owned(),
            format!("{code}a"),
            code.replacen(|c: char| c.is_ascii_alphanumeric(), "u", 1),
            code.replacen(|c: char| c.is_ascii_alphanumeric(), "é", 1),
            set.hashes[0].clone(),
        ] {
            assert_eq!(find_match(&bad, &set.hashes), None, "{bad}");
        }
        let empty: [&str; 0] = [];
        assert_eq!(find_match(code, &empty), None);
    }
}
