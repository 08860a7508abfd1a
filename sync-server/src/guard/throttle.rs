//! The lockout table (锁定): failed attempts counted per key, with exponential back-off, in a
//! bounded map. Pure: every call takes the time, so tests run hours of lockouts in microseconds.
//!
//! A key is a [`Kind`] (what was guessed) and a [`Subject`] (who guessed, or what value): the
//! source address, or the SHA-256 of the presented code or token — never the value itself.
//! [`Policy::threshold`] failures within [`Policy::window_ms`] lock the key for
//! [`Policy::first_lock_ms`]; every further lockout of the same key doubles, up to
//! [`Policy::max_lock_ms`]. A key with no failure for [`Policy::forget_ms`] is forgotten (its
//! back-off starts again from the first step). A success clears the failure count of the keys
//! of that attempt only, never another key's, and never the back-off level.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

/// What a failed attempt tried to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A device enrolment code (设备登记码), `POST /v1/enrol`.
    EnrolmentCode,
    /// A console sign-in code (控制台登录码), `POST /console/api/session`.
    SignInCode,
    /// The administrator token (管理员凭证), wherever it is accepted.
    AdminToken,
    /// A device credential (设备凭证), `POST /v1/sync`.
    DeviceCredential,
}

impl Kind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::EnrolmentCode => "设备登记码",
            Kind::SignInCode => "控制台登录码",
            Kind::AdminToken => "管理员凭证",
            Kind::DeviceCredential => "设备凭证",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Kind::EnrolmentCode => "enrolment code",
            Kind::SignInCode => "console sign-in code",
            Kind::AdminToken => "administrator token",
            Kind::DeviceCredential => "device credential",
        }
    }
}

/// Who or what a key counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The peer's address (an IPv6 address reduced to its /64, which one subscriber holds).
    Source(IpAddr),
    /// The SHA-256 of the presented value (a code, token or device credential).
    Credential([u8; 32]),
}

impl Subject {
    /// How a log line or the administrator names the subject: the address, or the first eight
    /// hex digits of the hash (enough to tell keys apart, too few to say anything about the
    /// value).
    pub fn shown(&self) -> String {
        match self {
            Subject::Source(ip) => ip.to_string(),
            Subject::Credential(hash) => hex::encode(&hash[..4]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub kind: Kind,
    pub subject: Subject,
}

/// The numbers of the back-off for one class of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub threshold: u32,
    pub window_ms: i64,
    pub first_lock_ms: i64,
    pub max_lock_ms: i64,
    pub forget_ms: i64,
}

const MIN: i64 = 60_000;

impl Policy {
    /// Codes and the admin token, per source and per value: 10 failures within 15 minutes lock
    /// for 1 minute, then 2, 4, … up to 1 hour (so about 10 guesses an hour once it has
    /// doubled up, well inside ASVS's "no more than 100 an hour"); forgotten after a day
    /// without failures.
    pub const DEFAULT: Policy = Policy {
        threshold: 10,
        window_ms: 15 * MIN,
        first_lock_ms: MIN,
        max_lock_ms: 60 * MIN,
        forget_ms: 24 * 60 * MIN,
    };

    /// Device credentials per source: many devices share one carrier or office address, and a
    /// device credential (256 random bits) cannot be guessed, so only floods are stopped here.
    /// A device whose credential is unknown (a reset ledger) retries every 30 s; its own key locks
    /// after 10 and its refused retries are not counted again, so it adds about 23 failures per
    /// window to its address — several such devices behind one address stay under 100.
    pub const DEVICES_PER_SOURCE: Policy = Policy {
        threshold: 100,
        ..Policy::DEFAULT
    };

    fn of(key: &Key) -> Policy {
        match (key.kind, key.subject) {
            (Kind::DeviceCredential, Subject::Source(_)) => Policy::DEVICES_PER_SOURCE,
            _ => Policy::DEFAULT,
        }
    }

    /// The length of the `lockouts`-th lockout (1-based): doubled each time, up to the cap.
    pub fn lock_ms(&self, lockouts: u32) -> i64 {
        let doublings = lockouts.saturating_sub(1).min(30);
        self.first_lock_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_lock_ms)
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// Shown to the administrator and used to lift the lockout.
    id: u64,
    failures: u32,
    window_start_ms: i64,
    lockouts: u32,
    locked_until_ms: i64,
    last_failure_ms: i64,
}

/// A refusal: the key is locked until `until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub key: Key,
    pub until_ms: i64,
}

impl Locked {
    /// Whole seconds until the lockout ends, at least 1 (for `Retry-After`).
    pub fn retry_after_s(&self, now_ms: i64) -> i64 {
        ((self.until_ms - now_ms).max(1) + 999) / 1000
    }
}

/// What a failure did to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub key: Key,
    /// Failures in the current window (the count that reached the threshold when locked).
    pub failures: u32,
    /// Set when this failure locked the key.
    pub locked_until_ms: Option<i64>,
}

