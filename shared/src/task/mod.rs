//! Tasks (任务): the persons of one import batch that went to one unit together, and the
//! machinery that keeps them moving — who may do what to a person ([`command`]), how far a task
//! has got ([`TaskKey`], [`Member`], [`Satisfaction`]), when its deadlines fall due
//! ([`plan_steps`]) and the alert records raised when they pass ([`alert`]).
//!
//! A task is not a document of its own: it is derived from the persons' records, so it can never
//! disagree with them. A person's task is (program, batch, unit) while the person is where the
//! import sent them; a person moved to another unit (修改所属镇街, 转发) starts a new task there
//! with fresh clocks, keyed by the move itself (seed 000 §2.5: "生成一个新的任务派发到对应镇街").
//!
//! Everything here is pure: the server's deadline engine and the app's offline reminders call the
//! same functions with their own clock.

pub mod alert;
pub mod command;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod transition_tests;

use serde::{Deserialize, Serialize};

use crate::program::{Anchor, Condition, DeadlineError, DeadlineRule};
use crate::record::{EventId, RecordId, RecordState, TaskStatus};

/// Identifies a task (任务).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskKey {
    pub program: String,
    /// The import batch (批次号); empty for records created without one.
    pub batch: String,
    /// The unit (jurisdiction code) holding the task.
    pub unit: String,
    /// The move (reassignment or forwarding) that brought the person here; `None` for the
    /// import's own dispatch.
    pub moved_by: Option<EventId>,
}

impl TaskKey {
    /// The task a record belongs to now; `None` before it is dispatched anywhere.
    pub fn of(program: &str, state: &RecordState) -> Option<TaskKey> {
        let unit = state.unit.clone()?;
        let moved_by = if state.former_units.is_empty() {
            None
        } else {
            state.assigned.as_ref().map(|stamp| stamp.event.clone())
        };
        Some(TaskKey {
            program: program.to_owned(),
            batch: state.batch.clone().unwrap_or_default(),
            unit,
            moved_by,
        })
    }

    /// A stable text key for storage and idempotency keys. Programs, batches, units and event
    /// ids never contain `/`.
    pub fn id(&self) -> String {
        match &self.moved_by {
            None => format!("{}/{}/{}", self.program, self.batch, self.unit),
            Some(event) => format!("{}/{}/{}/{}", self.program, self.batch, self.unit, event),
        }
    }
}

/// One person's standing within their current task, as the deadline engine tracks it. Times
/// are the device's (HLC wall time): work done offline counts from when it was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub record: RecordId,
    pub task: TaskKey,
    /// When the task reached this unit (派发 or the move).
    pub assigned_ms: i64,
    pub claimed_ms: Option<i64>,
    pub answered_ms: Option<i64>,
    pub cdc_judged_ms: Option<i64>,
    pub supplies_ms: Option<i64>,
    pub boarded_ms: Option<i64>,
    /// The workflow status (`RecordState::status_code`) and when it was reached, for
    /// conditions on a program's declared statuses. Stored members written before statuses
    /// were declared read as pending since assignment.
    #[serde(default = "pending_code")]
    pub status: String,
    #[serde(default)]
    pub status_ms: Option<i64>,
}

fn pending_code() -> String {
    crate::program::core_status::PENDING.to_owned()
}

fn wall_ms(at: &crate::hlc::Hlc) -> i64 {
    i64::try_from(at.wall_ms).unwrap_or(i64::MAX)
}

impl Member {
    /// The member a person record makes; `None` for a record not yet dispatched.
    pub fn of(record: &RecordId, program: &str, state: &RecordState) -> Option<Member> {
        let task = TaskKey::of(program, state)?;
        let assigned_ms = state.assigned.as_ref().map_or(0, |s| wall_ms(&s.at));
        let answered_ms = match state.status {
            TaskStatus::Answered => state.answer.as_ref().map(|a| wall_ms(&a.stamp.at)),
            _ => None,
        };
        let claimed_ms = match state.status {
            TaskStatus::Unclaimed => None,
            _ => state.claim.as_ref().map(|s| wall_ms(&s.at)).or(answered_ms),
        };
        Some(Member {
            record: record.clone(),
            task,
            assigned_ms,
            claimed_ms,
            answered_ms,
            cdc_judged_ms: state.cdc_judgement.as_ref().map(|(_, s)| wall_ms(&s.at)),
            supplies_ms: state.supplies.iter().map(|s| wall_ms(&s.stamp.at)).min(),
            boarded_ms: state.boarded.iter().map(|(_, s)| wall_ms(&s.at)).min(),
            status: state.status_code.clone(),
            status_ms: state.status_since.as_ref().map(|s| wall_ms(&s.at)),
        })
    }

