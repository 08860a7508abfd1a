use proptest::prelude::*;

use super::command::{self, NoticeInput, TransferCommand, TransferError};
use super::roll::{Hop, ScanKind, judge};
use super::*;
use crate::record::{Record, RecordId};
use crate::test_support::Worker;

const COMMUNITY: &str = "350203001001";

fn new_transfer(worker: &mut Worker, persons: &[&str]) -> Record {
    let (new, notice) = command::notice(
        "worker",
        "t-0001",
        "w2",
        COMMUNITY,
        &NoticeInput {
            close_contact_riders: u32::try_from(persons.len()).unwrap(),
            other_riders: 0,
            pickup_address: "仁和社区东门".into(),
            persons: persons.iter().map(|p| RecordId::new(*p).unwrap()).collect(),
        },
    )
    .unwrap();
    let mut record = Record::create(new, &worker.author, &mut worker.clock, 1_000).unwrap();
    worker.act(&mut record, 1_001, notice);
    record
}

fn state(record: &Record) -> TransferState {
    fold(&record.events().0)
}

fn board(worker: &mut Worker, record: &mut Record, now: u64, person: &str) {
    let action = command::check(
        "escort",
        &state(record),
        &TransferCommand::Board {
            person: person.into(),
            tag: format!("TAG-{person}"),
        },
    )
    .unwrap();
    worker.act(record, now, action);
}

#[test]
fn a_notice_waits_for_a_vehicle_until_a_dispatcher_assigns_one() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut dispatcher = Worker::new("dispatch", "pc-d");
    let mut record = new_transfer(&mut worker, &["p-1", "p-2"]);
    let before = state(&record);
    assert_eq!(before.status, TransferStatus::AwaitingVehicle);
    assert_eq!(before.status.describe(Lang::Zh), "待派车");
    assert_eq!(before.manifest, vec!["p-1", "p-2"]);
    assert_eq!(
        command::check(
            "worker",
            &before,
            &TransferCommand::AssignVehicle {
                plate: "闽D12345".into(),
                driver_phone: "13800001111".into(),
                vehicle: VehicleKind::CloseContact,
            },
        ),
        Err(TransferError::RoleNotAllowed)
    );
    let assign = command::check(
        "dispatcher",
        &before,
        &TransferCommand::AssignVehicle {
            plate: " 闽d·12345 ".into(),
            driver_phone: "138 0000 1111".into(),
            vehicle: VehicleKind::CloseContact,
        },
    )
    .unwrap();
    dispatcher.act(&mut record, 2_000, assign);
    let after = state(&record);
    assert_eq!(after.status, TransferStatus::VehicleAssigned);
    assert_eq!(after.vehicles[0].plate, "闽D12345");
    assert_eq!(after.vehicles[0].driver_phone, "13800001111");
}

#[test]
fn a_notice_without_riders_address_or_persons_is_refused() {
    let input = |cc, addr: &str, persons: Vec<RecordId>| NoticeInput {
        close_contact_riders: cc,
        other_riders: 0,
        pickup_address: addr.into(),
        persons,
    };
    let one = vec![RecordId::new("p-1").unwrap()];
    let notice = |i: &NoticeInput| command::notice("worker", "t-1", "w2", COMMUNITY, i).err();
    assert_eq!(
        notice(&input(0, "东门", one.clone())),
        Some(TransferError::NoRiders)
    );
    assert_eq!(
        notice(&input(1, "  ", one.clone())),
        Some(TransferError::NoAddress)
    );
    assert_eq!(
        notice(&input(1, "东门", vec![])),
        Some(TransferError::NoPersons)
    );
    assert_eq!(
        command::notice("hotel", "t-1", "w2", COMMUNITY, &input(1, "东门", one)).err(),
        Some(TransferError::RoleNotAllowed)
    );
}

#[test]
fn plates_must_look_like_chinese_plates() {
    assert_eq!(command::normalise_plate("闽D 12345").unwrap(), "闽D12345");
    assert_eq!(command::normalise_plate("闽DD12345").unwrap(), "闽DD12345");
    assert!(command::normalise_plate("D12345").is_err());
    assert!(command::normalise_plate("闽1234").is_err());
}

