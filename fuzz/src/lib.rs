//! What the fuzz targets share: the rules they check against, the stored record that pushes are
//! admitted onto, how one input is split into several changes, the fixed .xlsx around a fuzzed
//! sheet, and the panic policy.
//!
//! The seed corpus (`make-corpus`) is built with the same functions, so its changes continue the
//! very record the targets build.

use std::cell::RefCell;
use std::io::{Cursor, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{LazyLock, Once};

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::jurisdiction::{self, Jurisdictions};
use outpost_shared::program::{self, Program};
use outpost_shared::record::{Action, Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::admission::{Pusher, Rules};

/// The first bytes of every Automerge chunk (change or document).
pub const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The stored person that pushes are admitted onto (W1, imported by the server).
pub const PERSON_ID: &str = "p-fuzz-1";
/// The record a push creates when no record is stored, unless the input names another.
pub const NEW_ID: &str = "p-fuzz-new";
/// The program and town of the stored person.
pub const W1: &str = "w1-close-contact-whereabouts";
pub const TOWN: &str = "440115001";
/// The pushing user and device.
pub const USER: &str = "worker-1";
pub const DEVICE: &str = "device-1";
/// The roles a push may come with, chosen by the input's first byte.
pub const ROLES: [&str; 6] = ["worker", "leader", "admin", "hotel", "cdc", "escort"];

struct Presets {
    programs: Vec<Program>,
    jurisdictions: Jurisdictions,
}

static PRESETS: LazyLock<Presets> = LazyLock::new(|| Presets {
    programs: program::load_presets().expect("the preset programs load"),
    jurisdictions: jurisdiction::load_presets().expect("the preset jurisdictions load"),
});

/// The programs and jurisdiction tree the server ships with.
pub fn rules() -> Rules<'static> {
    Rules {
        programs: &PRESETS.programs,
        jurisdictions: &PRESETS.jurisdictions,
    }
}

/// A preset program by id.
pub fn program(id: &str) -> &'static Program {
    PRESETS
        .programs
        .iter()
        .find(|p| p.id() == id)
        .expect("the preset program exists")
}

pub fn jurisdictions() -> &'static Jurisdictions {
    &PRESETS.jurisdictions
}

/// A person at a device, with the device's clock.
pub struct Worker {
    pub author: Author,
    pub clock: HlcClock,
}

impl Worker {
    pub fn new(user: &str, device: &str) -> Self {
        let device = DeviceId::new(device).expect("a valid device id");
        Self {
            author: Author {
                user: UserId::new(user).expect("a valid user id"),
                device: device.clone(),
            },
            clock: HlcClock::new(device),
        }
    }

    pub fn act(&mut self, record: &mut Record, now_ms: u64, action: Action) {
        record
            .append(&self.author, &mut self.clock, now_ms, action)
            .expect("the event appends");
    }
}

/// The stored person: created by the server's import (a deterministic change: its time is the
/// dispatch's), so the seed corpus and the targets build the same bytes.
pub fn stored_person() -> Record {
    let import = Worker::new("import", "server-import");
    let mut clock = import.clock.clone();
    Record::create(
        NewRecord {
            id: RecordId::new(PERSON_ID).expect("a valid record id"),
            kind: RecordKind::Person,
            program: W1.into(),
            unit: TOWN.into(),
            batch: Some("954428744670892032".into()),
            fields: vec![
                ("name".into(), "李明".into()),
                ("phone".into(), "13800138000".into()),
            ],
        },
        &import.author,
        &mut clock,
        1_000,
    )
    .expect("the person is created")
}

/// What one admission input says: who pushes, onto which record, and the changes.
pub struct Push {
    /// `None`: the record is new to the ledger.
    pub stored: bool,
    pub id: RecordId,
    pub pusher: Pusher<'static>,
    pub changes: Vec<Vec<u8>>,
}

/// Reads an admission input: `[options][id text]` up to the first Automerge magic, then one
/// change per magic. Options bit 0: no stored record (the push creates it; the id text names
/// it, `NEW_ID` if empty or invalid); bits 1–3: the role.
pub fn split_push(data: &[u8]) -> Push {
    let (header, changes) = split_chunks(data);
    let options = header.first().copied().unwrap_or(0);
    let stored = options & 1 == 0;
    let role = ROLES[usize::from(options >> 1) % ROLES.len()];
    let id = if stored {
        RecordId::new(PERSON_ID).expect("a valid record id")
    } else {
        std::str::from_utf8(header.get(1..).unwrap_or_default())
            .ok()
            .and_then(|text| RecordId::new(text).ok())
            .unwrap_or_else(|| RecordId::new(NEW_ID).expect("a valid record id"))
    };
    Push {
        stored,
        id,
        pusher: Pusher {
            user: USER,
            device: DEVICE,
            role,
        },
        changes,
    }
}

