//! Results per person (结果列表): filtering, masking and paging the persons of a program in the
//! viewer's scope, and the detail of one. The caller finds the candidates (persons in scope with
//! their folded state) and reads field values on demand — only for the page shown, or for every
//! candidate when a search needs them — so a list of 100,000 persons loads 50 documents.
//!
//! Lists mask names, phones, ID numbers and other personal fields (`identity::mask_*`); only
//! [`detail`] returns them in full, and only to a role that may see them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::flow::FlowItem;
use super::{Text, Viewer, unit_text, workflow_status_text};
use crate::i18n::Lang;
use crate::identity::{mask_id_number, mask_name, mask_phone};
use crate::jurisdiction::Jurisdictions;
use crate::program::{FieldType, Program};
use crate::record::{FieldValue, RecordId, RecordState, TaskStatus};
use crate::task::TaskKey;

/// The filters of the results list; every one is optional except the program.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    pub program: String,
    pub batch: Option<String>,
    /// A town (or any unit) code: persons within it.
    pub unit: Option<String>,
    /// `unclaimed`, `claimed` or `answered`.
    pub status: Option<String>,
    /// An outcome code at any level of the answer's path.
    pub outcome: Option<String>,
    /// A name fragment, a phone tail or an ID fragment.
    pub search: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
    /// `en` for English labels; Chinese otherwise.
    pub lang: Option<String>,
}

/// A filter value, blank ones as none.
pub fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Filter {
    pub fn lang(&self) -> Lang {
        match self.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The unit prefix the candidates lie within: the filter's unit when the viewer sees it,
    /// the viewer's own unit without one, `None` when the filter's unit is out of scope.
    pub fn scope_prefix(&self, viewer: &Viewer) -> Option<String> {
        match blank(&self.unit) {
            Some(unit) if viewer.sees(unit) => Some(unit.to_owned()),
            Some(_) => None,
            None => Some(viewer.unit.clone()),
        }
    }
}

/// One person as the results list shows them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    pub id: String,
    pub batch: String,
    pub task: String,
    pub unit: String,
    pub unit_name: Text,
    pub status: String,
    pub status_label: Text,
    /// The answer's path, root to leaf.
    pub outcome: Vec<Text>,
    pub outcome_codes: Vec<String>,
    pub note: Option<String>,
    /// The program's fields, personal ones masked (choice codes shown by their label).
    pub fields: BTreeMap<String, String>,
    pub dispatched_ms: Option<i64>,
    pub claimed_ms: Option<i64>,
    pub answered_ms: Option<i64>,
    pub needs_review: bool,
}

/// A page of the results list.
#[derive(Debug, Serialize)]
pub struct Page {
    pub total: usize,
    pub offset: usize,
    /// Records left out because they cannot be read (quarantined on the server, damaged on a
    /// device): the list says "N 条记录无法读取" rather than failing whole.
    pub unreadable: usize,
    pub rows: Vec<PersonRow>,
    /// The program's list columns (field key and label), in order.
    pub columns: Vec<(String, Text)>,
}

/// A person in scope, before their fields are read.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: RecordId,
    pub task: TaskKey,
    pub state: RecordState,
}

impl Candidate {
    /// When the person was dispatched to their unit, and answered (if they stand answered).
    pub fn times(&self) -> (Option<i64>, Option<i64>) {
        let state = &self.state;
        let answered = match state.status {
            TaskStatus::Answered => state.answer.as_ref().map(|a| wall(&a.stamp.at)),
            _ => None,
        };
        (state.assigned.as_ref().map(|s| wall(&s.at)), answered)
    }
}

/// The order every list shows candidates in: by unit, then id.
pub fn candidate_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    (a.state.unit.as_deref(), a.id.as_str()).cmp(&(b.state.unit.as_deref(), b.id.as_str()))
}

fn wall(at: &crate::hlc::Hlc) -> i64 {
    i64::try_from(at.wall_ms).unwrap_or(i64::MAX)
}

/// The text value of each field, choice codes replaced by their labels.
/// A jurisdiction field shows its unit's name.
pub fn field_values(
    program: &Program,
    jurisdictions: &Jurisdictions,
    fields: BTreeMap<String, FieldValue>,
    lang: Lang,
) -> BTreeMap<String, String> {
    fields
        .into_iter()
        .map(|(key, value)| {
            let text = value.value;
            let shown = match program.field(&key).map(|field| &field.field_type) {
                Some(FieldType::Choice { options }) => options
                    .iter()
                    .find(|option| option.code == text)
                    .map_or(text, |option| option.label.get(lang).to_owned()),
                Some(FieldType::Jurisdiction) => jurisdictions
                    .get(&text)
                    .map_or(text, |unit| unit.name_in(lang).to_owned()),
                _ => text,
            };
            (key, shown)
        })
        .collect()
}

