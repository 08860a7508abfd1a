use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use tempfile::TempDir;

use super::*;
use crate::record::{Action, NewRecord, Record, RecordId, RecordKind};
use crate::test_support::{Worker as Desk, deliveries, random_history, step};

fn sample(replica: &mut Replica, desk: &mut Desk) {
    let people = [
        (
            "p1",
            "440115001",
            "李明",
            "13490879088",
            "440115199003071234",
        ),
        (
            "p2",
            "440115001",
            "吴明",
            "13490879087",
            "44011519850101567X",
        ),
        (
            "p3",
            "440115002",
            "欧阳娜娜",
            "13800009088",
            "350203200001011111",
        ),
        ("p4", "440115100", "Li Ming", "15900001234", "E12345678"),
    ];
    replica
        .write(|w| {
            for (id, unit, name, phone, idn) in people {
                let mut record = desk.person(id, unit, name, phone, idn);
                w.save(&mut record)?;
            }
            Ok(())
        })
        .unwrap();
}

fn ids(found: &[RecordSummary]) -> Vec<&str> {
    found.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn two_character_chinese_names_are_found() {
    let mut replica = Replica::open_in_memory().unwrap();
    sample(&mut replica, &mut Desk::new("district", "pc"));
    let search = |q: &str| replica.search(&SearchQuery::Name(q.into()), 10).unwrap();
    assert_eq!(ids(&search("李明")), vec!["p1"]);
    assert_eq!(ids(&search("明")), vec!["p1", "p2"]);
    assert_eq!(ids(&search("欧阳娜")), vec!["p3"]);
    assert_eq!(ids(&search("阳娜娜")), vec!["p3"]);
    assert_eq!(ids(&search("li ming")), vec!["p4"]);
    assert!(search("王").is_empty());
}

#[test]
fn phone_tails_id_fragments_and_wristbands_are_found() {
    let mut replica = Replica::open_in_memory().unwrap();
    let mut desk = Desk::new("district", "pc");
    sample(&mut replica, &mut desk);
    let phone = |q: &str| {
        let mut found = replica
            .search(&SearchQuery::PhoneTail(q.into()), 10)
            .unwrap();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found
    };
    assert_eq!(ids(&phone("9088")), vec!["p1", "p3"]);
    assert_eq!(ids(&phone("９０８７")), vec!["p2"]);
    let id = |q: &str| {
        replica
            .search(&SearchQuery::IdFragment(q.into()), 10)
            .unwrap()
    };
    assert_eq!(ids(&id("19900307")), vec!["p1"]);
    assert_eq!(ids(&id("567x")), vec!["p2"]);
    assert_eq!(ids(&id("440115")), vec!["p1", "p2"]);
    assert!(matches!(
        replica.search(&SearchQuery::IdFragment("44".into()), 10),
        Err(ReplicaError::Search(SearchError::IdFragmentTooShort))
    ));
    assert!(matches!(
        replica.search(&SearchQuery::PhoneTail("12a".into()), 10),
        Err(ReplicaError::Search(SearchError::BadPhoneTail(_)))
    ));

    let mut p3 = replica
        .load(&RecordId::new("p3").unwrap())
        .unwrap()
        .unwrap();
    desk.act(
        &mut p3,
        5_000,
        Action::TagBound {
            tag: "WB-000042".into(),
        },
    );
    replica.write(|w| w.save(&mut p3)).unwrap();
    let found = replica
        .search(&SearchQuery::Tag("WB-000042".into()), 10)
        .unwrap();
    assert_eq!(ids(&found), vec!["p3"]);
}

#[test]
fn records_survive_reopening_the_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("replica.db");
    let mut desk = Desk::new("district", "pc");
    {
        let mut replica = Replica::open(&path, None).unwrap();
        sample(&mut replica, &mut desk);
        let mut p1 = replica
            .load(&RecordId::new("p1").unwrap())
            .unwrap()
            .unwrap();
        desk.act(&mut p1, 2_000, Action::Claimed);
        replica.write(|w| w.save(&mut p1)).unwrap();
    }
    let replica = Replica::open(&path, None).unwrap();
    assert_eq!(replica.record_count().unwrap(), 4);
    let p1 = replica
        .summary(&RecordId::new("p1").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(p1.status, TaskStatus::Claimed);
    let counts = replica.counts("440115").unwrap();
    assert_eq!(counts[0], (TaskStatus::Unclaimed, 3));
    assert_eq!(counts[1], (TaskStatus::Claimed, 1));
    let town = replica.list("440115001", None, 10, 0).unwrap();
    assert_eq!(ids(&town), vec!["p1", "p2"]);
}

#[test]
fn an_encrypted_replica_refuses_a_wrong_key_and_hides_its_contents() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("secret.db");
    let key = EncryptionKey::from_bytes([7; 32]);
    {
        let mut replica = Replica::open(&path, Some(&key)).unwrap();
        sample(&mut replica, &mut Desk::new("district", "pc"));
    }
    let raw = std::fs::read(&path).unwrap();
    assert!(!raw.starts_with(b"SQLite format 3"));
    let needle = "440115199003071234".as_bytes();
    assert!(!raw.windows(needle.len()).any(|w| w == needle));
    assert!(matches!(
        Replica::open(&path, Some(&EncryptionKey::from_bytes([8; 32]))),
        Err(ReplicaError::WrongKeyOrNotAReplica)
    ));
    assert!(matches!(
        Replica::open(&path, None),
        Err(ReplicaError::WrongKeyOrNotAReplica)
    ));
    let replica = Replica::open(&path, Some(&key)).unwrap();
    assert_eq!(replica.record_count().unwrap(), 4);
    assert!(format!("{key:?}").contains('…'));
}