/// A current lockout, as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockout {
    pub id: u64,
    pub kind: Kind,
    /// `source` or `credential`.
    pub subject: &'static str,
    /// The source address, or the first eight hex digits of the value's hash.
    pub key: String,
    /// The failures that locked it (the threshold), and how many lockouts it has had.
    pub failures: u32,
    pub lockouts: u32,
    pub locked_until_ms: i64,
}

/// The keys tracked at most: about 100 bytes each, so the table stays near a megabyte whatever
/// an attacker sends.
pub const MAX_KEYS: usize = 10_000;

/// The table. Not synchronised: [`super::Guard`] holds it under a mutex.
#[derive(Debug)]
pub struct Throttle {
    entries: HashMap<Key, Entry>,
    capacity: usize,
    next_id: u64,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::with_capacity(MAX_KEYS)
    }
}

impl Throttle {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            next_id: 1,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first of `keys` locked at `now_ms`, if any (the one locked longest).
    pub fn check(&self, keys: &[Key], now_ms: i64) -> Option<Locked> {
        keys.iter()
            .filter_map(|key| {
                let entry = self.entries.get(key)?;
                (entry.locked_until_ms > now_ms).then_some(Locked {
                    key: *key,
                    until_ms: entry.locked_until_ms,
                })
            })
            .max_by_key(|locked| locked.until_ms)
    }

    /// Counts a failure against each of `keys`.
    pub fn failed(&mut self, keys: &[Key], now_ms: i64) -> Vec<Counted> {
        keys.iter().map(|key| self.fail_one(*key, now_ms)).collect()
    }

    fn fail_one(&mut self, key: Key, now_ms: i64) -> Counted {
        let policy = Policy::of(&key);
        if !self.entries.contains_key(&key) {
            self.make_room(now_ms);
            let id = self.next_id;
            self.next_id += 1;
            self.entries.insert(
                key,
                Entry {
                    id,
                    failures: 0,
                    window_start_ms: now_ms,
                    lockouts: 0,
                    locked_until_ms: 0,
                    last_failure_ms: now_ms,
                },
            );
        }
        let Some(entry) = self.entries.get_mut(&key) else {
            return Counted {
                key,
                failures: 0,
                locked_until_ms: None,
            };
        };
        if entry.failures == 0 || now_ms - entry.window_start_ms >= policy.window_ms {
            entry.failures = 0;
            entry.window_start_ms = now_ms;
        }
        entry.failures += 1;
        entry.last_failure_ms = now_ms;
        let failures = entry.failures;
        let mut locked_until_ms = None;
        if entry.failures >= policy.threshold {
            entry.lockouts = entry.lockouts.saturating_add(1);
            entry.locked_until_ms = now_ms + policy.lock_ms(entry.lockouts);
            // The next window starts after this lockout.
            entry.failures = 0;
            locked_until_ms = Some(entry.locked_until_ms);
        }
        Counted {
            key,
            failures,
            locked_until_ms,
        }
    }

    /// A success with `keys`: their failure counts start again (their back-off level stays).
    pub fn succeeded(&mut self, keys: &[Key]) {
        for key in keys {
            if let Some(entry) = self.entries.get_mut(key) {
                entry.failures = 0;
                if entry.lockouts == 0 {
                    self.entries.remove(key);
                }
            }
        }
    }

