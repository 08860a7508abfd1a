//! A task's flow (流程详情): dispatched → claimed → each answer → moves → alerts raised and
//! resolved, each with who and when, oldest first — the wall screen's detail of one task.

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::identity::mask_name;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{Action, Event, RecordId, RecordKind, fold};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::alert;
use serde::Serialize;

use super::auth::Viewer;
use super::people::{Text, document, unit_text};
use crate::store::StoreTx;
use crate::store::tasks::{DeadlineRow, DeadlineState};

/// One step of a flow.
#[derive(Debug, Clone, Serialize)]
pub struct FlowItem {
    pub at_ms: i64,
    /// `dispatched`, `claimed`, `answered`, `reassigned`, `forwarded`, … or `alert_raised`,
    /// `alert_resolved`.
    pub kind: String,
    pub label: Text,
    /// Who did it (the user's display name, or id when unknown); the server for alerts.
    pub by: String,
    /// The person concerned, masked; empty for task-wide steps.
    pub person: String,
    pub detail: Text,
}

/// User display names by id.
pub fn user_names(tx: &mut dyn StoreTx) -> Result<BTreeMap<String, String>, LedgerError> {
    Ok(tx
        .users()?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

fn label(zh: &str, en: &str) -> Text {
    Text {
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

fn outcome_labels(program: &Program, codes: &[String]) -> Text {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for depth in 1..=codes.len() {
        let path: Vec<&str> = codes[..depth].iter().map(String::as_str).collect();
        match program.outcomes().node(&path) {
            Some(node) => {
                zh.push(node.label.zh.clone());
                en.push(node.label.en.clone());
            }
            None => {
                zh.push(codes[depth - 1].clone());
                en.push(codes[depth - 1].clone());
            }
        }
    }
    Text {
        zh: zh.join(" / "),
        en: en.join(" / "),
    }
}

/// The workflow events of one person, oldest first; `person` is their masked name.
pub fn person_events(
    program: &Program,
    events: &[Event],
    names: &BTreeMap<String, String>,
    person: Option<&str>,
) -> Vec<FlowItem> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| a.at.cmp(&b.at));
    sorted
        .into_iter()
        .map(|event| {
            let kind = event.action.kind();
            let (zh, en) = (
                outpost_shared::i18n::Describe::describe(&kind, Lang::Zh),
                outpost_shared::i18n::Describe::describe(&kind, Lang::En),
            );
            let detail = match &event.action {
                Action::Answered { outcome, note } => {
                    let mut text = outcome_labels(program, outcome);
                    if let Some(note) = note {
                        text.zh = format!("{}（{note}）", text.zh);
                        text.en = format!("{} ({note})", text.en);
                    }
                    text
                }
                Action::Dispatched { unit, .. }
                | Action::Reassigned { to_unit: unit, .. }
                | Action::Forwarded { to_unit: unit, .. } => Text::same(unit),
                _ => Text::same(""),
            };
            let user = event.user.as_str();
            FlowItem {
                at_ms: i64::try_from(event.at.wall_ms).unwrap_or(i64::MAX),
                kind: serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: Text { zh, en },
                by: names.get(user).cloned().unwrap_or_else(|| user.to_owned()),
                person: person.unwrap_or_default().to_owned(),
                detail,
            }
        })
        .collect()
}

/// Raised and resolved items of a task's ladder steps whose alert the viewer may see.
pub fn alert_items(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    rows: &[DeadlineRow],
    since_ms: Option<i64>,
) -> Result<Vec<(String, FlowItem)>, LedgerError> {
    let wanted = |at_ms: i64| since_ms.is_none_or(|since| at_ms >= since);
    let mut items = Vec::new();
    for row in rows {
        let (Some(alert_id), Some(fired_ms)) = (&row.alert_id, row.fired_ms) else {
            continue;
        };
        if !matches!(row.state, DeadlineState::Fired | DeadlineState::Resolved) {
            continue;
        }
        let id = RecordId::new(alert_id.clone()).map_err(LedgerError::storage)?;
        let Some(ledger_row) = tx.record(&id)? else {
            continue;
        };
        // An alert placed above the viewer's unit (a district leader's) is outside their scope.
        if ledger_row.kind != RecordKind::Alert
            || !ledger_row.unit.as_deref().is_some_and(|u| viewer.sees(u))
        {
            continue;
        }
        let resolution = fold(&tx.events(&id)?).alert_resolution;
        if !wanted(fired_ms) && !resolution.as_ref().is_some_and(|r| wanted(r.synced_ms)) {
            continue;
        }
        let rule = program.deadline(&row.rule);
        let rule_label = rule.map_or_else(|| Text::same(&row.rule), |r| Text::of(r.label()));
        let title = document(tx, &id)?
            .field(alert::fields::TITLE)
            .map(|f| f.value)
            .unwrap_or_default();
        items.push((
            format!("{alert_id}:raised"),
            FlowItem {
                at_ms: fired_ms,
                kind: "alert_raised".into(),
                label: label("告警", "alert raised"),
                by: String::new(),
                person: String::new(),
                detail: Text {
                    zh: format!("{}：{title}", rule_label.zh),
                    en: format!("{}: {title}", rule_label.en),
                },
            },
        ));
        if let Some(resolution) = resolution {
            items.push((
                format!("{alert_id}:resolved"),
                FlowItem {
                    at_ms: resolution.synced_ms,
                    kind: "alert_resolved".into(),
                    label: label("告警解除", "alert resolved"),
                    by: String::new(),
                    person: String::new(),
                    detail: Text {
                        zh: alert::resolution_text(&resolution, Lang::Zh),
                        en: alert::resolution_text(&resolution, Lang::En),
                    },
                },
            ));
        }
    }
    items.retain(|(_, item)| wanted(item.at_ms));
    Ok(items)
}

/// A task's whole flow, or `None` if the task is unknown or outside the viewer's scope.
#[derive(Debug, Serialize)]
pub struct Flow {
    pub task: String,
    pub unit: String,
    pub unit_name: Text,
    pub batch: String,
    pub members: i64,
    pub claimed: i64,
    pub answered: i64,
    pub items: Vec<FlowItem>,
}

pub fn task_flow(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    task_id: &str,
) -> Result<Option<Flow>, LedgerError> {
    let Some(task) = tx.task(task_id)? else {
        return Ok(None);
    };
    if !viewer.sees(&task.key.unit) {
        return Ok(None);
    }
    let Some(program) = programs.iter().find(|p| p.id() == task.key.program) else {
        return Ok(None);
    };
    let names = user_names(tx)?;
    let mut items = Vec::new();
    for member in tx.members_of(&task.id)? {
        let fields = document(tx, &member.record)?;
        let person = fields
            .field("name")
            .map(|f| mask_name(&f.value))
            .unwrap_or_default();
        let events = tx.events(&member.record)?;
        items.extend(person_events(program, &events, &names, Some(&person)));
    }
    let deadlines = tx.deadlines_of(&task.id)?;
    items.extend(
        alert_items(tx, viewer, program, &deadlines, None)?
            .into_iter()
            .map(|(_, item)| item),
    );
    items.sort_by_key(|item| item.at_ms);
    for item in &mut items {
        if matches!(
            item.kind.as_str(),
            "dispatched" | "reassigned" | "forwarded"
        ) {
            item.detail = unit_text(jurisdictions, &item.detail.zh);
        }
    }
    Ok(Some(Flow {
        unit_name: unit_text(jurisdictions, &task.key.unit),
        unit: task.key.unit.clone(),
        batch: task.key.batch.clone(),
        task: task.id,
        members: task.members,
        claimed: task.claimed,
        answered: task.answered,
        items,
    }))
}
