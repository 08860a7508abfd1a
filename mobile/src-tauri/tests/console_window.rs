//! The offline console in the desktop app's real window (离线控制台): a district leader enrols the
//! app, syncs the district's work and the claim alerts the server raised (its deadline engine on
//! a clock the test moves), loses the server, and opens the console from the field app's
//! navigation. The web console's own views — results, wall screen, a task's flow, sync health —
//! show the replica's figures; the export is saved as a workbook that reads back with the rows
//! on screen; the views that need the server are not offered.
//!
//! Run by `scripts/test.sh` with `--ignored` under `xvfb-run`, like `app_window`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod window;

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

use calamine::{Reader, Xlsx};
use outpost_app_core::actions::{AnswerInput, ClaimInput};
use outpost_app_core::views::{Tab, TasksInput};
use outpost_e2e::in_process::W1;
use outpost_shared::hlc::Clock;
use outpost_sync_server::clock::ManualClock;
use window::*;

const MIN: i64 = 60_000;

/// How many elements match `css` right now.
fn count(window: &Window, css: &str) -> usize {
    window
        .runtime
        .block_on(window.client().find_all(Locator::Css(css)))
        .map_or(0, |found| found.len())
}

fn cell(window: &Window, unit: &str, column: &str) -> String {
    let css = format!("[data-testid=\"town-row\"][data-unit=\"{unit}\"] [data-col=\"{column}\"]");
    window
        .runtime
        .block_on(async { window.client().find(Locator::Css(&css)).await?.text().await })
        .unwrap_or_default()
}

struct FixedClock(AtomicU64);

impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run by scripts/test.sh"]
fn a_district_leader_opens_the_console_offline_in_the_desktop_app() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now_ms();
    let server_clock = Arc::new(ManualClock::new(i64::try_from(now).unwrap()));
    let mut server = Server::start_with_clock(dir.path(), server_clock.clone());
    let nansha = people(51, 3, &["440115001"]);
    server.import_w1(&nansha, "南沙街道");
    server.import_w1(&people(52, 2, &["440115002"]), "珠江街道");

    // A town worker's phone answers one person and syncs (the simulated device).
    let code = server.enrolment("nansha-w", "worker", "440115001");
    let mut worker = AppCore::open(
        dir.path().join("worker"),
        Arc::new(FixedClock(AtomicU64::new(now))),
    )
    .unwrap();
    worker
        .enrol(outpost_app_core::EnrolInput {
            code,
            server_url: None,
            device_label: "镇街手机".into(),
            pin: "111111".into(),
        })
        .unwrap();
    worker.sync_job().unwrap().run().unwrap().unwrap();
    let first = worker
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: nansha[0].name.clone(),
        })
        .unwrap()[0]
        .persons[0]
        .record_id
        .clone();
    worker
        .claim(&ClaimInput {
            record_ids: vec![first.clone()],
        })
        .unwrap();
    worker
        .answer(&AnswerInput {
            record_id: first,
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: Some("独居老人".into()),
            forward_to: None,
        })
        .unwrap();
    worker.sync_job().unwrap().run().unwrap().unwrap();
    // The claim deadline passes on the server: one alert per town.
    server_clock.advance(11 * MIN);

    // The leader's desktop app: enrol, sync until the alerts have arrived, lose the server.
    let downloads = dir.path().join("downloads");
    let config = dir.path().join("xdg-config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )
    .unwrap();
    let leader = server.enrolment("district-leader", "leader", "440115");
    let window = Window::open_with_env(
        runtime.clone(),
        &dir.path().join("app"),
        "console",
        &[("XDG_CONFIG_HOME", config.to_str().unwrap())],
    );
    window.enrol(&leader);
    let started = Instant::now();
    loop {
        window.sync_online();
        window.click("nav-console");
        window.wait_screen("results");
        window.click("nav-wall");
        window.wait_screen("wall");
        std::thread::sleep(Duration::from_millis(500));
        if count(&window, "[data-testid=\"alert-item\"]") >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the alerts never reached the app"
        );
        window.click("console-back");
        window.wait_screen("tasks");
    }
    server.halt();

    // The wall screen from the replica: counts per town, the alerts, a task's flow.
    assert!(window.text("console-source").contains("本机"));
    // What the offline console leaves out is named, with where to find it.
    assert!(window.text("console-server-hint").contains("行政区划"));
    assert_eq!(
        window.text("console-server-url"),
        format!("{}/console/", server.url())
    );
    window.wait_until("the towns' counts", |w| {
        cell(w, "440115001", "answered") == "1"
    });
    assert_eq!(cell(&window, "440115001", "overdue"), "2");
    assert_eq!(cell(&window, "440115002", "unclaimed"), "2");
    assert_eq!(
        count(
            &window,
            "[data-testid=\"alert-item\"][data-kind=\"alert_raised\"]"
        ),
        2
    );
    window.shot("console-wall-offline");
    window.click_element(&window.find("task-item"));
    window.wait_until("the task's flow", |w| {
        count(
            w,
            "[data-testid=\"flow-items\"] [data-kind=\"alert_raised\"]",
        ) == 1
    });

    // Only what the replica can answer is offered.
    assert_eq!(count(&window, "[data-testid=\"nav-import\"]"), 0);
    assert_eq!(count(&window, "[data-testid=\"nav-admin\"]"), 0);
    window.click("nav-health");
    window.wait_until("this device's sync health", |w| {
        count(w, "[data-testid=\"device-row\"]") == 1
    });

    // Results, masked, and the export saved as a workbook with the rows on screen.
    window.click("nav-results");
    window.wait_screen("results");
    window.wait_until("five persons", |w| {
        count(w, "[data-testid=\"result-row\"]") == 5
    });
    assert!(!window.text("results-table").contains(&nansha[1].phone));
    window.click("results-export");
    window.wait_until("the export saved", |w| {
        w.attr("results-saved-to", "data-path").is_some()
    });
    let path = window.attr("results-saved-to", "data-path").unwrap();
    assert!(path.starts_with(downloads.to_str().unwrap()), "{path}");
    let bytes = std::fs::read(&path).unwrap();
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 6, "a header row and five persons");
    window.shot("console-results-offline");

    // Back to the field app.
    window.click("console-back");
    window.wait_screen("tasks");
}
