//! Results per person (结果列表) from the ledger: the persons of a program in the caller's scope,
//! found through the folded rows (task members, record events), their field values read from
//! their record documents only for the page shown, or for every candidate when a search needs
//! them. Filtering, masking and paging are `outpost_shared::console::people`'s.

use std::collections::BTreeMap;

use outpost_shared::console::Viewer;
use outpost_shared::console::flow::person_events;
use outpost_shared::console::people::{self, Candidate, Detail, Filter, Page, candidate_order};
use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{FieldValue, Record, RecordId, RecordKind, fold};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::TaskKey;

use crate::quarantine::Noter;
use crate::store::StoreTx;

/// The most tasks one read looks at.
pub(crate) const TASK_LIMIT: usize = 100_000;

/// The persons of `program` in the viewer's scope, optionally of one batch and within one unit
/// (none when that unit is out of scope), ordered by unit then id. Reads the task rows, the
/// members and the events; no documents.
pub(crate) fn candidates(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &str,
    batch: Option<&str>,
    prefix: Option<String>,
) -> Result<Vec<Candidate>, LedgerError> {
    let Some(prefix) = prefix else {
        return Ok(Vec::new());
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
    found.sort_by(candidate_order);
    Ok(found)
}

/// A record's document, from every change the ledger holds for it; `None`, noted in the
/// quarantine, when it cannot be loaded (a ledger written before pushes were admitted by
/// applying them).
pub(crate) fn document(
    tx: &mut dyn StoreTx,
    noter: Noter<'_>,
    id: &RecordId,
) -> Result<Option<Record>, LedgerError> {
    let upto = tx.max_seq()?;
    let changes = tx.changes_of(id, 0, upto, None)?;
    match Record::load(&changes.concat()) {
        Ok(record) => Ok(Some(record)),
        Err(error) => {
            noter.note(id, &error.to_string());
            Ok(None)
        }
    }
}

fn fields_of(
    tx: &mut dyn StoreTx,
    noter: Noter<'_>,
    id: &RecordId,
) -> Result<Option<BTreeMap<String, FieldValue>>, LedgerError> {
    Ok(document(tx, noter, id)?.map(|record| record.fields()))
}

/// Every person matching `filter` in the viewer's scope (masked), or one page of them.
pub fn list(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    filter: &Filter,
    paged: bool,
    noter: Noter<'_>,
) -> Result<Page, LedgerError> {
    let found = candidates(
        tx,
        viewer,
        program.id(),
        people::blank(&filter.batch),
        filter.scope_prefix(viewer),
    )?;
    people::list(program, jurisdictions, found, filter, paged, |id| {
        fields_of(tx, noter, id)
    })
}

/// A person's detail, or `None` if there is no such person in the viewer's scope.
pub fn detail(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    id: &RecordId,
    lang: Lang,
    noter: Noter<'_>,
) -> Result<Option<Detail>, LedgerError> {
    let Some(row) = tx.record(id)? else {
        return Ok(None);
    };
    let in_scope =
        row.kind == RecordKind::Person && row.unit.as_deref().is_some_and(|u| viewer.sees(u));
    let Some(program) = programs.iter().find(|p| p.id() == row.program) else {
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
    let names = super::flow::user_names(tx)?;
    let items = person_events(program, &events, &names, None);
    let candidate = Candidate {
        id: id.clone(),
        task,
        state,
    };
    // A quarantined record has no detail to show; the administrator's list names it.
    let Some(fields) = fields_of(tx, noter, id)? else {
        return Ok(None);
    };
    Ok(Some(people::detail(
        viewer,
        program,
        jurisdictions,
        &candidate,
        fields,
        items,
        lang,
    )))
}
