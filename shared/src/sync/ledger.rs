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

use std::collections::{HashMap, HashSet};

use automerge::ChangeHash;
use thiserror::Error;

use super::change::ChangeError;
use super::message::{Cursor, ErrorBody, PageLimits, PullItem};
use super::scope::Scope;
use crate::record::{CreatedRecord, Event, RecordId, RecordKind, TaskStatus, fold};

mod push;

pub use push::{push, push_admitted};

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

/// A record new to the ledger, changed last at `seq`.
#[derive(Debug, Clone)]
pub struct RecordRow<'a> {
    pub id: &'a RecordId,
    pub record: LedgerRecord,
    pub seq: u64,
}

/// A stored record's new unit and status, changed last at `seq`. `unit_changed` false says the
/// unit is the stored one, so a store can leave the unit index alone.
#[derive(Debug, Clone)]
pub struct RecordUpdate<'a> {
    pub id: &'a RecordId,
    pub record: LedgerRecord,
    pub seq: u64,
    pub unit_changed: bool,
}

/// The record moved from one unit to another at `seq` (from none: it entered the ledger).
#[derive(Debug, Clone)]
pub struct PlacementRow<'a> {
    pub record: &'a RecordId,
    pub seq: u64,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// An event new to its record, with its JSON when the caller already has it.
#[derive(Debug, Clone, Copy)]
pub struct EventRow<'a> {
    pub record: &'a RecordId,
    pub event: &'a Event,
    /// `serde_json::to_string(event)`, if already made (an import's records carry it).
    pub json: Option<&'a str>,
}

impl EventRow<'_> {
    /// The event as the stores keep it (JSON).
    pub fn json(&self) -> Result<std::borrow::Cow<'_, str>, LedgerError> {
        match self.json {
            Some(json) => Ok(json.into()),
            None => serde_json::to_string(self.event)
                .map(Into::into)
                .map_err(LedgerError::storage),
        }
    }
}

/// Every row one push (or one import chunk) writes, gathered so that a store can write many
/// rows per statement ([`LedgerTx::write`]).
#[derive(Debug, Clone, Default)]
pub struct LedgerWrites<'a> {
    pub new_records: Vec<RecordRow<'a>>,
    pub updated_records: Vec<RecordUpdate<'a>>,
    /// In sequence order.
    pub changes: Vec<ChangeRow<'a>>,
    /// Events new to their records.
    pub events: Vec<EventRow<'a>>,
    pub placements: Vec<PlacementRow<'a>>,
}

