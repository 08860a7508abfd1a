//! The offline console (离线控制台) on a district leader's replica: how long each read the wall
//! screen and the results list poll takes — counts per town, tasks, the alert feed, a results
//! page, a search, the completion curve — and the export of every row, with the district's
//! persons spread over its towns. The app core is enrolled with an in-process server on
//! loopback and pulls the persons; every read is then timed offline.
//!
//! cargo bench -p outpost-app-core --bench offline_console -- [--persons 20000] [--repeats 20]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use outpost_e2e::in_process::{InProcessServer, W1};
use outpost_shared::console::people::Filter;
use outpost_shared::demo::people;
use support::{arg, quantiles, synced_device};

/// The towns of Nansha the persons are spread over.
const TOWNS: [(&str, &str); 3] = [
    ("440115001", "南沙街道"),
    ("440115002", "珠江街道"),
    ("440115003", "龙穴街道"),
];

fn timed<T>(label: &str, repeats: usize, mut work: impl FnMut() -> T) {
    let times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(work());
            started.elapsed()
        })
        .collect();
    let n = times.len();
    let (median, p95, _) = quantiles(times);
    println!("{label:<30} n={n:<3} median {median:>8.1} ms  p95 {p95:>8.1} ms");
}

fn main() {
    let persons = arg("--persons", 20_000);
    let repeats = arg("--repeats", 20).max(1);
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path());
    let started = Instant::now();
    // One draw for the whole district, a list per town. Invented numbers collide now and then
    // at this size; the import would refuse a repeated ID or phone, so repeats are left out.
    let (mut ids, mut phones) = (HashSet::new(), HashSet::new());
    let district: Vec<_> = people(7, persons * 2, &TOWNS.map(|(code, _)| code))
        .into_iter()
        .filter(|p| ids.insert(p.id_number.clone()) && phones.insert(p.phone.clone()))
        .take(persons)
        .collect();
    for (code, name) in TOWNS {
        let town: Vec<_> = district
            .iter()
            .filter(|p| p.unit == code)
            .cloned()
            .collect();
        server.import_w1(&town, name);
    }
    let app = synced_device(
        &server,
        &dir.path().join("app"),
        "district-leader",
        "leader",
        "440115",
    );
    println!(
        "district replica: {persons} persons in {} towns, imported and synced in {:.1} s",
        TOWNS.len(),
        started.elapsed().as_secs_f64()
    );
    let towns = app.console_towns(W1, None).unwrap();
    let total: i64 = towns.iter().map(|t| t.total).sum();
    assert_eq!(
        total,
        i64::try_from(persons).unwrap(),
        "every person counted"
    );
    let filter = |search: Option<&str>| Filter {
        program: W1.into(),
        search: search.map(str::to_owned),
        ..Filter::default()
    };
    timed("counts per town", repeats, || {
        app.console_towns(W1, None).unwrap()
    });
    timed("tasks", repeats, || app.console_tasks(W1, None).unwrap());
    timed("alert feed", repeats, || app.console_alerts(None).unwrap());
    timed("completion curve", repeats, || {
        app.console_progress(W1, None).unwrap()
    });
    timed("results page (50 rows)", repeats, || {
        app.console_results(&filter(None)).unwrap()
    });
    timed("results search (phone tail)", repeats.min(5), || {
        app.console_results(&filter(Some("0001"))).unwrap()
    });
    timed("export every row (.xlsx)", repeats.min(3), || {
        app.console_export(&filter(None)).unwrap()
    });
}
