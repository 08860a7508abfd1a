//! The durable outbox: one row per (notice, channel), claimed under a lease, retried with
//! backoff, and a delivery log row per attempt.
//!
//! Row life: `pending` (due at `next_attempt_at_ms`) → claimed by a worker (`attempts + 1`, a
//! lease `lease_owner` until `lease_until_ms`) → `sent`, or back to `pending` with the next
//! attempt scheduled, or `dead` after the last attempt. A claim skips rows under an unexpired
//! lease, so server instances sharing one database never send the same row at the same time;
//! a worker that died mid-send leaves a lease that expires and makes the row due again.
//! Finishing a row is guarded by (owner, attempt): a worker whose lease was taken over records
//! its attempt in the log but does not overwrite the row.
//!
//! Two implementations of [`OutboxStore`], kept in step with the migrations
//! (`migrations/server-*/V2__notifications.sql`): [`sqlite::SqliteOutbox`] and
//! [`postgres::PostgresOutbox`].

pub mod postgres;
pub mod sqlite;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::NotifyError;
use super::channels::{Accepted, Failed};
use crate::config::Database;

/// Retry delays after the 1st, 2nd, … failed attempt; the last one repeats.
const RETRY_DELAYS_S: [i64; 6] = [10, 30, 60, 5 * 60, 15 * 60, 60 * 60];

/// An outbox row's state. 状态: 待发送 / 已发送 / 已放弃.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Dead,
}

impl DeliveryStatus {
    pub fn code(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "待发送",
            DeliveryStatus::Sent => "已发送",
            DeliveryStatus::Dead => "已放弃",
        }
    }
}

/// What one attempt came to. 发送结果: 成功 / 失败待重试 / 失败已放弃.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Sent,
    /// Failed; another attempt is scheduled.
    Failed,
    /// Failed, and it was the last attempt.
    Dead,
}

impl DeliveryOutcome {
    pub fn code(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Dead => "dead",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Sent, Self::Failed, Self::Dead]
            .into_iter()
            .find(|o| o.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "成功",
            DeliveryOutcome::Failed => "失败待重试",
            DeliveryOutcome::Dead => "失败已放弃",
        }
    }
}

/// A row to add: one notice for one channel, rendered.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub key: String,
    pub channel: String,
    pub kind: &'static str,
    pub payload: String,
    pub created_at_ms: i64,
}

/// A row a worker has claimed: send it, then [`Outbox::finish`] it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub created_at_ms: i64,
}

/// How a claimed row ends its attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Sent {
        at_ms: i64,
        http_status: Option<u16>,
    },
    Retry {
        at_ms: i64,
        next_attempt_at_ms: i64,
        http_status: Option<u16>,
        error: String,
    },
    Dead {
        at_ms: i64,
        http_status: Option<u16>,
        error: String,
    },
}

impl Finish {
    pub fn outcome(&self) -> DeliveryOutcome {
        match self {
            Finish::Sent { .. } => DeliveryOutcome::Sent,
            Finish::Retry { .. } => DeliveryOutcome::Failed,
            Finish::Dead { .. } => DeliveryOutcome::Dead,
        }
    }

    fn parts(&self) -> (i64, Option<u16>, Option<&str>) {
        match self {
            Finish::Sent { at_ms, http_status } => (*at_ms, *http_status, None),
            Finish::Retry {
                at_ms,
                http_status,
                error,
                ..
            }
            | Finish::Dead {
                at_ms,
                http_status,
                error,
            } => (*at_ms, *http_status, Some(error)),
        }
    }
}

/// One row of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryLogEntry {
    pub key: String,
    pub channel: String,
    pub attempt: u32,
    pub at_ms: i64,
    pub outcome: DeliveryOutcome,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

/// Outbox rows per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub pending: u64,
    pub sent: u64,
    pub dead: u64,
}

