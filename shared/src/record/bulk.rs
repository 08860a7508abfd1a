//! Creating many records at once (批量建档), for imports of tens of thousands of persons.
//!
//! Automerge builds a document op by op through its op set, which costs about a third of a
//! millisecond for a person record — half a minute for a 100,000-row list. Every record of an
//! import has the same shape, though: the same root keys, the same field keys in the same order,
//! one dispatch event. So the first record of each shape is made by [`Record::create`], its
//! creation change is decoded once, and every later record's change is that template with its
//! own values, event and time put in, encoded straight to bytes. The result is the change
//! [`Record::create`] would have made — the tests compare hashes — at a small fraction of the
//! cost.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{Change, ChangeHash, ExpandedChange, ScalarValue};

use super::event::{Action, Author, Event, EventId, RecordId};
use super::{NewRecord, Record, RecordError};
use crate::hlc::HlcClock;

/// A decoded creation change and where its per-record values go.
struct Template {
    change: ExpandedChange,
    fields_object: ObjectId,
    events_object: ObjectId,
}

/// Makes the creation changes of many records by one author.
pub struct BulkCreator<'a> {
    author: &'a Author,
    templates: HashMap<Vec<String>, Template>,
}

/// One created record: its id and its creation change (hash and bytes), ready to push.
#[derive(Debug, Clone)]
pub struct CreatedRecord {
    pub id: RecordId,
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
    /// The dispatch event the change holds.
    pub event: Event,
    /// The object id of the record's events map, as the ledger stores it (`counter@actor`).
    pub events_object: String,
}

fn object_of(change: &ExpandedChange, key: &str) -> Option<ObjectId> {
    change
        .operations
        .iter()
        .enumerate()
        .find(|(_, op)| {
            op.obj == ObjectId::Root
                && matches!(&op.key, Key::Map(k) if k.as_str() == key)
                && matches!(op.action, OpType::Make(_))
        })
        .map(|(index, _)| {
            ObjectId::Id(automerge::legacy::OpId::new(
                change.start_op.get() + index as u64,
                &change.actor_id,
            ))
        })
}

impl<'a> BulkCreator<'a> {
    pub fn new(author: &'a Author) -> Self {
        Self {
            author,
            templates: HashMap::new(),
        }
    }

