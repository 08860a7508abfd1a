//! `GET /admin/notifications[?key=…&limit=…]`: outbox counts per status and the newest
//! delivery attempts (ids, channels, outcomes — no message text). Administrator only.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::App;
use crate::guard::Administrator;
use crate::http::blocking;
use crate::service::ApiError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Only the attempts of this notice.
    pub key: Option<String>,
    /// How many attempts, newest first (default 100, at most 1000).
    pub limit: Option<usize>,
}

pub async fn notifications(
    State(app): State<Arc<App>>,
    _admin: Administrator,
    Query(query): Query<DeliveriesQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let (counts, recent) = blocking(move || {
        let failed = |e: super::NotifyError| {
            tracing::error!(error = %e, "cannot read the notification outbox");
            ApiError::internal()
        };
        let counts = app.notifier.status_counts().map_err(failed)?;
        let recent = app
            .notifier
            .deliveries(query.key.as_deref(), limit)
            .map_err(failed)?;
        Ok((counts, recent))
    })
    .await?;
    Ok(Json(serde_json::json!({
        "counts": counts,
        "recent": recent,
    })))
}
