//! Program settings (项目设置 · 时限): each program's deadline rules and escalation ladders, as in
//! force and as the program file has them; an administrator changes durations, wall-clock times
//! and recipients (`outpost_shared::program::DeadlineSettings`, checked by
//! `Program::with_deadline_settings`).
//!
//! Only the rules that differ from the program file are stored, so a later change of the file
//! still reaches the rules nobody changed here; a setting equal to the file removes the row.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::program::{DeadlineSettings, Program};
use serde_json::{Value, json};

use super::{deadlines_key, invalid, require_administrator, store_setting};
use crate::App;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::http::blocking;
use crate::service::ApiError;

fn text(d: &impl Describe) -> Value {
    json!({"zh": d.describe(Lang::Zh), "en": d.describe(Lang::En)})
}

/// One program as the settings view shows it.
fn view(app: &App, file: &Program) -> Value {
    let programs = app.settings.programs();
    let current = programs
        .iter()
        .find(|p| p.id() == file.id())
        .unwrap_or(file);
    let stored = app.settings.stored(&deadlines_key(file.id()));
    let defaults = file.deadline_settings();
    let now = current.deadline_settings();
    let rules: Vec<Value> = current
        .deadlines()
        .iter()
        .map(|rule| {
            let id = rule.id();
            json!({
                "id": id,
                "label": rule.label(),
                "anchor": text(&rule.anchor()),
                "until": rule.until().map(text),
                "recurring": rule.recurrence().is_some(),
                "current": now.rules.iter().find(|r| r.id == id),
                "default": defaults.rules.iter().find(|r| r.id == id),
            })
        })
        .collect();
    let recipients: Vec<Value> = current
        .possible_recipients()
        .iter()
        .map(|r| {
            json!({
                "code": r.code(),
                "label": {"zh": current.recipient_label(r, Lang::Zh), "en": current.recipient_label(r, Lang::En)},
            })
        })
        .collect();
    json!({
        "id": file.id(),
        "name": file.name(),
        "customised": stored.is_some(),
        "updated_ms": stored.as_ref().map(|s| s.updated_ms),
        "updated_by": stored.as_ref().map(|s| s.updated_by.clone()),
        "recipients": recipients,
        "rules": rules,
    })
}

fn file_program<'a>(app: &'a App, id: &str) -> Result<&'a Program, ApiError> {
    app.programs.iter().find(|p| p.id() == id).ok_or_else(|| {
        ApiError::new(
            404,
            "unknown_program",
            format!("unknown program {id}"),
            format!("没有项目 {id}"),
        )
    })
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn list(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let app = &console.app;
    let all: Vec<Value> = app.programs.iter().map(|p| view(app, p)).collect();
    Ok(Json(all))
}

#[tracing::instrument(skip_all, err(level = "info", Debug), fields(program = %id))]
pub(super) async fn save(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let given: DeadlineSettings = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            400,
            "malformed_request",
            format!("the deadline settings are not valid JSON of the expected shape: {e}"),
            "时限设置的格式不正确".into(),
        )
    })?;
    blocking(move || {
        let app = &console.app;
        let file = file_program(app, &id)?;
        let checked = file
            .with_deadline_settings(&given)
            .map_err(|e| invalid(e.describe(Lang::En), e.describe(Lang::Zh)))?;
        // Keep only the rules that differ from the file.
        let defaults = file.deadline_settings();
        let changed = DeadlineSettings {
            rules: checked
                .deadline_settings()
                .rules
                .into_iter()
                .filter(|rule| !defaults.rules.contains(rule))
                .collect(),
        };
        let stored = (!changed.rules.is_empty()).then_some(&changed);
        store_setting(app, &deadlines_key(&id), stored, &viewer.user_id)?;
        Ok(Json(view(app, file)))
    })
    .await
}

#[tracing::instrument(skip_all, err(level = "info", Debug), fields(program = %id))]
pub(super) async fn reset(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    blocking(move || {
        let app = &console.app;
        let file = file_program(app, &id)?;
        store_setting::<DeadlineSettings>(app, &deadlines_key(&id), None, &viewer.user_id)?;
        Ok(Json(view(app, file)))
    })
    .await
}
