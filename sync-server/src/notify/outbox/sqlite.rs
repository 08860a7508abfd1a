//! The outbox in the ledger's SQLite file, through a connection of its own (WAL lets it read
//! while the ledger writes; writers wait for each other through `busy_timeout`). A claim is one
//! `UPDATE … RETURNING` in an immediate transaction, so two processes on one file never claim
//! the same row.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Claimed, DeliveryLogEntry, Finish, NewDelivery, OutboxStore, StatusCounts, attempt_from_db,
    counts_from_rows, outcome_from_db, status_from_db,
};
use crate::notify::NotifyError;

mod embedded {
    refinery::embed_migrations!("../migrations/server-sqlite");
}

pub struct SqliteOutbox {
    conn: Mutex<Connection>,
}

fn storage(error: impl std::fmt::Display) -> NotifyError {
    NotifyError::Storage(error.to_string())
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteOutbox {
    pub fn open(path: &Path) -> Result<Self, NotifyError> {
        let mut conn = Connection::open(path).map_err(storage)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        // An enqueued notice survives a power cut, like an accepted change.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(storage)?;
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(storage)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, NotifyError> {
        self.conn
            .lock()
            .map_err(|_| NotifyError::Storage("the outbox connection was poisoned".into()))
    }
}

const DUE: &str = "status = 'pending' AND next_attempt_at_ms <= ?1 \
                   AND (lease_until_ms IS NULL OR lease_until_ms <= ?1)";

impl OutboxStore for SqliteOutbox {
    fn insert(&self, rows: &[NewDelivery]) -> Result<usize, NotifyError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO notify_outbox (idempotency_key, channel, kind, payload, status, \
                     attempts, next_attempt_at_ms, created_at_ms) \
                     VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5) \
                     ON CONFLICT (idempotency_key, channel) DO NOTHING",
                )
                .map_err(storage)?;
            for row in rows {
                added += insert
                    .execute(params![
                        row.key,
                        row.channel,
                        row.kind,
                        row.payload,
                        row.created_at_ms
                    ])
                    .map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)?;
        Ok(added)
    }

    fn has_due(&self, now_ms: i64) -> Result<bool, NotifyError> {
        let conn = self.conn()?;
        conn.prepare_cached(&format!("SELECT 1 FROM notify_outbox WHERE {DUE} LIMIT 1"))
            .and_then(|mut s| s.query_row([now_ms], |_| Ok(())).optional())
            .map(|found| found.is_some())
            .map_err(storage)
    }

    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, NotifyError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let claimed = {
            let mut claim = tx
                .prepare_cached(&format!(
                    "UPDATE notify_outbox SET lease_owner = ?2, lease_until_ms = ?3, \
                     attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM notify_outbox WHERE {DUE} \
                                  ORDER BY next_attempt_at_ms, id LIMIT ?4) \
                     RETURNING id, idempotency_key, channel, kind, payload, attempts, created_at_ms"
                ))
                .map_err(storage)?;
            claim
                .query_map(params![now_ms, owner, lease_until_ms, to_i64(limit)], |r| {
                    Ok(Claimed {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        channel: r.get(2)?,
                        kind: r.get(3)?,
                        payload: r.get(4)?,
                        attempt: attempt_from_db(r.get(5)?),
                        created_at_ms: r.get(6)?,
                    })
                })
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(storage)?
        };
        tx.commit().map_err(storage)?;
        Ok(claimed)
    }

    fn finish(&self, claimed: &Claimed, owner: &str, finish: &Finish) -> Result<bool, NotifyError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let guard = "WHERE id = ?1 AND status = 'pending' AND lease_owner = ?2 AND attempts = ?3";
        let attempt = i64::from(claimed.attempt);
        let updated = match finish {
            Finish::Sent { at_ms, .. } => tx.execute(
                &format!(
                    "UPDATE notify_outbox SET status = 'sent', sent_at_ms = ?4, \
                     lease_owner = NULL, lease_until_ms = NULL, last_error = NULL {guard}"
                ),
                params![claimed.id, owner, attempt, at_ms],
            ),
            Finish::Retry {
                next_attempt_at_ms,
                error,
                ..
            } => tx.execute(
                &format!(
                    "UPDATE notify_outbox SET next_attempt_at_ms = ?4, last_error = ?5, \
                     lease_owner = NULL, lease_until_ms = NULL {guard}"
                ),
                params![claimed.id, owner, attempt, next_attempt_at_ms, error],
            ),
            Finish::Dead { error, .. } => tx.execute(
                &format!(
                    "UPDATE notify_outbox SET status = 'dead', last_error = ?4, \
                     lease_owner = NULL, lease_until_ms = NULL {guard}"
                ),
                params![claimed.id, owner, attempt, error],
            ),
        }
        .map_err(storage)?;
        let (at_ms, http_status, error) = finish.parts();
        tx.execute(
            "INSERT INTO notify_deliveries (idempotency_key, channel, attempt, at_ms, outcome, \
             http_status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                claimed.key,
                claimed.channel,
                attempt,
                at_ms,
                finish.outcome().code(),
                http_status,
                error
            ],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(updated == 1)
    }

    fn deliveries(
        &self,
        key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryLogEntry>, NotifyError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached(
                "SELECT idempotency_key, channel, attempt, at_ms, outcome, http_status, error \
                 FROM notify_deliveries WHERE ?1 IS NULL OR idempotency_key = ?1 \
                 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(storage)?;
        let rows = statement
            .query_map(params![key, to_i64(limit)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(storage)?;
        rows.into_iter()
            .map(|(key, channel, attempt, at_ms, outcome, status, error)| {
                Ok(DeliveryLogEntry {
                    key,
                    channel,
                    attempt: attempt_from_db(attempt),
                    at_ms,
                    outcome: outcome_from_db(&outcome)?,
                    http_status: status_from_db(status),
                    error,
                })
            })
            .collect()
    }

    fn status_counts(&self) -> Result<StatusCounts, NotifyError> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached("SELECT status, COUNT(*) FROM notify_outbox GROUP BY status")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            })
            .map_err(storage)?;
        counts_from_rows(rows)
    }
}
