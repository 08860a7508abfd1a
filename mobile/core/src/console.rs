//! The supervisor console over the local replica (离线控制台): the desktop app shows the web
//! console's views — results, wall screen, task flows, sync health — from its own copy of the
//! user's jurisdiction, so a district or town leader sees where the work stands with no signal.
//!
//! The figures are `outpost_shared::console`'s, the same functions the sync server answers
//! with, over what this replica holds: every record synced to it plus what was done on it since.
//! What the replica cannot know, it does not pretend to: alerts are those the server raised and
//! this device has received, sync health is this device's own, and administration (users,
//! devices, notification and deadline settings) needs the server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use outpost_shared::console::board::{
    self, DeviceHealth, Feed, FeedItem, ProgressPoint, TaskSummary, TownCounts,
};
use outpost_shared::console::flow::{self, Flow, RaisedAlert, TaskTally, person_events};
use outpost_shared::console::people::{self, Candidate, Detail, Filter, Page};
use outpost_shared::console::{Me, Viewer, shanghai_time, unit_text};
use outpost_shared::i18n::Lang;
use outpost_shared::identity::mask_name;
use outpost_shared::program::{Anchor, Program};
use outpost_shared::record::{FieldValue, RecordId, RecordKind, TaskStatus};
use outpost_shared::replica::{RecordSummary, Replica};
use outpost_shared::task::{self, Member, TaskKey, alert};
use serde::Serialize;

use crate::{AppCore, AppError};

/// The most records one console read considers: a district's share of a large outbreak.
const CONSOLE_LIMIT: usize = 200_000;
/// How many points the completion curve has (as the server's).
const PROGRESS_POINTS: usize = 25;
/// The most entries the alert feed returns.
const FEED_LIMIT: usize = 100;

/// A batch with persons in this replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalBatch {
    pub batch: String,
    pub program: String,
    /// The first dispatch of its persons held here.
    pub created_ms: i64,
}

/// The alerts of one task this replica holds.
#[derive(Default)]
struct TaskAlerts {
    program: String,
    unit: String,
    alerts: Vec<RaisedAlert>,
}

impl AppCore {
    /// The signed-in device's user as a console viewer: their unit's subtree, never the
    /// administrator (administration needs the server).
    fn viewer(&self) -> Result<Viewer, AppError> {
        let account = self.account()?;
        Ok(Viewer {
            user_id: account.user_id.clone(),
            display_name: account.display_name.clone(),
            role: account.role.clone(),
            unit: account.unit.clone(),
            administrator: false,
        })
    }

    fn replica(&self) -> Result<&Replica, AppError> {
        Ok(&self.session()?.replica)
    }

    /// `console_me`: the viewer, programs, towns and units in scope.
    pub fn console_me(&self) -> Result<Me, AppError> {
        self.session()?;
        let mut me = Me::of(
            self.viewer()?,
            &self.programs,
            self.jurisdictions(),
            self.now_ms(),
            "replica",
        );
        me.server_url = self.device.as_ref().map(|d| d.server_url.clone());
        Ok(me)
    }

    /// The list rows of the persons of `program` within `prefix` (none when `None`),
    /// optionally of one batch, ordered by unit then id. The derived rows carry each person's
    /// standing in their task (`member`), status, outcome and the fields searched, so counts,
    /// filters and searches read no record content; only the rows shown are decoded.
    fn held_rows(
        &self,
        program: &str,
        batch: Option<&str>,
        prefix: Option<String>,
    ) -> Result<Vec<RecordSummary>, AppError> {
        let Some(prefix) = prefix else {
            return Ok(Vec::new());
        };
        let lang = self.lang();
        let mut rows: Vec<RecordSummary> = self
            .replica()?
            .list(&prefix, None, CONSOLE_LIMIT, 0)
            .map_err(|e| AppError::replica(lang, e))?
            .into_iter()
            .filter(|row| {
                row.kind == RecordKind::Person
                    && row.program == program
                    && row.member.is_some()
                    && batch.is_none_or(|b| row.batch.as_deref().unwrap_or_default() == b)
            })
            .collect();
        rows.sort_by(|a, b| (a.unit.as_deref(), &a.id).cmp(&(b.unit.as_deref(), &b.id)));
        Ok(rows)
    }

