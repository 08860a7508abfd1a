//! The app's real window for the window tests: `tauri-driver` (WebKitWebDriver under Xvfb)
//! driving the built Tauri binary, and the helpers the tests share (a real sync server in
//! process, a second device). Each test file that drives the window has `mod window;`.
#![allow(dead_code, unused_imports)]

pub use std::os::unix::process::CommandExt;
pub use std::path::{Path, PathBuf};
pub use std::process::{Child, Command, Stdio};
pub use std::sync::Arc;
pub use std::time::{Duration, Instant};

pub use fantoccini::elements::Element;
pub use fantoccini::key::Key;
pub use fantoccini::{Client, ClientBuilder, Locator};
pub use outpost_app_core::AppCore;
pub use outpost_e2e::in_process::InProcessServer as Server;
pub use outpost_shared::demo::people;
pub use outpost_shared::hlc::SystemClock;

pub const WAIT: Duration = Duration::from_secs(20);

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The app's window, through tauri-driver.
pub struct Window {
    pub runtime: Arc<tokio::runtime::Runtime>,
    pub client: Option<Client>,
    pub driver: Driver,
    pub shots: PathBuf,
    pub name: String,
}

impl Window {
    pub fn open(runtime: Arc<tokio::runtime::Runtime>, data: &Path, name: &str) -> Self {
        Self::open_with_env(runtime, data, name, &[])
    }

