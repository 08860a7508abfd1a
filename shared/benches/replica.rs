//! Replica benchmark: insert, apply one change to each record, search (each kind), open time and
//! memory, at 100,000 records by default.
//!
//! ```text
//! cargo bench -p outpost-shared --bench replica -- [--records N] [--encrypted]
//! ```
//!
//! Bounded: every loop runs a fixed number of times. Figures are printed, one per line.

use std::time::{Duration, Instant};

use outpost_shared::demo::{DemoRng, people};
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::replica::{EncryptionKey, Replica, SearchQuery};

const TOWNS: &[&str] = &[
    "440115001",
    "440115002",
    "440115003",
    "440115100",
    "440115101",
    "440115102",
    "440115103",
    "440115104",
    "440115105",
];
const BATCH: usize = 1_000;
const QUERIES: usize = 300;

struct Options {
    records: usize,
    encrypted: bool,
}

fn options() -> Options {
    let mut options = Options {
        records: 100_000,
        encrypted: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--records" => {
                options.records = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(options.records)
            }
            "--encrypted" => options.encrypted = true,
            _ => {} // cargo bench passes its own flags (e.g. --bench)
        }
    }
    options
}

fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn report_memory(phase: &str) {
    println!(
        "memory after {phase}: rss {:.1} MiB, peak {:.1} MiB",
        memory_kib("VmRSS:") as f64 / 1024.0,
        memory_kib("VmHWM:") as f64 / 1024.0
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn record_id(i: usize) -> RecordId {
    RecordId::new(format!("p{i:07}")).expect("valid id")
}

fn main() {
    let options = options();
    let n = options.records;
    let dir = tempfile::TempDir::new().expect("temp dir");
    let path = dir.path().join("bench.db");
    let key = options
        .encrypted
        .then(|| EncryptionKey::from_bytes([42; 32]));
    println!(
        "replica benchmark: {n} records, {}",
        if options.encrypted {
            "SQLCipher-encrypted"
        } else {
            "plain SQLite"
        }
    );
    let device = DeviceId::new("bench-device").expect("device");
    let author = Author {
        user: UserId::new("bench-user").expect("user"),
        device: device.clone(),
    };
    let mut clock = HlcClock::new(device);
    let mut replica = Replica::open(&path, key.as_ref()).expect("open");
    let persons = people(2026, n, TOWNS);

    // 1. Insert.
    let started = Instant::now();
    for (chunk_index, chunk) in persons.chunks(BATCH).enumerate() {
        replica
            .write(|w| {
                for (offset, person) in chunk.iter().enumerate() {
                    let i = chunk_index * BATCH + offset;
                    let mut record = Record::create(
                        NewRecord {
                            id: record_id(i),
                            kind: RecordKind::Person,
                            program: "w1".into(),
                            unit: person.unit.clone(),
                            batch: Some(format!("batch-{}", i / 5_000)),
                            fields: vec![
                                ("name".into(), person.name.clone()),
                                ("phone".into(), person.phone.clone()),
                                ("id_number".into(), person.id_number.clone()),
                                ("address".into(), "广州市南沙区某路 1 号".into()),
                            ],
                        },
                        &author,
                        &mut clock,
                        1_700_000_000_000 + i as u64,
                    )
                    .expect("create");
                    w.save(&mut record)?;
                }
                Ok(())
            })
            .expect("insert batch");
    }
    let insert = started.elapsed();
    println!(
        "insert: {:.2} s total, {:.0} µs/record (create document + store + derive, {BATCH} per transaction)",
        insert.as_secs_f64(),
        insert.as_micros() as f64 / n as f64
    );
    report_memory("insert");

    // 2. Apply one received change to each record. The changes are made first, outside the
    //    timing, the way another device would make them.
    let mut changes: Vec<(RecordId, Vec<u8>)> = Vec::with_capacity(n);
    let mut other_clock = HlcClock::new(DeviceId::new("other-device").expect("device"));
    let other = Author {
        user: UserId::new("escort").expect("user"),
        device: DeviceId::new("other-device").expect("device"),
    };
    for i in 0..n {
        let id = record_id(i);
        let mut record = replica.load(&id).expect("load").expect("present");
        let heads = record.heads();
        record
            .append(
                &other,
                &mut other_clock,
                1_800_000_000_000 + i as u64,
                Action::TagBound {
                    tag: format!("WB{i:08}"),
                },
            )
            .expect("append");
        changes.push((id, record.save_after(&heads)));
    }
    let started = Instant::now();
    for chunk in changes.chunks(BATCH) {
        replica
            .write(|w| {
                for (id, bytes) in chunk {
                    w.apply_changes(id, bytes)?;
                }
                Ok(())
            })
            .expect("apply batch");
    }
    let apply = started.elapsed();
    println!(
        "apply one change to each record: {:.2} s total, {:.0} µs/change (load + apply + store chunk + re-derive)",
        apply.as_secs_f64(),
        apply.as_micros() as f64 / n as f64
    );
    drop(changes);

    // A local edit on the device: load, append, save.
    let mut rng = DemoRng::new(99);
    let edits = 2_000.min(n);
    let started = Instant::now();
    for chunk_start in (0..edits).step_by(BATCH) {
        replica
            .write(|w| {
                for _ in chunk_start..(chunk_start + BATCH).min(edits) {
                    let i = rng.below(n as u64) as usize;
                    let mut record = w.load(&record_id(i))?.expect("present");
                    record
                        .append(&author, &mut clock, 1_900_000_000_000, Action::Claimed)
                        .expect("append");
                    w.save(&mut record)?;
                }
                Ok(())
            })
            .expect("edit batch");
    }
    let edit = started.elapsed();
    println!(
        "local edit (load + claim + save), {edits} random records: {:.0} µs/edit",
        edit.as_micros() as f64 / edits as f64
    );
    report_memory("apply");

    // 3. Search.
    let mut rng = DemoRng::new(7);
    let mut queries: Vec<(&str, Vec<SearchQuery>)> = vec![
        ("name, 1 character (surname)", Vec::new()),
        ("name, 2 characters", Vec::new()),
        ("name, 3+ characters", Vec::new()),
        ("phone tail, 4 digits", Vec::new()),
        ("ID fragment, 6 characters", Vec::new()),
        ("wristband", Vec::new()),
    ];
    for _ in 0..QUERIES {
        let i = rng.below(n as u64) as usize;
        let person = &persons[i];
        let chars: Vec<char> = person.name.chars().collect();
        queries[0].1.push(SearchQuery::Name(chars[0].to_string()));
        queries[1]
            .1
            .push(SearchQuery::Name(chars[chars.len() - 2..].iter().collect()));
        queries[2].1.push(SearchQuery::Name(person.name.clone()));
        queries[3].1.push(SearchQuery::PhoneTail(
            person.phone[person.phone.len() - 4..].to_owned(),
        ));
        let start = rng.below(12) as usize;
        queries[4].1.push(SearchQuery::IdFragment(
            person.id_number[start..start + 6].to_owned(),
        ));
        queries[5].1.push(SearchQuery::Tag(format!("WB{i:08}")));
    }
    for (label, list) in &queries {
        let mut times = Vec::with_capacity(list.len());
        let mut hits = 0;
        for query in list {
            let started = Instant::now();
            let found = replica.search(query, 50).expect("search");
            times.push(started.elapsed());
            hits += found.len();
        }
        times.sort();
        println!(
            "search {label}: median {:.3} ms, p95 {:.3} ms, max {:.3} ms ({} queries, {:.1} results each, limit 50)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            percentile(&times, 1.0).as_secs_f64() * 1e3,
            list.len(),
            hits as f64 / list.len() as f64
        );
    }

    // 4. Open time.
    drop(replica);
    let started = Instant::now();
    let replica = Replica::open(&path, key.as_ref()).expect("reopen");
    let first = replica
        .search(&SearchQuery::PhoneTail("0001".into()), 50)
        .expect("first search");
    println!(
        "open + first search: {:.1} ms ({} results)",
        started.elapsed().as_secs_f64() * 1e3,
        first.len()
    );
    let size: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "file size: {:.1} MiB ({:.0} bytes/record, incl. WAL)",
        size as f64 / (1024.0 * 1024.0),
        size as f64 / n as f64
    );
    report_memory("reopen");
}
