//! What the task screens show, built from the replica: task lists grouped by task with their
//! deadlines, tab counts and reminders. The person detail, the forms' program view, unit pickers
//! and review items are in `person`. Labels come in the user's language; lists carry masked
//! personal data only.

use std::collections::{BTreeMap, BTreeSet};

use outpost_shared::console;
use outpost_shared::i18n::Lang;
use outpost_shared::identity::{mask_id_number, mask_name, mask_phone};
use outpost_shared::program::Program;
use outpost_shared::record::{RecordKind, TaskStatus};
use outpost_shared::replica::{RecordSummary, Replica, ReplicaError, SearchQuery};
use outpost_shared::task::{self, Member, Satisfaction};
use serde::{Deserialize, Serialize};

use crate::{AppCore, AppError};

mod history;
mod person;
mod problems;

pub(crate) use history::review_note;
pub use person::*;
pub use problems::SyncProblemView;

/// The most records a list screen considers: a town's or community's whole share of a large
/// outbreak fits; beyond it lists page by search.
const LIST_LIMIT: usize = 20_000;
/// Reminders cover deadlines due within this window, and every overdue one.
const REMINDER_WINDOW_MS: i64 = 30 * 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    Unclaimed,
    Claimed,
    Answered,
}

impl Tab {
    fn status(self) -> TaskStatus {
        match self {
            Tab::Unclaimed => TaskStatus::Unclaimed,
            Tab::Claimed => TaskStatus::Claimed,
            Tab::Answered => TaskStatus::Answered,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TabCounts {
    pub unclaimed: u64,
    pub claimed: u64,
    pub answered: u64,
    /// Tasks whose deadline has passed with the work not done.
    pub overdue: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub label: String,
    pub due_ms: i64,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRow {
    pub record_id: String,
    pub masked_name: String,
    pub masked_phone: String,
    pub masked_id_number: String,
    pub status: String,
    pub status_label: String,
    pub outcome_label: Option<String>,
    pub needs_review: bool,
    pub report_to_cdc: bool,
    /// 无法读取，已报告, or the server's refusal of this device's changes.
    pub sync_problem: Option<SyncProblemView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskGroup {
    pub task_id: String,
    pub batch: Option<String>,
    pub unit: String,
    pub unit_name: String,
    pub dispatched_at_ms: Option<i64>,
    pub deadline: Option<Deadline>,
    pub persons: Vec<PersonRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TasksInput {
    pub program: String,
    pub tab: Tab,
    #[serde(default)]
    pub query: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub task_id: String,
    pub unit_name: String,
    pub label: String,
    pub due_ms: i64,
    pub overdue: bool,
    pub persons: usize,
}

/// The programs the replica holds person records of.
pub(crate) fn programs_held(replica: &Replica) -> Result<Vec<String>, ReplicaError> {
    replica.programs()
}

/// Maps the shared task status onto the program's label for it.
pub(crate) fn status_label(program: &Program, status: TaskStatus, lang: Lang) -> String {
    workflow_status_label(program, status.core_status(), lang)
}

/// A workflow status (a core status or one a declared step reached) in the program's words.
pub(crate) fn workflow_status_label(program: &Program, code: &str, lang: Lang) -> String {
    console::workflow_status_text(program, code)
        .get(lang)
        .to_owned()
}

/// The labels of an outcome path, root to leaf, joined with " / ", and whether any level asks
/// A person's standing members of one task, and the first deadline that still binds them.
pub(super) fn task_deadline(
    program: &Program,
    members: &[Member],
    now_ms: i64,
    lang: Lang,
) -> Option<Deadline> {
    let mut best: Option<Deadline> = None;
    for rule in program.deadlines() {
        let Some(condition) = rule.until() else {
            continue;
        };
        if task::satisfaction(members, condition) != Satisfaction::Open {
            continue;
        }
        let Some(anchor) = task::anchor_ms(members, rule.anchor()) else {
            continue;
        };
        let Ok(steps) = task::plan_steps(rule, anchor, None) else {
            continue;
        };
        let Some(first) = steps.first() else {
            continue;
        };
        let candidate = Deadline {
            label: rule.label().get(lang).to_owned(),
            due_ms: first.due_ms,
            overdue: first.due_ms <= now_ms,
        };
        if best.as_ref().is_none_or(|b| candidate.due_ms < b.due_ms) {
            best = Some(candidate);
        }
    }
    best
}

pub(super) fn digits_only(text: &str) -> Option<String> {
    let normal: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'ｘ' | 'Ｘ' | 'x' => 'X',
            other => other,
        })
        .collect();
    let digits = normal.chars().all(|c| c.is_ascii_digit() || c == 'X');
    (digits && !normal.is_empty()).then_some(normal)
}

impl AppCore {
    pub(crate) fn unit_label(&self, code: &str) -> String {
        self.jurisdictions()
            .get(code)
            .map_or_else(|| code.to_owned(), |u| u.name_in(self.lang()).to_owned())
    }

    /// Every person record of `program` in this user's unit (and below).
    fn persons_of(&self, program: &str) -> Result<Vec<RecordSummary>, AppError> {
        let unit = self.account()?.unit.clone();
        let session = self.session()?;
        let rows = session
            .replica
            .list(&unit, None, LIST_LIMIT, 0)
            .map_err(|e| AppError::replica(self.lang(), e))?;
        Ok(rows
            .into_iter()
            .filter(|r| r.kind == RecordKind::Person && r.program == program)
            .collect())
    }

    /// Record ids matching what was typed in the search box; `None` for an empty query.
    fn matching(&self, query: &str) -> Result<Option<BTreeSet<String>>, AppError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(None);
        }
        let session = self.session()?;
        let mut searches = Vec::new();
        match digits_only(query) {
            Some(digits) => {
                if digits.len() <= 11 && !digits.contains('X') {
                    searches.push(SearchQuery::PhoneTail(digits.clone()));
                }
                if digits.len() >= 3 {
                    searches.push(SearchQuery::IdFragment(digits));
                }
            }
            None => searches.push(SearchQuery::Name(query.to_owned())),
        }
        let mut ids = BTreeSet::new();
        for search in searches {
            match session.replica.search(&search, LIST_LIMIT) {
                Ok(rows) => ids.extend(rows.into_iter().map(|r| r.id)),
                Err(ReplicaError::Search(e)) => {
                    return Err(AppError::described(
                        crate::ErrorCode::BadInput,
                        self.lang(),
                        &e,
                    ));
                }
                Err(e) => return Err(AppError::replica(self.lang(), e)),
            }
        }
        Ok(Some(ids))
    }

    fn person_row(
        &self,
        program: &Program,
        row: &RecordSummary,
        problems: &BTreeMap<String, SyncProblemView>,
    ) -> PersonRow {
        let lang = self.lang();
        let (outcome_label, report_to_cdc) = match &row.outcome {
            Some(codes) if row.status == TaskStatus::Answered => {
                let (label, report) = outcome_text(program, codes, lang);
                (Some(label), report)
            }
            _ => (None, false),
        };
        PersonRow {
            record_id: row.id.clone(),
            masked_name: row.name.as_deref().map(mask_name).unwrap_or_default(),
            masked_phone: row.phone.as_deref().map(mask_phone).unwrap_or_default(),
            masked_id_number: row
                .id_number
                .as_deref()
                .map(mask_id_number)
                .unwrap_or_default(),
            status: row.status.code().to_owned(),
            status_label: status_label(program, row.status, lang),
            outcome_label,
            needs_review: row.review_count > 0,
            report_to_cdc,
            sync_problem: problems.get(&row.id).cloned(),
        }
    }

    /// Every task of `program` in this user's unit with its persons and its binding deadline.
    fn task_groups(
        &self,
        program: &Program,
    ) -> Result<Vec<(TaskGroup, Vec<RecordSummary>)>, AppError> {
        let now = self.now_ms();
        let mut by_task: BTreeMap<String, Vec<RecordSummary>> = BTreeMap::new();
        for row in self.persons_of(program.id())? {
            let Some(task_id) = row.task_id.clone() else {
                continue;
            };
            by_task.entry(task_id).or_default().push(row);
        }
        let mut groups = Vec::new();
        for (task_id, rows) in by_task {
            let members: Vec<Member> = rows.iter().filter_map(|r| r.member.clone()).collect();
            let unit = rows
                .first()
                .and_then(|r| r.unit.clone())
                .unwrap_or_default();
            let group = TaskGroup {
                task_id,
                batch: rows.first().and_then(|r| r.batch.clone()),
                unit_name: self.unit_label(&unit),
                unit,
                dispatched_at_ms: rows.iter().filter_map(|r| r.assigned_at_ms).min(),
                deadline: task_deadline(program, &members, now, self.lang()),
                persons: Vec::new(),
            };
            groups.push((group, rows));
        }
        Ok(groups)
    }

    pub fn task_counts(&self, program: &str) -> Result<TabCounts, AppError> {
        let program = self.program(program)?;
        let mut counts = TabCounts {
            unclaimed: 0,
            claimed: 0,
            answered: 0,
            overdue: 0,
        };
        for (group, rows) in self.task_groups(program)? {
            if group.deadline.as_ref().is_some_and(|d| d.overdue) {
                counts.overdue += 1;
            }
            for row in rows {
                match row.status {
                    TaskStatus::Unclaimed => counts.unclaimed += 1,
                    TaskStatus::Claimed => counts.claimed += 1,
                    TaskStatus::Answered => counts.answered += 1,
                }
            }
        }
        Ok(counts)
    }

    /// One tab of the task list: persons grouped by task, overdue and soonest due first.
    pub fn tasks(&self, input: &TasksInput) -> Result<Vec<TaskGroup>, AppError> {
        let program = self.program(&input.program)?;
        let matching = self.matching(&input.query)?;
        let wanted = input.tab.status();
        let problems = self.sync_problem_views()?;
        let mut groups: Vec<TaskGroup> = Vec::new();
        for (mut group, rows) in self.task_groups(program)? {
            group.persons = rows
                .iter()
                .filter(|r| r.status == wanted)
                .filter(|r| matching.as_ref().is_none_or(|ids| ids.contains(&r.id)))
                .map(|r| self.person_row(program, r, &problems))
                .collect();
            if !group.persons.is_empty() {
                groups.push(group);
            }
        }
        groups.sort_by_key(|g| {
            (
                g.deadline.as_ref().map_or(i64::MAX, |d| d.due_ms),
                g.dispatched_at_ms.unwrap_or(i64::MAX),
            )
        });
        Ok(groups)
    }

    /// Deadlines of this user's tasks due within 30 minutes or already overdue.
    pub fn reminders(&self) -> Result<Vec<Reminder>, AppError> {
        let now = self.now_ms();
        let mut reminders = Vec::new();
        for summary in self.user_programs() {
            let program = self.program(&summary.id)?;
            for (group, rows) in self.task_groups(program)? {
                if let Some(deadline) = group.deadline
                    && deadline.due_ms <= now + REMINDER_WINDOW_MS
                {
                    reminders.push(Reminder {
                        task_id: group.task_id,
                        unit_name: group.unit_name,
                        label: deadline.label,
                        due_ms: deadline.due_ms,
                        overdue: deadline.overdue,
                        persons: rows.len(),
                    });
                }
            }
        }
        reminders.sort_by_key(|r| r.due_ms);
        Ok(reminders)
    }
}

#[cfg(test)]
mod tests {
    use super::digits_only;

    #[test]
    fn digits_typed_on_chinese_keyboards_are_recognised() {
        assert_eq!(digits_only("１２３４"), Some("1234".into()));
        assert_eq!(digits_only(" 4401 15x"), Some("440115X".into()));
        assert_eq!(digits_only("李明"), None);
        assert_eq!(digits_only(""), None);
    }
}
