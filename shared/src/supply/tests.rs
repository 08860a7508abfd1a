use proptest::prelude::*;

use super::*;
use crate::i18n::Lang;
use crate::record::{Action, Event, Record, RecordKind, ReviewReason};
use crate::test_support::Worker;

const COMMUNITY: &str = "350203001001";

fn ledger() -> Record {
    Record::create_genesis(new_ledger(COMMUNITY, "w2").unwrap()).unwrap()
}

fn receive(item: &str, quantity: u32) -> Action {
    Action::StockReceived {
        item: item.into(),
        quantity,
        note: None,
    }
}

fn issue(item: &str, quantity: u32, person: &str) -> Action {
    Action::StockIssued {
        item: item.into(),
        quantity,
        person: person.into(),
    }
}

#[test]
fn the_shipped_catalogue_lists_wristbands_masks_and_leaflets_in_both_languages() {
    let catalogue = Catalogue::preset().unwrap();
    let wristband = catalogue.item("rfid_wristband").unwrap();
    assert_eq!(wristband.label.get(Lang::Zh), "RFID手环");
    assert_eq!(catalogue.item("n95_mask").unwrap().per_person, 5);
    assert!(catalogue.item("leaflet").is_some());
}

#[test]
fn a_catalogue_with_a_bad_or_repeated_code_is_refused() {
    let item = |code: &str| {
        format!(
            "[[items]]\ncode = \"{code}\"\nlabel = {{ zh = \"甲\", en = \"A\" }}\nunit = {{ zh = \"个\", en = \"pcs\" }}\n"
        )
    };
    assert_eq!(
        Catalogue::parse(&item("N95")),
        Err(CatalogueError::BadCode("N95".into()))
    );
    assert_eq!(
        Catalogue::parse(&(item("mask") + &item("mask"))),
        Err(CatalogueError::Duplicate("mask".into()))
    );
    assert_eq!(Catalogue::parse("items = []"), Err(CatalogueError::Empty));
}

#[test]
fn two_devices_creating_the_ledger_offline_create_the_same_record() {
    let mut a = ledger();
    let mut b = ledger();
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.kind(), RecordKind::SupplyLedger);
    assert_eq!(a.state().unit.as_deref(), Some(COMMUNITY));
}

#[test]
fn stock_issued_on_two_offline_devices_adds_up_without_loss() {
    let mut office = Worker::new("renhe-w", "pc-office");
    let mut first = Worker::new("worker-a", "phone-a");
    let mut second = Worker::new("worker-b", "phone-b");
    // Each device starts the ledger on its own, before any sync.
    let mut on_pc = ledger();
    office.act(&mut on_pc, 1_000, receive("n95_mask", 100));
    let mut on_a = ledger();
    first.act(&mut on_a, 2_000, issue("n95_mask", 5, "p-1"));
    let mut on_b = ledger();
    second.act(&mut on_b, 2_000, issue("n95_mask", 5, "p-2"));
    second.act(&mut on_b, 2_100, issue("leaflet", 1, "p-2"));
    on_pc.merge(&mut on_a).unwrap();
    on_pc.merge(&mut on_b).unwrap();
    on_b.merge(&mut on_pc).unwrap();
    let state = fold_ledger(&on_pc.events().0);
    assert_eq!(state, fold_ledger(&on_b.events().0));
    let masks = &state.lines["n95_mask"];
    assert_eq!((masks.received, masks.issued, masks.stock()), (100, 10, 90));
    assert_eq!(state.movements.len(), 4);
    // Leaflets were issued without any known stock: flagged, not refused.
    assert_eq!(state.lines["leaflet"].stock(), -1);
    assert_eq!(
        state.reviews[0].reason,
        ReviewReason::StockBelowZero {
            item: "leaflet".into(),
            stock: -1
        }
    );
    assert_eq!(on_pc.state().reviews.len(), 1);
}

#[test]
fn a_shortfall_clears_once_a_receipt_or_an_adjustment_covers_it() {
    let mut worker = Worker::new("worker-a", "phone-a");
    let mut record = ledger();
    worker.act(&mut record, 1_000, receive("n95_mask", 4));
    worker.act(&mut record, 1_100, issue("n95_mask", 5, "p-1"));
    assert_eq!(fold_ledger(&record.events().0).reviews.len(), 1);
    worker.act(
        &mut record,
        1_200,
        Action::StockAdjusted {
            item: "n95_mask".into(),
            delta: 1,
            reason: "盘点多出一只".into(),
        },
    );
    let state = fold_ledger(&record.events().0);
    assert_eq!(state.lines["n95_mask"].stock(), 0);
    assert!(state.reviews.is_empty());
}

proptest! {
    #[test]
    fn stock_is_the_same_whatever_order_and_duplication_movements_arrive_in(
        movements in proptest::collection::vec((0..3usize, 1..20u32), 10),
        order in Just((0..11usize).collect::<Vec<_>>()).prop_shuffle(),
        repeats in proptest::collection::vec(0..11usize, 0..4),
    ) {
        let mut worker = Worker::new("worker-a", "phone-a");
        let mut record = ledger();
        for (n, (kind, quantity)) in movements.iter().enumerate() {
            let action = match kind {
                0 => receive("n95_mask", *quantity),
                1 => issue("n95_mask", *quantity, "p-1"),
                _ => Action::StockAdjusted {
                    item: "n95_mask".into(),
                    delta: -i64::from(*quantity),
                    reason: "破损".into(),
                },
            };
            worker.act(&mut record, 1_000 + n as u64, action);
        }
        let events: Vec<Event> = record.events().0;
        prop_assert_eq!(events.len(), 11);
        let expected = fold_ledger(&events);
        let arrived: Vec<Event> = order
            .iter()
            .chain(repeats.iter())
            .map(|i| events[*i].clone())
            .collect();
        prop_assert_eq!(fold_ledger(&arrived), expected);
    }
}
