//! The key set one process signs and verifies with, built from the
//! `signing_keys` rows, the sealing key and the access-token lifetime.

use std::fmt;

use chrono::{NaiveDateTime, TimeDelta};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::jwk::PublicJwk;
use super::keypair::{check_public, open_private};
use super::rotation::{delta, KeyState, Slot, Timeline};
use super::VerifyRules;
use crate::db::signing_keys::StoredKey;
use crate::secrets::{OpenError, Sealer};

/// Anything longer is not one of our tokens; refused before any parsing.
const MAX_TOKEN_LEN: usize = 4096;

/// What loading found wrong with the stored keys, for one log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Keys whose private half was sealed under another `JWT_SECRET`. They
    /// still verify (the public half is in clear) until they expire.
    pub other_secret: usize,
    /// Keys whose private half is damaged or belongs to another key.
    pub corrupt: usize,
    /// Rows whose `kid` is not the thumbprint of a sound public key: ignored
    /// entirely, never published, never verifying.
    pub tampered: Vec<String>,
}

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No loaded key may sign now (empty table, or no private half opens):
    /// `store::ensure` creates one.
    #[error("no signing key is usable now")]
    NoKey,
    #[error("cannot sign a token: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// One key as `taskgate keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: NaiveDateTime,
    pub activates_at: NaiveDateTime,
    pub state: KeyState,
    /// When a retired key stops verifying and may be deleted.
    pub expires_at: Option<NaiveDateTime>,
    /// The key this process signs with at this moment.
    pub signing: bool,
    /// The private half opens with this process's `JWT_SECRET`.
    pub decrypts: bool,
}

struct Entry {
    slot: Slot,
    public_x: String,
    created_at: NaiveDateTime,
    decoding: DecodingKey,
    private: Result<EncodingKey, OpenError>,
}

/// The published keys (next, current, retired and not yet expired), each
/// verifying; those whose private half opens can also sign.
pub struct KeySet {
    /// In `(activates_at, kid)` order.
    entries: Vec<Entry>,
    ttl: TimeDelta,
}

impl KeySet {
    /// Builds the set from every stored row as of `now`. Rows that fail the
    /// public checks are skipped and reported, never a panic; expired keys
    /// are left out; private halves that do not open are counted.
    pub fn load(
        rows: &[StoredKey],
        sealer: &Sealer,
        now: NaiveDateTime,
        ttl: std::time::Duration,
    ) -> (Self, LoadReport) {
        let ttl = delta(ttl);
        let mut report = LoadReport::default();
        let mut sound = Vec::new();
        for row in rows {
            match check_public(row) {
                Some(decoding) => sound.push((row, decoding)),
                None => report.tampered.push(row.kid.clone()),
            }
        }
        let timeline = Timeline::new(sound.iter().map(|(r, _)| (r.kid.clone(), r.activates_at)));
        let mut entries = Vec::new();
        for slot in timeline.slots() {
            if slot.is_expired(now, ttl) {
                continue;
            }
            let Some((row, decoding)) = sound.iter().find(|(r, _)| r.kid == slot.kid) else {
                continue;
            };
            let private = open_private(row, sealer);
            match private {
                Err(OpenError::OtherSecret) => report.other_secret += 1,
                Err(OpenError::Corrupt) => report.corrupt += 1,
                Ok(_) => {}
            }
            entries.push(Entry {
                slot: slot.clone(),
                public_x: row.public_x.clone(),
                created_at: row.created_at,
                decoding: decoding.clone(),
                private,
            });
        }
        (Self { entries, ttl }, report)
    }

    /// The key that signs at `now`: the greatest `(activates_at, kid)` among
    /// activated keys whose private half opens and whose tokens would not
    /// outlive the key's verification window.
    fn signer(&self, now: NaiveDateTime) -> Option<(&str, &EncodingKey)> {
        self.entries.iter().rev().find_map(|e| match &e.private {
            Ok(key) if e.slot.may_sign(now, self.ttl) => Some((e.slot.kid.as_str(), key)),
            _ => None,
        })
    }

