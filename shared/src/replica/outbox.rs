//! What the replica remembers about sync: the pull cursor, and per record the heads the server
//! is known to hold (so it can tell what is still to be sent). Used by [`crate::sync::client`].
//!
//! A record is *unsent* while its stored heads differ from its synced heads. Synced heads only
//! move forward on the server's acknowledgement, so a push that was lost is simply made again
//! (the server ignores changes it already has).

use automerge::ChangeHash;
use rusqlite::{OptionalExtension, params};

use super::{Replica, ReplicaError, Writer, decode_heads, encode_heads, load_record};
use crate::record::RecordId;
use crate::sync::message::{Cursor, MAX_PUSH_CHANGES, OutboxStatus, RecordChanges};

const CURSOR_KEY: &str = "cursor";
const LAST_SYNC_KEY: &str = "last_sync_ms";

/// Changes to push, with the heads each record had when they were read: what to mark as synced
/// once the server acknowledges them.
#[derive(Debug, Default)]
pub struct Outbox {
    pub records: Vec<RecordChanges>,
    pub heads: Vec<Vec<ChangeHash>>,
    /// More unsent records than fit in one push.
    pub truncated: bool,
    pub status: OutboxStatus,
}

impl Replica {
    /// How far this replica has pulled.
    pub fn sync_cursor(&self) -> Result<Cursor, ReplicaError> {
        Ok(Cursor(read_state(&self.conn, CURSOR_KEY)?.unwrap_or(0)))
    }

    /// When the last sync finished (ms since the epoch), if one ever did.
    pub fn last_sync_ms(&self) -> Result<Option<i64>, ReplicaError> {
        Ok(read_state(&self.conn, LAST_SYNC_KEY)?.and_then(|v| i64::try_from(v).ok()))
    }

    /// How many records have changes the server has not acknowledged, and since when.
    pub fn outbox_status(&self) -> Result<OutboxStatus, ReplicaError> {
        let (count, oldest): (i64, Option<String>) = self.conn.query_row(
            &format!("SELECT count(*), min(r.updated_at) {UNSENT}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(OutboxStatus {
            waiting_records: u64::try_from(count).unwrap_or(0),
            oldest_unsent_ms: oldest.as_deref().and_then(wall_ms_of_sortable),
        })
    }

    /// The unsent changes, at most `max_bytes` of them (and at most [`MAX_PUSH_CHANGES`]), one
    /// record at a time so that a record's changes always travel together.
    pub fn outbox(&self, max_bytes: usize) -> Result<Outbox, ReplicaError> {
        let status = self.outbox_status()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT r.id, s.synced_heads {UNSENT} ORDER BY r.updated_at, r.id"
        ))?;
        let rows: Vec<(String, Option<Vec<u8>>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut outbox = Outbox {
            status,
            ..Outbox::default()
        };
        let (mut bytes, mut count) = (0usize, 0usize);
        for (id, synced) in rows {
            let id = RecordId::new(id)
                .map_err(|e| ReplicaError::record("?", crate::record::RecordError::BadId(e)))?;
            let Some(mut record) = load_record(&self.conn, &id)? else {
                continue;
            };
            let synced = synced.as_deref().map(decode_heads).unwrap_or_default();
            let changes: Vec<Vec<u8>> = record
                .changes_since(&synced)
                .into_iter()
                .map(|(_, bytes)| bytes)
                .collect();
            let size: usize = changes.iter().map(Vec::len).sum();
            if !outbox.records.is_empty()
                && (bytes + size > max_bytes || count + changes.len() > MAX_PUSH_CHANGES)
            {
                outbox.truncated = true;
                break;
            }
            bytes += size;
            count += changes.len();
            outbox.heads.push(record.heads());
            outbox.records.push(RecordChanges {
                record: id,
                changes,
            });
        }
        Ok(outbox)
    }

    /// Whether the record has changes the server has not acknowledged.
    pub fn is_unsent(&self, id: &RecordId) -> Result<bool, ReplicaError> {
        is_unsent(&self.conn, id)
    }
}

