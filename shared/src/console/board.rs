//! The wall screen's figures (大屏): counts and completion per town, completion over time, the
//! alert feed, the tasks, and each device's sync health — all within the viewer's scope.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::flow::{FlowItem, TaskTally};
use super::{Text, Viewer, unit_text};
use crate::jurisdiction::{Jurisdictions, Level};
use crate::task::TaskKey;

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

/// Counts per town from the tasks of one program in the viewer's scope, each with the persons
/// its standing alerts wait for. Every town of the scope is listed, also with none (for the
/// administrator, every town of the districts the program has persons in).
pub fn town_counts(
    jurisdictions: &Jurisdictions,
    viewer: &Viewer,
    tasks: &[(TaskTally, i64)],
) -> Vec<TownCounts> {
    let mut towns: BTreeMap<String, TownCounts> = BTreeMap::new();
    let add_town = |code: &str, towns: &mut BTreeMap<String, TownCounts>| {
        towns.entry(code.to_owned()).or_insert_with(|| TownCounts {
            unit: code.to_owned(),
            unit_name: unit_text(jurisdictions, code),
            ..TownCounts::default()
        });
    };
    // Above a district (the administrator), only the districts the program has work in.
    let districts: BTreeSet<&str> = tasks
        .iter()
        .filter_map(|(t, _)| t.key.unit.get(..6))
        .collect();
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
    for (task, overdue) in tasks {
        let town = town_of(jurisdictions, viewer, &task.key.unit);
        add_town(&town, &mut towns);
        if let Some(counts) = towns.get_mut(&town) {
            counts.total += task.members;
            counts.unclaimed += task.members - task.claimed;
            counts.claimed += task.claimed - task.answered;
            counts.answered += task.answered;
            counts.overdue += overdue;
        }
    }
    towns
        .into_values()
        .map(|mut counts| {
            counts.completion = if counts.total > 0 {
                counts.answered as f64 / counts.total as f64
            } else {
                0.0
            };
            counts
        })
        .collect()
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

impl Feed {
    /// The newest `limit` of `items`, and the cursor for the next poll.
    pub fn of(mut items: Vec<FeedItem>, since_ms: Option<i64>, limit: usize) -> Self {
        items.sort_by(|a, b| (b.item.at_ms, &b.key).cmp(&(a.item.at_ms, &a.key)));
        items.truncate(limit);
        let cursor_ms = items
            .first()
            .map_or(since_ms.unwrap_or(0), |i| i.item.at_ms);
        Self { items, cursor_ms }
    }
}

/// A row of the wall screen's task list: one batch's work in one unit. A person moved to a unit
/// (修改所属单位, 转发) has a task of their own there, with its own clocks, but the wall counts it
/// in the row of the unit's batch ([`task_rows`]): the move does not show the unit's work of
/// the batch twice.
#[derive(Debug, Serialize)]
pub struct TaskSummary {
    /// The row's task: the unit's own task of the batch, or the first move's when it has none.
    /// Its flow is the row's (`row_tasks`).
    pub id: String,
    pub batch: String,
    pub unit: String,
    pub unit_name: Text,
    pub members: i64,
    pub claimed: i64,
    pub answered: i64,
    pub anchor_ms: i64,
    pub standing_alerts: usize,
    /// Of `members`, the persons moved to the unit since the batch was dispatched.
    pub moved_in: i64,
}

impl TaskSummary {
    pub fn of(jurisdictions: &Jurisdictions, task: TaskTally, standing_alerts: usize) -> Self {
        Self {
            unit_name: unit_text(jurisdictions, &task.key.unit),
            moved_in: if task.key.moved_by.is_some() {
                task.members
            } else {
                0
            },
            unit: task.key.unit,
            batch: task.key.batch,
            id: task.id,
            members: task.members,
            claimed: task.claimed,
            answered: task.answered,
            anchor_ms: task.anchor_ms,
            standing_alerts,
        }
    }
}

/// Whether two tasks are one row of the wall: the same program, batch and unit (the unit's own
/// task of a batch and the tasks of the persons moved there since).
pub fn same_row(a: &TaskKey, b: &TaskKey) -> bool {
    (&a.program, &a.batch, &a.unit) == (&b.program, &b.batch, &b.unit)
}

/// The task a row is named by among its tasks: the unit's own, else the earliest move's.
fn row_task<'a>(tasks: impl IntoIterator<Item = &'a TaskTally>) -> Option<&'a TaskTally> {
    tasks
        .into_iter()
        .min_by_key(|t| (t.key.moved_by.is_some(), t.anchor_ms, t.id.clone()))
}

