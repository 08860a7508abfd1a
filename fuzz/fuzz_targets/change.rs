//! The strict change parser: `ParsedChange::parse` and the facts the server reads from a change
//! without loading the record (its creation, its events), on any bytes. Automerge's panics must
//! stay behind the parser's boundary, and a change that parses must re-encode to its own hash.
#![no_main]

use std::sync::LazyLock;

use automerge::Change;
use libfuzzer_sys::fuzz_target;
use outpost_fuzz::{NEW_ID, PERSON_ID, allow_caught_panics, no_escaping_panic, stored_person};
use outpost_shared::record::RecordId;
use outpost_shared::sync::change::ParsedChange;

/// The object id of the stored person's events map, as the ledger keeps it.
static PERSON_EVENTS: LazyLock<String> = LazyLock::new(|| {
    let mut person = stored_person();
    let changes = person.changes_since(&[]);
    let id = RecordId::new(PERSON_ID).expect("a valid record id");
    ParsedChange::parse(&changes[0].1)
        .and_then(|first| first.creation(&id))
        .expect("the stored person's first change creates it")
        .events_object
});

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    no_escaping_panic(|| run(data));
});

fn run(data: &[u8]) {
    let Ok(parsed) = ParsedChange::parse(data) else {
        return;
    };
    let _ = parsed.creates_record();
    // A change that parsed is in Automerge's own encoding: re-encoded, it has its own hash, so
    // a document that holds it saves and loads again under the heads the ledger knows.
    let mut again = Change::from_bytes(data.to_vec())
        .expect("a parsed change parses")
        .decode();
    again.hash = None;
    assert_eq!(
        Change::from(again).hash(),
        parsed.hash,
        "the change is not canonical"
    );
    for id in [PERSON_ID, NEW_ID] {
        let id = RecordId::new(id).expect("a valid record id");
        if let Ok(creation) = parsed.creation(&id) {
            let _ = parsed.events(&creation.events_object);
        }
    }
    // The events of the stored person, if this change continues it.
    let _ = parsed.events(&PERSON_EVENTS);
}
