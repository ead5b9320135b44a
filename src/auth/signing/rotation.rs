//! The key timeline: which key is next, current or retired at a moment, when
//! a retired key stops verifying, and when the scheduled rotation is due.
//! Pure functions of the stored `(kid, activates_at)` pairs and `now`, so
//! every process on one database reaches the same answers without talking
//! to the others.

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::{JWKS_MAX_AGE, RETIRE_LEEWAY};

/// Where a key stands at a moment (`taskgate keys list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published and verifying; signs from its `activates_at`.
    Next,
    /// The latest activated key: the one that signs.
    Current,
    /// A later key has activated; still verifies what it signed until it expires.
    Retired,
}

/// One key's place in the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub kid: String,
    pub activates_at: NaiveDateTime,
    /// Activation of the key right after this one in `(activates_at, kid)`
    /// order: the moment this key stops being current.
    pub successor: Option<NaiveDateTime>,
}

/// `t + d`, saturating instead of panicking on absurd configurations.
pub fn add(t: NaiveDateTime, d: TimeDelta) -> NaiveDateTime {
    t.checked_add_signed(d).unwrap_or(NaiveDateTime::MAX)
}

/// A `std` duration as chrono's, saturating.
pub fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Slot {
    /// The key's state at `now`.
    pub fn state(&self, now: NaiveDateTime) -> KeyState {
        if self.activates_at > now {
            KeyState::Next
        } else if self.successor.is_some_and(|s| s <= now) {
            KeyState::Retired
        } else {
            KeyState::Current
        }
    }

    /// Until when the key verifies: the last token it can have signed was
    /// signed when its successor activated, so it has expired `ttl` later;
    /// `RETIRE_LEEWAY` covers clock skew and processes that reload late.
    /// `None`: no successor yet, verifies indefinitely.
    pub fn verify_until(&self, ttl: TimeDelta) -> Option<NaiveDateTime> {
        self.successor
            .map(|s| add(add(s, ttl), delta(RETIRE_LEEWAY)))
    }

    /// True once the key may be deleted and no longer verifies.
    pub fn is_expired(&self, now: NaiveDateTime, ttl: TimeDelta) -> bool {
        self.verify_until(ttl).is_some_and(|until| until <= now)
    }

    /// True when a token signed now (valid for `ttl`) would still verify
    /// until it expires: activated, and not so far past its successor's
    /// activation that its tokens would outlive it.
    pub fn may_sign(&self, now: NaiveDateTime, ttl: TimeDelta) -> bool {
        self.activates_at <= now && self.verify_until(ttl).is_none_or(|u| add(now, ttl) <= u)
    }
}

/// All keys in `(activates_at, kid)` order, each with its successor.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    slots: Vec<Slot>,
}

impl Timeline {
    /// Orders the keys; the caller passes only sound rows (see `keypair::check_public`).
    pub fn new(keys: impl IntoIterator<Item = (String, NaiveDateTime)>) -> Self {
        let mut keys: Vec<(String, NaiveDateTime)> = keys.into_iter().collect();
        keys.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        let successors: Vec<Option<NaiveDateTime>> = keys
            .iter()
            .skip(1)
            .map(|k| Some(k.1))
            .chain([None])
            .collect();
        let slots = keys
            .into_iter()
            .zip(successors)
            .map(|((kid, activates_at), successor)| Slot {
                kid,
                activates_at,
                successor,
            })
            .collect();
        Self { slots }
    }

    /// Every key, oldest activation first.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The latest activated key at `now`, whether or not this process can open it.
    pub fn current(&self, now: NaiveDateTime) -> Option<&Slot> {
        self.slots.iter().rev().find(|s| s.activates_at <= now)
    }

    /// True when a key is waiting to activate.
    pub fn has_next(&self, now: NaiveDateTime) -> bool {
        self.slots.iter().any(|s| s.activates_at > now)
    }

    /// Keys past their verification window: safe to delete.
    pub fn expired(&self, now: NaiveDateTime, ttl: TimeDelta) -> Vec<String> {
        self.slots
            .iter()
            .filter(|s| s.is_expired(now, ttl))
            .map(|s| s.kid.clone())
            .collect()
    }

