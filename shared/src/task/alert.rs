//! Alerts (告警): records raised when a task's deadline step passes with the work not done.
//!
//! An alert is a record of kind [`RecordKind::Alert`] so that it syncs like everything else: it
//! is placed at the unit of the most senior leader the step notifies (a district-leader alert
//! reaches district devices, not only the town's), lists the persons concerned, and is resolved
//! by an [`Action::AlertResolved`] event when the work is done — saying when the work was done on
//! the device and when the server learnt of it, so that work done offline before the deadline is
//! credited as such ("已于 10:05 离线完成，10:20 同步").

use sha2::{Digest, Sha256};

use super::{PlannedStep, TaskKey};
use crate::i18n::Lang;
use crate::program::{DeadlineRule, JurisdictionLevel, Program, Recipient, format_time_of_day};
use crate::record::{Action, AlertResolution, InvalidIdentifier, NewRecord, RecordId, RecordKind};

/// Field keys of alert records.
pub mod fields {
    pub const TASK: &str = "task";
    pub const TASK_UNIT: &str = "task_unit";
    pub const BATCH: &str = "batch";
    pub const RULE: &str = "rule";
    pub const STEP: &str = "step";
    pub const OCCURRENCE_MS: &str = "occurrence_ms";
    pub const DUE_MS: &str = "due_ms";
    pub const RECIPIENTS: &str = "recipients";
    /// Record ids of the persons concerned, separated by spaces.
    pub const PERSONS: &str = "persons";
    pub const MEMBERS: &str = "members";
    pub const TITLE: &str = "title";
}

/// Everything an alert says, decided by the engine when the step passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    pub task: TaskKey,
    pub step: PlannedStep,
    /// How many persons the task has.
    pub members: usize,
    /// The persons who have not done what the rule waits for.
    pub outstanding: Vec<RecordId>,
}

/// The id of the alert for one step of one task: derived, so that raising it twice (a restart,
/// a second server instance) names the same record and the ledger keeps one.
pub fn alert_id(task: &TaskKey, step: &PlannedStep) -> Result<RecordId, InvalidIdentifier> {
    let digest = Sha256::digest(
        format!(
            "{}#{}#{}#{}",
            task.id(),
            step.rule,
            step.occurrence_ms,
            step.step
        )
        .as_bytes(),
    );
    // 32 hex digits: plain, short, and collision-free in practice.
    RecordId::new(format!("alert-{}", hex::encode(&digest[..16])))
}

/// The unit an alert is placed at: that of the most senior leader the step notifies, found by
/// cutting the task unit's code to that level (codes grow by level: 6 digits for a district,
/// 9 for a town, 12 for a community). Groups and unit staff keep the task's own unit.
pub fn alert_unit(task_unit: &str, recipients: &[Recipient]) -> String {
    let most_senior = recipients
        .iter()
        .filter_map(|recipient| match recipient {
            Recipient::Leader(level) => Some(*level),
            _ => None,
        })
        .max();
    let length = match most_senior {
        None | Some(JurisdictionLevel::Community) => return task_unit.to_owned(),
        Some(JurisdictionLevel::Town) => 9,
        Some(JurisdictionLevel::District) => 6,
        Some(JurisdictionLevel::City) => 4,
        Some(JurisdictionLevel::Province) => 2,
    };
    task_unit.get(..length).unwrap_or(task_unit).to_owned()
}

/// The unit whose leader a recipient means for a task of `task_unit`, for routing notifications.
pub fn recipient_unit(task_unit: &str, recipient: &Recipient) -> String {
    alert_unit(task_unit, std::slice::from_ref(recipient))
}

/// The short text of an alert (告警标题), e.g. "认领时限告警：南沙街道 3/10 人未完成（批次 9544…）".
pub fn title(rule: &DeadlineRule, facts: &AlertFacts, unit_name: &str, lang: Lang) -> String {
    let outstanding = facts.outstanding.len();
    let batch = &facts.task.batch;
    match lang {
        Lang::Zh => format!(
            "{}告警：{unit_name} {outstanding}/{} 人未完成（批次 {batch}）",
            rule.label().get(lang),
            facts.members
        ),
        Lang::En => format!(
            "{} alert: {unit_name}, {outstanding} of {} persons outstanding (batch {batch})",
            rule.label().get(lang),
            facts.members
        ),
    }
}

/// The alert record to create for `facts`.
pub fn new_alert(
    program: &Program,
    rule: &DeadlineRule,
    facts: &AlertFacts,
    unit_name: &str,
) -> Result<NewRecord, InvalidIdentifier> {
    let recipients = rule
        .steps()
        .get(facts.step.step)
        .map(|step| step.notify.clone())
        .unwrap_or_default();
    let persons: Vec<&str> = facts.outstanding.iter().map(RecordId::as_str).collect();
    Ok(NewRecord {
        id: alert_id(&facts.task, &facts.step)?,
        kind: RecordKind::Alert,
        program: program.id().to_owned(),
        unit: alert_unit(&facts.task.unit, &recipients),
        batch: Some(facts.task.batch.clone()),
        fields: vec![
            (fields::TASK.into(), facts.task.id()),
            (fields::TASK_UNIT.into(), facts.task.unit.clone()),
            (fields::BATCH.into(), facts.task.batch.clone()),
            (fields::RULE.into(), rule.id().to_owned()),
            (fields::STEP.into(), facts.step.step.to_string()),
            (
                fields::OCCURRENCE_MS.into(),
                facts.step.occurrence_ms.to_string(),
            ),
            (fields::DUE_MS.into(), facts.step.due_ms.to_string()),
            (
                fields::RECIPIENTS.into(),
                recipients
                    .iter()
                    .map(Recipient::code)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (fields::PERSONS.into(), persons.join(" ")),
            (fields::MEMBERS.into(), facts.members.to_string()),
            (
                fields::TITLE.into(),
                title(rule, facts, unit_name, Lang::Zh),
            ),
        ],
    })
}

/// The event that resolves an alert.
pub fn resolve(completed_ms: i64, synced_ms: i64) -> Action {
    Action::AlertResolved {
        completed_ms,
        synced_ms,
    }
}

/// How long after the work a sync must come for the resolution to say the work was done
/// offline: a normal online action reaches the server within seconds.
const OFFLINE_GAP_MS: i64 = 60_000;

fn clock_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |at| format_time_of_day(at.to_zoned(crate::program::shanghai()).time()),
    )
}

/// Says how an alert was resolved, in Beijing time: "已于 10:05 离线完成，10:20 同步" when the
/// work reached the server well after it was done, "已于 10:20 完成" otherwise.
pub fn resolution_text(resolution: &AlertResolution, lang: Lang) -> String {
    let done = clock_text(resolution.completed_ms);
    if resolution.synced_ms - resolution.completed_ms >= OFFLINE_GAP_MS {
        let synced = clock_text(resolution.synced_ms);
        match lang {
            Lang::Zh => format!("已于 {done} 离线完成，{synced} 同步"),
            Lang::En => format!("completed offline at {done}, synced {synced}"),
        }
    } else {
        match lang {
            Lang::Zh => format!("已于 {done} 完成"),
            Lang::En => format!("completed at {done}"),
        }
    }
}
