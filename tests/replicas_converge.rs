//! Five field devices, each with its own replica file, work offline on the same task list and
//! then exchange their changes in a random order, with messages dropped, duplicated and
//! reordered. After enough rounds every replica holds the same records, the same derived lists
//! and the same review marks, and no edit is lost.
//!
//! (The sync-server issue adds the server between the devices; this test pins the replica-level
//! guarantee the protocol builds on.)

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::collections::BTreeMap;

use outpost_e2e::Device;
use outpost_shared::demo::{DemoRng, people};
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{
    Action, Author, NewRecord, Record, RecordId, RecordKind, TaskStatus, UserId,
};
use outpost_shared::replica::{ApplyOutcome, SearchQuery};

const TOWNS: &[&str] = &["440115001", "440115002", "440115100"];
const RECORDS: usize = 40;

fn record_id(i: usize) -> RecordId {
    RecordId::new(format!("p{i:03}")).unwrap()
}

/// Every change a device holds beyond `base`, per record, as separately encoded changes.
fn outbox(device: &mut Device, ids: &[RecordId]) -> Vec<(RecordId, Vec<u8>)> {
    let mut messages = Vec::new();
    for id in ids {
        if let Some(mut record) = device.replica.load(id).unwrap() {
            for (_, bytes) in record.changes_since(&[]) {
                messages.push((id.clone(), bytes));
            }
        }
    }
    messages
}

/// Applies received messages in the order given, in one transaction, as sync will.
fn deliver(device: &mut Device, messages: &[(RecordId, Vec<u8>)]) {
    device
        .replica
        .write(|w| {
            for (id, bytes) in messages {
                w.apply_changes(id, bytes)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn five_offline_devices_converge_whatever_the_delivery_order() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut rng = DemoRng::new(20261123);

    // The district imports a list on its own replica.
    let district_device = DeviceId::new("district-pc").unwrap();
    let district = Author {
        user: UserId::new("district").unwrap(),
        device: district_device.clone(),
    };
    let mut district_clock = HlcClock::new(district_device);
    let ids: Vec<RecordId> = (0..RECORDS).map(record_id).collect();
    let mut snapshots = Vec::new();
    for (i, person) in people(5, RECORDS, TOWNS).into_iter().enumerate() {
        let mut record = Record::create(
            NewRecord {
                id: record_id(i),
                kind: RecordKind::Person,
                program: "w1".into(),
                unit: person.unit,
                batch: Some("b-2026-11-23".into()),
                fields: vec![
                    ("name".into(), person.name),
                    ("phone".into(), person.phone),
                    ("id_number".into(), person.id_number),
                ],
            },
            &district,
            &mut district_clock,
            1_000,
        )
        .unwrap();
        snapshots.push((record_id(i), record.save()));
    }

    // Five devices receive the list, then go offline.
    let mut devices: Vec<Device> = (0..5)
        .map(|d| Device::open(dir.path(), &format!("worker-{d}"), &format!("phone-{d}")).unwrap())
        .collect();
    for device in &mut devices {
        device
            .replica
            .write(|w| {
                for (id, bytes) in &snapshots {
                    assert_eq!(w.apply_changes(id, bytes)?, ApplyOutcome::Created);
                }
                Ok(())
            })
            .unwrap();
    }

    // Offline work: every device claims, answers, moves, binds and corrects at random.
    let mut expected_field_edits: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for step in 0..300u64 {
        let d = rng.below(5) as usize;
        let i = rng.below(RECORDS as u64) as usize;
        let now = 10_000 + step * 1_000 + rng.below(900);
        let action = match rng.below(6) {
            0 | 1 => Action::Claimed,
            2 => Action::Answered {
                outcome: vec![
                    "local".into(),
                    ["central", "home"][rng.below(2) as usize].into(),
                ],
                note: None,
            },
            3 => Action::Reassigned {
                to_unit: TOWNS[rng.below(3) as usize].into(),
                reason: None,
            },
            4 => Action::TagBound {
                tag: format!("WB-{:04}", rng.below(60)),
            },
            _ => {
                let phone = format!("1390000{:04}", rng.below(10_000));
                let device = &mut devices[d];
                let author = device.author.clone();
                device
                    .replica
                    .write(|w| {
                        let mut record = w.load(&ids[i])?.unwrap();
                        record.set_field(&author, "phone", &phone).unwrap();
                        w.save(&mut record)
                    })
                    .unwrap();
                expected_field_edits
                    .entry((i, "phone".into()))
                    .or_default()
                    .push(phone);
                continue;
            }
        };
        assert!(devices[d].act(&ids[i], now, action).unwrap());
    }

    // Exchange: each round, every device sends everything it has to a random other device;
    // a third of the messages are dropped, a fifth duplicated, all shuffled.
    for _round in 0..12 {
        for from in 0..5 {
            let to = (from + 1 + rng.below(4) as usize) % 5;
            let mut messages = outbox(&mut devices[from], &ids);
            let duplicates: Vec<_> = messages
                .iter()
                .filter(|_| rng.below(5) == 0)
                .cloned()
                .collect();
            messages.extend(duplicates);
            messages.retain(|_| rng.below(3) != 0);
            for k in (1..messages.len()).rev() {
                let j = rng.below(k as u64 + 1) as usize;
                messages.swap(k, j);
            }
            deliver(&mut devices[to], &messages);
        }
    }
    // A final lossless round in a fixed ring, twice, so that everything has reached everyone.
    for _ in 0..2 {
        for from in 0..5 {
            let to = (from + 1) % 5;
            let messages = outbox(&mut devices[from], &ids);
            deliver(&mut devices[to], &messages);
        }
    }

    let reference = devices[0].replica.derived_snapshot().unwrap();
    for device in &devices[1..] {
        assert_eq!(device.replica.derived_snapshot().unwrap(), reference);
    }
    let first = &devices[0].replica;
    for id in &ids {
        let record = first.load(id).unwrap().unwrap();
        let (events, unreadable) = record.events();
        assert!(unreadable.is_empty());
        // 1 dispatch + whatever was done to it: no event lost on the way.
        assert!(!events.is_empty());
    }
    let total_events: usize = ids
        .iter()
        .map(|id| first.load(id).unwrap().unwrap().events().0.len())
        .sum();
    assert_eq!(
        total_events,
        RECORDS + 300 - expected_field_edits.values().map(Vec::len).sum::<usize>()
    );
    for ((i, field), values) in &expected_field_edits {
        let value = first.load(&ids[*i]).unwrap().unwrap().field(field).unwrap();
        let visible: Vec<&String> = std::iter::once(&value.value)
            .chain(value.conflicting.iter())
            .collect();
        assert!(
            values.iter().any(|v| visible.contains(&v)),
            "record {i}: none of the edits {values:?} is visible"
        );
    }
    let counts = first.counts("440115").unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), RECORDS as u64);
    assert!(
        counts
            .iter()
            .any(|(s, n)| *s != TaskStatus::Unclaimed && *n > 0)
    );
    let person = first.summary(&ids[0]).unwrap().unwrap();
    let tail = &person.phone.unwrap()[7..];
    assert!(
        !first
            .search(&SearchQuery::PhoneTail(tail.into()), 50)
            .unwrap()
            .is_empty()
    );
}
