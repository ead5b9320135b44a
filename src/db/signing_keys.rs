//! The `signing_keys` table: the Ed25519 keys every process of a deployment
//! signs and verifies access tokens with (see `auth::signing`).

use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::signing_keys;
use super::AnyConnection;

/// One stored key. The private half is sealed (`secrets::Purpose::SigningKeys`,
/// context = `kid`), so reading the table alone yields no signing power.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct StoredKey {
    /// RFC 7638 thumbprint of the public JWK; checked against `public_x` on load.
    pub kid: String,
    /// The 32-byte Ed25519 public key, base64url without padding (the JWK's `x`).
    pub public_x: String,
    /// The PKCS#8 DER private key, sealed (`v1.<key-id>.<…>`).
    pub private_sealed: String,
    pub created_at: NaiveDateTime,
    /// From when the key may sign; before that it is published only.
    pub activates_at: NaiveDateTime,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("public_x", &self.public_x)
            .field("created_at", &self.created_at)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}

/// Every stored key, in activation order (`activates_at`, then `kid`): the
/// order in which every process picks its signing key.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<StoredKey>> {
    signing_keys::table
        .order((signing_keys::activates_at.asc(), signing_keys::kid.asc()))
        .select(StoredKey::as_select())
        .load(conn)
}

/// Stores a new key. A `kid` already present is a unique violation (two
/// processes cannot generate the same key: 256 random bits).
pub fn insert(conn: &mut AnyConnection, key: &StoredKey) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(key)
        .execute(conn)
        .map(drop)
}

/// Deletes the keys named; returns how many rows went. Deleting a key that
/// another process already deleted is not an error.
pub fn delete(conn: &mut AnyConnection, kids: &[String]) -> QueryResult<usize> {
    if kids.is_empty() {
        return Ok(0);
    }
    diesel::delete(signing_keys::table.filter(signing_keys::kid.eq_any(kids))).execute(conn)
}
