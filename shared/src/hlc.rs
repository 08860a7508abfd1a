//! Hybrid logical clocks (混合逻辑时钟) for ordering workflow events across devices.
//!
//! Field devices are offline for hours and their wall clocks drift, so event order cannot rest on
//! wall time alone. A hybrid logical clock keeps close to wall time (so "claimed at 10:05" reads
//! right to a person) while guaranteeing that an event is always ordered after every event its
//! device had seen, even when the device's own clock is behind. Ties between devices are broken by
//! the device id, which makes the order total and identical on every replica.
//!
//! The clock does not read the system time itself: callers pass `now` in through [`Clock`], so
//! tests can run hours of events in microseconds.

use std::cmp::Ordering;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The identifier of an enrolled device (设备). Also the writer identity in record documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(String);

/// What is wrong with a device id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("device id `{0}` is invalid: use 1–64 characters from a–z, A–Z, 0–9, '-' and '_'")]
pub struct InvalidDeviceId(pub String);

impl DeviceId {
    /// Accepts 1–64 ASCII letters, digits, `-` and `_`: device ids appear in event ids and file
    /// names, so they must never contain separators or personal data.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidDeviceId> {
        let id = id.into();
        let well_formed = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Self(id))
        } else {
            Err(InvalidDeviceId(id))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A source of wall-clock time in milliseconds since the Unix epoch. Injected everywhere time
/// matters so that tests control it.
pub trait Clock {
    fn now_ms(&self) -> u64;
}

/// The real system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A timestamp of a hybrid logical clock: wall time in ms, a counter for events within the same
/// millisecond (or while the wall clock lags), and the device that made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub device: DeviceId,
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.device).cmp(&(
            other.wall_ms,
            other.counter,
            &other.device,
        ))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hlc {
    /// A string that sorts like the timestamp itself, for SQL columns and ids.
    pub fn sortable(&self) -> String {
        format!("{:015}.{:06}.{}", self.wall_ms, self.counter, self.device)
    }
}

/// The clock state of one device: the latest timestamp it has issued or observed.
#[derive(Debug, Clone)]
pub struct HlcClock {
    device: DeviceId,
    last_wall_ms: u64,
    last_counter: u32,
}

impl HlcClock {
    pub fn new(device: DeviceId) -> Self {
        Self {
            device,
            last_wall_ms: 0,
            last_counter: 0,
        }
    }

    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// Issues a timestamp for a new local event, later than everything issued or observed.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        if now_ms > self.last_wall_ms {
            self.last_wall_ms = now_ms;
            self.last_counter = 0;
        } else {
            self.bump_counter();
        }
        self.current()
    }

    /// Takes note of a timestamp from another device, so that the next local event is ordered
    /// after it even if this device's wall clock is behind.
    pub fn observe(&mut self, remote: &Hlc) {
        match remote.wall_ms.cmp(&self.last_wall_ms) {
            Ordering::Greater => {
                self.last_wall_ms = remote.wall_ms;
                self.last_counter = remote.counter;
            }
            Ordering::Equal => self.last_counter = self.last_counter.max(remote.counter),
            Ordering::Less => {}
        }
    }

    fn bump_counter(&mut self) {
        // A counter overflow would need 4 billion events within one millisecond; borrowing the
        // next millisecond keeps the order strictly increasing even then.
        match self.last_counter.checked_add(1) {
            Some(next) => self.last_counter = next,
            None => {
                self.last_wall_ms = self.last_wall_ms.saturating_add(1);
                self.last_counter = 0;
            }
        }
    }

    fn current(&self) -> Hlc {
        Hlc {
            wall_ms: self.last_wall_ms,
            counter: self.last_counter,
            device: self.device.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str) -> DeviceId {
        DeviceId::new(name).unwrap()
    }

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_wall_clock_goes_back() {
        let mut clock = HlcClock::new(device("a"));
        let first = clock.tick(1_000);
        let second = clock.tick(900);
        let third = clock.tick(1_000);
        assert!(first < second && second < third);
        assert_eq!(second.wall_ms, 1_000);
    }

    #[test]
    fn an_event_after_observing_a_remote_one_is_ordered_after_it() {
        let mut behind = HlcClock::new(device("behind"));
        let mut ahead = HlcClock::new(device("ahead"));
        let remote = ahead.tick(50_000);
        behind.observe(&remote);
        let local = behind.tick(10_000);
        assert!(local > remote);
    }

    #[test]
    fn equal_times_are_ordered_by_device() {
        let a = HlcClock::new(device("a")).tick(5);
        let b = HlcClock::new(device("b")).tick(5);
        assert!(a < b);
        assert!(a.sortable() < b.sortable());
    }

    #[test]
    fn device_ids_with_separators_are_rejected() {
        assert!(DeviceId::new("tablet-01").is_ok());
        assert!(DeviceId::new("").is_err());
        assert!(DeviceId::new("a/b").is_err());
        assert!(DeviceId::new("13800000000 张三").is_err());
    }
}
