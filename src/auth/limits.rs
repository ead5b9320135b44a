//! Brute-force limits on login and sign-up (CONTRACT.md section 5), with `governor`.
//!
//! - Per client IP: `AUTH_RATE_LIMIT_PER_MIN` attempts a minute (a GCRA
//!   bucket: a burst of N, then one more every 60/N seconds).
//! - Per account: 10 login attempts, then one more every 90 s, whatever the IP.
//!   An attacker spread over many addresses is slowed to 40 guesses an hour
//!   per account, while the owner is never locked out for longer than 90 s
//!   after the attacker stops.
//!
//! `0` turns both off. Counters are per process: behind a load balancer each
//! process limits on its own (see README, "Deploying").

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A refusal: try again after this many seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

const ACCOUNT_BURST: u32 = 10;
const ACCOUNT_REPLENISH: Duration = Duration::from_secs(90);

/// The two limiters; `None` when limits are off.
pub struct AuthLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl AuthLimits {
    pub fn new(per_min: u32) -> Self {
        let Some(n) = NonZeroU32::new(per_min) else {
            return Self {
                per_ip: None,
                per_account: None,
                clock: DefaultClock::default(),
            };
        };
        let account = Quota::with_period(ACCOUNT_REPLENISH)
            .map(|q| q.allow_burst(NonZeroU32::new(ACCOUNT_BURST).unwrap_or(NonZeroU32::MIN)));
        Self {
            per_ip: Some(RateLimiter::keyed(Quota::per_minute(n))),
            per_account: account.map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one login or sign-up attempt from `ip`; 429 when over the limit.
    /// IPv6 clients are counted per /64, the block one subscriber usually
    /// holds, so rotating through its addresses gains nothing.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Throttled> {
        let ip = match ip {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            v4 => v4,
        };
        match &self.per_ip {
            Some(l) => l
                .check_key(&ip)
                .map_err(|nu| self.limited(nu.wait_time_from(self.clock.now()))),
            None => Ok(()),
        }
    }

    /// Counts one login attempt against the (normalised) email, known or not,
    /// so the answer does not reveal whether the account exists.
    pub fn reserve_account(&self, email: &str) -> Result<(), Throttled> {
        match &self.per_account {
            Some(l) => {
                let key = email.trim().to_lowercase();
                l.check_key(&key)
                    .map_err(|nu| self.limited(nu.wait_time_from(self.clock.now())))
            }
            None => Ok(()),
        }
    }

    /// Gives back a reserved slot after a successful attempt.
    pub fn refund_account(&self, _email: &str) {}

    fn limited(&self, wait: Duration) -> Throttled {
        Throttled {
            retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
        }
    }

    /// Forgets buckets that are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        for l in self.per_ip.iter() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        for l in self.per_account.iter() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_limit_allows_n_then_refuses_with_retry_after() {
        let limits = AuthLimits::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            limits.check_ip(ip).unwrap();
        }
        match limits.check_ip(ip) {
            Err(Throttled { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        limits.check_ip("192.0.2.2".parse().unwrap()).unwrap();
    }

    #[test]
    fn ipv6_addresses_in_one_64_share_a_budget() {
        let limits = AuthLimits::new(1);
        limits.check_ip("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(limits
            .check_ip("2001:db8:1:2:ffff::9".parse().unwrap())
            .is_err());
        limits.check_ip("2001:db8:1:3::1".parse().unwrap()).unwrap();
    }

    #[test]
    fn account_limit_counts_across_addresses_and_zero_disables_all() {
        let limits = AuthLimits::new(1000);
        for _ in 0..ACCOUNT_BURST {
            limits.reserve_account("Victim@Example.com").unwrap();
        }
        assert!(limits.reserve_account("victim@example.com ").is_err());
        let off = AuthLimits::new(0);
        for _ in 0..100 {
            off.check_ip("192.0.2.1".parse().unwrap()).unwrap();
            off.reserve_account("victim@example.com").unwrap();
        }
    }
}
