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
use jiff::SignedDuration;

use crate::program::{
    Condition, DeadlineRule, JurisdictionLevel, Program, Recipient, StepTime, format_time_of_day,
};
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

/// What the persons an alert counts have not done, by what the rule waits for: 未认领 for a
/// claim deadline, 未反馈 for answers, 未完成 when the rule names nothing.
pub fn outstanding_word(rule: &DeadlineRule, lang: Lang) -> &'static str {
    let (zh, en) = match rule.until() {
        Some(Condition::Claimed) => ("未认领", "not claimed"),
        Some(Condition::AllAnswered) => ("未反馈", "not answered"),
        Some(Condition::CdcJudged) => ("疾控未判定", "not judged by CDC"),
        Some(Condition::SuppliesIssued) => ("未发放物资", "without supplies"),
        Some(Condition::Boarded) => ("未上车", "not boarded"),
        // The statuses' own labels are the program's; the alert says the work is not done.
        Some(Condition::StatusIn(_)) => ("未办结", "not done"),
        None => ("未完成", "outstanding"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A duration in words: 10分钟, 2小时, 1小时30分钟 (10 min, 2 h, 1 h 30 min).
fn duration_words(duration: SignedDuration, lang: Lang) -> String {
    let mut rest = duration.as_secs().unsigned_abs();
    let units: [(u64, &str, &str); 4] = [
        (86_400, "天", " d"),
        (3_600, "小时", " h"),
        (60, "分钟", " min"),
        (1, "秒", " s"),
    ];
    let mut parts = Vec::new();
    for (size, zh, en) in units {
        let count = rest / size;
        rest %= size;
        if count > 0 {
            parts.push(match lang {
                Lang::Zh => format!("{count}{zh}"),
                Lang::En => format!("{count}{en}"),
            });
        }
    }
    match (parts.is_empty(), lang) {
        (true, Lang::Zh) => "0分钟".into(),
        (true, Lang::En) => "0 min".into(),
        (false, Lang::Zh) => parts.concat(),
        (false, Lang::En) => parts.join(" "),
    }
}

/// Which step of the ladder passed, so that the 10-minute and the 30-minute alerts read apart:
/// "认领时限第 2 步（30分钟）", "claim deadline, step 2 (30 min)".
pub fn step_text(rule: &DeadlineRule, step: usize, lang: Lang) -> String {
    let when = rule.steps().get(step).map(|s| match (&s.when, lang) {
        (StepTime::After(duration), _) => duration_words(*duration, lang),
        (
            StepTime::At {
                days_after: 0,
                time,
            },
            _,
        ) => format_time_of_day(*time),
        (StepTime::At { days_after, time }, Lang::Zh) => {
            format!("{days_after}天后 {}", format_time_of_day(*time))
        }
        (StepTime::At { days_after, time }, Lang::En) => {
            format!("{} +{days_after}d", format_time_of_day(*time))
        }
    });
    let n = step + 1;
    let label = rule.label().get(lang);
    match (when, lang) {
        (Some(when), Lang::Zh) => format!("{label}第 {n} 步（{when}）"),
        (Some(when), Lang::En) => format!("{label}, step {n} ({when})"),
        (None, Lang::Zh) => format!("{label}第 {n} 步"),
        (None, Lang::En) => format!("{label}, step {n}"),
    }
}

/// Whom the step notifies, by their labels: "镇街领导、流调溯源专班".
pub fn recipients_text(program: &Program, rule: &DeadlineRule, step: usize, lang: Lang) -> String {
    let labels: Vec<String> = rule
        .steps()
        .get(step)
        .map(|s| {
            s.notify
                .iter()
                .map(|r| program.recipient_label(r, lang))
                .collect()
        })
        .unwrap_or_default();
    match lang {
        Lang::Zh => labels.join("、"),
        Lang::En => labels.join(", "),
    }
}

/// The short text of an alert (告警标题): the step, the unit, how many persons have not done what
/// the rule waits for, and who was told, e.g. "认领时限第 2 步（30分钟）：南沙街道 3/10 人未认领
/// （批次 9544…），已通知区领导、流调溯源专班".
pub fn title(
    program: &Program,
    rule: &DeadlineRule,
    facts: &AlertFacts,
    unit_name: &str,
    lang: Lang,
) -> String {
    let outstanding = facts.outstanding.len();
    let members = facts.members;
    let batch = &facts.task.batch;
    let step = step_text(rule, facts.step.step, lang);
    let word = outstanding_word(rule, lang);
    let told = recipients_text(program, rule, facts.step.step, lang);
    match lang {
        Lang::Zh => format!(
            "{step}：{unit_name} {outstanding}/{members} 人{word}（批次 {batch}），已通知{told}"
        ),
        Lang::En => format!(
            "{step}: {unit_name}, {outstanding} of {members} persons {word} (batch {batch}); told {told}"
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
                title(program, rule, facts, unit_name, Lang::Zh),
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
