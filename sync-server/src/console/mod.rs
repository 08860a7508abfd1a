//! The supervisor console (指挥部控制台): JSON endpoints under `/console/api/` for the browser
//! console and wall screen (大屏), and the console's static files at `/console/`.
//!
//! Every endpoint but sign-in takes a [`auth::Caller`] — a console session or the admin token —
//! and answers only what lies in the viewer's unit subtree: a town user sees their town, a
//! district user and the administrator see all. The reads reuse the ledger's folded rows
//! (`records`, `record_events`, `task_members`, `tasks`, `deadlines`, `devices`) and load record
//! documents only for the field values shown. Lists and exports mask personal data; a person's
//! detail shows it in full to the roles that may see it.
//!
//! ```text
//! POST   /console/api/session        {"code": "…"} or {"admin_token": "…"} → {token, viewer}
//! DELETE /console/api/session        sign out
//! GET    /console/api/me             the viewer, programs (outcome trees), towns and units in
//!                                    scope, roles
//! GET    /console/api/results        ?program&batch&unit&status&outcome&search&offset&limit
//! GET    /console/api/results.xlsx   the same filters, every matching row, as on screen
//! GET    /console/api/people/{id}    one person (full data where the role allows) and events
//! GET    /console/api/towns          ?program&batch: counts and completion per town
//! GET    /console/api/progress       ?program&batch: completion over time (cumulative)
//! GET    /console/api/alerts         ?since_ms&limit: raised/resolved, newest first
//! GET    /console/api/tasks          ?program&batch; /console/api/flow?task=… one task's flow
//! GET    /console/api/devices        sync health per device
//! GET    /console/api/batches        the batches with persons in scope
//! …      /console/api/admin/…        administration, administrator only: see `crate::admin`
//! ```

pub mod auth;
pub mod board;
pub mod flow;
pub mod people;
mod site;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use outpost_shared::console::Me;
use outpost_shared::console::people::{Filter, export_workbook};
use outpost_shared::console::shanghai_time;
use outpost_shared::i18n::Lang;
use outpost_shared::program::Program;
use outpost_shared::record::RecordId;
use serde::Deserialize;

use self::auth::{Caller, SignIn};
use crate::App;
use crate::guard::{Refusal, Source};
use crate::http::blocking;
use crate::service::ApiError;
use crate::store::Store;

/// The console's state: the server's (whose `sessions` are the console sessions).
pub struct Console {
    pub app: Arc<App>,
}

/// The console's routes, ready to merge into the server's router.
pub fn routes<S: Clone + Send + Sync + 'static>(app: Arc<App>) -> Router<S> {
    site::warn_if_missing(&app.config.console_dir);
    let console = Arc::new(Console { app });
    Router::new()
        .route("/console/api/session", post(sign_in).delete(sign_out))
        .route("/console/api/me", get(me))
        .route("/console/api/results", get(results))
        .route("/console/api/results.xlsx", get(export))
        .route("/console/api/people/{id}", get(person))
        .route("/console/api/towns", get(towns))
        .route("/console/api/progress", get(progress))
        .route("/console/api/alerts", get(alerts))
        .route("/console/api/tasks", get(tasks))
        .route("/console/api/flow", get(flow))
        .route("/console/api/devices", get(devices))
        .route("/console/api/batches", get(batches))
        .merge(crate::admin::routes())
        .route("/console", get(site::redirect))
        .route("/console/", get(site::index))
        .route("/console/{*path}", get(site::file))
        .with_state(console)
}

fn lang_of(code: Option<&str>) -> Lang {
    match code {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

fn not_found(what: &str, zh: &str) -> ApiError {
    ApiError::new(
        404,
        "not_found",
        format!("no such {what} in your area"),
        format!("您的辖区内没有这个{zh}"),
    )
}

fn program<'a>(app: &'a App, id: &str) -> Result<&'a Program, ApiError> {
    app.programs.iter().find(|p| p.id() == id).ok_or_else(|| {
        ApiError::new(
            404,
            "unknown_program",
            format!("unknown program {id}"),
            format!("没有项目 {id}"),
        )
    })
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            400,
            "malformed_request",
            "the request body is not valid".into(),
            "请求内容格式错误".into(),
        )
    })
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn sign_in(
    State(console): State<Arc<Console>>,
    Source(source): Source,
    body: Bytes,
) -> Result<impl IntoResponse, Refusal> {
    let request: SignIn = parse_body(&body)?;
    let signed = blocking(move || Ok(auth::sign_in(&console, &request, source))).await??;
    Ok((StatusCode::CREATED, Json(signed)))
}

