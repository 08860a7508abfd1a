//! A sync server in this process, on loopback, that a test can stop and start again on the same
//! address over the same ledger file — "the server goes away, the device works offline, the
//! server comes back" — plus the administration calls that set a scene: users with enrolment
//! codes, and lists imported as W1 or W2 batches. Panics on failure: it is test scaffolding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use outpost_shared::demo::DemoPerson as Person;
use outpost_shared::record::RecordId;
use outpost_sync_server::ServerError;
use outpost_sync_server::clock::{Clock, SystemClock};
use rust_xlsxwriter::Workbook;

pub const ADMIN_TOKEN: &str = "in-process-admin-token-0123";
pub const W1: &str = "w1-close-contact-whereabouts";
pub const W2: &str = "w2-community-verification";

pub struct InProcessServer {
    runtime: tokio::runtime::Runtime,
    database: PathBuf,
    /// The assets folder: the shipped one, or a copy with programs added.
    assets: PathBuf,
    addr: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
    /// What the deadline engine runs on (the system clock unless a test injects one).
    clock: Arc<dyn Clock>,
}

impl InProcessServer {
    /// Starts a server over `dir/ledger.db` with the shipped assets.
    pub fn start(dir: &Path) -> Self {
        Self::start_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`InProcessServer::start`] with the deadline engine on `clock`, which the test moves.
    pub fn start_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Self {
        Self::start_over(dir, clock, shipped_assets())
    }

