//! Received change bytes, parsed strictly, and the record facts the server reads from them.
//!
//! The server keeps the ledger as individual changes and folds each record's workflow events
//! into its current unit and status. It reads those events straight from the changes' operations
//! instead of loading the record's whole Automerge document, which is what lets it merge tens of
//! thousands of changes a second (a document load alone costs ~75 µs). This relies on the record
//! document layout of [`crate::record`] (schema 1): the root keys `id`, `kind`, `program` and
//! the `events` map, written by the record's first change.

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{Change, ChangeHash, ExpandedChange, ObjType, ScalarValue};
use thiserror::Error;

use crate::record::{CHANGE_CHUNK_TYPES, Event, RecordId, RecordKind, check_chunks};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChangeError {
    #[error("the bytes are not a valid change: {0}")]
    Damaged(String),
    #[error("the record's first change does not create record {expected} (it names {found:?})")]
    NotThisRecord {
        expected: String,
        found: Option<String>,
    },
    #[error("the record's first change does not create an Outpost record ({0} missing)")]
    NotARecord(&'static str),
}

/// A change that parsed, with its hash, dependencies and operations (decoded once).
#[derive(Debug, Clone)]
pub struct ParsedChange {
    pub hash: ChangeHash,
    pub deps: Vec<ChangeHash>,
    expanded: ExpandedChange,
}

impl ParsedChange {
    /// Parses one change chunk strictly (checksum and structure).
    pub fn parse(bytes: &[u8]) -> Result<Self, ChangeError> {
        // The server parses inside its ledger transaction: a panic in Automerge's decoder on
        // hostile bytes must become a refusal here, never unwind through the store's lock.
        std::panic::catch_unwind(|| Self::parse_unguarded(bytes)).unwrap_or_else(|_| {
            Err(ChangeError::Damaged(
                "the change's operations cannot be decoded".to_owned(),
            ))
        })
    }

    fn parse_unguarded(bytes: &[u8]) -> Result<Self, ChangeError> {
        check_chunks(bytes, &CHANGE_CHUNK_TYPES)
            .map_err(|e| ChangeError::Damaged(e.to_string()))?;
        let change = Change::try_from(bytes).map_err(|e| ChangeError::Damaged(e.to_string()))?;
        // Automerge does not check the header checksum of a DEFLATE-compressed chunk, whose
        // damage can decompress into another well-formed change: the checksum (the first bytes
        // of the uncompressed change's hash) is compared here for every chunk.
        if bytes.get(4..8) != Some(&change.hash().0[..4]) {
            return Err(ChangeError::Damaged(
                "the change's checksum does not match its content".to_owned(),
            ));
        }
        Ok(Self {
            hash: change.hash(),
            deps: change.deps().to_vec(),
            expanded: change.decode(),
        })
    }

    /// The facts a record's first change establishes: its id, kind, program and the object id of
    /// its events map (as text, to be stored with the record).
    pub fn creation(&self, expected: &RecordId) -> Result<Creation, ChangeError> {
        let expanded = &self.expanded;
        let mut id = None;
        let mut kind = None;
        let mut program = None;
        let mut events_object = None;
        for (index, op) in expanded.operations.iter().enumerate() {
            if op.obj != ObjectId::Root {
                continue;
            }
            let Key::Map(key) = &op.key else { continue };
            match (key.as_str(), &op.action) {
                ("id", OpType::Put(ScalarValue::Str(text))) => id = Some(text.to_string()),
                ("kind", OpType::Put(ScalarValue::Str(text))) => {
                    kind = RecordKind::from_code(text);
                }
                ("program", OpType::Put(ScalarValue::Str(text))) => {
                    program = Some(text.to_string());
                }
                ("events", OpType::Make(ObjType::Map)) => {
                    let counter = expanded.start_op.get() + index as u64;
                    events_object = Some(object_text(&OpId(counter, expanded.actor_id.clone())));
                }
                _ => {}
            }
        }
        if id.as_deref() != Some(expected.as_str()) {
            return Err(ChangeError::NotThisRecord {
                expected: expected.to_string(),
                found: id,
            });
        }
        Ok(Creation {
            kind: kind.ok_or(ChangeError::NotARecord("kind"))?,
            program: program.ok_or(ChangeError::NotARecord("program"))?,
            events_object: events_object.ok_or(ChangeError::NotARecord("events"))?,
        })
    }

    /// Whether this change creates a record (puts the root `id`), as opposed to editing one.
    pub fn creates_record(&self) -> bool {
        self.expanded.operations.iter().any(|op| {
            op.obj == ObjectId::Root && matches!(&op.key, Key::Map(k) if k.as_str() == "id")
        })
    }

    /// The workflow events this change writes into the events map `events_object`, as
    /// `(event id, event JSON)`. Entries that are not readable events are returned as `Err` with
    /// the key, so that the caller can count them; devices show them as review marks.
    pub fn events(&self, events_object: &str) -> Vec<Result<(String, Event), String>> {
        // Compared as (counter, actor) rather than by formatting every op's object id.
        let Some(wanted) = object_id(events_object) else {
            return Vec::new();
        };
        self.expanded
            .operations
            .iter()
            .filter_map(|op| {
                let ObjectId::Id(obj) = &op.obj else {
                    return None;
                };
                if *obj != wanted {
                    return None;
                }
                let Key::Map(key) = &op.key else { return None };
                let OpType::Put(ScalarValue::Str(json)) = &op.action else {
                    return Some(Err(key.to_string()));
                };
                match serde_json::from_str::<Event>(json) {
                    Ok(event) if event.id.as_str() == key.as_str() => {
                        Some(Ok((key.to_string(), event)))
                    }
                    _ => Some(Err(key.to_string())),
                }
            })
            .collect()
    }
}

/// What a record's first change says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    pub kind: RecordKind,
    pub program: String,
    pub events_object: String,
}

fn object_text(id: &OpId) -> String {
    format!("{}@{}", id.0, id.1)
}

/// The op id [`object_text`] wrote, or `None` if `text` is not one (then no op is in it).
fn object_id(text: &str) -> Option<OpId> {
    let (counter, actor) = text.split_once('@')?;
    let counter = counter.parse().ok()?;
    let actor = automerge::ActorId::try_from(actor).ok()?;
    // Only the canonical spelling names the object, as the text comparison did.
    let id = OpId(counter, actor);
    (object_text(&id) == text).then_some(id)
}
