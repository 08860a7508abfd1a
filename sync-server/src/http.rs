//! The HTTP transport: thin handlers that parse, authenticate, call [`crate::service`] on a
//! blocking thread and encode the answer. Errors are JSON [`ErrorBody`]s with a 4xx/5xx status
//! (also a body over the limit: 413 `too_large`, see [`crate::guard::response`]). Enrolment
//! codes, device credentials and the admin token go through [`crate::guard`]'s lockouts; the
//! `/admin` endpoints take the [`Administrator`] extractor.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use outpost_shared::record::RecordId;
use outpost_shared::sync::admission::Rules;
use outpost_shared::sync::message::{ErrorBody, PROTOCOL_VERSION, PageLimits, SyncRequest};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::guard::throttle::Kind;
use crate::guard::{Administrator, Refusal, Source, response};
use crate::service::{self, ApiError, EnrolRequest, NewUser};
use crate::store::Store;
use crate::{App, http_import};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body)).into_response()
    }
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/enrol", post(enrol))
        .route("/v1/sync", post(sync))
        .route("/admin/users", post(create_user).get(list_users))
        .route("/admin/users/{id}/enrolment-codes", post(issue_code))
        .route("/admin/users/{id}/grants", post(grant))
        .route("/admin/devices", get(list_devices))
        .route("/admin/devices/{id}/revoke", post(revoke_device))
        .route("/admin/programs/{id}/template", get(http_import::template))
        .route(
            "/admin/imports",
            post(http_import::import_list).get(http_import::batches),
        )
        .route(
            "/admin/imports/{batch}/failures",
            get(http_import::failures),
        )
        .route(
            "/admin/wristbands/labels",
            get(crate::labels::admin::labels),
        )
        .route("/metrics", get(metrics))
        .route(
            "/admin/notifications",
            get(crate::notify::admin::notifications),
        )
        .merge(crate::console::routes(app.clone()))
        .layer(DefaultBodyLimit::max(app.config.max_request_bytes))
        .layer(middleware::from_fn_with_state(
            app.config.max_request_bytes,
            response::harden,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// One span per request (method and route only — never bodies, which hold personal data), and
/// the request counters.
async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", method = %request.method(), route = %route);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    app.metrics.request(&route, status);
    span.in_scope(|| {
        tracing::info!(
            status,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "handled"
        );
    });
    response
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            400,
            "malformed_request",
            format!("the request body is not valid: {e}"),
            format!("请求内容格式错误：{e}"),
        )
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(ApiError::internal()))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

async fn health(State(app): State<Arc<App>>) -> Result<Json<serde_json::Value>, ApiError> {
    let records = blocking(move || Ok(app.store.transaction(|tx| tx.record_count())?)).await?;
    Ok(Json(serde_json::json!({
        "status": "ok",
        "protocol": PROTOCOL_VERSION,
        "records": records,
    })))
}

/// Whether an enrolment's refusal is about the code (a failed guess), not the request.
fn is_code_refused(error: &ApiError) -> bool {
    matches!(
        error.body.error.as_str(),
        "code_unknown" | "code_used" | "code_expired"
    )
}

async fn enrol(
    State(app): State<Arc<App>>,
    Source(source): Source,
    body: Bytes,
) -> Result<impl IntoResponse, Refusal> {
    let request: EnrolRequest = parse(&body)?;
    let code = service::normalise_code(&request.code);
    let attempt = app
        .guard
        .begin(Kind::EnrolmentCode, source, &code, app.clock.now_ms())?;
    let worker = app.clone();
    let enrolled = blocking(move || Ok(service::enrol(&worker.store, &request, now_ms()))).await?;
    app.guard
        .settle(&attempt, &enrolled, is_code_refused, app.clock.now_ms());
    let enrolled = enrolled?;
    tracing::info!(device = %enrolled.device_id, user = %enrolled.user_id, "device enrolled");
    Ok((StatusCode::CREATED, Json(enrolled)))
}

