//! The server side of an exchange, as one algorithm over a storage trait.
//!
//! [`push`] and [`pull_page`] hold every protocol rule — deduplication by hash, dependency
//! checks, the scope test on every record that goes in or out, paging — and the storage
//! implementations (SQLite, PostgreSQL, and [`super::memory`] for tests) only store and fetch
//! rows. *Invariant:* no record leaves the server except through [`pull_page`], and
//! [`pull_page`] sends nothing that fails [`Scope::contains_at`].
//!
//! Ledger positions: every accepted change gets the next sequence number. Writers are
//! serialized (the storage's [`LedgerTx::allocate_seq`] holds a lock until commit), so sequence
//! order is commit order and a reader that saw position *n* has seen everything up to *n*. The
//! sequence is also a causal order: a change is accepted only after the changes it depends on.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::ChangeHash;
use thiserror::Error;

use super::change::{ChangeError, ParsedChange};
use super::message::{
    Cursor, ErrorBody, PageLimits, PullItem, PushReport, RecordChanges, RejectReason, Rejected,
};
use super::scope::Scope;
use crate::record::{CreatedRecord, Event, RecordId, RecordKind, TaskStatus, fold};

/// A record as the ledger tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRecord {
    pub kind: RecordKind,
    pub program: String,
    /// The Automerge object id of the record's events map (see [`super::change`]).
    pub events_object: String,
    /// The unit that holds the record now (from the fold of its events).
    pub unit: Option<String>,
    pub status: TaskStatus,
}

/// One change as the ledger stores it.
#[derive(Debug, Clone, Copy)]
pub struct ChangeRow<'a> {
    pub seq: u64,
    pub hash: &'a ChangeHash,
    pub record: &'a RecordId,
    pub bytes: &'a [u8],
    /// The device that pushed it.
    pub device: &'a str,
    /// When the server received it (ms since the epoch, server clock).
    pub received_at_ms: i64,
}

/// A record new to the ledger with the rows that come with it (see
/// [`LedgerTx::insert_new_records`]).
#[derive(Debug, Clone)]
pub struct NewRecordRows<'a> {
    pub record: LedgerRecord,
    /// Its creating change; `change.seq` is also the record's `updated_seq` and the placement's.
    pub change: ChangeRow<'a>,
    pub events: &'a [Event],
}

#[derive(Debug, Error)]
pub enum LedgerError {
    /// The request is wrong; nothing was changed. The body says why, for the device's user.
    #[error("{}", .0.message)]
    Refused(ErrorBody),
    #[error("ledger storage error: {0}")]
    Storage(String),
}

impl LedgerError {
    pub fn storage(error: impl std::fmt::Display) -> Self {
        Self::Storage(error.to_string())
    }
}

