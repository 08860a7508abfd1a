//! What a worker may do to a person (操作校验): a command is checked against the program, the
//! jurisdiction tree, the user's role and the record's current state, and becomes the event to
//! append. The same check runs in the app (offline, before the event is written) and on the
//! server (for actions taken through its API), so a worker gets the same answer everywhere.
//!
//! The check judges what this replica knows; concurrent commands on other devices are settled by
//! the fold, which flags incompatible ones for review (see `record::fold`).

use std::collections::BTreeMap;

use thiserror::Error;

use crate::i18n::{Describe, Label, Lang};
use crate::jurisdiction::{Jurisdictions, Level};
use crate::program::{
    self, AnswerError, JurisdictionLevel, NoteRule, Program, Transition, ValueError, core_status,
    describe_value_error, normalise_value,
};
use crate::record::{Action, NewRecord, RecordId, RecordKind, RecordState, TaskStatus};

/// A worker's command on one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 认领
    Claim,
    /// 反馈: outcome codes from the root of the program's tree to a leaf, and the note.
    Answer {
        outcome: Vec<String>,
        note: Option<String>,
    },
    /// 修改所属单位 (W1: 修改所属镇街)
    Reassign {
        to_unit: String,
        reason: Option<String>,
    },
    /// 转发 (W2)
    Forward {
        to_unit: String,
        note: Option<String>,
    },
    /// 疾控判定 of a supplementary person
    CdcJudge {
        accepted: bool,
        note: Option<String>,
    },
    /// A step the program declares (`program::Transition`): its action code, the outcome
    /// (when the step asks for one), the typed fields (key → raw text) and the note.
    Transition {
        action: String,
        outcome: Vec<String>,
        inputs: BTreeMap<String, String>,
        note: Option<String>,
    },
}

impl Command {
    /// The command an event of this kind was made from, for checking an event someone else
    /// wrote (the server admitting a push, a test acting as an app); `None` for actions that
    /// are not a worker's command on a person.
    pub fn of_action(action: &Action) -> Option<Self> {
        Some(match action {
            Action::Claimed => Command::Claim,
            Action::Answered { outcome, note } => Command::Answer {
                outcome: outcome.clone(),
                note: note.clone(),
            },
            Action::Reassigned { to_unit, reason } => Command::Reassign {
                to_unit: to_unit.clone(),
                reason: reason.clone(),
            },
            Action::Forwarded { to_unit, note } => Command::Forward {
                to_unit: to_unit.clone(),
                note: note.clone(),
            },
            Action::CdcJudged { accepted, note } => Command::CdcJudge {
                accepted: *accepted,
                note: note.clone(),
            },
            Action::Transitioned {
                action,
                outcome,
                inputs,
                note,
                ..
            } => Command::Transition {
                action: action.clone(),
                outcome: outcome.clone(),
                inputs: inputs.clone(),
                note: note.clone(),
            },
            _ => return None,
        })
    }
}

/// What a check knows of the record besides its folded state: whether it is a supplementary
/// person, and its fields' current values (for the guards of declared transitions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub supplementary: bool,
    pub fields: BTreeMap<String, String>,
}

impl Facts {
    /// The facts of a supplementary person with no fields of interest.
    pub fn supplementary() -> Self {
        Self {
            supplementary: true,
            fields: BTreeMap::new(),
        }
    }
}

/// Who is acting, and with which program and tree.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub program: &'a Program,
    pub jurisdictions: &'a Jurisdictions,
    /// The user's role (worker, leader, dispatcher, cdc, admin).
    pub role: &'a str,
}

