//! Deadline settings changed in the console reach the devices: an administrator moves W1's
//! claim deadline from 10 to 20 minutes, a town worker's device syncs, and its offline
//! countdown says 20 minutes — kept across a restart of the app, and back to 10 when the
//! administrator returns to the program file's settings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use outpost_app_core::views::{Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::SystemClock;

const MIN: i64 = 60_000;

fn claim_due_after(app: &AppCore) -> i64 {
    let groups = app
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap();
    let group = &groups[0];
    let deadline = group.deadline.as_ref().expect("a claim deadline");
    assert_eq!(deadline.label, "认领时限");
    deadline.due_ms - group.dispatched_at_ms.unwrap()
}

fn sync(app: &mut AppCore) -> bool {
    let report = app.sync_job().unwrap().run().unwrap().unwrap();
    app.apply_deadlines(&report.deadlines).unwrap()
}

fn admin(server: &Server, method: reqwest::Method, body: Option<serde_json::Value>) {
    let client = reqwest::blocking::Client::new();
    let mut request = client
        .request(
            method,
            format!("{}/console/api/admin/programs/{W1}/deadlines", server.url()),
        )
        .bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[test]
fn a_deadline_changed_in_the_console_reaches_the_devices_countdowns() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.import_w1(&people(61, 2, &["440115001"]), "南沙街道");
    let code = server.enrolment("nansha-w", "worker", "440115001");
    let app_dir = dir.path().join("app");
    let mut app = AppCore::open(&app_dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "镇街手机".into(),
        pin: "135790".into(),
    })
    .unwrap();
    assert!(
        sync(&mut app),
        "the first sync brings the settings in force"
    );
    assert_eq!(claim_due_after(&app), 10 * MIN, "the program file's");
    assert!(!sync(&mut app), "nothing changed since");

    admin(
        &server,
        reqwest::Method::PUT,
        Some(serde_json::json!({"rules": [{
            "id": "claim",
            "steps": [
                {"after": "20m", "notify": ["town_leader", "task_force_group"]},
                {"after": "40m", "notify": ["district_leader", "task_force_group"]}
            ]
        }]})),
    );
    assert!(sync(&mut app));
    assert_eq!(claim_due_after(&app), 20 * MIN, "the console's, offline");

    // Kept in the device file: a restarted app counts with it before any sync.
    drop(app);
    let mut app = AppCore::open(&app_dir, Arc::new(SystemClock)).unwrap();
    app.unlock("135790").unwrap();
    assert_eq!(claim_due_after(&app), 20 * MIN);

    admin(&server, reqwest::Method::DELETE, None);
    assert!(sync(&mut app));
    assert_eq!(claim_due_after(&app), 10 * MIN, "back to the file's");
}
