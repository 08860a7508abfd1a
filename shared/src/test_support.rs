//! Helpers shared by the unit tests of several modules.

use automerge::Change;
use proptest::prelude::*;

use crate::hlc::{DeviceId, HlcClock};
use crate::record::{
    self, Action, Author, EventId, NewRecord, Record, RecordId, RecordKind, UserId, field_keys,
};

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

pub(crate) const UNITS: [&str; 3] = ["440115001", "440115002", "440115100"];
const FIELD_KEYS: [&str; 4] = [
    field_keys::NAME,
    field_keys::PHONE,
    field_keys::ID_NUMBER,
    "note",
];

/// One step of a random history on three devices, each with its own copy of the record.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// A workflow event at a clock time drawn at random, so that events from different devices
    /// arrive out of clock order.
    Act {
        device: usize,
        action: u8,
        at: u16,
    },
    SetField {
        device: usize,
        key: usize,
        value: u8,
    },
    Sync {
        from: usize,
        to: usize,
    },
}

pub(crate) fn step() -> impl Strategy<Value = Step> {
    let device = 0usize..3;
    prop_oneof![
        3 => (device.clone(), 0u8..8, any::<u16>())
            .prop_map(|(device, action, at)| Step::Act { device, action, at }),
        2 => (device.clone(), 0..FIELD_KEYS.len(), 0u8..4)
            .prop_map(|(device, key, value)| Step::SetField { device, key, value }),
        1 => (device.clone(), device).prop_map(|(from, to)| Step::Sync { from, to }),
    ]
}

fn action(code: u8) -> Action {
    match code {
        0 | 1 => Action::Claimed,
        2 => Action::Answered {
            outcome: vec!["local".into(), "home".into()],
            note: None,
        },
        3 => Action::Reassigned {
            to_unit: UNITS[1].into(),
            reason: None,
        },
        4 => Action::TagBound { tag: "WB-1".into() },
        5 => Action::TagBound { tag: "WB-2".into() },
        6 => Action::SuppliesIssued {
            item: "n95".into(),
            quantity: 2,
        },
        _ => Action::ReviewResolved {
            marks: vec!["claims".into()],
            note: None,
        },
    }
}

/// The record as the district created it, and every change the three devices made after, each
/// device's in the order it made them.
pub(crate) fn random_history(steps: &[Step]) -> (Record, Vec<Vec<Vec<u8>>>) {
    let mut district = Worker::new("district", "d-pc");
    let mut base = district.person("p-0001", UNITS[0], "李明", "13490879088", "44011519900307");
    let base_heads = base.heads();
    let mut devices: Vec<Worker> = (0..3)
        .map(|i| Worker::new(&format!("user-{i}"), &format!("device-{i}")))
        .collect();
    let mut copies: Vec<Record> = (0..3).map(|_| base.clone()).collect();
    for step in steps {
        match *step {
            Step::Act {
                device,
                action: code,
                at,
            } => {
                devices[device].act(&mut copies[device], 10_000 + u64::from(at), action(code));
            }
            Step::SetField { device, key, value } => {
                let author = devices[device].author.clone();
                copies[device]
                    .set_field(&author, FIELD_KEYS[key], &format!("value-{value}"))
                    .unwrap();
            }
            Step::Sync { from, to } if from != to => {
                let mut source = copies[from].clone();
                copies[to].merge(&mut source).unwrap();
            }
            Step::Sync { .. } => {}
        }
    }
    // Each device sends only its own changes: the others' reach the receiver from them.
    let changes = copies
        .iter_mut()
        .zip(&devices)
        .map(|(copy, device)| {
            let actor = record::actor_for(&device.author.device);
            copy.changes_since(&base_heads)
                .into_iter()
                .map(|(_, bytes)| bytes)
                .filter(|bytes| {
                    Change::from_bytes(bytes.clone())
                        .is_ok_and(|change| change.actor_id() == &actor)
                })
                .collect()
        })
        .collect();
    (base, changes)
}

/// A tiny deterministic generator so that a failing case replays exactly from its seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The messages a receiver gets: each device's changes in runs of one to three (as sync sends
/// them), the devices interleaved at random, some messages twice, some out of causal order.
pub(crate) fn deliveries(changes: &[Vec<Vec<u8>>], seed: u64) -> Vec<Vec<u8>> {
    let mut rng = SplitMix(seed);
    let mut next: Vec<usize> = vec![0; changes.len()];
    let mut messages: Vec<Vec<u8>> = Vec::new();
    while next.iter().zip(changes).any(|(n, c)| *n < c.len()) {
        let device = rng.below(changes.len());
        let pending = &changes[device][next[device]..];
        if pending.is_empty() {
            continue;
        }
        let run = (1 + rng.below(3)).min(pending.len());
        messages.push(pending[..run].concat());
        next[device] += run;
        match rng.below(8) {
            0 => messages.push(messages[rng.below(messages.len())].clone()),
            1 if messages.len() > 1 => {
                let last = messages.len() - 1;
                messages.swap(last, rng.below(last));
            }
            _ => {}
        }
    }
    messages
}

/// What an enrolled device turned hostile could send, for the tests of the server's admission
/// and of a device's replica alike.
pub(crate) mod hostile {
    use automerge::{AutoCommit, Change, ChangeHash, ExpandedChange};

    use super::Worker;
    use crate::hlc::DeviceId;
    use crate::record::{NewRecord, Record, RecordId, RecordKind, actor_for};

    /// A person the server imported into 南沙街道: its creation is its only change.
    pub(crate) fn imported(id: &str, program: &str, fields: Vec<(String, String)>) -> Record {
        let mut import = Worker::new("import", "server-import");
        Record::create(
            NewRecord {
                id: RecordId::new(id).unwrap(),
                kind: RecordKind::Person,
                program: program.into(),
                unit: "440115001".into(),
                batch: Some("954428744670892032".into()),
                fields,
            },
            &import.author,
            &mut import.clock,
            1_000,
        )
        .unwrap()
    }

    /// The record's changes since `heads`, as bytes.
    pub(crate) fn since(record: &mut Record, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
        record
            .changes_since(heads)
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect()
    }

    /// Re-encodes a change after `edit`, as a device that writes its own bytes could.
    pub(crate) fn forged(bytes: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
        let change = Change::try_from(bytes).unwrap();
        let mut expanded = change.decode();
        expanded.hash = None;
        edit(&mut expanded);
        Change::from(expanded).bytes().into_owned()
    }

    /// A change written with Automerge directly by device-1's actor on top of `record`.
    pub(crate) fn raw_change(record: &mut Record, edit: impl FnOnce(&mut AutoCommit)) -> Vec<u8> {
        let mut doc = AutoCommit::load(&record.save()).unwrap();
        doc.set_actor(actor_for(&DeviceId::new("device-1").unwrap()));
        edit(&mut doc);
        doc.commit();
        let heads = record.heads();
        doc.get_changes(&heads)
            .into_iter()
            .map(|mut c| c.bytes().into_owned())
            .next()
            .unwrap()
    }
}
