use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use super::*;
use crate::record::Action;
use crate::test_support::{UNITS, Worker, deliveries, random_history, step};

/// The content the full load-and-fold path reads back equals what the record itself gives.
fn assert_content_reads_like_the_record(content: &RecordContent, record: &mut Record) {
    let fields = record.fields();
    assert_eq!(content.fields(), fields);
    let (mut events, unreadable) = content.events();
    let (mut expected, expected_unreadable) = record.events();
    events.sort_by(|a, b| a.id.cmp(&b.id));
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(events, expected);
    assert_eq!(unreadable, expected_unreadable);
    assert_eq!(content.state_with_fields(&fields), record.state());
}

/// Applying received changes to the content alone gives exactly the content of the document
/// they were applied to, and the same heads — or declines, and the document path is taken.
#[test]
fn applying_to_the_content_equals_applying_to_the_document() {
    let applied = Cell::new(0u32);
    let declined = Cell::new(0u32);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(128));
    let cases = (prop::collection::vec(step(), 1..30), any::<u64>());
    let result = runner.run(&cases, |(steps, seed)| {
        let (mut base, changes) = random_history(&steps);
        let mut document = Record::load(&base.save()).unwrap();
        let mut content = RecordContent::of(&mut base).unwrap();
        let mut heads = document.heads();
        for message in deliveries(&changes, seed) {
            let fast = content.clone().apply_received(&message, &heads);
            document.apply(&message).unwrap();
            let expected = RecordContent::of(&mut document).unwrap();
            assert_content_reads_like_the_record(&expected, &mut document);
            let stored = RecordContent::from_bytes(&expected.to_bytes());
            prop_assert_eq!(stored.as_ref(), Some(&expected));
            match fast {
                Some((fast, fast_heads)) => {
                    prop_assert_eq!(&fast, &expected);
                    prop_assert_eq!(&fast_heads, &document.heads());
                    applied.set(applied.get() + 1);
                }
                None => declined.set(declined.get() + 1),
            }
            content = expected;
            heads = document.heads();
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Not vacuous: a good share of the messages took the content path (the rest are concurrent,
    // duplicated or out of order).
    let (applied, declined) = (applied.get(), declined.get());
    assert!(
        applied * 5 > applied + declined,
        "{applied} applied, {declined} declined"
    );
}

#[test]
fn a_wristband_bound_on_another_device_applies_to_the_content() {
    let mut district = Worker::new("district", "d-pc");
    let mut escort = Worker::new("escort", "phone");
    let mut record = district.person("p1", UNITS[0], "李明", "13490879088", "");
    let content = RecordContent::of(&mut record).unwrap();
    let heads = record.heads();
    escort.act(&mut record, 5_000, Action::TagBound { tag: "WB-9".into() });
    let change = record.save_after(&heads);
    let (content, new_heads) = content.apply_received(&change, &heads).unwrap();
    assert_eq!(new_heads, record.heads());
    assert_eq!(content, RecordContent::of(&mut record).unwrap());
    assert_eq!(
        content
            .state_with_fields(&content.fields())
            .tag
            .map(|t| t.tag),
        Some("WB-9".to_owned())
    );
}

#[test]
fn changes_not_made_on_the_stored_heads_are_left_to_the_document() {
    let mut district = Worker::new("district", "d-pc");
    let mut worker = Worker::new("worker", "phone");
    let mut record = district.person("p1", UNITS[0], "李明", "13490879088", "");
    let content = RecordContent::of(&mut record).unwrap();
    let heads = record.heads();
    worker.act(&mut record, 5_000, Action::Claimed);
    let first = record.save_after(&heads);
    let middle = record.heads();
    record
        .set_field(&worker.author, "phone", "13900000000")
        .unwrap();
    let second = record.save_after(&middle);
    // Its dependency has not arrived.
    assert!(content.clone().apply_received(&second, &heads).is_none());
    let (content, after_first) = content.apply_received(&first, &heads).unwrap();
    // Already here.
    assert!(
        content
            .clone()
            .apply_received(&first, &after_first)
            .is_none()
    );
    // Damaged.
    let mut damaged = second.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x55;
    assert!(
        content
            .clone()
            .apply_received(&damaged, &after_first)
            .is_none()
    );
    let (content, _) = content.apply_received(&second, &after_first).unwrap();
    assert_eq!(content.fields()["phone"].value, "13900000000");
}

#[test]
fn a_concurrent_edit_is_left_to_the_document_whose_content_keeps_both_values() {
    let mut district = Worker::new("district", "d-pc");
    let mut record = district.person("p1", UNITS[0], "李明", "13490879088", "");
    let base_heads = record.heads();
    let mut other = record.clone();
    let alice = Worker::new("alice", "phone-a");
    let bob = Worker::new("bob", "phone-b");
    record
        .set_field(&alice.author, "phone", "13900000001")
        .unwrap();
    other
        .set_field(&bob.author, "phone", "13900000002")
        .unwrap();
    let from_bob = other.save_after(&base_heads);
    let content = RecordContent::of(&mut record).unwrap();
    // Bob had not seen Alice's edit: his change is not on top of the heads here.
    assert!(content.apply_received(&from_bob, &record.heads()).is_none());
    record.apply(&from_bob).unwrap();
    let content = RecordContent::of(&mut record).unwrap();
    let phone = &content.fields()["phone"];
    assert_eq!(phone.conflicting.len(), 2);
    assert_eq!(Some(phone.clone()), record.field("phone"));
}

#[test]
fn the_stored_form_reads_back_and_damage_is_refused() {
    let mut district = Worker::new("district", "d-pc");
    let mut escort = Worker::new("escort", "phone");
    let mut record = district.person("p1", UNITS[0], "李明", "13490879088", "");
    escort.act(&mut record, 5_000, Action::TagBound { tag: "WB-9".into() });
    let content = RecordContent::of(&mut record).unwrap();
    let bytes = content.to_bytes();
    assert_eq!(RecordContent::from_bytes(&bytes), Some(content));
    assert_eq!(RecordContent::from_bytes(b"{not json"), None);
    for cut in 0..bytes.len() {
        assert_eq!(
            RecordContent::from_bytes(&bytes[..cut]),
            None,
            "cut at {cut}"
        );
    }
}