    /// [`Window::open`] with more environment for the app (e.g. a private D-Bus session).
    pub fn open_with_env(
        runtime: Arc<tokio::runtime::Runtime>,
        data: &Path,
        name: &str,
        env: &[(&str, &str)],
    ) -> Self {
        // Cargo builds the binary for this test, with the same features as the test itself.
        let app = Path::new(env!("CARGO_BIN_EXE_outpost-app"))
            .canonicalize()
            .expect("the app binary");
        let port = free_port();
        let native = free_port();
        let driver = Driver(
            Command::new("tauri-driver")
                // Its own process group, so that dropping the window also ends the WebKitWebDriver
                // it starts (which would otherwise outlive the test).
                .process_group(0)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                // The app (started by WebKitWebDriver, started by tauri-driver) inherits this.
                .env("OUTPOST_APP_DATA", data)
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("tauri-driver must be installed (cargo install tauri-driver --locked)"),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        // tauri-driver listens before the WebKitWebDriver it starts does; a session asked for
        // in between is dropped mid-answer. Both ports must accept connections first.
        for (listener, what) in [(port, "tauri-driver"), (native, "WebKitWebDriver")] {
            while std::net::TcpStream::connect(("127.0.0.1", listener)).is_err() {
                assert!(Instant::now() < deadline, "{what} did not start");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({"application": app.display().to_string()}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime
            .block_on(
                ClientBuilder::new(connector)
                    .capabilities(capabilities)
                    .connect(&url),
            )
            .expect("a WebDriver session with the app");
        let shots = workspace().join("artifacts/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Self {
            runtime,
            client: Some(client),
            driver,
            shots,
            name: name.to_owned(),
        }
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("open")
    }

    pub fn css(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    /// Waits for a visible element with this test id.
    pub fn find(&self, testid: &str) -> Element {
        let css = Self::css(testid);
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.runtime.block_on(async {
                for element in self.client().find_all(Locator::Css(&css)).await.ok()? {
                    if element.is_displayed().await.unwrap_or(false) {
                        return Some(element);
                    }
                }
                None
            });
            if let Some(element) = found {
                return element;
            }
            if Instant::now() > deadline {
                self.shot("failure");
                panic!("no visible {testid} on screen {}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn within(&self, parent: &Element, testid: &str) -> Element {
        self.runtime
            .block_on(parent.find(Locator::Css(&Self::css(testid))))
            .unwrap_or_else(|e| panic!("no {testid} inside: {e}"))
    }

    pub fn click(&self, testid: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.find(testid);
            match self.runtime.block_on(element.click()) {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("{testid}: {e}"),
                Err(_) => {
                    // Within the viewport but under the sticky header (the sync bar stays on
                    // screen): WebDriver does not scroll what it deems in view, so the click
                    // lands on the header. Bring the element to the middle, as a worker would.
                    self.scroll_to_middle(&element);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    /// Scrolls `element` to the middle of the window.
    pub fn scroll_to_middle(&self, element: &Element) {
        if let Ok(arg) = serde_json::to_value(element) {
            let _ = self.runtime.block_on(self.client().execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
                vec![arg],
            ));
        }
    }

    pub fn click_element(&self, element: &Element) {
        if self.runtime.block_on(element.click()).is_err() {
            self.scroll_to_middle(element);
            self.runtime.block_on(element.click()).unwrap();
        }
    }

    pub fn type_into(&self, testid: &str, text: &str) {
        let element = self.find(testid);
        self.runtime.block_on(async {
            element.clear().await.unwrap();
            element.send_keys(text).await.unwrap();
        });
    }

    pub fn select(&self, testid: &str, value: &str) {
        let element = self.find(testid);
        self.runtime
            .block_on(element.select_by_value(value))
            .unwrap();
    }

    /// An attribute of a visible element, finding it again if the screen re-rendered it
    /// between finding and reading (a stale element reference).
    pub fn attr(&self, testid: &str, name: &str) -> Option<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.find(testid);
            match self.runtime.block_on(element.attr(name)) {
                Ok(value) => return value,
                Err(e) if Instant::now() > deadline => panic!("{testid}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// The text of a visible element, re-found like [`Window::attr`].
    pub fn text(&self, testid: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.find(testid);
            match self.runtime.block_on(element.text()) {
                Ok(text) => return text,
                Err(e) if Instant::now() > deadline => panic!("{testid}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    pub fn screen(&self) -> String {
        self.runtime
            .block_on(
                self.client()
                    .execute("return document.body.dataset.screen || ''", vec![]),
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn wait_until(&self, what: &str, mut condition: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !condition(self) {
            if Instant::now() > deadline {
                self.shot("failure");
                panic!("timed out waiting until {what} (screen {})", self.screen());
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn wait_screen(&self, screen: &str) {
        self.wait_until(&format!("screen {screen}"), |w| w.screen() == screen);
    }

    pub fn count(&self, testid: &str) -> Option<u64> {
        self.attr(testid, "data-count")?.parse().ok()
    }

    pub fn shot(&self, what: &str) {
        if let Ok(png) = self.runtime.block_on(self.client().screenshot()) {
            let _ = std::fs::write(self.shots.join(format!("{}-{what}.png", self.name)), png);
        }
    }

    /// Nothing on the current screen is wider than the window (no sideways scrolling).
    pub fn assert_fits(&self) {
        let widths = self
            .runtime
            .block_on(self.client().execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            ))
            .unwrap();
        let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "screen {} is {scroll}px wide in a {inner}px window",
            self.screen()
        );
    }

    pub fn enrol(&self, code: &str) {
        self.wait_screen("enrol");
        self.type_into("enrol-code", code);
        self.type_into("enrol-label", "测试设备");
        self.type_into("enrol-pin", "246810");
        self.type_into("enrol-pin-confirm", "246810");
        self.shot("enrol");
        self.click("enrol-submit");
        self.wait_screen("tasks");
    }

    /// Syncs from the sync bar and waits until it reports `online` with nothing pending.
    pub fn sync_online(&self) {
        self.click("sync-now");
        self.wait_until("synced with nothing pending", |w| {
            w.attr("sync-state", "data-online").as_deref() == Some("online")
                && w.count("sync-pending") == Some(0)
        });
    }

    /// From the navigation to the first transfer's screen.
    pub fn open_first_transfer(&self) {
        self.click("nav-transfers");
        self.wait_screen("transfers");
        self.click("transfer-row");
        self.wait_screen("transfer");
    }

    pub fn open_person(&self, record_id: &str) {
        let css = format!(
            "[data-testid=\"person-row\"][data-record-id=\"{record_id}\"] [data-testid=\"person-open\"]"
        );
        let element = self
            .runtime
            .block_on(
                self.client()
                    .wait()
                    .at_most(WAIT)
                    .for_element(Locator::Css(&css)),
            )
            .unwrap();
        self.click_element(&element);
        self.wait_screen("person");
        self.wait_until("the person is loaded", |w| {
            w.attr("person", "aria-busy").as_deref() != Some("true")
        });
    }

    /// Whether the element matching `css` lies wholly inside the window's viewport (not
    /// scrolled away, not hidden).
    pub fn css_in_view(&self, css: &str) -> bool {
        let script = format!(
            "const r = document.querySelector('{css}')?.getBoundingClientRect(); \
             return !!r && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;"
        );
        self.runtime
            .block_on(self.client().execute(&script, vec![]))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// [`Window::css_in_view`] for the element with this test id.
    pub fn in_view(&self, testid: &str) -> bool {
        self.css_in_view(&format!("[data-testid=\"{testid}\"]"))
    }

    pub fn rows(&self) -> Vec<String> {
        self.runtime.block_on(async {
            let mut ids = Vec::new();
            for row in self
                .client()
                .find_all(Locator::Css("[data-testid=\"person-row\"]"))
                .await
                .unwrap()
            {
                // A row re-rendered meanwhile is skipped; callers wait for the count they expect.
                if let Ok(Some(id)) = row.attr("data-record-id").await {
                    ids.push(id);
                }
            }
            ids
        })
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        // The driver's process group ends when `driver` drops, right after this.
    }
}

/// tauri-driver in its own process group; dropping it ends the group (the WebKitWebDriver and
/// the app it started), also when a test fails before its window opened, so that nothing is
/// left holding the test's output open.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    )
}

/// The district's device: what reached the server, read through a second real device.
pub fn district_device(dir: &Path, code: String) -> AppCore {
    let mut device = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    device
        .enrol(outpost_app_core::EnrolInput {
            code,
            server_url: None,
            device_label: "区级核对".into(),
            pin: "111111".into(),
        })
        .unwrap();
    device.sync_job().unwrap().run().unwrap().unwrap();
    device
}

/// The QR payload of wristband `n` (a valid check value).
pub fn wristband(n: u32) -> String {
    outpost_shared::tag::WristbandId::new(n).unwrap().payload()
}

/// Binds wristbands 1, 2, … to the W2 persons this device holds, in record-id order, as the
/// community's workers do at the door; returns the record ids in that order.
pub fn bind_at_the_door(device: &mut AppCore) -> Vec<String> {
    use outpost_app_core::transfer_chain::wristbands::BindInput;
    use outpost_app_core::views::{Tab, TasksInput};
    let mut ids: Vec<String> = device
        .tasks(&TasksInput {
            program: outpost_e2e::in_process::W2.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap()
        .into_iter()
        .flat_map(|g| g.persons.into_iter().map(|p| p.record_id))
        .collect();
    ids.sort();
    for (n, id) in ids.iter().enumerate() {
        device
            .bind_wristband(&BindInput {
                record_id: id.clone(),
                scan: wristband(n as u32 + 1),
            })
            .unwrap();
    }
    ids
}

/// An attribute of the first element matching `css` (for rows told apart by data attributes).
pub fn attr_at(window: &Window, css: &str, name: &str) -> Option<String> {
    window.runtime.block_on(async {
        let element = window.client().find(Locator::Css(css)).await.ok()?;
        element.attr(name).await.ok().flatten()
    })
}

/// A private D-Bus session bus for the app, with `dbus-monitor` recording every call to the
/// desktop notification service (org.freedesktop.Notifications) into a file.
pub struct SessionBus {
    pub address: String,
    daemon: Child,
    monitor: Child,
    calls: PathBuf,
}

impl SessionBus {
    pub fn start(dir: &Path) -> SessionBus {
        let socket = dir.join("session-bus");
        let address = format!("unix:path={}", socket.display());
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus)");
        let deadline = Instant::now() + WAIT;
        while !socket.exists() {
            assert!(Instant::now() < deadline, "the session bus did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let calls = dir.join("notifications.log");
        let monitor = Command::new("dbus-monitor")
            .args(["--address", &address])
            .arg("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
            .stdout(std::fs::File::create(&calls).unwrap())
            .spawn()
            .expect("dbus-monitor (Debian package dbus-bin)");
        SessionBus {
            address,
            daemon,
            monitor,
            calls,
        }
    }

    pub fn notify_calls(&self) -> String {
        std::fs::read_to_string(&self.calls).unwrap_or_default()
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        for child in [&mut self.monitor, &mut self.daemon] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
