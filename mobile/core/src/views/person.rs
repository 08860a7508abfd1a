//! What the person screens show: the person detail with its history and review notes, the
//! forms' program view (fields, outcome tree, note rules), unit pickers and the review list.

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::identity::mask_name;
use outpost_shared::jurisdiction::Level;
use outpost_shared::program::{self, FieldType, NoteRule, OutcomeNode, Program};
use outpost_shared::record::{Event, RecordId};
use outpost_shared::task::command::{self, Context, Facts, SUPPLEMENTARY_OF};
use serde::{Deserialize, Serialize};

use super::history::{history_label, review_note};
use super::{SyncProblemView, workflow_status_label};
use crate::transfer_chain::wristbands::PersonChain;
use crate::{AppCore, AppError};

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

/// A declared step as its form shows it: the button, the status it leads to, the fields it asks
/// (typed like every field), whether it asks for an answer and a note, and the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionView {
    pub action: String,
    pub label: String,
    pub to: String,
    pub to_label: String,
    pub inputs: Vec<FieldView>,
    pub outcome: bool,
    /// "required", "optional" or "none".
    pub note: String,
    pub confirm: Option<String>,
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
    /// The colour of the status as the program declares it (grey, blue, green…).
    pub status_colour: String,
    /// The core actions that may be taken now (claim, answer, reassign…, correct), computed
    /// by `task::command::available`.
    pub allowed: Vec<String>,
    /// The program's declared steps that may be taken now, with what each asks.
    pub transitions: Vec<TransitionView>,
    pub history: Vec<HistoryEntry>,
    pub reviews: Vec<ReviewNote>,
    /// 无法读取，已报告 (what is shown is the copy from before), or the server's refusal.
    pub sync_problem: Option<SyncProblemView>,
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
    pub sync_problem: Option<SyncProblemView>,
    /// This device holds the record (one whose whole data was refused is not held).
    pub held: bool,
}

/// for a report to CDC.
pub(super) fn outcome_text(program: &Program, codes: &[String], lang: Lang) -> (String, bool) {
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

pub(super) fn note_rule(rule: NoteRule) -> &'static str {
    match rule {
        NoteRule::Required => "required",
        NoteRule::Optional => "optional",
        NoteRule::Absent => "none",
    }
}

