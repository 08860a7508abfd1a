//! Handing raised alerts to the notification outbox: one notice per recipient of the step, in
//! Chinese, with the task, the unit, the counts and a link.

use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::alert::{self, AlertFacts};
use outpost_shared::task::{Member, outstanding};
use tracing::warn;

use super::{Engine, planned, rule_of};
use crate::store::Store;
use crate::store::tasks::{DeadlineRow, TaskRow};

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
    /// The alert record, for a link.
    pub alert_id: String,
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
                link: Some(format!("alerts/{}", notice.alert_id)),
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
        Ok(handed)
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
            })
            .collect()
    }
}
