//! A task's flow (流程详情): dispatched → claimed → each answer → moves → alerts raised and
//! resolved, each with who and when, oldest first — the wall screen's detail of one task, and
//! the events on a person's detail.

use std::collections::BTreeMap;

use serde::Serialize;

use super::people::outcome_path;
use super::{Text, unit_text};
use crate::i18n::{Describe, Lang};
use crate::jurisdiction::Jurisdictions;
use crate::program::Program;
use crate::record::{Action, AlertResolution, Event};
use crate::task::TaskKey;
use crate::task::alert;

/// One step of a flow.
#[derive(Debug, Clone, Serialize)]
pub struct FlowItem {
    pub at_ms: i64,
    /// `dispatched`, `claimed`, `answered`, `reassigned`, `forwarded`, … or `alert_raised`,
    /// `alert_resolved`.
    pub kind: String,
    pub label: Text,
    /// Who did it (the user's display name, or id when unknown); empty for the server's alerts.
    pub by: String,
    /// The person concerned, masked; empty for task-wide steps.
    pub person: String,
    pub detail: Text,
}

/// The labels of an outcome path joined with " / ", in both languages.
fn outcome_labels(program: &Program, codes: &[String]) -> Text {
    let path = outcome_path(program, codes);
    let join = |lang: Lang| {
        path.iter()
            .map(|t| t.get(lang))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    Text {
        zh: join(Lang::Zh),
        en: join(Lang::En),
    }
}

/// The workflow events of one person, oldest first; `person` is their masked name. A move's
/// detail is the unit's code: [`finish`] names it.
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
                Action::Transitioned { to, note, .. } => {
                    let mut text = super::workflow_status_text(program, to);
                    if let Some(note) = note {
                        text.zh = format!("{}（{note}）", text.zh);
                        text.en = format!("{} ({note})", text.en);
                    }
                    text
                }
                _ => Text::same(""),
            };
            // A declared step is named as the program names it (开始居家隔离), not by its kind.
            let label = match &event.action {
                Action::Transitioned { action, .. } => program
                    .transition(action)
                    .map_or_else(|| Text::same(action), |step| Text::of(&step.label)),
                _ => Text {
                    zh: kind.describe(Lang::Zh),
                    en: kind.describe(Lang::En),
                },
            };
            let user = event.user.as_str();
            FlowItem {
                at_ms: i64::try_from(event.at.wall_ms).unwrap_or(i64::MAX),
                kind: serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label,
                by: names.get(user).cloned().unwrap_or_else(|| user.to_owned()),
                person: person.unwrap_or_default().to_owned(),
                detail,
            }
        })
        .collect()
}

/// An alert raised for a task, as its flow and the alert feed show it.
#[derive(Debug, Clone)]
pub struct RaisedAlert {
    pub id: String,
    /// The deadline rule whose step passed.
    pub rule: String,
    pub fired_ms: i64,
    pub title: String,
    pub resolution: Option<AlertResolution>,
}

/// Raised and resolved items of a task's alerts at or after `since_ms`, keyed
/// `<alert id>:raised` / `:resolved` so that a poller drops what it already has.
pub fn alert_items(
    program: &Program,
    alerts: &[RaisedAlert],
    since_ms: Option<i64>,
) -> Vec<(String, FlowItem)> {
    let wanted = |at_ms: i64| since_ms.is_none_or(|since| at_ms >= since);
    let mut items = Vec::new();
    for raised in alerts {
        let rule_label = program
            .deadline(&raised.rule)
            .map_or_else(|| Text::same(&raised.rule), |r| Text::of(r.label()));
        if wanted(raised.fired_ms) {
            items.push((
                format!("{}:raised", raised.id),
                FlowItem {
                    at_ms: raised.fired_ms,
                    kind: "alert_raised".into(),
                    label: Text::new("告警", "alert raised"),
                    by: String::new(),
                    person: String::new(),
                    // The title names a known rule and its step itself: not "认领时限：认领时限告警：…".
                    // An unknown rule's id is said first; English says the rule's name first, as
                    // the title is stored in Chinese.
                    detail: Text {
                        zh: if program.deadline(&raised.rule).is_some() {
                            raised.title.clone()
                        } else {
                            format!("{}：{}", rule_label.zh, raised.title)
                        },
                        en: format!("{}: {}", rule_label.en, raised.title),
                    },
                },
            ));
        }
        if let Some(resolution) = raised.resolution.as_ref().filter(|r| wanted(r.synced_ms)) {
            items.push((
                format!("{}:resolved", raised.id),
                FlowItem {
                    at_ms: resolution.synced_ms,
                    kind: "alert_resolved".into(),
                    label: Text::new("告警解除", "alert resolved"),
                    by: String::new(),
                    person: String::new(),
                    detail: Text {
                        zh: alert::resolution_text(resolution, Lang::Zh),
                        en: alert::resolution_text(resolution, Lang::En),
                    },
                },
            ));
        }
    }
    items
}

/// A task's whole flow.
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

/// How far a task has got: its persons, and how many have claimed and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTally {
    pub id: String,
    pub key: TaskKey,
    pub members: i64,
    pub claimed: i64,
    pub answered: i64,
    /// When the task's clocks started (its first dispatch or move).
    pub anchor_ms: i64,
}

/// Dispatches and moves name their unit (南沙街道), not its code (440115001): a task's flow and a
/// person's history alike.
pub fn name_units(jurisdictions: &Jurisdictions, items: &mut [FlowItem]) {
    for item in items {
        if matches!(
            item.kind.as_str(),
            "dispatched" | "reassigned" | "forwarded"
        ) {
            item.detail = unit_text(jurisdictions, &item.detail.zh);
        }
    }
}

/// The flow of `task` from its persons' and alerts' items: oldest first, moves naming units.
pub fn finish(jurisdictions: &Jurisdictions, task: &TaskTally, mut items: Vec<FlowItem>) -> Flow {
    items.sort_by_key(|item| item.at_ms);
    name_units(jurisdictions, &mut items);
    Flow {
        unit_name: unit_text(jurisdictions, &task.key.unit),
        unit: task.key.unit.clone(),
        batch: task.key.batch.clone(),
        task: task.id.clone(),
        members: task.members,
        claimed: task.claimed,
        answered: task.answered,
        items,
    }
}
