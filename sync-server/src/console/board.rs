//! The wall screen's figures (大屏): counts and completion per town, the alert feed, the tasks,
//! and each device's sync health — all within the caller's scope.

use std::collections::{BTreeMap, BTreeSet};

use outpost_shared::jurisdiction::{Jurisdictions, Level};
use outpost_shared::program::Program;
use outpost_shared::record::RecordId;
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task;
use serde::Serialize;

use super::auth::Viewer;
use super::flow::{FlowItem, alert_items};
use super::people::{TASK_LIMIT, Text, unit_text};
use crate::store::StoreTx;
use crate::store::tasks::{DeadlineState, TaskRow};

/// One town's persons by status (待认领 / 已认领待反馈 / 已反馈) and those overdue.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TownCounts {
    pub unit: String,
    pub unit_name: Text,
    pub total: i64,
    pub unclaimed: i64,
    pub claimed: i64,
    pub answered: i64,
    /// Persons a standing alert waits for.
    pub overdue: i64,
    /// Answered ÷ total, 0 for a town with no persons.
    pub completion: f64,
}

/// The row a task counts in: its town, or the viewer's own unit when that is below a town.
fn town_of(jurisdictions: &Jurisdictions, viewer: &Viewer, unit: &str) -> String {
    if viewer.unit.len() > 9 {
        return viewer.unit.clone();
    }
    jurisdictions
        .town_of(unit)
        .map_or_else(|| unit.to_owned(), |town| town.code.clone())
}

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

/// Counts per town in the viewer's scope; every town of the scope is listed, also with none
/// (for the administrator, every town of the districts the program has persons in).
pub fn town_counts(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    jurisdictions: &Jurisdictions,
    batch: Option<&str>,
) -> Result<Vec<TownCounts>, LedgerError> {
    let mut towns: BTreeMap<String, TownCounts> = BTreeMap::new();
    let add_town = |code: &str, towns: &mut BTreeMap<String, TownCounts>| {
        towns.entry(code.to_owned()).or_insert_with(|| TownCounts {
            unit: code.to_owned(),
            unit_name: unit_text(jurisdictions, code),
            ..TownCounts::default()
        });
    };
    let tasks = tasks_of(tx, viewer, Some(program.id()), batch)?;
    // Above a district (the administrator), only the districts the program has work in.
    let districts: BTreeSet<&str> = tasks.iter().filter_map(|t| t.key.unit.get(..6)).collect();
    if viewer.unit.len() > 9 {
        add_town(&viewer.unit, &mut towns);
    } else {
        for unit in jurisdictions.units_at(Level::Town) {
            let shown =
                viewer.unit.len() >= 6 || unit.code.get(..6).is_some_and(|d| districts.contains(d));
            if viewer.sees(&unit.code) && shown {
                add_town(&unit.code, &mut towns);
            }
        }
    }
    for task in tasks {
        let town = town_of(jurisdictions, viewer, &task.key.unit);
        let overdue = overdue_of(tx, program, &task)?;
        add_town(&town, &mut towns);
        if let Some(counts) = towns.get_mut(&town) {
            counts.total += task.members;
            counts.unclaimed += task.members - task.claimed;
            counts.claimed += task.claimed - task.answered;
            counts.answered += task.answered;
            counts.overdue += overdue;
        }
    }
    Ok(towns
        .into_values()
        .map(|mut counts| {
            counts.completion = if counts.total > 0 {
                counts.answered as f64 / counts.total as f64
            } else {
                0.0
            };
            counts
        })
        .collect())
}

/// One entry of the alert feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedItem {
    /// Unique per entry (`<alert id>:raised` / `:resolved`): a poller drops what it has.
    pub key: String,
    pub task: String,
    pub unit_name: Text,
    #[serde(flatten)]
    pub item: FlowItem,
}

/// The alert feed, newest first.
#[derive(Debug, Serialize)]
pub struct Feed {
    pub items: Vec<FeedItem>,
    /// Pass as `since_ms` to get what is new (entries at exactly this time come again).
    pub cursor_ms: i64,
}