#[test]
fn a_cancelled_transfer_takes_no_more_scans_and_says_why() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut record = new_transfer(&mut worker, &["p-1"]);
    let cancel = command::check(
        "worker",
        &state(&record),
        &TransferCommand::Cancel { reason: " ".into() },
    );
    assert_eq!(cancel, Err(TransferError::NoReason));
    let cancel = command::check(
        "worker",
        &state(&record),
        &TransferCommand::Cancel {
            reason: "人员已送医".into(),
        },
    )
    .unwrap();
    worker.act(&mut record, 2_000, cancel);
    let cancelled = state(&record);
    assert_eq!(cancelled.status.describe(Lang::Zh), "已取消");
    assert_eq!(cancelled.cancelled.as_ref().unwrap().0, "人员已送医");
    assert_eq!(
        command::check(
            "escort",
            &cancelled,
            &TransferCommand::Board {
                person: "p-1".into(),
                tag: "T".into()
            }
        ),
        Err(TransferError::Cancelled)
    );
}

#[test]
fn two_escorts_scanning_offline_converge_on_one_roll_without_duplicates() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut escort_a = Worker::new("escort-a", "phone-a");
    let mut escort_b = Worker::new("escort-b", "phone-b");
    let mut on_a = new_transfer(&mut worker, &["p-1", "p-2", "p-3", "p-4"]);
    let mut on_b = on_a.clone();
    board(&mut escort_a, &mut on_a, 5_000, "p-1");
    board(&mut escort_a, &mut on_a, 5_100, "p-2");
    board(&mut escort_b, &mut on_b, 5_050, "p-2");
    board(&mut escort_b, &mut on_b, 5_200, "p-3");
    on_a.merge(&mut on_b).unwrap();
    on_b.merge(&mut on_a).unwrap();
    let (a, b) = (state(&on_a), state(&on_b));
    assert_eq!(a, b);
    let boarded: Vec<&str> = a.boarded.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(boarded, vec!["p-1", "p-2", "p-3"]);
    // p-2 was scanned on both: the earlier scan (escort B's) stands, once.
    assert_eq!(a.boarding_of("p-2").unwrap().stamp.by.as_str(), "escort-b");
    assert_eq!(a.missing(), vec!["p-4"]);
    assert!(a.reviews.is_empty());
}

#[test]
fn a_scan_made_offline_after_another_escort_closed_the_roll_counts_and_is_flagged() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut escort_a = Worker::new("escort-a", "phone-a");
    let mut escort_b = Worker::new("escort-b", "phone-b");
    let mut on_a = new_transfer(&mut worker, &["p-1", "p-2"]);
    let mut on_b = on_a.clone();
    board(&mut escort_a, &mut on_a, 5_000, "p-1");
    let close = command::check("escort", &state(&on_a), &TransferCommand::CompletePickup).unwrap();
    escort_a.act(&mut on_a, 5_100, close);
    board(&mut escort_b, &mut on_b, 6_000, "p-2");
    on_a.merge(&mut on_b).unwrap();
    let merged = state(&on_a);
    assert_eq!(merged.status, TransferStatus::PickedUp);
    assert_eq!(merged.boarded.len(), 2);
    assert!(matches!(
        merged.reviews[0].reason,
        ReviewReason::ScannedAfterRollClosed { ref person, .. } if person == "p-2"
    ));
    // The mark reaches the record's own review marks (and so the replica's review list).
    assert_eq!(on_a.state().reviews.len(), 1);
}

