//! The desktop app's console over its local replica (离线控制台), against a real sync server on
//! loopback whose deadline engine runs on a clock the test moves: a district leader's device
//! syncs the district's work and the alert the server raised, the server goes away, and the
//! console still shows the counts, the alert, the results, a person, a task's flow and an
//! export — the same figures the server's console answered while it was up. A town worker's
//! console counts what the worker did offline at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use outpost_app_core::actions::{AnswerInput, ClaimInput};
use outpost_app_core::views::{Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::console::people::Filter;
use outpost_shared::demo::people;
use outpost_shared::hlc::Clock;
use outpost_shared::i18n::Lang;
use outpost_sync_server::clock::ManualClock;

const MIN: i64 = 60_000;

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn enrol(dir: &Path, clock: Arc<TestClock>, code: String) -> AppCore {
    let mut app = AppCore::open(dir, clock).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "指挥部笔记本".into(),
        pin: "135790".into(),
    })
    .unwrap();
    app
}

fn sync(app: &AppCore) {
    app.sync_job().unwrap().run().unwrap().unwrap();
}

fn filter(search: Option<&str>, status: Option<&str>) -> Filter {
    Filter {
        program: W1.into(),
        search: search.map(str::to_owned),
        status: status.map(str::to_owned),
        ..Filter::default()
    }
}