/// Why a command cannot be carried out. Messages never contain personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("the program does not allow `{0}`")]
    NotAllowed(&'static str),
    #[error("the record has not been dispatched to any unit")]
    NotDispatched,
    #[error("the task was already claimed")]
    AlreadyClaimed,
    #[error("invalid answer: {0}")]
    Answer(AnswerError),
    #[error("unknown unit code `{0}`")]
    UnknownUnit(String),
    #[error("unit `{code}` is not a {expected}")]
    WrongLevel {
        code: String,
        expected: &'static str,
    },
    #[error("the person is already at unit `{0}`")]
    SameUnit(String),
    #[error("only a user with the `{0}` role may do this")]
    RoleRequired(&'static str),
    #[error("the person is not a supplementary person awaiting CDC judgement")]
    NotSupplementary,
    #[error("the record id is invalid")]
    BadRecordId,
    #[error("the program declares no step `{0}`")]
    UnknownTransition(String),
    #[error("`{action}` cannot be taken from status `{status}`")]
    WrongStatus {
        action: String,
        status: String,
        /// The status label, for the message.
        label: Label,
    },
    #[error("your role may not take `{action}`")]
    RoleNotAllowed { action: String, label: Label },
    #[error("`{action}` does not ask for field `{field}`")]
    UnknownInput { action: String, field: String },
    #[error("{error}")]
    Value { error: ValueError, label: Label },
    #[error("condition not met: {}", message.en)]
    Guard { message: Label },
    #[error("a note is required")]
    NoteRequired { label: Label },
}

impl Describe for CommandError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                Self::WrongStatus { label, .. } => {
                    format!("this cannot be done while the status is “{}”", label.en)
                }
                Self::RoleNotAllowed { label, .. } => {
                    format!("your role may not “{}”", label.en)
                }
                Self::Value { error, label } => describe_value_error(error, &label.en, lang),
                Self::Guard { message } => message.en.clone(),
                Self::NoteRequired { label } => format!("{} is required", label.en),
                _ => self.to_string(),
            };
        }
        match self {
            Self::NotAllowed(action) => format!("本流程不支持该操作（{action}）"),
            Self::NotDispatched => "该人员尚未派发到任何单位".into(),
            Self::AlreadyClaimed => "该任务已被认领".into(),
            Self::Answer(error) => format!("反馈内容有误：{}", error.describe(lang)),
            Self::UnknownUnit(code) => format!("未知的单位代码 {code}"),
            Self::WrongLevel { code, expected } => {
                let zh = match *expected {
                    "community" => "社区/村",
                    "town" => "镇街",
                    _ => "区",
                };
                format!("单位 {code} 不是{zh}")
            }
            Self::SameUnit(code) => format!("该人员已属于单位 {code}"),
            Self::RoleRequired(role) => match *role {
                "cdc" => "只有疾控人员可以判定".into(),
                other => format!("需要 {other} 角色"),
            },
            Self::NotSupplementary => "该人员不是待疾控判定的补充人员".into(),
            Self::BadRecordId => "记录编号无效".into(),
            Self::UnknownTransition(action) => format!("本流程没有该操作（{action}）"),
            Self::WrongStatus { label, .. } => {
                format!("当前状态为「{}」，不能进行该操作", label.zh)
            }
            Self::RoleNotAllowed { label, .. } => format!("您的角色不能进行「{}」", label.zh),
            Self::UnknownInput { field, .. } => format!("该操作不填写字段 {field}"),
            Self::Value { error, label } => describe_value_error(error, &label.zh, lang),
            Self::Guard { message } => message.zh.clone(),
            Self::NoteRequired { label } => format!("请填写{}", label.zh),
        }
    }
}

/// Field marking a supplementary person (补充人员) and the record they were added from.
pub const SUPPLEMENTARY_OF: &str = "supplementary_of";

fn level_of(level: JurisdictionLevel) -> Option<Level> {
    match level {
        JurisdictionLevel::Community => Some(Level::Community),
        JurisdictionLevel::Town => Some(Level::Town),
        JurisdictionLevel::District => Some(Level::District),
        JurisdictionLevel::City | JurisdictionLevel::Province => None,
    }
}

fn require(program: &Program, action: program::Action) -> Result<(), CommandError> {
    if program.allows(action) {
        Ok(())
    } else {
        Err(CommandError::NotAllowed(action.code()))
    }
}

/// A unit people may be moved to: known, at the program's dispatch level, not the current one.
fn check_target(
    context: &Context<'_>,
    state: &RecordState,
    to_unit: &str,
) -> Result<String, CommandError> {
    let unit = context
        .jurisdictions
        .get(to_unit.trim())
        .ok_or_else(|| CommandError::UnknownUnit(to_unit.trim().to_owned()))?;
    let wanted = context.program.dispatch().level;
    if level_of(wanted) != Some(unit.level) {
        return Err(CommandError::WrongLevel {
            code: unit.code.clone(),
            expected: wanted.code(),
        });
    }
    if state.unit.as_deref() == Some(unit.code.as_str()) {
        return Err(CommandError::SameUnit(unit.code.clone()));
    }
    Ok(unit.code.clone())
}

