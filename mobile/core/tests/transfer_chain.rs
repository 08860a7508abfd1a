//! Seed 003's transfer chain through the app core and a real sync server on loopback: stock and
//! supplies, wristbands, the transfer notice and its vehicle, two escorts calling the roll on two
//! offline devices, the pickup handed over to the hotel, and the hotel checking arrivals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use outpost_app_core::transfer_chain::roll_call::ScanInput;
use outpost_app_core::transfer_chain::supplies::{
    IssueInput, ItemQuantity, ReceiveInput, StockInput,
};
use outpost_app_core::transfer_chain::transfers::{
    AssignVehicleInput, CancelTransferInput, TransferNoticeInput, TransferRef, TransfersInput,
};
use outpost_app_core::transfer_chain::wristbands::{BindInput, ReplaceInput};
use outpost_app_core::views::{Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput, ErrorCode};
use outpost_e2e::in_process::{InProcessServer as Server, W2};
use outpost_shared::demo::people;
use outpost_shared::hlc::Clock;
use outpost_shared::record::VehicleKind;
use outpost_shared::tag::WristbandId;
use outpost_shared::transfer::TransferStatus;
use outpost_shared::transfer::roll::ScanKind;

const RENHE: &str = "350203001001";

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

fn clock() -> Arc<TestClock> {
    Arc::new(TestClock(AtomicU64::new(
        outpost_shared::hlc::SystemClock.now_ms(),
    )))
}

fn enrol(dir: &Path, clock: Arc<TestClock>, code: String) -> AppCore {
    let mut app = AppCore::open(dir, clock).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "测试设备".into(),
        pin: "135790".into(),
    })
    .unwrap();
    app
}

fn sync(app: &AppCore) {
    app.sync_job().unwrap().run().unwrap().unwrap();
}

