//! Record loading: `Record::load` on any bytes, and `Record::apply` of any bytes to a loaded
//! record (a change run or a whole document, as a pull delivers them). Automerge's panics must
//! stay inside the record layer's panic boundary; a record that took the bytes must fold, save
//! and load again.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use outpost_fuzz::{
    allow_caught_panics, assert_reloads, no_escaping_panic, read_everything, stored_person,
};
use outpost_shared::record::Record;

static PERSON: LazyLock<Vec<u8>> = LazyLock::new(|| stored_person().save());

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    no_escaping_panic(|| {
        if let Ok(mut record) = Record::load(data) {
            read_everything(&record);
            assert_reloads(&mut record);
        }
        let mut person = Record::load(&PERSON).expect("the stored person loads");
        if person.apply(data).is_ok() {
            read_everything(&person);
            let _ = person.missing_dependencies();
            assert_reloads(&mut person);
        }
    });
});