    /// When the scheduled rotation is due at `now`, the activation time of the
    /// next key to create; otherwise `None`. Due once no next key exists and
    /// `now` is within two JWKS max-ages of the current key's
    /// `activates_at + every`; the new key activates at that moment but never
    /// sooner than two max-ages from now, so every cached JWKS has seen it
    /// before it signs. `every` of zero or less: never.
    pub fn rotation_due(&self, now: NaiveDateTime, every: TimeDelta) -> Option<NaiveDateTime> {
        if every <= TimeDelta::zero() || self.has_next(now) {
            return None;
        }
        let current = self.current(now)?;
        let notice = delta(JWKS_MAX_AGE) * 2;
        let target = add(current.activates_at, every);
        (now >= target - notice).then(|| target.max(add(now, notice)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes after a fixed origin.
    fn t(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + TimeDelta::minutes(minutes)
    }

    const TTL: TimeDelta = TimeDelta::minutes(15);

    fn timeline(keys: &[(&str, i64)]) -> Timeline {
        Timeline::new(keys.iter().map(|(k, m)| (k.to_string(), t(*m))))
    }

    fn states(tl: &Timeline, now: NaiveDateTime) -> Vec<(String, KeyState)> {
        tl.slots()
            .iter()
            .map(|s| (s.kid.clone(), s.state(now)))
            .collect()
    }

    #[test]
    fn states_follow_activation_order() {
        let tl = timeline(&[("c", 100), ("a", 0), ("b", 50)]);
        use KeyState::*;
        let at = |m| states(&tl, t(m));
        let s = |v: [(&str, KeyState); 3]| v.map(|(k, st)| (k.to_owned(), st)).to_vec();
        assert_eq!(at(10), s([("a", Current), ("b", Next), ("c", Next)]));
        assert_eq!(at(50), s([("a", Retired), ("b", Current), ("c", Next)]));
        assert_eq!(at(200), s([("a", Retired), ("b", Retired), ("c", Current)]));
        assert_eq!(tl.current(t(-1)), None);
        assert_eq!(tl.current(t(60)).unwrap().kid, "b");
    }

    #[test]
    fn equal_activation_times_are_ordered_by_kid() {
        // Two processes rotated at the same moment: the greater kid wins everywhere.
        let tl = timeline(&[("zz", 10), ("aa", 10), ("old", 0)]);
        assert_eq!(tl.current(t(10)).unwrap().kid, "zz");
        assert_eq!(tl.slots()[1].state(t(10)), KeyState::Retired);
        assert_eq!(
            tl.slots()[1].verify_until(TTL),
            Some(t(10) + TTL + TimeDelta::seconds(30))
        );
    }

    #[test]
    fn a_retired_key_verifies_until_successor_plus_ttl_plus_leeway() {
        let tl = timeline(&[("a", 0), ("b", 60)]);
        let a = &tl.slots()[0];
        let until = t(60) + TTL + TimeDelta::seconds(30);
        assert_eq!(a.verify_until(TTL), Some(until));
        assert!(!a.is_expired(until - TimeDelta::seconds(1), TTL));
        assert!(a.is_expired(until, TTL));
        assert!(tl.expired(until - TimeDelta::seconds(1), TTL).is_empty());
        assert_eq!(tl.expired(until, TTL), vec!["a".to_owned()]);
        assert_eq!(
            tl.slots()[1].verify_until(TTL),
            None,
            "the newest never expires"
        );
    }

    #[test]
    fn a_key_signs_only_tokens_it_will_verify_until_they_expire() {
        let tl = timeline(&[("a", 0), ("b", 60)]);
        let a = &tl.slots()[0];
        assert!(!a.may_sign(t(-1), TTL), "not yet active");
        assert!(a.may_sign(t(59), TTL));
        assert!(a.may_sign(t(60) + TimeDelta::seconds(30), TTL), "leeway");
        assert!(!a.may_sign(t(60) + TimeDelta::seconds(31), TTL));
        assert!(tl.slots()[1].may_sign(t(60), TTL));
    }

    #[test]
    fn scheduled_rotation_publishes_ahead_of_activation() {
        let every = TimeDelta::days(30);
        let notice = TimeDelta::minutes(10);
        let tl = timeline(&[("a", 0)]);
        let target = t(0) + every;
        assert_eq!(
            tl.rotation_due(target - notice - TimeDelta::seconds(1), every),
            None
        );
        assert_eq!(tl.rotation_due(target - notice, every), Some(target));
        // Late (the server was down): activation is pushed out to two max-ages from now.
        let late = target + TimeDelta::days(3);
        assert_eq!(tl.rotation_due(late, every), Some(late + notice));
        // A next key already waiting: nothing to do, whoever created it.
        let tl = timeline(&[("a", 0), ("b", 30 * 24 * 60)]);
        assert_eq!(tl.rotation_due(target - notice, every), None);
        // Once it activates, the schedule counts from it.
        assert_eq!(tl.rotation_due(target, every), None);
        assert_eq!(
            tl.rotation_due(target + every - notice, every),
            Some(target + every)
        );
    }

    #[test]
    fn rotation_never_when_disabled_or_without_a_current_key() {
        let tl = timeline(&[("a", 0)]);
        assert_eq!(tl.rotation_due(t(100_000_000), TimeDelta::zero()), None);
        assert_eq!(timeline(&[]).rotation_due(t(0), TimeDelta::days(1)), None);
        assert_eq!(
            timeline(&[("a", 10)]).rotation_due(t(0), TimeDelta::days(1)),
            None
        );
    }
}
