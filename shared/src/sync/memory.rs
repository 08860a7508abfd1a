//! A ledger held in memory: the reference implementation of [`LedgerTx`], for protocol tests and
//! for tools that need a throw-away server. Not durable.

use std::collections::{BTreeMap, HashMap};

use automerge::ChangeHash;

use super::ledger::{ChangeRow, LedgerError, LedgerRecord, LedgerTx};
use super::scope::Scope;
use crate::record::{Event, RecordId};

#[derive(Debug, Clone)]
struct StoredChange {
    record: RecordId,
    bytes: Vec<u8>,
    device: String,
}

/// The whole ledger. Cloning it is how a test takes a snapshot or simulates a crash before
/// commit (work on a clone, keep or drop it).
#[derive(Debug, Clone, Default)]
pub struct MemoryLedger {
    last_seq: u64,
    changes: BTreeMap<u64, StoredChange>,
    by_hash: HashMap<ChangeHash, RecordId>,
    records: HashMap<RecordId, LedgerRecord>,
    events: HashMap<RecordId, BTreeMap<String, Event>>,
    /// (seq, record, from, to)
    placements: Vec<(u64, RecordId, Option<String>, Option<String>)>,
    /// When each change was received, by sequence number.
    pub received_at_ms: BTreeMap<u64, i64>,
}

impl MemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// The ledger's view of a record.
    pub fn record_row(&self, id: &RecordId) -> Option<&LedgerRecord> {
        self.records.get(id)
    }

    pub fn change_count(&self) -> usize {
        self.changes.len()
    }

    /// Every record id the ledger holds.
    pub fn record_ids(&self) -> impl Iterator<Item = &RecordId> {
        self.records.keys()
    }
}

impl LedgerTx for MemoryLedger {
    fn allocate_seq(&mut self) -> Result<u64, LedgerError> {
        self.last_seq += 1;
        Ok(self.last_seq)
    }

    fn max_seq(&mut self) -> Result<u64, LedgerError> {
        Ok(self.last_seq)
    }

    fn change_owner(&mut self, hash: &ChangeHash) -> Result<Option<RecordId>, LedgerError> {
        Ok(self.by_hash.get(hash).cloned())
    }

    fn insert_change(&mut self, row: ChangeRow<'_>) -> Result<(), LedgerError> {
        self.by_hash.insert(*row.hash, row.record.clone());
        self.received_at_ms.insert(row.seq, row.received_at_ms);
        self.changes.insert(
            row.seq,
            StoredChange {
                record: row.record.clone(),
                bytes: row.bytes.to_vec(),
                device: row.device.to_owned(),
            },
        );
        Ok(())
    }

    fn record(&mut self, id: &RecordId) -> Result<Option<LedgerRecord>, LedgerError> {
        Ok(self.records.get(id).cloned())
    }

    fn insert_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        _seq: u64,
    ) -> Result<(), LedgerError> {
        self.records.insert(id.clone(), record.clone());
        Ok(())
    }

    fn update_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        _seq: u64,
        _unit_changed: bool,
    ) -> Result<(), LedgerError> {
        if let Some(stored) = self.records.get_mut(id) {
            stored.unit.clone_from(&record.unit);
            stored.status = record.status;
        }
        Ok(())
    }

    fn events(&mut self, id: &RecordId) -> Result<Vec<Event>, LedgerError> {
        Ok(self
            .events
            .get(id)
            .map(|events| events.values().cloned().collect())
            .unwrap_or_default())
    }

    fn insert_events(&mut self, id: &RecordId, events: &[Event]) -> Result<(), LedgerError> {
        let stored = self.events.entry(id.clone()).or_default();
        for event in events {
            stored
                .entry(event.id.to_string())
                .or_insert_with(|| event.clone());
        }
        Ok(())
    }

    fn insert_placement(
        &mut self,
        id: &RecordId,
        seq: u64,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.placements.push((
            seq,
            id.clone(),
            from.map(str::to_owned),
            to.map(str::to_owned),
        ));
        Ok(())
    }

    fn unit_at(&mut self, id: &RecordId, seq: u64) -> Result<Option<String>, LedgerError> {
        Ok(self
            .placements
            .iter()
            .filter(|(at, record, _, _)| record == id && *at <= seq)
            .max_by_key(|(at, ..)| *at)
            .and_then(|(_, _, _, to)| to.clone()))
    }

    fn candidate_changes(
        &mut self,
        scope: &Scope,
        exclude_device: &str,
        after: u64,
        upto: u64,
        limit: u32,
    ) -> Result<Vec<(u64, RecordId, Vec<u8>)>, LedgerError> {
        Ok(self
            .changes
            .range(after + 1..=upto)
            .filter(|(_, change)| change.device != exclude_device)
            .filter(|(_, change)| {
                let unit = self
                    .records
                    .get(&change.record)
                    .and_then(|r| r.unit.as_deref());
                scope.records.contains_key(&change.record)
                    || unit.is_some_and(|u| scope.covers_unit(u))
            })
            .take(limit as usize)
            .map(|(seq, change)| (*seq, change.record.clone(), change.bytes.clone()))
            .collect())
    }

    fn placed_between(&mut self, after: u64, upto: u64) -> Result<Vec<RecordId>, LedgerError> {
        Ok(self
            .placements
            .iter()
            .filter(|(at, ..)| *at > after && *at <= upto)
            .map(|(_, id, _, _)| id.clone())
            .collect())
    }

    fn moved_out_of(
        &mut self,
        scope: &Scope,
        after: u64,
        upto: u64,
    ) -> Result<Vec<RecordId>, LedgerError> {
        Ok(self
            .placements
            .iter()
            .filter(|(at, _, from, _)| {
                *at > after && *at <= upto && from.as_deref().is_some_and(|u| scope.covers_unit(u))
            })
            .map(|(_, id, _, _)| id.clone())
            .collect())
    }

    fn changes_of(
        &mut self,
        id: &RecordId,
        after: u64,
        upto: u64,
        exclude_device: Option<&str>,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        Ok(self
            .changes
            .range(after + 1..=upto)
            .filter(|(_, c)| &c.record == id && Some(c.device.as_str()) != exclude_device)
            .map(|(_, c)| c.bytes.clone())
            .collect())
    }
}
