//! A sync server running on its own thread for the HTTP tests, stopped when dropped.

use std::time::Duration;

use outpost_sync_server::config::ConfigFile;
use reqwest::blocking::Client;

pub struct Server {
    pub url: String,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A server on 127.0.0.1:0 with its own SQLite ledger in a temporary folder, the shipped
/// assets and `admin` as the admin token; `customise` adjusts the config before it starts.
pub fn start(admin: &str, customise: impl FnOnce(&mut ConfigFile)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let mut file = ConfigFile {
        listen: Some(address),
        database: Some(dir.path().join("ledger.db").display().to_string()),
        admin_token: Some(admin.into()),
        assets: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..ConfigFile::default()
    };
    customise(&mut file);
    let config = file.resolve().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            outpost_sync_server::serve(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    let url = format!("http://{address}");
    let client = Client::new();
    for _ in 0..400 {
        if client.get(format!("{url}/health")).send().is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Server {
        url,
        _dir: dir,
        stop: Some(stop),
        thread: Some(thread),
    }
}