/// Alerts raised and resolved in the viewer's scope at or after `since_ms`, newest first.
pub fn alert_feed(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    programs: &[Program],
    jurisdictions: &Jurisdictions,
    since_ms: Option<i64>,
    limit: usize,
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
        for (key, item) in alert_items(tx, viewer, program, &rows, since_ms)? {
            items.push(FeedItem {
                key,
                task: task.id.clone(),
                unit_name: unit_text(jurisdictions, &task.key.unit),
                item,
            });
        }
    }
    items.sort_by(|a, b| (b.item.at_ms, &b.key).cmp(&(a.item.at_ms, &a.key)));
    items.truncate(limit);
    let cursor_ms = items
        .first()
        .map_or(since_ms.unwrap_or(0), |i| i.item.at_ms);
    Ok(Feed { items, cursor_ms })
}

/// A task for the wall screen's task list.
#[derive(Debug, Serialize)]
pub struct TaskSummary {
    pub id: String,
    pub batch: String,
    pub unit: String,
    pub unit_name: Text,
    pub members: i64,
    pub claimed: i64,
    pub answered: i64,
    pub anchor_ms: i64,
    pub standing_alerts: usize,
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
        out.push(TaskSummary {
            unit_name: unit_text(jurisdictions, &task.key.unit),
            unit: task.key.unit.clone(),
            batch: task.key.batch.clone(),
            id: task.id,
            members: task.members,
            claimed: task.claimed,
            answered: task.answered,
            anchor_ms: task.anchor_ms,
            standing_alerts: standing,
        });
    }
    Ok(out)
}

/// One device's sync health (同步状态).
#[derive(Debug, Serialize)]
pub struct DeviceHealth {
    pub device: String,
    pub label: String,
    pub user: String,
    pub user_name: String,
    pub unit: String,
    pub unit_name: Text,
    pub revoked: bool,
    pub last_sync_ms: Option<i64>,
    pub waiting_records: u64,
    pub oldest_unsent_ms: Option<i64>,
    /// How long the oldest change on the device has waited, as of its last sync.
    pub oldest_unsent_age_ms: Option<i64>,
    pub ledger_positions_behind: u64,
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
    out.sort_by_key(|d| {
        (
            d.revoked,
            d.last_sync_ms.unwrap_or(i64::MIN),
            d.device.clone(),
        )
    });
    Ok(out)
}

/// One point of the completion curve: how many persons had been dispatched and answered by
/// `at_ms` (answer times are the devices': work done offline counts from when it was done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressPoint {
    pub at_ms: i64,
    pub dispatched: usize,
    pub answered: usize,
}

/// The completion over time (完成率趋势) of the viewer's persons of `program`: `points` evenly
/// spaced instants from the first dispatch to `now_ms`, cumulative.
pub fn progress(
    tx: &mut dyn StoreTx,
    viewer: &Viewer,
    program: &Program,
    batch: Option<&str>,
    now_ms: i64,
    points: usize,
) -> Result<Vec<ProgressPoint>, LedgerError> {
    let wall = |at: &outpost_shared::hlc::Hlc| i64::try_from(at.wall_ms).unwrap_or(i64::MAX);
    let mut dispatched = Vec::new();
    let mut answered = Vec::new();
    for candidate in super::people::candidates(tx, viewer, program.id(), batch, None)? {
        let state = &candidate.state;
        if let Some(stamp) = &state.assigned {
            dispatched.push(wall(&stamp.at));
        }
        if state.status == outpost_shared::record::TaskStatus::Answered
            && let Some(answer) = &state.answer
        {
            answered.push(wall(&answer.stamp.at));
        }
    }
    let Some(&first) = dispatched.iter().min() else {
        return Ok(Vec::new());
    };
    dispatched.sort_unstable();
    answered.sort_unstable();
    let points = points.max(2);
    // A device's clock may run ahead of the server's: the curve ends at the later of the two.
    let last = now_ms
        .max(first)
        .max(answered.last().copied().unwrap_or(first));
    let step = ((last - first) / (points as i64 - 1)).max(1);
    Ok((0..points)
        .map(|i| {
            let at_ms = if i + 1 == points {
                last
            } else {
                first + step * i as i64
            };
            ProgressPoint {
                at_ms,
                dispatched: dispatched.partition_point(|&t| t <= at_ms),
                answered: answered.partition_point(|&t| t <= at_ms),
            }
        })
        .collect())
}
