//! A process killed with SIGKILL in the middle of a transaction loses nothing it had committed,
//! and nothing of the interrupted transaction shows.
//!
//! The test re-runs its own binary as the writer (selected by an environment variable), reads the
//! batches the writer reports as committed, kills it while it is inside a later transaction, and
//! reopens the file.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::replica::{Replica, SearchQuery};

const CHILD_DB: &str = "OUTPOST_CRASH_WRITER_DB";
const BATCH: usize = 100;

fn record_id(batch: usize, n: usize) -> RecordId {
    RecordId::new(format!("c{batch}-{n}")).expect("valid id")
}

/// The writer. Ignored in normal runs; the parent test runs it with `--ignored`.
#[test]
#[ignore = "run by a_killed_writer_loses_nothing_it_committed as its child process"]
fn crash_writer_child() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let device = DeviceId::new("crash-writer").expect("valid device");
    let author = Author {
        user: UserId::new("writer").expect("valid user"),
        device: device.clone(),
    };
    let mut clock = HlcClock::new(device);
    let mut replica = Replica::open(&path, None).expect("open replica");
    for batch in 0.. {
        replica
            .write(|w| {
                for n in 0..BATCH {
                    let mut record = Record::create(
                        NewRecord {
                            id: record_id(batch, n),
                            kind: RecordKind::Person,
                            program: "w1".into(),
                            unit: "440115001".into(),
                            batch: Some(format!("b{batch}")),
                            fields: vec![("name".into(), format!("测试{batch}号{n}"))],
                        },
                        &author,
                        &mut clock,
                        1_000 + batch as u64,
                    )
                    .expect("create");
                    w.save(&mut record)?;
                    if n % 25 == 0 {
                        // Stay inside the transaction long enough for the kill to land here.
                        std::thread::sleep(Duration::from_millis(3));
                    }
                }
                Ok(())
            })
            .expect("write batch");
        println!("committed {batch}");
    }
}

#[test]
fn a_killed_writer_loses_nothing_it_committed() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("replica.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash_writer_child", "--nocapture"])
        .env(CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut committed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(batch) = line.strip_prefix("committed ") {
            committed.push(batch.trim().parse::<usize>().unwrap());
            if committed.len() == 6 {
                break;
            }
        }
    }
    // The writer is now inside batch 6 (it sleeps within each transaction).
    std::thread::sleep(Duration::from_millis(7));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(committed, vec![0, 1, 2, 3, 4, 5]);

    let replica = Replica::open(&path, None).unwrap();
    let stored = replica.record_count().unwrap() as usize;
    assert!(
        stored >= committed.len() * BATCH,
        "lost committed records: {stored}"
    );
    assert_eq!(
        stored % BATCH,
        0,
        "a partial transaction is visible: {stored}"
    );
    for &batch in &committed {
        for n in [0, BATCH / 2, BATCH - 1] {
            let record = replica.load(&record_id(batch, n)).unwrap();
            let name = record.unwrap().field("name").unwrap().value;
            assert_eq!(name, format!("测试{batch}号{n}"));
        }
    }
    let found = replica
        .search(&SearchQuery::Name("测试5号".into()), 500)
        .unwrap();
    assert_eq!(found.len(), BATCH);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}