#[test]
fn rebuilding_the_derived_tables_gives_the_incremental_result() {
    let mut replica = Replica::open_in_memory().unwrap();
    let mut desk = Desk::new("district", "pc");
    sample(&mut replica, &mut desk);
    let mut p2 = replica
        .load(&RecordId::new("p2").unwrap())
        .unwrap()
        .unwrap();
    desk.act(&mut p2, 3_000, Action::Claimed);
    p2.set_field(&desk.author, "name", "吴小明").unwrap();
    desk.act(&mut p2, 4_000, Action::TagBound { tag: "WB-1".into() });
    let mut p1 = replica
        .load(&RecordId::new("p1").unwrap())
        .unwrap()
        .unwrap();
    desk.act(&mut p1, 4_500, Action::TagBound { tag: "WB-1".into() });
    replica
        .write(|w| {
            w.save(&mut p2)?;
            w.save(&mut p1)
        })
        .unwrap();
    let incremental = replica.derived_snapshot().unwrap();
    assert_eq!(replica.rebuild_derived().unwrap(), 4);
    assert_eq!(replica.derived_snapshot().unwrap(), incremental);
    assert_eq!(
        ids(&replica
            .search(&SearchQuery::Name("小明".into()), 10)
            .unwrap()),
        vec!["p2"]
    );
}

#[test]
fn one_wristband_on_two_people_is_listed_for_review() {
    let mut replica = Replica::open_in_memory().unwrap();
    let mut desk = Desk::new("escort", "handheld");
    sample(&mut replica, &mut desk);
    for id in ["p1", "p2"] {
        let mut record = replica.load(&RecordId::new(id).unwrap()).unwrap().unwrap();
        desk.act(&mut record, 9_000, Action::TagBound { tag: "WB-7".into() });
        replica.write(|w| w.save(&mut record)).unwrap();
    }
    let items = replica.review_items(10).unwrap();
    assert_eq!(items.len(), 2);
    assert!(matches!(
        &items[0].1[..],
        [ReviewMark { reason: crate::record::ReviewReason::TagBoundToSeveralRecords { tag, others }, .. }]
            if tag == "WB-7" && others == &vec!["p2".to_owned()]
    ));
}

#[test]
fn received_changes_apply_once_and_a_stale_copy_cannot_roll_back() {
    let mut office = Replica::open_in_memory().unwrap();
    let mut phone = Replica::open_in_memory().unwrap();
    let mut district = Desk::new("district", "pc");
    let mut worker = Desk::new("worker", "phone");
    let mut original = district.person("p9", "440115001", "张三", "13900001111", "");
    let id = original.id().clone();
    let snapshot = original.save();
    office.write(|w| w.save(&mut original)).unwrap();
    assert_eq!(
        phone.write(|w| w.apply_changes(&id, &snapshot)).unwrap(),
        ApplyOutcome::Created
    );
    let mut on_phone = phone.load(&id).unwrap().unwrap();
    let before = on_phone.heads();
    worker.act(&mut on_phone, 2_000, Action::Claimed);
    phone.write(|w| w.save(&mut on_phone)).unwrap();
    let change = on_phone.save_after(&before);
    assert_eq!(
        office.write(|w| w.apply_changes(&id, &change)).unwrap(),
        ApplyOutcome::Updated
    );
    assert_eq!(
        office.write(|w| w.apply_changes(&id, &change)).unwrap(),
        ApplyOutcome::Unchanged
    );
    // Saving the office's original, older copy must not undo the claim.
    office.write(|w| w.save(&mut original)).unwrap();
    let summary = office.summary(&id).unwrap().unwrap();
    assert_eq!(summary.status, TaskStatus::Claimed);
    assert!(matches!(
        office.write(|w| w.apply_changes(&RecordId::new("other").unwrap(), &snapshot)),
        Err(ReplicaError::WrongRecord { .. })
    ));
    assert!(office.write(|w| w.apply_changes(&id, b"garbage")).is_err());
    assert_eq!(
        office.summary(&id).unwrap().unwrap().status,
        TaskStatus::Claimed
    );
}

