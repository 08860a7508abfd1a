//! Results per person (结果列表): the persons of a program in the caller's scope, read from the
//! ledger's folded rows (task members, record events) and, for their field values, from their
//! record documents — only for the page shown, or for every candidate when a search needs them.
//!
//! Lists mask names, phones, ID numbers and other personal fields (`identity::mask_*`); only
//! [`detail`] returns them in full, and only to a role that may see them.

use std::collections::BTreeMap;

use outpost_shared::i18n::{Label, Lang};
use outpost_shared::identity::{mask_id_number, mask_name, mask_phone};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::{FieldType, Program, Status};
use outpost_shared::record::{Record, RecordId, RecordKind, RecordState, TaskStatus, fold};
use outpost_shared::spreadsheet::ExportColumn;
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::TaskKey;
use serde::{Deserialize, Serialize};

use super::auth::Viewer;
use crate::store::StoreTx;

/// The most tasks one read looks at.
pub(crate) const TASK_LIMIT: usize = 100_000;

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

impl Filter {
    fn blank(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// A label in both languages, so the console switches language without asking again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn of(label: &Label) -> Self {
        Self {
            zh: label.zh.clone(),
            en: label.en.clone(),
        }
    }

    pub fn same(text: &str) -> Self {
        Self {
            zh: text.to_owned(),
            en: text.to_owned(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The name of a unit, or its code when the tree does not know it.
pub fn unit_text(jurisdictions: &Jurisdictions, code: &str) -> Text {
    match jurisdictions.get(code) {
        Some(unit) => Text {
            zh: unit.name.clone(),
            en: unit.name_en.clone(),
        },
        None => Text::same(code),
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
    pub rows: Vec<PersonRow>,
    /// The program's list columns (field key and label), in order.
    pub columns: Vec<(String, Text)>,
}

/// A person in scope, before their document is read.
pub(crate) struct Candidate {
    pub id: RecordId,
    pub task: TaskKey,
    pub state: RecordState,
}

fn wall(at: &outpost_shared::hlc::Hlc) -> i64 {
    i64::try_from(at.wall_ms).unwrap_or(i64::MAX)
}

/// The persons of `program` in the viewer's scope, optionally of one batch, ordered by unit
/// then id. Reads the task rows, the members and the events; no documents.
pub(crate) fn candidates(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &str,
    batch: Option<&str>,
    unit: Option<&str>,
) -> Result<Vec<Candidate>, LedgerError> {
    let prefix = match unit {
        Some(unit) if viewer.sees(unit) => unit.to_owned(),
        Some(_) => return Ok(Vec::new()),
        None => viewer.unit.clone(),
    };
    let mut found = Vec::new();
    for task in tx.tasks_within(&prefix, TASK_LIMIT)? {
        if task.key.program != program || batch.is_some_and(|b| task.key.batch != b) {
            continue;
        }
        for member in tx.members_of(&task.id)? {
            let Some(row) = tx.record(&member.record)? else {
                continue;
            };
            // The folded row is the authority on where the record is now.
            if row.kind != RecordKind::Person
                || !row
                    .unit
                    .as_deref()
                    .is_some_and(|u| viewer.sees(u) && u.starts_with(&prefix))
            {
                continue;
            }
            let state = fold(&tx.events(&member.record)?);
            found.push(Candidate {
                id: member.record,
                task: task.key.clone(),
                state,
            });
        }
    }
    found.sort_by(|a, b| {
        (a.state.unit.as_deref(), a.id.as_str()).cmp(&(b.state.unit.as_deref(), b.id.as_str()))
    });
    Ok(found)
}

/// A record's document, from every change the ledger holds for it.
pub(crate) fn document(tx: &mut dyn StoreTx, id: &RecordId) -> Result<Record, LedgerError> {
    let upto = tx.max_seq()?;
    let changes = tx.changes_of(id, 0, upto, None)?;
    Record::load(&changes.concat()).map_err(LedgerError::storage)
}

/// The text value of each field, choice codes replaced by their labels.
/// A jurisdiction field shows its unit's name.
fn field_values(
    program: &Program,
    jurisdictions: &Jurisdictions,
    record: &Record,
    lang: Lang,
) -> BTreeMap<String, String> {
    record
        .fields()
        .into_iter()
        .map(|(key, value)| {
            let text = value.value.clone();
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
fn masked(program: &Program, mut fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
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

fn matches_search(fields: &BTreeMap<String, String>, needle: &str) -> bool {
    let get = |key: &str| fields.get(key).map(String::as_str).unwrap_or_default();
    get("name").contains(needle)
        || (needle.len() >= 3 && get("phone").ends_with(needle))
        || (needle.len() >= 4
            && get("id_number")
                .to_uppercase()
                .contains(&needle.to_uppercase()))
}

fn row(
    program: &Program,
    jurisdictions: &Jurisdictions,
    candidate: &Candidate,
    fields: BTreeMap<String, String>,
    lang: Lang,
) -> PersonRow {
    let state = &candidate.state;
    let unit = state.unit.clone().unwrap_or_default();
    let mut fields = fields;
    // The dispatch field shows where the person is now (a reassignment moved them).
    if let Some(field) = program.dispatch_field() {
        fields.insert(
            field.key.clone(),
            unit_text(jurisdictions, &unit).get(lang).to_owned(),
        );
    }
    let (outcome, outcome_codes, note) = match (&state.answer, state.status) {
        (Some(answer), TaskStatus::Answered) => {
            let mut texts = Vec::new();
            for depth in 1..=answer.outcome.len() {
                let path: Vec<&str> = answer.outcome[..depth].iter().map(String::as_str).collect();
                texts.push(
                    program
                        .outcomes()
                        .node(&path)
                        .map_or_else(|| Text::same(path[depth - 1]), |n| Text::of(&n.label)),
                );
            }
            (texts, answer.outcome.clone(), answer.note.clone())
        }
        _ => (Vec::new(), Vec::new(), None),
    };
    PersonRow {
        id: candidate.id.as_str().to_owned(),
        batch: candidate.task.batch.clone(),
        task: candidate.task.id(),
        unit_name: unit_text(jurisdictions, &unit),
        unit,
        status: state.status.code().to_owned(),
        status_label: status_text(program, state.status),
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

/// A status in the program's own words (W2 says 待核实 where W1 says 待认领).
pub fn status_text(program: &Program, status: TaskStatus) -> Text {
    let (wanted, zh, en) = match status {
        TaskStatus::Unclaimed => (Status::Pending, "待认领", "Unclaimed"),
        TaskStatus::Claimed => (Status::Claimed, "已认领待反馈", "Claimed"),
        TaskStatus::Answered => (Status::Answered, "已反馈", "Answered"),
    };
    Text {
        zh: program
            .status_label(wanted, Lang::Zh)
            .unwrap_or(zh)
            .to_owned(),
        en: program
            .status_label(wanted, Lang::En)
            .unwrap_or(en)
            .to_owned(),
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

/// Every person matching `filter` in the viewer's scope (masked), or one page of them.
pub fn list(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    filter: &Filter,
    lang: Lang,
    paged: bool,
) -> Result<Page, LedgerError> {
    let status = Filter::blank(&filter.status);
    let outcome = Filter::blank(&filter.outcome);
    let mut chosen: Vec<Candidate> = candidates(
        tx,
        viewer,
        program.id(),
        Filter::blank(&filter.batch),
        Filter::blank(&filter.unit),
    )?
    .into_iter()
    .filter(|c| status.is_none_or(|s| c.state.status.code() == s))
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
    let mut documents: BTreeMap<RecordId, BTreeMap<String, String>> = BTreeMap::new();
    if let Some(needle) = Filter::blank(&filter.search) {
        let mut kept = Vec::new();
        for candidate in chosen {
            let fields = field_values(program, jurisdictions, &document(tx, &candidate.id)?, lang);
            if matches_search(&fields, needle) {
                documents.insert(candidate.id.clone(), fields);
                kept.push(candidate);
            }
        }
        chosen = kept;
    }
    let total = chosen.len();
    let offset = if paged {
        filter.offset.unwrap_or(0).min(total)
    } else {
        0
    };
    let limit = if paged {
        filter.limit.unwrap_or(50).clamp(1, 500)
    } else {
        total
    };
    let mut rows = Vec::new();
    for candidate in chosen.iter().skip(offset).take(limit) {
        let fields = match documents.remove(&candidate.id) {
            Some(fields) => fields,
            None => field_values(program, jurisdictions, &document(tx, &candidate.id)?, lang),
        };
        rows.push(row(
            program,
            jurisdictions,
            candidate,
            masked(program, fields),
            lang,
        ));
    }
    Ok(Page {
        total,
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
    pub events: Vec<super::flow::FlowItem>,
}

/// A person's detail, or `None` if there is no such person in the viewer's scope.
pub fn detail(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    id: &RecordId,
    lang: Lang,
) -> Result<Option<Detail>, LedgerError> {
    let Some(row_in_ledger) = tx.record(id)? else {
        return Ok(None);
    };
    let in_scope = row_in_ledger.kind == RecordKind::Person
        && row_in_ledger
            .unit
            .as_deref()
            .is_some_and(|u| viewer.sees(u));
    let Some(program) = programs.iter().find(|p| p.id() == row_in_ledger.program) else {
        return Ok(None);
    };
    if !in_scope {
        return Ok(None);
    }
    let events = tx.events(id)?;
    let state = fold(&events);
    let Some(task) = TaskKey::of(program.id(), &state) else {
        return Ok(None);
    };
    let fields = field_values(program, jurisdictions, &document(tx, id)?, lang);
    let full = viewer.sees_personal_data();
    let fields = if full {
        fields
    } else {
        masked(program, fields)
    };
    let candidate = Candidate {
        id: id.clone(),
        task,
        state,
    };
    let person = row(program, jurisdictions, &candidate, fields, lang);
    let names = super::flow::user_names(tx)?;
    let events = super::flow::person_events(program, &events, &names, None);
    Ok(Some(Detail {
        person,
        masked: !full,
        events,
    }))
}

/// The results as an export table: the columns on screen and each row's cells, as text.
pub fn export_table(page: &Page, lang: Lang) -> (Vec<ExportColumn>, Vec<Vec<String>>) {
    let time = |ms: Option<i64>| ms.map(super::shanghai_time).unwrap_or_default();
    let mut headers: Vec<(String, f64)> = vec![(
        if lang == Lang::Zh {
            "批次号"
        } else {
            "Batch"
        }
        .to_owned(),
        20.0,
    )];
    headers.extend(
        page.columns
            .iter()
            .map(|(_, label)| (label.get(lang).to_owned(), 16.0)),
    );
    let fixed: [(&str, &str); 6] = [
        ("状态", "Status"),
        ("核查结果", "Outcome"),
        ("备注", "Note"),
        ("派发时间", "Dispatched"),
        ("认领时间", "Claimed"),
        ("反馈时间", "Answered"),
    ];
    headers.extend(
        fixed
            .iter()
            .map(|(zh, en)| ((if lang == Lang::Zh { *zh } else { *en }).to_owned(), 18.0)),
    );
    let columns = headers
        .into_iter()
        .map(|(header, width)| ExportColumn {
            header,
            width: Some(width),
        })
        .collect();
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
    (columns, rows)
}