fn server_json(server: &Server, path: &str) -> serde_json::Value {
    reqwest::blocking::Client::new()
        .get(format!("{}{path}", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_district_leader_sees_the_districts_work_and_alerts_offline() {
    let dir = tempfile::tempdir().unwrap();
    let real_now = outpost_shared::hlc::SystemClock.now_ms();
    let server_clock = Arc::new(ManualClock::new(i64::try_from(real_now).unwrap()));
    let mut server = Server::start_with_clock(dir.path(), server_clock.clone());
    let nansha = people(41, 3, &["440115001"]);
    let zhujiang = people(42, 2, &["440115002"]);
    server.import_w1(&nansha, "南沙街道");
    server.import_w1(&zhujiang, "珠江街道");
    let clock = Arc::new(TestClock(AtomicU64::new(real_now)));

    // The town worker claims and answers one person, online.
    let worker_code = server.enrolment("nansha-w", "worker", "440115001");
    let mut worker = enrol(&dir.path().join("worker"), clock.clone(), worker_code);
    sync(&worker);
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
            record_id: first.clone(),
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: Some("独居老人".into()),
            forward_to: None,
        })
        .unwrap();
    sync(&worker);

    // Eleven minutes on the server: the 10-minute claim deadline passes for the others.
    server_clock.advance(11 * MIN);
    let leader_code = server.enrolment("nansha-leader", "leader", "440115");
    let leader = enrol(&dir.path().join("leader"), clock.clone(), leader_code);
    let started = Instant::now();
    loop {
        sync(&leader);
        if leader.console_alerts(None).unwrap().items.len() >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the claim alerts never reached the leader's replica"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let online_towns = server_json(&server, &format!("/console/api/towns?program={W1}"));
    server.halt();

    // Offline from here: the figures come from the replica, and agree with the server's.
    let me = leader.console_me().unwrap();
    assert_eq!(me.source, "replica");
    assert_eq!(
        me.server_url,
        Some(server.url()),
        "where imports and administration are"
    );
    assert_eq!(me.viewer.unit, "440115");
    assert!(!me.viewer.administrator);
    assert!(me.towns.iter().any(|t| t.name.zh == "南沙街道"));
    let towns = leader.console_towns(W1, None).unwrap();
    for town in &towns {
        let online = online_towns
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["unit"] == town.unit.as_str())
            .unwrap_or_else(|| panic!("{} missing on the server", town.unit));
        for (name, value) in [
            ("total", town.total),
            ("unclaimed", town.unclaimed),
            ("claimed", town.claimed),
            ("answered", town.answered),
            ("overdue", town.overdue),
        ] {
            assert_eq!(online[name], value, "{} {name}", town.unit);
        }
    }
    let of = |code: &str| towns.iter().find(|t| t.unit == code).unwrap();
    let nansha_town = of("440115001");
    assert_eq!(
        (nansha_town.total, nansha_town.answered, nansha_town.overdue),
        (3, 1, 2)
    );
    assert!((nansha_town.completion - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((of("440115002").total, of("440115002").overdue), (2, 2));

    // The alert feed: one claim alert per town, newest first, with the server's titles.
    let feed = leader.console_alerts(None).unwrap();
    assert_eq!(feed.items.len(), 2, "{:?}", feed.items);
    assert!(feed.items.iter().all(|i| i.item.kind == "alert_raised"));
    assert!(
        feed.items.iter().any(|i| i.item.detail.zh.contains("认领")),
        "{:?}",
        feed.items
    );
    assert_eq!(
        leader
            .console_alerts(Some(feed.cursor_ms + 1))
            .unwrap()
            .items
            .len(),
        0,
        "nothing after the cursor"
    );

    // Results: masked, searchable, filtered by status; the detail in full for a leader.
    let all = leader.console_results(&filter(None, None)).unwrap();
    assert_eq!(all.total, 5);
    assert!(
        all.rows
            .iter()
            .all(|r| !r.fields["phone"].contains(&nansha[0].phone))
    );
    assert!(all.rows.iter().all(|r| r.fields["phone"].contains('*')));
    let answered = leader
        .console_results(&filter(None, Some("answered")))
        .unwrap();
    assert_eq!(answered.total, 1);
    assert_eq!(answered.rows[0].id, first);
    assert_eq!(answered.rows[0].note.as_deref(), Some("独居老人"));
    assert_eq!(answered.rows[0].outcome[0].zh, "本区");
    let found = leader
        .console_results(&filter(Some(&zhujiang[1].name), None))
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].unit_name.zh, "珠江街道");
    let detail = leader.console_person(&first, Lang::Zh).unwrap();
    assert!(!detail.masked);
    assert_eq!(detail.person.fields["phone"], nansha[0].phone);
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["dispatched", "claimed", "answered"]);

    // A task's flow: its persons' steps and the alert, oldest first.
    let tasks = leader.console_tasks(W1, None).unwrap();
    assert_eq!(tasks.len(), 2);
    let nansha_task = tasks.iter().find(|t| t.unit == "440115001").unwrap();
    assert_eq!(
        (
            nansha_task.members,
            nansha_task.answered,
            nansha_task.standing_alerts
        ),
        (3, 1, 1)
    );
    let flow = leader.console_flow(&nansha_task.id).unwrap();
    assert_eq!(flow.unit_name.zh, "南沙街道");
    assert_eq!(
        flow.items.iter().filter(|i| i.kind == "dispatched").count(),
        3
    );
    assert!(flow.items.iter().any(|i| i.kind == "alert_raised"));
    assert_eq!(flow.items.last().unwrap().kind, "alert_raised");

    // The export re-reads as a workbook with the rows on screen.
    let bytes = leader.console_export(&filter(None, None)).unwrap();
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 6, "a header row and five persons");
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "批次号");

    // Progress ends with one answered of five dispatched.
    let progress = leader.console_progress(W1, None).unwrap();
    let last = progress.last().unwrap();
    assert_eq!((last.dispatched, last.answered), (5, 1));

    // The town worker's console counts offline work at once, and shows what waits to sync.
    let second = worker
        .console_results(&filter(None, Some("unclaimed")))
        .unwrap()
        .rows[0]
        .id
        .clone();
    worker
        .claim(&ClaimInput {
            record_ids: vec![second],
        })
        .unwrap();
    let town = worker.console_towns(W1, None).unwrap();
    assert_eq!(town.len(), 1, "a town worker sees their town only");
    assert_eq!((town[0].claimed, town[0].answered), (1, 1));
    let health = worker.console_devices().unwrap();
    assert_eq!(health.len(), 1);
    assert_eq!(health[0].waiting_records, 1);
    assert!(health[0].last_sync_ms.is_some());
    assert!(
        worker.console_results(&filter(None, None)).unwrap().total == 3,
        "the other town's persons are not on the worker's device"
    );
}
