//! The wall screen's figures (大屏) from the ledger: the task rows, their deadline rows and the
//! devices. Counting, the feed's order and the curve are `outpost_shared::console::board`'s.

use std::collections::{BTreeMap, BTreeSet};

use outpost_shared::console::board::{self, DeviceHealth, Feed, FeedItem, ProgressPoint};
use outpost_shared::console::board::{TaskSummary, TownCounts};
use outpost_shared::console::flow::alert_items;
use outpost_shared::console::people::Candidate;
use outpost_shared::console::{Viewer, unit_text};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::RecordId;
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task;

use super::flow::{raised_alerts, tally};
use super::people::TASK_LIMIT;
use crate::quarantine::Noter;
use crate::store::StoreTx;
use crate::store::tasks::{DeadlineState, TaskRow};

fn tasks_of(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: Option<&str>,
    batch: Option<&str>,
) -> Result<Vec<TaskRow>, LedgerError> {
    Ok(tx
        .tasks_within(&viewer.unit, TASK_LIMIT)?
        .into_iter()
        .filter(|t| program.is_none_or(|p| t.key.program == p))
        .filter(|t| batch.is_none_or(|b| t.key.batch == b))
        .collect())
}

/// The persons of a task that its standing alerts wait for.
fn overdue_of(tx: &mut dyn StoreTx, program: &Program, task: &TaskRow) -> Result<i64, LedgerError> {
    let standing: Vec<_> = tx
        .deadlines_of(&task.id)?
        .into_iter()
        .filter(|d| d.state == DeadlineState::Fired)
        .collect();
    if standing.is_empty() {
        return Ok(0);
    }
    let members = tx.members_of(&task.id)?;
    let mut late: BTreeSet<RecordId> = BTreeSet::new();
    for row in standing {
        let until = program.deadline(&row.rule).and_then(|rule| rule.until());
        late.extend(task::outstanding(&members, until));
    }
    Ok(i64::try_from(late.len()).unwrap_or(i64::MAX))
}

/// Counts per town in the viewer's scope.
pub fn town_counts(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    batch: Option<&str>,
) -> Result<Vec<TownCounts>, LedgerError> {
    let mut tasks = Vec::new();
    for task in tasks_of(tx, viewer, Some(program.id()), batch)? {
        let overdue = overdue_of(tx, program, &task)?;
        tasks.push((tally(&task), overdue));
    }
    Ok(board::town_counts(jurisdictions, viewer, &tasks))
}

/// Alerts raised and resolved in the viewer's scope at or after `since_ms`, newest first.
pub fn alert_feed(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    since_ms: Option<i64>,
    limit: usize,
    noter: Noter<'_>,
) -> Result<Feed, LedgerError> {
    let mut items = Vec::new();
    for task in tasks_of(tx, viewer, None, None)? {
        let Some(program) = programs.iter().find(|p| p.id() == task.key.program) else {
            continue;
        };
        let rows = tx.deadlines_of(&task.id)?;
        if !rows.iter().any(|r| r.alert_id.is_some()) {
            continue;
        }
        let alerts = raised_alerts(tx, viewer, &rows, noter)?;
        for (key, item) in alert_items(program, &alerts, since_ms) {
            items.push(FeedItem {
                key,
                task: task.id.clone(),
                unit_name: unit_text(jurisdictions, &task.key.unit),
                item,
            });
        }
    }
    Ok(Feed::of(items, since_ms, limit))
}

pub fn tasks(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    batch: Option<&str>,
) -> Result<Vec<TaskSummary>, LedgerError> {
    let mut out = Vec::new();
    for task in tasks_of(tx, viewer, Some(program.id()), batch)? {
        let standing = tx
            .deadlines_of(&task.id)?
            .iter()
            .filter(|d| d.state == DeadlineState::Fired)
            .count();
        out.push((tally(&task), standing));
    }
    // One row per batch and unit: a person moved there is counted with the unit's batch.
    Ok(board::task_rows(jurisdictions, out))
}

/// Devices of users in the viewer's scope; the longest without a sync first.
pub fn sync_health(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    jurisdictions: &Jurisdictions,
    now_ms: i64,
) -> Result<Vec<DeviceHealth>, LedgerError> {
    let users: BTreeMap<String, crate::store::User> =
        tx.users()?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let head = tx.max_seq()?;
    let mut out: Vec<DeviceHealth> = tx
        .devices()?
        .into_iter()
        .filter_map(|d| {
            let user = users.get(&d.user_id)?;
            viewer.sees(&user.unit).then(|| DeviceHealth {
                device: d.id,
                label: d.label,
                user: user.id.clone(),
                user_name: user.display_name.clone(),
                unit: user.unit.clone(),
                unit_name: unit_text(jurisdictions, &user.unit),
                revoked: d.revoked_at_ms.is_some(),
                last_sync_ms: d.last_sync_ms,
                waiting_records: d.waiting_records,
                oldest_unsent_ms: d.oldest_unsent_ms,
                oldest_unsent_age_ms: d.oldest_unsent_ms.map(|t| now_ms.saturating_sub(t).max(0)),
                ledger_positions_behind: head.saturating_sub(d.cursor),
            })
        })
        .collect();
    board::sort_devices(&mut out);
    Ok(out)
}

/// The completion over time (完成率趋势) of the viewer's persons of `program`.
pub fn progress(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    batch: Option<&str>,
    now_ms: i64,
    points: usize,
) -> Result<Vec<ProgressPoint>, LedgerError> {
    let found =
        super::people::candidates(tx, viewer, program.id(), batch, Some(viewer.unit.clone()))?;
    Ok(board::progress(
        found.iter().map(Candidate::times),
        now_ms,
        points,
    ))
}
