//! The Tauri shell of the field app: each command is a thin call into `outpost-app-core`, which
//! holds all the logic and is tested without a window. The shell adds what only a window has:
//! the data folder, a background thread that syncs every 30 s while the app is unlocked, and
//! desktop notifications for deadlines (computed offline from the local replica), and the
//! computer's own wristband readers — NFC through PC/SC, QR from the camera (`scanning`).

mod scanning;

mod chain;
mod console;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use outpost_app_core::actions::{ActInput, Acted};
use outpost_app_core::views::{
    PersonDetail, ProgramView, Reminder, ReviewItem, TabCounts, TaskGroup, TasksInput, UnitNode,
    UnitsInput,
};
use outpost_app_core::{AppCore, AppError, AppStatus, EnrolInput, SyncJob, SyncStatus};
use outpost_shared::hlc::SystemClock;
use outpost_shared::i18n::Lang;
use serde::Deserialize;
use tauri::{Manager, State};

/// How often the app syncs by itself while unlocked.
const SYNC_EVERY: Duration = Duration::from_secs(30);
/// How often deadlines are checked for desktop reminders.
const REMIND_EVERY: Duration = Duration::from_secs(30);

struct Shared {
    core: Arc<Mutex<AppCore>>,
    /// When the process started: `ui_ready` reports the time to the first usable screen.
    started: Instant,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, AppCore> {
        // A panic in one command must not lock the user out of the rest of the app.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Reply<T> = Result<T, AppError>;

#[derive(Deserialize)]
struct ProgramInput {
    program: String,
}

#[derive(Deserialize)]
struct RecordInput {
    record_id: String,
}

#[derive(Deserialize)]
struct PinInput {
    pin: String,
}

fn blocking_error(error: impl std::fmt::Display) -> AppError {
    AppError::internal(Lang::Zh, error)
}

/// The front-end has painted its first usable screen. With `OUTPOST_EXIT_WHEN_READY` set (the
/// start-up benchmark), prints the time since launch and quits.
#[tauri::command]
async fn ui_ready(app: tauri::AppHandle, state: State<'_, Shared>) -> Reply<()> {
    let elapsed = state.started.elapsed();
    tracing::info!(ms = elapsed.as_millis(), "first screen ready");
    if std::env::var_os("OUTPOST_EXIT_WHEN_READY").is_some() {
        println!("ready_ms={}", elapsed.as_secs_f64() * 1000.0);
        app.exit(0);
    }
    Ok(())
}

#[tauri::command]
async fn app_status(state: State<'_, Shared>) -> Reply<AppStatus> {
    Ok(state.core().status())
}

#[tauri::command]
async fn set_lang(state: State<'_, Shared>, lang: Lang) -> Reply<AppStatus> {
    state.core().set_lang(lang)
}

#[tauri::command]
async fn enrol(state: State<'_, Shared>, input: EnrolInput) -> Reply<AppStatus> {
    let core = state.core.clone();
    // Enrolment waits on the network (up to 15 s): off the async workers.
    let status = tauri::async_runtime::spawn_blocking(move || {
        core.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .enrol(input)
    })
    .await
    .map_err(blocking_error)??;
    kick_sync(&state);
    Ok(status)
}

#[tauri::command]
async fn unlock(state: State<'_, Shared>, input: PinInput) -> Reply<AppStatus> {
    let core = state.core.clone();
    // Unwrapping the key runs Argon2 (~0.1 s): off the async workers.
    let status = tauri::async_runtime::spawn_blocking(move || {
        core.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unlock(&input.pin)
    })
    .await
    .map_err(blocking_error)??;
    kick_sync(&state);
    Ok(status)
}

#[tauri::command]
async fn lock(state: State<'_, Shared>) -> Reply<AppStatus> {
    Ok(state.core().lock())
}

#[tauri::command]
async fn sync_status(state: State<'_, Shared>) -> Reply<SyncStatus> {
    state.core().sync_status()
}

#[tauri::command]
async fn sync_now(state: State<'_, Shared>) -> Reply<SyncStatus> {
    let job = state.core().sync_job();
    if let Some(job) = job {
        // The sync runs on its own replica connection; other commands keep working meanwhile.
        let core = state.core.clone();
        tauri::async_runtime::spawn_blocking(move || run_sync(&core, job))
            .await
            .map_err(blocking_error)?;
    }
    state.core().sync_status()
}

#[tauri::command]
async fn task_counts(state: State<'_, Shared>, input: ProgramInput) -> Reply<TabCounts> {
    state.core().task_counts(&input.program)
}

#[tauri::command]
async fn tasks(state: State<'_, Shared>, input: TasksInput) -> Reply<Vec<TaskGroup>> {
    state.core().tasks(&input)
}

#[tauri::command]
async fn person(state: State<'_, Shared>, input: RecordInput) -> Reply<PersonDetail> {
    state.core().person(&input.record_id)
}

#[tauri::command]
async fn program(state: State<'_, Shared>, input: ProgramInput) -> Reply<ProgramView> {
    state.core().program_view(&input.program)
}

#[tauri::command]
async fn units(state: State<'_, Shared>, input: UnitsInput) -> Reply<Vec<UnitNode>> {
    state.core().units(&input)
}

/// Every act on a person — claim, answer, reassign, forward, correct, supplementary person,
/// CDC judgement, a program's declared step — through one command: the core checks each as the
/// server will and writes it offline (`AppCore::act`).
#[tauri::command]
async fn act(state: State<'_, Shared>, input: ActInput) -> Reply<Acted> {
    state.core().act(&input)
}

#[tauri::command]
async fn reviews(state: State<'_, Shared>) -> Reply<Vec<ReviewItem>> {
    state.core().reviews()
}

#[tauri::command]
async fn reminders(state: State<'_, Shared>) -> Reply<Vec<Reminder>> {
    state.core().reminders()
}

/// Starts a sync in the background now (after unlocking or enrolling), without waiting for it.
fn kick_sync(state: &Shared) {
    let job = state.core().sync_job();
    if let Some(job) = job {
        let core = state.core.clone();
        std::thread::spawn(move || run_sync(&core, job));
    }
}

/// Runs a sync job, then takes the deadline settings and jurisdiction changes it brought (the core is locked only for
/// that, not during the exchange).
fn run_sync(core: &Arc<Mutex<AppCore>>, job: SyncJob) {
    if let Some(Ok(report)) = job.run() {
        let mut core = core.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = core.apply_server_settings(&report) {
            tracing::warn!(%error, "cannot keep the server's deadline settings and jurisdiction changes");
        }
    }
}

/// The app's data folder: `OUTPOST_APP_DATA` if set (tests, several devices on one laptop),
/// else the platform's app data directory.
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("OUTPOST_APP_DATA") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

/// Syncs every [`SYNC_EVERY`] while unlocked.
fn background_sync(core: Arc<Mutex<AppCore>>) {
    loop {
        std::thread::sleep(SYNC_EVERY);
        let job = core
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sync_job();
        if let Some(job) = job {
            run_sync(&core, job);
        }
    }
}

/// Raises one desktop notification per deadline that comes within 30 minutes or passes.
fn deadline_notifications(handle: tauri::AppHandle, core: Arc<Mutex<AppCore>>) {
    let mut notified: BTreeSet<(String, String, i64, bool)> = BTreeSet::new();
    loop {
        std::thread::sleep(REMIND_EVERY);
        let (reminders, lang) = {
            let core = core.lock().unwrap_or_else(PoisonError::into_inner);
            (core.reminders().unwrap_or_default(), core.lang())
        };
        for reminder in reminders {
            let key = (
                reminder.task_id.clone(),
                reminder.label.clone(),
                reminder.due_ms,
                reminder.overdue,
            );
            if !notified.insert(key) {
                continue;
            }
            let title = match (reminder.overdue, lang) {
                (true, Lang::Zh) => format!("{}已超时", reminder.label),
                (false, Lang::Zh) => format!("{}即将到期", reminder.label),
                (true, Lang::En) => format!("{} passed", reminder.label),
                (false, Lang::En) => format!("{} due soon", reminder.label),
            };
            let body = match lang {
                Lang::Zh => format!("{}：{} 人", reminder.unit_name, reminder.persons),
                Lang::En => format!("{}: {} persons", reminder.unit_name, reminder.persons),
            };
            show_notification(&handle, &title, &body);
        }
    }
}

/// Shows one system notification. Without a notification service (some desktops) it logs why
/// and the in-app reminder list remains.
#[cfg(desktop)]
fn show_notification(_handle: &tauri::AppHandle, title: &str, body: &str) {
    let shown = notify_rust::Notification::new()
        .appname("Outpost 外勤")
        .summary(title)
        .body(body)
        .show();
    if let Err(error) = shown {
        tracing::warn!(%error, "desktop notification failed");
    }
}

#[cfg(mobile)]
fn show_notification(handle: &tauri::AppHandle, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    let shown = handle
        .notification()
        .builder()
        .title(title)
        .body(body)
        .show();
    if let Err(error) = shown {
        tracing::warn!(%error, "notification failed");
    }
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    run_from(Instant::now());
}

/// [`run`] with the moment the process started (the binary passes it from `main`).
pub fn run_from(started: Instant) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let builder = tauri::Builder::default();
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_notification::init());
    let result = builder
        .setup(move |app| {
            let dir = data_dir(app)?;
            let core = AppCore::open(&dir, Arc::new(SystemClock))?;
            let core = Arc::new(Mutex::new(core));
            app.manage(Shared {
                core: core.clone(),
                started,
            });
            app.manage(scanning::Scanning::start(scanning::emitter(
                app.handle().clone(),
            )));
            let sync_core = core.clone();
            std::thread::spawn(move || background_sync(sync_core));
            let handle = app.handle().clone();
            std::thread::spawn(move || deadline_notifications(handle, core));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            ui_ready,
            app_status,
            set_lang,
            enrol,
            unlock,
            lock,
            sync_status,
            sync_now,
            task_counts,
            tasks,
            person,
            program,
            units,
            act,
            reviews,
            reminders,
            chain::supply_catalogue,
            chain::stock_report,
            chain::receive_stock,
            chain::adjust_stock,
            chain::issue_supplies,
            chain::bind_wristband,
            chain::replace_wristband,
            chain::unbind_wristband,
            chain::transfer_notice,
            chain::transfers,
            chain::transfer,
            chain::assign_vehicle,
            chain::cancel_transfer,
            chain::boarding_scan,
            chain::complete_pickup,
            chain::hotel_scan,
            chain::hotel_receive,
            console::console_me,
            console::console_results,
            console::console_export,
            console::console_person,
            console::console_towns,
            console::console_progress,
            console::console_alerts,
            console::console_tasks,
            console::console_flow,
            console::console_devices,
            console::console_batches,
            scanning::scan_status,
            scanning::scan_frame,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("Outpost 外勤无法启动 / the app could not start: {error}");
        std::process::exit(1);
    }
}
