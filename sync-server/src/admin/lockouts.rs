//! Lockouts (锁定记录): the sources and values that [`crate::guard`] is refusing at the moment,
//! for the administrator to see and lift — an office behind one address that mistyped codes,
//! say. A key is shown as the source address or the first hex digits of the value's hash, never
//! a value. Lifting forgets the key: its failures and back-off start again.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use outpost_shared::console::shanghai_time;
use serde_json::{Value, json};

use super::require_administrator;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::service::ApiError;

/// `GET /console/api/admin/lockouts`: the current lockouts, the latest first, with their end in
/// Beijing time.
#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub async fn list(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let app = &console.app;
    let now_ms = app.clock.now_ms();
    let lockouts: Vec<Value> = app
        .guard
        .lockouts(now_ms)
        .into_iter()
        .map(|l| {
            json!({
                "id": l.id.to_string(),
                "kind": l.kind,
                "kind_label": {"zh": l.kind.label_zh(), "en": l.kind.label_en()},
                "subject": l.subject,
                "key": l.key,
                "failures": l.failures,
                "lockouts": l.lockouts,
                "locked_until_ms": l.locked_until_ms,
                "locked_until": shanghai_time(l.locked_until_ms),
            })
        })
        .collect();
    Ok(Json(json!({ "now_ms": now_ms, "lockouts": lockouts })))
}

/// `DELETE /console/api/admin/lockouts/{id}`: lifts one lockout (204), 404 if it is not there
/// (lifted already, or over).
#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub async fn lift(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_administrator(&viewer)?;
    let lifted = id.parse::<u64>().is_ok_and(|id| console.app.guard.lift(id));
    if lifted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            404,
            "not_found",
            "there is no such lockout (it may have ended)".into(),
            "没有这条锁定记录（可能已经结束）".into(),
        ))
    }
}
