//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`: real changes,
//! records, sync requests, workbooks and scans, made with the crate's own functions, so that
//! the fuzzer starts from inputs that get past the first checks.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --features seeds --bin make-corpus`
//! (a normal build, not a fuzz build). Files are named by content; old ones are removed first.

use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use automerge::{Change, ExpandedChange};
use outpost_fuzz::{
    DEVICE, PART_SEPARATOR, PERSON_ID, USER, W1, Worker, join_push, jurisdictions, program, rules,
    split_push, stored_person,
};
use outpost_shared::identity::resident_id_check_character;
use outpost_shared::record::{Action, NewRecord, Record, RecordId, RecordKind};
use outpost_shared::spreadsheet::{ExportColumn, export, template};
use outpost_shared::supply::new_ledger;
use outpost_shared::sync::admission::{Stored, admit};
use outpost_shared::sync::message::{Cursor as SyncCursor, PageLimits, RecordChanges, SyncRequest};
use outpost_shared::tag::WristbandId;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const W2: &str = "w2-community-verification";
/// A community of Siming (W2's district).
const COMMUNITY: &str = "350203001001";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut corpus = Corpus::new(root);

    // The targets build the stored person again: the seeds continue it only if it is the same.
    assert_eq!(
        stored_person().heads(),
        stored_person().heads(),
        "the stored person is not deterministic"
    );
    let pushes = pushes();
    for push in &pushes {
        // Most seeds are admitted, so the fuzzer starts past admission's checks.
        let input = join_push(push.stored, push.role, push.id.as_deref(), &push.changes);
        let read = split_push(&input);
        let stored_changes = if read.stored {
            since(&mut stored_person(), &[])
        } else {
            Vec::new()
        };
        let stored = Stored::load(&stored_changes).expect("the stored person loads");
        let verdict = admit(&read.id, stored, &read.changes, read.pusher, rules());
        println!("admission seed {} ({}): {verdict:?}", read.id, push.role);
        corpus.add(
            "admission",
            &join_push(push.stored, push.role, push.id.as_deref(), &push.changes),
        );
        for change in &push.changes {
            corpus.add("change", change);
        }
        corpus.add("record", &push.changes.concat());
        if let Some(whole) = &push.whole {
            corpus.add("record", whole);
        }
        let mut request = SyncRequest::new(SyncCursor(42));
        request.push.push(RecordChanges {
            record: RecordId::new(push.id.as_deref().unwrap_or(PERSON_ID)).expect("an id"),
            changes: push.changes.clone(),
        });
        corpus.add("sync_request", &serde_json::to_vec(&request).expect("json"));
    }
    let mut person = stored_person();
    corpus.add("record", &person.save());
    for (_, change) in person.changes_since(&[]) {
        corpus.add("change", &change);
    }
    let mut request = SyncRequest::new(SyncCursor(0));
    request.resend_whole = vec![RecordId::new(PERSON_ID).expect("an id")];
    request.limits = Some(PageLimits {
        max_changes: 100,
        max_bytes: 65_536,
    });
    corpus.add("sync_request", &serde_json::to_vec(&request).expect("json"));
    corpus.add(
        "sync_request",
        &serde_json::to_vec(&SyncRequest::new(SyncCursor(u64::MAX))).expect("json"),
    );

    for workbook in workbooks() {
        if let Some((sheet, strings)) = sheet_parts(&workbook) {
            let mut input = sheet;
            input.push(PART_SEPARATOR);
            input.extend_from_slice(&strings);
            corpus.add("sheet_xml", &input);
        }
        corpus.add("workbook", &workbook);
    }

    for scan in scans() {
        corpus.add("tag", scan.as_bytes());
    }
    corpus.report();
}

/// One push a device could make, as the admission target reads it.
struct SeedPush {
    stored: bool,
    role: &'static str,
    id: Option<String>,
    changes: Vec<Vec<u8>>,
    /// The record after the push, saved whole.
    whole: Option<Vec<u8>>,
}

