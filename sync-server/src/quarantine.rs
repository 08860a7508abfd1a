//! Records the server cannot read (隔离记录), and the order of each device's pushes.
//!
//! Since pushes are admitted by applying them (`outpost_shared::sync::admission`), no change
//! that breaks a record is stored any more. A ledger written before that, or restored from
//! elsewhere, may still hold such a record. Whoever meets one — a console read, an export, the
//! deadline engine, a push — notes it here and goes on without it: lists and exports leave it
//! out and say how many they left out, pushes to it are refused with a reason, and the
//! administrator sees the list (`GET /console/api/admin/quarantine`). Nothing is deleted: the
//! record's changes stay in the ledger for whoever repairs it.
//!
//! The list is kept in memory and bounded; after a restart it fills again as the records are
//! met, which the first console read or engine pass does.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use outpost_shared::record::RecordId;
use serde::Serialize;

/// The most records the list keeps; past it the oldest entries go (they are met again).
const MAX_ENTRIES: usize = 10_000;

/// One unreadable record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedRecord {
    pub record: String,
    /// What failed, as Automerge or the record layer said it (never field values).
    pub detail: String,
    /// Where it was met first: `console`, `engine`, `sync`, or `device` (a device reported it
    /// could not apply what it received).
    pub found_by: &'static str,
    pub first_seen_ms: i64,
}

/// The records the server met and could not read.
#[derive(Debug, Default)]
pub struct Quarantine {
    entries: Mutex<BTreeMap<String, QuarantinedRecord>>,
}

impl Quarantine {
    fn entries(&self) -> MutexGuard<'_, BTreeMap<String, QuarantinedRecord>> {
        // Only this module touches the map, and nothing in it panics while holding it.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that `record` cannot be read. Logged once, by id only.
    pub fn note(&self, record: &RecordId, detail: &str, found_by: &'static str, now_ms: i64) {
        let mut entries = self.entries();
        if entries.contains_key(record.as_str()) {
            return;
        }
        tracing::error!(record = %record, found_by, "record cannot be read; quarantined");
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .values()
                .min_by_key(|e| e.first_seen_ms)
                .map(|e| e.record.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            record.as_str().to_owned(),
            QuarantinedRecord {
                record: record.as_str().to_owned(),
                detail: detail.chars().take(300).collect(),
                found_by,
                first_seen_ms: now_ms,
            },
        );
    }

    pub fn contains(&self, record: &RecordId) -> bool {
        self.entries().contains_key(record.as_str())
    }

    /// Every quarantined record, by id.
    pub fn list(&self) -> Vec<QuarantinedRecord> {
        self.entries().values().cloned().collect()
    }
}

/// Where a read notes the records it cannot load, and when: handed down to the console's and
/// the engine's reads.
#[derive(Debug, Clone, Copy)]
pub struct Noter<'a> {
    pub quarantine: &'a Quarantine,
    pub found_by: &'static str,
    pub now_ms: i64,
}

impl Noter<'_> {
    pub fn note(&self, record: &RecordId, detail: &str) {
        self.quarantine
            .note(record, detail, self.found_by, self.now_ms);
    }
}

/// How many stripes [`PushTurns`] has: enough that unrelated devices rarely wait for each
/// other, few enough to be a fixed array.
const STRIPES: usize = 64;

/// Keeps one device's sync exchanges in order. A push is admitted against the record as read
/// before the ledger transaction; only the same device can add changes of its own actor, so
/// with its exchanges one at a time, what was admitted still holds when it is written. Devices
/// are spread over a fixed set of locks by their credential's hash.
#[derive(Debug)]
pub struct PushTurns {
    stripes: [Mutex<()>; STRIPES],
}

impl Default for PushTurns {
    fn default() -> Self {
        Self {
            stripes: std::array::from_fn(|_| Mutex::new(())),
        }
    }
}

impl PushTurns {
    /// Waits for the device's turn; the turn lasts as long as the guard.
    pub fn turn(&self, credential_hash: &str) -> MutexGuard<'_, ()> {
        let index = credential_hash.bytes().fold(0usize, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(usize::from(b))
        }) % STRIPES;
        // The guarded section catches Automerge's panics itself; a poisoned stripe only means a
        // panic elsewhere, and the unit value it guards cannot be left inconsistent.
        self.stripes[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_listed_once_with_where_it_was_first_met() {
        let quarantine = Quarantine::default();
        let id = RecordId::new("b1-0001").unwrap();
        quarantine.note(&id, "duplicate seq", "console", 10);
        quarantine.note(&id, "other", "engine", 20);
        let list = quarantine.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].found_by, "console");
        assert_eq!(list[0].first_seen_ms, 10);
        assert!(quarantine.contains(&id));
    }
}
