//! Every input the fuzz targets (`fuzz/`, see ARCHITECTURE.md, *Fuzzing*) ever crashed on, kept in
//! `tests/fuzz_regressions/<target>/` and replayed here the way its target runs it. A crash
//! found by fuzzing is fixed in the code and its (minimised) input copied into that folder.

use std::fs;
use std::path::PathBuf;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};

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
    use outpost_shared::{jurisdiction, program};

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