fn since(record: &mut Record, heads: &[automerge::ChangeHash]) -> Vec<Vec<u8>> {
    record
        .changes_since(heads)
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

/// Pushes onto the stored person by the worker's device, and records a device creates.
fn pushes() -> Vec<SeedPush> {
    let mut pushes = Vec::new();
    let onto_person = |role: &'static str, actions: Vec<Action>, fields: &[(&str, &str)]| {
        let mut record = stored_person();
        let heads = record.heads();
        let mut worker = Worker::new(USER, DEVICE);
        for (key, value) in fields {
            record
                .set_field(&worker.author, key, value)
                .expect("a field is set");
        }
        for (step, action) in actions.into_iter().enumerate() {
            worker.act(&mut record, 2_000 + 1_000 * step as u64, action);
        }
        SeedPush {
            stored: true,
            role,
            id: None,
            changes: since(&mut record, &heads),
            whole: Some(record.save()),
        }
    };
    pushes.push(onto_person("worker", vec![Action::Claimed], &[]));
    pushes.push(onto_person(
        "worker",
        vec![
            Action::Claimed,
            Action::Answered {
                outcome: vec![
                    "in_district".into(),
                    "central_quarantine".into(),
                    "zhujiang_jiayuan".into(),
                ],
                note: Some("已电话联系".into()),
            },
        ],
        &[],
    ));
    pushes.push(onto_person(
        "worker",
        vec![
            Action::Claimed,
            Action::Answered {
                outcome: vec!["not_in_district".into(), "other_province".into()],
                note: Some("湖南省长沙市岳麓区".into()),
            },
        ],
        &[("address", "南沙街道金沙社区 1 号")],
    ));
    pushes.push(onto_person(
        "leader",
        vec![Action::Reassigned {
            to_unit: "440115002".into(),
            reason: Some("住址不在本街道".into()),
        }],
        &[],
    ));
    pushes.push(onto_person(
        "worker",
        vec![Action::TagBound {
            tag: WristbandId::new(12_345).expect("a serial").payload(),
        }],
        &[("phone", "13900139000")],
    ));
    pushes.push(onto_person(
        "worker",
        vec![Action::SuppliesIssued {
            item: "mask".into(),
            quantity: 2,
        }],
        &[],
    ));

    // A change numbered 3 where 1 is expected (refused): a seed for the sequence checks.
    let mut gap = onto_person("worker", vec![Action::Claimed], &[]);
    gap.changes = gap
        .changes
        .iter()
        .map(|c| forged(c, |c| c.seq = 3))
        .collect();
    gap.whole = None;
    pushes.push(gap);

    // Records a device creates: a supplementary person (W2), a transfer, a supply ledger.
    let mut worker = Worker::new(USER, DEVICE);
    let mut supplementary = Record::create(
        NewRecord {
            id: RecordId::new("p-fuzz-sup").expect("an id"),
            kind: RecordKind::Person,
            program: W2.into(),
            unit: COMMUNITY.into(),
            batch: Some("954428744670892032".into()),
            fields: vec![
                ("supplementary_of".into(), "p-fuzz-0".into()),
                ("name".into(), "王芳".into()),
            ],
        },
        &worker.author,
        &mut worker.clock,
        5_000,
    )
    .expect("a supplementary person");
    pushes.push(SeedPush {
        stored: false,
        role: "worker",
        id: Some("p-fuzz-sup".into()),
        changes: since(&mut supplementary, &[]),
        whole: Some(supplementary.save()),
    });
    let mut transfer = Record::create(
        NewRecord {
            id: RecordId::new("t-fuzz-1").expect("an id"),
            kind: RecordKind::Transfer,
            program: W2.into(),
            unit: COMMUNITY.into(),
            batch: None,
            fields: Vec::new(),
        },
        &worker.author,
        &mut worker.clock,
        6_000,
    )
    .expect("a transfer");
    worker.act(
        &mut transfer,
        6_001,
        Action::TransferNotified {
            close_contact_riders: 2,
            other_riders: 1,
            pickup_address: "厦港街道沙坡尾 1 号".into(),
            persons: vec!["p-fuzz-sup".into(), "p-fuzz-2".into()],
        },
    );
    pushes.push(SeedPush {
        stored: false,
        role: "worker",
        id: Some("t-fuzz-1".into()),
        changes: since(&mut transfer, &[]),
        whole: Some(transfer.save()),
    });
    let new = new_ledger(COMMUNITY, W2).expect("a ledger id");
    let ledger_id = new.id.to_string();
    let mut ledger = Record::create_genesis(new).expect("a ledger");
    worker.act(
        &mut ledger,
        7_000,
        Action::StockReceived {
            item: "mask".into(),
            quantity: 500,
            note: None,
        },
    );
    worker.act(
        &mut ledger,
        7_001,
        Action::StockIssued {
            item: "mask".into(),
            quantity: 20,
            person: "p-fuzz-sup".into(),
        },
    );
    pushes.push(SeedPush {
        stored: false,
        role: "worker",
        id: Some(ledger_id),
        changes: since(&mut ledger, &[]),
        whole: Some(ledger.save()),
    });
    pushes
}

/// Re-encodes a change after `edit`, as a device that writes its own bytes could.
fn forged(bytes: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
    let change = Change::try_from(bytes).expect("a change");
    let mut expanded = change.decode();
    expanded.hash = None;
    edit(&mut expanded);
    Change::from(expanded).bytes().into_owned()
}

/// A valid resident id number for the date `yyyymmdd` in Nansha.
fn resident_id(date: &str, serial: &str) -> String {
    let first = format!("440115{date}{serial}");
    let check = resident_id_check_character(&first).expect("17 digits");
    format!("{first}{check}")
}