/// The outbox rows in one database. Every method is one transaction and blocking.
pub trait OutboxStore: Send + Sync {
    /// Adds the rows whose (key, channel) is new; returns how many were added.
    fn insert(&self, rows: &[NewDelivery]) -> Result<usize, NotifyError>;
    /// Whether any row is due at `now_ms` (a read, so that idle polling takes no write lock).
    fn has_due(&self, now_ms: i64) -> Result<bool, NotifyError>;
    /// Leases up to `limit` due rows to `owner` until `lease_until_ms`, counting an attempt.
    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, NotifyError>;
    /// Logs the attempt and, if `owner` still holds this attempt's lease, updates the row.
    /// Returns whether the row was updated.
    fn finish(&self, claimed: &Claimed, owner: &str, finish: &Finish) -> Result<bool, NotifyError>;
    /// The delivery log, newest first, optionally of one notice.
    fn deliveries(
        &self,
        key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryLogEntry>, NotifyError>;
    fn status_counts(&self) -> Result<StatusCounts, NotifyError>;
}

/// When to try again and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// How long a claim holds a row. Longer than a send can take (the send timeout), so that
    /// a live worker never loses its lease mid-send.
    pub lease_ms: i64,
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (from 1): 10 s, 30 s, 1 min, 5 min, 15 min, then
    /// 1 h, each plus up to 25 % jitter. The jitter is derived from the delivery, so retries of
    /// many deliveries that failed together spread out, and a test can predict the bound.
    pub fn delay_ms(key: &str, channel: &str, attempt: u32) -> i64 {
        let index = usize::try_from(attempt.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(RETRY_DELAYS_S.len() - 1);
        let base = RETRY_DELAYS_S[index] * 1000;
        let digest = Sha256::digest(format!("{key}\n{channel}\n{attempt}").as_bytes());
        let spread = i64::from(u16::from_be_bytes([digest[0], digest[1]]));
        base + base / 4 * spread / 65_536
    }

    /// The longest delay after any attempt, jitter included.
    pub const MAX_DELAY_MS: i64 = 60 * 60 * 1000 * 5 / 4;

    fn decide(&self, claimed: &Claimed, result: Result<Accepted, Failed>, now_ms: i64) -> Finish {
        match result {
            Ok(accepted) => Finish::Sent {
                at_ms: now_ms,
                http_status: accepted.http_status,
            },
            Err(failed) if claimed.attempt >= self.max_attempts => Finish::Dead {
                at_ms: now_ms,
                http_status: failed.http_status,
                error: failed.error,
            },
            Err(failed) => Finish::Retry {
                at_ms: now_ms,
                next_attempt_at_ms: now_ms
                    + Self::delay_ms(&claimed.key, &claimed.channel, claimed.attempt),
                http_status: failed.http_status,
                error: failed.error,
            },
        }
    }
}

/// The outbox of one server instance: the rows, this instance's lease owner id, and the bell
/// that wakes the worker when something is enqueued.
pub struct Outbox {
    store: Box<dyn OutboxStore>,
    owner: String,
    policy: RetryPolicy,
    wake: tokio::sync::Notify,
}

impl Outbox {
    /// Opens the outbox in the ledger's database (running the migrations if needed).
    pub fn open(database: &Database, policy: RetryPolicy) -> Result<Self, NotifyError> {
        let store: Box<dyn OutboxStore> = match database {
            Database::Sqlite(path) => Box::new(sqlite::SqliteOutbox::open(path)?),
            Database::Postgres(url) => Box::new(postgres::PostgresOutbox::open(url)?),
        };
        Ok(Self::with_store(store, policy))
    }

