//! The database side of key management: load the set, make sure a key can
//! sign, rotate on schedule or at once, and drop keys whose tokens have all
//! expired. Each step reads the rows and acts on them alone; two processes
//! doing the same step at once each add a valid key, and the ordering in
//! `rotation` makes everyone sign with the same one.

use chrono::NaiveDateTime;
use chrono::TimeDelta;

use super::keypair::{check_public, KeyError, KeyPair};
use super::keyset::{KeySet, LoadReport};
use super::rotation::{delta, Timeline};
use crate::db::signing_keys::{self, StoredKey};
use crate::db::AnyConnection;
use crate::secrets::Sealer;

/// A key operation failed: the database, or (never expected) key encoding.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What [`ensure`] found and did.
#[derive(Debug)]
pub struct Ensured {
    /// The key set after any insertion, ready to use.
    pub keys: KeySet,
    /// Problems with the stored keys; log one warning when `other_secret > 0`
    /// (`JWT_SECRET` changed: tokens now come from a new key, sessions go on).
    pub report: LoadReport,
    /// The kid of the key created because none could sign.
    pub created: Option<String>,
    /// Kids of scheduled keys deleted because this secret cannot open them:
    /// they never signed, and left in place they would become current later
    /// and leave no key able to sign.
    pub dropped_next: Vec<String>,
}

