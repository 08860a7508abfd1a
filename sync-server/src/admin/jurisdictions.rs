//! The jurisdiction tree (行政区划) with national codes, levels and aliases, searchable by code,
//! name (Chinese or English) and alias. Read-only: the tree is the `assets/jurisdictions/*.toml`
//! files, read at start-up and used by every import, scope and route; a unit is added, renamed
//! or given an alias there (`outpost-server check` validates the files).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use outpost_shared::jurisdiction::Unit;
use serde::Deserialize;
use serde_json::json;

use super::require_administrator;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::service::ApiError;

#[derive(Debug, Deserialize)]
pub(super) struct TreeQuery {
    search: Option<String>,
}

fn matches(unit: &Unit, needle: &str) -> bool {
    let lower = needle.to_lowercase();
    unit.code.starts_with(needle)
        || unit.name.contains(needle)
        || unit.name_en.to_lowercase().contains(&lower)
        || unit.aliases.iter().any(|a| a.contains(needle))
}

/// The units in code order (each after its parent); with `search`, the units that match and
/// their ancestors, so each match shows where it sits.
#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn tree(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<TreeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let jurisdictions = &console.app.jurisdictions;
    let needle = query.search.as_deref().map(str::trim).unwrap_or_default();
    let mut units: Vec<&Unit> = jurisdictions.units().collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let matched: Vec<&str> = if needle.is_empty() {
        Vec::new()
    } else {
        units
            .iter()
            .filter(|u| matches(u, needle))
            .map(|u| u.code.as_str())
            .collect()
    };
    let shown: Vec<serde_json::Value> = units
        .iter()
        .filter(|u| {
            needle.is_empty()
                || matched
                    .iter()
                    .any(|m| m.starts_with(u.code.as_str()) && jurisdictions.is_within(m, &u.code))
        })
        .map(|u| {
            json!({
                "code": u.code,
                "name": {"zh": u.name, "en": u.name_en},
                "level": u.level.label(),
                "parent": u.parent,
                "aliases": u.aliases,
                "children": jurisdictions.children(&u.code).len(),
                "matched": matched.contains(&u.code.as_str()),
            })
        })
        .collect();
    Ok(Json(json!({
        "total": units.len(),
        "matches": matched.len(),
        "units": shown,
    })))
}
