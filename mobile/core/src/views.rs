//! What the screens show, built from the replica: task lists grouped by task with their
//! deadlines, the person detail, the forms' program view, unit pickers, review items and
//! reminders. Labels come in the user's language; lists carry masked personal data only.

use std::collections::{BTreeMap, BTreeSet};

use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::identity::{mask_id_number, mask_name, mask_phone};
use outpost_shared::jurisdiction::Level;
use outpost_shared::program::{self, FieldType, NoteRule, OutcomeNode, Program, Status};
use outpost_shared::record::{
    Action, Event, RecordId, RecordKind, ReviewMark, ReviewReason, TaskStatus,
};
use outpost_shared::replica::{RecordSummary, Replica, ReplicaError, SearchQuery};
use outpost_shared::task::{self, Member, Satisfaction, command::SUPPLEMENTARY_OF};
use serde::{Deserialize, Serialize};

use crate::transfer_chain::wristbands::PersonChain;
use crate::{AppCore, AppError};

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
pub struct ChoiceView {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldView {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: String,
    pub value: Option<String>,
    pub options: Vec<ChoiceView>,
    pub display: Option<String>,
    pub required: bool,
    pub personal: bool,
    pub editable: bool,
    pub conflicting: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerView {
    pub outcome: Vec<String>,
    pub label: String,
    pub note: Option<String>,
    pub report_to_cdc: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub at_ms: i64,
    pub label: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewNote {
    pub reason: String,
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonDetail {
    pub record_id: String,
    pub program: String,
    pub unit: String,
    pub unit_name: String,
    pub batch: Option<String>,
    pub status: String,
    pub status_label: String,
    pub fields: Vec<FieldView>,
    pub answer: Option<AnswerView>,
    pub allowed: Vec<String>,
    pub history: Vec<HistoryEntry>,
    pub reviews: Vec<ReviewNote>,
    pub supplementary_of: Option<String>,
    /// Wristband, its history, the issue log and boardings (seed 003's transfer chain).
    #[serde(flatten)]
    pub chain: PersonChain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeView {
    pub code: String,
    pub label: String,
    pub note: &'static str,
    pub note_hint: Option<String>,
    pub report_to_cdc: bool,
    pub forward: bool,
    pub children: Vec<OutcomeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramView {
    pub id: String,
    pub name: String,
    pub note_label: String,
    pub dispatch_level: String,
    pub actions: Vec<String>,
    pub outcomes: Vec<OutcomeView>,
    pub fields: Vec<FieldView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UnitsInput {
    pub level: String,
    #[serde(default)]
    pub within: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitNode {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    pub record_id: String,
    /// person, transfer or supply_ledger
    pub kind: String,
    pub masked_name: String,
    pub notes: Vec<ReviewNote>,
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
    let wanted = match status {
        TaskStatus::Unclaimed => Status::Pending,
        TaskStatus::Claimed => Status::Claimed,
        TaskStatus::Answered => Status::Answered,
    };
    program
        .status_label(wanted, lang)
        .map(str::to_owned)
        .unwrap_or_else(|| match (status, lang) {
            (TaskStatus::Unclaimed, Lang::Zh) => "待认领".into(),
            (TaskStatus::Claimed, Lang::Zh) => "已认领待反馈".into(),
            (TaskStatus::Answered, Lang::Zh) => "已反馈".into(),
            (other, Lang::En) => other.code().into(),
        })
}

/// The labels of an outcome path, root to leaf, joined with " / ", and whether any level asks
/// for a report to CDC.
fn outcome_text(program: &Program, codes: &[String], lang: Lang) -> (String, bool) {
    let mut labels = Vec::new();
    let mut report = false;
    let mut level: &[OutcomeNode] = program.outcomes().roots();
    for code in codes {
        match level.iter().find(|n| &n.code == code) {
            Some(node) => {
                labels.push(node.label.get(lang).to_owned());
                report |= node.report_to_cdc;
                level = &node.children;
            }
            None => {
                labels.push(code.clone());
                level = &[];
            }
        }
    }
    (labels.join(" / "), report)
}

fn note_rule(rule: NoteRule) -> &'static str {
    match rule {
        NoteRule::Required => "required",
        NoteRule::Optional => "optional",
        NoteRule::Absent => "none",
    }
}

fn outcome_view(node: &OutcomeNode, lang: Lang) -> OutcomeView {
    OutcomeView {
        code: node.code.clone(),
        label: node.label.get(lang).to_owned(),
        note: note_rule(node.note),
        note_hint: node.note_hint.as_ref().map(|h| h.get(lang).to_owned()),
        report_to_cdc: node.report_to_cdc,
        forward: node.forward,
        children: node
            .children
            .iter()
            .map(|c| outcome_view(c, lang))
            .collect(),
    }
}

fn boolean_label(value: &str, lang: Lang) -> Option<String> {
    match (value, lang) {
        ("true", Lang::Zh) => Some("是".into()),
        ("false", Lang::Zh) => Some("否".into()),
        ("true", Lang::En) => Some("Yes".into()),
        ("false", Lang::En) => Some("No".into()),
        _ => None,
    }
}

/// A person's standing members of one task, and the first deadline that still binds them.
fn task_deadline(
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

/// Describes a review mark as the reason and the competing versions.
pub(crate) fn review_note(
    core: &AppCore,
    program: Option<&Program>,
    mark: &ReviewMark,
) -> ReviewNote {
    let lang = core.lang();
    let unit = |code: &str| core.unit_label(code);
    let path = |codes: &[String]| match program {
        Some(p) => outcome_text(p, codes, lang).0,
        None => codes.join(" / "),
    };
    let versions = match &mark.reason {
        ReviewReason::ConcurrentClaims { kept, also } => {
            vec![kept.as_str().to_owned(), also.as_str().to_owned()]
        }
        ReviewReason::ConcurrentAnswers {
            kept,
            kept_by,
            also,
            also_by,
        } => vec![
            format!("{}（{}）", path(kept), kept_by.as_str()),
            format!("{}（{}）", path(also), also_by.as_str()),
        ],
        ReviewReason::ConcurrentReassignments {
            kept_unit,
            also_unit,
        } => {
            vec![unit(kept_unit), unit(also_unit)]
        }
        ReviewReason::ActionOnFormerUnit {
            former_unit,
            current_unit,
            ..
        } => {
            vec![unit(former_unit), unit(current_unit)]
        }
        ReviewReason::ReassignedOverUnseenWork {
            from_unit, to_unit, ..
        } => {
            vec![unit(from_unit), unit(to_unit)]
        }
        ReviewReason::ConcurrentTagBindings { kept, also } => vec![kept.clone(), also.clone()],
        // Each other person by masked name, so the reviewer sees who else wears the band.
        ReviewReason::TagBoundToSeveralRecords { tag, others } => std::iter::once(tag.clone())
            .chain(others.iter().map(|id| {
                let name = core.masked_name_of(id);
                if name.is_empty() { id.clone() } else { name }
            }))
            .collect(),
        ReviewReason::ScannedAfterRollClosed { person, .. } => vec![core.masked_name_of(person)],
        ReviewReason::ActionOnCancelledTransfer { by, .. } => vec![by.as_str().to_owned()],
        ReviewReason::StockBelowZero { item, stock } => vec![item.clone(), stock.to_string()],
        ReviewReason::ConcurrentFieldEdits { values, .. } => values.clone(),
        ReviewReason::UnreadableEvent { event, .. } => vec![event.clone()],
    };
    ReviewNote {
        reason: mark.reason.describe(lang),
        versions,
    }
}

fn history_label(core: &AppCore, program: &Program, action: &Action) -> String {
    let lang = core.lang();
    let zh = lang == Lang::Zh;
    match action {
        Action::Dispatched { unit, .. } => {
            if zh {
                format!("派发至 {}", core.unit_label(unit))
            } else {
                format!("Dispatched to {}", core.unit_label(unit))
            }
        }
        Action::Claimed => {
            if zh {
                "认领".into()
            } else {
                "Claimed".into()
            }
        }
        Action::Answered { outcome, note } => {
            let (text, _) = outcome_text(program, outcome, lang);
            let note = note
                .as_deref()
                .map(|n| format!("（{n}）"))
                .unwrap_or_default();
            if zh {
                format!("反馈：{text}{note}")
            } else {
                format!("Answered: {text}{note}")
            }
        }
        Action::Reassigned { to_unit, .. } => {
            if zh {
                format!("改派至 {}", core.unit_label(to_unit))
            } else {
                format!("Moved to {}", core.unit_label(to_unit))
            }
        }
        Action::Forwarded { to_unit, .. } => {
            if zh {
                format!("转发至 {}", core.unit_label(to_unit))
            } else {
                format!("Forwarded to {}", core.unit_label(to_unit))
            }
        }
        Action::CdcJudged { accepted, .. } => match (accepted, zh) {
            (true, true) => "疾控判定：纳入".into(),
            (false, true) => "疾控判定：不纳入".into(),
            (true, false) => "CDC: accepted".into(),
            (false, false) => "CDC: excluded".into(),
        },
        other => crate::transfer_chain::history_label(core, other)
            .unwrap_or_else(|| other.kind().describe(lang)),
    }
}

fn wall_ms(event: &Event) -> i64 {
    i64::try_from(event.at.wall_ms).unwrap_or(i64::MAX)
}

/// The digits of a query typed as a phone tail or ID fragment (full-width digits accepted).
fn digits_only(text: &str) -> Option<String> {
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

    fn person_row(&self, program: &Program, row: &RecordSummary) -> PersonRow {
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
        let mut groups: Vec<TaskGroup> = Vec::new();
        for (mut group, rows) in self.task_groups(program)? {
            group.persons = rows
                .iter()
                .filter(|r| r.status == wanted)
                .filter(|r| matching.as_ref().is_none_or(|ids| ids.contains(&r.id)))
                .map(|r| self.person_row(program, r))
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

    fn field_views(
        &self,
        program: &Program,
        values: &BTreeMap<String, outpost_shared::record::FieldValue>,
    ) -> Vec<FieldView> {
        let lang = self.lang();
        let dispatch_key = program.dispatch().field.clone();
        program
            .fields()
            .iter()
            .map(|field| {
                let value = values.get(&field.key);
                let text = value.map(|v| v.value.clone());
                let (options, display) = match &field.field_type {
                    FieldType::Choice { options } => {
                        let views: Vec<ChoiceView> = options
                            .iter()
                            .map(|o| ChoiceView {
                                code: o.code.clone(),
                                label: o.label.get(lang).to_owned(),
                            })
                            .collect();
                        let display = text.as_ref().map(|t| {
                            views
                                .iter()
                                .find(|o| &o.code == t)
                                .map_or_else(|| t.clone(), |o| o.label.clone())
                        });
                        (views, display)
                    }
                    FieldType::Boolean => (
                        ["true", "false"]
                            .iter()
                            .filter_map(|code| {
                                boolean_label(code, lang).map(|label| ChoiceView {
                                    code: (*code).to_owned(),
                                    label,
                                })
                            })
                            .collect(),
                        text.as_deref().and_then(|t| boolean_label(t, lang)),
                    ),
                    FieldType::Jurisdiction => (
                        Vec::new(),
                        text.as_deref().map(|code| {
                            self.jurisdictions()
                                .full_name_in(code, lang)
                                .unwrap_or_else(|| code.to_owned())
                        }),
                    ),
                    _ => (Vec::new(), text.clone()),
                };
                FieldView {
                    key: field.key.clone(),
                    label: field.label.get(lang).to_owned(),
                    field_type: field.field_type.code().to_owned(),
                    value: text,
                    options,
                    display,
                    required: field.required,
                    personal: field.personal,
                    // The dispatch key moves only by reassigning or forwarding (which start a new
                    // task); system-set fields (the batch) are never typed.
                    editable: field.set_by.is_none() && field.key != dispatch_key,
                    conflicting: value.map(|v| v.conflicting.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The detail screen: full personal data, history, reviews and what may be done now.
    pub fn person(&self, record_id: &str) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let id = RecordId::new(record_id).map_err(|_| AppError::not_found(lang))?;
        let session = self.session()?;
        let record = session
            .replica
            .load(&id)
            .map_err(|e| AppError::replica(lang, e))?
            .ok_or_else(|| AppError::not_found(lang))?;
        let program = self.program(record.program())?;
        let fields = record.fields();
        let state = record.state_with_fields(&fields);
        let (mut events, _) = record.events();
        events.sort_by(|a, b| a.at.cmp(&b.at));
        let unit = state.unit.clone().unwrap_or_default();
        let supplementary_of = fields.get(SUPPLEMENTARY_OF).map(|f| f.value.clone());
        let role = self.account()?.role.clone();
        let mut allowed = Vec::new();
        let allows = |action: program::Action| program.allows(action);
        if allows(program::Action::Claim) && state.status == TaskStatus::Unclaimed {
            allowed.push("claim");
        }
        if allows(program::Action::Answer) && state.unit.is_some() {
            allowed.push("answer");
        }
        if allows(program::Action::Reassign) {
            allowed.push("reassign");
        }
        if allows(program::Action::Forward) {
            allowed.push("forward");
        }
        if allows(program::Action::AddSupplementary) && supplementary_of.is_none() {
            allowed.push("add_supplementary");
        }
        if allows(program::Action::CdcJudge)
            && role == "cdc"
            && supplementary_of.is_some()
            && state.cdc_judgement.is_none()
        {
            allowed.push("cdc_judge");
        }
        allowed.push("correct");
        let answer = state.answer.as_ref().map(|a| {
            let (label, report_to_cdc) = outcome_text(program, &a.outcome, lang);
            AnswerView {
                outcome: a.outcome.clone(),
                label,
                note: a.note.clone(),
                report_to_cdc,
            }
        });
        Ok(PersonDetail {
            record_id: id.as_str().to_owned(),
            program: program.id().to_owned(),
            unit_name: self.unit_label(&unit),
            unit,
            batch: state.batch.clone(),
            status: state.status.code().to_owned(),
            status_label: status_label(program, state.status, lang),
            fields: self.field_views(program, &fields),
            answer,
            allowed: allowed.into_iter().map(str::to_owned).collect(),
            history: events
                .iter()
                .map(|e| HistoryEntry {
                    at_ms: wall_ms(e),
                    label: history_label(self, program, &e.action),
                    user: e.user.as_str().to_owned(),
                })
                .collect(),
            reviews: state
                .reviews
                .iter()
                .map(|m| review_note(self, Some(program), m))
                .collect(),
            supplementary_of,
            chain: self.person_chain(&record),
        })
    }

    /// What the forms need of a program.
    pub fn program_view(&self, program: &str) -> Result<ProgramView, AppError> {
        let lang = self.lang();
        let program = self.program(program)?;
        Ok(ProgramView {
            id: program.id().to_owned(),
            name: program.name().get(lang).to_owned(),
            note_label: program.note_label().get(lang).to_owned(),
            dispatch_level: program.dispatch().level.code().to_owned(),
            actions: program
                .actions()
                .iter()
                .map(|a| a.code().to_owned())
                .collect(),
            outcomes: program
                .outcomes()
                .roots()
                .iter()
                .map(|n| outcome_view(n, lang))
                .collect(),
            fields: self.field_views(program, &BTreeMap::new()),
        })
    }

    /// Units at a level (town or community), optionally under one unit, for pickers.
    pub fn units(&self, input: &UnitsInput) -> Result<Vec<UnitNode>, AppError> {
        let lang = self.lang();
        let level = match input.level.as_str() {
            "town" => Level::Town,
            "community" => Level::Community,
            "district" => Level::District,
            other => {
                return Err(AppError::bad_input(
                    lang,
                    format!("未知的层级 {other}"),
                    format!("Unknown level {other}"),
                ));
            }
        };
        let within = input.within.as_deref().filter(|w| !w.is_empty());
        let mut units: Vec<UnitNode> = self
            .jurisdictions()
            .units_at(level)
            .into_iter()
            .filter(|u| within.is_none_or(|w| self.jurisdictions().is_within(&u.code, w)))
            .map(|u| UnitNode {
                code: u.code.clone(),
                name: u.name_in(lang).to_owned(),
                full_name: self
                    .jurisdictions()
                    .full_name_in(&u.code, lang)
                    .unwrap_or_else(|| u.name.clone()),
                level: input.level.clone(),
            })
            .collect();
        units.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(units)
    }

    /// Records that need review (concurrent, incompatible edits), with both versions.
    pub fn reviews(&self) -> Result<Vec<ReviewItem>, AppError> {
        let lang = self.lang();
        let session = self.session()?;
        let items = session
            .replica
            .review_items(500)
            .map_err(|e| AppError::replica(lang, e))?;
        Ok(items
            .into_iter()
            .map(|(summary, marks)| {
                let program = self.program(&summary.program).ok();
                ReviewItem {
                    kind: summary.kind.code().to_owned(),
                    masked_name: summary.name.as_deref().map(mask_name).unwrap_or_default(),
                    notes: marks
                        .iter()
                        .map(|m| review_note(self, program, m))
                        .collect(),
                    record_id: summary.id,
                }
            })
            .collect())
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
