//! After a reassignment (修改所属镇街, issue 17 item 6), against a real sync server on loopback:
//! one W1 list dispatched to 南沙街道 (town A) and 珠江街道 (town B); A's worker finds that a
//! person lives in B and moves them there. After everyone syncs, A's worker is offered nothing
//! for the person any more, the person's 基本信息 names B on every device that holds them and in
//! the server console, and the wall screen's task list does not show B's work of that list as
//! two rows that read the same.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_app_core::actions::MoveInput;
use outpost_app_core::views::{PersonDetail, Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::SystemClock;
use serde_json::Value;

const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";

fn enrol(server: &Server, dir: &Path, user: &str, role: &str, unit: &str) -> AppCore {
    let code = server.enrolment(user, role, unit);
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

fn sync(app: &mut AppCore) {
    let report = app.sync_job().unwrap().run().unwrap().unwrap();
    app.apply_server_settings(&report).unwrap();
}

/// The record ids in every tab of the user's W1 lists.
fn listed(app: &AppCore) -> Vec<String> {
    [Tab::Unclaimed, Tab::Claimed, Tab::Answered]
        .into_iter()
        .flat_map(|tab| {
            app.tasks(&TasksInput {
                program: W1.into(),
                tab,
                query: String::new(),
            })
            .unwrap()
        })
        .flat_map(|group| group.persons.into_iter().map(|p| p.record_id))
        .collect()
}

/// What 基本信息 shows for the dispatch field (所属镇街).
fn town_shown(detail: &PersonDetail) -> String {
    let town = detail.fields.iter().find(|f| f.key == "town").unwrap();
    town.display.clone().unwrap_or_default()
}

fn console(server: &Server, path: &str) -> Value {
    let response = reqwest::blocking::Client::new()
        .get(format!("{}/console/api{path}", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().unwrap()
}

#[test]
fn after_a_reassignment_the_old_town_is_offered_nothing_and_every_view_names_the_new_town() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // One list: two persons of town A, one of town B — one task per town.
    let mut persons = people(61, 2, &[TOWN_A]);
    persons.extend(people(62, 1, &[TOWN_B]));
    let rows: Vec<Vec<&str>> = persons
        .iter()
        .map(|p| {
            let town = if p.unit == TOWN_A {
                "南沙街道"
            } else {
                "珠江街道"
            };
            vec![
                p.name.as_str(),
                p.phone.as_str(),
                p.id_number.as_str(),
                "密接",
                town,
            ]
        })
        .collect();
    server.import(
        W1,
        "440115",
        &["姓名", "手机号码", "身份证号码", "密接类型", "所属镇街"],
        &rows,
    );
    let mut worker_a = enrol(&server, &dir.path().join("a"), "nansha-w", "worker", TOWN_A);
    let mut worker_b = enrol(
        &server,
        &dir.path().join("b"),
        "zhujiang-w",
        "worker",
        TOWN_B,
    );
    let mut district = enrol(
        &server,
        &dir.path().join("district"),
        "district-leader",
        "leader",
        "440115",
    );
    for app in [&mut worker_a, &mut worker_b, &mut district] {
        sync(app);
    }
    let moved = worker_a
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: persons[0].name.clone(),
        })
        .unwrap()[0]
        .persons[0]
        .record_id
        .clone();
    assert!(
        worker_a
            .person(&moved)
            .unwrap()
            .allowed
            .contains(&"claim".to_owned())
    );

    // A's worker moves the person to B, offline: from then on A offers nothing for them.
    worker_a
        .reassign(&MoveInput {
            record_id: moved.clone(),
            to_unit: TOWN_B.into(),
            note: Some("住址在珠江街道".into()),
        })
        .unwrap();
    let at_a = worker_a.person(&moved).unwrap();
    assert!(at_a.allowed.is_empty(), "{:?}", at_a.allowed);
    assert!(at_a.transitions.is_empty());
    assert_eq!(town_shown(&at_a), "广州市南沙区珠江街道");
    assert!(!listed(&worker_a).contains(&moved));

    for app in [&mut worker_a, &mut worker_b, &mut district] {
        sync(app);
    }

    // A: the person is B's now — gone from A's lists, and nothing is offered if still held.
    assert!(!listed(&worker_a).contains(&moved));
    if let Ok(held) = worker_a.person(&moved) {
        assert!(held.allowed.is_empty(), "{:?}", held.allowed);
        assert!(held.transitions.is_empty());
        assert_eq!(town_shown(&held), "广州市南沙区珠江街道");
    }

    // B and the district: B's town in 基本信息; B may claim.
    let at_b = worker_b.person(&moved).unwrap();
    assert_eq!(town_shown(&at_b), "广州市南沙区珠江街道");
    assert!(
        at_b.allowed.contains(&"claim".to_owned()),
        "{:?}",
        at_b.allowed
    );
    assert!(listed(&worker_b).contains(&moved));
    assert_eq!(
        town_shown(&district.person(&moved).unwrap()),
        "广州市南沙区珠江街道"
    );

    // The server console's person detail names B for 所属镇街.
    let detail = console(&server, &format!("/people/{moved}"));
    assert_eq!(detail["person"]["unit"], TOWN_B, "{detail}");
    assert_eq!(detail["person"]["fields"]["town"], "珠江街道", "{detail}");

    // A's worker finds the other person of A lives in B too: A's task is left with nobody.
    let also_moved = listed(&worker_a)[0].clone();
    worker_a
        .reassign(&MoveInput {
            record_id: also_moved,
            to_unit: TOWN_B.into(),
            note: None,
        })
        .unwrap();
    for app in [&mut worker_a, &mut worker_b, &mut district] {
        sync(app);
    }
    assert!(listed(&worker_a).is_empty());

    // The wall's task list: B's work of the list is one row — its own task and the two moved
    // there, each with its own clocks — and A's emptied task no row. The deadline engine
    // counts what was synced on its next pass.
    let started = Instant::now();
    while !{
        let towns = console(&server, &format!("/towns?program={W1}"));
        let total = |unit: &str| {
            towns
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["unit"] == unit)
                .map(|t| t["total"].as_i64().unwrap())
        };
        total(TOWN_A) == Some(0) && total(TOWN_B) == Some(3)
    } {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the engine never counted the moves"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let rows = console(&server, &format!("/tasks?program={W1}"));
    let rows = rows.as_array().unwrap();
    let shown: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {} {}", r["unit_name"]["zh"], r["batch"], r["members"]))
        .collect();
    assert_eq!(rows.len(), 1, "{shown:?}");
    let row = &rows[0];
    assert_eq!(row["unit"], TOWN_B);
    assert_eq!(
        (row["members"].as_i64(), row["moved_in"].as_i64()),
        (Some(3), Some(2))
    );
    // Its flow: the three persons' steps, the two moves among them.
    let flow = console(
        &server,
        &format!("/flow?task={}", row["id"].as_str().unwrap()),
    );
    let kinds: Vec<&str> = flow["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "dispatched").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "reassigned").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(flow["members"], 3);

    // The district's offline console shows the same row and flow from its replica.
    let offline = district.console_tasks(W1, None).unwrap();
    assert_eq!(offline.len(), 1, "{offline:?}");
    assert_eq!(offline[0].id, row["id"].as_str().unwrap());
    assert_eq!((offline[0].members, offline[0].moved_in), (3, 2));
    let flow = district.console_flow(&offline[0].id).unwrap();
    assert_eq!(flow.members, 3);
    assert_eq!(
        flow.items.iter().filter(|i| i.kind == "reassigned").count(),
        2
    );
}
