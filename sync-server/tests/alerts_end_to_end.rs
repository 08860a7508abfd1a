//! Lists to tasks to alerts, end to end through a real server on loopback: a list is imported
//! over the admin API, the town's device receives its persons at its next sync (another town's
//! device receives none), the claim deadline passes on the server's injected clock, the alert
//! reaches the town leader's WeCom robot and the task force's DingTalk robot and webhook (real
//! HTTP receivers that check signatures), the alert record reaches the leader's device, and work
//! the worker did offline resolves it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use outpost_shared::demo::people;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, RecordId, RecordKind, TaskStatus, UserId};
use outpost_shared::replica::Replica;
use outpost_shared::sync::client::{SyncOptions, sync};
use outpost_shared::sync::http::HttpTransport;
use outpost_sync_server::clock::{Clock, ManualClock};
use outpost_sync_server::config::ConfigFile;
use rust_xlsxwriter::Workbook;

const TOKEN: &str = "alerts-e2e-admin-token-0123";
/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;
const MIN: i64 = 60_000;

fn list() -> Vec<u8> {
    let persons = people(11, 3, &["440115001"]);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["姓名", "手机号码", "身份证号码", "密接类型", "所属镇街"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (i, person) in persons.iter().enumerate() {
        let row = 1 + i as u32;
        for (col, value) in [
            person.name.as_str(),
            person.phone.as_str(),
            person.id_number.as_str(),
            "密接",
            "南沙街道",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

struct Device {
    replica: Replica,
    transport: HttpTransport,
    author: Author,
    clock: HlcClock,
}

impl Device {
    fn enrol(
        client: &reqwest::blocking::Client,
        url: &str,
        user: &str,
        role: &str,
        unit: &str,
    ) -> Self {
        let admin = |path: &str, body: serde_json::Value| -> serde_json::Value {
            let response = client
                .post(format!("{url}{path}"))
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.json().unwrap()
        };
        admin(
            "/admin/users",
            serde_json::json!({"id": user, "display_name": user, "role": role, "unit": unit}),
        );
        let code = admin(
            &format!("/admin/users/{user}/enrolment-codes"),
            serde_json::json!({}),
        );
        let enrolled: serde_json::Value = client
            .post(format!("{url}/v1/enrol"))
            .json(&serde_json::json!({"protocol": 1, "code": code["code"], "label": user}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let device = DeviceId::new(enrolled["device_id"].as_str().unwrap()).unwrap();
        Self {
            replica: Replica::open_in_memory().unwrap(),
            transport: HttpTransport::new(
                url,
                enrolled["token"].as_str().unwrap(),
                Duration::from_secs(10),
            )
            .unwrap(),
            author: Author {
                user: UserId::new(user).unwrap(),
                device: device.clone(),
            },
            clock: HlcClock::new(device),
        }
    }

    fn sync(&mut self, now: i64) {
        sync(
            &mut self.replica,
            &mut self.transport,
            SyncOptions::default(),
            || now,
        )
        .unwrap();
    }

    fn held(&self, kind: RecordKind) -> Vec<outpost_shared::replica::RecordSummary> {
        self.replica
            .list("", None, usize::MAX, 0)
            .unwrap()
            .into_iter()
            .filter(|s| s.kind == kind)
            .collect()
    }

    fn act(&mut self, id: &str, at: i64, action: Action) {
        let id = RecordId::new(id).unwrap();
        let mut record = self.replica.load(&id).unwrap().unwrap();
        record
            .append(
                &self.author,
                &mut self.clock,
                u64::try_from(at).unwrap(),
                action,
            )
            .unwrap();
        self.replica.write(|w| w.save(&mut record)).unwrap();
    }
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..400 {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("timed out waiting until {what}");
}

#[test]
fn an_imported_list_is_dispatched_alerts_reach_the_leaders_and_offline_work_resolves_them() {
    let runtime = support::runtime();
    let receiver = support::receiver::start(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let mut config = ConfigFile {
        database: Some(dir.path().join("ledger.db").display().to_string()),
        admin_token: Some(TOKEN.into()),
        assets: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..Default::default()
    }
    .resolve()
    .unwrap();
    config.notify = support::config(&receiver.base, "");
    let clock = Arc::new(ManualClock::new(T0));
    let app = outpost_sync_server::app_with_clock(config, clock.clone()).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(outpost_sync_server::serve_app(listener, app, async {
        let _ = stopped.await;
    }));
    let client = reqwest::blocking::Client::new();

    // The district imports the list: three persons for 南沙街道.
    let imported: serde_json::Value = client
        .post(format!("{url}/admin/imports?program=w1-close-contact-whereabouts&within=440115&creator=district-admin"))
        .bearer_auth(TOKEN)
        .body(list())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(imported["imported"], 3, "{imported}");

    // The town's worker and leader receive the persons at their next sync; another town's
    // worker receives nothing.
    let mut worker = Device::enrol(&client, &url, "nansha-worker", "worker", "440115001");
    let mut leader = Device::enrol(&client, &url, "nansha-leader", "leader", "440115001");
    let mut elsewhere = Device::enrol(&client, &url, "zhujiang-worker", "worker", "440115002");
    for device in [&mut worker, &mut leader, &mut elsewhere] {
        device.sync(T0 + MIN);
    }
    let persons = worker.held(RecordKind::Person);
    assert_eq!(persons.len(), 3);
    assert!(persons.iter().all(|p| p.status == TaskStatus::Unclaimed));
    assert!(elsewhere.held(RecordKind::Person).is_empty());

    // The worker claims one person at 9:05, online.
    worker.act(&persons[0].id, T0 + 5 * MIN, Action::Claimed);
    worker.sync(T0 + 5 * MIN);
    // Then goes offline and claims the other two at 9:08.
    worker.act(&persons[1].id, T0 + 8 * MIN, Action::Claimed);
    worker.act(&persons[2].id, T0 + 8 * MIN, Action::Claimed);

    // 9:10 on the server: two persons are still unclaimed as far as it knows.
    clock.set(T0 + 10 * MIN);
    wait_until(
        "the alert reaches the town leader's robot and the task force",
        || {
            receiver.state.accepted_with("wecom", "认领时限第 ") == 1
                && receiver.state.accepted_with("dingtalk", "认领时限第 ") == 1
                && receiver.state.accepted_with("webhook", "认领时限第 ") == 1
        },
    );
    let wecom = receiver
        .state
        .accepted()
        .into_iter()
        .find(|r| r.kind == "wecom")
        .unwrap();
    assert!(
        wecom.raw.contains("2/3"),
        "two of three outstanding: {}",
        wecom.raw
    );
    for person in &persons {
        if let Some(name) = &person.name {
            assert!(
                !wecom.raw.contains(name.as_str()),
                "no names in group chats"
            );
        }
    }
    leader.sync(clock.now_ms());
    let alerts = leader.held(RecordKind::Alert);
    assert_eq!(
        alerts.len(),
        1,
        "the alert record reaches the town leader's device"
    );
    assert_eq!(alerts[0].status, TaskStatus::Unclaimed);
    elsewhere.sync(clock.now_ms());
    assert!(elsewhere.held(RecordKind::Alert).is_empty());

    // The worker comes back at 9:20; the claims made offline at 9:08 resolve the alert.
    clock.set(T0 + 20 * MIN);
    worker.sync(clock.now_ms());
    wait_until("the alert is resolved on the leader's device", || {
        leader.sync(clock.now_ms());
        leader
            .held(RecordKind::Alert)
            .first()
            .is_some_and(|a| a.status == TaskStatus::Answered)
    });
    let alert_id = RecordId::new(leader.held(RecordKind::Alert)[0].id.clone()).unwrap();
    let resolution = leader
        .replica
        .load(&alert_id)
        .unwrap()
        .unwrap()
        .state()
        .alert_resolution
        .unwrap();
    assert_eq!(
        outpost_shared::task::alert::resolution_text(&resolution, outpost_shared::i18n::Lang::Zh),
        "已于 09:08 离线完成，09:20 同步"
    );
    // The 30-minute step never fires: the work was done in time.
    clock.set(T0 + 31 * MIN);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(receiver.state.accepted_with("feishu", "认领时限第 "), 0);
    assert_eq!(
        receiver.state.accepted_with("wecom", "认领时限第 "),
        1,
        "sent once"
    );

    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}
