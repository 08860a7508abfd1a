//! A real server for the console's tests, on 127.0.0.1:0 with an injected clock: the console
//! HTTP tests (`tests/console.rs`) and the browser tests' fixture (`examples/console_fixture.rs`)
//! both start it. Users: the district leader, a worker and a leader of 南沙街道 and a worker of
//! 珠江街道; field devices enrol, sync and act like the field app does.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use outpost_shared::demo::people;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, RecordId, RecordKind, TaskStatus, UserId};
use outpost_shared::replica::{RecordSummary, Replica};
use outpost_shared::sync::client::{SyncOptions, sync};
use outpost_shared::sync::http::HttpTransport;
use outpost_sync_server::clock::{Clock, ManualClock};
use outpost_sync_server::config::ConfigFile;
use rust_xlsxwriter::Workbook;

pub const TOKEN: &str = "console-fixture-admin-token-0123";
pub const W1: &str = "w1-close-contact-whereabouts";
pub const DISTRICT: &str = "440115";
pub const NANSHA: &str = "440115001";
pub const ZHUJIANG: &str = "440115002";
pub const MIN: i64 = 60_000;

/// A list of `nansha` persons for 南沙街道 and `zhujiang` for 珠江街道; the first person's
/// linked case starts with `=` (an export must keep it as text).
pub fn list(nansha: usize, zhujiang: usize) -> Vec<u8> {
    list_with(nansha, zhujiang, false)
}