    /// When this member met `condition`, if they have.
    pub fn done_ms(&self, condition: &Condition) -> Option<i64> {
        match condition {
            Condition::Claimed => self.claimed_ms,
            Condition::AllAnswered => self.answered_ms,
            Condition::CdcJudged => self.cdc_judged_ms,
            Condition::SuppliesIssued => self.supplies_ms,
            Condition::Boarded => self.boarded_ms,
            Condition::StatusIn(codes) => codes
                .contains(&self.status)
                .then(|| self.status_ms.unwrap_or(self.assigned_ms)),
        }
    }
}

/// Whether a task meets a condition (任务完成情况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Satisfaction {
    /// Some members have not met it yet.
    Open,
    /// Every member met it; the time is when the last of them did.
    Done(i64),
    /// The task has no members left (all moved elsewhere): nothing is owed.
    Empty,
}

/// Whether the `members` of one task meet `condition`.
pub fn satisfaction(members: &[Member], condition: &Condition) -> Satisfaction {
    if members.is_empty() {
        return Satisfaction::Empty;
    }
    let mut last = i64::MIN;
    for member in members {
        match member.done_ms(condition) {
            Some(at) => last = last.max(at),
            None => return Satisfaction::Open,
        }
    }
    Satisfaction::Done(last)
}

/// The members that have not met `condition`: the persons an alert lists.
pub fn outstanding(members: &[Member], condition: Option<&Condition>) -> Vec<RecordId> {
    let mut ids: Vec<RecordId> = members
        .iter()
        .filter(|m| condition.is_none_or(|c| m.done_ms(c).is_none()))
        .map(|m| m.record.clone())
        .collect();
    ids.sort();
    ids
}

/// When an anchor event happened for a task, if it has.
pub fn anchor_ms(members: &[Member], anchor: Anchor) -> Option<i64> {
    match anchor {
        Anchor::Imported | Anchor::Dispatched => members.iter().map(|m| m.assigned_ms).min(),
        Anchor::Claimed => match satisfaction(members, &Condition::Claimed) {
            Satisfaction::Done(at) => Some(at),
            _ => None,
        },
        Anchor::Answered => match satisfaction(members, &Condition::AllAnswered) {
            Satisfaction::Done(at) => Some(at),
            _ => None,
        },
    }
}

/// One ladder step of one rule, scheduled (待触发的时限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub rule: String,
    /// The anchor for a one-off rule; the occurrence for a recurring one.
    pub occurrence_ms: i64,
    pub step: usize,
    pub due_ms: i64,
}

fn timestamp(ms: i64) -> Result<jiff::Timestamp, DeadlineError> {
    jiff::Timestamp::from_millisecond(ms).map_err(|_| DeadlineError::OutOfRange)
}

/// The steps of `rule` to schedule for a task whose anchor happened at `anchor_ms`. A one-off
/// rule gives its whole ladder. A recurring rule gives the ladder of its next occurrence after
/// `after_occurrence_ms` (or the first one after the anchor); the engine asks again when that
/// occurrence comes, so only one occurrence per task is ever stored.
pub fn plan_steps(
    rule: &DeadlineRule,
    anchor_ms: i64,
    after_occurrence_ms: Option<i64>,
) -> Result<Vec<PlannedStep>, DeadlineError> {
    let anchor = timestamp(anchor_ms)?;
    let occurrence = match rule.recurrence() {
        None => anchor,
        Some(recurrence) => {
            let after = timestamp(after_occurrence_ms.unwrap_or(anchor_ms))?;
            recurrence.next_after(anchor, after)?
        }
    };
    let occurrence_ms = occurrence.as_millisecond();
    Ok(rule
        .due_times(occurrence)?
        .into_iter()
        .enumerate()
        .map(|(step, due)| PlannedStep {
            rule: rule.id().to_owned(),
            occurrence_ms,
            step,
            due_ms: due.as_millisecond(),
        })
        .collect())
}

/// Whether a step due at `due_ms` still stands (must fire) given the task's members: false when
/// the rule's condition was met at or before the due time, or the task has emptied.
pub fn step_stands(rule: &DeadlineRule, members: &[Member], due_ms: i64) -> bool {
    match rule.until() {
        None => !members.is_empty(),
        Some(condition) => match satisfaction(members, condition) {
            Satisfaction::Open => true,
            Satisfaction::Done(at) => at > due_ms,
            Satisfaction::Empty => false,
        },
    }
}