    fn fold_person(
        &self,
        replica: &Replica,
        row: &RecordSummary,
    ) -> Result<Option<Candidate>, AppError> {
        let lang = self.lang();
        let id = RecordId::new(row.id.clone()).map_err(|e| AppError::internal(lang, e))?;
        let Some(content) = replica
            .content(&id)
            .map_err(|e| AppError::replica(lang, e))?
        else {
            return Ok(None);
        };
        let state = content.state_with_fields(&content.fields());
        let Some(task) = TaskKey::of(&row.program, &state) else {
            return Ok(None);
        };
        Ok(Some(Candidate { id, task, state }))
    }

    fn fields_of(&self, id: &RecordId) -> Result<BTreeMap<String, FieldValue>, AppError> {
        let lang = self.lang();
        self.replica()?
            .content(id)
            .map_err(|e| AppError::replica(lang, e))?
            .map(|content| content.fields())
            .ok_or_else(|| AppError::not_found(lang))
    }

    /// `console_results`: a page of the results list, masked.
    pub fn console_results(&self, filter: &Filter) -> Result<Page, AppError> {
        self.results(filter, true)
    }

    fn results(&self, filter: &Filter, paged: bool) -> Result<Page, AppError> {
        let program = self.program(&filter.program)?;
        let viewer = self.viewer()?;
        let status = people::blank(&filter.status);
        let outcome = people::blank(&filter.outcome);
        let search = people::blank(&filter.search);
        // The filters on the derived rows first: the same tests `people::list` makes, which it
        // repeats on the few rows decoded.
        // The derived rows keep the task status only: a program with declared statuses is
        // filtered on each record's folded status (`people::list`'s test), before paging.
        let declared = !program.transitions().is_empty();
        let replica = self.replica()?;
        let mut held = Vec::new();
        for row in self.held_rows(
            program.id(),
            people::blank(&filter.batch),
            filter.scope_prefix(&viewer),
        )? {
            let keep = match status {
                None => true,
                Some(s) if declared => self
                    .fold_person(replica, &row)?
                    .is_some_and(|c| people::has_status(&c.state, s)),
                Some(s) => row.status.code() == s,
            };
            if keep {
                held.push(row);
            }
        }
        let chosen: Vec<RecordSummary> = held
            .into_iter()
            .filter(|row| {
                outcome.is_none_or(|o| {
                    row.status == TaskStatus::Answered
                        && row
                            .outcome
                            .as_ref()
                            .is_some_and(|codes| codes.iter().any(|c| c == o))
                })
            })
            .filter(|row| {
                search.is_none_or(|needle| people::matches_search(&searched(row), needle))
            })
            .collect();
        let total = chosen.len();
        let (offset, shown) = if paged {
            let offset = filter.offset.unwrap_or(0).min(total);
            (offset, filter.limit.unwrap_or(50).clamp(1, 500))
        } else {
            (0, total)
        };
        let mut candidates = Vec::new();
        for row in chosen.iter().skip(offset).take(shown) {
            if let Some(candidate) = self.fold_person(replica, row)? {
                candidates.push(candidate);
            }
        }
        let window = Filter {
            offset: Some(0),
            limit: Some(shown.max(1)),
            ..filter.clone()
        };
        let mut page = people::list(
            program,
            self.jurisdictions(),
            candidates,
            &window,
            paged,
            |id| self.fields_of(id).map(Some),
        )?;
        page.total = total;
        page.offset = offset;
        Ok(page)
    }

    /// `console_export`: every row matching the filter, as on screen, as an .xlsx workbook.
    pub fn console_export(&self, filter: &Filter) -> Result<Vec<u8>, AppError> {
        let page = self.results(filter, false)?;
        let program = self.program(&filter.program)?;
        people::export_workbook(program, &page, filter.lang())
            .map_err(|e| AppError::internal(self.lang(), e))
    }