    fn start_over(dir: &Path, clock: Arc<dyn Clock>, assets: PathBuf) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut server = Self {
            runtime,
            database: dir.join("ledger.db"),
            assets,
            addr: None,
            stop: None,
            task: None,
            clock,
        };
        server.run();
        server
    }

    /// [`InProcessServer::start`] with the program files `programs` in its programs folder
    /// besides the shipped ones (a copy of the shipped assets under `dir/assets`): programs
    /// that exist only on the server, as a deployment adds them.
    pub fn start_with_programs(dir: &Path, programs: &[&Path]) -> Self {
        let assets = dir.join("assets");
        for folder in ["jurisdictions", "programs", "supplies"] {
            let from = shipped_assets().join(folder);
            std::fs::create_dir_all(assets.join(folder)).unwrap();
            for entry in std::fs::read_dir(&from).unwrap() {
                let path = entry.unwrap().path();
                std::fs::copy(&path, assets.join(folder).join(path.file_name().unwrap())).unwrap();
            }
        }
        for program in programs {
            std::fs::copy(
                program,
                assets.join("programs").join(program.file_name().unwrap()),
            )
            .unwrap();
        }
        Self::start_over(dir, Arc::new(SystemClock), assets)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr.expect("started"))
    }

    /// Starts (or restarts, on the same address) the server over the same ledger file.
    pub fn run(&mut self) {
        let config = outpost_sync_server::config::ConfigFile {
            database: Some(self.database.display().to_string()),
            admin_token: Some(ADMIN_TOKEN.into()),
            assets: Some(self.assets.clone()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let app = outpost_sync_server::app_with_clock(config, self.clock.clone()).unwrap();
        let bind = self
            .addr
            .map_or("127.0.0.1:0".to_owned(), |a| a.to_string());
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind(bind))
            .unwrap();
        self.addr = Some(listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(stop);
        self.task = Some(self.runtime.spawn(outpost_sync_server::serve_app(
            listener,
            app,
            async {
                let _ = stopped.await;
            },
        )));
    }

    /// Damages record `id` in the ledger as main stored it before pushes were admitted by
    /// applying them: two changes of one old phone, both numbered 1, written straight through
    /// the server's own push path (which does not admit) while the server is down. The record
    /// can no longer be loaded; the server is running again on return.
    pub fn damage_record(&mut self, id: &RecordId) {
        use outpost_shared::hlc::{DeviceId, HlcClock};
        use outpost_shared::record::{Action, Author, Record, UserId};
        use outpost_shared::sync::ledger::{self, Peer};
        use outpost_shared::sync::{Cursor, RecordChanges, Scope};
        use outpost_sync_server::AnyStore;
        use outpost_sync_server::config::Database;
        use outpost_sync_server::store::Store;

        self.halt();
        {
            let store = AnyStore::open(&Database::Sqlite(self.database.clone()), 1).unwrap();
            let stored = store
                .transaction(|tx| {
                    let head = tx.max_seq()?;
                    tx.changes_of(id, 0, head, None)
                })
                .unwrap();
            let record = Record::load(&stored.concat()).unwrap();
            let author = Author {
                user: UserId::new("nansha-old").unwrap(),
                device: DeviceId::new("old-phone").unwrap(),
            };
            let (mut first, mut second) = (record.clone(), record.clone());
            let heads = first.heads();
            first
                .append(
                    &author,
                    &mut HlcClock::new(author.device.clone()),
                    5_000,
                    Action::Claimed,
                )
                .unwrap();
            second.set_field(&author, "phone", "13900000000").unwrap();
            let changes: Vec<Vec<u8>> = [first.changes_since(&heads), second.changes_since(&heads)]
                .concat()
                .into_iter()
                .map(|(_, bytes)| bytes)
                .collect();
            let everywhere = Scope::of_units(["44"]);
            let report = store
                .transaction(|tx| {
                    ledger::push(
                        tx,
                        Peer {
                            device: "old-phone",
                            scope: &everywhere,
                        },
                        Cursor(0),
                        5_000,
                        &[RecordChanges {
                            record: id.clone(),
                            changes: changes.clone(),
                        }],
                    )
                })
                .unwrap();
            assert_eq!(report.accepted, 2, "{report:?}");
        }
        self.run();
    }

    /// Record `id` as the server's ledger holds it (`None` if it holds none), read while the
    /// server is stopped; it is running again on return.
    pub fn stored_record(&mut self, id: &RecordId) -> Option<outpost_shared::record::Record> {
        use outpost_sync_server::AnyStore;
        use outpost_sync_server::config::Database;
        use outpost_sync_server::store::Store;

        self.halt();
        let stored = {
            let store = AnyStore::open(&Database::Sqlite(self.database.clone()), 1).unwrap();
            store
                .transaction(|tx| {
                    let head = tx.max_seq()?;
                    tx.changes_of(id, 0, head, None)
                })
                .unwrap()
        };
        self.run();
        (!stored.is_empty())
            .then(|| outpost_shared::record::Record::load(&stored.concat()).unwrap())
    }

    /// Stops the server; devices find it unreachable until [`InProcessServer::run`].
    pub fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = self.runtime.block_on(task);
        }
    }

    fn admin(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = reqwest::blocking::Client::new()
            .post(format!("{}{path}", self.url()))
            .bearer_auth(ADMIN_TOKEN)
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

    /// Creates a user named by their id and returns what their enrolment QR code holds.
    pub fn enrolment(&self, user: &str, role: &str, unit: &str) -> String {
        self.enrolment_named(user, user, role, unit)
    }

    /// Creates a user with a display name and returns what their enrolment QR code holds.
    pub fn enrolment_named(&self, user: &str, name: &str, role: &str, unit: &str) -> String {
        self.admin(
            "/admin/users",
            serde_json::json!({"id": user, "display_name": name, "role": role, "unit": unit}),
        );
        let code = self.admin(
            &format!("/admin/users/{user}/enrolment-codes"),
            serde_json::json!({}),
        );
        format!(
            "outpost-enrol:{}#{}",
            self.url(),
            code["code"].as_str().unwrap()
        )
    }

    /// Imports `persons` as a W1 list for the town named `town` of district 440115.
    pub fn import_w1(&self, persons: &[Person], town: &str) {
        let rows = persons
            .iter()
            .map(|p| {
                vec![
                    p.name.as_str(),
                    p.phone.as_str(),
                    p.id_number.as_str(),
                    "密接",
                    town,
                ]
            })
            .collect::<Vec<_>>();
        self.import(
            W1,
            "440115",
            &["姓名", "手机号码", "身份证号码", "密接类型", "所属镇街"],
            &rows,
        );
    }

    /// Imports `persons` as a W2 list for the community named `community` of district 350203.
    pub fn import_w2(&self, persons: &[Person], community: &str) {
        let rows = persons
            .iter()
            .map(|p| {
                vec![
                    p.name.as_str(),
                    p.phone.as_str(),
                    p.id_number.as_str(),
                    community,
                    "密接",
                ]
            })
            .collect::<Vec<_>>();
        self.import(
            W2,
            "350203",
            &["姓名", "手机号码", "证件号码", "所属社区", "密接类型"],
            &rows,
        );
    }

    /// Imports `rows` under `headers` as a list of `program`, by the district administrator of
    /// `within`; every row must be taken.
    pub fn import(&self, program: &str, within: &str, headers: &[&str], rows: &[Vec<&str>]) {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, header) in headers.iter().enumerate() {
            sheet.write_string(0, col as u16, *header).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                sheet
                    .write_string(1 + r as u32, col as u16, *value)
                    .unwrap();
            }
        }
        let imported: serde_json::Value = reqwest::blocking::Client::new()
            .post(format!(
                "{}/admin/imports?program={program}&within={within}&creator=district-admin",
                self.url()
            ))
            .bearer_auth(ADMIN_TOKEN)
            .body(workbook.save_to_buffer().unwrap())
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(imported["failed"], 0, "{imported}");
    }
}

fn shipped_assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        self.halt();
    }
}