/// Writes an admission input that [`split_push`] reads back.
pub fn join_push(stored: bool, role: &str, id: Option<&str>, changes: &[Vec<u8>]) -> Vec<u8> {
    let role = ROLES.iter().position(|r| *r == role).unwrap_or(0) as u8;
    let mut data = vec![u8::from(!stored) | (role << 1)];
    data.extend_from_slice(id.unwrap_or_default().as_bytes());
    for change in changes {
        data.extend_from_slice(change);
    }
    data
}

/// The bytes before the first Automerge magic, and each run from one magic to the next.
pub fn split_chunks(data: &[u8]) -> (&[u8], Vec<Vec<u8>>) {
    let starts: Vec<usize> = data
        .windows(AUTOMERGE_MAGIC.len())
        .enumerate()
        .filter(|(_, w)| *w == AUTOMERGE_MAGIC)
        .map(|(i, _)| i)
        .collect();
    let Some(&first) = starts.first() else {
        return (data, Vec::new());
    };
    let ends = starts.iter().skip(1).copied().chain([data.len()]);
    let chunks = starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| data[start..end].to_vec())
        .collect();
    (&data[..first], chunks)
}

/// The .xlsx parts around the fuzzed sheet: one worksheet and a shared-strings part.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// Separates the sheet XML from the shared strings XML in a `sheet_xml` input.
pub const PART_SEPARATOR: u8 = 0;

/// A one-sheet .xlsx around `sheet` and `shared_strings`, stored uncompressed (the zip layer is
/// not what this fuzzes, and deflating every input would dominate the time).
pub fn xlsx_around(sheet: &[u8], shared_strings: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared_strings),
    ] {
        zip.start_file(name, options).expect("a zip entry starts");
        zip.write_all(bytes).expect("a zip entry is written");
    }
    zip.finish().expect("the zip is finished").into_inner()
}

thread_local! {
    /// The last panic on this thread: where and what, for the report of one that escapes.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// For targets whose code catches panics on purpose (the record layer's `guarded` around
/// Automerge, the spreadsheet reader's boundary around calamine): the abort-on-any-panic hook
/// of libfuzzer-sys is replaced by one that lets a panic raised in a dependency (or the standard
/// library) be caught, and remembers it for [`no_escaping_panic`]. A panic in Outpost's own code
/// is a finding even if something catches it: it is printed and the process aborts.
pub fn allow_caught_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let text = format!("{info}");
            let file = info.location().map(|l| l.file()).unwrap_or_default();
            if in_dependency(file) {
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(text));
                return;
            }
            eprintln!(
                "a panic in Outpost's code: {text}\n{}",
                std::backtrace::Backtrace::force_capture()
            );
            std::process::abort();
        }));
    });
}

/// Whether a source file is a dependency's (crates.io, git) or the standard library's.
fn in_dependency(file: &str) -> bool {
    file.contains("/registry/src/")
        || file.contains("/git/checkouts/")
        || file.starts_with("/rustc/")
}

/// Runs one input; a panic that escapes `work` is a finding: it is printed and the process
/// aborts, which libFuzzer records as a crash.
pub fn no_escaping_panic(work: impl FnOnce()) {
    if panic::catch_unwind(AssertUnwindSafe(work)).is_err() {
        let text = LAST_PANIC.with(|last| last.borrow_mut().take());
        eprintln!(
            "a panic escaped: {}",
            text.as_deref().unwrap_or("(no message)")
        );
        std::process::abort();
    }
}

/// A record that was accepted must save and load again: a replica stores what it accepted.
pub fn assert_reloads(record: &mut Record) {
    let saved = record.save();
    if let Err(error) = Record::load(&saved) {
        panic!("an accepted record does not load again: {error}");
    }
}

/// Reads the record's state, fields and events, as every screen and the server do.
pub fn read_everything(record: &Record) {
    let _ = record.state();
    let _ = record.fields();
    let _ = record.events();
}