fn person_ids(app: &AppCore) -> Vec<String> {
    let mut ids: Vec<String> = app
        .tasks(&TasksInput {
            program: W2.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap()
        .into_iter()
        .flat_map(|g| g.persons.into_iter().map(|p| p.record_id))
        .collect();
    ids.sort();
    ids
}

/// The QR payload of wristband `n` (a valid check value: `tag::WristbandId`).
fn tag(n: u32) -> String {
    WristbandId::new(n).unwrap().payload()
}

fn scan(app: &mut AppCore, transfer: &str, text: &str) -> ScanKind {
    app.boarding_scan(&ScanInput {
        transfer_id: transfer.into(),
        scan: text.into(),
    })
    .unwrap()
    .kind
}

#[test]
fn the_transfer_chain_works_offline_from_supplies_to_the_hotel_and_converges_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(77, 5, &[RENHE]);
    server.import_w2(&persons, "仁和社区");
    let clock = clock();
    let mut worker = enrol(
        &dir.path().join("worker"),
        clock.clone(),
        server.enrolment("renhe-w", "worker", RENHE),
    );
    sync(&worker);
    let ids = person_ids(&worker);
    assert_eq!(ids.len(), 5);

    // 发放物资 and 扫码绑定, offline.
    server.halt();
    worker
        .receive_stock(&ReceiveInput {
            item: "n95_mask".into(),
            quantity: 20,
            note: Some("区里配送".into()),
        })
        .unwrap();
    for (n, id) in ids.iter().enumerate() {
        let detail = worker
            .bind_wristband(&BindInput {
                record_id: id.clone(),
                scan: format!("  {}\n", tag(n as u32).to_lowercase()),
            })
            .unwrap();
        assert_eq!(
            detail.chain.wristband.as_deref(),
            Some(tag(n as u32).as_str())
        );
    }
    let taken = worker
        .bind_wristband(&BindInput {
            record_id: ids[1].clone(),
            scan: tag(0),
        })
        .unwrap_err();
    assert_eq!(taken.code, ErrorCode::NotAllowed);
    assert!(taken.message.contains('*'), "{}", taken.message);
    let bad = worker
        .bind_wristband(&BindInput {
            record_id: ids[1].clone(),
            scan: "张三".into(),
        })
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::BadInput);
    // By wristband, then by picking the person; leaflets were never received: flagged.
    let issued = worker
        .issue_supplies(&IssueInput {
            record_id: None,
            scan: Some(tag(0)),
            items: vec![
                ItemQuantity {
                    item: "n95_mask".into(),
                    quantity: 5,
                },
                ItemQuantity {
                    item: "leaflet".into(),
                    quantity: 1,
                },
            ],
        })
        .unwrap();
    assert_eq!(issued.person.record_id, ids[0]);
    assert_eq!(issued.over_issued.len(), 1);
    assert_eq!(issued.over_issued[0].item, "leaflet");
    assert!(issued.message.contains("超出"), "{}", issued.message);
    worker
        .issue_supplies(&IssueInput {
            record_id: Some(ids[1].clone()),
            scan: None,
            items: vec![ItemQuantity {
                item: "n95_mask".into(),
                quantity: 5,
            }],
        })
        .unwrap();
    let report = worker.stock_report(&StockInput { unit: None }).unwrap();
    let masks = report.lines.iter().find(|l| l.item == "n95_mask").unwrap();
    assert_eq!((masks.received, masks.issued, masks.stock), (20, 10, 10));
    assert!(
        report
            .lines
            .iter()
            .find(|l| l.item == "leaflet")
            .unwrap()
            .short
    );
    assert!(
        report.movements[0]
            .person
            .as_ref()
            .unwrap()
            .masked_name
            .contains('*')
    );
    let person = worker.person(&ids[0]).unwrap();
    assert_eq!(person.chain.supplies.len(), 2);
    assert!(
        person
            .history
            .iter()
            .any(|h| h.label.contains("N95口罩 × 5"))
    );
    // The stock shortfall is listed for review.
    assert!(
        worker
            .reviews()
            .unwrap()
            .iter()
            .any(|r| r.kind == "supply_ledger")
    );
    // A lost wristband replaced: the old one stays in the history.
    let replaced = worker
        .replace_wristband(&ReplaceInput {
            record_id: ids[2].clone(),
            scan: tag(12),
            reason: "手环丢失".into(),
        })
        .unwrap();
    assert_eq!(replaced.chain.wristband.as_deref(), Some(tag(12).as_str()));
    assert_eq!(replaced.chain.wristband_history[0].tag, tag(2));
    assert!(replaced.chain.wristband_history[0].ended_at_ms.is_some());

    // 通知转运: persons 0–2 on the first transfer, person 3 on another; person 4 on none.
    let notice = |ids: &[String]| TransferNoticeInput {
        close_contact_riders: ids.len() as u32,
        other_riders: 0,
        pickup_address: "仁和社区东门集合点".into(),
        record_ids: ids.to_vec(),
    };
    let first = worker.transfer_notice(&notice(&ids[..3])).unwrap();
    assert_eq!(first.row.status, TransferStatus::AwaitingVehicle);
    assert_eq!(first.row.status_label, "待派车");
    let t1 = first.row.transfer_id.clone();
    let second = worker.transfer_notice(&notice(&ids[3..4])).unwrap();
    let cancelled = worker
        .cancel_transfer(&CancelTransferInput {
            transfer_id: second.row.transfer_id.clone(),
            reason: " ".into(),
        })
        .unwrap_err();
    assert_eq!(cancelled.code, ErrorCode::BadInput);
    server.run();
    sync(&worker);

    // The dispatcher sees the notice and assigns a vehicle; the list masks the driver's phone.
    let mut dispatcher = enrol(
        &dir.path().join("dispatch"),
        clock.clone(),
        server.enrolment("siming-dd", "dispatcher", "350203"),
    );
    sync(&dispatcher);
    let waiting = dispatcher
        .transfers(&TransfersInput {
            status: Some("awaiting_vehicle".into()),
        })
        .unwrap();
    assert_eq!(waiting.len(), 2);
    let assigned = dispatcher
        .assign_vehicle(&AssignVehicleInput {
            transfer_id: t1.clone(),
            plate: "闽D·12345".into(),
            driver_phone: "13800001111".into(),
            vehicle: VehicleKind::CloseContact,
        })
        .unwrap();
    assert_eq!(assigned.row.status_label, "已派车");
    assert_eq!(assigned.row.vehicles[0].driver_phone, "13800001111");
    let listed = dispatcher
        .transfers(&TransfersInput { status: None })
        .unwrap();
    let row = listed.iter().find(|t| t.transfer_id == t1).unwrap();
    assert_eq!(row.vehicles[0].driver_phone, "138****1111");
    sync(&dispatcher);

    // Two escorts, two devices, no signal at the assembly point.
    let mut escort_a = enrol(
        &dir.path().join("escort-a"),
        clock.clone(),
        server.enrolment("escort-a", "escort", RENHE),
    );
    let mut escort_b = enrol(
        &dir.path().join("escort-b"),
        clock.clone(),
        server.enrolment("escort-b", "escort", RENHE),
    );
    sync(&escort_a);
    sync(&escort_b);
    server.halt();
    assert_eq!(scan(&mut escort_a, &t1, &tag(0)), ScanKind::Boarded);
    assert_eq!(scan(&mut escort_a, &t1, &tag(1)), ScanKind::Boarded);
    assert_eq!(scan(&mut escort_a, &t1, &tag(0)), ScanKind::AlreadyBoarded);
    assert_eq!(scan(&mut escort_b, &t1, &tag(1)), ScanKind::Boarded);
    let on_b = escort_b
        .boarding_scan(&ScanInput {
            transfer_id: t1.clone(),
            scan: format!("{}\r\n", tag(12)),
        })
        .unwrap();
    assert_eq!(on_b.kind, ScanKind::Boarded);
    assert!(on_b.accepted);
    assert_eq!((on_b.done, on_b.expected), (2, 3));
    assert_eq!(on_b.missing.len(), 1);
    assert!(on_b.missing[0].masked_name.contains('*'));
    // The replaced wristband no longer identifies anyone.
    assert_eq!(
        scan(&mut escort_b, &t1, &tag(2)),
        ScanKind::UnboundWristband
    );
    assert_eq!(
        scan(&mut escort_b, &t1, "%%garbled%%"),
        ScanKind::UnknownWristband
    );
    assert_eq!(
        scan(&mut escort_b, &t1, &tag(99)),
        ScanKind::UnboundWristband
    );
    let other = escort_b
        .boarding_scan(&ScanInput {
            transfer_id: t1.clone(),
            scan: tag(3),
        })
        .unwrap();
    assert_eq!(other.kind, ScanKind::OtherTransfer);
    assert_eq!(
        other.other_transfer.as_deref(),
        Some(second.row.transfer_id.as_str())
    );
    assert_eq!(scan(&mut escort_b, &t1, &tag(4)), ScanKind::NotOnManifest);

    // Signal again: the roll is the same on both devices, each person once, none missing.
    server.run();
    sync(&escort_a);
    sync(&escort_b);
    sync(&escort_a);
    let roll_a = escort_a
        .transfer(&TransferRef {
            transfer_id: t1.clone(),
        })
        .unwrap();
    let roll_b = escort_b
        .transfer(&TransferRef {
            transfer_id: t1.clone(),
        })
        .unwrap();
    assert_eq!(roll_a, roll_b);
    assert_eq!((roll_a.row.boarded, roll_a.row.expected), (3, 3));
    assert!(roll_a.missing.is_empty());
    assert!(roll_a.manifest.iter().all(|m| m.boarded_at_ms.is_some()));
    assert_eq!(roll_a.row.status_label, "接人中");

    // 完成接人 hands the list to the hotel; the hotel checks each wristband against it.
    let closed = escort_a
        .complete_pickup(&TransferRef {
            transfer_id: t1.clone(),
        })
        .unwrap();
    assert_eq!(closed.row.status, TransferStatus::PickedUp);
    assert_eq!(
        escort_a
            .boarding_scan(&ScanInput {
                transfer_id: t1.clone(),
                scan: tag(0)
            })
            .unwrap_err()
            .code,
        ErrorCode::NotAllowed
    );
    sync(&escort_a);
    let mut hotel = enrol(
        &dir.path().join("hotel"),
        clock.clone(),
        server.enrolment("hotel-1", "hotel", "350203"),
    );
    sync(&hotel);
    let hotel_scan = |hotel: &mut AppCore, text: &str| {
        hotel
            .hotel_scan(&ScanInput {
                transfer_id: t1.clone(),
                scan: text.into(),
            })
            .unwrap()
    };
    let arrived = hotel_scan(&mut hotel, &tag(0));
    assert_eq!(arrived.kind, ScanKind::Arrived);
    assert_eq!((arrived.done, arrived.expected), (1, 3));
    assert_eq!(
        hotel_scan(&mut hotel, &tag(0)).kind,
        ScanKind::AlreadyArrived
    );
    assert_eq!(
        hotel_scan(&mut hotel, &tag(4)).kind,
        ScanKind::NotOnManifest
    );
    assert_eq!(hotel_scan(&mut hotel, &tag(1)).kind, ScanKind::Arrived);
    assert_eq!(hotel_scan(&mut hotel, &tag(12)).kind, ScanKind::Arrived);
    let received = hotel
        .hotel_receive(&TransferRef {
            transfer_id: t1.clone(),
        })
        .unwrap();
    assert_eq!(received.row.status_label, "已送达酒店");
    assert_eq!(received.row.arrived, 3);
    sync(&hotel);
    sync(&worker);
    let seen = worker.transfer(&TransferRef { transfer_id: t1 }).unwrap();
    assert_eq!(seen.row.status, TransferStatus::DeliveredToHotel);
    let history = worker.person(&ids[0]).unwrap().history;
    assert!(history.iter().any(|h| h.label.contains("刷环上车")));
    assert!(history.iter().any(|h| h.label.contains("到达隔离酒店")));
}

