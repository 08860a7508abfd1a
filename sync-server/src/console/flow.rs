//! A task's flow (流程详情) from the ledger: the members' events and the alerts the deadline
//! engine raised for the task. The items themselves are `outpost_shared::console::flow`'s.

use std::collections::BTreeMap;

use outpost_shared::console::Viewer;
use outpost_shared::console::board;
use outpost_shared::console::flow::{self, Flow, RaisedAlert, TaskTally, person_events};
use outpost_shared::identity::mask_name;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{RecordId, RecordKind, fold};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::alert;

use super::people::{TASK_LIMIT, document};
use crate::quarantine::Noter;
use crate::service::{ADMINISTRATOR_ID, ADMINISTRATOR_NAME};
use crate::store::StoreTx;
use outpost_shared::sync::message::SYSTEM_USER;

/// What a flow shows in place of a record that cannot be read (see `crate::quarantine`).
const UNREADABLE: &str = "（无法读取）";
use crate::store::tasks::{DeadlineRow, DeadlineState, TaskRow};

/// User display names by id: the users table, and the two authors that are not in it — the
/// admin token's administrator and the engine (系统), which a device names the same way.
pub fn user_names(tx: &mut dyn StoreTx) -> Result<BTreeMap<String, String>, LedgerError> {
    let mut names: BTreeMap<String, String> = BTreeMap::from([
        (ADMINISTRATOR_ID.to_owned(), ADMINISTRATOR_NAME.to_owned()),
        (SYSTEM_USER.to_owned(), "系统".to_owned()),
    ]);
    names.extend(tx.users()?.into_iter().map(|u| (u.id, u.display_name)));
    Ok(names)
}

/// The task row as the shared figures count it.
pub(crate) fn tally(task: &TaskRow) -> TaskTally {
    TaskTally {
        id: task.id.clone(),
        key: task.key.clone(),
        members: task.members,
        claimed: task.claimed,
        answered: task.answered,
        anchor_ms: task.anchor_ms,
    }
}

/// The alerts raised for a task's ladder steps that the viewer may see.
pub fn raised_alerts(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    rows: &[DeadlineRow],
    noter: Noter<'_>,
) -> Result<Vec<RaisedAlert>, LedgerError> {
    let mut raised = Vec::new();
    for row in rows {
        let (Some(alert_id), Some(fired_ms)) = (&row.alert_id, row.fired_ms) else {
            continue;
        };
        if !matches!(row.state, DeadlineState::Fired | DeadlineState::Resolved) {
            continue;
        }
        let id = RecordId::new(alert_id.clone()).map_err(LedgerError::storage)?;
        let Some(ledger_row) = tx.record(&id)? else {
            continue;
        };
        // An alert placed above the viewer's unit (a district leader's) is outside their scope.
        if ledger_row.kind != RecordKind::Alert
            || !ledger_row.unit.as_deref().is_some_and(|u| viewer.sees(u))
        {
            continue;
        }
        let resolution = fold(&tx.events(&id)?).alert_resolution;
        let title = document(tx, noter, &id)?
            .and_then(|alert| alert.field(alert::fields::TITLE))
            .map(|f| f.value)
            .unwrap_or_else(|| UNREADABLE.to_owned());
        raised.push(RaisedAlert {
            id: alert_id.clone(),
            rule: row.rule.clone(),
            fired_ms,
            title,
            resolution,
        });
    }
    Ok(raised)
}

/// A task's whole flow — of its row on the wall: the unit's task of the batch with the persons
/// moved there since (`board::row_tasks`) — or `None` if the task is unknown or outside the
/// viewer's scope.
pub fn task_flow(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    task_id: &str,
    noter: Noter<'_>,
) -> Result<Option<Flow>, LedgerError> {
    let Some(task) = tx.task(task_id)? else {
        return Ok(None);
    };
    if !viewer.sees(&task.key.unit) {
        return Ok(None);
    }
    let Some(program) = programs.iter().find(|p| p.id() == task.key.program) else {
        return Ok(None);
    };
    let unit_tasks: Vec<TaskTally> = tx
        .tasks_within(&task.key.unit, TASK_LIMIT)?
        .iter()
        .map(tally)
        .collect();
    let Some((row, tasks)) = board::row_tasks(&task.key, &unit_tasks) else {
        return Ok(None);
    };
    let names = user_names(tx)?;
    let mut items = Vec::new();
    for task in tasks {
        for member in tx.members_of(&task.id)? {
            let person = match document(tx, noter, &member.record)? {
                Some(record) => record
                    .field("name")
                    .map(|f| mask_name(&f.value))
                    .unwrap_or_default(),
                None => UNREADABLE.to_owned(),
            };
            let events = tx.events(&member.record)?;
            items.extend(person_events(program, &events, &names, Some(&person)));
        }
        let deadlines = tx.deadlines_of(&task.id)?;
        let alerts = raised_alerts(tx, viewer, &deadlines, noter)?;
        items.extend(
            flow::alert_items(program, &alerts, None)
                .into_iter()
                .map(|(_, item)| item),
        );
    }
    Ok(Some(flow::finish(jurisdictions, &row, items)))
}

#[cfg(test)]
mod tests {
    use crate::AnyStore;
    use crate::store::{Store, User};

    #[test]
    fn the_administrator_and_the_engine_are_named_beside_the_users() {
        let dir = tempfile::tempdir().unwrap();
        let database = crate::config::Database::Sqlite(dir.path().join("ledger.db"));
        let store = AnyStore::open(&database, 2).unwrap();
        let names = store
            .transaction(|tx| {
                tx.insert_user(&User {
                    id: "nansha-worker".into(),
                    display_name: "张三".into(),
                    role: "worker".into(),
                    unit: "440115001".into(),
                    created_at_ms: 0,
                })?;
                super::user_names(tx)
            })
            .unwrap();
        assert_eq!(names["nansha-worker"], "张三");
        assert_eq!(names["admin"], "区卫健局管理员");
        assert_eq!(names["system"], "系统");
    }
}