/// [`list`], plus one row with an unknown town when `bad_row` (it goes to the failure
/// workbook).
pub fn list_with(nansha: usize, zhujiang: usize, bad_row: bool) -> Vec<u8> {
    let mut persons: Vec<(_, &str)> = people(7, nansha, &["440115001"])
        .into_iter()
        .map(|p| (p, "南沙街道"))
        .collect();
    persons.extend(
        people(8, zhujiang, &["440115002"])
            .into_iter()
            .map(|p| (p, "珠江街道")),
    );
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in [
        "关联病例",
        "姓名",
        "手机号码",
        "身份证号码",
        "密接类型",
        "所属镇街",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (i, (person, town)) in persons.iter().enumerate() {
        let row = 1 + i as u32;
        let case = if i == 0 {
            "=1+1".to_owned()
        } else {
            format!("病例{}", i % 3 + 1)
        };
        for (col, value) in [
            case.as_str(),
            person.name.as_str(),
            person.phone.as_str(),
            person.id_number.as_str(),
            "密接",
            town,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
    }
    if bad_row {
        let row = 1 + persons.len() as u32;
        for (col, value) in ["病例9", "查无此镇", "13800000000", "", "密接", "火星街道"]
            .iter()
            .enumerate()
        {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// The ledgers a test runs on: SQLite always (`None`), and a fresh PostgreSQL database
/// `console_<name>` when `OUTPOST_TEST_POSTGRES` is set (required under CI).
pub fn ledgers(name: &str) -> Vec<Option<String>> {
    let mut all = vec![None];
    match std::env::var("OUTPOST_TEST_POSTGRES") {
        Ok(base) => {
            let name = format!("console_{name}");
            let mut admin =
                postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            all.push(Some(format!("{base}/{name}")));
        }
        Err(_) if std::env::var("CI").is_ok() => panic!("OUTPOST_TEST_POSTGRES is not set"),
        Err(_) => eprintln!("OUTPOST_TEST_POSTGRES not set: SQLite only (run scripts/test.sh)"),
    }
    all
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A running server.
pub struct Fixture {
    pub url: String,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::blocking::Client,
    /// Held here so the state (a PostgreSQL pool with its blocking client) is dropped on the
    /// test's thread, never on a runtime thread.
    _app: Arc<outpost_sync_server::App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), outpost_sync_server::ServerError>>>,
    _dir: tempfile::TempDir,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Fixture {
    /// Starts a server at `start_ms` on its own SQLite ledger, serving the console from
    /// `console_dir`, with the fixture's users.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        start_ms: i64,
        console_dir: Option<PathBuf>,
    ) -> Self {
        Self::start_on(runtime, start_ms, console_dir, None)
    }

    /// [`Fixture::start`] on the ledger `database` (a `postgres://` URL), SQLite when `None`.
    pub fn start_on(
        runtime: &tokio::runtime::Runtime,
        start_ms: i64,
        console_dir: Option<PathBuf>,
        database: Option<String>,
    ) -> Self {
        Self::start_with(runtime, start_ms, console_dir, database, |_| {})
    }

    /// [`Fixture::start_on`] with the resolved config adjusted by `customise` (notification
    /// channels, for instance). On a ledger that already has the fixture's users (a restart)
    /// they are kept.
    pub fn start_with(
        runtime: &tokio::runtime::Runtime,
        start_ms: i64,
        console_dir: Option<PathBuf>,
        database: Option<String>,
        customise: impl FnOnce(&mut outpost_sync_server::config::Config),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ConfigFile {
            database: Some(
                database.unwrap_or_else(|| dir.path().join("ledger.db").display().to_string()),
            ),
            admin_token: Some(TOKEN.into()),
            assets: Some(repository().join("assets")),
            console_dir: Some(console_dir.unwrap_or_else(|| dir.path().join("no-console"))),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        customise(&mut config);
        let clock = Arc::new(ManualClock::new(start_ms));
        let app = outpost_sync_server::app_with_clock(config, clock.clone()).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = runtime.spawn(outpost_sync_server::serve_app(
            listener,
            app.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        let fixture = Self {
            url,
            clock,
            client: reqwest::blocking::Client::new(),
            _app: app,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        };
        for (id, role, unit) in [
            ("district-lead", "leader", DISTRICT),
            ("nansha-worker", "worker", NANSHA),
            ("nansha-leader", "leader", NANSHA),
            ("zhujiang-worker", "worker", ZHUJIANG),
        ] {
            let response = fixture
                .client
                .post(format!("{}/admin/users", fixture.url))
                .bearer_auth(TOKEN)
                .json(&serde_json::json!({"id": id, "display_name": format!("{id} 用户"), "role": role, "unit": unit}))
                .send()
                .unwrap();
            assert!(
                response.status().is_success() || response.status() == 409,
                "/admin/users: {}",
                response.status()
            );
        }
        fixture
    }

    pub fn admin_post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
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
    }

    /// A one-time code for `user` (console sign-in or device enrolment).
    pub fn code(&self, user: &str) -> String {
        self.admin_post(
            &format!("/admin/users/{user}/enrolment-codes"),
            serde_json::json!({}),
        )["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Signs `user` in to the console; the session token.
    pub fn console_session(&self, user: &str) -> String {
        let response = self
            .client
            .post(format!("{}/console/api/session", self.url))
            .json(&serde_json::json!({"code": self.code(user)}))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Signs the administrator in with the admin token, as the browser console does; the
    /// administrator's session token.
    pub fn console_session_as_admin(&self) -> String {
        let response = self
            .client
            .post(format!("{}/console/api/session", self.url))
            .json(&serde_json::json!({"admin_token": TOKEN}))
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Imports a list through the admin API and waits for the engine to take it up; the answer
    /// (batch, counts).
    pub fn import(&self, list: Vec<u8>) -> serde_json::Value {
        let response = self
            .client
            .post(format!(
                "{}/admin/imports?program={W1}&within={DISTRICT}&creator=district-admin",
                self.url
            ))
            .bearer_auth(TOKEN)
            .body(list)
            .send()
            .unwrap();
        assert_eq!(response.status(), 201);
        let imported = response.json().unwrap();
        // The deadline engine derives the tasks the console reads (every 250 ms).
        std::thread::sleep(Duration::from_millis(700));
        imported
    }

    /// Writes into the ledger what main stored before pushes were admitted by applying them: a
    /// second change of one actor with the same sequence number, on the first of `device`'s
    /// persons, straight through the server's own (unadmitted) push path. The record can no
    /// longer be loaded; its id.
    pub fn store_unreadable(&self, device: &FieldDevice) -> String {
        use outpost_shared::sync::ledger::{self, Peer};
        use outpost_shared::sync::{Cursor, RecordChanges, Scope};
        use outpost_sync_server::store::Store;

        let id = RecordId::new(device.persons()[0].id.clone()).unwrap();
        let record = device.replica.load(&id).unwrap().unwrap();
        let author = Author {
            user: UserId::new("nansha-worker").unwrap(),
            device: DeviceId::new("old-phone").unwrap(),
        };
        let (mut first, mut second) = (record.clone(), record.clone());
        let heads = first.heads();
        first
            .append(
                &author,
                &mut HlcClock::new(author.device.clone()),
                1,
                Action::Claimed,
            )
            .unwrap();
        second.set_field(&author, "phone", "13900000000").unwrap();
        let changes = [first.changes_since(&heads), second.changes_since(&heads)]
            .concat()
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect();
        let everywhere = Scope::of_units(["44"]);
        self._app
            .store
            .transaction(|tx| {
                ledger::push(
                    tx,
                    Peer {
                        device: "old-phone",
                        scope: &everywhere,
                    },
                    Cursor(0),
                    self.now_ms(),
                    &[RecordChanges {
                        record: id.clone(),
                        changes,
                    }],
                )
            })
            .unwrap();
        id.to_string()
    }

    /// Moves the server's clock and waits for the deadline engine to run (every 250 ms).
    pub fn advance(&self, by_ms: i64) {
        self.clock.advance(by_ms);
        std::thread::sleep(Duration::from_millis(700));
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn stop(&mut self, runtime: &tokio::runtime::Runtime) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            runtime.block_on(server).unwrap().unwrap();
        }
    }
}

/// A field device, as the app's core would drive it.
pub struct FieldDevice {
    pub replica: Replica,
    transport: HttpTransport,
    author: Author,
    clock: HlcClock,
}

impl FieldDevice {
    pub fn enrol(fixture: &Fixture, user: &str) -> Self {
        let code = fixture.code(user);
        let enrolled: serde_json::Value = fixture
            .client
            .post(format!("{}/v1/enrol", fixture.url))
            .json(&serde_json::json!({"protocol": 1, "code": code, "label": format!("{user} 的手机")}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let device = DeviceId::new(enrolled["device_id"].as_str().unwrap()).unwrap();
        Self {
            replica: Replica::open_in_memory().unwrap(),
            transport: HttpTransport::new(
                &fixture.url,
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

    pub fn sync(&mut self, now_ms: i64) {
        sync(
            &mut self.replica,
            &mut self.transport,
            SyncOptions::default(),
            || now_ms,
        )
        .unwrap();
    }

    pub fn persons(&self) -> Vec<RecordSummary> {
        self.replica
            .list("", None, usize::MAX, 0)
            .unwrap()
            .into_iter()
            .filter(|s| s.kind == RecordKind::Person)
            .collect()
    }

    pub fn act(&mut self, id: &str, at_ms: i64, action: Action) {
        let id = RecordId::new(id).unwrap();
        let mut record = self.replica.load(&id).unwrap().unwrap();
        record
            .append(
                &self.author,
                &mut self.clock,
                u64::try_from(at_ms).unwrap(),
                action,
            )
            .unwrap();
        self.replica.write(|w| w.save(&mut record)).unwrap();
    }

    /// Claims and answers (居家隔离 / 老年人) up to `count` unanswered persons at `at_ms`,
    /// the first with `note`; how many it answered.
    pub fn answer(&mut self, count: usize, at_ms: i64, note: Option<&str>) -> usize {
        let open: Vec<String> = self
            .persons()
            .into_iter()
            .filter(|p| p.status != TaskStatus::Answered)
            .map(|p| p.id)
            .take(count)
            .collect();
        for (i, id) in open.iter().enumerate() {
            self.act(id, at_ms, Action::Claimed);
            self.act(
                id,
                at_ms,
                Action::Answered {
                    outcome: vec![
                        "in_district".into(),
                        "home_quarantine".into(),
                        "elderly".into(),
                    ],
                    note: if i == 0 {
                        note.map(str::to_owned)
                    } else {
                        None
                    },
                },
            );
        }
        open.len()
    }
}