/// Masks what a list may not show in full.
pub fn masked(program: &Program, mut fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for (key, value) in fields.iter_mut() {
        *value = match key.as_str() {
            "name" => mask_name(value),
            "phone" => mask_phone(value),
            "id_number" => mask_id_number(value),
            _ if program.is_personal(key) => mask_name(value),
            _ => continue,
        };
    }
    fields
}

/// Whether a person's (unmasked) fields match a search: a name fragment, a phone tail of three
/// digits or more, an ID fragment of four characters or more.
pub fn matches_search(fields: &BTreeMap<String, String>, needle: &str) -> bool {
    let get = |key: &str| fields.get(key).map(String::as_str).unwrap_or_default();
    get("name").contains(needle)
        || (needle.len() >= 3 && get("phone").ends_with(needle))
        || (needle.len() >= 4
            && get("id_number")
                .to_uppercase()
                .contains(&needle.to_uppercase()))
}

/// The row of one candidate, from fields already masked or not as the caller decided.
pub fn person_row(
    program: &Program,
    jurisdictions: &Jurisdictions,
    candidate: &Candidate,
    mut fields: BTreeMap<String, String>,
    lang: Lang,
) -> PersonRow {
    let state = &candidate.state;
    let unit = state.unit.clone().unwrap_or_default();
    // The dispatch field shows where the person is now (a reassignment moved them).
    if let Some(field) = program.dispatch_field() {
        fields.insert(
            field.key.clone(),
            unit_text(jurisdictions, &unit).get(lang).to_owned(),
        );
    }
    let (outcome, outcome_codes, note) = match (&state.answer, state.status) {
        (Some(answer), TaskStatus::Answered) => (
            outcome_path(program, &answer.outcome),
            answer.outcome.clone(),
            answer.note.clone(),
        ),
        _ => (Vec::new(), Vec::new(), None),
    };
    PersonRow {
        id: candidate.id.as_str().to_owned(),
        batch: candidate.task.batch.clone(),
        task: candidate.task.id(),
        unit_name: unit_text(jurisdictions, &unit),
        unit,
        status: state.status.code().to_owned(),
        status_label: workflow_status_text(program, &state.status_code),
        outcome,
        outcome_codes,
        note,
        fields,
        dispatched_ms: state.assigned.as_ref().map(|s| wall(&s.at)),
        claimed_ms: state.claim.as_ref().map(|s| wall(&s.at)),
        answered_ms: match state.status {
            TaskStatus::Answered => state.answer.as_ref().map(|a| wall(&a.stamp.at)),
            _ => None,
        },
        needs_review: state.needs_review(),
    }
}

/// The labels of an outcome path, root to leaf; a code the tree does not know shows as itself.
pub fn outcome_path(program: &Program, codes: &[String]) -> Vec<Text> {
    (1..=codes.len())
        .map(|depth| {
            let path: Vec<&str> = codes[..depth].iter().map(String::as_str).collect();
            program
                .outcomes()
                .node(&path)
                .map_or_else(|| Text::same(path[depth - 1]), |n| Text::of(&n.label))
        })
        .collect()
}

/// Whether a person is in the status a filter names: a task status's code (unclaimed, claimed,
/// answered) names its core status, any other code a program's declared status; either is
/// compared with the record's workflow status.
pub fn has_status(state: &RecordState, code: &str) -> bool {
    match TaskStatus::from_code(code) {
        Some(task) => state.status_code == task.core_status(),
        None => state.status_code == code,
    }
}

/// The columns a list shows: the program's fields except the batch (shown on its own).
pub fn columns(program: &Program) -> Vec<(String, Text)> {
    program
        .fields()
        .iter()
        .filter(|f| f.key != "batch")
        .map(|f| (f.key.clone(), Text::of(&f.label)))
        .collect()
}

