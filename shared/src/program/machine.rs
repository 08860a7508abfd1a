//! The state machine a program declares (状态机): its statuses and the transitions between them.
//!
//! A transition is a worker's step that needs no Rust: an action code, the statuses it may start
//! from, the status it reaches, the roles that may take it, the fields it asks for (typed and
//! checked like every other value), guards on the record's fields ("出发地 not in 湖北、河南"),
//! whether a note is required, and a confirmation question. The outcome tree is one kind of
//! input: a transition with `outcome = true` asks for an answer along it.
//!
//! Taking a transition appends one generic event (`record::Action::Transitioned`) that names the
//! action, the status it started from and the one it reached; the fold treats every program's
//! transitions alike, and the same `task::command::check` judges them on the device and again on
//! the server. Claims, answers, moves, tags and alerts stay core actions with Rust behind them
//! (`program::workflow`); their statuses are declared in the same `[[statuses]]` list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::{ProgramError, ProgramErrorKind, Source};
use super::outcome::NoteRule;
use super::parse::RawLabel;
use super::rules::{RuleContext, recipients};
use super::{Action, Colour, Field, FieldType, Recipient, StatusDef, core_status};
use crate::console::ROLES;
use crate::i18n::Label;

/// One declared step from some statuses to another (状态流转).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The stable code stored in events, e.g. "confirm_isolation".
    pub action: String,
    /// What the button says, e.g. 确认隔离.
    pub label: Label,
    /// The statuses the step may start from.
    pub from: Vec<String>,
    /// The status it reaches.
    pub to: String,
    /// The roles that may take it; empty means every role that works on the record.
    pub roles: Vec<String>,
    /// Whether the step asks for an answer along the program's outcome tree.
    pub outcome: bool,
    /// The fields the step asks for, in the order the form shows them.
    pub inputs: Vec<TransitionInput>,
    /// Conditions on the record's fields (and the step's inputs) that must hold.
    pub guards: Vec<Guard>,
    /// Whether the step takes a note (备注).
    pub note: NoteRule,
    /// The question asked before the step is taken, if it needs a confirmation.
    pub confirm: Option<Label>,
    /// Who is told at once when the step is taken (纳入管控 → the named recipient), once per
    /// step taken; empty for most steps.
    pub notify: Vec<Recipient>,
}

impl Transition {
    /// Whether the step may start from `status`.
    pub fn starts_from(&self, status: &str) -> bool {
        self.from.iter().any(|from| from == status)
    }

    /// Whether `role` may take the step.
    pub fn allows_role(&self, role: &str) -> bool {
        self.roles.is_empty() || self.roles.iter().any(|allowed| allowed == role)
    }

    /// The input asking for `field`.
    pub fn input(&self, field: &str) -> Option<&TransitionInput> {
        self.inputs.iter().find(|input| input.field == field)
    }

    /// The first guard that does not hold for the values `value_of` gives (the step's inputs
    /// over the record's fields).
    pub fn failing_guard<'a>(
        &self,
        fields: &[Field],
        value_of: impl Fn(&str) -> Option<&'a str>,
    ) -> Option<&Guard> {
        self.guards
            .iter()
            .find(|guard| !guard.holds_in(fields, value_of(&guard.field)))
    }
}

/// A field a transition asks for (流转时填写的字段).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionInput {
    pub field: String,
    pub required: bool,
}

/// A condition on one field that a transition needs (流转条件).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guard {
    pub field: String,
    #[serde(flatten)]
    pub test: GuardTest,
    /// What the worker reads when the condition does not hold.
    pub message: Label,
}

/// What a guard asks of its field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "test", content = "values", rename_all = "snake_case")]
pub enum GuardTest {
    /// The value is one of these (for a jurisdiction field: lies within one of these units).
    In(Vec<String>),
    /// The value is none of these (within none of these units); an empty value passes.
    NotIn(Vec<String>),
    /// The field has a value.
    Set,
    /// The field has no value.
    Unset,
}

impl Guard {
    /// Whether the guard holds for `value` of its field among the program's `fields`.
    pub fn holds_in(&self, fields: &[Field], value: Option<&str>) -> bool {
        let jurisdiction = fields
            .iter()
            .find(|field| field.key == self.field)
            .is_some_and(|field| field.field_type == FieldType::Jurisdiction);
        self.holds(value, jurisdiction)
    }