    /// Creates `new` at `now_ms` on `clock`, as [`Record::create`] would.
    pub fn create(
        &mut self,
        new: &NewRecord,
        clock: &mut HlcClock,
        now_ms: u64,
    ) -> Result<CreatedRecord, RecordError> {
        let shape: Vec<String> = new.fields.iter().map(|(key, _)| key.clone()).collect();
        if !self.templates.contains_key(&shape) {
            // The template is a real record of this shape, made with a throw-away clock so
            // that the caller's clock only moves for the records it asked for.
            let mut scratch = HlcClock::new(self.author.device.clone());
            let mut record = Record::create(new.clone(), self.author, &mut scratch, now_ms)?;
            let mut changes = record.doc.get_changes(&[]);
            let [change] = changes.as_mut_slice() else {
                return Err(RecordError::MissingRoot("creation change"));
            };
            let change = ExpandedChange::from(&*change);
            let fields_object =
                object_of(&change, "fields").ok_or(RecordError::MissingRoot("fields"))?;
            let events_object =
                object_of(&change, "events").ok_or(RecordError::MissingRoot("events"))?;
            self.templates.insert(
                shape.clone(),
                Template {
                    change,
                    fields_object,
                    events_object,
                },
            );
        }
        let template = self
            .templates
            .get(&shape)
            .ok_or(RecordError::MissingRoot("template"))?;
        let at = clock.tick(now_ms);
        let event = Event {
            id: EventId::for_time(&at),
            at,
            user: self.author.user.clone(),
            parents: Vec::new(),
            action: Action::Dispatched {
                unit: new.unit.clone(),
                batch: new.batch.clone(),
            },
        };
        let json = serde_json::to_string(&event).map_err(|_| RecordError::MissingRoot("events"))?;
        let mut change = template.change.clone();
        change.hash = None;
        change.time = i64::try_from(event.at.wall_ms / 1000).unwrap_or(i64::MAX);
        let mut values = new.fields.iter().map(|(_, value)| value);
        for op in &mut change.operations {
            let text = |s: &str| OpType::Put(ScalarValue::Str(s.into()));
            if op.obj == ObjectId::Root {
                match &op.key {
                    Key::Map(k) if k.as_str() == "id" => op.action = text(new.id.as_str()),
                    Key::Map(k) if k.as_str() == "kind" => op.action = text(new.kind.code()),
                    Key::Map(k) if k.as_str() == "program" => op.action = text(&new.program),
                    _ => {}
                }
            } else if op.obj == template.fields_object {
                let value = values.next().ok_or(RecordError::MissingRoot("fields"))?;
                op.action = text(value);
            } else if op.obj == template.events_object {
                op.key = Key::Map(event.id.as_str().into());
                op.action = text(&json);
            }
        }
        let change = Change::from(change);
        let events_object = match &template.events_object {
            ObjectId::Id(id) => format!("{}@{}", id.0, id.1),
            ObjectId::Root => return Err(RecordError::MissingRoot("events")),
        };
        Ok(CreatedRecord {
            id: new.id.clone(),
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
            event,
            events_object,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::DeviceId;
    use crate::record::{RecordKind, UserId};

    fn author() -> Author {
        Author {
            user: UserId::new("district-admin").unwrap(),
            device: DeviceId::new("server-import").unwrap(),
        }
    }

    fn person(i: usize, unit: &str, fields: Vec<(&str, String)>) -> NewRecord {
        NewRecord {
            id: RecordId::new(format!("202611231400001234-{i:06}")).unwrap(),
            kind: RecordKind::Person,
            program: "w1-close-contact-whereabouts".into(),
            unit: unit.into(),
            batch: Some("202611231400001234".into()),
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    #[test]
    fn bulk_changes_are_the_changes_record_create_makes() {
        let author = author();
        let mut bulk = BulkCreator::new(&author);
        let mut bulk_clock = HlcClock::new(author.device.clone());
        let mut real_clock = HlcClock::new(author.device.clone());
        let records = [
            person(
                1,
                "440115001",
                vec![("name", "李明".into()), ("phone", "13800000001".into())],
            ),
            person(
                2,
                "440115002",
                vec![("name", "王芳".into()), ("phone", "13800000002".into())],
            ),
            // Another shape: a field left out, one more field.
            person(
                3,
                "440115003",
                vec![
                    ("name", "赵强".into()),
                    ("address", "南沙区某路 1 号".into()),
                    ("batch", "b".into()),
                ],
            ),
            person(
                4,
                "440115001",
                vec![("name", "陈红".into()), ("phone", "13800000004".into())],
            ),
        ];
        for (n, new) in records.iter().enumerate() {
            let now = 1_795_395_600_000 + n as u64;
            let created = bulk.create(new, &mut bulk_clock, now).unwrap();
            let mut real = Record::create(new.clone(), &author, &mut real_clock, now).unwrap();
            let changes = real.changes_since(&[]);
            assert_eq!(created.hash, changes[0].0, "record {n}");
            let loaded = Record::load(&created.bytes).unwrap();
            assert_eq!(loaded.id(), &new.id);
            assert_eq!(loaded.fields(), real.fields());
            assert_eq!(loaded.state(), real.state());
            assert_eq!(loaded.state().unit.as_deref(), Some(new.unit.as_str()));
            let parsed = crate::sync::change::ParsedChange::parse(&created.bytes).unwrap();
            assert_eq!(
                parsed.creation(&new.id).unwrap().events_object,
                created.events_object
            );
            let events: Vec<_> = parsed
                .events(&created.events_object)
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(
                events,
                vec![(created.event.id.to_string(), created.event.clone())]
            );
        }
    }
}