impl LedgerWrites<'_> {
    pub fn is_empty(&self) -> bool {
        self.new_records.is_empty()
            && self.updated_records.is_empty()
            && self.changes.is_empty()
            && self.events.is_empty()
            && self.placements.is_empty()
    }
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
    /// Takes the next `count` (≥ 1) sequence numbers and returns the first; like
    /// [`LedgerTx::allocate_seq`] `count` times.
    fn allocate_seqs(&mut self, count: u64) -> Result<u64, LedgerError> {
        let first = self.allocate_seq()?;
        for _ in 1..count {
            self.allocate_seq()?;
        }
        Ok(first)
    }
    /// The stored records among `ids`. A store may read them in one statement; the default asks
    /// for each.
    fn records(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, LedgerRecord>, LedgerError> {
        let mut found = HashMap::with_capacity(ids.len());
        for &id in ids {
            if let Some(record) = self.record(id)? {
                found.insert(id.clone(), record);
            }
        }
        Ok(found)
    }
    /// The records of those of `hashes` that the ledger holds (see
    /// [`LedgerTx::change_owner`]).
    fn change_owners(
        &mut self,
        hashes: &[ChangeHash],
    ) -> Result<HashMap<ChangeHash, RecordId>, LedgerError> {
        let mut found = HashMap::with_capacity(hashes.len());
        for hash in hashes {
            if let Some(owner) = self.change_owner(hash)? {
                found.insert(*hash, owner);
            }
        }
        Ok(found)
    }
    /// The stored events of each of `ids` that has any.
    fn events_of(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, Vec<Event>>, LedgerError> {
        let mut found = HashMap::with_capacity(ids.len());
        for &id in ids {
            let events = self.events(id)?;
            if !events.is_empty() {
                found.insert(id.clone(), events);
            }
        }
        Ok(found)
    }
    /// Writes a push's (or an import chunk's) rows: the records first, then their changes,
    /// events and placements. A store may write many rows per statement; the default writes
    /// them one at a time.
    fn write(&mut self, rows: &LedgerWrites<'_>) -> Result<(), LedgerError> {
        for row in &rows.new_records {
            self.insert_record(row.id, &row.record, row.seq)?;
        }
        for row in &rows.updated_records {
            self.update_record(row.id, &row.record, row.seq, row.unit_changed)?;
        }
        for change in &rows.changes {
            self.insert_change(*change)?;
        }
        for row in &rows.events {
            self.insert_events(row.record, std::slice::from_ref(row.event))?;
        }
        for placement in &rows.placements {
            self.insert_placement(
                placement.record,
                placement.seq,
                placement.from.as_deref(),
                placement.to.as_deref(),
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
    if records.is_empty() {
        return Ok(());
    }
    let first_seq = tx.allocate_seqs(records.len() as u64)?;
    let mut rows = LedgerWrites::default();
    for (known, seq) in records.iter().zip(first_seq..) {
        let created = known.created;
        let state = fold(std::slice::from_ref(&created.event));
        rows.placements.push(PlacementRow {
            record: &created.id,
            seq,
            from: None,
            to: state.unit.clone(),
        });
        rows.new_records.push(RecordRow {
            id: &created.id,
            record: LedgerRecord {
                kind: known.kind,
                program: known.program.to_owned(),
                events_object: created.events_object.clone(),
                unit: state.unit,
                status: state.status,
            },
            seq,
        });
        rows.changes.push(ChangeRow {
            seq,
            hash: &created.hash,
            record: &created.id,
            bytes: &created.bytes,
            device,
            received_at_ms,
        });
        rows.events.push(EventRow {
            record: &created.id,
            event: &created.event,
            json: Some(&created.event_json),
        });
    }
    tx.write(&rows)
}

/// One page of what a device lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<PullItem>,
    pub cursor: Cursor,
    pub more: bool,
    /// Records asked for whole that did not fit in the page's budget.
    pub deferred: Vec<RecordId>,
}

/// The records a device asked for whole, once each and within the page's budget: the first
/// one in scope always goes (a record larger than the budget still travels, alone); once the
/// budget is spent the rest are deferred unread, so a request naming thousands of large
/// records costs one page, not all of them.
fn resend(
    tx: &mut dyn LedgerTx,
    peer: Peer<'_>,
    head: u64,
    resend_whole: &[RecordId],
    limits: PageLimits,
) -> Result<(Vec<PullItem>, Vec<RecordId>), LedgerError> {
    let mut asked: HashSet<&RecordId> = HashSet::new();
    let mut resent = Vec::new();
    let mut deferred = Vec::new();
    let (mut bytes, mut changes) = (0usize, 0usize);
    for id in resend_whole {
        if !asked.insert(id) {
            continue;
        }
        let spent = bytes >= limits.max_bytes as usize || changes >= limits.max_changes as usize;
        if spent {
            deferred.push(id.clone());
            continue;
        }
        let unit = tx.record(id)?.and_then(|r| r.unit);
        if !peer.scope.contains_at(id, unit.as_deref(), Cursor(head)) {
            continue;
        }
        let record_changes = tx.changes_of(id, 0, head, None)?;
        let size: usize = record_changes.iter().map(Vec::len).sum();
        let over = bytes + size > limits.max_bytes as usize
            || changes + record_changes.len() > limits.max_changes as usize;
        if over && !resent.is_empty() {
            deferred.push(id.clone());
            continue;
        }
        bytes += size;
        changes += record_changes.len();
        resent.push(PullItem::Whole {
            record: id.clone(),
            changes: record_changes,
        });
    }
    Ok((resent, deferred))
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
    let (resent, deferred) = resend(tx, peer, head, resend_whole, limits)?;
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
            deferred,
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