    /// The kid that signs at `now`, if any key can.
    pub fn signing_kid(&self, now: NaiveDateTime) -> Option<&str> {
        self.signer(now).map(|(kid, _)| kid)
    }

    /// True when `kid` is one of the published keys. A verifier that meets an
    /// unknown kid may reload the set (another process may have just rotated).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.entries.iter().any(|e| e.slot.kid == kid)
    }

    /// Signs `claims` with the current key: header `{"alg":"EdDSA","typ":"JWT","kid":…}`.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, SignError> {
        self.sign_at(claims, crate::db::now())
    }

    /// [`KeySet::sign`] at a given moment.
    pub fn sign_at<C: Serialize>(
        &self,
        claims: &C,
        now: NaiveDateTime,
    ) -> Result<String, SignError> {
        let (kid, key) = self.signer(now).ok_or(SignError::NoKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, key)?)
    }

    /// The claims of a token that one of our keys signed and that passes
    /// `rules`; `None` for anything else, without saying why. Requires header
    /// `alg` EdDSA, `typ` JWT, no `crit`, and a `kid` naming a published key;
    /// `jku`, `x5u`, `jwk` and other headers are never used, never fetched.
    pub fn verify<C: DeserializeOwned>(&self, token: &str, rules: &VerifyRules) -> Option<C> {
        self.verify_at(token, rules, crate::db::now())
    }

    /// [`KeySet::verify`] with the key windows judged at `now` (the claims'
    /// `exp` and `nbf` are judged by the system clock).
    pub fn verify_at<C: DeserializeOwned>(
        &self,
        token: &str,
        rules: &VerifyRules,
        now: NaiveDateTime,
    ) -> Option<C> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA
            || header.typ.as_deref() != Some("JWT")
            || header.crit.is_some()
        {
            return None;
        }
        let kid = header.kid?;
        let entry = self
            .entries
            .iter()
            .find(|e| e.slot.kid == kid && !e.slot.is_expired(now, self.ttl))?;
        jsonwebtoken::decode::<C>(token, &entry.decoding, rules.validation())
            .ok()
            .map(|data| data.claims)
    }

    /// `/.well-known/jwks.json`: every key that verifies now, newest first.
    /// Public members only (see [`PublicJwk`]).
    pub fn jwks(&self) -> serde_json::Value {
        self.jwks_at(crate::db::now())
    }

    /// [`KeySet::jwks`] at a given moment.
    pub fn jwks_at(&self, now: NaiveDateTime) -> serde_json::Value {
        let keys: Vec<PublicJwk> = self
            .entries
            .iter()
            .rev()
            .filter(|e| !e.slot.is_expired(now, self.ttl))
            .map(|e| PublicJwk::ed25519(&e.slot.kid, &e.public_x))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The keys with their state at `now`, oldest activation first.
    pub fn list(&self, now: NaiveDateTime) -> Vec<KeyInfo> {
        let signing = self.signing_kid(now);
        self.entries
            .iter()
            .filter(|e| !e.slot.is_expired(now, self.ttl))
            .map(|e| {
                let state = e.slot.state(now);
                KeyInfo {
                    kid: e.slot.kid.clone(),
                    created_at: e.created_at,
                    activates_at: e.slot.activates_at,
                    state,
                    expires_at: (state == KeyState::Retired)
                        .then(|| e.slot.verify_until(self.ttl))
                        .flatten(),
                    signing: signing == Some(e.slot.kid.as_str()),
                    decrypts: e.private.is_ok(),
                }
            })
            .collect()
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.entries.iter().map(|e| e.slot.kid.as_str()).collect();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use ed25519_dalek::Signer;
    use jsonwebtoken::EncodingKey;
    use secrecy::SecretString;
    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::*;
    use crate::auth::signing::jwk::thumbprint;
    use crate::auth::signing::keypair::KeyPair;
    use crate::secrets::{Purpose, ServerKeys};

    const SECRET: &str = "a test secret that is long enough, 40 b";
    const TTL: std::time::Duration = std::time::Duration::from_secs(900);

    fn server(secret: &str) -> ServerKeys {
        ServerKeys::from_secret(&SecretString::from(secret.to_owned()))
    }

    fn sealer() -> Sealer {
        server(SECRET).sealer(Purpose::SigningKeys)
    }

    fn now() -> NaiveDateTime {
        crate::db::now()
    }

    fn minutes(m: i64) -> TimeDelta {
        TimeDelta::minutes(m)
    }

    /// A stored key activating at `at`.
    fn key(at: NaiveDateTime) -> StoredKey {
        KeyPair::generate().unwrap().to_row(&sealer(), at, at)
    }

    fn set(rows: &[StoredKey]) -> KeySet {
        KeySet::load(rows, &sealer(), now(), TTL).0
    }

    fn rules() -> VerifyRules {
        VerifyRules::new("taskgate", "taskgate", 30)
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        iat: i64,
        nbf: i64,
        exp: i64,
        iss: String,
        aud: String,
    }

    fn claims() -> Value {
        let t = chrono::Utc::now().timestamp();
        json!({"sub":"u1","iat":t,"nbf":t,"exp":t + 900,"iss":"taskgate","aud":"taskgate"})
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    /// A token with any header, signed by `sign` over `header.payload`.
    fn forge(header: Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let input = format!("{}.{}", b64(&header), b64(claims));
        let sig = URL_SAFE_NO_PAD.encode(sign(input.as_bytes()));
        format!("{input}.{sig}")
    }

    fn attacker() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
    }

    fn header(token: &str) -> Value {
        let head = token.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
    }

    #[test]
    fn signs_with_the_current_key_and_verifies() {
        let row = key(now() - minutes(1));
        let keys = set(std::slice::from_ref(&row));
        let token = keys.sign(&claims()).unwrap();
        assert_eq!(
            header(&token),
            json!({"alg":"EdDSA","typ":"JWT","kid":row.kid})
        );
        let got: Claims = keys.verify(&token, &rules()).unwrap();
        assert_eq!(got.sub, "u1");
    }

    #[test]
    fn claims_are_checked() {
        let keys = set(&[key(now() - minutes(1))]);
        let t = chrono::Utc::now().timestamp();
        let cases = [
            ("exp", json!(t - 35)),
            ("nbf", json!(t + 40)),
            ("iss", json!("someone")),
            ("aud", json!("someone")),
        ];
        for (name, value) in cases {
            let mut c = claims();
            c[name] = value;
            let token = keys.sign(&c).unwrap();
            assert!(keys.verify::<Value>(&token, &rules()).is_none(), "{name}");
        }
        for name in ["exp", "nbf", "iss", "aud", "sub"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(name);
            let token = keys.sign(&c).unwrap();
            assert!(
                keys.verify::<Value>(&token, &rules()).is_none(),
                "no {name}"
            );
        }
        let mut c = claims();
        c["exp"] = json!(t - 20);
        assert!(
            keys.verify::<Value>(&keys.sign(&c).unwrap(), &rules())
                .is_some(),
            "leeway"
        );
    }

    #[test]
    fn other_algorithms_are_refused_even_with_our_secret_or_key() {
        let row = key(now() - minutes(1));
        let keys = set(std::slice::from_ref(&row));
        let c = claims();
        let x = URL_SAFE_NO_PAD.decode(&row.public_x).unwrap();
        for (alg, secret) in [
            ("HS256", SECRET.as_bytes()),
            ("HS256", &x[..]),
            ("HS512", SECRET.as_bytes()),
        ] {
            let mut h = Header::new(alg.parse().unwrap());
            h.kid = Some(row.kid.clone());
            let token = jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(secret)).unwrap();
            assert!(keys.verify::<Value>(&token, &rules()).is_none(), "{alg}");
        }
        // Our own valid signature under headers that claim another algorithm, or none.
        let signed = keys.sign(&c).unwrap();
        let sig = signed.rsplit('.').next().unwrap().to_owned();
        for alg in ["RS256", "ES256", "none", "Ed25519", "eddsa"] {
            let h = json!({"alg": alg, "typ": "JWT", "kid": row.kid});
            let token = format!("{}.{}.{sig}", b64(&h), b64(&c));
            assert!(keys.verify::<Value>(&token, &rules()).is_none(), "{alg}");
            let unsigned = format!("{}.{}.", b64(&h), b64(&c));
            assert!(keys.verify::<Value>(&unsigned, &rules()).is_none(), "{alg}");
        }
    }

    #[test]
    fn kid_must_name_one_of_our_keys() {
        let row = key(now() - minutes(1));
        let keys = set(std::slice::from_ref(&row));
        let ours = keys.sign(&claims()).unwrap();
        let (_, rest) = ours.split_once('.').unwrap();
        for h in [
            json!({"alg":"EdDSA","typ":"JWT"}),
            json!({"alg":"EdDSA","typ":"JWT","kid":"unknown"}),
            json!({"alg":"EdDSA","kid":row.kid}),
            json!({"alg":"EdDSA","typ":"JWT","kid":row.kid,"crit":["exp"]}),
        ] {
            let token = format!("{}.{rest}", b64(&h));
            assert!(keys.verify::<Value>(&token, &rules()).is_none(), "{h}");
        }
        for garbage in ["", ".", "..", "a.b.c", &"a".repeat(5000)] {
            assert!(keys.verify::<Value>(garbage, &rules()).is_none());
        }
    }

    #[test]
    fn another_key_carrying_our_kid_or_an_embedded_jwk_is_refused() {
        let row = key(now() - minutes(1));
        let keys = set(std::slice::from_ref(&row));
        let evil = attacker();
        let evil_x = URL_SAFE_NO_PAD.encode(evil.verifying_key().as_bytes());
        let evil_jwk = json!(PublicJwk::ed25519(&thumbprint(&evil_x), &evil_x));
        let sign = |m: &[u8]| evil.sign(m).to_bytes().to_vec();
        for h in [
            json!({"alg":"EdDSA","typ":"JWT","kid":row.kid}),
            json!({"alg":"EdDSA","typ":"JWT","kid":row.kid,"jwk":evil_jwk}),
            json!({"alg":"EdDSA","typ":"JWT","kid":thumbprint(&evil_x),"jwk":evil_jwk}),
            json!({"alg":"EdDSA","typ":"JWT","kid":row.kid,"jku":"http://127.0.0.1:1/jwks.json"}),
        ] {
            let token = forge(h.clone(), &claims(), sign);
            assert!(keys.verify::<Value>(&token, &rules()).is_none(), "{h}");
        }
    }

    #[test]
    fn an_embedded_jwk_header_is_ignored_on_our_own_tokens() {
        let row = key(now() - minutes(1));
        let (keys, _) = KeySet::load(std::slice::from_ref(&row), &sealer(), now(), TTL);
        let evil_x = URL_SAFE_NO_PAD.encode(attacker().verifying_key().as_bytes());
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(row.kid.clone());
        h.jwk = serde_json::from_value(json!(PublicJwk::ed25519("e", &evil_x))).ok();
        assert!(h.jwk.is_some());
        let token =
            jsonwebtoken::encode(&h, &claims(), &open_private(&row, &sealer()).unwrap()).unwrap();
        assert!(keys.verify::<Value>(&token, &rules()).is_some());
    }

    #[test]
    fn jwks_lists_public_members_only() {
        let t = now();
        let rows = [
            key(t - minutes(60)),
            key(t - minutes(1)),
            key(t + minutes(10)),
        ];
        let keys = set(&rows);
        let jwks = keys.jwks();
        let listed = jwks["keys"].as_array().unwrap();
        assert_eq!(listed.len(), 3);
        for (jwk, row) in listed.iter().zip(rows.iter().rev()) {
            let members: Vec<&str> = jwk
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(members.len(), 6, "{jwk}");
            for m in ["kty", "crv", "x", "kid", "alg", "use"] {
                assert!(members.contains(&m), "{m}");
            }
            assert_eq!(jwk["kid"], json!(row.kid));
            assert_eq!(jwk["x"], json!(row.public_x));
        }
        assert!(!jwks.to_string().contains("\"d\""));
        assert!(!format!("{keys:?}").contains(&rows[0].private_sealed));
    }

    #[test]
    fn keys_take_over_at_activation_and_retired_ones_verify_until_expiry() {
        let t = now();
        let old = key(t - minutes(60));
        let next = key(t + minutes(5));
        let rows = [old.clone(), next.clone()];
        let keys = set(&rows);
        assert_eq!(keys.signing_kid(t), Some(old.kid.as_str()));
        let by_old = keys.sign_at(&claims(), t).unwrap();
        let by_next = keys.sign_at(&claims(), t + minutes(5)).unwrap();
        assert_eq!(header(&by_next)["kid"], json!(next.kid));
        // The next key verifies before it signs (published ahead).
        assert!(keys.verify_at::<Value>(&by_next, &rules(), t).is_some());
        let until = t + minutes(5) + minutes(15) + TimeDelta::seconds(30);
        assert!(keys
            .verify_at::<Value>(&by_old, &rules(), until - TimeDelta::seconds(1))
            .is_some());
        assert!(keys.verify_at::<Value>(&by_old, &rules(), until).is_none());
        let states: Vec<(KeyState, Option<NaiveDateTime>, bool)> = keys
            .list(t + minutes(6))
            .into_iter()
            .map(|k| (k.state, k.expires_at, k.signing))
            .collect();
        assert_eq!(
            states,
            [
                (KeyState::Retired, Some(until), false),
                (KeyState::Current, None, true)
            ]
        );
        // Loaded after expiry, the old key is gone.
        let later = KeySet::load(&rows, &sealer(), until, TTL).0;
        assert!(!later.has_kid(&old.kid) && later.has_kid(&next.kid));
        assert_eq!(later.jwks_at(until)["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn keys_sealed_under_another_secret_verify_but_do_not_sign() {
        let rows = [key(now() - minutes(60)), key(now() - minutes(1))];
        let token = set(&rows).sign(&claims()).unwrap();
        let other = server("another secret, also long enough to use").sealer(Purpose::SigningKeys);
        let (keys, report) = KeySet::load(&rows, &other, now(), TTL);
        assert_eq!(
            report,
            LoadReport {
                other_secret: 2,
                corrupt: 0,
                tampered: vec![]
            }
        );
        assert!(matches!(keys.sign(&claims()), Err(SignError::NoKey)));
        assert!(keys.verify::<Value>(&token, &rules()).is_some());
        assert!(keys.list(now()).iter().all(|k| !k.decrypts));
    }

    #[test]
    fn tampered_rows_are_skipped_and_reported() {
        let good = key(now() - minutes(60));
        let mut swapped = key(now() - minutes(1));
        swapped.public_x = good.public_x.clone();
        let mut junk = key(now() - minutes(2));
        junk.public_x = "not base64 \"}".to_owned();
        let mut damaged = key(now() - minutes(3));
        damaged.private_sealed.push('A');
        let rows = [good.clone(), swapped.clone(), junk.clone(), damaged.clone()];
        let (keys, report) = KeySet::load(&rows, &sealer(), now(), TTL);
        assert_eq!(report.tampered, vec![swapped.kid.clone(), junk.kid.clone()]);
        assert_eq!(report.corrupt, 1);
        assert!(!keys.has_kid(&swapped.kid) && !keys.has_kid(&junk.kid));
        // The damaged key activated after `good`, which is therefore retired: its
        // tokens would outlive its window, so nothing signs (`store::ensure` adds
        // a key), while both keep verifying.
        assert_eq!(keys.signing_kid(now()), None);
        assert!(keys.has_kid(&damaged.kid) && keys.has_kid(&good.kid));
    }
}