#[test]
fn many_small_changes_are_compacted_and_still_load() {
    let mut replica = Replica::open_in_memory().unwrap();
    let mut desk = Desk::new("escort", "handheld");
    let mut record = desk.person("p1", "440115001", "李明", "13490879088", "");
    replica.write(|w| w.save(&mut record)).unwrap();
    for i in 0..60u32 {
        desk.act(
            &mut record,
            10_000 + u64::from(i),
            Action::SuppliesIssued {
                item: "n95".into(),
                quantity: 1,
            },
        );
        replica.write(|w| w.save(&mut record)).unwrap();
    }
    let chunks: i64 = replica
        .conn
        .query_row("SELECT count(*) FROM record_chunks", [], |r| r.get(0))
        .unwrap();
    assert!(chunks <= COMPACT_AFTER_CHUNKS + 1, "{chunks} chunks");
    let loaded = replica.load(record.id()).unwrap().unwrap();
    assert_eq!(loaded.state().supplies.len(), 60);
}

#[test]
fn a_damaged_message_leaves_the_stored_record_as_it_was() {
    let mut office = Replica::open_in_memory().unwrap();
    let mut worker = Desk::new("worker", "phone");
    sample(&mut office, &mut Desk::new("district", "pc"));
    let id = RecordId::new("p1").unwrap();
    let mut on_phone = office.load(&id).unwrap().unwrap();
    let before = on_phone.heads();
    worker.act(&mut on_phone, 2_000, Action::Claimed);
    let change = on_phone.save_after(&before);
    let stored = office.derived_snapshot().unwrap();
    let mut damaged = change.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    for bytes in [&damaged[..], &change[..change.len() - 1]] {
        assert!(matches!(
            office.write(|w| w.apply_changes(&id, bytes)),
            Err(ReplicaError::Record { .. })
        ));
        assert_eq!(office.derived_snapshot().unwrap(), stored);
    }
    assert_eq!(
        office.write(|w| w.apply_changes(&id, &change)).unwrap(),
        ApplyOutcome::Updated
    );
    assert_eq!(
        office.summary(&id).unwrap().unwrap().status,
        TaskStatus::Claimed
    );
}