    pub fn with_store(store: Box<dyn OutboxStore>, policy: RetryPolicy) -> Self {
        let mut bytes = [0u8; 8];
        // Without OS randomness the id is still unique enough per process and start time.
        if getrandom::fill(&mut bytes).is_err() {
            bytes = jiff::Timestamp::now().as_nanosecond().to_le_bytes()[..8]
                .try_into()
                .unwrap_or_default();
        }
        Self {
            store,
            owner: format!("{}-{}", std::process::id(), hex::encode(bytes)),
            policy,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// This instance's lease owner id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Adds rows (idempotently) and wakes the worker if any is new.
    pub fn insert(&self, rows: &[NewDelivery]) -> Result<usize, NotifyError> {
        let added = self.store.insert(rows)?;
        if added > 0 {
            self.wake.notify_one();
        }
        Ok(added)
    }

    /// Claims up to `limit` due rows for this instance.
    pub fn claim(&self, now_ms: i64, limit: usize) -> Result<Vec<Claimed>, NotifyError> {
        if limit == 0 || !self.store.has_due(now_ms)? {
            return Ok(Vec::new());
        }
        self.store.claim(
            &self.owner,
            now_ms,
            now_ms.saturating_add(self.policy.lease_ms),
            limit,
        )
    }

    /// Whether a claimed row has used up its attempts already (its last attempt's worker died).
    pub fn exhausted(&self, claimed: &Claimed) -> bool {
        claimed.attempt > self.policy.max_attempts
    }

    /// Records an attempt's result: sent, retry later, or dead.
    pub fn finish(
        &self,
        claimed: &Claimed,
        result: Result<Accepted, Failed>,
        now_ms: i64,
    ) -> Result<Finish, NotifyError> {
        let finish = self.policy.decide(claimed, result, now_ms);
        if !self.store.finish(claimed, &self.owner, &finish)? {
            tracing::warn!(
                key = %claimed.key,
                channel = %claimed.channel,
                attempt = claimed.attempt,
                "the lease of this delivery was taken over before its attempt finished"
            );
        }
        Ok(finish)
    }

    /// The delivery log, newest first (of one notice if `key` is given).
    pub fn deliveries(
        &self,
        key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryLogEntry>, NotifyError> {
        self.store.deliveries(key, limit)
    }

    pub fn status_counts(&self) -> Result<StatusCounts, NotifyError> {
        self.store.status_counts()
    }

    /// Wakes the worker (a permit is kept if it is not waiting, so no wake-up is lost).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// `u32` attempt numbers and `u16` HTTP statuses in `INTEGER` columns.
fn attempt_from_db(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn status_from_db(value: Option<i64>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}

fn outcome_from_db(code: &str) -> Result<DeliveryOutcome, NotifyError> {
    DeliveryOutcome::from_code(code)
        .ok_or_else(|| NotifyError::Storage(format!("unknown delivery outcome {code}")))
}

fn counts_from_rows(
    rows: impl IntoIterator<Item = (String, i64)>,
) -> Result<StatusCounts, NotifyError> {
    let mut counts = StatusCounts::default();
    for (status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match status.as_str() {
            "pending" => counts.pending = n,
            "sent" => counts.sent = n,
            "dead" => counts.dead = n,
            other => {
                return Err(NotifyError::Storage(format!(
                    "unknown delivery status {other}"
                )));
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_to_an_hour_with_bounded_jitter() {
        let bases = [10, 30, 60, 300, 900, 3600, 3600, 3600];
        for (n, base) in bases.into_iter().enumerate() {
            let attempt = u32::try_from(n + 1).unwrap();
            for key in ["a", "b", "c", "alert:r1:claim:town"] {
                let delay = RetryPolicy::delay_ms(key, "ch", attempt);
                assert!(delay >= base * 1000, "{key} {attempt}: {delay}");
                assert!(delay < base * 1250, "{key} {attempt}: {delay}");
                assert!(delay <= RetryPolicy::MAX_DELAY_MS);
            }
        }
        assert_ne!(
            RetryPolicy::delay_ms("a", "ch", 1),
            RetryPolicy::delay_ms("b", "ch", 1),
            "deliveries that failed together spread out"
        );
    }

    #[test]
    fn the_last_failed_attempt_is_dead() {
        let policy = RetryPolicy {
            max_attempts: 2,
            lease_ms: 1000,
        };
        let mut claimed = Claimed {
            id: 1,
            key: "k".into(),
            channel: "c".into(),
            kind: "webhook".into(),
            payload: "{}".into(),
            attempt: 1,
            created_at_ms: 0,
        };
        let failed = || {
            Err(Failed {
                http_status: Some(500),
                error: "HTTP 500".into(),
            })
        };
        assert_eq!(
            policy.decide(&claimed, failed(), 100).outcome(),
            DeliveryOutcome::Failed
        );
        claimed.attempt = 2;
        assert_eq!(
            policy.decide(&claimed, failed(), 100).outcome(),
            DeliveryOutcome::Dead
        );
        assert_eq!(
            policy
                .decide(&claimed, Ok(Accepted { http_status: None }), 100)
                .outcome(),
            DeliveryOutcome::Sent
        );
    }
}