pub(super) fn outcome_view(node: &OutcomeNode, lang: Lang) -> OutcomeView {
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

pub(super) fn boolean_label(value: &str, lang: Lang) -> Option<String> {
    match (value, lang) {
        ("true", Lang::Zh) => Some("是".into()),
        ("false", Lang::Zh) => Some("否".into()),
        ("true", Lang::En) => Some("Yes".into()),
        ("false", Lang::En) => Some("No".into()),
        _ => None,
    }
}

/// The colour the program gives a status; core statuses it does not declare are grey.
fn status_colour(program: &Program, code: &str) -> String {
    program
        .status(code)
        .map(|def| def.colour)
        .unwrap_or_default()
        .code()
        .to_owned()
}

pub(super) fn wall_ms(event: &Event) -> i64 {
    i64::try_from(event.at.wall_ms).unwrap_or(i64::MAX)
}

/// The digits of a query typed as a phone tail or ID fragment (full-width digits accepted).
impl AppCore {
    /// `current_unit`: where the person is now. The dispatch key's value stays as imported when the
    /// person is moved (the move is an event, not an edit), so 基本信息 shows the current unit.
    fn field_views(
        &self,
        program: &Program,
        values: &BTreeMap<String, outpost_shared::record::FieldValue>,
        current_unit: Option<&str>,
    ) -> Vec<FieldView> {
        let lang = self.lang();
        let dispatch_key = program.dispatch().field.clone();
        program
            .fields()
            .iter()
            .map(|field| {
                let value = values.get(&field.key);
                let text = match current_unit {
                    Some(unit) if field.key == dispatch_key && !unit.is_empty() => {
                        Some(unit.to_owned())
                    }
                    _ => value.map(|v| v.value.clone()),
                };
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
        let account = self.account()?;
        let context = Context {
            program,
            jurisdictions: self.jurisdictions(),
            role: &account.role,
        };
        let facts = Facts {
            supplementary: supplementary_of.is_some(),
            fields: fields
                .iter()
                .map(|(key, value)| (key.clone(), value.value.clone()))
                .collect(),
        };
        // A person moved out of the user's unit (reassigned to another town, forwarded to another
        // community) is that unit's to work on now: `available` offers nothing here any more.
        let offer = command::available(&context, &state, &facts, &account.unit);
        let transitions = offer
            .transitions
            .iter()
            .map(|step| self.transition_view(program, step, &fields))
            .collect();
        let answer = state.answer.as_ref().map(|a| {
            let (label, report_to_cdc) = outcome_text(program, &a.outcome, lang);
            AnswerView {
                outcome: a.outcome.clone(),
                label,
                note: a.note.clone(),
                report_to_cdc,
            }
        });
        let fields = self.field_views(program, &fields, Some(&unit));
        Ok(PersonDetail {
            record_id: id.as_str().to_owned(),
            program: program.id().to_owned(),
            unit_name: self.unit_label(&unit),
            unit,
            batch: state.batch.clone(),
            status: state.status.code().to_owned(),
            status_label: workflow_status_label(program, &state.status_code, lang),
            status_colour: status_colour(program, &state.status_code),
            fields,
            answer,
            allowed: offer.core.into_iter().map(str::to_owned).collect(),
            transitions,
            history: events
                .iter()
                .map(|e| HistoryEntry {
                    at_ms: wall_ms(e),
                    label: history_label(self, program, &e.action),
                    user: self.display_name(e.user.as_str()),
                })
                .collect(),
            reviews: state
                .reviews
                .iter()
                .map(|m| review_note(self, Some(program), m))
                .collect(),
            sync_problem: self.sync_problem_view(&id)?,
            supplementary_of,
            chain: self.person_chain(&record),
        })
    }

    /// A declared step's form: its inputs shown as the record's fields are (current value,
    /// choices), required as the step says.
    fn transition_view(
        &self,
        program: &Program,
        step: &program::Transition,
        values: &BTreeMap<String, outpost_shared::record::FieldValue>,
    ) -> TransitionView {
        let lang = self.lang();
        let views = self.field_views(program, values, None);
        let inputs = step
            .inputs
            .iter()
            .filter_map(|input| {
                let mut view = views.iter().find(|v| v.key == input.field)?.clone();
                view.required = input.required;
                view.editable = true;
                Some(view)
            })
            .collect();
        TransitionView {
            action: step.action.clone(),
            label: step.label.get(lang).to_owned(),
            to: step.to.clone(),
            to_label: workflow_status_label(program, &step.to, lang),
            inputs,
            outcome: step.outcome,
            note: match step.note {
                NoteRule::Required => "required",
                NoteRule::Optional => "optional",
                NoteRule::Absent => "none",
            }
            .to_owned(),
            confirm: step.confirm.as_ref().map(|c| c.get(lang).to_owned()),
        }
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
            fields: self.field_views(program, &BTreeMap::new(), None),
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
        // Without a narrower unit, the pickers offer the units of the user's own district: one
        // deployment's jurisdiction files may hold other cities' units too (Xiamen's beside
        // Nansha's), which a Nansha worker never moves anyone to.
        let district = self
            .account()
            .ok()
            .and_then(|account| account.unit.get(..6))
            .map(str::to_owned);
        let within = input
            .within
            .as_deref()
            .filter(|w| !w.is_empty())
            .or(district.as_deref());
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

    /// Records that need review (concurrent, incompatible edits), with both versions; then
    /// records whose sync went wrong (无法读取，已报告; refused by the server).
    pub fn reviews(&self) -> Result<Vec<ReviewItem>, AppError> {
        let lang = self.lang();
        let session = self.session()?;
        let items = session
            .replica
            .review_items(500)
            .map_err(|e| AppError::replica(lang, e))?;
        let mut problems = self.sync_problem_views()?;
        let mut reviews: Vec<ReviewItem> = items
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
                    sync_problem: problems.remove(&summary.id),
                    held: true,
                    record_id: summary.id,
                }
            })
            .collect();
        for (record_id, problem) in problems {
            let summary = RecordId::new(record_id.clone())
                .ok()
                .map(|id| session.replica.summary(&id))
                .transpose()
                .map_err(|e| AppError::replica(lang, e))?
                .flatten();
            reviews.push(ReviewItem {
                kind: summary
                    .as_ref()
                    .map_or("record", |s| s.kind.code())
                    .to_owned(),
                masked_name: summary
                    .as_ref()
                    .and_then(|s| s.name.as_deref())
                    .map(mask_name)
                    .unwrap_or_default(),
                notes: Vec::new(),
                sync_problem: Some(problem),
                held: summary.is_some(),
                record_id,
            });
        }
        Ok(reviews)
    }
}