/// The tasks of `all` in the row of `task` (its own included), and the row's tally: named by
/// its task ([`TaskSummary::id`]), its persons counted together — what a row's flow shows.
pub fn row_tasks<'a>(
    task: &TaskKey,
    all: impl IntoIterator<Item = &'a TaskTally>,
) -> Option<(TaskTally, Vec<&'a TaskTally>)> {
    let tasks: Vec<&TaskTally> = all.into_iter().filter(|t| same_row(&t.key, task)).collect();
    let named = row_task(tasks.iter().copied())?;
    let mut tally = named.clone();
    tally.members = tasks.iter().map(|t| t.members).sum();
    tally.claimed = tasks.iter().map(|t| t.claimed).sum();
    tally.answered = tasks.iter().map(|t| t.answered).sum();
    Some((tally, tasks))
}

/// The wall's task list from the tasks of one program (each with its standing alerts), in the
/// order given: one row per batch and unit, where the first of its tasks came. A task whose
/// persons have all moved on, with no standing alert, is not shown: the row of where they
/// went counts them.
pub fn task_rows(
    jurisdictions: &Jurisdictions,
    tasks: impl IntoIterator<Item = (TaskTally, usize)>,
) -> Vec<TaskSummary> {
    let mut rows: Vec<(Vec<TaskTally>, usize)> = Vec::new();
    let mut row_of: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (task, standing) in tasks {
        if task.members == 0 && standing == 0 {
            continue;
        }
        let key = (
            task.key.program.clone(),
            task.key.batch.clone(),
            task.key.unit.clone(),
        );
        match row_of.get(&key) {
            Some(&at) => {
                rows[at].0.push(task);
                rows[at].1 += standing;
            }
            None => {
                row_of.insert(key, rows.len());
                rows.push((vec![task], standing));
            }
        }
    }
    rows.into_iter()
        .filter_map(|(tasks, standing)| {
            let (tally, members) = row_tasks(&tasks[0].key, &tasks)?;
            let moved_in = members
                .iter()
                .filter(|t| t.key.moved_by.is_some())
                .map(|t| t.members)
                .sum();
            let mut row = TaskSummary::of(jurisdictions, tally, standing);
            row.moved_in = moved_in;
            Some(row)
        })
        .collect()
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

/// Orders devices as the health view lists them: the longest without a sync first, revoked
/// ones last.
pub fn sort_devices(devices: &mut [DeviceHealth]) {
    devices.sort_by_key(|d| {
        (
            d.revoked,
            d.last_sync_ms.unwrap_or(i64::MIN),
            d.device.clone(),
        )
    });
}

/// One point of the completion curve: how many persons had been dispatched and answered by
/// `at_ms` (answer times are the devices': work done offline counts from when it was done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressPoint {
    pub at_ms: i64,
    pub dispatched: usize,
    pub answered: usize,
}

/// The completion over time (完成率趋势) of persons given as (dispatched, answered) times:
/// `points` evenly spaced instants from the first dispatch to `now_ms`, cumulative.
pub fn progress(
    times: impl IntoIterator<Item = (Option<i64>, Option<i64>)>,
    now_ms: i64,
    points: usize,
) -> Vec<ProgressPoint> {
    let mut dispatched = Vec::new();
    let mut answered = Vec::new();
    for (sent, done) in times {
        dispatched.extend(sent);
        answered.extend(done);
    }
    let Some(&first) = dispatched.iter().min() else {
        return Vec::new();
    };
    dispatched.sort_unstable();
    answered.sort_unstable();
    let points = points.max(2);
    // A device's clock may run ahead of the server's: the curve ends at the later of the two.
    let last = now_ms
        .max(first)
        .max(answered.last().copied().unwrap_or(first));
    let step = ((last - first) / (points as i64 - 1)).max(1);
    (0..points)
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
        .collect()
}
