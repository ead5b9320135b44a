//! Brute-force limits on sign-in and sign-up (README, "Rate limits"),
//! counted in the database so every process that shares it enforces one
//! budget: N processes allow each budget once, not N times.
//!
//! Both limits are GCRA buckets: a burst of N = `AUTH_RATE_LIMIT_PER_MIN`,
//! then one more attempt every 60/N seconds; `0` turns both off.
//! - Per client IP (IPv6 per /64): every login or sign-up attempt.
//! - Per account (the normalised email, existing or not, so the answer does not
//!   reveal which accounts exist): failed sign-ins only. A slot is *reserved*
//!   before the secret is checked and *refunded* on success, so N concurrent
//!   wrong guesses cannot all slip through a check-then-count race.
//!
//! Keys are stored as SHA-256 hex. Each attempt is one atomic statement (see
//! `db::rate_limits::take`); the time is the application's clock, so the
//! processes' clocks should agree to within a second or so (NTP).

mod login;

pub use login::{DeferredIpCount, LoginLimit, Refund};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::db::{self, rate_limits, AnyConnection, Pool};
use crate::error::Fault;

/// Longest email kept in an account key: no valid address is longer (RFC 5321).
const MAX_EMAIL_CHARS: usize = 254;
/// Most refused buckets remembered locally; past that, ask the database.
const MAX_REMEMBERED: usize = 10_000;
const MICROS_PER_SEC: i64 = 1_000_000;

/// The sign-in and sign-up limits, shared by all workers of one process.
pub struct AuthLimits {
    rate: Option<Gcra>,
    /// Fast path: bucket -> unix µs until which the database refused it.
    /// Other processes can only push that time later (refused attempts change
    /// nothing, allowed ones push tat forward) — except by a refund, which
    /// can make this process refuse for at most one refill interval too long.
    /// So this can refuse early but never allow beyond the budget.
    refused: Mutex<HashMap<String, i64>>,
}

/// An attempt over the limit: answer 429 with `Retry-After: retry_after_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; retry in {retry_after_secs} s")]
pub struct Throttled {
    /// Seconds until an attempt would be allowed, rounded up, at least 1.
    pub retry_after_secs: u64,
}

/// A per-account slot taken before checking a password or code. Hand it to
/// [`AuthLimits::refund_account`] when the attempt succeeds; dropping it keeps
/// the attempt counted as a failure. Not `Clone`: one refund per reservation.
#[derive(Debug)]
#[must_use = "refund the slot when the sign-in succeeds, or it counts as a failure"]
pub struct AccountSlot {
    bucket: Option<String>,
}

/// GCRA parameters in microseconds: one slot refills every `interval_us`; a
/// full bucket holds `tolerance_us / interval_us + 1` slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gcra {
    interval_us: i64,
    tolerance_us: i64,
}

impl Gcra {
    /// N a minute: a burst of N, then one every 60/N s. `None` for 0 (off).
    fn per_minute(n: u32) -> Option<Self> {
        let n = i64::from(n);
        if n == 0 {
            return None;
        }
        let interval_us = (60 * MICROS_PER_SEC / n).max(1);
        Some(Self {
            interval_us,
            tolerance_us: interval_us * (n - 1),
        })
    }

    /// Takes a slot in the database at `now_us`: `None` if allowed, otherwise
    /// how many µs until one would be.
    fn take(self, conn: &mut AnyConnection, bucket: &str, now_us: i64) -> QueryWait {
        let taken = rate_limits::take(conn, bucket, now_us, self.interval_us, self.tolerance_us)?;
        if taken.is_some() {
            return Ok(None);
        }
        // Refused; the row may have been deleted since (then it is full again).
        let tat = rate_limits::tat(conn, bucket)?;
        Ok(Some(tat.map_or(0, |tat| tat - self.tolerance_us - now_us)))
    }
}

type QueryWait = diesel::QueryResult<Option<i64>>;

impl Throttled {
    /// From a wait in µs: whole seconds rounded up, never 0 (a `Retry-After:
    /// 0` invites an immediate retry that would be refused again).
    fn after_us(wait_us: i64) -> Self {
        let secs = wait_us.max(1).saturating_add(MICROS_PER_SEC - 1) / MICROS_PER_SEC;
        Self {
            retry_after_secs: u64::try_from(secs).unwrap_or(1).max(1),
        }
    }
}