/// Records whose stored heads are not the synced heads (`r` = records, `s` = sync_records).
const UNSENT: &str = "FROM records r LEFT JOIN sync_records s ON s.record_id = r.id
     WHERE s.synced_heads IS NULL OR s.synced_heads <> r.stored_heads";

fn is_unsent(conn: &rusqlite::Connection, id: &RecordId) -> Result<bool, ReplicaError> {
    Ok(conn
        .prepare_cached(&format!("SELECT 1 {UNSENT} AND r.id = ?1"))?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

fn read_state(conn: &rusqlite::Connection, key: &str) -> Result<Option<u64>, ReplicaError> {
    let value: Option<i64> = conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(value.and_then(|v| u64::try_from(v).ok()))
}

/// The wall-clock part of a sortable clock time (`{wall_ms:015}.{counter}.{device}`).
fn wall_ms_of_sortable(text: &str) -> Option<i64> {
    text.split('.').next()?.parse().ok()
}

impl Writer<'_> {
    /// The server holds the record up to `heads`.
    pub fn mark_synced(&mut self, id: &RecordId, heads: &[ChangeHash]) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_records (record_id, synced_heads) VALUES (?1, ?2)
                 ON CONFLICT (record_id) DO UPDATE SET synced_heads = excluded.synced_heads",
            )?
            .execute(params![id.as_str(), encode_heads(heads)])?;
        Ok(())
    }

    /// Forget what the server was thought to hold: the record's whole history is sent next time.
    pub fn forget_synced(&mut self, id: &RecordId) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached("DELETE FROM sync_records WHERE record_id = ?1")?
            .execute([id.as_str()])?;
        Ok(())
    }

    /// Whether the record has changes the server has not acknowledged.
    pub fn is_unsent(&self, id: &RecordId) -> Result<bool, ReplicaError> {
        is_unsent(&self.tx, id)
    }

    /// The heads the replica stores for a record, if it holds it.
    pub fn stored_heads(&self, id: &RecordId) -> Result<Option<Vec<ChangeHash>>, ReplicaError> {
        let heads: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT stored_heads FROM records WHERE id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok(heads.as_deref().map(decode_heads))
    }

    pub fn set_sync_cursor(&mut self, cursor: Cursor, now_ms: i64) -> Result<(), ReplicaError> {
        let mut put = self.tx.prepare_cached(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        put.execute(params![
            CURSOR_KEY,
            i64::try_from(cursor.0).unwrap_or(i64::MAX)
        ])?;
        put.execute(params![LAST_SYNC_KEY, now_ms])?;
        Ok(())
    }

    /// Deletes a record from this replica (it left the device's scope). Returns false, and keeps
    /// the record, if it has changes the server has not acknowledged: those are never dropped.
    pub fn remove_record(&mut self, id: &RecordId) -> Result<bool, ReplicaError> {
        if is_unsent(&self.tx, id)? {
            return Ok(false);
        }
        let rowid: Option<i64> = self
            .tx
            .prepare_cached("SELECT rowid FROM records WHERE id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        if let Some(rowid) = rowid {
            for sql in [
                "DELETE FROM name_grams WHERE record = ?1",
                "DELETE FROM id_number_trigrams WHERE rowid = ?1",
                "DELETE FROM review_marks WHERE record = ?1",
                "DELETE FROM record_contents WHERE record = ?1",
                "DELETE FROM records WHERE rowid = ?1",
            ] {
                self.tx.prepare_cached(sql)?.execute([rowid])?;
            }
        }
        self.tx
            .prepare_cached("DELETE FROM record_chunks WHERE record_id = ?1")?
            .execute([id.as_str()])?;
        self.forget_synced(id)?;
        Ok(true)
    }
}
