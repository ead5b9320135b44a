//! The sign-in's limits in one write.
//!
//! A sign-in counts against two buckets: its client IP (every attempt) and the
//! account it names (failed attempts, reserved before the password is checked
//! and refunded when it was right). Taken one by one that is a write for the
//! IP, one for the reservation and one for the refund: three `fsync`s on
//! SQLite for every successful sign-in. Here both takes are one transaction,
//! and the refund rides in the transaction that opens the session, so a
//! sign-in adds one small write to what it did without limits.
//!
//! The sign-in routes' middleware (`http::throttle::login_attempts`) leaves a
//! [`DeferredIpCount`] on the request instead of counting the IP itself;
//! [`AuthLimits::reserve_login`] claims it. An attempt that never reaches the
//! check (a malformed body, a bad CSRF token) is counted by the middleware
//! once the answer is known, so every attempt still counts exactly once.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use diesel::Connection;

use super::{account_bucket, ip_bucket, now_us, AccountSlot, AuthLimits, Throttled};
use crate::auth::client::ClientInfo;
use crate::db::{self, rate_limits, AnyConnection, Pool};
use crate::error::Fault;

/// The IP count of one sign-in attempt, not taken yet. Whoever claims it
/// first takes it: the sign-in flow (with the account, in one write) or the
/// middleware afterwards (alone).
#[derive(Debug, Clone, Default)]
pub struct DeferredIpCount(Arc<AtomicBool>);

impl DeferredIpCount {
    /// True for the first caller only.
    pub fn claim(&self) -> bool {
        !self.0.swap(true, Ordering::AcqRel)
    }
}

/// Which limit refused a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginLimit {
    Ip(Throttled),
    Account(Throttled),
}

/// A reserved account slot to give back, inside another write
/// ([`Refund::apply`]) or in one of its own ([`Refund::write`]); empty when
/// there is nothing to give back (limits off).
#[derive(Debug)]
pub struct Refund(Option<(String, i64)>);

impl Refund {
    /// Gives the slot back on `conn`, inside the caller's transaction.
    pub fn apply(&self, conn: &mut AnyConnection) -> diesel::QueryResult<()> {
        match &self.0 {
            Some((bucket, interval_us)) => {
                rate_limits::give_back(conn, bucket, *interval_us).map(drop)
            }
            None => Ok(()),
        }
    }

    /// Gives the slot back in a write of its own.
    pub async fn write(self, pool: &Pool) -> Result<(), Fault> {
        if self.0.is_none() {
            return Ok(());
        }
        db::write(pool, move |conn| self.apply(conn)).await
    }
}

impl AuthLimits {
    /// Refused at once, without a write, when this process already saw the
    /// database refuse `ip` and the wait has not run out.
    pub fn refused_ip_locally(&self, ip: IpAddr) -> Option<Throttled> {
        self.rate?;
        self.refused_until(&ip_bucket(ip), now_us())
    }

    /// [`AuthLimits::reserve_account`] for a sign-in, taking the client's
    /// deferred IP count in the same write when the request carries one.
    pub async fn reserve_login(
        &self,
        pool: &Pool,
        client: &ClientInfo,
        email: &str,
    ) -> Result<Result<AccountSlot, LoginLimit>, Fault> {
        let deferred = client
            .deferred_ip
            .as_ref()
            .is_some_and(DeferredIpCount::claim);
        let Some(rate) = self.rate.filter(|_| deferred) else {
            // No IP count to take here: the account alone, as before.
            return Ok(self
                .reserve_account(pool, email)
                .await?
                .map_err(LoginLimit::Account));
        };
        let (ip, account) = (ip_bucket(client.ip), account_bucket(email));
        let now = now_us();
        if let Some(throttled) = self.refused_until(&ip, now) {
            return Ok(Err(LoginLimit::Ip(throttled)));
        }
        if let Some(throttled) = self.refused_until(&account, now) {
            // The account is refused without a write, but the attempt still
            // counts against its address, as every attempt does.
            return Ok(Err(match self.take(pool, ip).await? {
                Err(ip_refused) => LoginLimit::Ip(ip_refused),
                Ok(()) => LoginLimit::Account(throttled),
            }));
        }
        let (ip_key, account_key) = (ip.clone(), account.clone());
        let waits = db::write(pool, move |conn| {
            conn.transaction::<_, diesel::result::Error, _>(|conn| {
                if let Some(wait) = rate.take(conn, &ip_key, now)? {
                    return Ok((Some(wait), None));
                }
                Ok((None, rate.take(conn, &account_key, now)?))
            })
        })
        .await?;
        Ok(match waits {
            (Some(wait), _) => {
                self.remember(ip, now.saturating_add(wait));
                Err(LoginLimit::Ip(Throttled::after_us(wait)))
            }
            (None, Some(wait)) => {
                self.remember(account, now.saturating_add(wait));
                Err(LoginLimit::Account(Throttled::after_us(wait)))
            }
            (None, None) => Ok(AccountSlot {
                bucket: Some(account),
            }),
        })
    }

    /// The refund of `slot`, to give back in a write (the session's insert,
    /// or its own).
    pub fn refund(&self, slot: AccountSlot) -> Refund {
        let (Some(rate), Some(bucket)) = (self.rate, slot.bucket) else {
            return Refund(None);
        };
        self.remembered().remove(&bucket);
        Refund(Some((bucket, rate.interval_us)))
    }
}
