//! Records (记录): one Automerge document per person-in-a-program, transfer, alert….
//!
//! Document layout (schema 1):
//!
//! ```text
//! ROOT { schema: 1, id, kind, program,
//!        fields: { <field key>: <text> },          -- merged per field by Automerge
//!        events: { <event id>: <event as JSON> } } -- append-only workflow history
//! }
//! ```
//!
//! Why this shape: field edits from two devices merge per key, and two concurrent edits of the
//! *same* key survive as an Automerge conflict that we surface as a review mark with both values.
//! Events live in a map keyed by their unique id, so the same event arriving twice is one entry,
//! and each event is a single put (cheap to write and to sync). The unit a record belongs to
//! (its *scope*) is not stored: it is derived from the dispatch/reassignment events by the fold,
//! so concurrent moves are detected rather than silently overwritten.
//!
//! *Architecture invariant:* one device writes a document through one replica at a time (the
//! device id is the Automerge actor).

mod bulk;
mod content;
mod event;
mod fold;
mod genesis;
mod received;
mod review;

use std::collections::{BTreeMap, HashSet};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, Automerge, AutomergeError, Change, ChangeHash, LoadOptions, ObjId,
    ObjType, OnPartialLoad, ROOT, ReadDoc, ScalarValueRef, Value, ValueRef, VerificationMode,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use bulk::{BulkCreator, CreatedRecord};
pub use content::RecordContent;
pub use event::{
    Action, ActionKind, Author, Event, EventId, InvalidIdentifier, RecordId, RecordKind,
    TaskStatus, UserId, VehicleKind,
};
pub use fold::{
    AlertResolution, RecordState, Stamp, StandingAnswer, SupplyIssue, TagBinding, fold,
};
pub(crate) use fold::{Causality, in_clock_order, settles, stamp};
pub(crate) use genesis::genesis_actor;
use received::RECORD_CHUNK_TYPES;
pub(crate) use received::{
    CHANGE_CHUNK_TYPES, check_chunks, guarded, parse_change_chunks, read_uleb128,
};
pub use review::{ReviewMark, ReviewReason};

use crate::hlc::{DeviceId, HlcClock};

const SCHEMA_VERSION: u64 = 1;

/// Well-known field keys that lists and search are built on. Programs name their person fields
/// with these keys so that every program is searchable the same way.
pub mod field_keys {
    /// 姓名
    pub const NAME: &str = "name";
    /// 手机号码
    pub const PHONE: &str = "phone";
    /// 身份证号码 / 证件号码
    pub const ID_NUMBER: &str = "id_number";
}

/// What can go wrong with a record document.
#[derive(Debug, Error)]
pub enum RecordError {
    #[error("the record data is damaged or not an Outpost record: {0}")]
    Corrupt(#[from] automerge::AutomergeError),
    #[error("a change in the record data is damaged: {0}")]
    CorruptChange(#[from] automerge::LoadChangeError),
    #[error("the record data has no `{0}`; it was not written by Outpost")]
    MissingRoot(&'static str),
    #[error(
        "the record uses schema {found}, newer than this app understands ({SCHEMA_VERSION}); update the app"
    )]
    NewerSchema { found: u64 },
    #[error("the record id stored in the document is invalid: {0}")]
    BadId(#[from] InvalidIdentifier),
    #[error("field key `{0}` is invalid: use 1–64 lower-case letters, digits or '_'")]
    BadFieldKey(String),
    /// Automerge failed on the data (it panicked): the data is refused, nothing was changed.
    #[error("the record data cannot be applied: {0}")]
    Unappliable(String),
    /// A change rewrote what a record's first change fixes (its id, kind, program, or the maps
    /// holding its fields and events).
    #[error("a change rewrites the record's `{0}`, which only its first change may set")]
    RewritesRoot(&'static str),
    /// The data holds a chunk Outpost never writes (a bundle, an unknown type) or is not made of
    /// whole chunks.
    #[error(
        "the record data is not made of documents and changes (a chunk of type {0:?} was found)"
    )]
    UnexpectedChunk(Option<u8>),
}

/// The current value of a field, with every concurrent value when there is a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    /// The value every replica shows while the conflict lasts (Automerge's deterministic pick).
    pub value: String,
    /// All values, including `value`, when edits were concurrent; empty otherwise.
    pub conflicting: Vec<String>,
}

/// Everything needed to create a record and dispatch it to its first unit.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub id: RecordId,
    pub kind: RecordKind,
    pub program: String,
    pub unit: String,
    pub batch: Option<String>,
    pub fields: Vec<(String, String)>,
}