    /// Whether the guard holds for `value`; `jurisdiction` compares unit codes by subtree, so
    /// that 湖北 (420000) covers every unit in Hubei.
    pub fn holds(&self, value: Option<&str>, jurisdiction: bool) -> bool {
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let matches = |entries: &[String], value: &str| {
            entries.iter().any(|entry| {
                if jurisdiction {
                    value.starts_with(unit_prefix(entry))
                } else {
                    entry == value
                }
            })
        };
        match (&self.test, value) {
            (GuardTest::Set, value) => value.is_some(),
            (GuardTest::Unset, value) => value.is_none(),
            (GuardTest::In(entries), Some(value)) => matches(entries, value),
            (GuardTest::In(_), None) => false,
            (GuardTest::NotIn(entries), Some(value)) => !matches(entries, value),
            (GuardTest::NotIn(_), None) => true,
        }
    }
}

/// The code a unit's descendants start with: a province 420000 → "42", a city 410100 → "4101";
/// a code without trailing zero pairs is its own prefix.
fn unit_prefix(code: &str) -> &str {
    let mut prefix = code.trim();
    while prefix.len() > 2
        && let Some(shorter) = prefix.strip_suffix("00")
    {
        prefix = shorter;
    }
    prefix
}

// ---------------------------------------------------------------- reading the TOML

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatus {
    #[serde(alias = "status")]
    code: Spanned<String>,
    label: RawLabel,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    colour: Colour,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    action: Spanned<String>,
    label: RawLabel,
    from: Spanned<Vec<Spanned<String>>>,
    to: Spanned<String>,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    outcome: bool,
    #[serde(default)]
    inputs: Vec<RawInput>,
    #[serde(default)]
    guards: Vec<RawGuard>,
    #[serde(default)]
    note: NoteRule,
    #[serde(default)]
    confirm: Option<RawLabel>,
    #[serde(default)]
    notify: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    field: Spanned<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuard {
    field: Spanned<String>,
    #[serde(default, rename = "in")]
    within: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    not_in: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    set: Option<Spanned<bool>>,
    message: RawLabel,
}

/// The declared statuses, checked: codes are identifiers, each once, `pending` among them, and
/// every status a listed core action reaches is labelled.
pub(super) fn build_statuses(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<RawStatus>>>,
    actions: &Spanned<Vec<Spanned<Action>>>,
) -> Result<Vec<StatusDef>, ProgramError> {
    use super::error::{Need, Position};
    let (span, raws) = match raw {
        Some(raw) => (Some(raw.span()), raw.into_inner()),
        None => (None, Vec::new()),
    };
    let mut statuses: Vec<StatusDef> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.code)?;
        if statuses.iter().any(|def| def.code == *raw.code.get_ref()) {
            return Err(src.error(
                raw.code.span(),
                ProgramErrorKind::DuplicateStatus {
                    status: raw.code.into_inner(),
                },
            ));
        }
        statuses.push(StatusDef {
            code: raw.code.into_inner(),
            label: raw.label.into(),
            terminal: raw.terminal,
            colour: raw.colour,
        });
    }
    let has = |code: &str| statuses.iter().any(|def| def.code == code);
    if !has(core_status::PENDING) {
        let kind = ProgramErrorKind::MissingStatus {
            status: core_status::PENDING.into(),
            needed_by: Need::InitialStatus,
        };
        return Err(match span {
            Some(span) => src.error(span, kind),
            None => src.error_at(Position::START, kind),
        });
    }
    for action in actions.get_ref() {
        if let Some(status) = action.get_ref().resulting_status()
            && !has(status)
        {
            return Err(src.error(
                action.span(),
                ProgramErrorKind::MissingStatus {
                    status: status.into(),
                    needed_by: Need::Action(*action.get_ref()),
                },
            ));
        }
    }
    Ok(statuses)
}