    /// Keeps the table under its capacity: forgets quiet keys, then, while still full, the
    /// key whose last failure is oldest among those not locked (a locked key goes last, so
    /// flooding the table with new keys does not lift a lockout early).
    fn make_room(&mut self, now_ms: i64) {
        if self.entries.len() < self.capacity {
            return;
        }
        self.entries.retain(|key, entry| {
            entry.locked_until_ms > now_ms
                || now_ms - entry.last_failure_ms < Policy::of(key).forget_ms
        });
        while self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| (e.locked_until_ms > now_ms, e.last_failure_ms, e.id))
                .map(|(key, _)| *key);
            match oldest {
                Some(key) => {
                    self.entries.remove(&key);
                }
                None => break,
            }
        }
    }

    /// The keys locked at `now_ms`, the latest lockout first.
    pub fn lockouts(&self, now_ms: i64) -> Vec<Lockout> {
        let mut all: Vec<Lockout> = self
            .entries
            .iter()
            .filter(|(_, e)| e.locked_until_ms > now_ms)
            .map(|(key, e)| Lockout {
                id: e.id,
                kind: key.kind,
                subject: match key.subject {
                    Subject::Source(_) => "source",
                    Subject::Credential(_) => "credential",
                },
                key: key.subject.shown(),
                failures: Policy::of(key).threshold,
                lockouts: e.lockouts,
                locked_until_ms: e.locked_until_ms,
            })
            .collect();
        all.sort_by(|a, b| {
            b.locked_until_ms
                .cmp(&a.locked_until_ms)
                .then(a.id.cmp(&b.id))
        });
        all
    }

    /// Lifts the lockout `id`: the key is forgotten (its back-off starts again). Whether there
    /// was one.
    pub fn lift(&mut self, id: u64) -> Option<Key> {
        let key = self
            .entries
            .iter()
            .find(|(_, e)| e.id == id)
            .map(|(key, _)| *key)?;
        self.entries.remove(&key);
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(last: u8) -> Key {
        Key {
            kind: Kind::EnrolmentCode,
            subject: Subject::Source(IpAddr::from([10, 0, 0, last])),
        }
    }

    const LIMIT: u32 = Policy::DEFAULT.threshold;

    fn fail(throttle: &mut Throttle, key: Key, times: u32, now_ms: i64) -> Option<i64> {
        let mut locked = None;
        for _ in 0..times {
            locked = throttle.failed(&[key], now_ms)[0].locked_until_ms;
        }
        locked
    }

    #[test]
    fn ten_failures_lock_and_each_lockout_doubles_up_to_the_cap() {
        let mut throttle = Throttle::default();
        let key = source(1);
        assert_eq!(fail(&mut throttle, key, LIMIT - 1, 0), None);
        assert_eq!(throttle.check(&[key], 0), None);
        assert_eq!(fail(&mut throttle, key, 1, 0), Some(MIN));
        assert_eq!(
            throttle.check(&[key], 1),
            Some(Locked { key, until_ms: MIN })
        );
        assert_eq!(throttle.check(&[key], MIN), None, "expired");
        let mut now = MIN;
        for expected in [2, 4, 8, 16, 32, 60, 60] {
            assert_eq!(
                fail(&mut throttle, key, LIMIT, now),
                Some(now + expected * MIN)
            );
            now += expected * MIN;
        }
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut throttle = Throttle::default();
        let key = source(1);
        fail(&mut throttle, key, LIMIT - 1, 0);
        assert_eq!(fail(&mut throttle, key, 1, Policy::DEFAULT.window_ms), None);
        assert_eq!(
            fail(&mut throttle, key, LIMIT - 2, Policy::DEFAULT.window_ms + 1),
            None
        );
        assert!(fail(&mut throttle, key, 1, Policy::DEFAULT.window_ms + 2).is_some());
    }

    #[test]
    fn a_success_clears_only_its_own_keys() {
        let mut throttle = Throttle::default();
        let (mine, theirs) = (source(1), source(2));
        fail(&mut throttle, mine, LIMIT - 1, 0);
        fail(&mut throttle, theirs, LIMIT - 1, 0);
        throttle.succeeded(&[mine]);
        assert_eq!(
            fail(&mut throttle, mine, LIMIT - 1, 1),
            None,
            "counted afresh"
        );
        assert!(fail(&mut throttle, theirs, 1, 1).is_some(), "not reset");
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_lockouts_longest() {
        let mut throttle = Throttle::with_capacity(8);
        let locked = source(0);
        fail(&mut throttle, locked, LIMIT, 0);
        for i in 0..1_000u32 {
            let key = Key {
                kind: Kind::SignInCode,
                subject: Subject::Credential({
                    let mut hash = [0u8; 32];
                    hash[..4].copy_from_slice(&i.to_be_bytes());
                    hash
                }),
            };
            throttle.failed(&[key], 1 + i64::from(i));
            assert!(throttle.len() <= 8);
        }
        assert!(throttle.check(&[locked], 2_000).is_some(), "still locked");
    }

    #[test]
    fn a_lifted_lockout_is_forgotten() {
        let mut throttle = Throttle::default();
        let key = source(1);
        fail(&mut throttle, key, LIMIT, 0);
        let shown = throttle.lockouts(1);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].key, "10.0.0.1");
        assert_eq!(throttle.lift(shown[0].id), Some(key));
        assert_eq!(throttle.check(&[key], 1), None);
        assert_eq!(throttle.lift(shown[0].id), None);
        assert_eq!(
            fail(&mut throttle, key, LIMIT, 2),
            Some(2 + MIN),
            "back to 1 min"
        );
    }

    #[test]
    fn a_credential_is_shown_by_a_hash_prefix_only() {
        let subject = Subject::Credential([0xab; 32]);
        assert_eq!(subject.shown(), "abababab");
    }
}