/// Small real workbooks: the templates, an export, and lists as people make them.
fn workbooks() -> Vec<Vec<u8>> {
    let w1 = program(W1);
    let mut books = vec![
        template(w1, jurisdictions(), Some("440115")).expect("the W1 template"),
        template(program(W2), jurisdictions(), None).expect("the W2 template"),
    ];
    let headers = [
        "关联病例",
        "姓名",
        "手机号码",
        "身份证号码",
        "密接类型",
        "所属镇街",
        "住址",
    ];
    let rows = vec![
        vec![
            "病例1".to_owned(),
            "李明".to_owned(),
            "13800138000".to_owned(),
            resident_id("19900307", "123"),
            "密接".to_owned(),
            "南沙街道".to_owned(),
            "金沙社区 1 号".to_owned(),
        ],
        vec![
            String::new(),
            "王芳".to_owned(),
            "1380013800".to_owned(),
            "4401151990030712".to_owned(),
            "次密接".to_owned(),
            "黄阁".to_owned(),
            String::new(),
        ],
    ];
    let columns: Vec<ExportColumn> = headers
        .iter()
        .map(|h| ExportColumn {
            header: (*h).to_owned(),
            width: None,
        })
        .collect();
    books.push(export("名单", &columns, &rows).expect("an export"));

    // A list as a district types it: a merged title, a notes row, headers with stray spaces and
    // full-width parentheses, an ID number Excel turned into a number, a date cell.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let merged = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 6, "南沙区密接人员名单（3月18日）", &merged)
        .expect("a title");
    sheet.write_string(1, 0, "注：请勿修改表头").expect("notes");
    let typed = [
        "关联病例",
        " 姓名 ",
        "手机号码",
        "身份证号码（18位）",
        "密接类型",
        "所属镇街",
        "住址",
    ];
    for (column, header) in typed.iter().enumerate() {
        sheet
            .write_string(2, column as u16, *header)
            .expect("a header");
    }
    sheet.write_string(3, 1, "赵强").expect("a name");
    sheet.write_number(3, 2, 13_800_138_001.0).expect("a phone");
    sheet
        .write_number(3, 3, 440_115_199_003_071_000.0)
        .expect("an id as a number");
    sheet.write_string(3, 4, "密接").expect("a type");
    sheet.write_string(3, 5, "南沙街道").expect("a town");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let day = ExcelDateTime::from_ymd(2022, 3, 18).expect("a date");
    sheet
        .write_datetime_with_format(3, 6, &day, &date)
        .expect("a date cell");
    sheet.write_string(4, 1, "钱敏").expect("a name");
    sheet
        .write_string(4, 3, resident_id("20010101", "456"))
        .expect("an id");
    sheet.write_string(4, 5, "港前社区").expect("a community");
    books.push(workbook.save_to_buffer().expect("a workbook"));
    books
}

/// The first worksheet's XML and the shared strings' XML of an .xlsx.
fn sheet_parts(xlsx: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).ok()?;
    let mut read = |name: &str| -> Vec<u8> {
        let mut bytes = Vec::new();
        if let Ok(mut file) = archive.by_name(name) {
            let _ = file.read_to_end(&mut bytes);
        }
        bytes
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let strings = read("xl/sharedStrings.xml");
    (!sheet.is_empty()).then_some((sheet, strings))
}

/// What scanners produce: QR payloads, the printed id typed by hand, chip UIDs, and near misses.
fn scans() -> Vec<String> {
    let band = WristbandId::new(12_345).expect("a serial");
    let last = WristbandId::new(99_999_999).expect("a serial");
    vec![
        band.payload(),
        format!("  {}\n", band.payload().to_lowercase()),
        band.human(),
        last.payload(),
        last.human().replace(' ', "-"),
        "NFC:04A1B2C3D4E5F6".into(),
        "nfc:04:a1:b2:c3".into(),
        "04:a1:b2:c3:d4:e5:f6".into(),
        "04 A1 B2 C3 D4 E5 F6 07 08 09".into(),
        "OPW1-00012345-WJV7".into(),
        "OPW2-00012345".into(),
        "0001 2345 WJV6".into(),
        "\u{3000}OPW1-00012345-WJV6\u{3000}".into(),
    ]
}

/// Corpus files named by a hash of their content, one folder per target.
struct Corpus {
    root: PathBuf,
    written: std::collections::BTreeMap<&'static str, usize>,
}

impl Corpus {
    fn new(root: PathBuf) -> Self {
        Self {
            root,
            written: Default::default(),
        }
    }

    fn add(&mut self, target: &'static str, bytes: &[u8]) {
        let folder = self.root.join(target);
        if !self.written.contains_key(target) {
            let _ = fs::remove_dir_all(&folder);
            fs::create_dir_all(&folder).expect("the corpus folder is made");
        }
        fs::write(folder.join(short_name(bytes)), bytes).expect("a seed is written");
        *self.written.entry(target).or_default() += 1;
    }

    fn report(&self) {
        for (target, count) in &self.written {
            println!("{target}: {count} seeds");
        }
    }
}

/// A stable name for a seed: 64-bit FNV-1a of its bytes.
fn short_name(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("seed-{hash:016x}")
}