#[test]
fn received_changes_derive_what_a_rebuild_derives() {
    let mut office = Replica::open_in_memory().unwrap();
    let mut district = Desk::new("district", "pc");
    let mut alice = Desk::new("alice", "phone-1");
    let mut bob = Desk::new("bob", "phone-2");
    sample(&mut office, &mut district);
    let id = RecordId::new("p2").unwrap();
    let mut one = office.load(&id).unwrap().unwrap();
    let mut two = one.clone();
    let mut deliver = |record: &mut Record, since: &[ChangeHash]| {
        let bytes: Vec<u8> = record
            .changes_since(since)
            .into_iter()
            .flat_map(|(_, bytes)| bytes)
            .collect();
        office.write(|w| w.apply_changes(&id, &bytes)).unwrap();
        let incremental = office.derived_snapshot().unwrap();
        office.rebuild_derived().unwrap();
        assert_eq!(office.derived_snapshot().unwrap(), incremental);
        incremental
    };
    // Concurrent claims (a review mark), a new name and a new ID number.
    let base = one.heads();
    alice.act(&mut one, 5_000, Action::Claimed);
    one.set_field(&alice.author, "name", "吴小明").unwrap();
    deliver(&mut one, &base);
    bob.act(&mut two, 6_000, Action::Claimed);
    two.set_field(&bob.author, "id_number", "440115199003071234")
        .unwrap();
    let marked = deliver(&mut two, &base);
    assert!(!marked[1].contains("marks=[]"), "{}", marked[1]);
    // The same marks again (a change that settles nothing), then a resolution clears them.
    one.merge(&mut two).unwrap();
    let seen = one.heads();
    alice.act(
        &mut one,
        7_000,
        Action::Answered {
            outcome: vec!["local".into()],
            note: None,
        },
    );
    deliver(&mut one, &seen);
    let mark = one.state().reviews[0].id.clone();
    let seen = one.heads();
    district.act(
        &mut one,
        8_000,
        Action::ReviewResolved {
            marks: vec![mark],
            note: None,
        },
    );
    let cleared = deliver(&mut one, &seen);
    assert!(cleared[1].contains("marks=[]"), "{}", cleared[1]);
    let found = |q: &str| {
        ids(&office
            .search(&SearchQuery::IdFragment(q.into()), 10)
            .unwrap())
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    assert_eq!(found("19900307"), vec!["p1", "p2"]);
    assert!(found("19850101").is_empty());
    let names = office
        .search(&SearchQuery::Name("小明".into()), 10)
        .unwrap();
    assert_eq!(ids(&names), vec!["p2"]);
}

#[test]
fn counts_are_of_persons_only_not_of_transfers_or_ledgers_in_the_unit() {
    let dir = TempDir::new().unwrap();
    let mut replica = Replica::open(dir.path().join("replica.db"), None).unwrap();
    let mut desk = Desk::new("community", "phone");
    let mut person = desk.person("p1", "440115001001", "李明", "13800138000", "");
    let mut transfer = Record::create(
        NewRecord {
            id: RecordId::new("t1").unwrap(),
            kind: RecordKind::Transfer,
            program: "w2".into(),
            unit: "440115001001".into(),
            batch: None,
            fields: Vec::new(),
        },
        &desk.author,
        &mut desk.clock,
        1_000,
    )
    .unwrap();
    replica
        .write(|w| {
            w.save(&mut person)?;
            w.save(&mut transfer)
        })
        .unwrap();
    assert_eq!(replica.record_count().unwrap(), 2);
    let counts = replica.counts("440115").unwrap();
    assert_eq!(counts[0], (TaskStatus::Unclaimed, 1));
}

/// A received change applied to the stored content alone derives exactly the rows that loading
/// the document, applying the change and folding everything derives: random histories on three
/// devices (concurrent edits of one field, concurrent claims and moves, clocks out of order),
/// delivered in random runs, some twice, some before their dependencies.
#[test]
fn received_changes_derive_the_same_rows_with_or_without_loading_the_document() {
    let applied = Cell::new(0u32);
    let loaded = Cell::new(0u32);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(48));
    let cases = (prop::collection::vec(step(), 1..30), any::<u64>());
    let result = runner.run(&cases, |(steps, seed)| {
        let (mut base, changes) = random_history(&steps);
        let id = base.id().clone();
        let mut fast = Replica::open_in_memory().unwrap();
        let mut loading = Replica::open_in_memory().unwrap();
        fast.write(|w| w.save(&mut base)).unwrap();
        loading.write(|w| w.save(&mut base)).unwrap();
        for message in deliveries(&changes, seed) {
            let by_content = fast
                .write(|w| match w.apply_to_content(&id, &message)? {
                    Some(outcome) => Ok((outcome, true)),
                    None => Ok((w.apply_to_document(&id, &message)?, false)),
                })
                .unwrap();
            let by_document = loading
                .write(|w| w.apply_to_document(&id, &message))
                .unwrap();
            prop_assert_eq!(by_content.0, by_document);
            let counter = if by_content.1 { &applied } else { &loaded };
            counter.set(counter.get() + 1);
            prop_assert_eq!(
                fast.derived_snapshot().unwrap(),
                loading.derived_snapshot().unwrap()
            );
        }
        let incremental = fast.derived_snapshot().unwrap();
        fast.rebuild_derived().unwrap();
        prop_assert_eq!(fast.derived_snapshot().unwrap(), incremental);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let (applied, loaded) = (applied.get(), loaded.get());
    assert!(
        applied * 5 > applied + loaded,
        "{applied} applied to the content, {loaded} to the document"
    );
}

#[test]
fn a_change_from_another_device_is_applied_without_loading_the_document() {
    let mut office = Replica::open_in_memory().unwrap();
    sample(&mut office, &mut Desk::new("district", "pc"));
    let mut escort = Desk::new("escort", "phone");
    let id = RecordId::new("p3").unwrap();
    let mut on_phone = office.load(&id).unwrap().unwrap();
    let before = on_phone.heads();
    escort.act(
        &mut on_phone,
        5_000,
        Action::TagBound { tag: "WB-3".into() },
    );
    on_phone
        .set_field(&escort.author, "phone", "13800001111")
        .unwrap();
    let changes = on_phone.save_after(&before);
    let outcome = office.write(|w| w.apply_to_content(&id, &changes)).unwrap();
    assert_eq!(outcome, Some(ApplyOutcome::Updated));
    let summary = office.summary(&id).unwrap().unwrap();
    assert_eq!(summary.tag.as_deref(), Some("WB-3"));
    assert_eq!(summary.phone.as_deref(), Some("13800001111"));
    assert_eq!(office.load(&id).unwrap().unwrap().heads(), on_phone.heads());
    // Sent again: already here, which only the document can tell.
    assert_eq!(
        office.write(|w| w.apply_to_content(&id, &changes)).unwrap(),
        None
    );
    assert_eq!(
        office.write(|w| w.apply_changes(&id, &changes)).unwrap(),
        ApplyOutcome::Unchanged
    );
}

#[test]
fn a_change_before_its_dependency_waits_and_then_both_apply() {
    let mut office = Replica::open_in_memory().unwrap();
    sample(&mut office, &mut Desk::new("district", "pc"));
    let mut worker = Desk::new("worker", "phone");
    let id = RecordId::new("p1").unwrap();
    let mut on_phone = office.load(&id).unwrap().unwrap();
    let start = on_phone.heads();
    worker.act(&mut on_phone, 5_000, Action::Claimed);
    let claim = on_phone.save_after(&start);
    let middle = on_phone.heads();
    worker.act(
        &mut on_phone,
        6_000,
        Action::Answered {
            outcome: vec!["local".into()],
            note: None,
        },
    );
    let answer = on_phone.save_after(&middle);
    let stored = office.derived_snapshot().unwrap();
    assert_eq!(
        office.write(|w| w.apply_changes(&id, &answer)).unwrap(),
        ApplyOutcome::WaitingForDependencies
    );
    assert_eq!(office.derived_snapshot().unwrap(), stored);
    for change in [&claim, &answer] {
        assert_eq!(
            office.write(|w| w.apply_to_content(&id, change)).unwrap(),
            Some(ApplyOutcome::Updated)
        );
    }
    assert_eq!(
        office.summary(&id).unwrap().unwrap().status,
        TaskStatus::Answered
    );
}

#[test]
fn received_changes_past_the_compaction_limit_are_compacted_and_still_load() {
    let mut office = Replica::open_in_memory().unwrap();
    sample(&mut office, &mut Desk::new("district", "pc"));
    let mut escort = Desk::new("escort", "phone");
    let id = RecordId::new("p2").unwrap();
    let mut on_phone = office.load(&id).unwrap().unwrap();
    for i in 0..60u32 {
        let before = on_phone.heads();
        escort.act(
            &mut on_phone,
            10_000 + u64::from(i),
            Action::SuppliesIssued {
                item: "n95".into(),
                quantity: 1,
            },
        );
        let change = on_phone.save_after(&before);
        assert_eq!(
            office.write(|w| w.apply_changes(&id, &change)).unwrap(),
            ApplyOutcome::Updated
        );
    }
    let chunks: i64 = office
        .conn
        .query_row(
            "SELECT count(*) FROM record_chunks WHERE record_id = 'p2'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(chunks <= COMPACT_AFTER_CHUNKS + 1, "{chunks} chunks");
    let loaded = office.load(&id).unwrap().unwrap();
    assert_eq!(loaded.state().supplies.len(), 60);
    let incremental = office.derived_snapshot().unwrap();
    office.rebuild_derived().unwrap();
    assert_eq!(office.derived_snapshot().unwrap(), incremental);
}

#[test]
fn a_record_stored_without_its_content_is_applied_by_loading_the_document() {
    let mut office = Replica::open_in_memory().unwrap();
    sample(&mut office, &mut Desk::new("district", "pc"));
    // As a replica upgraded from schema 3 has it.
    office
        .conn
        .execute("DELETE FROM record_contents", [])
        .unwrap();
    let mut worker = Desk::new("worker", "phone");
    let id = RecordId::new("p4").unwrap();
    let mut on_phone = office.load(&id).unwrap().unwrap();
    let mut deliver = |record: &mut Record, worker: &mut Desk, now| {
        let before = record.heads();
        worker.act(record, now, Action::Claimed);
        let change = record.save_after(&before);
        office
            .write(|w| w.apply_to_content(&id, &change))
            .unwrap()
            .or_else(|| Some(office.write(|w| w.apply_changes(&id, &change)).unwrap()))
    };
    assert_eq!(
        deliver(&mut on_phone, &mut worker, 5_000),
        Some(ApplyOutcome::Updated)
    );
    // The document path stored the content again: the next change needs no document.
    let before = on_phone.heads();
    worker.act(&mut on_phone, 6_000, Action::Claimed);
    let change = on_phone.save_after(&before);
    assert_eq!(
        office.write(|w| w.apply_to_content(&id, &change)).unwrap(),
        Some(ApplyOutcome::Updated)
    );
}
