//! Every input the fuzz targets (`fuzz/`, see ARCHITECTURE.md, *Fuzzing*) ever crashed on, kept in
//! `tests/fuzz_regressions/<target>/` and replayed here the way its target runs it. A crash
//! found by fuzzing is fixed in the code and its (minimised) input copied into that folder.

use std::fs;
use std::path::PathBuf;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::admission::{Pusher, Rules, Stored, admit};
use outpost_shared::sync::change::ParsedChange;
use outpost_shared::{jurisdiction, program};

/// The first bytes of every Automerge chunk: an admission input is split into changes there.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The kept inputs of one target, with their file names.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let Ok(entries) = fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut inputs: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&path).expect("the input reads"))
        })
        .collect();
    inputs.sort();
    inputs
}

/// The stored person of the fuzz targets (`outpost_fuzz::stored_person`).
fn stored_person() -> Record {
    let device = DeviceId::new("server-import").expect("a device id");
    let author = Author {
        user: UserId::new("import").expect("a user id"),
        device: device.clone(),
    };
    Record::create(
        NewRecord {
            id: RecordId::new("p-fuzz-1").expect("a record id"),
            kind: RecordKind::Person,
            program: "w1-close-contact-whereabouts".into(),
            unit: "440115001".into(),
            batch: Some("954428744670892032".into()),
            fields: vec![
                ("name".into(), "李明".into()),
                ("phone".into(), "13800138000".into()),
            ],
        },
        &author,
        &mut HlcClock::new(device),
        1_000,
    )
    .expect("the person is created")
}

#[test]
fn kept_change_inputs_are_parsed_or_refused() {
    for (name, bytes) in inputs("change") {
        if let Ok(parsed) = ParsedChange::parse(&bytes) {
            let _ = parsed.creates_record();
            println!("{name}: parsed");
        }
    }
}

/// An admission input as `outpost_fuzz::split_push` reads it: options, then one change per
/// Automerge magic. Only inputs for the stored person are kept here (options bit 0 clear).
fn admission_changes(bytes: &[u8]) -> Vec<Vec<u8>> {
    let starts: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == AUTOMERGE_MAGIC)
        .map(|(i, _)| i)
        .collect();
    let ends = starts.iter().skip(1).copied().chain([bytes.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| bytes[start..end].to_vec())
        .collect()
}

#[test]
fn kept_pushes_are_admitted_or_refused() {
    let programs = program::load_presets().expect("the presets load");
    let jurisdictions = jurisdiction::load_presets().expect("the presets load");
    let rules = Rules {
        programs: &programs,
        jurisdictions: &jurisdictions,
    };
    let pusher = Pusher {
        user: "worker-1",
        device: "device-1",
        role: "worker",
    };
    let mut person = stored_person();
    let stored_changes: Vec<Vec<u8>> = person
        .changes_since(&[])
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    for (name, bytes) in inputs("admission") {
        assert_eq!(
            bytes.first(),
            Some(&0),
            "{name}: not a push onto the stored person"
        );
        let stored = Stored::load(&stored_changes).expect("the stored person loads");
        let verdict = admit(
            person.id(),
            stored,
            &admission_changes(&bytes),
            pusher,
            rules,
        );
        println!("{name}: {verdict:?}");
    }
}

#[test]
fn kept_record_inputs_load_and_apply_without_panicking() {
    for (name, bytes) in inputs("record") {
        if let Ok(mut record) = Record::load(&bytes) {
            let _ = record.state();
            assert!(
                Record::load(&record.save()).is_ok(),
                "{name}: does not reload"
            );
        }
        let mut person = stored_person();
        if person.apply(&bytes).is_ok() {
            let _ = person.state();
            assert!(
                Record::load(&person.save()).is_ok(),
                "{name}: does not reload"
            );
        }
    }
}

#[cfg(feature = "spreadsheet")]
#[test]
fn kept_workbooks_are_read_or_refused_without_panicking() {
    use outpost_shared::spreadsheet::{ImportOptions, read_list};

    let programs = program::load_presets().expect("the presets load");
    let jurisdictions = jurisdiction::load_presets().expect("the presets load");
    let w1 = programs
        .iter()
        .find(|p| p.id() == "w1-close-contact-whereabouts")
        .expect("W1");
    let options = ImportOptions {
        program: w1,
        jurisdictions: &jurisdictions,
        within: Some("440115"),
    };
    for (name, bytes) in inputs("workbook") {
        // Read or refused, either is right; returning at all is the test.
        let result = read_list(&bytes, &options, &mut |_| {});
        println!("{name}: {:?}", result.map(|list| list.summary()));
    }
}