/// A record document, loaded for reading or editing.
#[derive(Debug, Clone)]
pub struct Record {
    doc: AutoCommit,
    id: RecordId,
    kind: RecordKind,
    program: String,
    fields: ObjId,
    events: ObjId,
}

/// The Automerge actor of a device.
pub(crate) fn actor_for(device: &DeviceId) -> ActorId {
    let digest = Sha256::digest(device.as_str().as_bytes());
    ActorId::from(&digest[..16])
}

fn valid_field_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The entries a record's first change writes at the root of its document.
struct Root {
    id: RecordId,
    kind: RecordKind,
    program: String,
    fields: ObjId,
    events: ObjId,
}

fn read_root(doc: &AutoCommit) -> Result<Root, RecordError> {
    // One pass over the root map rather than a `get` (a seek through the op set) per key:
    // it takes about a seventh off loading a record.
    let mut schema = None;
    let (mut id, mut kind, mut program) = (None, None, None);
    let (mut fields, mut events) = (None, None);
    for item in doc.map_range(ROOT, ..) {
        let text = || match &item.value {
            ValueRef::Scalar(ScalarValueRef::Str(text)) => Some(text.to_string()),
            _ => None,
        };
        let map = || match &item.value {
            ValueRef::Object(ObjType::Map) => Some(item.id()),
            _ => None,
        };
        match item.key.as_ref() {
            "schema" => {
                schema = item.value.clone().into_value().as_u64();
            }
            "id" => id = text(),
            "kind" => kind = text(),
            "program" => program = text(),
            "fields" => fields = map(),
            "events" => events = map(),
            _ => {}
        }
    }
    let schema = schema.ok_or(RecordError::MissingRoot("schema"))?;
    if schema > SCHEMA_VERSION {
        return Err(RecordError::NewerSchema { found: schema });
    }
    Ok(Root {
        id: RecordId::new(id.ok_or(RecordError::MissingRoot("id"))?)?,
        kind: RecordKind::from_code(&kind.ok_or(RecordError::MissingRoot("kind"))?)
            .ok_or(RecordError::MissingRoot("kind"))?,
        program: program.ok_or(RecordError::MissingRoot("program"))?,
        fields: fields.ok_or(RecordError::MissingRoot("fields"))?,
        events: events.ok_or(RecordError::MissingRoot("events"))?,
    })
}