    /// `console_export` in the window: writes the export into `folder` as
    /// `<program>-<Beijing time>.xlsx` (never over an existing file) and returns its path.
    /// Lists are masked, so the file holds no full name, phone or ID number.
    pub fn console_export_to(&self, filter: &Filter, folder: &Path) -> Result<PathBuf, AppError> {
        let lang = self.lang();
        let bytes = self.console_export(filter)?;
        let program = self.program(&filter.program)?;
        let stamp: String = shanghai_time(self.now_ms())
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let title: String = program
            .name()
            .get(filter.lang())
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        std::fs::create_dir_all(folder).map_err(|e| AppError::internal(lang, e))?;
        for attempt in 1..100 {
            let name = match attempt {
                1 => format!("{title}-{stamp}.xlsx"),
                n => format!("{title}-{stamp}-{n}.xlsx"),
            };
            let path = folder.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    use std::io::Write;
                    file.write_all(&bytes)
                        .and_then(|()| file.sync_all())
                        .map_err(|e| AppError::internal(lang, e))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(AppError::internal(lang, e)),
            }
        }
        Err(AppError::internal(
            lang,
            "too many exports with the same name",
        ))
    }

    /// `console_person`: one person in full where the role allows, and their events.
    pub fn console_person(&self, id: &str, shown_lang: Lang) -> Result<Detail, AppError> {
        let lang = self.lang();
        let viewer = self.viewer()?;
        let id = RecordId::new(id.to_owned()).map_err(|_| AppError::not_found(lang))?;
        let replica = self.replica()?;
        let row = replica
            .summary(&id)
            .map_err(|e| AppError::replica(lang, e))?
            .filter(|r| {
                r.kind == RecordKind::Person && r.unit.as_deref().is_some_and(|u| viewer.sees(u))
            })
            .ok_or_else(|| AppError::not_found(lang))?;
        let program = self.program(&row.program)?;
        let candidate = self
            .fold_person(replica, &row)?
            .ok_or_else(|| AppError::not_found(lang))?;
        let content = replica
            .content(&id)
            .map_err(|e| AppError::replica(lang, e))?
            .ok_or_else(|| AppError::not_found(lang))?;
        let (events, _) = content.events();
        let items = person_events(program, &events, &self.known_names(), None);
        Ok(people::detail(
            &viewer,
            program,
            self.jurisdictions(),
            &candidate,
            content.fields(),
            items,
            shown_lang,
        ))
    }

    /// The tasks of `program` in scope, from the persons held, with their members.
    fn held_tasks(
        &self,
        program: &Program,
        batch: Option<&str>,
    ) -> Result<Vec<(TaskTally, Vec<Member>)>, AppError> {
        let viewer = self.viewer()?;
        let mut tasks: BTreeMap<String, (TaskKey, Vec<Member>)> = BTreeMap::new();
        for row in self.held_rows(program.id(), batch, Some(viewer.unit.clone()))? {
            let Some(member) = row.member else { continue };
            tasks
                .entry(member.task.id())
                .or_insert_with(|| (member.task.clone(), Vec::new()))
                .1
                .push(member);
        }
        let count = |members: &[Member], done: fn(&Member) -> bool| {
            i64::try_from(members.iter().filter(|m| done(m)).count()).unwrap_or(i64::MAX)
        };
        Ok(tasks
            .into_iter()
            .map(|(id, (key, members))| {
                let tally = TaskTally {
                    id,
                    key,
                    members: count(&members, |_| true),
                    claimed: count(&members, |m| m.claimed_ms.is_some()),
                    answered: count(&members, |m| m.answered_ms.is_some()),
                    anchor_ms: task::anchor_ms(&members, Anchor::Dispatched).unwrap_or(0),
                };
                (tally, members)
            })
            .collect())
    }

    /// The alerts this replica holds within the viewer's scope, by task id.
    fn held_alerts(&self) -> Result<BTreeMap<String, TaskAlerts>, AppError> {
        let lang = self.lang();
        let viewer = self.viewer()?;
        let replica = self.replica()?;
        let rows = replica
            .list_kind(RecordKind::Alert, &viewer.unit, CONSOLE_LIMIT)
            .map_err(|e| AppError::replica(lang, e))?;
        let mut by_task: BTreeMap<String, TaskAlerts> = BTreeMap::new();
        for row in rows {
            let id = RecordId::new(row.id.clone()).map_err(|e| AppError::internal(lang, e))?;
            let Some(content) = replica
                .content(&id)
                .map_err(|e| AppError::replica(lang, e))?
            else {
                continue;
            };
            let fields = content.fields();
            let state = content.state_with_fields(&fields);
            let text = |key: &str| fields.get(key).map(|f| f.value.clone()).unwrap_or_default();
            let held = by_task.entry(text(alert::fields::TASK)).or_default();
            held.program = row.program;
            held.unit = text(alert::fields::TASK_UNIT);
            held.alerts.push(RaisedAlert {
                id: row.id,
                rule: text(alert::fields::RULE),
                // The server raised it with this stamp: its own clock when the step passed.
                fired_ms: state
                    .assigned
                    .as_ref()
                    .map_or(0, |s| i64::try_from(s.at.wall_ms).unwrap_or(i64::MAX)),
                title: text(alert::fields::TITLE),
                resolution: state.alert_resolution,
            });
        }
        Ok(by_task)
    }

    /// `console_towns`: counts and completion per town.
    pub fn console_towns(
        &self,
        program: &str,
        batch: Option<&str>,
    ) -> Result<Vec<TownCounts>, AppError> {
        let program = self.program(program)?;
        let alerts = self.held_alerts()?;
        let tasks: Vec<(TaskTally, i64)> = self
            .held_tasks(program, batch)?
            .into_iter()
            .map(|(tally, members)| {
                let overdue = overdue(program, alerts.get(&tally.id), &members);
                (tally, overdue)
            })
            .collect();
        Ok(board::town_counts(
            self.jurisdictions(),
            &self.viewer()?,
            &tasks,
        ))
    }

    /// `console_progress`: completion over time, cumulative.
    pub fn console_progress(
        &self,
        program: &str,
        batch: Option<&str>,
    ) -> Result<Vec<ProgressPoint>, AppError> {
        let program = self.program(program)?;
        let viewer = self.viewer()?;
        let rows = self.held_rows(program.id(), batch, Some(viewer.unit))?;
        let times = rows
            .iter()
            .filter_map(|row| row.member.as_ref())
            .map(|m| (Some(m.assigned_ms), m.answered_ms));
        Ok(board::progress(times, self.now_ms(), PROGRESS_POINTS))
    }

    /// `console_alerts`: alerts raised and resolved at or after `since_ms`, newest first.
    pub fn console_alerts(&self, since_ms: Option<i64>) -> Result<Feed, AppError> {
        let mut items = Vec::new();
        for (task_id, held) in self.held_alerts()? {
            let Some(program) = self.programs.iter().find(|p| p.id() == held.program) else {
                continue;
            };
            for (key, item) in flow::alert_items(program, &held.alerts, since_ms) {
                items.push(FeedItem {
                    key,
                    task: task_id.clone(),
                    unit_name: unit_text(self.jurisdictions(), &held.unit),
                    item,
                });
            }
        }
        Ok(Feed::of(items, since_ms, FEED_LIMIT))
    }

    /// `console_tasks`: the tasks of a program with their standing alerts.
    pub fn console_tasks(
        &self,
        program: &str,
        batch: Option<&str>,
    ) -> Result<Vec<TaskSummary>, AppError> {
        let program = self.program(program)?;
        let alerts = self.held_alerts()?;
        let tasks = self
            .held_tasks(program, batch)?
            .into_iter()
            .map(|(tally, _)| {
                let standing = alerts.get(&tally.id).map_or(0, |held| {
                    held.alerts
                        .iter()
                        .filter(|a| a.resolution.is_none())
                        .count()
                });
                (tally, standing)
            });
        // One row per batch and unit, as the server's wall: a person moved there is counted
        // with the unit's batch.
        Ok(board::task_rows(self.jurisdictions(), tasks))
    }

    /// `console_flow`: one task's dispatched → claimed → answers → alerts, with the tasks of its
    /// row on the wall (the persons moved to the unit since, `board::row_tasks`).
    pub fn console_flow(&self, task_id: &str) -> Result<Flow, AppError> {
        let lang = self.lang();
        // A task id starts with its program's (`program/batch/unit…`).
        let program = self
            .programs
            .iter()
            .find(|p| task_id.starts_with(&format!("{}/", p.id())))
            .ok_or_else(|| AppError::not_found(lang))?;
        let held = self.held_tasks(program, None)?;
        let key = held
            .iter()
            .find(|(tally, _)| tally.id == task_id)
            .map(|(tally, _)| tally.key.clone())
            .ok_or_else(|| AppError::not_found(lang))?;
        let (tally, tasks) = board::row_tasks(&key, held.iter().map(|(tally, _)| tally))
            .ok_or_else(|| AppError::not_found(lang))?;
        let task_ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        let names = self.known_names();
        let replica = self.replica()?;
        let mut items = Vec::new();
        let members = held
            .iter()
            .filter(|(t, _)| task_ids.contains(&t.id.as_str()))
            .flat_map(|(_, members)| members);
        for member in members {
            let Some(content) = replica
                .content(&member.record)
                .map_err(|e| AppError::replica(lang, e))?
            else {
                continue;
            };
            let person = content
                .fields()
                .get("name")
                .map(|f| mask_name(&f.value))
                .unwrap_or_default();
            let (events, _) = content.events();
            items.extend(person_events(program, &events, &names, Some(&person)));
        }
        let mut alerts = self.held_alerts()?;
        for id in &task_ids {
            let held = alerts.remove(*id).unwrap_or_default();
            items.extend(
                flow::alert_items(program, &held.alerts, None)
                    .into_iter()
                    .map(|(_, item)| item),
            );
        }
        Ok(flow::finish(self.jurisdictions(), &tally, items))
    }

    /// `console_devices`: this device's own sync health — the others' is the server's to know.
    pub fn console_devices(&self) -> Result<Vec<DeviceHealth>, AppError> {
        let lang = self.lang();
        let device = self
            .device
            .as_ref()
            .ok_or_else(|| AppError::not_enrolled(lang))?;
        let replica = self.replica()?;
        let outbox = replica
            .outbox_status()
            .map_err(|e| AppError::replica(lang, e))?;
        let last_sync_ms = replica
            .last_sync_ms()
            .map_err(|e| AppError::replica(lang, e))?;
        let now_ms = self.now_ms();
        Ok(vec![DeviceHealth {
            device: device.device_id.clone(),
            label: device.device_label.clone(),
            user: device.account.user_id.clone(),
            user_name: device.account.display_name.clone(),
            unit: device.account.unit.clone(),
            unit_name: unit_text(self.jurisdictions(), &device.account.unit),
            revoked: false,
            last_sync_ms,
            waiting_records: outbox.waiting_records,
            oldest_unsent_ms: outbox.oldest_unsent_ms,
            oldest_unsent_age_ms: outbox
                .oldest_unsent_ms
                .map(|t| now_ms.saturating_sub(t).max(0)),
            // Unknown offline: the server's ledger head is not here.
            ledger_positions_behind: 0,
        }])
    }

    /// `console_batches`: the batches with persons in this replica, newest first.
    pub fn console_batches(&self) -> Result<Vec<LocalBatch>, AppError> {
        let viewer = self.viewer()?;
        let mut batches: BTreeMap<(String, String), i64> = BTreeMap::new();
        for program in &self.programs {
            for row in self.held_rows(program.id(), None, Some(viewer.unit.clone()))? {
                let Some(member) = row.member else { continue };
                if member.task.batch.is_empty() {
                    continue;
                }
                let first = batches
                    .entry((member.task.batch.clone(), program.id().to_owned()))
                    .or_insert(member.assigned_ms);
                *first = (*first).min(member.assigned_ms);
            }
        }
        let mut out: Vec<LocalBatch> = batches
            .into_iter()
            .map(|((batch, program), created_ms)| LocalBatch {
                batch,
                program,
                created_ms,
            })
            .collect();
        out.sort_by(|a, b| (b.created_ms, &b.batch).cmp(&(a.created_ms, &a.batch)));
        Ok(out)
    }
}

/// The fields a search looks at, from a derived row.
fn searched(row: &RecordSummary) -> BTreeMap<String, String> {
    [
        ("name", &row.name),
        ("phone", &row.phone),
        ("id_number", &row.id_number),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.clone().map(|v| (key.to_owned(), v)))
    .collect()
}

/// The members of a task that its standing alerts (those not resolved) wait for.
fn overdue(program: &Program, held: Option<&TaskAlerts>, members: &[Member]) -> i64 {
    let mut late = std::collections::BTreeSet::new();
    for raised in held.into_iter().flat_map(|h| &h.alerts) {
        if raised.resolution.is_some() {
            continue;
        }
        let until = program.deadline(&raised.rule).and_then(|rule| rule.until());
        late.extend(task::outstanding(members, until));
    }
    i64::try_from(late.len()).unwrap_or(i64::MAX)
}
