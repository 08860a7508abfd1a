//! The Outpost sync server: the central ledger that devices sync with, enrolment and
//! administration.
//!
//! Layout: [`http`] (thin axum handlers) → [`service`] (what each request does, on a store) →
//! [`store`] (the ledger rows, SQLite or PostgreSQL). The protocol rules themselves live in
//! `outpost_shared::sync`, shared with the devices. [`notify`] delivers alerts to leaders'
//! group chats and e-mail through a durable outbox in the same database.

pub mod admin;
pub mod assets;
pub mod clock;
pub mod config;
pub mod console;
pub mod engine;
pub mod guard;
pub mod http;
mod http_import;
pub mod import;
pub mod labels;
pub mod metrics;
pub mod notify;
pub mod quarantine;
pub mod service;
pub mod store;

/// The server's allocator: mimalloc instead of the system's. The ledger's work is many small,
/// short-lived allocations (parsed changes, events, rows, and SQLite's copy of every bound
/// value), and with glibc's allocator about a third of an import's and a merge's CPU time went to
/// the allocator itself (`_int_malloc`, `malloc_consolidate`, `unlink_chunk`). The `override`
/// feature makes mimalloc the process's `malloc` too, so SQLite's allocations use it as well;
/// together they more than halved the CPU time of a 100,000-row import (BENCHMARKS.md, issue 4).
/// Declared in the library so that the binary, the benchmarks and the tests all run the server
/// as it is shipped. The field app does not link this crate and keeps the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::sync::message::ProgramSet;
use thiserror::Error;
use tokio::net::TcpListener;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Database};
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreTx};

/// The store chosen by the configuration.
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Opens the configured ledger and brings its schema up to date.
    pub fn open(database: &Database, pool_size: usize) -> Result<Self, LedgerError> {
        Ok(match database {
            Database::Sqlite(path) => Self::Sqlite(SqliteStore::open(path)?),
            Database::Postgres(url) => Self::Postgres(PostgresStore::open(url, pool_size)?),
        })
    }
}

impl Store for AnyStore {
    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        match self {
            AnyStore::Sqlite(store) => store.transaction(work),
            AnyStore::Postgres(store) => store.transaction(work),
        }
    }

    fn transaction_grouped<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        match self {
            AnyStore::Sqlite(store) => store.transaction_grouped(work),
            AnyStore::Postgres(store) => store.transaction_grouped(work),
        }
    }
}

/// Everything the handlers share.
pub struct App {
    pub store: AnyStore,
    pub config: Config,
    pub programs: Vec<Program>,
    /// The texts of `programs` as loaded, with their version, versioned once at start: sent on
    /// a sync's last page to a device that holds another set (`SyncResponse::programs`).
    pub program_files: ProgramSet,
    pub metrics: Metrics,
    /// Drives deadlines and notification retries; a test injects a manual clock.
    pub clock: Arc<dyn Clock>,
    pub notifier: notify::Notifier,
    /// What the administrator changed in the console (notification routes, deadlines, the
    /// jurisdiction tree), in force over the files: the engine schedules `settings.programs()`.
    pub settings: admin::Settings,
    /// Console sessions this instance has met (the rows are in the ledger database).
    pub sessions: console::auth::Sessions,
    /// Failed attempts and lockouts of codes, tokens and device credentials.
    pub guard: guard::Guard,
    /// Records met that cannot be read, left out of lists and shown to the administrator.
    pub quarantine: quarantine::Quarantine,
    /// One sync exchange at a time per device, while its push is admitted.
    pub push_turns: quarantine::PushTurns,
}

impl App {
    /// Where the console's reads note records they cannot load.
    pub fn console_noter(&self) -> quarantine::Noter<'_> {
        quarantine::Noter {
            quarantine: &self.quarantine,
            found_by: "console",
            now_ms: self.clock.now_ms(),
        }
    }

    /// The jurisdiction tree in force: the files' with the console's changes. A snapshot: a
    /// request or an engine pass works with one tree from start to end.
    pub fn jurisdictions(&self) -> Arc<Jurisdictions> {
        self.settings.jurisdictions()
    }
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("cannot open the ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("cannot load the assets: {0}")]
    Assets(String),
    #[error("cannot set up notifications: {0}")]
    Notify(#[from] notify::NotifyError),
    #[error("cannot read the administration settings: {0}")]
    Settings(#[from] admin::storage::StorageError),
    #[error("the server stopped with an I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Builds the shared state: opens the ledger (blocking work, done before serving).
pub fn app(config: Config) -> Result<Arc<App>, ServerError> {
    app_with_clock(config, Arc::new(SystemClock))
}

/// [`app`] with the clock the deadline engine runs on.
pub fn app_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Arc<App>, ServerError> {
    let loaded = assets::load(&config.assets).map_err(|e| ServerError::Assets(format!("{e:#}")))?;
    let store = AnyStore::open(&config.database, config.pool_size)?;
    // After the store: its open has brought the schema (the outbox tables too) up to date.
    let notifier = notify::Notifier::open(config.notify.clone(), &config.database)?;
    let settings = admin::Settings::open(
        &config.database,
        &loaded.programs,
        loaded.jurisdictions,
        &notifier,
    )?;
    Ok(Arc::new(App {
        store,
        config,
        programs: loaded.programs,
        program_files: loaded.program_files,
        metrics: Metrics::default(),
        clock,
        notifier,
        settings,
        sessions: console::auth::Sessions::default(),
        guard: guard::Guard::default(),
        quarantine: quarantine::Quarantine::default(),
        push_turns: quarantine::PushTurns::default(),
    }))
}

/// How often the deadline engine looks for due steps and new work: alerts are raised well
/// within a second of their deadline.
const ENGINE_INTERVAL: Duration = Duration::from_millis(250);

/// Serves the API on `listener` until `shutdown` completes. Tests pass a listener bound to
/// `127.0.0.1:0`.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = tokio::task::spawn_blocking(move || app(config))
        .await
        .map_err(|e| ServerError::Assets(e.to_string()))??;
    serve_app(listener, app, shutdown).await
}

/// [`serve`] with state built by the caller (the demo seeds it first). Also runs this
/// instance's notification worker, which stops with the server after its sends in flight.
pub async fn serve_app(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let engine = Arc::new(Engine::new(&app.settings.programs())?);
    // Both background loops stop when `shutdown` completes or the server ends otherwise.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine_task = tokio::spawn(engine::run(
        app.clone(),
        engine,
        ENGINE_INTERVAL,
        stopped.clone(),
    ));
    let mut worker_stopped = stopped;
    let worker = tokio::spawn(app.notifier.run(app.clock.clone(), async move {
        let _ = worker_stopped.wait_for(|stop| *stop).await;
    }));
    let stop_on_shutdown = stop.clone();
    // The peer's address is the source that lockouts count against (`guard::Source`).
    let service = http::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_on_shutdown.send(true);
        })
        .await;
    // The engine stops between passes (a pass is one transaction, so stopping loses nothing);
    // the worker after its sends in flight.
    let _ = stop.send(true);
    let _ = engine_task.await;
    let _ = worker.await;
    served?;
    Ok(())
}

/// What an enrolment QR code holds: the server's address and the code.
pub fn enrolment_payload(config: &Config, code: &str) -> String {
    let server = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    format!("outpost-enrol:{server}#{code}")
}

/// The QR code of `payload` as SVG.
pub fn qr_svg(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
    )
}

/// The QR code of `payload` drawn with Unicode half blocks, for a terminal.
pub fn qr_text(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
    )
}
