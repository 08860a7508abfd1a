//! Accepting a device's push: every rule of [`push`], with the whole push's reads and writes
//! batched.
//!
//! A push of a few hundred records used to cost some ten statements per record (the record, each
//! hash and dependency, its events, then each row written). Now the push is decided in four
//! steps: parse every change; read the stored records, the owners of every hash and dependency,
//! and the stored events of the records that gain events — one batched read each; decide each
//! record in order against those reads (and against what the records before it in the same push
//! were given, so a push behaves exactly as its records pushed one after another); then write
//! every row at once ([`LedgerTx::write`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::ChangeHash;

use super::{
    ChangeRow, EventRow, LedgerError, LedgerRecord, LedgerTx, LedgerWrites, Peer, PlacementRow,
    RecordRow, RecordUpdate, in_scope_at, refused_change,
};
use crate::record::{Event, RecordId, TaskStatus, fold};
use crate::sync::admission::Refusal;
use crate::sync::change::ParsedChange;
use crate::sync::message::{Cursor, PushReport, RecordChanges, RejectReason, Rejected};

/// Accepts a device's changes into the ledger. Every change is parsed before anything is
/// written: damaged bytes refuse the whole push. Records outside the device's scope, and changes
/// whose dependencies the ledger lacks, are rejected one record at a time and reported.
///
/// For changes the server made itself (imports, the deadline engine); a device's push goes
/// through [`push_admitted`].
pub fn push(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    cursor: Cursor,
    received_at_ms: i64,
    records: &[RecordChanges],
) -> Result<PushReport, LedgerError> {
    push_admitted(tx, peer, cursor, received_at_ms, records, &HashMap::new())
}