fn clean(note: &Option<String>) -> Option<String> {
    note.as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// Checks `command` against what this replica knows of the record; the event to append if it
/// may be carried out.
pub fn check(
    context: &Context<'_>,
    state: &RecordState,
    facts: &Facts,
    command: &Command,
) -> Result<Action, CommandError> {
    let supplementary = facts.supplementary;
    if state.unit.is_none() {
        return Err(CommandError::NotDispatched);
    }
    let program = context.program;
    // Claims and answers are the work of the core statuses; once a declared step has moved the
    // record on (居家隔离中, 已解除隔离), only the program's steps apply.
    if matches!(command, Command::Claim | Command::Answer { .. }) && !at_core_status(state) {
        return Err(CommandError::WrongStatus {
            action: match command {
                Command::Claim => "claim",
                _ => "answer",
            }
            .to_owned(),
            status: state.status_code.clone(),
            label: program.status_words(&state.status_code),
        });
    }
    match command {
        Command::Claim => {
            require(program, program::Action::Claim)?;
            if state.status != TaskStatus::Unclaimed {
                return Err(CommandError::AlreadyClaimed);
            }
            Ok(Action::Claimed)
        }
        Command::Answer { outcome, note } => {
            require(program, program::Action::Answer)?;
            let path: Vec<&str> = outcome.iter().map(String::as_str).collect();
            let answer = program
                .outcomes()
                .validate_answer(&path, note.as_deref())
                .map_err(CommandError::Answer)?;
            Ok(Action::Answered {
                outcome: answer.codes().into_iter().map(str::to_owned).collect(),
                note: answer.note,
            })
        }
        Command::Reassign { to_unit, reason } => {
            require(program, program::Action::Reassign)?;
            Ok(Action::Reassigned {
                to_unit: check_target(context, state, to_unit)?,
                reason: clean(reason),
            })
        }
        Command::Forward { to_unit, note } => {
            require(program, program::Action::Forward)?;
            Ok(Action::Forwarded {
                to_unit: check_target(context, state, to_unit)?,
                note: clean(note),
            })
        }
        Command::CdcJudge { accepted, note } => {
            require(program, program::Action::CdcJudge)?;
            if context.role != "cdc" {
                return Err(CommandError::RoleRequired("cdc"));
            }
            if !supplementary || state.cdc_judgement.is_some() {
                return Err(CommandError::NotSupplementary);
            }
            Ok(Action::CdcJudged {
                accepted: *accepted,
                note: clean(note),
            })
        }
        Command::Transition {
            action,
            outcome,
            inputs,
            note,
        } => check_transition(context, state, facts, action, outcome, inputs, note),
    }
}

/// A declared step: from the status that stands, by an allowed role, with its inputs typed by
/// their fields, its guards holding over the inputs and the record's fields, and its note (or
/// its answer along the outcome tree) as the program asks.
fn check_transition(
    context: &Context<'_>,
    state: &RecordState,
    facts: &Facts,
    action: &str,
    outcome: &[String],
    inputs: &BTreeMap<String, String>,
    note: &Option<String>,
) -> Result<Action, CommandError> {
    let program = context.program;
    let step = program
        .transition(action)
        .ok_or_else(|| CommandError::UnknownTransition(action.to_owned()))?;
    if !step.starts_from(&state.status_code) {
        return Err(CommandError::WrongStatus {
            action: action.to_owned(),
            status: state.status_code.clone(),
            label: program.status_words(&state.status_code),
        });
    }
    if !step.allows_role(context.role) {
        return Err(CommandError::RoleNotAllowed {
            action: action.to_owned(),
            label: step.label.clone(),
        });
    }
    if let Some(field) = inputs.keys().find(|key| step.input(key).is_none()) {
        return Err(CommandError::UnknownInput {
            action: action.to_owned(),
            field: field.clone(),
        });
    }
    let mut values = BTreeMap::new();
    for input in &step.inputs {
        let Some(field) = program.field(&input.field) else {
            continue;
        };
        let mut asked = field.clone();
        asked.required = input.required;
        let raw = inputs.get(&input.field).map_or("", String::as_str);
        let value = normalise_value(&asked, raw).map_err(|error| CommandError::Value {
            error,
            label: field.label.clone(),
        })?;
        if !value.is_empty() {
            values.insert(input.field.clone(), value);
        }
    }
    if let Some(guard) = step.failing_guard(program.fields(), |key| {
        values
            .get(key)
            .or_else(|| facts.fields.get(key))
            .map(String::as_str)
    }) {
        return Err(CommandError::Guard {
            message: guard.message.clone(),
        });
    }
    let (outcome, note) = if step.outcome {
        let path: Vec<&str> = outcome.iter().map(String::as_str).collect();
        let answer = program
            .outcomes()
            .validate_answer(&path, note.as_deref())
            .map_err(CommandError::Answer)?;
        let codes = answer.codes().into_iter().map(str::to_owned).collect();
        (codes, answer.note)
    } else {
        (Vec::new(), clean(note))
    };
    let note = match step.note {
        NoteRule::Required if note.is_none() => {
            return Err(CommandError::NoteRequired {
                label: program.note_label().clone(),
            });
        }
        NoteRule::Absent => None,
        NoteRule::Required | NoteRule::Optional => note,
    };
    Ok(Action::Transitioned {
        action: action.to_owned(),
        from: state.status_code.clone(),
        to: step.to.clone(),
        outcome,
        inputs: values,
        note,
    })
}

/// Whether the record's status is one the core actions reach (pending, claimed, answered).
fn at_core_status(state: &RecordState) -> bool {
    core_status::is_core(&state.status_code)
}

/// What a user may do to a record now (可进行的操作), computed once here for every screen:
/// the core actions by their codes (plus `correct`, editing fields) and the declared steps
/// whose status, role and guards allow them. `viewer_unit` is the user's unit: a record moved
/// out of it is that unit's to work on, so nothing is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available<'a> {
    pub core: Vec<&'static str>,
    pub transitions: Vec<&'a Transition>,
}