/// Loads the key set as of `now` (no writes). For periodic reloads.
pub fn load(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<(KeySet, LoadReport), StoreError> {
    let rows = signing_keys::all(conn)?;
    Ok(KeySet::load(&rows, sealer, now, ttl))
}

/// At start-up: makes sure a key can sign now. When none can (empty table,
/// or no activated private half opens with this secret), creates one that
/// activates at once. Keys that cannot be opened keep verifying until they
/// expire, except scheduled ones (see [`Ensured::dropped_next`]).
pub fn ensure(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<Ensured, StoreError> {
    let rows = signing_keys::all(conn)?;
    let (keys, report) = KeySet::load(&rows, sealer, now, ttl);
    let dropped_next: Vec<String> = keys
        .list(now)
        .into_iter()
        .filter(|k| k.activates_at > now && !k.decrypts)
        .map(|k| k.kid)
        .collect();
    signing_keys::delete(conn, &dropped_next)?;
    if dropped_next.is_empty() && keys.signing_kid(now).is_some() {
        return Ok(Ensured {
            keys,
            report,
            created: None,
            dropped_next,
        });
    }
    let created = if keys.signing_kid(now).is_none() {
        Some(insert_new(conn, sealer, now, now)?)
    } else {
        None
    };
    let (keys, _) = load(conn, sealer, now, ttl)?;
    Ok(Ensured {
        keys,
        report,
        created,
        dropped_next,
    })
}

/// `taskgate keys rotate`: a new key that signs from `now`, for a suspected
/// leak. The previous key keeps verifying until its tokens have expired, so
/// nobody is logged out. Returns the new kid.
pub fn rotate_now(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> Result<String, StoreError> {
    insert_new(conn, sealer, now, now)
}

/// The scheduled rotation, every `rotation_days` (0 = never): when due (see
/// `Timeline::rotation_due`), creates the next key, published now and signing
/// from its activation time. Returns its kid when one was created. Cheap when
/// not due (one read), so it can run on every housekeeping tick.
pub fn rotate_if_due(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    now: NaiveDateTime,
    rotation_days: u32,
) -> Result<Option<String>, StoreError> {
    let every = TimeDelta::try_days(i64::from(rotation_days)).unwrap_or(TimeDelta::MAX);
    let rows = signing_keys::all(conn)?;
    match timeline(&rows).rotation_due(now, every) {
        Some(activates_at) => Ok(Some(insert_new(conn, sealer, now, activates_at)?)),
        None => Ok(None),
    }
}

/// Housekeeping: deletes keys whose verification window has closed (their
/// successor activated more than `ttl` + `RETIRE_LEEWAY` ago). Returns how
/// many rows went. Rows that fail the public checks are left for the
/// operator to see; they never verify anyway.
pub fn delete_expired(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<usize, StoreError> {
    let rows = signing_keys::all(conn)?;
    let expired = timeline(&rows).expired(now, delta(ttl));
    Ok(signing_keys::delete(conn, &expired)?)
}

/// The timeline of the sound rows.
fn timeline(rows: &[StoredKey]) -> Timeline {
    Timeline::new(
        rows.iter()
            .filter(|r| check_public(r).is_some())
            .map(|r| (r.kid.clone(), r.activates_at)),
    )
}

fn insert_new(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    now: NaiveDateTime,
    activates_at: NaiveDateTime,
) -> Result<String, StoreError> {
    let pair = KeyPair::generate()?;
    signing_keys::insert(conn, &pair.to_row(sealer, now, activates_at))?;
    Ok(pair.kid().to_owned())
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel_migrations::MigrationHarness;
    use secrecy::SecretString;

    use super::*;
    use crate::auth::signing::KeyState;
    use crate::config::DatabaseUrl;
    use crate::db::connection::Manager;
    use crate::secrets::{Purpose, ServerKeys};

    const TTL: std::time::Duration = std::time::Duration::from_secs(900);

    fn sealer(secret: &str) -> Sealer {
        ServerKeys::from_secret(&SecretString::from(secret.to_owned())).sealer(Purpose::SigningKeys)
    }

    fn ours() -> Sealer {
        sealer("the first secret, at least 32 bytes long")
    }

    /// Fixed moments: day `d`, minute `m` after 2030-01-01.
    fn at(d: i64, m: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2030, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + TimeDelta::days(d)
            + TimeDelta::minutes(m)
    }

    /// A migrated temporary SQLite file, plus a fresh PostgreSQL database
    /// when TEST_DATABASE_URL names a server (scripts/test sets it).
    fn databases(dir: &tempfile::TempDir) -> Vec<AnyConnection> {
        let mut urls = vec![DatabaseUrl::Sqlite(dir.path().join("keys.db"))];
        if crate::db::test_database::on_postgres() {
            let base = std::env::var("TEST_DATABASE_URL").unwrap();
            let url = crate::db::test_database::fresh_postgres_database(&base);
            urls.push(DatabaseUrl::Postgres(url));
        }
        urls.into_iter()
            .map(|url| {
                let mut conn = Manager::new(url).open().unwrap();
                conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
                conn
            })
            .collect()
    }

    fn states(keys: &KeySet, now: NaiveDateTime) -> Vec<(KeyState, bool)> {
        keys.list(now)
            .into_iter()
            .map(|k| (k.state, k.signing))
            .collect()
    }

    #[test]
    fn ensure_rotate_and_delete_expired_on_each_engine() {
        let dir = tempfile::tempdir().unwrap();
        for mut conn in databases(&dir) {
            let conn = &mut conn;
            // Empty table: ensure creates a key that signs at once; a second call adds none.
            let first = ensure(conn, &ours(), at(0, 0), TTL).unwrap();
            let k1 = first.created.clone().unwrap();
            assert_eq!(first.report, LoadReport::default());
            assert_eq!(first.keys.signing_kid(at(0, 0)), Some(k1.as_str()));
            let again = ensure(conn, &ours(), at(0, 1), TTL).unwrap();
            assert_eq!((again.created, again.dropped_next.len()), (None, 0));

            // Scheduled rotation every 30 days: due 10 minutes before day 30.
            assert_eq!(rotate_if_due(conn, &ours(), at(29, 0), 30).unwrap(), None);
            assert_eq!(rotate_if_due(conn, &ours(), at(30, -10), 0).unwrap(), None);
            let k2 = rotate_if_due(conn, &ours(), at(30, -10), 30)
                .unwrap()
                .unwrap();
            assert_eq!(rotate_if_due(conn, &ours(), at(30, -9), 30).unwrap(), None);
            let (keys, _) = load(conn, &ours(), at(30, -5), TTL).unwrap();
            assert_eq!(
                states(&keys, at(30, -5)),
                [(KeyState::Current, true), (KeyState::Next, false)]
            );
            assert_eq!(
                keys.jwks_at(at(30, -5))["keys"].as_array().unwrap().len(),
                2
            );
            assert_eq!(keys.signing_kid(at(30, 0)), Some(k2.as_str()));

            // Immediate rotation on day 31: the day-30 key retires at once.
            let k3 = rotate_now(conn, &ours(), at(31, 0)).unwrap();
            let (keys, _) = load(conn, &ours(), at(31, 0), TTL).unwrap();
            assert_eq!(keys.signing_kid(at(31, 0)), Some(k3.as_str()));
            let listed = keys.list(at(31, 0));
            assert_eq!(listed.len(), 2, "k1 expired 15.5 minutes into day 30");
            assert_eq!(listed[0].kid, k2);
            assert_eq!(listed[0].state, KeyState::Retired);
            assert_eq!(
                listed[0].expires_at,
                Some(at(31, 15) + TimeDelta::seconds(30))
            );

            // k1 expired 15.5 minutes after day 30; k2 15.5 minutes after k3 activated.
            assert_eq!(delete_expired(conn, at(30, 15), TTL).unwrap(), 0);
            assert_eq!(delete_expired(conn, at(30, 16), TTL).unwrap(), 1);
            assert_eq!(delete_expired(conn, at(31, 15), TTL).unwrap(), 0);
            assert_eq!(delete_expired(conn, at(31, 16), TTL).unwrap(), 1);
            let left: Vec<String> = signing_keys::all(conn)
                .unwrap()
                .into_iter()
                .map(|r| r.kid)
                .collect();
            assert_ne!(k1, k3);
            assert_eq!(left, [k3]);
        }
    }

    #[test]
    fn a_changed_secret_gets_a_new_key_and_old_ones_keep_verifying() {
        let dir = tempfile::tempdir().unwrap();
        for mut conn in databases(&dir) {
            let conn = &mut conn;
            let old = ensure(conn, &ours(), at(0, 0), TTL)
                .unwrap()
                .created
                .unwrap();
            let scheduled = rotate_if_due(conn, &ours(), at(30, -10), 30)
                .unwrap()
                .unwrap();

            let other = sealer("a different secret, also 32+ bytes long");
            let ensured = ensure(conn, &other, at(29, 23 * 60 + 55), TTL).unwrap();
            assert_eq!(ensured.report.other_secret, 2);
            assert_eq!(ensured.dropped_next, std::slice::from_ref(&scheduled));
            let new = ensured.created.unwrap();
            let now = at(29, 23 * 60 + 55);
            assert_eq!(ensured.keys.signing_kid(now), Some(new.as_str()));
            assert!(ensured.keys.has_kid(&old), "the old key still verifies");
            assert!(!ensured.keys.has_kid(&scheduled));
            // A process still on the old secret cannot open the new key; it may
            // sign with the old one only while those tokens stay verifiable.
            let (theirs, report) = load(conn, &ours(), now, TTL).unwrap();
            assert_eq!(report.other_secret, 1);
            assert_eq!(theirs.signing_kid(now), Some(old.as_str()));
            assert_eq!(theirs.signing_kid(now + TimeDelta::seconds(31)), None);
        }
    }

    #[test]
    fn a_tampered_row_is_skipped_and_reported_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        for mut conn in databases(&dir) {
            let conn = &mut conn;
            let a = rotate_now(conn, &ours(), at(0, 0)).unwrap();
            let b = rotate_now(conn, &ours(), at(1, 0)).unwrap();
            // Put a's public key into b's row.
            diesel::sql_query(
                "UPDATE signing_keys SET public_x = \
                 (SELECT public_x FROM signing_keys WHERE kid = $1) WHERE kid = $2",
            )
            .bind::<diesel::sql_types::Text, _>(&a)
            .bind::<diesel::sql_types::Text, _>(&b)
            .execute(conn)
            .unwrap();
            let ensured = ensure(conn, &ours(), at(1, 1), TTL).unwrap();
            assert_eq!(ensured.report.tampered, std::slice::from_ref(&b));
            assert!(!ensured.keys.has_kid(&b));
            // With b ignored, a is the current key again: nothing needed creating.
            assert_eq!(ensured.created, None);
            assert_eq!(ensured.keys.signing_kid(at(1, 1)), Some(a.as_str()));
            assert_eq!(delete_expired(conn, at(9, 0), TTL).unwrap(), 0);
            assert_eq!(
                signing_keys::all(conn).unwrap().len(),
                2,
                "left for the operator"
            );
        }
    }

    #[test]
    fn processes_rotating_at_the_same_moment_agree_on_the_signer() {
        let dir = tempfile::tempdir().unwrap();
        for mut conn in databases(&dir) {
            let conn = &mut conn;
            ensure(conn, &ours(), at(0, 0), TTL).unwrap();
            let x = rotate_now(conn, &ours(), at(1, 0)).unwrap();
            let y = rotate_now(conn, &ours(), at(1, 0)).unwrap();
            let winner = x.clone().max(y.clone());
            let (one, _) = load(conn, &ours(), at(1, 0), TTL).unwrap();
            let (two, _) = load(conn, &ours(), at(1, 0), TTL).unwrap();
            assert_eq!(one.signing_kid(at(1, 0)), Some(winner.as_str()));
            assert_eq!(two.signing_kid(at(1, 0)), Some(winner.as_str()));
            assert!(one.has_kid(&x) && one.has_kid(&y), "both verify");
            // Two schedulers read the same rows, both find the rotation due and both
            // insert: two next keys, published together; the same one signs.
            let rows = signing_keys::all(conn).unwrap();
            let due = [at(31, 0), at(31, 0)]
                .map(|now| timeline(&rows).rotation_due(now, TimeDelta::days(30)));
            let activates = due[0].unwrap();
            assert_eq!(due[1], Some(activates));
            let p = insert_new(conn, &ours(), at(31, 0), activates).unwrap();
            let q = insert_new(conn, &ours(), at(31, 0), activates).unwrap();
            let (keys, _) = load(conn, &ours(), at(31, 0), TTL).unwrap();
            assert!(keys.has_kid(&p) && keys.has_kid(&q));
            assert_eq!(keys.signing_kid(activates), Some(p.clone().max(q).as_str()));
        }
    }
}
