//! A town set up in the console during an outbreak works the same day, on the server and on the
//! devices: the administrator adds 新港镇 (alias 新港) and its 新港社区; a list naming 新港 is
//! dispatched there; a worker account is created there; a 南沙街道 worker's device learns the new
//! town with its next sync and reassigns a person to it offline; the new town's worker receives
//! both persons. A rename in the console reaches the devices too and is kept across a restart of
//! the app; a unit in use cannot be withdrawn.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use outpost_app_core::actions::MoveInput;
use outpost_app_core::views::{Tab, TasksInput, UnitsInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::SystemClock;
use serde_json::{Value, json};

const XINGANG: &str = "440115106";
const XINGANG_COMMUNITY: &str = "440115106001";

fn admin(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::blocking::Client::new()
        .request(
            method,
            format!("{}/console/api/admin/jurisdictions{path}", server.url()),
        )
        .bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

fn enrol(server: &Server, dir: &std::path::Path, user: &str, unit: &str) -> AppCore {
    let code = server.enrolment(user, "worker", unit);
    let mut app = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: format!("{user} 手机"),
        pin: "135790".into(),
    })
    .unwrap();
    app
}

/// Syncs and takes what the sync brought besides records; whether the settings changed.
fn sync(app: &mut AppCore) -> bool {
    let report = app.sync_job().unwrap().run().unwrap().unwrap();
    app.apply_server_settings(&report).unwrap()
}

fn unit_names(app: &AppCore, level: &str, within: &str) -> Vec<(String, String)> {
    app.units(&UnitsInput {
        level: level.into(),
        within: Some(within.into()),
    })
    .unwrap()
    .into_iter()
    .map(|u| (u.code, u.full_name))
    .collect()
}

fn unclaimed(app: &AppCore) -> Vec<(String, usize)> {
    app.tasks(&TasksInput {
        program: W1.into(),
        tab: Tab::Unclaimed,
        query: String::new(),
    })
    .unwrap()
    .into_iter()
    .map(|g| (g.unit_name, g.persons.len()))
    .collect()
}

#[test]
fn a_town_added_in_the_console_gets_tasks_workers_and_devices_the_same_day() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, tree) = admin(
        &server,
        reqwest::Method::POST,
        "",
        Some(
            json!({"code": XINGANG, "name": "新港镇", "name_en": "Xingang Town", "aliases": ["新港"]}),
        ),
    );
    assert_eq!(status, 200, "{tree}");
    let (status, tree) = admin(
        &server,
        reqwest::Method::POST,
        "",
        Some(
            json!({"code": XINGANG_COMMUNITY, "name": "新港社区", "name_en": "Xingang Community"}),
        ),
    );
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["added"], 2);

    // The server's import, user creation and dispatch know the town at once.
    server.import_w1(&people(71, 1, &[XINGANG]), "新港");
    server.import_w1(&people(72, 2, &["440115001"]), "南沙街道");
    let mut nansha = enrol(&server, &dir.path().join("nansha"), "nansha-w", "440115001");
    let mut xingang = enrol(&server, &dir.path().join("xingang"), "xingang-w", XINGANG);

    // The 南沙街道 device learns the town with its sync and reassigns a person to it offline.
    assert!(
        sync(&mut nansha),
        "the first sync brings the console's changes"
    );
    assert!(!sync(&mut nansha), "nothing changed since");
    let towns = unit_names(&nansha, "town", "440115");
    assert!(
        towns.contains(&(XINGANG.to_owned(), "广州市南沙区新港镇".to_owned())),
        "{towns:?}"
    );
    let groups = nansha
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap();
    let person = groups[0].persons[0].record_id.clone();
    nansha
        .reassign(&MoveInput {
            record_id: person,
            to_unit: XINGANG.into(),
            note: Some("住址在新港镇".into()),
        })
        .unwrap();
    sync(&mut nansha);
    assert_eq!(unclaimed(&nansha), [("南沙街道".to_owned(), 1)]);

    // The new town's worker has both: the one imported there, the one reassigned.
    sync(&mut xingang);
    let received: usize = unclaimed(&xingang)
        .iter()
        .inspect(|(unit, _)| assert_eq!(unit, "新港镇"))
        .map(|(_, persons)| persons)
        .sum();
    assert_eq!(received, 2);
    assert_eq!(
        unit_names(&xingang, "community", XINGANG),
        [(
            XINGANG_COMMUNITY.to_owned(),
            "广州市南沙区新港镇新港社区".to_owned()
        )]
    );

    // A rename reaches the device and is kept in its file across a restart.
    let (status, _) = admin(
        &server,
        reqwest::Method::PUT,
        &format!("/{XINGANG_COMMUNITY}"),
        Some(json!({"name": "新港第一社区", "name_en": "Xingang No. 1 Community", "aliases": []})),
    );
    assert_eq!(status, 200);
    assert!(sync(&mut xingang));
    drop(xingang);
    let mut xingang = AppCore::open(dir.path().join("xingang"), Arc::new(SystemClock)).unwrap();
    xingang.unlock("135790").unwrap();
    assert_eq!(
        unit_names(&xingang, "community", XINGANG),
        [(
            XINGANG_COMMUNITY.to_owned(),
            "广州市南沙区新港镇新港第一社区".to_owned()
        )]
    );

    // The town is in use (a worker, tasks): it stays. The unused community can be withdrawn,
    // and the devices follow.
    let (status, refusal) = admin(
        &server,
        reqwest::Method::DELETE,
        &format!("/{XINGANG}"),
        None,
    );
    assert_eq!(status, 409, "{refusal}");
    assert!(refusal["message_zh"].as_str().unwrap().contains("不能撤销"));
    let (status, tree) = admin(
        &server,
        reqwest::Method::DELETE,
        &format!("/{XINGANG_COMMUNITY}"),
        None,
    );
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["added"], 1);
    assert!(sync(&mut xingang));
    assert!(unit_names(&xingang, "community", XINGANG).is_empty());
}
