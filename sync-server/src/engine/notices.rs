//! Handing raised alerts to the notification outbox: one notice per recipient of the step, in
//! Chinese, with the task, the unit, the counts and a link; and the declared steps that tell
//! someone at once, noted as the engine reads them and handed over the same way.

use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{RecordId, RecordState};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::alert::{self, AlertFacts};
use outpost_shared::task::{Member, outstanding};
use tracing::warn;

use super::{Engine, planned, rule_of};
use crate::store::tasks::{DeadlineRow, StepNotice, TaskRow};
use crate::store::{Store, StoreTx};

/// One alert notification to hand to the outbox: one per recipient of the step, addressed to
/// the unit whose leader (or group) it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertNotice {
    /// Stable across retries, restarts and instances: the alert id and the recipient.
    pub idempotency_key: String,
    pub unit: String,
    pub recipient: String,
    pub title: String,
    pub lines: Vec<String>,
    /// The alert record (or, for a step's notice, the person's record): what the notice is about.
    pub alert_id: String,
    /// Where the notice links to in the console: `alerts/<id>` or `people/<id>`.
    pub link: String,
}

/// Where alert notifications go (the durable outbox).
pub trait AlertOutbox: Send + Sync {
    /// Queues a notice durably; queuing the same key again must do nothing.
    fn enqueue(&self, notice: &AlertNotice, now_ms: i64) -> Result<(), String>;
}

