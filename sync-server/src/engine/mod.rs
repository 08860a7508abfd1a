//! The deadline engine (时限引擎): follows the ledger, keeps every person's standing in their
//! task, schedules each task's ladder steps from its program, and when a step passes with the
//! work not done raises an alert record (which syncs to the leaders' devices) and hands a
//! notification to the outbox. When the work is done — even offline before the deadline and
//! synced after it — the alert is resolved, saying when the work was done and when it synced.
//!
//! *Invariants.* A pass is one store transaction that first locks the engine row: passes never
//! overlap, also across server instances on one PostgreSQL, and a pass's reading position, the
//! steps it fires and the alert records it creates commit together — a restart misses nothing
//! and fires nothing twice. Alert ids derive from (task, rule, occurrence, step), so even a
//! repeated creation would name the same record. Notifications are handed over after the commit
//! and marked as handed over afterwards; the outbox drops a repeated idempotency key, so a crash
//! between the two repeats nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::{DeadlineRule, Program};
use outpost_shared::record::{Author, Record, RecordId, RecordKind, UserId, fold};
use outpost_shared::sync::ledger::{self, LedgerError, Peer};
use outpost_shared::sync::{Cursor, RecordChanges, Scope};
use outpost_shared::task::alert::{self, AlertFacts};
use outpost_shared::task::{
    Member, PlannedStep, Satisfaction, anchor_ms, outstanding, plan_steps, satisfaction,
    step_stands,
};
use tracing::{info, warn};

use crate::store::tasks::{DeadlineRow, DeadlineState, TaskRow};
use crate::store::{Store, StoreTx};

mod notices;

use notices::note_steps;
pub use notices::{AlertNotice, AlertOutbox};

/// The device name the engine's own changes (alert records) carry.
pub const ENGINE_DEVICE: &str = "server-engine";
/// The user the engine's events are attributed to (which the apps name 系统 / System).
pub const ENGINE_USER: &str = outpost_shared::sync::message::SYSTEM_USER;

// How much one pass does at most, so that a pass (one transaction, holding the ledger lock on
// PostgreSQL) stays short next to devices' syncs; a backlog takes several passes.
const PASS_RECORDS: usize = 2_000;
const PASS_DUE_STEPS: usize = 500;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Records read from the ledger.
    pub records: usize,
    /// Persons whose task standing changed.
    pub members: usize,
    pub tasks: usize,
    pub scheduled: usize,
    /// Alerts raised.
    pub fired: usize,
    pub resolved: usize,
    /// Steps that passed with the work done in time (or nothing left to do).
    pub met: usize,
    /// Whether a limit was reached: another pass has more to do now.
    pub more: bool,
}

/// The programs an engine schedules, by id.
type Programs = Arc<HashMap<String, Program>>;

/// The engine: the programs it schedules and its clock for the events it writes.
pub struct Engine {
    /// Swapped whole by [`Engine::set_programs`] when an administrator changes a program's
    /// deadlines; a pass works on the programs it started with. A std `RwLock`: held only to
    /// clone or replace the `Arc`.
    programs: RwLock<Programs>,
    author: Author,
    clock: Mutex<HlcClock>,
}

fn engine_author() -> Result<Author, LedgerError> {
    Ok(Author {
        user: UserId::new(ENGINE_USER).map_err(LedgerError::storage)?,
        device: DeviceId::new(ENGINE_DEVICE).map_err(LedgerError::storage)?,
    })
}

impl Engine {
    pub fn new(programs: &[Program]) -> Result<Self, LedgerError> {
        let author = engine_author()?;
        Ok(Self {
            programs: RwLock::new(by_id(programs)),
            clock: Mutex::new(HlcClock::new(author.device.clone())),
            author,
        })
    }