/// Reads one entry of the events map (`text`: its value, if text): the event, or why it cannot be
/// read.
fn read_event(key: &str, text: Option<&str>) -> Result<Event, String> {
    let text = text.ok_or_else(|| "not text".to_owned())?;
    match serde_json::from_str::<Event>(text) {
        Ok(event) if event.id.as_str() == key => Ok(event),
        Ok(_) => Err("id does not match its key".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// The workflow state of a record of `kind`: the fold of its events plus marks for field
/// conflicts and unreadable events.
fn state_of(
    kind: RecordKind,
    events: &[Event],
    unreadable: Vec<(String, String)>,
    fields: &BTreeMap<String, FieldValue>,
) -> RecordState {
    let mut state = fold(events);
    // Transfers and supply ledgers fold their own events; their marks are the record's.
    match kind {
        RecordKind::Transfer => state.reviews.extend(crate::transfer::fold(events).reviews),
        RecordKind::SupplyLedger => {
            state
                .reviews
                .extend(crate::supply::fold_ledger(events).reviews);
        }
        RecordKind::Person | RecordKind::Alert => {}
    }
    for (key, value) in fields {
        if !value.conflicting.is_empty() {
            state.reviews.push(ReviewMark {
                id: format!("field:{key}"),
                reason: ReviewReason::ConcurrentFieldEdits {
                    field: key.clone(),
                    values: value.conflicting.clone(),
                },
                events: Vec::new(),
            });
        }
    }
    for (event, reason) in unreadable {
        state.reviews.push(ReviewMark {
            id: format!("unreadable:{event}"),
            reason: ReviewReason::UnreadableEvent { event, reason },
            events: Vec::new(),
        });
    }
    state
}

impl Record {
    /// Creates a record and appends its dispatch event.
    pub fn create(
        new: NewRecord,
        author: &Author,
        clock: &mut HlcClock,
        now_ms: u64,
    ) -> Result<Self, RecordError> {
        if let Some((bad, _)) = new.fields.iter().find(|(k, _)| !valid_field_key(k)) {
            return Err(RecordError::BadFieldKey(bad.clone()));
        }
        let mut doc = AutoCommit::new().with_actor(actor_for(&author.device));
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "id", new.id.as_str())?;
        doc.put(ROOT, "kind", new.kind.code())?;
        doc.put(ROOT, "program", new.program.as_str())?;
        let fields = doc.put_object(ROOT, "fields", ObjType::Map)?;
        for (key, value) in &new.fields {
            doc.put(&fields, key.as_str(), value.as_str())?;
        }
        let events = doc.put_object(ROOT, "events", ObjType::Map)?;
        let mut record = Self {
            doc,
            id: new.id,
            kind: new.kind,
            program: new.program,
            fields,
            events,
        };
        record.append(
            author,
            clock,
            now_ms,
            Action::Dispatched {
                unit: new.unit,
                batch: new.batch,
            },
        )?;
        Ok(record)
    }

    /// Loads a record from saved bytes (a snapshot, optionally followed by incremental chunks).
    pub fn load(bytes: &[u8]) -> Result<Self, RecordError> {
        check_chunks(bytes, &RECORD_CHUNK_TYPES)?;
        guarded(|| Self::from_doc(AutoCommit::load(bytes)?))
    }

    /// Loads bytes this process wrote itself (the replica's own store), skipping the re-hashing
    /// of every change that [`Record::load`] does for data from elsewhere.
    pub fn load_own(bytes: &[u8]) -> Result<Self, RecordError> {
        guarded(|| Self::from_doc(AutoCommit::load_unverified_heads(bytes)?))
    }

    fn from_doc(doc: AutoCommit) -> Result<Self, RecordError> {
        let root = read_root(&doc)?;
        Ok(Self {
            doc,
            id: root.id,
            kind: root.kind,
            program: root.program,
            fields: root.fields,
            events: root.events,
        })
    }

    pub fn id(&self) -> &RecordId {
        &self.id
    }

    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// A field's value, with the conflicting values if edits were concurrent.
    pub fn field(&self, key: &str) -> Option<FieldValue> {
        let all = self.doc.get_all(&self.fields, key).ok()?;
        let texts: Vec<String> = all
            .iter()
            .filter_map(|(v, _)| v.as_str().map(str::to_owned))
            .collect();
        let (value, _) = self.doc.get(&self.fields, key).ok()??;
        let value = value.as_str()?.to_owned();
        let conflicting = if texts.len() > 1 { texts } else { Vec::new() };
        Some(FieldValue { value, conflicting })
    }

    /// Every field, by key. One pass over the map; only conflicting keys cost a second look.
    pub fn fields(&self) -> BTreeMap<String, FieldValue> {
        self.doc
            .map_range(&self.fields, ..)
            .filter_map(|item| {
                if item.conflict {
                    let key = item.key.into_owned();
                    return self.field(&key).map(|v| (key, v));
                }
                let value = match &item.value {
                    ValueRef::Scalar(ScalarValueRef::Str(text)) => text.to_string(),
                    _ => return None,
                };
                Some((
                    item.key.into_owned(),
                    FieldValue {
                        value,
                        conflicting: Vec::new(),
                    },
                ))
            })
            .collect()
    }

    /// Sets a field (a correction such as a new phone number). Setting a field also settles any
    /// conflict on it, because the new value is made after seeing all the old ones.
    pub fn set_field(
        &mut self,
        author: &Author,
        key: &str,
        value: &str,
    ) -> Result<(), RecordError> {
        if !valid_field_key(key) {
            return Err(RecordError::BadFieldKey(key.to_owned()));
        }
        // Setting the actor closes the open transaction; only do it when the author differs,
        // so that a record's creation (its fields and its dispatch event) is one change.
        let actor = actor_for(&author.device);
        if self.doc.get_actor() != &actor {
            self.doc.set_actor(actor);
        }
        self.doc.put(&self.fields, key, value)?;
        self.doc.commit();
        Ok(())
    }

    /// The readable events, and a description of each one that could not be read.
    pub fn events(&self) -> (Vec<Event>, Vec<(String, String)>) {
        let mut events = Vec::new();
        let mut unreadable = Vec::new();
        for key in self.doc.keys(&self.events) {
            let text = match self.doc.get(&self.events, key.as_str()) {
                Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
                _ => None,
            };
            match read_event(&key, text.as_deref()) {
                Ok(event) => events.push(event),
                Err(reason) => unreadable.push((key, reason)),
            }
        }
        (events, unreadable)
    }

    /// Appends a workflow event made by `author` now. Its parents are the latest events this
    /// replica has seen, and its clock time is after every event in the record.
    pub fn append(
        &mut self,
        author: &Author,
        clock: &mut HlcClock,
        now_ms: u64,
        action: Action,
    ) -> Result<EventId, RecordError> {
        let (events, _) = self.events();
        let referenced: HashSet<&EventId> = events.iter().flat_map(|e| e.parents.iter()).collect();
        let mut parents: Vec<EventId> = Vec::new();
        for event in &events {
            clock.observe(&event.at);
            if !referenced.contains(&event.id) {
                parents.push(event.id.clone());
            }
        }
        parents.sort();
        let at = clock.tick(now_ms);
        let event = Event {
            id: EventId::for_time(&at),
            at,
            user: author.user.clone(),
            parents,
            action,
        };
        let json = serde_json::to_string(&event).map_err(|_| RecordError::MissingRoot("events"))?;
        // Setting the actor closes the open transaction; only do it when the author differs,
        // so that a record's creation (its fields and its dispatch event) is one change.
        let actor = actor_for(&author.device);
        if self.doc.get_actor() != &actor {
            self.doc.set_actor(actor);
        }
        self.doc.put(&self.events, event.id.as_str(), json)?;
        self.doc.commit_with(
            CommitOptions::default()
                .with_time(i64::try_from(event.at.wall_ms / 1000).unwrap_or(i64::MAX)),
        );
        Ok(event.id)
    }

    /// The workflow state: the fold of the events plus marks for field conflicts and unreadable
    /// events.
    pub fn state(&self) -> RecordState {
        self.state_with_fields(&self.fields())
    }

    /// [`Record::state`] when the caller already read the fields.
    pub fn state_with_fields(&self, fields: &BTreeMap<String, FieldValue>) -> RecordState {
        let (events, unreadable) = self.events();
        state_of(self.kind, &events, unreadable, fields)
    }

    /// The Automerge heads: what this copy contains, for incremental saves and sync.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since `heads`, as bytes that [`Record::apply`] accepts.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Each change made since `heads`, separately, with its hash: the unit that sync exchanges
    /// and deduplicates.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<(ChangeHash, Vec<u8>)> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .map(|mut change| (change.hash(), change.bytes().into_owned()))
            .collect()
    }

    /// Applies changes or a whole document received from elsewhere. Idempotent; changes whose
    /// dependencies have not arrived yet wait inside the document until they do.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        check_chunks(bytes, &RECORD_CHUNK_TYPES)?;
        // Automerge skips unreadable trailing data with only a log line, so everything is parsed
        // strictly before anything applies: a damaged message is refused as a whole rather than
        // half-applied. The usual message, a run of change chunks, is parsed chunk by chunk and
        // applied as parsed; anything else goes through Automerge's strict loader first.
        if let Some(changes) = parse_change_chunks(bytes) {
            return self.apply_guarded(|doc| Ok(doc.apply_changes(changes)?));
        }
        // Changes whose dependencies are elsewhere parse fine and only then report `MissingDeps`.
        guarded(|| {
            match Automerge::load_with_options(
                bytes,
                LoadOptions::new()
                    .on_partial_load(OnPartialLoad::Error)
                    .verification_mode(VerificationMode::DontCheck),
            ) {
                Ok(_) | Err(AutomergeError::MissingDeps) => Ok(()),
                Err(damaged) => Err(damaged.into()),
            }
        })?;
        self.apply_guarded(|doc| {
            doc.load_incremental(bytes)?;
            Ok(())
        })
    }

    /// Applies individually encoded changes (see [`Record::changes_since`]). Each is parsed
    /// strictly before any is applied.
    pub fn apply_changes(&mut self, changes: &[Vec<u8>]) -> Result<(), RecordError> {
        let parsed = changes
            .iter()
            .map(|bytes| {
                check_chunks(bytes, &CHANGE_CHUNK_TYPES)?;
                Ok(Change::from_bytes(bytes.clone())?)
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        self.apply_guarded(|doc| Ok(doc.apply_changes(parsed)?))
    }

    /// Each change's actor and sequence number (for checking that received changes continue
    /// their actors' numbering).
    pub(crate) fn actor_seqs(&mut self) -> Vec<(ActorId, u64)> {
        self.doc
            .document()
            .get_changes_meta(&[])
            .into_iter()
            .map(|meta| (meta.actor.into_owned(), meta.seq))
            .collect()
    }

    /// Whether this copy contains every change named by `heads`.
    pub fn contains(&mut self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|h| self.doc.get_change_by_hash(h).is_some())
    }

    /// Changes that arrived without the changes they depend on wait inside the document; these
    /// are the hashes still missing. Such waiting changes are not saved until they can apply.
    pub fn missing_dependencies(&mut self) -> Vec<ChangeHash> {
        self.doc.get_missing_deps(&[])
    }

    /// Takes every change from `other` that this copy lacks.
    pub fn merge(&mut self, other: &mut Record) -> Result<(), RecordError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
