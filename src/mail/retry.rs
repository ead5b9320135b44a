//! How the mail worker paces itself: when a failed delivery is tried again
//! and when it is given up (`RetryPolicy`), how long a claim holds and how
//! often the outbox is looked at (`WorkerSettings`).

use std::time::Duration;

/// When to try again after a failed attempt, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure (short, so a relay blip costs seconds).
    pub first_delay: Duration,
    /// Each further wait is this many times the previous one…
    pub factor: u32,
    /// …up to this.
    pub max_delay: Duration,
    /// Attempts in all, the first included; then the message is `failed`.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 8 attempts; waits of 2 s, 8 s, 32 s, ~2 min, ~8.5 min, ~34 min, 1 h:
    /// about 1 h 45 min from the first attempt to giving up, by which time a
    /// reset link (1 h) would have expired anyway.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(2),
            factor: 4,
            max_delay: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed attempts (1 = after the first).
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0);
        let factor = self.factor.max(1).saturating_pow(exponent);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// How one worker runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    pub retry: RetryPolicy,
    /// How long a claim holds. Longer than one delivery can take (SMTP's
    /// per-command timeout is 30 s); a process that dies mid-delivery delays
    /// that message by this much.
    pub lease: Duration,
    /// Longest sleep between looks at the table.
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(300),
            idle_poll: Duration::from_secs(10),
        }
    }
}
