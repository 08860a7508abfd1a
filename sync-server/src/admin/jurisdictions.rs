//! The jurisdiction tree (行政区划) with national codes, levels and aliases, searchable by code,
//! name (Chinese or English) and alias, and maintained here (区划维护): a town or community
//! added below an existing unit, names and aliases changed, an added unit withdrawn while nothing
//! uses it, a file's unit back to the file's names.
//!
//! The `assets/jurisdictions/*.toml` files stay the base; what is changed here is one overlay
//! (`outpost_shared::jurisdiction::JurisdictionOverlay`, the `jurisdictions` setting), applied
//! at once to imports, user creation, routes and the engine, and sent to every device with the
//! last page of its next sync, so the field app's unit pickers and names follow.
//!
//! ```text
//! GET    /console/api/admin/jurisdictions?search=   the tree, each unit with its origin
//! POST   /console/api/admin/jurisdictions           {code, name, name_en, aliases}: add
//! PUT    /console/api/admin/jurisdictions/{code}    {name, name_en, aliases}: rename
//! DELETE /console/api/admin/jurisdictions/{code}    withdraw an added unit / back to the file
//! ```

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::jurisdiction::{JurisdictionError, JurisdictionOverlay, Unit, UnitEntry};
use outpost_shared::sync::Scope;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JURISDICTIONS_KEY, invalid, require_administrator, store_setting};
use crate::App;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::http::blocking;
use crate::service::ApiError;
use crate::store::Store;

#[derive(Debug, Deserialize)]
pub(super) struct TreeQuery {
    search: Option<String>,
}

/// The body of a rename: the code is in the path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Names {
    name: String,
    name_en: String,
    #[serde(default)]
    aliases: Vec<String>,
}

fn matches(unit: &Unit, needle: &str) -> bool {
    let lower = needle.to_lowercase();
    unit.code.starts_with(needle)
        || unit.name.contains(needle)
        || unit.name_en.to_lowercase().contains(&lower)
        || unit.aliases.iter().any(|a| a.contains(needle))
}