async fn sync(
    State(app): State<Arc<App>>,
    Source(source): Source,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let token = bearer(&headers)
        .ok_or_else(|| ApiError::unauthorized("device credential required", "需要设备凭证"))?
        .to_owned();
    let attempt = app
        .guard
        .begin(Kind::DeviceCredential, source, &token, app.clock.now_ms())?;
    // The version is checked before anything else, so an app of another version gets the
    // update message even if the rest of its request has another shape.
    #[derive(Deserialize)]
    struct Version {
        protocol: Option<u32>,
    }
    if let Ok(Version { protocol: Some(v) }) = serde_json::from_slice::<Version>(&body)
        && v != PROTOCOL_VERSION
    {
        return Err(ApiError {
            status: 426,
            body: ErrorBody::incompatible(v),
        }
        .into());
    }
    let request: SyncRequest = parse(&body)?;
    let holds_programs = request.programs_version.as_deref() == Some(&app.program_files.version);
    let started = Instant::now();
    let worker = app.clone();
    let synced = blocking(move || {
        let programs = worker.settings.programs();
        let jurisdictions = worker.jurisdictions();
        let admission = service::Admission {
            rules: Rules {
                programs: &programs,
                jurisdictions: &jurisdictions,
            },
            turns: &worker.push_turns,
            quarantine: &worker.quarantine,
        };
        Ok(service::sync(
            &worker.store,
            &token,
            request,
            PageLimits::DEFAULT,
            now_ms(),
            &admission,
        ))
    })
    .await?;
    // Only an unknown credential is a failed guess (a revoked device is told so, not locked).
    app.guard
        .settle(&attempt, &synced, |e| e.status == 401, app.clock.now_ms());
    let synced = synced?;
    let (mut response, device) = (synced.response, synced.device);
    if !response.more {
        response.deadlines = app
            .settings
            .programs()
            .iter()
            .map(|program| (program.id().to_owned(), program.deadline_settings()))
            .collect();
        response.jurisdictions = Some(app.settings.jurisdiction_overlay());
        if !holds_programs {
            response.programs = Some(app.program_files.clone());
        }
    }
    app.metrics.sync(started.elapsed(), response.push.accepted);
    tracing::info!(
        device = %device,
        accepted = response.push.accepted,
        duplicates = response.push.duplicates,
        rejected = response.push.rejected.len(),
        items = response.items.len(),
        cursor = response.cursor.0,
        programs_sent = response.programs.is_some(),
        // How many, never who: the names are staff names, still not for the log.
        names_sent = response.names.as_ref().map(|n| n.names.len()),
        "sync"
    );
    Ok(Json(response).into_response())
}

async fn create_user(
    State(app): State<Arc<App>>,
    _admin: Administrator,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let new: NewUser = parse(&body)?;
    let user = blocking(move || {
        service::create_user(
            &app.store,
            new,
            |code| app.jurisdictions().get(code).is_some(),
            now_ms(),
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn list_users(
    State(app): State<Arc<App>>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let users = blocking(move || Ok(app.store.transaction(|tx| tx.users())?)).await?;
    Ok(Json(users))
}

async fn issue_code(
    State(app): State<Arc<App>>,
    Path(user): Path<String>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let worker = app.clone();
    let code = blocking(move || {
        let hours = i64::from(worker.config.enrolment_code_hours);
        service::issue_enrolment_code(&worker.store, &user, hours * 3_600_000, now_ms())
    })
    .await?;
    let payload = crate::enrolment_payload(&app.config, &code.code);
    let qr_svg = crate::qr_svg(&payload).unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "code": code.code,
            "user_id": code.user_id,
            "expires_at_ms": code.expires_at_ms,
            "payload": payload,
            "qr_svg": qr_svg,
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    record: RecordId,
}

async fn grant(
    State(app): State<Arc<App>>,
    Path(user): Path<String>,
    _admin: Administrator,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: GrantRequest = parse(&body)?;
    let at = blocking(move || service::grant(&app.store, &user, &request.record)).await?;
    Ok(Json(serde_json::json!({ "granted_at": at })))
}

async fn list_devices(
    State(app): State<Arc<App>>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let devices = blocking(move || Ok(app.store.transaction(|tx| tx.devices())?)).await?;
    Ok(Json(devices))
}

async fn revoke_device(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let found = blocking(move || {
        Ok(app
            .store
            .transaction(|tx| tx.revoke_device(&id, now_ms()))?)
    })
    .await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            404,
            "unknown_device",
            "there is no such device".into(),
            "设备不存在".into(),
        ))
    }
}

async fn metrics(
    State(app): State<Arc<App>>,
    _admin: Administrator,
) -> Result<impl IntoResponse, ApiError> {
    let counters = app.metrics.snapshot();
    let (devices, head) = blocking(move || {
        Ok(app
            .store
            .transaction(|tx| Ok((tx.devices()?, tx.max_seq()?)))?)
    })
    .await?;
    let devices: Vec<serde_json::Value> = devices
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "device": d.id,
                "user": d.user_id,
                "revoked": d.revoked_at_ms.is_some(),
                "last_sync_ms": d.last_sync_ms,
                "ledger_positions_behind": head.saturating_sub(d.cursor),
                "waiting_records": d.waiting_records,
                "oldest_unsent_ms": d.oldest_unsent_ms,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "requests": counters.requests,
        "sync": {
            "count": counters.sync_count,
            "mean_ms": if counters.sync_count > 0 { counters.sync_total_ms / counters.sync_count as f64 } else { 0.0 },
            "latency_ms_buckets": counters.sync_latency_ms,
            "changes_accepted": counters.changes_accepted,
        },
        "ledger_head": head,
        "devices": devices,
    })))
}
