//! The offline console (离线控制台) on a district leader's replica: how long each read the wall
//! screen and the results list poll takes — counts per town, tasks, the alert feed, a results
//! page, a search, the completion curve — and the export of every row, with the district's
//! persons spread over its towns. The app core is enrolled with an in-process server on
//! loopback and pulls the persons; every read is then timed offline.
//!
//! cargo bench -p outpost-app-core --bench offline_console -- [--persons 20000] [--repeats 20]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{InProcessServer, W1};
use outpost_shared::console::people::Filter;
use outpost_shared::demo::people;
use outpost_shared::hlc::SystemClock;

/// The towns of Nansha the persons are spread over.
const TOWNS: [(&str, &str); 3] = [
    ("440115001", "南沙街道"),
    ("440115002", "珠江街道"),
    ("440115003", "龙穴街道"),
];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn timed<T>(label: &str, repeats: usize, mut work: impl FnMut() -> T) {
    let mut times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(work());
            started.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label:<30} n={:<3} median {:>8.1} ms  p95 {:>8.1} ms",
        times.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
    );
}

fn main() {
    let persons = arg("--persons", 20_000);
    let repeats = arg("--repeats", 20).max(1);
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path());
    let started = Instant::now();
    for (n, (code, name)) in TOWNS.iter().enumerate() {
        let share = persons / TOWNS.len() + usize::from(n < persons % TOWNS.len());
        server.import_w1(&people(7 + n as u64, share, &[code]), name);
    }
    let code = server.enrolment("district-leader", "leader", "440115");
    let mut app = AppCore::open(dir.path().join("app"), Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "bench".into(),
        pin: "135790".into(),
    })
    .unwrap();
    app.sync_job().unwrap().run().unwrap().unwrap();
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
