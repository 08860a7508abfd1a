//! Boarding roll call (接人上车): time from a scanned wristband to the verdict the screen shows,
//! through `AppCore::boarding_scan`, on a replica the size of a large community's share of an
//! outbreak. The app core is enrolled with an in-process server on loopback (as the end-to-end
//! tests do), pulls the persons, then works offline: a transfer of one bus, wristbands bound,
//! and every kind of scan timed.
//!
//! cargo bench -p outpost-app-core --bench roll_call -- [--persons 5000] [--bus 50]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use outpost_app_core::transfer_chain::roll_call::ScanInput;
use outpost_app_core::transfer_chain::transfers::TransferNoticeInput;
use outpost_app_core::transfer_chain::wristbands::BindInput;
use outpost_app_core::views::{Tab, TasksInput};
use outpost_e2e::in_process::{InProcessServer, W2};
use outpost_shared::demo::people;
use outpost_shared::tag::WristbandId;
use outpost_shared::transfer::roll::ScanKind;
use support::{arg, quantiles, synced_device};

fn summary(label: &str, times: Vec<Duration>) {
    let n = times.len();
    let (median, p95, max) = quantiles(times);
    println!("{label:<34} n={n:<4} median {median:>7.2} ms  p95 {p95:>7.2} ms  max {max:>7.2} ms");
}

fn main() {
    let persons = arg("--persons", 5_000);
    let bus = arg("--bus", 50).min(persons);
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path());
    let started = Instant::now();
    server.import_w2(&people(2026, persons, &["350203001001"]), "仁和社区");
    let mut app = synced_device(
        &server,
        &dir.path().join("app"),
        "escort-bench",
        "escort",
        "350203001001",
    );
    println!(
        "setup: {persons} persons imported, enrolled and pulled in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(server);

    let ids: Vec<String> = app
        .tasks(&TasksInput {
            program: W2.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap()
        .into_iter()
        .flat_map(|g| g.persons.into_iter().map(|p| p.record_id))
        .take(bus + 1)
        .collect();
    let tag = |n: usize| {
        WristbandId::new(u32::try_from(n).unwrap())
            .unwrap()
            .payload()
    };
    for (n, id) in ids.iter().enumerate() {
        app.bind_wristband(&BindInput {
            record_id: id.clone(),
            scan: tag(n),
        })
        .unwrap();
    }
    let transfer = app
        .transfer_notice(&TransferNoticeInput {
            close_contact_riders: bus as u32,
            other_riders: 0,
            pickup_address: "仁和社区东门".into(),
            record_ids: ids[..bus].to_vec(),
        })
        .unwrap()
        .row
        .transfer_id;
    let mut timed = |text: String, expected: ScanKind| {
        let start = Instant::now();
        let result = app
            .boarding_scan(&ScanInput {
                transfer_id: transfer.clone(),
                scan: text,
            })
            .unwrap();
        let took = start.elapsed();
        assert_eq!(result.kind, expected);
        took
    };
    let boarded: Vec<Duration> = (0..bus).map(|n| timed(tag(n), ScanKind::Boarded)).collect();
    let again: Vec<Duration> = (0..bus)
        .map(|n| timed(tag(n), ScanKind::AlreadyBoarded))
        .collect();
    let unbound: Vec<Duration> = (0..bus)
        .map(|n| timed(tag(100_000 + n), ScanKind::UnboundWristband))
        .collect();
    let not_listed: Vec<Duration> = (0..bus)
        .map(|_| timed(tag(bus), ScanKind::NotOnManifest))
        .collect();
    println!("replica: {persons} persons, transfer of {bus}");
    summary("scan -> boarded (writes)", boarded);
    summary("scan -> already boarded", again);
    summary("scan -> unbound wristband", unbound);
    summary("scan -> not on any transfer", not_listed);
}