/// The rows the protocol reads and writes, inside one storage transaction.
pub trait LedgerTx {
    /// Takes the next sequence number, and holds the writer lock until commit.
    fn allocate_seq(&mut self) -> Result<u64, LedgerError>;
    /// The highest committed sequence number (0 when empty).
    fn max_seq(&mut self) -> Result<u64, LedgerError>;
    /// The record a change (by hash) belongs to, if the ledger has it.
    fn change_owner(&mut self, hash: &ChangeHash) -> Result<Option<RecordId>, LedgerError>;
    fn insert_change(&mut self, row: ChangeRow<'_>) -> Result<(), LedgerError>;
    fn record(&mut self, id: &RecordId) -> Result<Option<LedgerRecord>, LedgerError>;
    /// Stores a record the ledger does not hold yet, changed last at `seq`.
    fn insert_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
    ) -> Result<(), LedgerError>;
    /// Sets a stored record's unit and status, changed last at `seq`. `unit_changed` false says
    /// the unit is the stored one, so a store can leave the unit index alone.
    fn update_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
        unit_changed: bool,
    ) -> Result<(), LedgerError>;
    /// The record's stored events.
    fn events(&mut self, id: &RecordId) -> Result<Vec<Event>, LedgerError>;
    /// Stores events; an event id already stored for the record is left as it is.
    fn insert_events(&mut self, id: &RecordId, events: &[Event]) -> Result<(), LedgerError>;
    /// Stores records new to the ledger, each with its one creating change, its events and its
    /// first placement (from no unit to `record.unit`) — the rows [`insert_created`] writes. A
    /// store may write many rows per statement; the default writes them one at a time.
    fn insert_new_records(&mut self, rows: &[NewRecordRows<'_>]) -> Result<(), LedgerError> {
        for row in rows {
            self.insert_record(row.change.record, &row.record, row.change.seq)?;
            self.insert_change(row.change)?;
            self.insert_events(row.change.record, row.events)?;
            self.insert_placement(
                row.change.record,
                row.change.seq,
                None,
                row.record.unit.as_deref(),
            )?;
        }
        Ok(())
    }
    /// Notes that the record moved from one unit to another at `seq`.
    fn insert_placement(
        &mut self,
        id: &RecordId,
        seq: u64,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), LedgerError>;
    /// The record's unit just after position `seq` (`None` if it did not exist yet).
    fn unit_at(&mut self, id: &RecordId, seq: u64) -> Result<Option<String>, LedgerError>;
    /// Changes in `(after, upto]` of records whose *current* unit is in the scope's subtrees or
    /// that are granted to it, not pushed by `exclude_device`, as `(seq, record, bytes)` in
    /// sequence order, at most `limit`.
    fn candidate_changes(
        &mut self,
        scope: &Scope,
        exclude_device: &str,
        after: u64,
        upto: u64,
        limit: u32,
    ) -> Result<Vec<(u64, RecordId, Vec<u8>)>, LedgerError>;
    /// Records whose unit changed (or that were created) in `(after, upto]`.
    fn placed_between(&mut self, after: u64, upto: u64) -> Result<Vec<RecordId>, LedgerError>;
    /// Records that moved away from a unit in the scope's subtrees in `(after, upto]`.
    fn moved_out_of(
        &mut self,
        scope: &Scope,
        after: u64,
        upto: u64,
    ) -> Result<Vec<RecordId>, LedgerError>;
    /// A record's changes in `(after, upto]` in sequence order, leaving out those pushed by
    /// `exclude_device` when given.
    fn changes_of(
        &mut self,
        id: &RecordId,
        after: u64,
        upto: u64,
        exclude_device: Option<&str>,
    ) -> Result<Vec<Vec<u8>>, LedgerError>;
}

/// Who is pushing or pulling.
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a> {
    pub device: &'a str,
    pub scope: &'a Scope,
}

fn in_scope_at(
    tx: &mut dyn LedgerTx,
    scope: &Scope,
    id: &RecordId,
    at: u64,
) -> Result<bool, LedgerError> {
    if at == 0 {
        return Ok(false);
    }
    if scope.records.get(id).is_some_and(|g| g.0 <= at) {
        return Ok(true);
    }
    let unit = tx.unit_at(id, at)?;
    Ok(scope.contains_at(id, unit.as_deref(), Cursor(at)))
}

fn refused_change(record: &RecordId, index: usize, error: &ChangeError) -> LedgerError {
    LedgerError::Refused(ErrorBody::new(
        "invalid_change",
        format!("change {index} of record {record} is refused: {error}"),
        format!("记录 {record} 的第 {index} 条变更无效：{error}"),
    ))
}

/// Accepts a device's changes into the ledger. Every change is parsed before anything is
/// written: damaged bytes refuse the whole push. Records outside the device's scope, and changes
/// whose dependencies the ledger lacks, are rejected one record at a time and reported.
pub fn push(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    cursor: Cursor,
    received_at_ms: i64,
    records: &[RecordChanges],
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
    let mut report = PushReport::default();
    for (group, changes) in parsed {
        if let Some(reason) = push_record(
            tx,
            peer,
            cursor,
            received_at_ms,
            group,
            &changes,
            &mut report,
        )? {
            report.rejected.push(Rejected {
                record: group.record.clone(),
                reason,
            });
        }
    }
    Ok(report)
}

