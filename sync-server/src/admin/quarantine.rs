//! Records the server cannot read (无法读取的记录), for the administrator: which, what failed,
//! where they were met first (see [`crate::quarantine`]). Listing only; the records' changes
//! stay in the ledger for whoever repairs them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use outpost_shared::console::shanghai_time;
use serde_json::{Value, json};

use super::require_administrator;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::service::ApiError;

/// `GET /console/api/admin/quarantine`: every quarantined record, by id.
#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub async fn list(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let records: Vec<Value> = console
        .app
        .quarantine
        .list()
        .into_iter()
        .map(|r| {
            json!({
                "record": r.record,
                "detail": r.detail,
                "found_by": r.found_by,
                "first_seen_ms": r.first_seen_ms,
                "first_seen": shanghai_time(r.first_seen_ms),
            })
        })
        .collect();
    Ok(Json(json!({ "records": records })))
}