/// The declared transitions, checked against the statuses, fields, roles and core actions.
pub(super) fn build_transitions(
    src: &Source<'_>,
    raws: Vec<RawTransition>,
    statuses: &[StatusDef],
    fields: &[Field],
    ctx: &RuleContext<'_>,
) -> Result<Vec<Transition>, ProgramError> {
    let status = |code: &Spanned<String>| -> Result<&StatusDef, ProgramError> {
        statuses
            .iter()
            .find(|def| def.code == *code.get_ref())
            .ok_or_else(|| {
                src.error(
                    code.span(),
                    ProgramErrorKind::UnknownStatus {
                        status: code.get_ref().clone(),
                    },
                )
            })
    };
    let mut transitions: Vec<Transition> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.action)?;
        let action = raw.action.get_ref().clone();
        if Action::ALL.iter().any(|core| core.code() == action) {
            return Err(src.error(
                raw.action.span(),
                ProgramErrorKind::TransitionNamesCoreAction { action },
            ));
        }
        if transitions.iter().any(|t| t.action == action) {
            return Err(src.error(
                raw.action.span(),
                ProgramErrorKind::DuplicateTransition { action },
            ));
        }
        if raw.from.get_ref().is_empty() {
            return Err(src.error(
                raw.from.span(),
                ProgramErrorKind::TransitionWithoutFrom { action },
            ));
        }
        let mut from = Vec::with_capacity(raw.from.get_ref().len());
        for code in raw.from.get_ref() {
            let def = status(code)?;
            if def.terminal {
                return Err(src.error(
                    code.span(),
                    ProgramErrorKind::TransitionFromTerminal {
                        action: action.clone(),
                        status: def.code.clone(),
                    },
                ));
            }
            if !from.contains(&def.code) {
                from.push(def.code.clone());
            }
        }
        let to = status(&raw.to)?.code.clone();
        let mut roles = Vec::with_capacity(raw.roles.len());
        for role in raw.roles {
            if !ROLES.iter().any(|(code, _, _)| code == role.get_ref()) {
                return Err(src.error(
                    role.span(),
                    ProgramErrorKind::UnknownRole {
                        role: role.into_inner(),
                    },
                ));
            }
            roles.push(role.into_inner());
        }
        let mut inputs: Vec<TransitionInput> = Vec::with_capacity(raw.inputs.len());
        for input in raw.inputs {
            let key = input.field.get_ref();
            let Some(field) = fields.iter().find(|f| &f.key == key) else {
                return Err(src.error(
                    input.field.span(),
                    ProgramErrorKind::InputUnknownField { field: key.clone() },
                ));
            };
            // The unit changes by a move (a core action), a batch only by an import.
            if field.set_by.is_some() || field.field_type == FieldType::Jurisdiction {
                return Err(src.error(
                    input.field.span(),
                    ProgramErrorKind::InputNotTypable { field: key.clone() },
                ));
            }
            if inputs.iter().any(|i| &i.field == key) {
                return Err(src.error(
                    input.field.span(),
                    ProgramErrorKind::DuplicateInput { field: key.clone() },
                ));
            }
            inputs.push(TransitionInput {
                field: input.field.into_inner(),
                required: input.required,
            });
        }
        let guards = raw
            .guards
            .into_iter()
            .map(|guard| build_guard(src, guard, fields))
            .collect::<Result<Vec<_>, _>>()?;
        let notify = match raw.notify {
            Some(names) => recipients(src, names, ctx)?,
            None => Vec::new(),
        };
        transitions.push(Transition {
            action,
            label: raw.label.into(),
            from,
            to,
            roles,
            outcome: raw.outcome,
            inputs,
            guards,
            note: raw.note,
            confirm: raw.confirm.map(Label::from),
            notify,
        });
    }
    Ok(transitions)
}

fn build_guard(src: &Source<'_>, raw: RawGuard, fields: &[Field]) -> Result<Guard, ProgramError> {
    let key = raw.field.get_ref().clone();
    let Some(field) = fields.iter().find(|f| f.key == key) else {
        return Err(src.error(
            raw.field.span(),
            ProgramErrorKind::GuardUnknownField { field: key },
        ));
    };
    let test = match (raw.within, raw.not_in, raw.set) {
        (Some(values), None, None) => GuardTest::In(guard_values(src, field, values)?),
        (None, Some(values), None) => GuardTest::NotIn(guard_values(src, field, values)?),
        (None, None, Some(set)) if *set.get_ref() => GuardTest::Set,
        (None, None, Some(_)) => GuardTest::Unset,
        _ => {
            return Err(src.error(
                raw.field.span(),
                ProgramErrorKind::GuardNeedsOneTest { field: key },
            ));
        }
    };
    Ok(Guard {
        field: key,
        test,
        message: raw.message.into(),
    })
}

/// The values of an `in` / `not_in` guard: at least one, and options of a choice field.
fn guard_values(
    src: &Source<'_>,
    field: &Field,
    raw: Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<String>, ProgramError> {
    if raw.get_ref().is_empty() {
        return Err(src.error(
            raw.span(),
            ProgramErrorKind::GuardNeedsOneTest {
                field: field.key.clone(),
            },
        ));
    }
    let mut values = Vec::with_capacity(raw.get_ref().len());
    for value in raw.into_inner() {
        if let FieldType::Choice { options } = &field.field_type
            && !options.iter().any(|option| option.code == *value.get_ref())
        {
            return Err(src.error(
                value.span(),
                ProgramErrorKind::GuardUnknownOption {
                    field: field.key.clone(),
                    code: value.into_inner(),
                },
            ));
        }
        values.push(value.into_inner());
    }
    Ok(values)
}

/// The inputs a transition was taken with, as stored in its event: field key → normalised value.
pub type TransitionInputs = BTreeMap<String, String>;