/// See [`Available`].
pub fn available<'a>(
    context: &Context<'a>,
    state: &RecordState,
    facts: &Facts,
    viewer_unit: &str,
) -> Available<'a> {
    let program = context.program;
    let here = state
        .unit
        .as_deref()
        .is_some_and(|unit| unit.starts_with(viewer_unit));
    let mut offer = Available {
        core: Vec::new(),
        transitions: Vec::new(),
    };
    if !here {
        return offer;
    }
    let allows = |action: program::Action| program.allows(action);
    let core = at_core_status(state);
    if allows(program::Action::Claim) && core && state.status == TaskStatus::Unclaimed {
        offer.core.push("claim");
    }
    if allows(program::Action::Answer) && core {
        offer.core.push("answer");
    }
    if allows(program::Action::Reassign) {
        offer.core.push("reassign");
    }
    if allows(program::Action::Forward) {
        offer.core.push("forward");
    }
    if allows(program::Action::AddSupplementary) && !facts.supplementary {
        offer.core.push("add_supplementary");
    }
    if allows(program::Action::CdcJudge)
        && context.role == "cdc"
        && facts.supplementary
        && state.cdc_judgement.is_none()
    {
        offer.core.push("cdc_judge");
    }
    offer.core.push("correct");
    offer.transitions = program
        .transitions()
        .iter()
        .filter(|step| step.starts_from(&state.status_code) && step.allows_role(context.role))
        .filter(|step| {
            // Guards on the step's own inputs are judged when it is taken.
            step.guards.iter().all(|guard| {
                step.input(&guard.field).is_some()
                    || guard.holds_in(
                        program.fields(),
                        facts.fields.get(&guard.field).map(String::as_str),
                    )
            })
        })
        .collect();
    offer
}

/// A supplementary person (补充待流调人员, W2) found while verifying `source`: a new person record
/// in the same unit and batch, marked as awaiting the CDC's judgement.
pub fn new_supplementary(
    context: &Context<'_>,
    source: &RecordId,
    source_state: &RecordState,
    id: &str,
    mut fields: Vec<(String, String)>,
) -> Result<NewRecord, CommandError> {
    require(context.program, program::Action::AddSupplementary)?;
    let unit = source_state
        .unit
        .clone()
        .ok_or(CommandError::NotDispatched)?;
    fields.retain(|(key, _)| key != SUPPLEMENTARY_OF);
    fields.push((SUPPLEMENTARY_OF.to_owned(), source.as_str().to_owned()));
    Ok(NewRecord {
        id: RecordId::new(id).map_err(|_| CommandError::BadRecordId)?,
        kind: RecordKind::Person,
        program: context.program.id().to_owned(),
        unit,
        batch: source_state.batch.clone(),
        fields,
    })
}
