//! The outbox in the shared PostgreSQL ledger database, through one connection of its own
//! (reconnected if it drops). Several server instances claim from the same table: the claim
//! locks candidate rows with `FOR UPDATE SKIP LOCKED` and leases them in the same statement,
//! so instances never wait for each other and never claim the same row.

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls, Row};

use super::{
    Claimed, DeliveryLogEntry, Finish, NewDelivery, OutboxStore, StatusCounts, attempt_from_db,
    counts_from_rows, outcome_from_db, status_from_db,
};
use crate::notify::NotifyError;

mod embedded {
    refinery::embed_migrations!("../migrations/server-postgres");
}

pub struct PostgresOutbox {
    url: String,
    client: Mutex<Option<Client>>,
}

impl Drop for PostgresOutbox {
    fn drop(&mut self) {
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        crate::store::postgres::drop_off_runtime(client);
    }
}

fn storage(error: impl std::fmt::Display) -> NotifyError {
    NotifyError::Storage(error.to_string())
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PostgresOutbox {
    pub fn open(url: &str) -> Result<Self, NotifyError> {
        let mut client = Client::connect(url, NoTls).map_err(storage)?;
        embedded::migrations::runner()
            .run(&mut client)
            .map_err(storage)?;
        Ok(Self {
            url: url.to_owned(),
            client: Mutex::new(Some(client)),
        })
    }

    /// Runs `work` on the connection, reconnecting first if it was closed.
    fn with_client<T>(
        &self,
        work: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, NotifyError> {
        let mut slot: MutexGuard<'_, Option<Client>> = self
            .client
            .lock()
            .map_err(|_| NotifyError::Storage("the outbox connection was poisoned".into()))?;
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(Client::connect(&self.url, NoTls).map_err(storage)?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(NotifyError::Storage("no outbox connection".into()));
        };
        work(client).map_err(storage)
    }
}

const DUE: &str = "status = 'pending' AND next_attempt_at_ms <= $1 \
                   AND (lease_until_ms IS NULL OR lease_until_ms <= $1)";

fn claimed_from_row(r: &Row) -> Result<Claimed, postgres::Error> {
    Ok(Claimed {
        id: r.try_get(0)?,
        key: r.try_get(1)?,
        channel: r.try_get(2)?,
        kind: r.try_get(3)?,
        payload: r.try_get(4)?,
        attempt: attempt_from_db(i64::from(r.try_get::<_, i32>(5)?)),
        created_at_ms: r.try_get(6)?,
    })
}

impl OutboxStore for PostgresOutbox {
    fn insert(&self, rows: &[NewDelivery]) -> Result<usize, NotifyError> {
        self.with_client(|client| {
            let mut tx = client.transaction()?;
            let insert = tx.prepare(
                "INSERT INTO notify_outbox (idempotency_key, channel, kind, payload, status, \
                 attempts, next_attempt_at_ms, created_at_ms) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
                 ON CONFLICT (idempotency_key, channel) DO NOTHING",
            )?;
            let mut added = 0;
            for row in rows {
                added += tx.execute(
                    &insert,
                    &[
                        &row.key,
                        &row.channel,
                        &row.kind,
                        &row.payload,
                        &row.created_at_ms,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(usize::try_from(added).unwrap_or(usize::MAX))
        })
    }

    fn has_due(&self, now_ms: i64) -> Result<bool, NotifyError> {
        self.with_client(|client| {
            Ok(client
                .query_opt(
                    &format!("SELECT 1 FROM notify_outbox WHERE {DUE} LIMIT 1"),
                    &[&now_ms],
                )?
                .is_some())
        })
    }

    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>, NotifyError> {
        self.with_client(|client| {
            let rows = client.query(
                &format!(
                    "UPDATE notify_outbox SET lease_owner = $2, lease_until_ms = $3, \
                     attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM notify_outbox WHERE {DUE} \
                                  ORDER BY next_attempt_at_ms, id LIMIT $4 \
                                  FOR UPDATE SKIP LOCKED) \
                     RETURNING id, idempotency_key, channel, kind, payload, attempts, created_at_ms"
                ),
                &[&now_ms, &owner, &lease_until_ms, &to_i64(limit)],
            )?;
            rows.iter().map(claimed_from_row).collect()
        })
    }

    fn finish(&self, claimed: &Claimed, owner: &str, finish: &Finish) -> Result<bool, NotifyError> {
        let attempt = i32::try_from(claimed.attempt).unwrap_or(i32::MAX);
        let (at_ms, http_status, error) = finish.parts();
        let http_status = http_status.map(i32::from);
        self.with_client(|client| {
            let mut tx = client.transaction()?;
            let guard =
                "WHERE id = $1 AND status = 'pending' AND lease_owner = $2 AND attempts = $3";
            let updated = match finish {
                Finish::Sent { at_ms, .. } => tx.execute(
                    &format!(
                        "UPDATE notify_outbox SET status = 'sent', sent_at_ms = $4, \
                         lease_owner = NULL, lease_until_ms = NULL, last_error = NULL {guard}"
                    ),
                    &[&claimed.id, &owner, &attempt, at_ms],
                )?,
                Finish::Retry {
                    next_attempt_at_ms,
                    error,
                    ..
                } => tx.execute(
                    &format!(
                        "UPDATE notify_outbox SET next_attempt_at_ms = $4, last_error = $5, \
                         lease_owner = NULL, lease_until_ms = NULL {guard}"
                    ),
                    &[&claimed.id, &owner, &attempt, next_attempt_at_ms, error],
                )?,
                Finish::Dead { error, .. } => tx.execute(
                    &format!(
                        "UPDATE notify_outbox SET status = 'dead', last_error = $4, \
                         lease_owner = NULL, lease_until_ms = NULL {guard}"
                    ),
                    &[&claimed.id, &owner, &attempt, error],
                )?,
            };
            tx.execute(
                "INSERT INTO notify_deliveries (idempotency_key, channel, attempt, at_ms, \
                 outcome, http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &claimed.key,
                    &claimed.channel,
                    &attempt,
                    &at_ms,
                    &finish.outcome().code(),
                    &http_status,
                    &error,
                ],
            )?;
            tx.commit()?;
            Ok(updated == 1)
        })
    }

    fn deliveries(
        &self,
        key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryLogEntry>, NotifyError> {
        let rows = self.with_client(|client| {
            client.query(
                "SELECT idempotency_key, channel, attempt, at_ms, outcome, http_status, error \
                 FROM notify_deliveries WHERE $1::TEXT IS NULL OR idempotency_key = $1 \
                 ORDER BY id DESC LIMIT $2",
                &[&key, &to_i64(limit)],
            )
        })?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get(4).map_err(storage)?;
                Ok(DeliveryLogEntry {
                    key: r.try_get(0).map_err(storage)?,
                    channel: r.try_get(1).map_err(storage)?,
                    attempt: attempt_from_db(i64::from(r.try_get::<_, i32>(2).map_err(storage)?)),
                    at_ms: r.try_get(3).map_err(storage)?,
                    outcome: outcome_from_db(&outcome)?,
                    http_status: status_from_db(
                        r.try_get::<_, Option<i32>>(5)
                            .map_err(storage)?
                            .map(i64::from),
                    ),
                    error: r.try_get(6).map_err(storage)?,
                })
            })
            .collect()
    }

    fn status_counts(&self) -> Result<StatusCounts, NotifyError> {
        let rows = self.with_client(|client| {
            client.query(
                "SELECT status, COUNT(*) FROM notify_outbox GROUP BY status",
                &[],
            )
        })?;
        let pairs = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<(String, i64)>, postgres::Error>>()
            .map_err(storage)?;
        counts_from_rows(pairs)
    }
}
