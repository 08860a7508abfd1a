//! How a person's history and review marks read: each event as a line in the user's language
//! (units and users by name, outcomes and a step's inputs by their labels), each review mark
//! as its reason and the competing versions.

use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::program::{FieldType, Program};
use outpost_shared::record::{Action, ReviewMark, ReviewReason};

use super::person::{ReviewNote, boolean_label, outcome_text};
use super::workflow_status_label;
use crate::AppCore;

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
            vec![
                core.display_name(kept.as_str()),
                core.display_name(also.as_str()),
            ]
        }
        ReviewReason::ConcurrentAnswers {
            kept,
            kept_by,
            also,
            also_by,
        } => vec![
            format!("{}（{}）", path(kept), core.display_name(kept_by.as_str())),
            format!("{}（{}）", path(also), core.display_name(also_by.as_str())),
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
        ReviewReason::ActionOnCancelledTransfer { by, .. } => vec![core.display_name(by.as_str())],
        ReviewReason::StockBelowZero { item, stock } => vec![item.clone(), stock.to_string()],
        ReviewReason::ConcurrentTransitions {
            kept,
            kept_by,
            also,
            also_by,
            ..
        } => {
            let label = |code: &str| match program {
                Some(p) => workflow_status_label(p, code, lang),
                None => code.to_owned(),
            };
            vec![
                format!("{}（{}）", label(kept), core.display_name(kept_by.as_str())),
                format!("{}（{}）", label(also), core.display_name(also_by.as_str())),
            ]
        }
        ReviewReason::ConcurrentFieldEdits { values, .. } => values.clone(),
        ReviewReason::UnreadableEvent { event, .. } => vec![event.clone()],
    };
    let reason = match (&mark.reason, program) {
        // The shared text names status codes; the program's labels read better.
        (
            ReviewReason::ConcurrentTransitions {
                kept,
                kept_by,
                also,
                also_by,
                ..
            },
            Some(program),
        ) => {
            let (kept, also) = (
                workflow_status_label(program, kept, lang),
                workflow_status_label(program, also, lang),
            );
            let (kept_by, also_by) = (
                core.display_name(kept_by.as_str()),
                core.display_name(also_by.as_str()),
            );
            match lang {
                Lang::Zh => format!(
                    "状态冲突：{kept_by} 改为 {kept}，{also_by} 同时改为 {also}，暂保留前者"
                ),
                Lang::En => format!(
                    "conflicting status changes: {kept_by} set {kept}, {also_by} set {also} at the same time; the first stands for now"
                ),
            }
        }
        (reason, _) => reason.describe_named(lang, &|user| core.display_name(user), &unit),
    };
    ReviewNote { reason, versions }
}

pub(super) fn history_label(core: &AppCore, program: &Program, action: &Action) -> String {
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
                format!("修改所属单位为 {}", core.unit_label(to_unit))
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
        Action::Transitioned {
            action,
            to,
            outcome,
            inputs,
            note,
            ..
        } => {
            let step = program
                .transition(action)
                .map_or_else(|| action.clone(), |t| t.label.get(lang).to_owned());
            let to = workflow_status_label(program, to, lang);
            // What the worker chose and typed is kept with the step, not in the fields: the
            // history is where it shows (开始居家隔离：状态改为 居家隔离中（门磁是否完好：是）).
            let mut told: Vec<String> = Vec::new();
            if !outcome.is_empty() {
                told.push(outcome_text(program, outcome, lang).0);
            }
            told.extend(
                inputs
                    .iter()
                    .map(|(key, value)| step_input_text(core, program, key, value)),
            );
            told.extend(note.iter().cloned());
            let told = if told.is_empty() {
                String::new()
            } else {
                format!("（{}）", told.join("；"))
            };
            if zh {
                format!("{step}：状态改为 {to}{told}")
            } else {
                format!("{step}: status now {to}{told}")
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

/// One field a step asked, as `label：value` with the value as the person page shows it (是/否,
/// a choice's label, a unit's name).
fn step_input_text(core: &AppCore, program: &Program, key: &str, value: &str) -> String {
    let lang = core.lang();
    let Some(field) = program.field(key) else {
        return format!("{key}：{value}");
    };
    let shown = match &field.field_type {
        FieldType::Boolean => boolean_label(value, lang).unwrap_or_else(|| value.to_owned()),
        FieldType::Choice { options } => options
            .iter()
            .find(|o| o.code == value)
            .map_or_else(|| value.to_owned(), |o| o.label.get(lang).to_owned()),
        FieldType::Jurisdiction => core.unit_label(value),
        _ => value.to_owned(),
    };
    let colon = if lang == Lang::Zh { "：" } else { ": " };
    format!("{}{colon}{shown}", field.label.get(lang))
}
