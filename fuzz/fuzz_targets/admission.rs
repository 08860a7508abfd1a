//! The apply path of a push: the server's admission (`sync::admission::admit`) of changes onto a
//! stored W1 person or onto a record new to the ledger, then what the server and every replica
//! do with admitted changes — parse them strictly and read their events (the ledger), apply
//! them, fold the record, save it and load it again (every replica). The input is split into changes at each
//! Automerge magic; the bytes before the first say who pushes (see `outpost_fuzz::split_push`).
#![no_main]

use std::sync::LazyLock;

use automerge::Change;
use libfuzzer_sys::fuzz_target;
use outpost_fuzz::{
    allow_caught_panics, assert_reloads, no_escaping_panic, read_everything, rules, split_push,
    stored_person,
};
use outpost_shared::record::Record;
use outpost_shared::sync::admission::{Stored, admit};
use outpost_shared::sync::change::ParsedChange;

/// The stored person's changes, as the ledger holds them.
static STORED: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut person = stored_person();
    person
        .changes_since(&[])
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
});

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    no_escaping_panic(|| {
        let push = split_push(data);
        let stored_changes: &[Vec<u8>] = if push.stored { &STORED } else { &[] };
        let stored = Stored::load(stored_changes).expect("the stored person loads");
        if admit(&push.id, stored, &push.changes, push.pusher, rules()).is_err() {
            return;
        }
        // Admitted: the ledger parses every change strictly (a change it refuses fails the
        // push) and reads the events of the record's events map from them.
        let Ok(parsed) = push
            .changes
            .iter()
            .map(|change| ParsedChange::parse(change))
            .collect::<Result<Vec<_>, _>>()
        else {
            return;
        };
        let creation = stored_changes
            .first()
            .or(push.changes.first())
            .and_then(|first| ParsedChange::parse(first).ok())
            .and_then(|first| first.creation(&push.id).ok());
        if let Some(creation) = &creation {
            for change in &parsed {
                let _ = change.events(&creation.events_object);
            }
        }
        // Admission applied them to the stored record, or to the record the first change
        // creates unless that change waits for others; the replica does the same.
        let (mut record, rest) = if push.stored {
            let record = Record::load(&stored_changes.concat()).expect("the stored person loads");
            (record, &push.changes[..])
        } else {
            let Some(first) = push.changes.first() else {
                return;
            };
            if Change::from_bytes(first.clone()).is_ok_and(|c| !c.deps().is_empty()) {
                return;
            }
            let record = match Record::load(first) {
                Ok(record) => record,
                Err(error) => panic!("an admitted creation does not load: {error}"),
            };
            (record, &push.changes[1..])
        };
        if let Err(error) = record.apply_changes(rest) {
            panic!("admitted changes do not apply: {error}");
        }
        read_everything(&record);
        if record.missing_dependencies().is_empty() {
            assert_reloads(&mut record);
        }
    });
});