/// The tree as the console shows it: units in code order (each after its parent); with a
/// search, the units that match and their ancestors, so each match shows where it sits.
fn view(app: &App, needle: &str) -> Value {
    let tree = app.jurisdictions();
    let overlay = app.settings.jurisdiction_overlay();
    let files = app.settings.files_jurisdictions();
    let stored = app.settings.stored(JURISDICTIONS_KEY);
    let units: Vec<&Unit> = tree.units().collect();
    let matched: Vec<&str> = if needle.is_empty() {
        Vec::new()
    } else {
        units
            .iter()
            .filter(|u| matches(u, needle))
            .map(|u| u.code.as_str())
            .collect()
    };
    let shown: Vec<Value> = units
        .iter()
        .filter(|u| {
            needle.is_empty()
                || matched
                    .iter()
                    .any(|m| m.starts_with(u.code.as_str()) && tree.is_within(m, &u.code))
        })
        .map(|u| {
            let file = files.get(&u.code);
            json!({
                "code": u.code,
                "name": {"zh": u.name, "en": u.name_en},
                "level": u.level.label(),
                "level_code": u.level,
                "parent": u.parent,
                "aliases": u.aliases,
                "children": tree.children(&u.code).len(),
                "matched": matched.contains(&u.code.as_str()),
                "origin": overlay.origin_of(&u.code),
                "file_name": file.map(|f| json!({"zh": f.name, "en": f.name_en})),
            })
        })
        .collect();
    json!({
        "total": units.len(),
        "matches": matched.len(),
        "added": overlay.added.len(),
        "changed": overlay.changed.len(),
        "updated_ms": stored.as_ref().map(|s| s.updated_ms),
        "updated_by": stored.as_ref().map(|s| s.updated_by.clone()),
        "units": shown,
    })
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn tree(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<TreeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let needle = query.search.as_deref().map(str::trim).unwrap_or_default();
    Ok(Json(view(&console.app, needle)))
}

fn malformed(error: serde_json::Error) -> ApiError {
    ApiError::new(
        400,
        "malformed_request",
        format!("the unit is not valid JSON of the expected shape: {error}"),
        "单位信息的格式不正确：需要代码、中文名称、英文名称和别名".into(),
    )
}

fn refused(error: &JurisdictionError) -> ApiError {
    invalid(error.describe(Lang::En), error.describe(Lang::Zh))
}

/// Applies `change` to the overlay in force and stores the result (the files' tree when nothing
/// is left), answering the new tree. The edit lock is held from reading the overlay to storing
/// the next, so two administrators' changes never overwrite each other. Blocking.
fn edit(
    app: &App,
    user: &str,
    change: impl FnOnce(&JurisdictionOverlay) -> Result<JurisdictionOverlay, ApiError>,
) -> Result<Value, ApiError> {
    let _edit = app.settings.lock_jurisdiction_edits();
    let next = change(&app.settings.jurisdiction_overlay())?;
    store_setting(
        app,
        JURISDICTIONS_KEY,
        (!next.is_empty()).then_some(&next),
        user,
    )?;
    Ok(view(app, ""))
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn add(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let entry: UnitEntry = serde_json::from_slice(&body).map_err(malformed)?;
    blocking(move || {
        let app = &console.app;
        let tree = edit(app, &viewer.user_id, |overlay| {
            let (next, _) = overlay
                .adding(app.settings.files_jurisdictions(), &entry)
                .map_err(|e| refused(&e))?;
            Ok(next)
        })?;
        tracing::info!(unit = %entry.code.trim(), by = %viewer.user_id, "unit added to the jurisdiction tree");
        Ok(Json(tree))
    })
    .await
}

#[tracing::instrument(skip_all, err(level = "info", Debug), fields(unit = %code))]
pub(super) async fn rename(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let names: Names = serde_json::from_slice(&body).map_err(malformed)?;
    let entry = UnitEntry {
        code,
        name: names.name,
        name_en: names.name_en,
        aliases: names.aliases,
    };
    blocking(move || {
        let app = &console.app;
        let tree = edit(app, &viewer.user_id, |overlay| {
            let (next, _) = overlay
                .changing(app.settings.files_jurisdictions(), &entry)
                .map_err(|e| refused(&e))?;
            Ok(next)
        })?;
        Ok(Json(tree))
    })
    .await
}

#[tracing::instrument(skip_all, err(level = "info", Debug), fields(unit = %code))]
pub(super) async fn withdraw(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    blocking(move || {
        let app = &console.app;
        let tree = edit(app, &viewer.user_id, |overlay| {
            if overlay.added.iter().any(|u| u.code == code) {
                if let Some(user) = in_use(app, &code)? {
                    return Err(ApiError::new(
                        409,
                        "unit_in_use",
                        format!("{code} cannot be withdrawn: {} uses it", user.en),
                        format!("{code} 不能撤销：{}", user.zh),
                    ));
                }
            } else if !overlay.changed.iter().any(|u| u.code == code) {
                return Err(ApiError::new(
                    409,
                    "unit_from_file",
                    format!(
                        "{code} is as the jurisdiction files have it: there is nothing to undo"
                    ),
                    format!("{code} 来自区划数据文件，未在控制台修改过，无可撤销"),
                ));
            }
            let (next, _) = overlay
                .without(app.settings.files_jurisdictions(), &code)
                .map_err(|e| refused(&e))?;
            Ok(next)
        })?;
        tracing::info!(unit = %code, by = %viewer.user_id, "console change to the jurisdiction tree withdrawn");
        Ok(Json(tree))
    })
    .await
}

struct InUse {
    zh: String,
    en: String,
}

/// What still names `code` or a unit below it: users (and so their devices), records, tasks,
/// notification routes. A withdrawn code that something still names would strand it.
fn in_use(app: &App, code: &str) -> Result<Option<InUse>, ApiError> {
    let within = |unit: &str| unit.starts_with(code);
    let found = app
        .store
        .transaction(|tx| {
            if let Some(user) = tx.users()?.into_iter().find(|u| within(&u.unit)) {
                return Ok(Some(InUse {
                    zh: format!("账号 {} 属于该单位", user.id),
                    en: format!("the account {}", user.id),
                }));
            }
            if !tx.tasks_within(code, 1)?.is_empty() {
                return Ok(Some(InUse {
                    zh: "该单位已有任务".into(),
                    en: "tasks".into(),
                }));
            }
            let upto = tx.max_seq()?;
            let scope = Scope::of_units([code]);
            if !tx.candidate_changes(&scope, "", 0, upto, 1)?.is_empty() {
                return Ok(Some(InUse {
                    zh: "该单位已有记录".into(),
                    en: "records".into(),
                }));
            }
            Ok(None)
        })
        .map_err(|error| {
            tracing::error!(%error, "cannot check whether a unit is in use");
            ApiError::internal()
        })?;
    if found.is_some() {
        return Ok(found);
    }
    let config = app.notifier.config();
    Ok(config
        .routes
        .iter()
        .find(|r| within(&r.unit))
        .map(|r| InUse {
            zh: format!("通知路由（{}）指向该单位", r.recipient),
            en: format!("a notification route ({})", r.recipient),
        }))
}
