//! Records whose sync went wrong, end to end against a real server on loopback: a record whose
//! stored ledger data is damaged (two changes of one device numbered alike, as a ledger from
//! before admission holds it) reaches a device, which refuses it as the server would, keeps
//! syncing its other records, lists it as 无法读取，已报告 and reports it, so the administrator's
//! quarantine list shows it as found by the device; and a push the server refuses shows the
//! server's reason on the person.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use outpost_app_core::actions::ClaimInput;
use outpost_app_core::device::{DeviceFile, REPLICA_FILE};
use outpost_app_core::views::{PersonRow, Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput, vault};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::{Clock, DeviceId, HlcClock, SystemClock};
use outpost_shared::record::{Action, Author, RecordId, UserId};
use outpost_shared::replica::{EncryptionKey, Replica};
use serde_json::Value;

const TOWN: &str = "440115001";
const PIN: &str = "135790";

fn enrol(dir: &Path, code: String) -> AppCore {
    let mut app = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "测试手机".into(),
        pin: PIN.into(),
    })
    .unwrap();
    app
}

fn sync(app: &AppCore) {
    app.sync_job().unwrap().run().unwrap().unwrap();
}

fn rows(app: &AppCore, tab: Tab) -> Vec<PersonRow> {
    app.tasks(&TasksInput {
        program: W1.into(),
        tab,
        query: String::new(),
    })
    .unwrap()
    .into_iter()
    .flat_map(|g| g.persons)
    .collect()
}

fn row(app: &AppCore, tab: Tab, id: &str) -> PersonRow {
    rows(app, tab)
        .into_iter()
        .find(|r| r.record_id == id)
        .unwrap_or_else(|| panic!("{id} is not in {tab:?}"))
}

fn quarantine(server: &Server) -> Value {
    reqwest::blocking::Client::new()
        .get(format!("{}/console/api/admin/quarantine", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_record_damaged_in_the_ledger_is_refused_listed_as_reported_and_shown_to_the_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    server.import_w1(&people(31, 3, &[TOWN]), "南沙街道");
    let app = enrol(
        &dir.path().join("worker"),
        server.enrolment("nansha-w", "worker", TOWN),
    );
    let mut colleague = enrol(
        &dir.path().join("colleague"),
        server.enrolment("nansha-c", "worker", TOWN),
    );
    sync(&app);
    sync(&colleague);
    let ids: Vec<String> = rows(&app, Tab::Unclaimed)
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        rows(&app, Tab::Unclaimed)
            .iter()
            .all(|r| r.sync_problem.is_none())
    );
    let (bad, other) = (ids[0].clone(), ids[1].clone());

    // A colleague claims another person; the ledger's copy of `bad` is damaged meanwhile.
    colleague
        .claim(&ClaimInput {
            record_ids: vec![other.clone()],
        })
        .unwrap();
    sync(&colleague);
    server.damage_record(&RecordId::new(&bad).unwrap());

    sync(&app);
    // The other record arrived in the same sync; the damaged one is as it was, and labelled.
    assert_eq!(row(&app, Tab::Claimed, &other).sync_problem, None);
    let labelled = row(&app, Tab::Unclaimed, &bad);
    let problem = labelled.sync_problem.expect("labelled");
    assert_eq!(problem.kind, "unreadable");
    assert_eq!(problem.label, "无法读取，已报告");
    assert!(problem.reported);
    let detail = app.person(&bad).unwrap();
    assert_eq!(detail.sync_problem.unwrap().label, "无法读取，已报告");
    assert!(
        detail
            .fields
            .iter()
            .all(|f| f.value.as_deref() != Some("13900000000")),
        "the refused change is not shown"
    );
    let status = app.sync_status().unwrap();
    assert_eq!(status.unreadable_records, 1);
    assert_eq!(status.refused_records, 0);
    assert_eq!(status.last_error, None);
    let reviews = app.reviews().unwrap();
    let item = reviews.iter().find(|r| r.record_id == bad).expect("listed");
    assert_eq!(
        item.sync_problem.as_ref().unwrap().label,
        "无法读取，已报告"
    );
    assert!(item.held);

    // The administrator sees it, reported by the device, without personal data.
    let listed = quarantine(&server);
    let entry = listed["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["record"] == bad.as_str())
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(entry["found_by"], "device", "{listed}");
    let detail = entry["detail"].as_str().unwrap();
    assert!(detail.starts_with("device "), "{detail}");
    assert!(!detail.contains("13900000000"), "{detail}");

    // Later syncs go on, do not report it again, and keep the label.
    colleague
        .claim(&ClaimInput {
            record_ids: vec![ids[2].clone()],
        })
        .unwrap();
    sync(&colleague);
    sync(&app);
    assert_eq!(row(&app, Tab::Claimed, &ids[2]).sync_problem, None);
    assert_eq!(
        row(&app, Tab::Unclaimed, &bad).sync_problem.unwrap().label,
        "无法读取，已报告"
    );
    assert_eq!(app.sync_status().unwrap().unreadable_records, 1);
}

#[test]
fn a_push_the_server_refuses_shows_its_reason_on_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.import_w1(&people(32, 2, &[TOWN]), "南沙街道");
    let app_dir = dir.path().join("worker");
    let mut app = enrol(&app_dir, server.enrolment("nansha-w", "worker", TOWN));
    sync(&app);
    let id = rows(&app, Tab::Unclaimed)[0].record_id.clone();

    // What a faulty app version wrote: an event in another user's name from this device.
    app.lock();
    let device = DeviceFile::load(&app_dir).unwrap().unwrap();
    let key = vault::unwrap(&device.key, PIN).unwrap();
    let mut replica = Replica::open(
        app_dir.join(REPLICA_FILE),
        Some(&EncryptionKey::from_bytes(key)),
    )
    .unwrap();
    let record_id = RecordId::new(&id).unwrap();
    let mut record = replica.load(&record_id).unwrap().unwrap();
    let device_id = DeviceId::new(device.device_id.clone()).unwrap();
    record
        .append(
            &Author {
                user: UserId::new("someone-else").unwrap(),
                device: device_id.clone(),
            },
            &mut HlcClock::new(device_id),
            SystemClock.now_ms(),
            Action::Claimed,
        )
        .unwrap();
    replica.write(|w| w.save(&mut record)).unwrap();
    drop(replica);
    app.unlock(PIN).unwrap();

    sync(&app);
    let problem = row(&app, Tab::Claimed, &id).sync_problem.expect("labelled");
    assert_eq!(problem.kind, "refused");
    assert_eq!(
        problem.label,
        "服务器拒收：操作记录的用户或设备与上传设备不符"
    );
    let status = app.sync_status().unwrap();
    assert_eq!(status.refused_records, 1);
    assert_eq!(status.pending_changes, 1, "the refused change stays unsent");
    assert_eq!(
        app.person(&id).unwrap().sync_problem.unwrap().label,
        "服务器拒收：操作记录的用户或设备与上传设备不符"
    );
    // Nothing was reported as unreadable: the server's copy is fine.
    assert!(
        quarantine(&server)["records"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