impl AuthLimits {
    /// Limits of `per_min` attempts a minute per IP and failed sign-ins a
    /// minute per account (`AUTH_RATE_LIMIT_PER_MIN`); 0 turns both off.
    pub fn new(per_min: u32) -> Self {
        Self {
            rate: Gcra::per_minute(per_min),
            refused: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one login or sign-up attempt from `ip`. IPv6 clients are counted
    /// per /64, the block one subscriber usually holds, so rotating through
    /// its addresses gains nothing. `Err` only when the database fails.
    pub async fn check_ip(&self, pool: &Pool, ip: IpAddr) -> Result<Result<(), Throttled>, Fault> {
        self.take(pool, ip_bucket(ip)).await
    }

    /// Reserves one failed-attempt slot for the account `email` names (trimmed,
    /// lower-cased, clipped to 254 characters, hashed), before its password or
    /// second-factor code is checked. Refund it if the check succeeds.
    pub async fn reserve_account(
        &self,
        pool: &Pool,
        email: &str,
    ) -> Result<Result<AccountSlot, Throttled>, Fault> {
        if self.rate.is_none() {
            return Ok(Ok(AccountSlot { bucket: None }));
        }
        let bucket = account_bucket(email);
        let verdict = self.take(pool, bucket.clone()).await?;
        Ok(verdict.map(|()| AccountSlot {
            bucket: Some(bucket),
        }))
    }

    /// Gives back a reserved slot: the attempt succeeded, so it was not a failure.
    pub async fn refund_account(&self, pool: &Pool, slot: AccountSlot) -> Result<(), Fault> {
        self.refund(slot).write(pool).await
    }

    /// Forgets locally remembered refusals that have run out, so memory stays
    /// bounded. (Rows are removed by `db::rate_limits::delete_expired`.)
    pub fn forget_idle(&self) {
        let now = now_us();
        self.remembered().retain(|_, until| *until > now);
    }

    async fn take(&self, pool: &Pool, bucket: String) -> Result<Result<(), Throttled>, Fault> {
        let Some(rate) = self.rate else {
            return Ok(Ok(()));
        };
        let now = now_us();
        if let Some(throttled) = self.refused_until(&bucket, now) {
            return Ok(Err(throttled));
        }
        let key = bucket.clone();
        let wait = db::write(pool, move |conn| rate.take(conn, &key, now)).await?;
        Ok(match wait {
            None => Ok(()),
            Some(wait_us) => {
                self.remember(bucket, now.saturating_add(wait_us));
                Err(Throttled::after_us(wait_us))
            }
        })
    }

    /// The refusal this process remembers for `bucket`, if it still holds at `now`.
    fn refused_until(&self, bucket: &str, now: i64) -> Option<Throttled> {
        let until = self.remembered().get(bucket).copied()?;
        (until > now).then(|| Throttled::after_us(until - now))
    }

    fn remember(&self, bucket: String, until: i64) {
        let mut map = self.remembered();
        if map.len() >= MAX_REMEMBERED {
            let now = now_us();
            map.retain(|_, u| *u > now);
        }
        if map.len() < MAX_REMEMBERED {
            map.insert(bucket, until);
        }
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.refused.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The stored bucket name: SHA-256 hex of the key, so every key costs the
/// same 64 characters whatever an attacker sends.
fn bucket(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ip_bucket(ip: IpAddr) -> String {
    let ip = match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    };
    bucket(&format!("ip:{ip}"))
}

fn account_bucket(email: &str) -> String {
    let email: String = email
        .trim()
        .to_lowercase()
        .chars()
        .take(MAX_EMAIL_CHARS)
        .collect();
    bucket(&format!("account:{email}"))
}

/// Logs and counts an attempt the per-IP limit refused (audit event
/// `auth_rate_limited`), wherever the refusal was decided.
pub fn note_ip_refusal(ip: IpAddr, path: &str) {
    tracing::warn!(target: "audit", event = "auth_rate_limited", client_ip = %ip, path = path);
    crate::metrics::get()
        .rate_limited
        .with_label_values(&["ip"])
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// What the `TAKE` statement computes, in Rust: the new tat, or the wait.
    fn model(rate: Gcra, tat: Option<i64>, now: i64) -> Result<i64, i64> {
        let tat = tat.unwrap_or(now).max(now);
        if tat - now <= rate.tolerance_us {
            Ok(tat + rate.interval_us)
        } else {
            Err(tat - rate.tolerance_us - now)
        }
    }

    const SEC: i64 = MICROS_PER_SEC;
    const T0: i64 = 1_800_000_000 * SEC;

    #[test]
    fn gcra_allows_a_burst_of_n_then_one_every_60_over_n_seconds() {
        let rate = Gcra::per_minute(5).unwrap();
        assert_eq!(rate.interval_us, 12 * SEC);
        let mut tat = None;
        for _ in 0..5 {
            tat = Some(model(rate, tat, T0).unwrap());
        }
        assert_eq!(model(rate, tat, T0), Err(12 * SEC), "the sixth waits 12 s");
        assert_eq!(model(rate, tat, T0 + 5 * SEC), Err(7 * SEC));
        tat = Some(model(rate, tat, T0 + 12 * SEC).unwrap());
        assert!(
            model(rate, tat, T0 + 12 * SEC).is_err(),
            "one refilled, one used"
        );
        // After a full minute of quiet the whole burst is back.
        let mut later = tat;
        for _ in 0..5 {
            later = Some(model(rate, later, T0 + 72 * SEC).unwrap());
        }
        assert!(model(rate, later, T0 + 72 * SEC).is_err());
    }

    #[test]
    fn zero_is_off_and_retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(Gcra::per_minute(0), None);
        assert_eq!(Gcra::per_minute(u32::MAX).unwrap().interval_us, 1);
        for (wait_us, secs) in [
            (-5, 1),
            (0, 1),
            (1, 1),
            (SEC, 1),
            (SEC + 1, 2),
            (90 * SEC, 90),
        ] {
            assert_eq!(
                Throttled::after_us(wait_us).retry_after_secs,
                secs,
                "{wait_us}"
            );
        }
    }

    #[test]
    fn keys_are_hashed_ipv6_per_64_and_emails_normalised_and_clipped() {
        assert_eq!(ip_bucket("2001:db8:1:2::1".parse().unwrap()).len(), 64);
        assert_eq!(
            ip_bucket("2001:db8:1:2::1".parse().unwrap()),
            ip_bucket("2001:db8:1:2:ffff::9".parse().unwrap())
        );
        assert_ne!(
            ip_bucket("2001:db8:1:2::1".parse().unwrap()),
            ip_bucket("2001:db8:1:3::1".parse().unwrap())
        );
        // An IPv4 client seen through a dual-stack socket is still one IPv4 address.
        assert_eq!(
            ip_bucket("::ffff:192.0.2.1".parse().unwrap()),
            ip_bucket("192.0.2.1".parse().unwrap())
        );
        assert_ne!(
            ip_bucket("::ffff:192.0.2.1".parse().unwrap()),
            ip_bucket("::ffff:192.0.2.2".parse().unwrap())
        );
        assert_eq!(
            account_bucket(" Victim@Example.COM "),
            account_bucket("victim@example.com")
        );
        let long = "a".repeat(MAX_EMAIL_CHARS);
        assert_eq!(account_bucket(&format!("{long}xyz")), account_bucket(&long));
        assert_ne!(
            account_bucket("victim@example.com"),
            ip_bucket("192.0.2.1".parse().unwrap())
        );
    }

    /// A fresh, migrated database: PostgreSQL when `TEST_DATABASE_URL` is set
    /// (a new database on that server), otherwise a SQLite file in `dir`.
    fn fresh_config(dir: &tempfile::TempDir) -> Config {
        let url = crate::db::test_database::fresh_database_in(dir.path(), "limits.db");
        let vars = HashMap::from([
            ("DATABASE_URL", url),
            (
                "JWT_SECRET",
                "limits-test-secret-limits-test-secret".to_owned(),
            ),
        ]);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        db::run_migrations(&db::build_pool(&config).unwrap()).unwrap();
        config
    }

    fn pool(config: &Config) -> Pool {
        db::build_pool(config).unwrap()
    }

    const IP: &str = "192.0.2.7";

    #[test]
    fn the_sql_decides_exactly_as_the_gcra_model() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&fresh_config(&dir));
        let mut conn = pool.get().unwrap();
        let conn = &mut conn.inner;
        let rate = Gcra::per_minute(4).unwrap();
        let mut tat = None;
        let offsets = [
            0, 0, 1, 2, 3, 4, 14, 15, 16, 29, 30, 31, 45, 60, 200, 200, 200, 200, 200, 201,
        ];
        for (i, secs) in offsets.into_iter().enumerate() {
            let now = T0 + secs * SEC + 7;
            let expected = model(rate, tat, now);
            let got = rate.take(conn, "b", now).unwrap();
            assert_eq!(got, expected.err(), "attempt {i} at +{secs} s");
            if let Ok(new) = expected {
                tat = Some(new);
                assert_eq!(rate_limits::tat(conn, "b").unwrap(), tat);
            }
        }
        // Refunds give a slot back; housekeeping deletes only buckets that are full again.
        assert_eq!(
            rate_limits::give_back(conn, "b", rate.interval_us).unwrap(),
            1
        );
        assert_eq!(
            rate_limits::give_back(conn, "nobody", rate.interval_us).unwrap(),
            0
        );
        let tat = rate_limits::tat(conn, "b").unwrap().unwrap();
        let at = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .naive_utc()
        };
        assert_eq!(rate_limits::delete_expired(conn, at(tat - 1)).unwrap(), 0);
        assert_eq!(rate_limits::delete_expired(conn, at(tat)).unwrap(), 1);
        assert_eq!(rate_limits::tat(conn, "b").unwrap(), None);
    }

