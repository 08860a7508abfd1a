//! The workbook reader past the zip layer: the input is a worksheet's XML and, after the first
//! NUL byte, the shared strings' XML, put into a fixed one-sheet .xlsx and read as a W1 list.
//! (Mutated zip files are mostly refused by the zip reader before any sheet is parsed.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost_fuzz::{
    PART_SEPARATOR, W1, allow_caught_panics, jurisdictions, no_escaping_panic, program, xlsx_around,
};
use outpost_shared::spreadsheet::{ImportOptions, read_list};

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    no_escaping_panic(|| {
        let (sheet, strings) = match data.iter().position(|b| *b == PART_SEPARATOR) {
            Some(at) => (&data[..at], &data[at + 1..]),
            None => (data, &b""[..]),
        };
        let workbook = xlsx_around(sheet, strings);
        let options = ImportOptions {
            program: program(W1),
            jurisdictions: jurisdictions(),
            within: Some("440115"),
        };
        if let Ok(list) = read_list(&workbook, &options, &mut |_| {}) {
            let _ = list.summary();
        }
    });
});
