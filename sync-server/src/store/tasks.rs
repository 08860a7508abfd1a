//! Rows of the deadline engine: task members, tasks and scheduled ladder steps, plus the
//! engine's read position in the ledger. Both stores implement [`TaskTx`]; the engine
//! (`crate::engine`) holds all the logic.

use outpost_shared::record::{RecordId, RecordKind};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::{Member, TaskKey};
use serde::Serialize;

/// A record that changed since the engine last looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRecord {
    pub id: RecordId,
    pub kind: RecordKind,
    pub program: String,
    pub updated_seq: u64,
}

/// A task with its counts (任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub key: TaskKey,
    pub members: i64,
    pub claimed: i64,
    pub answered: i64,
    /// When the task reached its unit.
    pub anchor_ms: i64,
    pub updated_ms: i64,
}

/// Where a scheduled step stands (时限状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// Waiting for its due time.
    Open,
    /// Passed with the work not done: its alert stands.
    Fired,
    /// Its alert was resolved.
    Resolved,
    /// Done in time, or nothing is left to do.
    Met,
}

impl DeadlineState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Fired => "fired",
            Self::Resolved => "resolved",
            Self::Met => "met",
        }
    }

    pub fn from_code(code: &str) -> Result<Self, LedgerError> {
        [Self::Open, Self::Fired, Self::Resolved, Self::Met]
            .into_iter()
            .find(|state| state.code() == code)
            .ok_or_else(|| LedgerError::storage(format!("unknown deadline state {code}")))
    }
}

/// A declared step taken that its program tells someone about at once (流转即时通知).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNotice {
    pub record_id: String,
    /// The `Transitioned` event: one notice per step taken, whatever re-reads the record.
    pub event_id: String,
    pub program: String,
    pub action: String,
    /// The unit holding the record when the step was read; recipients are found from it.
    pub unit: String,
    /// When the step was taken, on the device that took it.
    pub at_ms: i64,
}

/// One scheduled ladder step of one task (时限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineRow {
    pub task_id: String,
    pub rule: String,
    pub occurrence_ms: i64,
    pub step: i64,
    pub due_ms: i64,
    pub state: DeadlineState,
    pub alert_id: Option<String>,
    pub fired_ms: Option<i64>,
    /// Whether its alert was handed to the notification outbox.
    pub notified: bool,
}

/// An imported list (批次): who imported it when, its counts and its failure workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportBatch {
    pub batch: String,
    pub program: String,
    pub creator: String,
    pub created_ms: i64,
    pub file_name: Option<String>,
    pub rows: i64,
    pub imported: i64,
    pub failed: i64,
    #[serde(skip)]
    pub failures: Option<Vec<u8>>,
}

/// The engine's rows and import batches, inside one store transaction.
pub trait TaskTx {
    /// The engine's read position, locking the engine row until the transaction ends so that
    /// only one pass runs at a time, whichever instance runs it.
    fn lock_engine(&mut self) -> Result<u64, LedgerError>;
    fn set_engine_cursor(&mut self, seq: u64) -> Result<(), LedgerError>;
    /// Records whose last change is after `seq`, oldest change first.
    fn records_changed_since(
        &mut self,
        seq: u64,
        limit: usize,
    ) -> Result<Vec<ChangedRecord>, LedgerError>;
    fn member(&mut self, record: &RecordId) -> Result<Option<Member>, LedgerError>;
    fn put_member(&mut self, member: &Member) -> Result<(), LedgerError>;
    fn members_of(&mut self, task_id: &str) -> Result<Vec<Member>, LedgerError>;
    fn task(&mut self, id: &str) -> Result<Option<TaskRow>, LedgerError>;
    fn put_task(&mut self, row: &TaskRow) -> Result<(), LedgerError>;
    /// Tasks whose unit is within `unit_prefix`, newest first.
    fn tasks_within(
        &mut self,
        unit_prefix: &str,
        limit: usize,
    ) -> Result<Vec<TaskRow>, LedgerError>;
    fn deadlines_of(&mut self, task_id: &str) -> Result<Vec<DeadlineRow>, LedgerError>;
    /// Inserts a step; returns false (and changes nothing) if it is already scheduled.
    fn insert_deadline(&mut self, row: &DeadlineRow) -> Result<bool, LedgerError>;
    /// Writes a step's state, alert, fired time and notified flag.
    fn update_deadline(&mut self, row: &DeadlineRow) -> Result<(), LedgerError>;
    /// Open steps due at or before `now_ms`, earliest first.
    fn due_deadlines(&mut self, now_ms: i64, limit: usize)
    -> Result<Vec<DeadlineRow>, LedgerError>;
    /// Steps whose alert was raised but not yet handed to the notification outbox.
    fn unnotified(&mut self, limit: usize) -> Result<Vec<DeadlineRow>, LedgerError>;
    /// How many steps are in each state.
    fn deadline_counts(&mut self) -> Result<Vec<(DeadlineState, i64)>, LedgerError>;
    /// Notes a step to tell about; false (and nothing changed) if it is already noted.
    fn insert_step_notice(&mut self, notice: &StepNotice) -> Result<bool, LedgerError>;
    /// Noted steps not yet handed to the notification outbox, oldest first.
    fn unnotified_step_notices(&mut self, limit: usize) -> Result<Vec<StepNotice>, LedgerError>;
    /// Marks a noted step handed over.
    fn step_notice_handed(&mut self, record_id: &str, event_id: &str) -> Result<(), LedgerError>;
    /// Inserts a batch; false (and nothing changed) if its number is taken.
    fn insert_batch(&mut self, batch: &ImportBatch) -> Result<bool, LedgerError>;
    /// One batch with its failure workbook.
    fn batch(&mut self, batch: &str) -> Result<Option<ImportBatch>, LedgerError>;
    /// The latest batches, newest first, without their failure workbooks.
    fn batches(&mut self, limit: usize) -> Result<Vec<ImportBatch>, LedgerError>;
}

pub(crate) fn member_json(member: &Member) -> Result<String, LedgerError> {
    serde_json::to_string(member).map_err(LedgerError::storage)
}

pub(crate) fn member_from_json(text: &str) -> Result<Member, LedgerError> {
    serde_json::from_str(text).map_err(LedgerError::storage)
}

pub(crate) fn key_json(key: &TaskKey) -> Result<String, LedgerError> {
    serde_json::to_string(key).map_err(LedgerError::storage)
}

pub(crate) fn key_from_json(text: &str) -> Result<TaskKey, LedgerError> {
    serde_json::from_str(text).map_err(LedgerError::storage)
}

pub(crate) const TASK_COLUMNS: &str =
    "id, task_key, members, claimed, answered, anchor_ms, updated_ms";
pub(crate) const DEADLINE_COLUMNS: &str =
    "task_id, rule, occurrence_ms, step, due_ms, state, alert_id, fired_ms, notified";
