//! Support for tests against real servers: a server in a child process (so that it can be
//! killed with SIGKILL), the administration calls, and a transport that loses, repeats and
//! replays messages.

use std::error::Error;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use outpost_shared::demo::DemoRng;
use outpost_shared::sync::client::{Transport, TransportError};
use outpost_shared::sync::http::HttpTransport;
use outpost_shared::sync::{SyncRequest, SyncResponse};

pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789";

/// The environment variables that make a test binary run a server instead of its tests
/// (see [`child_server_main`]).
pub const CHILD_DATABASE: &str = "OUTPOST_E2E_CHILD_DATABASE";
pub const CHILD_ADDRESS: &str = "OUTPOST_E2E_CHILD_ADDRESS";

/// A free loopback port (bound and released; a restarted server reuses it).
pub fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").to_string()
}

/// A sync server running in a child process: this same test binary, re-executed with
/// `child_test` as the only test to run and the child variables set.
pub struct ServerProcess {
    child: Option<Child>,
    pub address: String,
    database: String,
    child_test: String,
}

impl ServerProcess {
    pub fn start(database: &str, address: &str, child_test: &str) -> Result<Self, Box<dyn Error>> {
        let mut server = Self {
            child: None,
            address: address.to_owned(),
            database: database.to_owned(),
            child_test: child_test.to_owned(),
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> Result<(), Box<dyn Error>> {
        let child = Command::new(std::env::current_exe()?)
            .args([
                self.child_test.as_str(),
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DATABASE, &self.database)
            .env(CHILD_ADDRESS, &self.address)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&self) -> Result<(), Box<dyn Error>> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("http://{}/health", self.address)).send()
                && r.status().is_success()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("the server did not become ready within 60 s".into())
    }

    /// SIGKILL: no shutdown, no flush — what a power cut or OOM kill does.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) -> Result<(), Box<dyn Error>> {
        self.kill();
        self.spawn()
    }

    /// A handle that can kill this server from another thread (while a sync is in flight).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The body of the child-process "test": serves until killed. Does nothing (and says so) when
/// not started as a child.
pub fn child_server_main() {
    let (Ok(database), Ok(address)) = (std::env::var(CHILD_DATABASE), std::env::var(CHILD_ADDRESS))
    else {
        eprintln!("not started as a server child; nothing to do");
        return;
    };
    let file = outpost_sync_server::config::ConfigFile {
        listen: Some(address.parse().expect("child address")),
        database: Some(database),
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        assets: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..Default::default()
    };
    let config = file.resolve().expect("child config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .expect("child bind");
        outpost_sync_server::serve(listener, config, std::future::pending())
            .await
            .expect("child serve");
    });
}

/// Administration over HTTP.
pub struct Admin {
    client: reqwest::blocking::Client,
    url: String,
}

impl Admin {
    pub fn new(url: &str) -> Self {
        Self {
            client: reqwest::blocking::Client::new(),
            url: url.to_owned(),
        }
    }

    fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, Box<dyn Error>> {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {text}").into());
        }
        Ok(if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    pub fn create_user(&self, id: &str, role: &str, unit: &str) -> Result<(), Box<dyn Error>> {
        self.post(
            "/admin/users",
            serde_json::json!({"id": id, "display_name": id, "role": role, "unit": unit}),
        )?;
        Ok(())
    }

    /// Issues a code for `user` and enrols a device with it: (device id, token).
    pub fn enrol(&self, user: &str) -> Result<(String, String), Box<dyn Error>> {
        let code = self.post(
            &format!("/admin/users/{user}/enrolment-codes"),
            serde_json::json!({}),
        )?;
        let code = code["code"].as_str().ok_or("no code")?.to_owned();
        let response = self
            .client
            .post(format!("{}/v1/enrol", self.url))
            .json(
                &serde_json::json!({"protocol": 1, "code": code, "label": format!("{user} phone")}),
            )
            .send()?;
        let enrolled: serde_json::Value = response.json()?;
        Ok((
            enrolled["device_id"]
                .as_str()
                .ok_or("no device id")?
                .to_owned(),
            enrolled["token"].as_str().ok_or("no token")?.to_owned(),
        ))
    }

    /// Imports a list as the district administrator would, through `POST /admin/imports`:
    /// `rows` under `headers`, for `program` within the unit `within`.
    pub fn import(
        &self,
        program: &str,
        within: &str,
        headers: &[&str],
        rows: &[Vec<String>],
    ) -> Result<(), Box<dyn Error>> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, header) in headers.iter().enumerate() {
            sheet.write_string(0, u16::try_from(col)?, *header)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                sheet.write_string(1 + u32::try_from(r)?, u16::try_from(col)?, value)?;
            }
        }
        let response = self
            .client
            .post(format!(
                "{}/admin/imports?program={program}&within={within}&creator=district-admin",
                self.url
            ))
            .bearer_auth(ADMIN_TOKEN)
            .body(workbook.save_to_buffer()?)
            .send()?;
        let status = response.status();
        let imported: serde_json::Value = response.json()?;
        if !status.is_success() || imported["failed"] != 0 {
            return Err(format!("import: {status} {imported}").into());
        }
        Ok(())
    }

    pub fn revoke(&self, device: &str) -> Result<(), Box<dyn Error>> {
        self.post(
            &format!("/admin/devices/{device}/revoke"),
            serde_json::json!({}),
        )?;
        Ok(())
    }
}

/// How a [`FaultyTransport`] misbehaves, each as a chance in 1000.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// The request never reaches the server.
    pub drop_request: u64,
    /// The server handles the request but the response is lost.
    pub drop_response: u64,
    /// The request is delivered twice.
    pub duplicate: u64,
    /// An earlier request of this device is delivered again first (a late, reordered packet).
    pub replay_old: u64,
}

/// HTTP with faults injected, deterministic from a seed.
pub struct FaultyTransport {
    pub inner: HttpTransport,
    pub faults: Faults,
    rng: DemoRng,
    history: Vec<SyncRequest>,
}

impl FaultyTransport {
    pub fn new(url: &str, token: &str, faults: Faults, seed: u64) -> Self {
        Self {
            inner: HttpTransport::new(url, token, Duration::from_secs(30)).expect("http client"),
            faults,
            rng: DemoRng::new(seed),
            history: Vec::new(),
        }
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.rng.below(1000) < per_mille
    }
}

impl Transport for FaultyTransport {
    fn exchange(&mut self, request: &SyncRequest) -> Result<SyncResponse, TransportError> {
        if self.chance(self.faults.drop_request) {
            return Err(TransportError::Unreachable(
                "request dropped (injected)".into(),
            ));
        }
        if !self.history.is_empty() && self.chance(self.faults.replay_old) {
            let index = self.rng.below(self.history.len() as u64) as usize;
            let old = self.history[index].clone();
            let _ = self.inner.exchange(&old);
        }
        if self.history.len() < 16 {
            self.history.push(request.clone());
        } else {
            let index = self.rng.below(16) as usize;
            self.history[index] = request.clone();
        }
        if self.chance(self.faults.duplicate) {
            let _ = self.inner.exchange(request);
        }
        let response = self.inner.exchange(request)?;
        if self.chance(self.faults.drop_response) {
            return Err(TransportError::Unreachable(
                "response dropped (injected)".into(),
            ));
        }
        Ok(response)
    }
}
