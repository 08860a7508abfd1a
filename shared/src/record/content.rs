//! A record's content (记录内容) as its derived rows need it, kept beside the document so that a
//! change received from another device can be applied without loading the document.
//!
//! Loading a record's Automerge document and applying one change to it is most of the cost of
//! receiving that change. Yet nearly every received change is one device's next step on the
//! record — a few puts of text into the `fields` map or of new events into the `events` map,
//! made after seeing everything stored here — and the derived state is a pure function of the
//! visible fields and the events (see `fold`). Such a change is applied to this content alone:
//! [`RecordContent::apply_received`] mirrors what Automerge would do with it. A change it cannot
//! prove the outcome of — one not made on top of the stored heads (concurrent histories, a
//! duplicate, missing dependencies), a deletion, another object, an event id already present, an
//! actor history it cannot check — makes it answer `None`, and the caller applies the change to
//! the document instead, which is always right.
//!
//! *Invariant:* the content stored with a record equals [`RecordContent::of`] its document, so
//! deriving from either gives the same rows. Tests compare the two on random histories.

use std::collections::BTreeMap;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ChangeHash, ObjId as ExId, ReadDoc, ScalarValue, ScalarValueRef, ValueRef};

use super::{
    Event, FieldValue, Record, RecordError, RecordKind, RecordState, parse_change_chunks,
    read_event,
};

/// An Automerge operation id. Ordered as Automerge orders them (counter, then actor bytes, which
/// lower-case hex of the bytes preserves): the greatest visible value of a key is the one every
/// replica shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct OpRef {
    counter: u64,
    /// The actor id in lower-case hex.
    actor: String,
}

impl OpRef {
    fn of(id: &ExId) -> Option<Self> {
        match id {
            ExId::Id(counter, actor, _) => Some(Self {
                counter: *counter,
                actor: actor.to_hex_string(),
            }),
            ExId::Root => None,
        }
    }
}

/// One visible value of a field: `None` when it is not text (never written by Outpost; a field
/// list skips it like the document does).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldOp {
    id: OpRef,
    text: Option<String>,
}

/// What the document holds of one actor: enough to tell whether its next change is in sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ActorHistory {
    /// How many changes (Automerge numbers an actor's changes 1, 2, 3…).
    changes: u64,
    /// The highest operation counter of those changes.
    max_op: u64,
}

/// See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordContent {
    kind: RecordKind,
    program: String,
    fields_map: OpRef,
    events_map: OpRef,
    /// `false` when the document holds changes waiting for their dependencies: a received change
    /// may release them, which only the document can tell.
    applies_changes: bool,
    /// By actor id in hex.
    actors: BTreeMap<String, ActorHistory>,
    /// Every visible value of each field key, in operation order (the last one shows).
    fields: BTreeMap<String, Vec<FieldOp>>,
    /// Each event entry: the shown value's text, `None` when it is not text.
    events: BTreeMap<String, Option<String>>,
}

fn text_of(value: &ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Scalar(ScalarValueRef::Str(text)) => Some(text.to_string()),
        _ => None,
    }
}

impl RecordContent {
    /// The content of `record`'s document.
    pub fn of(record: &mut Record) -> Result<Self, RecordError> {
        let applies_changes = record.doc.get_missing_deps(&[]).is_empty();
        let mut actors: BTreeMap<String, ActorHistory> = BTreeMap::new();
        for change in record.doc.get_changes_meta(&[]) {
            let history = actors
                .entry(change.actor.to_hex_string())
                .or_insert(ActorHistory {
                    changes: 0,
                    max_op: 0,
                });
            history.changes = history.changes.max(change.seq);
            history.max_op = history.max_op.max(change.max_op);
        }
        let doc = &record.doc;
        let mut fields = BTreeMap::new();
        for item in doc.map_range(&record.fields, ..) {
            let mut ops = Vec::new();
            if item.conflict {
                for (value, id) in doc.get_all(&record.fields, item.key.as_ref())? {
                    ops.push(FieldOp {
                        id: OpRef::of(&id).ok_or(RecordError::MissingRoot("fields"))?,
                        text: value.as_str().map(str::to_owned),
                    });
                }
            } else {
                ops.push(FieldOp {
                    id: OpRef::of(&item.id()).ok_or(RecordError::MissingRoot("fields"))?,
                    text: text_of(&item.value),
                });
            }
            ops.sort_by(|a, b| a.id.cmp(&b.id));
            fields.insert(item.key.into_owned(), ops);
        }
        let events = doc
            .map_range(&record.events, ..)
            .map(|item| {
                let text = text_of(&item.value);
                (item.key.into_owned(), text)
            })
            .collect();
        Ok(Self {
            kind: record.kind,
            program: record.program.clone(),
            fields_map: OpRef::of(&record.fields).ok_or(RecordError::MissingRoot("fields"))?,
            events_map: OpRef::of(&record.events).ok_or(RecordError::MissingRoot("events"))?,
            applies_changes,
            actors,
            fields,
            events,
        })
    }

    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// Every field, as [`Record::fields`] gives them.
    pub fn fields(&self) -> BTreeMap<String, FieldValue> {
        self.fields
            .iter()
            .filter_map(|(key, ops)| {
                // The last visible value shows; every text value is listed when there are
                // several (as `Record::field` reads them).
                let value = ops.last()?.text.clone()?;
                let texts: Vec<String> = ops.iter().filter_map(|op| op.text.clone()).collect();
                let conflicting = if ops.len() > 1 && texts.len() > 1 {
                    texts
                } else {
                    Vec::new()
                };
                Some((key.clone(), FieldValue { value, conflicting }))
            })
            .collect()
    }