    #[tokio::test]
    async fn n_attempts_pass_then_429_with_retry_after_and_zero_turns_limits_off() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&fresh_config(&dir));
        let limits = AuthLimits::new(3);
        let ip: IpAddr = IP.parse().unwrap();
        for _ in 0..3 {
            limits.check_ip(&pool, ip).await.unwrap().unwrap();
        }
        let refused = limits.check_ip(&pool, ip).await.unwrap().unwrap_err();
        assert!((19..=20).contains(&refused.retry_after_secs), "{refused:?}");
        // Answered from the local memory of the refusal, with the same wait.
        let again = limits.check_ip(&pool, ip).await.unwrap().unwrap_err();
        assert!((19..=20).contains(&again.retry_after_secs));
        limits
            .check_ip(&pool, "192.0.2.8".parse().unwrap())
            .await
            .unwrap()
            .unwrap();

        let off = AuthLimits::new(0);
        for _ in 0..20 {
            off.check_ip(&pool, ip).await.unwrap().unwrap();
            let slot = off
                .reserve_account(&pool, "v@example.com")
                .await
                .unwrap()
                .unwrap();
            drop(slot);
        }
    }

    #[tokio::test]
    async fn two_pools_on_one_database_share_one_budget() {
        let dir = tempfile::tempdir().unwrap();
        let config = fresh_config(&dir);
        // Two processes: each its own pool and its own limiter.
        let (pool_a, pool_b) = (pool(&config), pool(&config));
        let (a, b) = (AuthLimits::new(4), AuthLimits::new(4));
        let ip: IpAddr = IP.parse().unwrap();
        for (limits, pool) in [(&a, &pool_a), (&b, &pool_b), (&a, &pool_a), (&b, &pool_b)] {
            limits.check_ip(pool, ip).await.unwrap().unwrap();
        }
        assert!(a.check_ip(&pool_a, ip).await.unwrap().is_err());
        assert!(b.check_ip(&pool_b, ip).await.unwrap().is_err());
        for _ in 0..2 {
            drop(
                a.reserve_account(&pool_a, "Victim@example.com")
                    .await
                    .unwrap()
                    .unwrap(),
            );
            drop(
                b.reserve_account(&pool_b, "victim@example.com ")
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert!(b
            .reserve_account(&pool_b, "VICTIM@example.com")
            .await
            .unwrap()
            .is_err());
    }

    #[tokio::test]
    async fn a_refund_restores_the_slot_a_success_reserved() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&fresh_config(&dir));
        let limits = AuthLimits::new(2);
        for _ in 0..10 {
            let slot = limits
                .reserve_account(&pool, "owner@example.com")
                .await
                .unwrap()
                .unwrap();
            limits.refund_account(&pool, slot).await.unwrap();
        }
        for _ in 0..2 {
            drop(
                limits
                    .reserve_account(&pool, "owner@example.com")
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        let refused = limits
            .reserve_account(&pool, "owner@example.com")
            .await
            .unwrap();
        assert!((29..=30).contains(&refused.unwrap_err().retry_after_secs));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn twenty_concurrent_reserves_with_a_budget_of_five_let_exactly_five_through() {
        let dir = tempfile::tempdir().unwrap();
        let config = fresh_config(&dir);
        let pools = [pool(&config), pool(&config)];
        let limits = [AuthLimits::new(5), AuthLimits::new(5)];
        let attempts = (0..20).map(|i| {
            let (limits, pool) = (&limits[i % 2], &pools[i % 2]);
            async move { limits.reserve_account(pool, "victim@example.com").await }
        });
        let results = futures_util::future::join_all(attempts).await;
        let passed = results
            .into_iter()
            .filter(|r| matches!(r, Ok(Ok(_))))
            .count();
        assert_eq!(passed, 5);
    }

    #[test]
    fn remembered_refusals_are_bounded_and_forgotten_when_they_run_out() {
        let limits = AuthLimits::new(5);
        let now = now_us();
        for i in 0..MAX_REMEMBERED + 10 {
            limits.remember(format!("b{i}"), now + 60 * SEC);
        }
        assert_eq!(limits.remembered().len(), MAX_REMEMBERED);
        limits.remembered().clear();
        limits.remember("past".into(), now - 1);
        limits.remember("future".into(), now + 60 * SEC);
        limits.forget_idle();
        assert_eq!(limits.remembered().keys().collect::<Vec<_>>(), ["future"]);
    }
}