/// Every candidate matching `filter` (masked), or one page of them. `fields_of` reads a
/// person's field values (their document, or its stored content); it is called for the rows
/// returned, and for every candidate when the filter searches.
pub fn list<E>(
    program: &Program,
    jurisdictions: &Jurisdictions,
    candidates: Vec<Candidate>,
    filter: &Filter,
    paged: bool,
    mut fields_of: impl FnMut(&RecordId) -> Result<Option<BTreeMap<String, FieldValue>>, E>,
) -> Result<Page, E> {
    let lang = filter.lang();
    let status = blank(&filter.status);
    let outcome = blank(&filter.outcome);
    let mut chosen: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| status.is_none_or(|s| has_status(&c.state, s)))
        .filter(|c| {
            outcome.is_none_or(|o| {
                c.state.status == TaskStatus::Answered
                    && c.state
                        .answer
                        .as_ref()
                        .is_some_and(|a| a.outcome.iter().any(|code| code == o))
            })
        })
        .collect();
    let mut values: BTreeMap<RecordId, BTreeMap<String, String>> = BTreeMap::new();
    let mut unreadable = 0;
    if let Some(needle) = blank(&filter.search) {
        let mut kept = Vec::new();
        for candidate in chosen {
            let Some(fields) = fields_of(&candidate.id)? else {
                unreadable += 1;
                continue;
            };
            let fields = field_values(program, jurisdictions, fields, lang);
            if matches_search(&fields, needle) {
                values.insert(candidate.id.clone(), fields);
                kept.push(candidate);
            }
        }
        chosen = kept;
    }
    let total = chosen.len();
    let (offset, limit) = if paged {
        (
            filter.offset.unwrap_or(0).min(total),
            filter.limit.unwrap_or(50).clamp(1, 500),
        )
    } else {
        (0, total)
    };
    let mut rows = Vec::new();
    for candidate in chosen.iter().skip(offset).take(limit) {
        let fields = match values.remove(&candidate.id) {
            Some(fields) => fields,
            None => match fields_of(&candidate.id)? {
                Some(fields) => field_values(program, jurisdictions, fields, lang),
                None => {
                    unreadable += 1;
                    continue;
                }
            },
        };
        rows.push(person_row(
            program,
            jurisdictions,
            candidate,
            masked(program, fields),
            lang,
        ));
    }
    Ok(Page {
        total,
        unreadable,
        offset,
        rows,
        columns: columns(program),
    })
}

/// One person in full: every field (unmasked if the viewer's role allows), and the events.
#[derive(Debug, Serialize)]
pub struct Detail {
    pub person: PersonRow,
    pub masked: bool,
    pub events: Vec<FlowItem>,
}

/// A person's detail from their fields and events; the caller has checked the scope.
pub fn detail(
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    candidate: &Candidate,
    fields: BTreeMap<String, FieldValue>,
    mut events: Vec<FlowItem>,
    lang: Lang,
) -> Detail {
    super::flow::name_units(jurisdictions, &mut events);
    let fields = field_values(program, jurisdictions, fields, lang);
    let full = viewer.sees_personal_data();
    let fields = if full {
        fields
    } else {
        masked(program, fields)
    };
    Detail {
        person: person_row(program, jurisdictions, candidate, fields, lang),
        masked: !full,
        events,
    }
}

/// The results as an export table: the headers on screen (with column widths) and each row's
/// cells, as text.
pub fn export_table(page: &Page, lang: Lang) -> (Vec<(String, f64)>, Vec<Vec<String>>) {
    let time = |ms: Option<i64>| ms.map(super::shanghai_time).unwrap_or_default();
    let mut headers: Vec<(String, f64)> =
        vec![(Text::new("批次号", "Batch").get(lang).to_owned(), 20.0)];
    headers.extend(
        page.columns
            .iter()
            .map(|(_, label)| (label.get(lang).to_owned(), 16.0)),
    );
    let fixed = [
        Text::new("状态", "Status"),
        Text::new("核查结果", "Outcome"),
        Text::new("备注", "Note"),
        Text::new("派发时间", "Dispatched"),
        Text::new("认领时间", "Claimed"),
        Text::new("反馈时间", "Answered"),
    ];
    headers.extend(fixed.iter().map(|t| (t.get(lang).to_owned(), 18.0)));
    let rows = page
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.batch.clone()];
            for (key, _) in &page.columns {
                cells.push(row.fields.get(key).cloned().unwrap_or_default());
            }
            cells.push(row.status_label.get(lang).to_owned());
            cells.push(
                row.outcome
                    .iter()
                    .map(|t| t.get(lang))
                    .collect::<Vec<_>>()
                    .join(" / "),
            );
            cells.push(row.note.clone().unwrap_or_default());
            cells.push(time(row.dispatched_ms));
            cells.push(time(row.claimed_ms));
            cells.push(time(row.answered_ms));
            cells
        })
        .collect();
    (headers, rows)
}

/// The export as an Excel workbook, one sheet named after the program.
#[cfg(feature = "spreadsheet")]
pub fn export_workbook(
    program: &Program,
    page: &Page,
    lang: Lang,
) -> Result<Vec<u8>, crate::spreadsheet::SheetError> {
    let (headers, rows) = export_table(page, lang);
    let columns: Vec<crate::spreadsheet::ExportColumn> = headers
        .into_iter()
        .map(|(header, width)| crate::spreadsheet::ExportColumn {
            header,
            width: Some(width),
        })
        .collect();
    crate::spreadsheet::export(program.name().get(lang), &columns, &rows)
}