/// The server's notification outbox: one notice per recipient, routed by its unit.
impl AlertOutbox for crate::notify::Notifier {
    fn enqueue(&self, notice: &AlertNotice, now_ms: i64) -> Result<(), String> {
        let notice = crate::notify::Notice {
            idempotency_key: notice.idempotency_key.clone(),
            audience: crate::notify::Audience {
                unit: notice.unit.clone(),
                recipients: vec![notice.recipient.clone()],
            },
            message: crate::notify::Message {
                title: notice.title.clone(),
                lines: notice.lines.clone(),
                link: Some(notice.link.clone()),
            },
        };
        crate::notify::Notifier::enqueue(self, &notice, now_ms)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl Engine {
    /// Hands raised alerts to `notifier`, then marks them handed over. Returns how many.
    pub fn notify(
        &self,
        store: &impl Store,
        jurisdictions: &Jurisdictions,
        notifier: &dyn AlertOutbox,
        now_ms: i64,
    ) -> Result<usize, LedgerError> {
        let pending = store.transaction(|tx| {
            let rows = tx.unnotified(200)?;
            let mut notices = Vec::with_capacity(rows.len());
            for row in rows {
                let Some(task) = tx.task(&row.task_id)? else {
                    continue;
                };
                let members = tx.members_of(&row.task_id)?;
                notices.push((
                    row.clone(),
                    self.notices(&row, &task, &members, jurisdictions),
                ));
            }
            Ok(notices)
        })?;
        let mut handed = 0;
        for (row, notices) in pending {
            let mut all = true;
            for notice in &notices {
                if let Err(error) = notifier.enqueue(notice, now_ms) {
                    warn!(alert = %notice.alert_id, %error, "cannot queue the alert notification; will retry");
                    all = false;
                }
            }
            if all {
                store.transaction(|tx| {
                    let mut row = row.clone();
                    row.notified = true;
                    tx.update_deadline(&row)
                })?;
                handed += notices.len();
            }
        }
        Ok(handed + self.notify_steps(store, jurisdictions, notifier, now_ms)?)
    }

    fn notices(
        &self,
        row: &DeadlineRow,
        task: &TaskRow,
        members: &[Member],
        jurisdictions: &Jurisdictions,
    ) -> Vec<AlertNotice> {
        let programs = self.programs();
        let Some((program, rule)) = rule_of(&programs, &task.key.program, &row.rule) else {
            return Vec::new();
        };
        let Some(alert_id) = row.alert_id.clone() else {
            return Vec::new();
        };
        let Some(step) = usize::try_from(row.step)
            .ok()
            .and_then(|index| rule.steps().get(index))
        else {
            return Vec::new();
        };
        let facts = AlertFacts {
            task: task.key.clone(),
            step: planned(row),
            members: members.len(),
            outstanding: outstanding(members, rule.until()),
        };
        let unit_name = jurisdictions
            .full_name(&task.key.unit)
            .unwrap_or_else(|| task.key.unit.clone());
        let title = alert::title(program, rule, &facts, &unit_name, Lang::Zh);
        let due = jiff::Timestamp::from_millisecond(row.due_ms)
            .map(|t| {
                t.to_zoned(outpost_shared::program::shanghai())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        // Each line says one thing the title does not spell out; the step and its recipients
        // tell the 10-minute notice from the 30-minute one.
        let lines = vec![
            format!("流程：{}", program.name().get(Lang::Zh)),
            format!(
                "步骤：{}，截止 {due}",
                alert::step_text(rule, facts.step.step, Lang::Zh)
            ),
            format!("任务：批次 {} · {unit_name}", task.key.batch),
            format!(
                "{}：{} 人 / 共 {} 人（已认领 {}，已反馈 {}）",
                alert::outstanding_word(rule, Lang::Zh),
                facts.outstanding.len(),
                members.len(),
                task.claimed,
                task.answered
            ),
            format!(
                "已通知：{}",
                alert::recipients_text(program, rule, facts.step.step, Lang::Zh)
            ),
        ];
        step.notify
            .iter()
            .map(|recipient| AlertNotice {
                idempotency_key: format!("{alert_id}:{}", recipient.code()),
                unit: alert::recipient_unit(&task.key.unit, recipient),
                recipient: recipient.code(),
                title: title.clone(),
                lines: lines.clone(),
                alert_id: alert_id.clone(),
                link: format!("alerts/{alert_id}"),
            })
            .collect()
    }

    /// Hands the noted steps that tell someone at once (流转即时通知) to `notifier`, then marks
    /// them handed over. Returns how many notices.
    fn notify_steps(
        &self,
        store: &impl Store,
        jurisdictions: &Jurisdictions,
        notifier: &dyn AlertOutbox,
        now_ms: i64,
    ) -> Result<usize, LedgerError> {
        let pending = store.transaction(|tx| tx.unnotified_step_notices(200))?;
        let programs = self.programs();
        let mut handed = 0;
        for step in pending {
            let notices = programs
                .get(&step.program)
                .map(|program| step_notices(program, &step, jurisdictions))
                .unwrap_or_default();
            let mut all = true;
            for notice in &notices {
                if let Err(error) = notifier.enqueue(notice, now_ms) {
                    warn!(record = %step.record_id, %error, "cannot queue the step's notice; will retry");
                    all = false;
                }
            }
            if all {
                store.transaction(|tx| tx.step_notice_handed(&step.record_id, &step.event_id))?;
                handed += notices.len();
            }
        }
        Ok(handed)
    }
}

/// The notices of one step taken: one per recipient its program names, with no personal data
/// (the unit, the step and the status, the time; the link leads to the person).
fn step_notices(
    program: &Program,
    step: &StepNotice,
    jurisdictions: &Jurisdictions,
) -> Vec<AlertNotice> {
    let Some(transition) = program.transition(&step.action) else {
        return Vec::new();
    };
    let unit_name = jurisdictions
        .full_name(&step.unit)
        .unwrap_or_else(|| step.unit.clone());
    let to = program
        .status_label(&transition.to, Lang::Zh)
        .unwrap_or(&transition.to);
    let title = format!(
        "{}：{unit_name} 1 人{}（{to}）",
        program.name().get(Lang::Zh),
        transition.label.get(Lang::Zh)
    );
    let at = jiff::Timestamp::from_millisecond(step.at_ms)
        .map(|t| {
            t.to_zoned(outpost_shared::program::shanghai())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let told: Vec<String> = transition
        .notify
        .iter()
        .map(|r| program.recipient_label(r, Lang::Zh))
        .collect();
    let lines = vec![
        format!("流程：{}", program.name().get(Lang::Zh)),
        format!("操作：{}，{at}", transition.label.get(Lang::Zh)),
        format!("单位：{unit_name}"),
        format!("已通知：{}", told.join("、")),
    ];
    transition
        .notify
        .iter()
        .map(|recipient| AlertNotice {
            idempotency_key: format!(
                "step:{}:{}:{}",
                step.record_id,
                step.event_id,
                recipient.code()
            ),
            unit: alert::recipient_unit(&step.unit, recipient),
            recipient: recipient.code(),
            title: title.clone(),
            lines: lines.clone(),
            alert_id: step.record_id.clone(),
            link: format!("people/{}", step.record_id),
        })
        .collect()
}

/// Notes each step taken on the record that its program tells someone about at once; a step
/// already noted (the record read again) is not noted twice.
pub(super) fn note_steps(
    tx: &mut dyn StoreTx,
    program: &Program,
    record: &RecordId,
    state: &RecordState,
) -> Result<(), LedgerError> {
    for (action, stamp) in &state.steps_taken {
        if program
            .transition(action)
            .is_none_or(|step| step.notify.is_empty())
        {
            continue;
        }
        tx.insert_step_notice(&StepNotice {
            record_id: record.as_str().to_owned(),
            event_id: stamp.event.as_str().to_owned(),
            program: program.id().to_owned(),
            action: action.clone(),
            unit: state.unit.clone().unwrap_or_default(),
            at_ms: i64::try_from(stamp.at.wall_ms).unwrap_or(i64::MAX),
        })?;
    }
    Ok(())
}