#[test]
fn the_hotel_checks_arrivals_against_the_boarded_list() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut escort = Worker::new("escort-a", "phone-a");
    let mut hotel = Worker::new("hotel-desk", "pc-h");
    let mut record = new_transfer(&mut worker, &["p-1", "p-2"]);
    board(&mut escort, &mut record, 5_000, "p-1");
    let early = command::check(
        "hotel",
        &state(&record),
        &TransferCommand::HotelArrival {
            person: "p-1".into(),
            tag: "TAG-p-1".into(),
        },
    );
    assert_eq!(early, Err(TransferError::NotPickedUp));
    let close =
        command::check("escort", &state(&record), &TransferCommand::CompletePickup).unwrap();
    assert_eq!(close, Action::PickupCompleted { boarded: 1 });
    escort.act(&mut record, 5_100, close);
    let picked_up = state(&record);
    assert_eq!(picked_up.status.describe(Lang::Zh), "已完成接人");
    let bound = |p: &str| vec![p.to_owned()];
    assert_eq!(
        judge(Hop::Hotel, &picked_up, &bound("p-2"), |_| None).kind,
        ScanKind::NotBoarded
    );
    let verdict = judge(Hop::Hotel, &picked_up, &bound("p-1"), |_| None);
    assert_eq!(verdict.kind, ScanKind::Arrived);
    let arrive = command::check(
        "hotel",
        &picked_up,
        &TransferCommand::HotelArrival {
            person: "p-1".into(),
            tag: "TAG-p-1".into(),
        },
    )
    .unwrap();
    hotel.act(&mut record, 9_000, arrive);
    let arrived = state(&record);
    assert_eq!(
        judge(Hop::Hotel, &arrived, &bound("p-1"), |_| None).kind,
        ScanKind::AlreadyArrived
    );
    let receive = command::check("hotel", &arrived, &TransferCommand::HotelReceive).unwrap();
    hotel.act(&mut record, 9_100, receive);
    assert_eq!(state(&record).status, TransferStatus::DeliveredToHotel);
}

#[test]
fn each_kind_of_boarding_scan_has_its_own_verdict() {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut escort = Worker::new("escort-a", "phone-a");
    let mut record = new_transfer(&mut worker, &["p-1", "p-2"]);
    board(&mut escort, &mut record, 5_000, "p-1");
    let roll = state(&record);
    let bound = |ps: &[&str]| ps.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let kind = |ps: &[&str]| {
        judge(Hop::Boarding, &roll, &bound(ps), |p| {
            (p == "p-9").then(|| "t-other".to_owned())
        })
    };
    assert_eq!(kind(&["p-2"]).kind, ScanKind::Boarded);
    assert_eq!(kind(&["p-1"]).kind, ScanKind::AlreadyBoarded);
    assert_eq!(kind(&[]).kind, ScanKind::UnboundWristband);
    let other = kind(&["p-9"]);
    assert_eq!(other.kind, ScanKind::OtherTransfer);
    assert_eq!(other.other_transfer.as_deref(), Some("t-other"));
    assert_eq!(kind(&["p-8"]).kind, ScanKind::NotOnManifest);
    assert_eq!(kind(&["p-1", "p-2"]).kind, ScanKind::SeveralPersons);
    // A wristband bound to a listed person and to someone off the list boards the listed one.
    assert_eq!(kind(&["p-2", "p-8"]).person.as_deref(), Some("p-2"));
}

fn scans_on_two_devices() -> Vec<Event> {
    let mut worker = Worker::new("renhe-w", "phone-w");
    let mut escorts = [
        Worker::new("escort-a", "phone-a"),
        Worker::new("escort-b", "phone-b"),
    ];
    let record = new_transfer(&mut worker, &["p-1", "p-2", "p-3"]);
    let mut copies = [record.clone(), record];
    for (n, person) in ["p-1", "p-2", "p-3", "p-2", "p-1", "p-3"]
        .iter()
        .enumerate()
    {
        let which = n % 2;
        board(
            &mut escorts[which],
            &mut copies[which],
            5_000 + n as u64 * 10,
            person,
        );
    }
    let close = command::check(
        "escort",
        &state(&copies[0]),
        &TransferCommand::CompletePickup,
    );
    escorts[0].act(&mut copies[0], 6_000, close.unwrap());
    // Both copies hold the notice: duplicates are part of what the fold must absorb.
    let mut events = copies[0].events().0;
    events.extend(copies[1].events().0);
    events
}

proptest! {
    #[test]
    fn any_order_and_duplication_of_the_same_scans_gives_the_same_roll(
        order in Just((0..11usize).collect::<Vec<_>>()).prop_shuffle()
    ) {
        let events = scans_on_two_devices();
        prop_assert_eq!(events.len(), 11);
        let expected = fold(&events);
        let shuffled: Vec<Event> = order.iter().map(|i| events[*i].clone()).collect();
        let folded = fold(&shuffled);
        prop_assert_eq!(folded.boarded.len(), 3);
        prop_assert_eq!(folded, expected);
    }
}
