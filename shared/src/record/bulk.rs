//! Creating many records at once (批量建档), for imports of tens of thousands of persons.
//!
//! Automerge builds a document op by op through its op set, which costs about a third of a
//! millisecond for a person record — half a minute for a 100,000-row list. Every record of an
//! import has the same shape, though: the same root keys, the same field keys in the same order,
//! one dispatch event. So the first record of each shape is made by [`Record::create`], its
//! creation change is decoded once, and every later record's change is that template with its
//! own values, event and time put in. The result is the change [`Record::create`] would have
//! made — the tests compare hashes — at a small fraction of the cost.
//!
//! The bytes are written by patching the template's own bytes ([`patch`]): only the timestamp,
//! the events map's key and the values differ between records of a shape. A template whose
//! bytes that module cannot reproduce is re-encoded through Automerge instead
//! (`Change::from(ExpandedChange)`, ~25 µs a record).

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{Change, ChangeHash, ExpandedChange, ScalarValue};

use super::event::{Action, Author, Event, EventId, RecordId};
use super::{NewRecord, Record, RecordError};
use crate::hlc::HlcClock;

mod patch;

use patch::{ChangeLayout, OpPatch};

/// A decoded creation change and where its per-record values go.
struct Template {
    change: ExpandedChange,
    fields_object: ObjectId,
    events_object: ObjectId,
    /// The change's bytes cut for patching; `None` when they must be re-encoded.
    layout: Option<ChangeLayout>,
}

/// Where an op of the template gets its per-record key and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Same,
    Id,
    Kind,
    Program,
    /// The next field value, in the order of `NewRecord::fields`.
    Field,
    /// The dispatch event: its id is the key, its JSON the value.
    Event,
}

impl Template {
    /// The creation change of `new` written by patching the template's bytes, or `None` when
    /// the template has no layout to patch or `new` does not fit it.
    fn patched(
        &self,
        new: &NewRecord,
        event: &Event,
        json: &str,
        time: i64,
    ) -> Option<patch::Written> {
        let layout = self.layout.as_ref()?;
        let mut values = new.fields.iter().map(|(_, value)| value.as_str());
        let value = |v| OpPatch {
            key: None,
            value: Some(v),
        };
        let patches = self
            .slots()
            .map(|slot| {
                Some(match slot {
                    Slot::Same => OpPatch {
                        key: None,
                        value: None,
                    },
                    Slot::Id => value(new.id.as_str()),
                    Slot::Kind => value(new.kind.code()),
                    Slot::Program => value(&new.program),
                    Slot::Field => value(values.next()?),
                    Slot::Event => OpPatch {
                        key: Some(event.id.as_str()),
                        value: Some(json),
                    },
                })
            })
            .collect::<Option<Vec<_>>>()?;
        if values.next().is_some() {
            return None;
        }
        layout.write(time, &patches)
    }

    fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.change.operations.iter().map(|op| {
            if op.obj == ObjectId::Root {
                match &op.key {
                    Key::Map(k) if k.as_str() == "id" => Slot::Id,
                    Key::Map(k) if k.as_str() == "kind" => Slot::Kind,
                    Key::Map(k) if k.as_str() == "program" => Slot::Program,
                    _ => Slot::Same,
                }
            } else if op.obj == self.fields_object {
                Slot::Field
            } else if op.obj == self.events_object {
                Slot::Event
            } else {
                Slot::Same
            }
        })
    }
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
    /// The event as JSON, as the change holds it (the ledger stores it too).
    pub event_json: String,
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
            let expanded = ExpandedChange::from(&*change);
            let fields_object =
                object_of(&expanded, "fields").ok_or(RecordError::MissingRoot("fields"))?;
            let events_object =
                object_of(&expanded, "events").ok_or(RecordError::MissingRoot("events"))?;
            // Patched from Automerge's own encoding of the decoded change, which is what the
            // re-encoding path would produce.
            let canonical = Change::from(expanded.clone());
            let layout = ChangeLayout::of(canonical.raw_bytes())
                .filter(|layout| layout.ops() == expanded.operations.len());
            self.templates.insert(
                shape.clone(),
                Template {
                    change: expanded,
                    fields_object,
                    events_object,
                    layout,
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
        let time = i64::try_from(event.at.wall_ms / 1000).unwrap_or(i64::MAX);
        let events_object = match &template.events_object {
            ObjectId::Id(id) => format!("{}@{}", id.0, id.1),
            ObjectId::Root => return Err(RecordError::MissingRoot("events")),
        };
        if let Some(written) = template.patched(new, &event, &json, time) {
            return Ok(CreatedRecord {
                id: new.id.clone(),
                hash: written.hash,
                bytes: written.bytes,
                event,
                event_json: json,
                events_object,
            });
        }
        let mut change = template.change.clone();
        change.hash = None;
        change.time = time;
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
        Ok(CreatedRecord {
            id: new.id.clone(),
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
            event,
            event_json: json,
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

    /// Field values that exercise the column encodings: empty values, equal values and equal
    /// lengths next to each other (runs in the value metadata), multi-byte UTF-8, and values
    /// long enough to need two-byte lengths.
    fn field_value() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            proptest::strategy::Just(String::new()),
            proptest::strategy::Just("13800000000".to_owned()),
            "[0-9]{11}",
            "[a-z]{0,3}",
            "[李王张刘陈]{1,4}",
            "\\PC{0,40}",
            "[a-z0-9 ]{120,300}",
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn patched_changes_hash_as_record_create_makes_them(
            values in proptest::collection::vec(field_value(), 3),
            unit in "[0-9]{6,12}",
            index in 0usize..1_000_000,
            now in 1_000_000_000u64..4_000_000_000_000,
        ) {
            let author = author();
            let mut bulk = BulkCreator::new(&author);
            let mut bulk_clock = HlcClock::new(author.device.clone());
            let mut real_clock = HlcClock::new(author.device.clone());
            // The first record of the shape is the template; the second is patched.
            let template = person(0, "440115001", vec![
                ("name", "何伟".into()),
                ("phone", "13800000000".into()),
                ("address", "南沙区某路 1 号".into()),
            ]);
            let new = person(
                index,
                &unit,
                vec![
                    ("name", values[0].clone()),
                    ("phone", values[1].clone()),
                    ("address", values[2].clone()),
                ],
            );
            for record in [&template, &new] {
                let created = bulk.create(record, &mut bulk_clock, now).unwrap();
                let mut real =
                    Record::create(record.clone(), &author, &mut real_clock, now).unwrap();
                let changes = real.changes_since(&[]);
                proptest::prop_assert_eq!(created.hash, changes[0].0);
                let loaded = Record::load(&created.bytes).unwrap();
                proptest::prop_assert_eq!(loaded.fields(), real.fields());
            }
        }
    }

    #[test]
    fn every_template_of_the_import_shapes_is_patched() {
        let author = author();
        let mut bulk = BulkCreator::new(&author);
        let mut clock = HlcClock::new(author.device.clone());
        let new = person(1, "440115001", vec![("name", "李明".into())]);
        bulk.create(&new, &mut clock, 1_795_395_600_000).unwrap();
        assert!(bulk.templates.values().all(|t| t.layout.is_some()));
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
