//! Commands of the offline console (离线控制台): one thin call each into
//! `outpost_app_core::console`, answering the web console's JSON shapes so that
//! `ui/src/console/tauri-api.ts` hands them to the same views. A district's figures fold every
//! person of the replica, so each read runs on a blocking thread, not on the async workers.

use std::sync::PoisonError;

use outpost_app_core::AppCore;
use outpost_app_core::console::LocalBatch;
use outpost_shared::console::Me;
use outpost_shared::console::board::{DeviceHealth, Feed, ProgressPoint, TaskSummary, TownCounts};
use outpost_shared::console::flow::Flow;
use outpost_shared::console::people::{Detail, Filter, Page};
use outpost_shared::i18n::Lang;
use serde::Deserialize;
use tauri::{Manager, State};

use crate::{Reply, Shared, blocking_error};

/// Runs `work` on the core from a blocking thread.
async fn off_thread<T: Send + 'static>(
    state: State<'_, Shared>,
    work: impl FnOnce(&AppCore) -> Reply<T> + Send + 'static,
) -> Reply<T> {
    let core = state.core.clone();
    tauri::async_runtime::spawn_blocking(move || {
        work(&core.lock().unwrap_or_else(PoisonError::into_inner))
    })
    .await
    .map_err(blocking_error)?
}

#[derive(Deserialize)]
pub(crate) struct BoardInput {
    program: String,
    #[serde(default)]
    batch: Option<String>,
}

impl BoardInput {
    fn batch(&self) -> Option<&str> {
        self.batch.as_deref().filter(|b| !b.trim().is_empty())
    }
}

#[derive(Deserialize)]
pub(crate) struct PersonInput {
    id: String,
    #[serde(default)]
    lang: Option<Lang>,
}

#[derive(Deserialize)]
pub(crate) struct FeedInput {
    #[serde(default)]
    since_ms: Option<i64>,
}

#[derive(Deserialize)]
pub(crate) struct FlowInput {
    task: String,
}

#[tauri::command]
pub(crate) async fn console_me(state: State<'_, Shared>) -> Reply<Me> {
    state.core().console_me()
}

#[tauri::command]
pub(crate) async fn console_results(state: State<'_, Shared>, input: Filter) -> Reply<Page> {
    off_thread(state, move |core| core.console_results(&input)).await
}

/// Saves the export in the user's download folder (a webview has no download of its own) and
/// answers the file's path for the console to show.
#[tauri::command]
pub(crate) async fn console_export(
    app: tauri::AppHandle,
    state: State<'_, Shared>,
    input: Filter,
) -> Reply<String> {
    let paths = app.path();
    let folder = paths
        .download_dir()
        .or_else(|_| paths.document_dir())
        .or_else(|_| paths.home_dir())
        .map_err(blocking_error)?;
    let saved = off_thread(state, move |core| core.console_export_to(&input, &folder)).await?;
    Ok(saved.display().to_string())
}

#[tauri::command]
pub(crate) async fn console_person(state: State<'_, Shared>, input: PersonInput) -> Reply<Detail> {
    off_thread(state, move |core| {
        core.console_person(&input.id, input.lang.unwrap_or(Lang::Zh))
    })
    .await
}

#[tauri::command]
pub(crate) async fn console_towns(
    state: State<'_, Shared>,
    input: BoardInput,
) -> Reply<Vec<TownCounts>> {
    off_thread(state, move |core| {
        core.console_towns(&input.program, input.batch())
    })
    .await
}

#[tauri::command]
pub(crate) async fn console_progress(
    state: State<'_, Shared>,
    input: BoardInput,
) -> Reply<Vec<ProgressPoint>> {
    off_thread(state, move |core| {
        core.console_progress(&input.program, input.batch())
    })
    .await
}

#[tauri::command]
pub(crate) async fn console_alerts(state: State<'_, Shared>, input: FeedInput) -> Reply<Feed> {
    off_thread(state, move |core| core.console_alerts(input.since_ms)).await
}

#[tauri::command]
pub(crate) async fn console_tasks(
    state: State<'_, Shared>,
    input: BoardInput,
) -> Reply<Vec<TaskSummary>> {
    off_thread(state, move |core| {
        core.console_tasks(&input.program, input.batch())
    })
    .await
}

#[tauri::command]
pub(crate) async fn console_flow(state: State<'_, Shared>, input: FlowInput) -> Reply<Flow> {
    off_thread(state, move |core| core.console_flow(&input.task)).await
}

#[tauri::command]
pub(crate) async fn console_devices(state: State<'_, Shared>) -> Reply<Vec<DeviceHealth>> {
    state.core().console_devices()
}

#[tauri::command]
pub(crate) async fn console_batches(state: State<'_, Shared>) -> Reply<Vec<LocalBatch>> {
    off_thread(state, move |core| core.console_batches()).await
}
