//! The clock the second-factor flows read: TOTP time steps, and the expiry of
//! mfa tokens and WebAuthn ceremonies. Production uses the system clock;
//! tests hand a manual one to `Application::build_with` (through
//! `Services::clock`) so a code can be checked at an exact time step, and a
//! five-minute lifetime can pass without waiting five minutes.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// A source of "now". Cheap to clone; clones of a manual clock share its time.
#[derive(Clone, Default)]
pub struct Clock {
    /// Microseconds since the Unix epoch, when set by hand; `None`: the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            None => f.write_str("Clock(system)"),
            Some(at) => write!(f, "Clock(manual {} µs)", at.load(Ordering::SeqCst)),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still at `unix_secs` until it is set or advanced.
    pub fn manual(unix_secs: i64) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(
                unix_secs.saturating_mul(1_000_000),
            ))),
        }
    }

    /// Moves a manual clock to `unix_secs` (the system clock ignores this).
    pub fn set(&self, unix_secs: i64) {
        if let Some(at) = &self.manual {
            at.store(unix_secs.saturating_mul(1_000_000), Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward by `secs` (the system clock ignores this).
    pub fn advance(&self, secs: i64) {
        if let Some(at) = &self.manual {
            at.fetch_add(secs.saturating_mul(1_000_000), Ordering::SeqCst);
        }
    }

    /// Now, in microseconds since the Unix epoch.
    fn micros(&self) -> i64 {
        match &self.manual {
            Some(at) => at.load(Ordering::SeqCst),
            None => Utc::now().timestamp_micros(),
        }
    }

    /// Now, in whole seconds since the Unix epoch (what RFC 6238 counts steps from).
    pub fn unix(&self) -> i64 {
        self.micros().div_euclid(1_000_000)
    }

    /// Now as stored: UTC, truncated to microseconds like `db::now()`.
    pub fn now(&self) -> NaiveDateTime {
        DateTime::from_timestamp_micros(self.micros())
            .unwrap_or_default()
            .naive_utc()
            .trunc_subsecs(6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_clones_share_it() {
        let clock = Clock::manual(1_700_000_000);
        let other = clock.clone();
        assert_eq!(clock.unix(), 1_700_000_000);
        other.advance(90);
        assert_eq!(clock.unix(), 1_700_000_090);
        clock.set(59);
        assert_eq!(other.now().and_utc().timestamp(), 59);
    }

    #[test]
    fn the_system_clock_follows_real_time_and_ignores_changes() {
        let clock = Clock::system();
        clock.set(0);
        clock.advance(-1_000_000);
        assert!((clock.unix() - Utc::now().timestamp()).abs() <= 1);
    }
}
