//! The workbook reader: `spreadsheet::read_list` on any bytes (.xlsx, .xls, .xlsb, .ods), as a
//! W1 list of district 440115. A panic in Outpost's code is a finding, on the calling thread or
//! on the parsing thread; one in calamine must stay behind the reader's panic boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost_fuzz::{W1, allow_caught_panics, jurisdictions, no_escaping_panic, program};
use outpost_shared::spreadsheet::{ImportOptions, read_list};

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    no_escaping_panic(|| {
        let options = ImportOptions {
            program: program(W1),
            jurisdictions: jurisdictions(),
            within: Some("440115"),
        };
        if let Ok(list) = read_list(data, &options, &mut |_| {}) {
            let _ = list.summary();
        }
    });
});
