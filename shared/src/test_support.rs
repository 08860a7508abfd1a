//! Helpers shared by the unit tests of several modules.

use crate::hlc::{DeviceId, HlcClock};
use crate::record::{Action, Author, EventId, NewRecord, Record, RecordId, RecordKind, UserId};

/// A person at a device: the author of events, with the device's clock.
pub(crate) struct Worker {
    pub(crate) author: Author,
    pub(crate) clock: HlcClock,
}

impl Worker {
    pub(crate) fn new(user: &str, device: &str) -> Self {
        let device = DeviceId::new(device).unwrap();
        Self {
            author: Author {
                user: UserId::new(user).unwrap(),
                device: device.clone(),
            },
            clock: HlcClock::new(device),
        }
    }

    pub(crate) fn act(&mut self, record: &mut Record, now_ms: u64, action: Action) -> EventId {
        record
            .append(&self.author, &mut self.clock, now_ms, action)
            .unwrap()
    }

    /// A W1 person record dispatched to `unit`.
    pub(crate) fn person(
        &mut self,
        id: &str,
        unit: &str,
        name: &str,
        phone: &str,
        id_number: &str,
    ) -> Record {
        Record::create(
            NewRecord {
                id: RecordId::new(id).unwrap(),
                kind: RecordKind::Person,
                program: "w1".into(),
                unit: unit.into(),
                batch: Some("954428744670892032".into()),
                fields: vec![
                    ("name".into(), name.into()),
                    ("phone".into(), phone.into()),
                    ("id_number".into(), id_number.into()),
                ],
            },
            &self.author,
            &mut self.clock,
            1_000,
        )
        .unwrap()
    }
}
