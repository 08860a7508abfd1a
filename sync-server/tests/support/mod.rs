//! Test support for the notification tests: databases (SQLite and, when
//! `OUTPOST_TEST_POSTGRES` is set, PostgreSQL), vendor receivers, an SMTP sink, and a worker
//! that can be stopped or killed.

pub mod receiver;
pub mod smtp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_sync_server::config::Database;
use outpost_sync_server::notify::{ManualClock, Notifier, NotifyConfig, NotifyFile};

/// A database for the outbox: a SQLite file (kept alive by the temp dir) or a fresh PostgreSQL
/// database `name`.
pub struct TestDb {
    pub label: &'static str,
    pub database: Database,
    _dir: Option<tempfile::TempDir>,
}

/// SQLite always; PostgreSQL when `OUTPOST_TEST_POSTGRES` is set (required under CI).
pub fn databases(name: &str) -> Vec<TestDb> {
    assert!(
        name.starts_with("notify_"),
        "test databases are named notify_*"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![TestDb {
        label: "sqlite",
        database: Database::Sqlite(dir.path().join("ledger.db")),
        _dir: Some(dir),
    }];
    match std::env::var("OUTPOST_TEST_POSTGRES") {
        Ok(base) => {
            let mut admin =
                postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            all.push(TestDb {
                label: "postgres",
                database: Database::Postgres(format!("{base}/{name}")),
                _dir: None,
            });
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

/// The `[notify]` section used by most tests, pointing at `base`; `extra` goes first (settings).
pub fn config(base: &str, extra: &str) -> NotifyConfig {
    let text = format!(
        r#"
poll_ms = 20
link_base = "https://outpost.example/"
{timeout}
{extra}

[[channels]]
id = "town-wecom"
kind = "wecom"
url = "{base}/wecom/send?key={wecom}"

[[channels]]
id = "task-force-dingtalk"
kind = "dingtalk"
url = "{base}/dingtalk/send?access_token=ding-token"
secret = "{ding}"

[[channels]]
id = "district-feishu"
kind = "feishu"
url = "{base}/open-apis/bot/v2/hook/feishu-token"
secret = "{feishu}"

[[channels]]
id = "ops-webhook"
kind = "webhook"
url = "{base}/hook"
secret = "{webhook}"

[[routes]]
unit = "440115001"
recipient = "town_leader"
channels = ["town-wecom"]

[[routes]]
unit = "440115"
recipient = "district_leader"
channels = ["district-feishu"]

[[routes]]
unit = "440115"
recipient = "task_force_group"
channels = ["task-force-dingtalk", "ops-webhook"]
include_descendants = true

[[routes]]
unit = "440115"
recipient = "ops"
channels = ["ops-webhook"]
include_descendants = true
"#,
        timeout = if extra.contains("timeout_ms") {
            ""
        } else {
            "timeout_ms = 3000"
        },
        wecom = receiver::WECOM_KEY,
        ding = receiver::DINGTALK_SECRET,
        feishu = receiver::FEISHU_SECRET,
        webhook = receiver::WEBHOOK_SECRET,
    );
    toml::from_str::<NotifyFile>(&text)
        .unwrap()
        .validate()
        .unwrap()
}

/// A running worker.
pub struct Worker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
}

pub fn start_worker(
    runtime: &tokio::runtime::Runtime,
    notifier: &Notifier,
    clock: &Arc<ManualClock>,
) -> Worker {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let clock: Arc<dyn outpost_sync_server::notify::Clock> = clock.clone();
    let handle = runtime.spawn(notifier.run(clock, async {
        let _ = stopped.await;
    }));
    Worker {
        stop: Some(stop),
        handle,
    }
}

impl Worker {
    /// Graceful stop: the worker finishes its sends in flight.
    pub fn stop(mut self, runtime: &tokio::runtime::Runtime) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let handle = self.handle;
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), handle).await })
            .expect("the worker stops within its grace period")
            .unwrap();
    }

    /// Like a crash: the worker and its sends in flight vanish without recording anything.
    pub fn kill(self, runtime: &tokio::runtime::Runtime) {
        self.handle.abort();
        let _ = runtime.block_on(self.handle);
    }
}

/// Polls `condition` every 10 ms for up to `limit`; returns whether it became true.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
