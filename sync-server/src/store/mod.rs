//! Ledger storage: the protocol's [`LedgerTx`] rows plus users, devices and enrolment codes.
//!
//! Two implementations behind one trait: [`sqlite::SqliteStore`] (one file, WAL; the embedded
//! default) and [`postgres::PostgresStore`] (several server instances may share it). Both run
//! the same protocol code ([`outpost_shared::sync::ledger`]); they only store rows.

pub mod postgres;
pub mod sessions;
pub mod sqlite;
pub mod tasks;

use std::collections::BTreeMap;

use outpost_shared::record::{RecordId, RecordKind, TaskStatus};
use outpost_shared::sync::Cursor;
use outpost_shared::sync::ledger::{LedgerError, LedgerRecord, LedgerTx};
use outpost_shared::sync::message::{ErrorBody, OutboxStatus};
use serde::Serialize;

use self::tasks::TaskTx;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub enrolled_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub last_sync_ms: Option<i64>,
    pub cursor: u64,
    pub waiting_records: u64,
    pub oldest_unsent_ms: Option<i64>,
}

/// What happened to an enrolment code that was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    User(String),
    Unknown,
    AlreadyUsed,
    Expired,
}

/// Everything the server stores, inside one transaction.
pub trait StoreTx: LedgerTx + TaskTx + sessions::SessionTx {
    /// Fails with [`LedgerError::Refused`] if the user id is taken.
    fn insert_user(&mut self, user: &User) -> Result<(), LedgerError>;
    fn user(&mut self, id: &str) -> Result<Option<User>, LedgerError>;
    fn users(&mut self) -> Result<Vec<User>, LedgerError>;
    fn insert_enrolment_code(
        &mut self,
        code_hash: &str,
        user: &str,
        expires_at_ms: i64,
    ) -> Result<(), LedgerError>;
    /// Marks the code used if it is valid now.
    fn redeem_enrolment_code(
        &mut self,
        code_hash: &str,
        now_ms: i64,
    ) -> Result<Redeemed, LedgerError>;
    fn insert_device(&mut self, device: &Device, token_hash: &str) -> Result<(), LedgerError>;
    fn device_by_token(&mut self, token_hash: &str) -> Result<Option<Device>, LedgerError>;
    fn devices(&mut self) -> Result<Vec<Device>, LedgerError>;
    /// Returns false if there is no such device.
    fn revoke_device(&mut self, id: &str, now_ms: i64) -> Result<bool, LedgerError>;
    fn note_sync(
        &mut self,
        device: &str,
        now_ms: i64,
        cursor: Cursor,
        outbox: OutboxStatus,
    ) -> Result<(), LedgerError>;
    fn grants(&mut self, user: &str) -> Result<BTreeMap<RecordId, Cursor>, LedgerError>;
    fn insert_grant(&mut self, user: &str, record: &RecordId, seq: u64) -> Result<(), LedgerError>;
    /// How many records the ledger holds.
    fn record_count(&mut self) -> Result<u64, LedgerError>;
}

/// A ledger store: hands out transactions.
pub trait Store: Send + Sync + 'static {
    /// Runs `work` in one transaction, committed if it returns `Ok`, rolled back otherwise.
    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError>;

    /// Like [`Store::transaction`], but the store may commit `work` together with other work
    /// submitted concurrently (group commit: one disk sync for many requests). `work` still
    /// succeeds or fails on its own, and its result is returned only once it is durable.
    fn transaction_grouped<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        self.transaction(work)
    }
}

/// `unit LIKE prefix%` needs the prefix's wildcard characters escaped (codes are digits, but a
/// scope is data and is treated as such).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) fn storage(error: impl std::fmt::Display) -> LedgerError {
    LedgerError::storage(error)
}

// Row helpers both stores share: sequence numbers are BIGINT/INTEGER columns, ids are text.

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn record_id(text: String) -> Result<RecordId, LedgerError> {
    RecordId::new(text).map_err(storage)
}

pub(crate) const DEVICE_COLUMNS: &str = "id, user_id, label, enrolled_at_ms, revoked_at_ms, \
     last_sync_ms, cursor, waiting_records, oldest_unsent_ms";

/// A `records` row's text columns, checked.
pub(crate) fn ledger_record(
    kind: &str,
    program: String,
    events_object: String,
    unit: Option<String>,
    status: &str,
) -> Result<LedgerRecord, LedgerError> {
    Ok(LedgerRecord {
        kind: RecordKind::from_code(kind)
            .ok_or_else(|| storage(format!("unknown record kind {kind}")))?,
        program,
        events_object,
        unit,
        status: TaskStatus::from_code(status)
            .ok_or_else(|| storage(format!("unknown status {status}")))?,
    })
}

pub(crate) fn user_exists(id: &str) -> LedgerError {
    LedgerError::Refused(ErrorBody::new(
        "user_exists",
        format!("user {id} already exists"),
        format!("用户 {id} 已存在"),
    ))
}