    /// The readable events and the unreadable entries, as [`Record::events`] gives them.
    pub fn events(&self) -> (Vec<Event>, Vec<(String, String)>) {
        let mut events = Vec::with_capacity(self.events.len());
        let mut unreadable = Vec::new();
        for (key, text) in &self.events {
            match read_event(key, text.as_deref()) {
                Ok(event) => events.push(event),
                Err(reason) => unreadable.push((key.clone(), reason)),
            }
        }
        (events, unreadable)
    }

    /// The workflow state, as [`Record::state_with_fields`] computes it.
    pub fn state_with_fields(&self, fields: &BTreeMap<String, FieldValue>) -> RecordState {
        let (events, unreadable) = self.events();
        super::state_of(self.kind, &events, unreadable, fields)
    }

    /// Applies received bytes (a run of change chunks) whose document heads are `heads`, and
    /// returns the new content and heads — or `None` when only the document can apply them (see
    /// the module documentation). Damaged bytes are `None` too: the document's strict parse
    /// gives the verdict and the error.
    pub fn apply_received(
        mut self,
        bytes: &[u8],
        heads: &[ChangeHash],
    ) -> Option<(Self, Vec<ChangeHash>)> {
        if !self.applies_changes {
            return None;
        }
        let mut heads = heads.to_vec();
        for change in parse_change_chunks(bytes)? {
            // Made on top of what is here: every dependency is a head. (A change already here
            // cannot have a head as a dependency, so this also leaves duplicates to the document.)
            let deps = change.deps();
            if deps.is_empty() || !deps.iter().all(|dep| heads.contains(dep)) {
                return None;
            }
            // Automerge refuses a second change with an actor's sequence number, and an author
            // given twice; in-sequence operation counters keep operation ids unique.
            if change.author().is_some() {
                return None;
            }
            let actor = change.actor_id().to_hex_string();
            match self.actors.get(&actor) {
                Some(history)
                    if change.seq() == history.changes + 1
                        && change.start_op().get() > history.max_op => {}
                None if change.seq() == 1 => {}
                _ => return None,
            }
            // Automerge looks up every actor an operation refers to.
            if !change
                .other_actor_ids()
                .iter()
                .all(|other| self.actors.contains_key(&other.to_hex_string()))
            {
                return None;
            }
            let expanded = change.decode();
            for (index, op) in expanded.operations.into_iter().enumerate() {
                let id = OpRef {
                    counter: expanded
                        .start_op
                        .get()
                        .checked_add(u64::try_from(index).ok()?)?,
                    actor: actor.clone(),
                };
                let ObjectId::Id(obj) = &op.obj else {
                    return None;
                };
                let obj = OpRef {
                    counter: obj.counter(),
                    actor: obj.actor().to_hex_string(),
                };
                let (Key::Map(key), OpType::Put(ScalarValue::Str(text)), false) =
                    (op.key, op.action, op.insert)
                else {
                    return None;
                };
                if obj == self.fields_map {
                    // The put replaces the values it names; values it did not see stay beside
                    // it as a conflict. Naming a value not visible here is left to the document.
                    let replaced: Vec<OpRef> = op
                        .pred
                        .iter()
                        .map(|pred| OpRef {
                            counter: pred.counter(),
                            actor: pred.actor().to_hex_string(),
                        })
                        .collect();
                    let ops = self.fields.entry(key.to_string()).or_default();
                    if !replaced
                        .iter()
                        .all(|pred| ops.iter().any(|v| &v.id == pred))
                    {
                        return None;
                    }
                    ops.retain(|v| !replaced.contains(&v.id));
                    let at = ops.partition_point(|v| v.id < id);
                    ops.insert(
                        at,
                        FieldOp {
                            id,
                            text: Some(text.to_string()),
                        },
                    );
                } else if obj == self.events_map {
                    // Events are written once under a fresh id; anything else is left to the
                    // document.
                    if !op.pred.is_empty() || self.events.contains_key(key.as_str()) {
                        return None;
                    }
                    self.events.insert(key.to_string(), Some(text.to_string()));
                } else {
                    return None;
                }
            }
            let history = self.actors.entry(actor).or_insert(ActorHistory {
                changes: 0,
                max_op: 0,
            });
            history.changes = change.seq();
            history.max_op = history.max_op.max(change.max_op());
            heads.retain(|head| !deps.contains(head));
            heads.push(change.hash());
            heads.sort_unstable();
        }
        Some((self, heads))
    }

    /// The stored form (see `encoding`).
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode(self)
    }

    /// Reads the stored form; `None` if it cannot be read (the caller then loads the document).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        encoding::decode(bytes)
    }
}

mod encoding;

#[cfg(test)]
mod tests;