/// A record the server created itself (an import) with [`crate::record::BulkCreator`]: its
/// creation change, and the facts that change establishes, known without parsing it.
#[derive(Debug, Clone, Copy)]
pub struct KnownCreation<'a> {
    pub created: &'a CreatedRecord,
    pub kind: RecordKind,
    pub program: &'a str,
}

/// Stores records the server itself just created, in the rows [`push`] would write for them,
/// without parsing the changes it made or looking for rows that cannot exist. The caller
/// guarantees the ids are new to the ledger (an import's ids carry its batch number, whose row
/// was inserted first); a reused change would still be refused by the ledger's unique hash.
pub fn insert_created(
    tx: &mut dyn LedgerTx,
    device: &str,
    received_at_ms: i64,
    records: &[KnownCreation<'_>],
) -> Result<(), LedgerError> {
    let mut rows = Vec::with_capacity(records.len());
    for known in records {
        let created = known.created;
        let seq = tx.allocate_seq()?;
        let state = fold(std::slice::from_ref(&created.event));
        rows.push(NewRecordRows {
            record: LedgerRecord {
                kind: known.kind,
                program: known.program.to_owned(),
                events_object: created.events_object.clone(),
                unit: state.unit,
                status: state.status,
            },
            change: ChangeRow {
                seq,
                hash: &created.hash,
                record: &created.id,
                bytes: &created.bytes,
                device,
                received_at_ms,
            },
            events: std::slice::from_ref(&created.event),
        });
    }
    tx.insert_new_records(&rows)
}

/// Pushes one record's changes; returns why the rest were rejected, if they were.
///
/// Reads first (which changes the ledger takes), then writes each row once: the record row with
/// its final unit and status, the changes, the new events, the placement.
fn push_record(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    cursor: Cursor,
    received_at_ms: i64,
    group: &RecordChanges,
    changes: &[ParsedChange],
    report: &mut PushReport,
) -> Result<Option<RejectReason>, LedgerError> {
    let id = &group.record;
    let stored = tx.record(id)?;
    // Each change's events, read once from its operations.
    let mut events_of: Vec<Vec<(String, Event)>> = Vec::new();
    let mut record = match &stored {
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
        None => match new_record(peer.scope, id, changes, &mut events_of) {
            Ok(record) => record,
            Err(reason) => return Ok(Some(reason)),
        },
    };
    if events_of.is_empty() {
        events_of = changes
            .iter()
            .map(|c| {
                c.events(&record.events_object)
                    .into_iter()
                    .flatten()
                    .collect()
            })
            .collect();
    }
    // The leading run of changes whose dependencies the ledger has (or that come before them).
    let mut accepted_here: HashSet<ChangeHash> = HashSet::new();
    let mut accepted: Vec<usize> = Vec::new();
    let mut rejection = None;
    for (index, change) in changes.iter().enumerate() {
        if accepted_here.contains(&change.hash) {
            report.duplicates += 1;
            continue;
        }
        match tx.change_owner(&change.hash)? {
            Some(owner) if owner == *id => {
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
        let mut deps_present = true;
        for dep in &change.deps {
            if !accepted_here.contains(dep) && tx.change_owner(dep)?.as_ref() != Some(id) {
                deps_present = false;
                break;
            }
        }
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
    let mut fresh: Vec<Event> = Vec::new();
    let mut placement = None;
    if !new_events.is_empty() || stored.is_none() {
        // A record new to the ledger has no stored events: no need to ask.
        let mut events = match stored {
            Some(_) => tx.events(id)?,
            None => Vec::new(),
        };
        let known: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        fresh = new_events
            .into_values()
            .filter(|e| !known.contains(e.id.as_str()))
            .cloned()
            .collect();
        events.extend(fresh.iter().cloned());
        let state = fold(&events);
        let previous_unit = stored.as_ref().and_then(|r| r.unit.clone());
        if state.unit != previous_unit {
            placement = Some(previous_unit);
        }
        record.unit = state.unit;
        record.status = state.status;
    }
    let mut seqs = Vec::with_capacity(accepted.len());
    for _ in &accepted {
        seqs.push(tx.allocate_seq()?);
    }
    let Some(&last_seq) = seqs.last() else {
        return Ok(rejection);
    };
    // The record row goes in before its changes, so that readers joining the two never see a
    // change without its record.
    match stored {
        None => tx.insert_record(id, &record, last_seq)?,
        Some(_) => tx.update_record(id, &record, last_seq, placement.is_some())?,
    }
    for (&index, &seq) in accepted.iter().zip(&seqs) {
        tx.insert_change(ChangeRow {
            seq,
            hash: &changes[index].hash,
            record: id,
            bytes: &group.changes[index],
            device: peer.device,
            received_at_ms,
        })?;
        report.accepted += 1;
    }
    tx.insert_events(id, &fresh)?;
    if let Some(previous_unit) = placement {
        tx.insert_placement(
            id,
            last_seq,
            previous_unit.as_deref(),
            record.unit.as_deref(),
        )?;
    }
    Ok(rejection)
}

/// Checks a record the ledger has never seen: its first change must create it, and its unit
/// (from the events that come with it) must be in the pusher's scope. Fills `events_of` with each
/// change's events.
fn new_record(
    scope: &Scope,
    id: &RecordId,
    changes: &[ParsedChange],
    events_of: &mut Vec<Vec<(String, Event)>>,
) -> Result<LedgerRecord, RejectReason> {
    let Some(first) = changes.first() else {
        return Err(RejectReason::MissingDependencies);
    };
    if !first.deps.is_empty() || !first.creates_record() {
        return Err(RejectReason::MissingDependencies);
    }
    let creation = first.creation(id).map_err(|e| RejectReason::Invalid {
        detail: e.to_string(),
    })?;
    *events_of = changes
        .iter()
        .map(|c| {
            c.events(&creation.events_object)
                .into_iter()
                .flatten()
                .collect()
        })
        .collect();
    let events: Vec<Event> = events_of.iter().flatten().map(|(_, e)| e.clone()).collect();
    let state = fold(&events);
    if !scope.contains_at(id, state.unit.as_deref(), Cursor(u64::MAX)) {
        return Err(RejectReason::OutOfScope);
    }
    Ok(LedgerRecord {
        kind: creation.kind,
        program: creation.program,
        events_object: creation.events_object,
        unit: None,
        status: TaskStatus::Unclaimed,
    })
}

/// One page of what a device lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<PullItem>,
    pub cursor: Cursor,
    pub more: bool,
}

/// Everything in the peer's scope after `cursor`, one bounded page at a time. Records asked for
/// in `resend_whole` come first, whole, if they are in scope.
pub fn pull_page(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    cursor: Cursor,
    resend_whole: &[RecordId],
    limits: PageLimits,
) -> Result<Page, LedgerError> {
    let head = tx.max_seq()?;
    let after = cursor.0;
    if after > head {
        return Err(LedgerError::Refused(ErrorBody::new(
            "cursor_ahead",
            format!(
                "the device has synced up to position {after} but this server's ledger ends at {head}: the device must sync again from the start"
            ),
            format!("设备的同步位置 {after} 超出服务器账本 {head}，需要从头重新同步"),
        )));
    }
    let mut resent = Vec::new();
    for id in resend_whole {
        let unit = tx.record(id)?.and_then(|r| r.unit);
        if peer.scope.contains_at(id, unit.as_deref(), Cursor(head)) {
            let changes = tx.changes_of(id, 0, head, None)?;
            resent.push(PullItem::Whole {
                record: id.clone(),
                changes,
            });
        }
    }
    // Records whose unit changed since the cursor, up to the head (which bounds the read of
    // every record's current unit); read once for all the page sizes tried below.
    let placed: HashSet<RecordId> = tx.placed_between(after, head)?.into_iter().collect();
    let mut upto = head;
    loop {
        let (items, cut) = plan(tx, peer, after, upto, limits, &placed)?;
        let bytes: usize = items.iter().chain(&resent).map(PullItem::byte_len).sum();
        let upto_now = cut.unwrap_or(upto);
        if bytes > limits.max_bytes as usize && upto_now > after + 1 && items.len() > 1 {
            upto = after + (upto_now - after) / 2;
            continue;
        }
        let mut all = resent;
        all.extend(items);
        return Ok(Page {
            items: all,
            cursor: Cursor(upto_now),
            more: upto_now < head,
        });
    }
}

/// The items for `(after, upto]`, and a lower `upto` if the change count bound cut the range.
/// `placed` holds the records whose unit changed after `after`.
fn plan(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    after: u64,
    upto: u64,
    limits: PageLimits,
    placed: &HashSet<RecordId>,
) -> Result<(Vec<PullItem>, Option<u64>), LedgerError> {
    if upto <= after {
        return Ok((Vec::new(), None));
    }
    let max = limits.max_changes as usize;
    let mut rows = tx.candidate_changes(
        peer.scope,
        peer.device,
        after,
        upto,
        limits.max_changes.saturating_add(1),
    )?;
    let mut cut = None;
    let mut upto = upto;
    if rows.len() > max {
        upto = rows[max].0 - 1;
        rows.truncate(max);
        cut = Some(upto);
    }
    // A record found through its changes whose unit did not change since `after` was in the
    // scope at both ends of the page: no need to look its unit up twice.
    let steady: HashSet<RecordId> = rows
        .iter()
        .map(|(_, id, _)| id)
        .filter(|id| !placed.contains(*id) && !peer.scope.records.contains_key(*id))
        .cloned()
        .collect();
    let mut order: Vec<RecordId> = Vec::new();
    let mut seen: HashSet<RecordId> = HashSet::new();
    let moved = tx.moved_out_of(peer.scope, after, upto)?;
    let granted: Vec<RecordId> = peer
        .scope
        .granted_between(Cursor(after), Cursor(upto))
        .cloned()
        .collect();
    // The rows already carry the changes a record held at both ends of the page needs.
    let mut fetched: HashMap<RecordId, Vec<Vec<u8>>> = HashMap::new();
    for (_, id, bytes) in rows {
        if seen.insert(id.clone()) {
            order.push(id.clone());
        }
        fetched.entry(id).or_default().push(bytes);
    }
    for id in moved.into_iter().chain(granted) {
        if seen.insert(id.clone()) {
            order.push(id);
        }
    }
    let mut items = Vec::with_capacity(order.len());
    for id in order {
        let (before, now) = if steady.contains(&id) && after > 0 {
            (true, true)
        } else {
            (
                in_scope_at(tx, peer.scope, &id, after)?,
                in_scope_at(tx, peer.scope, &id, upto)?,
            )
        };
        let item = match (before, now) {
            (true, true) => {
                let changes = match fetched.remove(&id) {
                    Some(changes) => changes,
                    None => tx.changes_of(&id, after, upto, Some(peer.device))?,
                };
                if changes.is_empty() {
                    continue;
                }
                PullItem::Changes {
                    record: id,
                    changes,
                }
            }
            (false, true) => PullItem::Whole {
                changes: tx.changes_of(&id, 0, upto, None)?,
                record: id,
            },
            (true, false) => PullItem::Remove { record: id },
            (false, false) => continue,
        };
        items.push(item);
    }
    Ok((items, cut))
}