    /// Puts `programs` in force from the next pass: rules are scheduled for anchors from then on
    /// with their new times; steps already scheduled keep their due times, and a step that
    /// fires notifies the recipients its rule has when it fires.
    pub fn set_programs(&self, programs: &[Program]) {
        let programs = by_id(programs);
        match self.programs.write() {
            Ok(mut slot) => *slot = programs,
            Err(poisoned) => *poisoned.into_inner() = programs,
        }
    }

    fn programs(&self) -> Programs {
        match self.programs.read() {
            Ok(programs) => programs.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// One pass at `now_ms`: read what changed, settle the tasks it touched, fire what is due.
    pub fn pass(
        &self,
        store: &impl Store,
        jurisdictions: &Jurisdictions,
        now_ms: i64,
    ) -> Result<PassReport, LedgerError> {
        let programs = self.programs();
        store.transaction(|tx| {
            let mut report = PassReport::default();
            self.ingest(tx, &programs, now_ms, &mut report)?;
            self.fire_due(tx, &programs, jurisdictions, now_ms, &mut report)?;
            Ok(report)
        })
    }

    /// Passes until nothing more is due or changed at `now_ms` (bounded, for tests and catch-up).
    pub fn settle(
        &self,
        store: &impl Store,
        jurisdictions: &Jurisdictions,
        now_ms: i64,
    ) -> Result<PassReport, LedgerError> {
        let mut total = PassReport::default();
        for _ in 0..10_000 {
            let report = self.pass(store, jurisdictions, now_ms)?;
            total.records += report.records;
            total.members += report.members;
            total.tasks += report.tasks;
            total.scheduled += report.scheduled;
            total.fired += report.fired;
            total.resolved += report.resolved;
            total.met += report.met;
            if !report.more {
                break;
            }
        }
        Ok(total)
    }

    fn ingest(
        &self,
        tx: &mut dyn StoreTx,
        programs: &HashMap<String, Program>,
        now_ms: i64,
        report: &mut PassReport,
    ) -> Result<(), LedgerError> {
        let cursor = tx.lock_engine()?;
        let changed = tx.records_changed_since(cursor, PASS_RECORDS)?;
        report.records = changed.len();
        report.more |= changed.len() >= PASS_RECORDS;
        let Some(last) = changed.last().map(|r| r.updated_seq) else {
            return Ok(());
        };
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for record in &changed {
            if record.kind != RecordKind::Person || !programs.contains_key(&record.program) {
                continue;
            }
            let state = fold(&tx.events(&record.id)?);
            if let Some(program) = programs.get(&record.program) {
                note_steps(tx, program, &record.id, &state)?;
            }
            let Some(member) = Member::of(&record.id, &record.program, &state) else {
                continue;
            };
            let previous = tx.member(&record.id)?;
            if previous.as_ref() == Some(&member) {
                continue;
            }
            if let Some(previous) = previous
                && previous.task != member.task
            {
                touched.insert(previous.task.id());
            }
            touched.insert(member.task.id());
            tx.put_member(&member)?;
            report.members += 1;
        }
        tx.set_engine_cursor(last)?;
        for task_id in touched {
            self.settle_task(tx, programs, &task_id, now_ms, report)?;
        }
        Ok(())
    }

    /// Brings one task's row and steps up to date with its members: schedules rules whose anchor
    /// has happened, marks steps met when the work was done in time, resolves standing alerts
    /// once the work is done.
    fn settle_task(
        &self,
        tx: &mut dyn StoreTx,
        programs: &HashMap<String, Program>,
        task_id: &str,
        now_ms: i64,
        report: &mut PassReport,
    ) -> Result<(), LedgerError> {
        let members = tx.members_of(task_id)?;
        let existing = tx.task(task_id)?;
        let key = match (members.first(), &existing) {
            (Some(member), _) => member.task.clone(),
            (None, Some(row)) => row.key.clone(),
            (None, None) => return Ok(()),
        };
        let Some(program) = programs.get(&key.program) else {
            return Ok(());
        };
        let anchor = anchor_ms(&members, outpost_shared::program::Anchor::Dispatched)
            .or(existing.as_ref().map(|row| row.anchor_ms))
            .unwrap_or(now_ms);
        tx.put_task(&TaskRow {
            id: task_id.to_owned(),
            key: key.clone(),
            members: count(members.len()),
            claimed: count(members.iter().filter(|m| m.claimed_ms.is_some()).count()),
            answered: count(members.iter().filter(|m| m.answered_ms.is_some()).count()),
            anchor_ms: anchor,
            updated_ms: now_ms,
        })?;
        report.tasks += 1;
        let steps = tx.deadlines_of(task_id)?;
        for rule in program.deadlines() {
            let of_rule: Vec<&DeadlineRow> = steps.iter().filter(|s| s.rule == rule.id()).collect();
            if of_rule.is_empty()
                && let Some(anchor) = anchor_ms(&members, rule.anchor())
            {
                report.scheduled += schedule(tx, task_id, rule, anchor, None)?;
            }
            for row in of_rule {
                match row.state {
                    DeadlineState::Open if !step_stands(rule, &members, row.due_ms) => {
                        let mut row = row.clone();
                        row.state = DeadlineState::Met;
                        tx.update_deadline(&row)?;
                        report.met += 1;
                    }
                    DeadlineState::Fired => {
                        if let Some(done_ms) = finished(rule, &members, now_ms) {
                            self.resolve(tx, row, done_ms, now_ms)?;
                            report.resolved += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn fire_due(
        &self,
        tx: &mut dyn StoreTx,
        programs: &HashMap<String, Program>,
        jurisdictions: &Jurisdictions,
        now_ms: i64,
        report: &mut PassReport,
    ) -> Result<(), LedgerError> {
        let due = tx.due_deadlines(now_ms, PASS_DUE_STEPS)?;
        report.more |= due.len() >= PASS_DUE_STEPS;
        let mut members_by_task: BTreeMap<String, Vec<Member>> = BTreeMap::new();
        for row in due {
            let Some(task) = tx.task(&row.task_id)? else {
                close(tx, &row, DeadlineState::Met)?;
                report.met += 1;
                continue;
            };
            let Some((program, rule)) = rule_of(programs, &task.key.program, &row.rule) else {
                // The program or rule was removed from the assets: nothing to enforce.
                close(tx, &row, DeadlineState::Met)?;
                report.met += 1;
                continue;
            };
            if !members_by_task.contains_key(&row.task_id) {
                let members = tx.members_of(&row.task_id)?;
                members_by_task.insert(row.task_id.clone(), members);
            }
            let members = members_by_task
                .get(&row.task_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let stands = step_stands(rule, members, row.due_ms);
            if stands {
                let planned = planned(&row);
                let facts = AlertFacts {
                    task: task.key.clone(),
                    step: planned,
                    members: members.len(),
                    outstanding: outstanding(members, rule.until()),
                };
                let unit_name = jurisdictions
                    .get(&task.key.unit)
                    .map_or(task.key.unit.as_str(), |unit| unit.name.as_str());
                let new = alert::new_alert(program, rule, &facts, unit_name)
                    .map_err(LedgerError::storage)?;
                let alert_id = new.id.clone();
                self.create_alert(tx, new, now_ms)?;
                let mut fired = row.clone();
                fired.state = DeadlineState::Fired;
                fired.alert_id = Some(alert_id.as_str().to_owned());
                fired.fired_ms = Some(now_ms);
                tx.update_deadline(&fired)?;
                report.fired += 1;
                info!(
                    task = %task.id,
                    rule = %row.rule,
                    step = row.step,
                    late_ms = now_ms - row.due_ms,
                    alert = %alert_id,
                    "alert raised"
                );
                // Done, but after the step fell due (and before this pass saw it): the alert
                // is raised for the record and resolved at once.
                if let Some(done_ms) = finished(rule, members, now_ms) {
                    self.resolve(tx, &fired, done_ms, now_ms)?;
                    report.resolved += 1;
                }
            } else {
                close(tx, &row, DeadlineState::Met)?;
                report.met += 1;
            }
            // A recurring check repeats while the work is not done.
            if rule.recurrence().is_some()
                && row.step == 0
                && !matches!(
                    rule.until().map(|c| satisfaction(members, c)),
                    Some(Satisfaction::Done(_) | Satisfaction::Empty)
                )
            {
                report.scheduled += schedule(
                    tx,
                    &row.task_id,
                    rule,
                    task.anchor_ms,
                    Some(row.occurrence_ms),
                )?;
            }
        }
        Ok(())
    }

    fn create_alert(
        &self,
        tx: &mut dyn StoreTx,
        new: outpost_shared::record::NewRecord,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        let mut record = {
            let mut clock = self.clock.lock().map_err(|_| poisoned())?;
            Record::create(new, &self.author, &mut clock, wall(now_ms))
                .map_err(LedgerError::storage)?
        };
        let changes = record
            .changes_since(&[])
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect();
        self.push(tx, record.id().clone(), changes, now_ms)
    }

    /// Appends the resolution to the alert of `row` and marks the step resolved.
    fn resolve(
        &self,
        tx: &mut dyn StoreTx,
        row: &DeadlineRow,
        done_ms: i64,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        if let Some(id) = &row.alert_id {
            let id = RecordId::new(id.clone()).map_err(LedgerError::storage)?;
            let max = tx.max_seq()?;
            let stored = tx.changes_of(&id, 0, max, None)?;
            // An alert record that cannot be loaded (a ledger from before pushes were admitted
            // by applying them) must not stop every engine pass: its step stays fired.
            let mut record = match Record::load(&stored.concat()) {
                Ok(record) => record,
                Err(_) => {
                    tracing::warn!(record = %id, "alert record cannot be read; left unresolved");
                    return Ok(());
                }
            };
            if record.state().alert_resolution.is_none() {
                let heads = record.heads();
                {
                    let mut clock = self.clock.lock().map_err(|_| poisoned())?;
                    record
                        .append(
                            &self.author,
                            &mut clock,
                            wall(now_ms),
                            alert::resolve(done_ms, now_ms),
                        )
                        .map_err(LedgerError::storage)?;
                }
                let changes = record
                    .changes_since(&heads)
                    .into_iter()
                    .map(|(_, bytes)| bytes)
                    .collect();
                self.push(tx, id, changes, now_ms)?;
            }
        }
        let mut resolved = row.clone();
        resolved.state = DeadlineState::Resolved;
        tx.update_deadline(&resolved)
    }

    fn push(
        &self,
        tx: &mut dyn StoreTx,
        record: RecordId,
        changes: Vec<Vec<u8>>,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        let everywhere = Scope::of_units([""]);
        let report = ledger::push(
            tx,
            Peer {
                device: ENGINE_DEVICE,
                scope: &everywhere,
            },
            Cursor(0),
            now_ms,
            &[RecordChanges { record, changes }],
        )?;
        if let Some(rejected) = report.rejected.first() {
            return Err(LedgerError::storage(format!(
                "the ledger refused an alert change: {:?}",
                rejected.reason
            )));
        }
        Ok(())
    }
}

fn by_id(programs: &[Program]) -> Programs {
    Arc::new(
        programs
            .iter()
            .map(|p| (p.id().to_owned(), p.clone()))
            .collect(),
    )
}

fn rule_of<'p>(
    programs: &'p HashMap<String, Program>,
    program: &str,
    rule: &str,
) -> Option<(&'p Program, &'p DeadlineRule)> {
    let program = programs.get(program)?;
    Some((program, program.deadline(rule)?))
}

/// When the work a rule waits for was finished, if it was (an emptied task counts as finished
/// now); `None` for a rule without a condition.
fn finished(rule: &DeadlineRule, members: &[Member], now_ms: i64) -> Option<i64> {
    match satisfaction(members, rule.until()?) {
        Satisfaction::Done(at) => Some(at),
        Satisfaction::Empty => Some(now_ms),
        Satisfaction::Open => None,
    }
}

fn planned(row: &DeadlineRow) -> PlannedStep {
    PlannedStep {
        rule: row.rule.clone(),
        occurrence_ms: row.occurrence_ms,
        step: usize::try_from(row.step).unwrap_or(0),
        due_ms: row.due_ms,
    }
}

fn schedule(
    tx: &mut dyn StoreTx,
    task_id: &str,
    rule: &DeadlineRule,
    anchor_ms: i64,
    after_occurrence_ms: Option<i64>,
) -> Result<usize, LedgerError> {
    let steps = plan_steps(rule, anchor_ms, after_occurrence_ms).map_err(LedgerError::storage)?;
    let mut inserted = 0;
    for step in steps {
        let row = DeadlineRow {
            task_id: task_id.to_owned(),
            rule: step.rule,
            occurrence_ms: step.occurrence_ms,
            step: count(step.step),
            due_ms: step.due_ms,
            state: DeadlineState::Open,
            alert_id: None,
            fired_ms: None,
            notified: false,
        };
        if tx.insert_deadline(&row)? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

fn close(tx: &mut dyn StoreTx, row: &DeadlineRow, state: DeadlineState) -> Result<(), LedgerError> {
    let mut row = row.clone();
    row.state = state;
    tx.update_deadline(&row)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn wall(now_ms: i64) -> u64 {
    u64::try_from(now_ms).unwrap_or(0)
}

fn poisoned() -> LedgerError {
    LedgerError::storage("the engine clock lock was poisoned")
}

/// Every how many loops the engine re-reads the administration settings (about 5 s at 250 ms),
/// so that instances sharing one database follow each other's changes.
const SETTINGS_EVERY: u64 = 20;

/// Runs the engine until `shutdown` turns true: a pass every `interval` (or at once while a
/// backlog remains), then the notifications into the app's outbox. Store work runs on
/// blocking threads; the time comes from the app's clock.
pub async fn run(
    app: Arc<crate::App>,
    engine: Arc<Engine>,
    interval: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let generation = Arc::new(std::sync::atomic::AtomicU64::new(app.settings.generation()));
    let mut passes: u64 = 0;
    loop {
        passes += 1;
        let (app_, engine_, generation_) = (app.clone(), engine.clone(), generation.clone());
        let refresh = passes.is_multiple_of(SETTINGS_EVERY);
        let outcome = tokio::task::spawn_blocking(move || -> Result<bool, LedgerError> {
            if refresh && let Err(error) = app_.settings.refresh(&app_.programs, &app_.notifier) {
                warn!(%error, "cannot re-read the administration settings");
            }
            // Deadline settings changed (here or, through `refresh`, by another instance):
            // this pass schedules with them. Checked right before the pass, so a task imported
            // after a change was saved is scheduled with the change.
            let current = app_.settings.generation();
            if generation_.swap(current, std::sync::atomic::Ordering::AcqRel) != current {
                engine_.set_programs(&app_.settings.programs());
            }
            let now = app_.clock.now_ms();
            let report = engine_.pass(&app_.store, &app_.jurisdictions(), now)?;
            engine_.notify(&app_.store, &app_.jurisdictions(), &app_.notifier, now)?;
            Ok(report.more)
        })
        .await;
        let more = match outcome {
            Ok(Ok(more)) => more,
            Ok(Err(error)) => {
                warn!(%error, "deadline engine pass failed; retrying");
                false
            }
            Err(error) => {
                warn!(%error, "deadline engine pass panicked; retrying");
                false
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if more {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => {}
        }
    }
}