#[test]
fn stock_and_wristbands_from_two_offline_devices_merge_and_a_double_binding_lists_both_persons() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(78, 2, &[RENHE]);
    server.import_w2(&persons, "仁和社区");
    let clock = clock();
    let mut first = enrol(
        &dir.path().join("a"),
        clock.clone(),
        server.enrolment("worker-a", "worker", RENHE),
    );
    let mut second = enrol(
        &dir.path().join("b"),
        clock.clone(),
        server.enrolment("worker-b", "worker", RENHE),
    );
    sync(&first);
    sync(&second);
    let ids = person_ids(&first);
    server.halt();
    // Neither device has ever seen the community's ledger: each starts it offline.
    first
        .receive_stock(&ReceiveInput {
            item: "n95_mask".into(),
            quantity: 50,
            note: None,
        })
        .unwrap();
    second
        .receive_stock(&ReceiveInput {
            item: "n95_mask".into(),
            quantity: 30,
            note: None,
        })
        .unwrap();
    // The same wristband bound to a different person on each device.
    first
        .bind_wristband(&BindInput {
            record_id: ids[0].clone(),
            scan: tag(7),
        })
        .unwrap();
    second
        .bind_wristband(&BindInput {
            record_id: ids[1].clone(),
            scan: tag(7),
        })
        .unwrap();
    for (app, person) in [(&mut first, &ids[0]), (&mut second, &ids[1])] {
        app.issue_supplies(&IssueInput {
            record_id: Some(person.clone()),
            scan: None,
            items: vec![ItemQuantity {
                item: "n95_mask".into(),
                quantity: 5,
            }],
        })
        .unwrap();
    }
    server.run();
    sync(&first);
    sync(&second);
    sync(&first);
    for app in [&first, &second] {
        let report = app.stock_report(&StockInput { unit: None }).unwrap();
        let masks = report.lines.iter().find(|l| l.item == "n95_mask").unwrap();
        assert_eq!((masks.received, masks.issued, masks.stock), (80, 10, 70));
        assert_eq!(report.movements.len(), 4);
        let reviews = app.reviews().unwrap();
        let doubled: Vec<_> = reviews
            .iter()
            .filter(|r| r.notes.iter().any(|n| n.versions.first() == Some(&tag(7))))
            .collect();
        assert_eq!(doubled.len(), 2, "{reviews:?}");
        for item in &doubled {
            assert!(item.masked_name.contains('*'));
            // The other person is named (masked), not by record id.
            let note = &item.notes[0];
            assert!(note.versions[1].contains('*'), "{note:?}");
        }
    }
    // A roll-call scan of that wristband does not guess between the two.
    let transfer = first
        .transfer_notice(&TransferNoticeInput {
            close_contact_riders: 2,
            other_riders: 0,
            pickup_address: "东门".into(),
            record_ids: ids.clone(),
        })
        .unwrap();
    assert_eq!(
        scan(&mut first, &transfer.row.transfer_id, &tag(7)),
        ScanKind::SeveralPersons
    );
}