/// [`push`] for a device's changes, after [`crate::sync::admission::admit`] ran on each record
/// outside the transaction: the records in `refused` are rejected with their refusal's reason
/// (after the scope check, so that a device learns nothing of records outside its scope).
pub fn push_admitted(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    cursor: Cursor,
    received_at_ms: i64,
    records: &[RecordChanges],
    refused: &HashMap<RecordId, Refusal>,
) -> Result<PushReport, LedgerError> {
    let mut parsed = Vec::with_capacity(records.len());
    for group in records {
        let changes = group
            .changes
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                ParsedChange::parse(bytes).map_err(|e| refused_change(&group.record, i, &e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        parsed.push((group, changes));
    }
    let (mut known, events_of) = Known::read(tx, &parsed)?;
    let mut writes = Writes::default();
    let mut report = PushReport::default();
    for ((group, changes), events_of) in parsed.iter().zip(events_of) {
        if let Some(reason) = known.push_record(
            tx,
            peer,
            cursor,
            received_at_ms,
            group,
            changes,
            events_of,
            refused.get(&group.record),
            &mut writes,
            &mut report,
        )? {
            report.rejected.push(Rejected {
                record: group.record.clone(),
                reason,
            });
        }
    }
    let rows = writes.rows(&known);
    if !rows.is_empty() {
        tx.write(&rows)?;
    }
    Ok(report)
}

/// What the ledger holds for the records of one push, read in batches and kept up to date as the
/// push's records are decided.
struct Known {
    /// Records as stored before the push.
    stored: HashMap<RecordId, LedgerRecord>,
    /// Records as the push has left them so far (stored or new).
    now: HashMap<RecordId, LedgerRecord>,
    /// The record each known change belongs to: the stored ones asked about and those the push
    /// has accepted.
    owners: HashMap<ChangeHash, RecordId>,
    /// The events of records that gain events, as stored and as added by the push so far.
    events: HashMap<RecordId, Vec<Event>>,
}

/// Each change's events, read once from its operations, and the events map they were read
/// from.
struct EventsOf {
    object: String,
    per_change: Vec<Vec<(String, Event)>>,
}

impl EventsOf {
    fn read(object: &str, changes: &[ParsedChange]) -> Self {
        Self {
            object: object.to_owned(),
            per_change: changes
                .iter()
                .map(|c| c.events(object).into_iter().flatten().collect())
                .collect(),
        }
    }

    fn any(&self) -> bool {
        self.per_change.iter().any(|events| !events.is_empty())
    }
}

impl Known {
    /// Reads what the push needs, and each group's events (from the events map of its stored
    /// record, or of its creation when the ledger lacks the record; `None` when neither).
    fn read(
        tx: &mut dyn LedgerTx,
        parsed: &[(&RecordChanges, Vec<ParsedChange>)],
    ) -> Result<(Self, Vec<Option<EventsOf>>), LedgerError> {
        let mut ids: Vec<&RecordId> = parsed.iter().map(|(group, _)| &group.record).collect();
        ids.sort_unstable();
        ids.dedup();
        let stored = tx.records(&ids)?;
        let mut hashes: Vec<ChangeHash> = parsed
            .iter()
            .flat_map(|(_, changes)| changes)
            .flat_map(|change| std::iter::once(change.hash).chain(change.deps.iter().copied()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let owners = tx.change_owners(&hashes)?;
        let events_of: Vec<Option<EventsOf>> = parsed
            .iter()
            .map(|(group, changes)| {
                let object = match stored.get(&group.record) {
                    Some(record) => Some(record.events_object.clone()),
                    None => changes
                        .first()
                        .and_then(|first| first.creation(&group.record).ok())
                        .map(|creation| creation.events_object),
                };
                object.map(|object| EventsOf::read(&object, changes))
            })
            .collect();
        // Stored records whose changes write events: their stored events are folded with the
        // new ones.
        let mut gaining: Vec<&RecordId> = parsed
            .iter()
            .zip(&events_of)
            .filter(|((group, _), events)| {
                stored.contains_key(&group.record) && events.as_ref().is_some_and(EventsOf::any)
            })
            .map(|((group, _), _)| &group.record)
            .collect();
        gaining.sort_unstable();
        gaining.dedup();
        let mut events = tx.events_of(&gaining)?;
        for id in gaining {
            events.entry(id.clone()).or_default();
        }
        let known = Self {
            now: stored.clone(),
            stored,
            owners,
            events,
        };
        Ok((known, events_of))
    }

    /// Decides one record's changes; returns why the rest were rejected, if they were.
    ///
    /// The changes taken are the leading run whose dependencies the ledger has (or that come
    /// before them); the record's row gets its final unit and status, and its placement when
    /// the unit changed.
    #[allow(clippy::too_many_arguments)]
    fn push_record<'a>(
        &mut self,
        tx: &mut dyn LedgerTx,
        peer: Peer<'a>,
        cursor: Cursor,
        received_at_ms: i64,
        group: &'a RecordChanges,
        changes: &'a [ParsedChange],
        events_of: Option<EventsOf>,
        refusal: Option<&Refusal>,
        writes: &mut Writes<'a>,
        report: &mut PushReport,
    ) -> Result<Option<RejectReason>, LedgerError> {
        let id = &group.record;
        let existing = self.now.get(id).cloned();
        let mut record = match &existing {
            Some(record) => {
                let allowed = peer
                    .scope
                    .contains_at(id, record.unit.as_deref(), Cursor(u64::MAX))
                    || in_scope_at(tx, peer.scope, id, cursor.0)?;
                if !allowed {
                    return Ok(Some(RejectReason::OutOfScope));
                }
                record.clone()
            }
            None => match new_record(id, changes) {
                Ok(record) => record,
                Err(reason) => return Ok(Some(reason)),
            },
        };
        let events_of = match events_of {
            Some(events) if events.object == record.events_object => events,
            _ => EventsOf::read(&record.events_object, changes),
        };
        if existing.is_none() {
            let events: Vec<Event> = events_of
                .per_change
                .iter()
                .flatten()
                .map(|(_, e)| e.clone())
                .collect();
            let unit = fold(&events).unit;
            if !peer
                .scope
                .contains_at(id, unit.as_deref(), Cursor(u64::MAX))
            {
                return Ok(Some(RejectReason::OutOfScope));
            }
        }
        if let Some(refusal) = refusal {
            return Ok(Some(refusal.reason()));
        }
        let events_of = events_of.per_change;
        let mut accepted_here: HashSet<ChangeHash> = HashSet::new();
        let mut accepted: Vec<usize> = Vec::new();
        let mut rejection = None;
        for (index, change) in changes.iter().enumerate() {
            if accepted_here.contains(&change.hash) {
                report.duplicates += 1;
                continue;
            }
            match self.owners.get(&change.hash) {
                Some(owner) if owner == id => {
                    report.duplicates += 1;
                    accepted_here.insert(change.hash);
                    continue;
                }
                Some(_) => {
                    rejection = Some(RejectReason::Invalid {
                        detail: "a change of another record was sent as this record's".to_owned(),
                    });
                    break;
                }
                None => {}
            }
            let deps_present = change
                .deps
                .iter()
                .all(|dep| accepted_here.contains(dep) || self.owners.get(dep) == Some(id));
            if !deps_present {
                rejection = Some(RejectReason::MissingDependencies);
                break;
            }
            accepted_here.insert(change.hash);
            accepted.push(index);
        }
        if accepted.is_empty() {
            return Ok(rejection);
        }
        let mut new_events: BTreeMap<&str, &Event> = BTreeMap::new();
        for &index in &accepted {
            for (key, event) in &events_of[index] {
                new_events.entry(key).or_insert(event);
            }
        }
        let mut placement = None;
        if !new_events.is_empty() || existing.is_none() {
            let events = match self.events.get_mut(id) {
                Some(events) => events,
                // A record new to the ledger has no stored events; a stored one that gains
                // events had them read with the push.
                None => {
                    let stored = match existing {
                        Some(_) => tx.events(id)?,
                        None => Vec::new(),
                    };
                    self.events.entry(id.clone()).or_insert(stored)
                }
            };
            let known: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
            let fresh: Vec<Event> = new_events
                .into_values()
                .filter(|e| !known.contains(e.id.as_str()))
                .cloned()
                .collect();
            events.extend(fresh.iter().cloned());
            let state = fold(events);
            let previous_unit = existing.as_ref().and_then(|r| r.unit.clone());
            if state.unit != previous_unit {
                placement = Some(previous_unit);
            }
            record.unit = state.unit;
            record.status = state.status;
            writes
                .events
                .extend(fresh.into_iter().map(|event| (id, event)));
        }
        let first_seq = tx.allocate_seqs(accepted.len() as u64)?;
        let last_seq = first_seq + accepted.len() as u64 - 1;
        for (&index, seq) in accepted.iter().zip(first_seq..) {
            writes.changes.push(ChangeRow {
                seq,
                hash: &changes[index].hash,
                record: id,
                bytes: &group.changes[index],
                device: peer.device,
                received_at_ms,
            });
            self.owners.insert(changes[index].hash, id.clone());
            report.accepted += 1;
        }
        if let Some(previous_unit) = placement {
            writes.placements.push(PlacementRow {
                record: id,
                seq: last_seq,
                from: previous_unit,
                to: record.unit.clone(),
            });
        }
        if !writes.last_seq.contains_key(id) {
            writes.order.push(id);
        }
        writes.last_seq.insert(id, last_seq);
        self.now.insert(id.clone(), record);
        Ok(rejection)
    }
}

/// The rows a push writes, gathered while its records are decided.
#[derive(Default)]
struct Writes<'a> {
    /// Records the push changed, in the order it first changed them.
    order: Vec<&'a RecordId>,
    /// Each changed record's last accepted change.
    last_seq: HashMap<&'a RecordId, u64>,
    changes: Vec<ChangeRow<'a>>,
    events: Vec<(&'a RecordId, Event)>,
    placements: Vec<PlacementRow<'a>>,
}

impl<'a> Writes<'a> {
    /// The rows to write: each changed record once, with the state the whole push left it in.
    fn rows<'w>(&'w self, known: &Known) -> LedgerWrites<'w>
    where
        'a: 'w,
    {
        let mut rows = LedgerWrites {
            changes: self.changes.clone(),
            events: self
                .events
                .iter()
                .map(|(record, event)| EventRow {
                    record,
                    event,
                    json: None,
                })
                .collect(),
            placements: self.placements.clone(),
            ..LedgerWrites::default()
        };
        for &id in &self.order {
            let (Some(record), Some(&seq)) = (known.now.get(id), self.last_seq.get(id)) else {
                continue;
            };
            match known.stored.get(id) {
                None => rows.new_records.push(RecordRow {
                    id,
                    record: record.clone(),
                    seq,
                }),
                Some(stored) => rows.updated_records.push(RecordUpdate {
                    id,
                    record: record.clone(),
                    seq,
                    unit_changed: stored.unit != record.unit,
                }),
            }
        }
        rows
    }
}

/// Checks a record the ledger has never seen: its first change must create it. (Its unit, from
/// the events that come with it, must also be in the pusher's scope: the caller checks.)
fn new_record(id: &RecordId, changes: &[ParsedChange]) -> Result<LedgerRecord, RejectReason> {
    let Some(first) = changes.first() else {
        return Err(RejectReason::MissingDependencies);
    };
    if !first.deps.is_empty() || !first.creates_record() {
        return Err(RejectReason::MissingDependencies);
    }
    let creation = first.creation(id).map_err(|e| RejectReason::Invalid {
        detail: e.to_string(),
    })?;
    Ok(LedgerRecord {
        kind: creation.kind,
        program: creation.program,
        events_object: creation.events_object,
        unit: None,
        status: TaskStatus::Unclaimed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Action;
    use crate::sync::memory::MemoryLedger;
    use crate::sync::scope::Scope;
    use crate::test_support::Worker;

    fn changes_of(record: &mut crate::record::Record, since: &[ChangeHash]) -> Vec<Vec<u8>> {
        record
            .changes_since(since)
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect()
    }

    /// One push naming a record twice (its creation, then a claim that depends on it), a
    /// record that moves to another town, a change sent again, a change sent under another
    /// record's id and a record outside the scope: the push gives the same report and leaves
    /// the same ledger as its records pushed one at a time.
    #[test]
    fn a_push_decides_as_its_records_pushed_one_by_one() {
        let mut worker = Worker::new("worker-1", "device-1");
        let mut a = worker.person("a", "440115001", "李明", "13800000001", "1");
        let created_a = changes_of(&mut a, &[]);
        let heads = a.heads();
        worker.act(&mut a, 2_000, Action::Claimed);
        let claim_a = changes_of(&mut a, &heads);
        let mut b = worker.person("b", "440115001", "王芳", "13800000002", "2");
        worker.act(
            &mut b,
            3_000,
            Action::Reassigned {
                to_unit: "440115002".into(),
                reason: None,
            },
        );
        let mut b_all = changes_of(&mut b, &[]);
        let mut outside = worker.person("c", "440116001", "赵强", "13800000003", "3");
        let group = |record: &str, changes: Vec<Vec<u8>>| RecordChanges {
            record: RecordId::new(record).unwrap(),
            changes,
        };
        b_all.extend(created_a.clone());
        let groups = vec![
            group("a", created_a.clone()),
            group("b", b_all.clone()),
            group("a", [created_a.clone(), claim_a.clone()].concat()),
            group("d", claim_a.clone()),
            group("c", changes_of(&mut outside, &[])),
        ];
        let scope = Scope::of_units(["440115"]);
        let peer = Peer {
            device: "device-1",
            scope: &scope,
        };
        let mut together = MemoryLedger::new();
        let report = push(&mut together, peer, Cursor(0), 7, &groups).unwrap();
        let mut one_by_one = MemoryLedger::new();
        let mut reports = PushReport::default();
        for group in &groups {
            let r = push(
                &mut one_by_one,
                peer,
                Cursor(0),
                7,
                std::slice::from_ref(group),
            )
            .unwrap();
            reports.accepted += r.accepted;
            reports.duplicates += r.duplicates;
            reports.rejected.extend(r.rejected);
        }
        assert_eq!(report, reports);
        assert_eq!(report.accepted, 4, "{report:?}");
        assert_eq!(together.change_count(), one_by_one.change_count());
        for id in ["a", "b", "c", "d"] {
            let id = RecordId::new(id).unwrap();
            assert_eq!(together.record_row(&id), one_by_one.record_row(&id), "{id}");
        }
        let a_row = together.record_row(&RecordId::new("a").unwrap()).unwrap();
        assert_eq!(a_row.status, TaskStatus::Claimed);
        let b_row = together.record_row(&RecordId::new("b").unwrap()).unwrap();
        assert_eq!(b_row.unit.as_deref(), Some("440115002"));
        let rejected: Vec<&str> = report.rejected.iter().map(|r| r.record.as_str()).collect();
        assert_eq!(rejected, ["b", "d", "c"]);
    }
}