async fn sign_out(
    State(console): State<Arc<Console>>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(token) = auth::bearer(&headers).map(str::to_owned) {
        blocking(move || console.app.sessions.close(&console.app.store, &token)).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn me(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let app = &console.app;
    Ok(Json(Me::of(
        viewer,
        &app.programs,
        &app.jurisdictions(),
        app.clock.now_ms(),
        "server",
    )))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn results(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(filter): Query<Filter>,
) -> Result<impl IntoResponse, ApiError> {
    let page = blocking(move || {
        let app = &console.app;
        let program = program(app, &filter.program)?;
        Ok(app.store.transaction(|tx| {
            people::list(
                tx,
                &viewer,
                program,
                &app.jurisdictions(),
                &filter,
                true,
                app.console_noter(),
            )
        })?)
    })
    .await?;
    Ok(Json(page))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn export(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(filter): Query<Filter>,
) -> Result<Response, ApiError> {
    let (bytes, name, unreadable) = blocking(move || {
        let app = &console.app;
        let program = program(app, &filter.program)?;
        let lang = filter.lang();
        let page = app.store.transaction(|tx| {
            people::list(
                tx,
                &viewer,
                program,
                &app.jurisdictions(),
                &filter,
                false,
                app.console_noter(),
            )
        })?;
        let bytes = export_workbook(program, &page, lang).map_err(|_| ApiError::internal())?;
        let title = program.name().get(lang);
        let stamp = shanghai_time(app.clock.now_ms())
            .replace([' ', ':'], "")
            .replace('-', "");
        Ok((bytes, format!("{title}-{stamp}.xlsx"), page.unreadable))
    })
    .await?;
    let mut response = crate::http_import::xlsx(bytes, &name);
    // The rows left out because they cannot be read, for the page to say so beside the file.
    response.headers_mut().insert(
        "x-unreadable-count",
        axum::http::HeaderValue::from(unreadable),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn person(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = RecordId::new(id).map_err(|_| not_found("person", "人员"))?;
    let found = blocking(move || {
        let app = &console.app;
        let lang = lang_of(query.lang.as_deref());
        Ok(app.store.transaction(|tx| {
            people::detail(
                tx,
                &viewer,
                &app.programs,
                &app.jurisdictions(),
                &id,
                lang,
                app.console_noter(),
            )
        })?)
    })
    .await?;
    found.map(Json).ok_or_else(|| not_found("person", "人员"))
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    program: String,
    batch: Option<String>,
}

impl BoardQuery {
    fn batch(&self) -> Option<&str> {
        self.batch.as_deref().filter(|b| !b.trim().is_empty())
    }
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn towns(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<BoardQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let counts = blocking(move || {
        let app = &console.app;
        let program = program(app, &query.program)?;
        Ok(app.store.transaction(|tx| {
            board::town_counts(tx, &viewer, program, &app.jurisdictions(), query.batch())
        })?)
    })
    .await?;
    Ok(Json(counts))
}

/// How many points the completion curve has.
const PROGRESS_POINTS: usize = 25;

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn progress(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<BoardQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let points = blocking(move || {
        let app = &console.app;
        let program = program(app, &query.program)?;
        let now_ms = app.clock.now_ms();
        Ok(app.store.transaction(|tx| {
            board::progress(tx, &viewer, program, query.batch(), now_ms, PROGRESS_POINTS)
        })?)
    })
    .await?;
    Ok(Json(points))
}

#[derive(Debug, Deserialize)]
struct FeedQuery {
    since_ms: Option<i64>,
    limit: Option<usize>,
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn alerts(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<FeedQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let feed = blocking(move || {
        let app = &console.app;
        let limit = query.limit.unwrap_or(100).clamp(1, 500);
        Ok(app.store.transaction(|tx| {
            board::alert_feed(
                tx,
                &viewer,
                &app.programs,
                &app.jurisdictions(),
                query.since_ms,
                limit,
                app.console_noter(),
            )
        })?)
    })
    .await?;
    Ok(Json(feed))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn tasks(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<BoardQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let tasks = blocking(move || {
        let app = &console.app;
        let program = program(app, &query.program)?;
        Ok(app.store.transaction(|tx| {
            board::tasks(tx, &viewer, program, &app.jurisdictions(), query.batch())
        })?)
    })
    .await?;
    Ok(Json(tasks))
}

#[derive(Debug, Deserialize)]
struct FlowQuery {
    task: String,
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn flow(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<FlowQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let found = blocking(move || {
        let app = &console.app;
        Ok(app.store.transaction(|tx| {
            flow::task_flow(
                tx,
                &viewer,
                &app.programs,
                &app.jurisdictions(),
                &query.task,
                app.console_noter(),
            )
        })?)
    })
    .await?;
    found.map(Json).ok_or_else(|| not_found("task", "任务"))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn devices(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let health = blocking(move || {
        let app = &console.app;
        let now_ms = app.clock.now_ms();
        Ok(app
            .store
            .transaction(|tx| board::sync_health(tx, &viewer, &app.jurisdictions(), now_ms))?)
    })
    .await?;
    Ok(Json(health))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
async fn batches(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let batches = blocking(move || {
        let app = &console.app;
        Ok(app.store.transaction(|tx| {
            let in_scope: std::collections::BTreeSet<String> = tx
                .tasks_within(&viewer.unit, people::TASK_LIMIT)?
                .into_iter()
                .map(|t| t.key.batch)
                .collect();
            Ok(tx
                .batches(200)?
                .into_iter()
                .filter(|b| in_scope.contains(&b.batch) || viewer.administrator)
                .map(|b| {
                    // Counts and the failure workbook cover the whole list: administrator only.
                    if viewer.administrator {
                        let failures_url = (b.failed > 0)
                            .then(|| format!("/admin/imports/{}/failures", b.batch));
                        serde_json::json!({
                            "batch": b.batch, "program": b.program, "created_ms": b.created_ms,
                            "creator": b.creator, "file_name": b.file_name, "rows": b.rows,
                            "imported": b.imported, "failed": b.failed,
                            "failures_url": failures_url,
                        })
                    } else {
                        serde_json::json!({"batch": b.batch, "program": b.program, "created_ms": b.created_ms})
                    }
                })
                .collect::<Vec<_>>())
        })?)
    })
    .await?;
    Ok(Json(batches))
}
