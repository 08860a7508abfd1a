//! Records whose sync went wrong in a way the worker must see (同步异常), kept in
//! `sync_problems` (not derived: a rebuild keeps them).
//!
//! - *Unreadable* (无法读取): data the server sent for the record could not be applied here —
//!   refused as the server's admission refuses it — and the stored copy, if any, was left as it
//!   was. Each is reported to the server once (`SyncRequest::unreadable`), which lists it for
//!   the administrator.
//! - *Refused* (服务器拒收): the server refused this device's changes to the record, with its
//!   reason. The changes stay unsent; the row goes when a later push of the record is taken.

use rusqlite::{OptionalExtension, params};

use super::{Replica, ReplicaError, Writer};
use crate::record::RecordId;
use crate::sync::message::{MAX_REPORT_DETAIL_CHARS, UnreadableReport};

/// The most problems listed at once (a device with more has bigger troubles than a long list).
const LIST_LIMIT: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Received data that could not be applied here.
    Unreadable,
    /// This device's changes, refused by the server.
    Refused,
}

impl ProblemKind {
    fn code(self) -> &'static str {
        match self {
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Refused => "refused",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "unreadable" => Some(ProblemKind::Unreadable),
            "refused" => Some(ProblemKind::Refused),
            _ => None,
        }
    }
}

/// One record's sync problem. Details name ids and what failed, never field values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProblem {
    pub record: String,
    pub kind: ProblemKind,
    pub detail: String,
    /// The server's reason for the device's user, when it gave one.
    pub detail_zh: Option<String>,
    pub since_ms: i64,
    /// When the server took the report (unreadable records only).
    pub reported_ms: Option<i64>,
}

/// How many records have each kind of problem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProblemCounts {
    pub unreadable: u64,
    pub refused: u64,
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_REPORT_DETAIL_CHARS).collect()
}

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<SyncProblem>> {
    let kind: String = row.get(1)?;
    let Some(kind) = ProblemKind::from_code(&kind) else {
        return Ok(None);
    };
    Ok(Some(SyncProblem {
        record: row.get(0)?,
        kind,
        detail: row.get(2)?,
        detail_zh: row.get(3)?,
        since_ms: row.get(4)?,
        reported_ms: row.get(5)?,
    }))
}

const COLUMNS: &str = "record_id, kind, detail, detail_zh, since_ms, reported_ms";

impl Replica {
    /// Every record's sync problems, unreadable ones first, then by record.
    pub fn sync_problems(&self) -> Result<Vec<SyncProblem>, ReplicaError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sync_problems
             ORDER BY kind DESC, record_id LIMIT ?1"
        ))?;
        let rows = stmt.query_map([LIST_LIMIT], read)?;
        Ok(rows
            .filter_map(|r| r.transpose())
            .collect::<Result<_, _>>()?)
    }

    /// One record's sync problem, the unreadable kind first.
    pub fn sync_problem(&self, id: &RecordId) -> Result<Option<SyncProblem>, ReplicaError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM sync_problems WHERE record_id = ?1
                 ORDER BY kind DESC LIMIT 1"
            ))?
            .query_row([id.as_str()], read)
            .optional()?
            .flatten())
    }

    pub fn sync_problem_counts(&self) -> Result<ProblemCounts, ReplicaError> {
        let mut counts = ProblemCounts::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, count(*) FROM sync_problems GROUP BY kind")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (kind, count) = row?;
            let count = u64::try_from(count).unwrap_or(0);
            match ProblemKind::from_code(&kind) {
                Some(ProblemKind::Unreadable) => counts.unreadable = count,
                Some(ProblemKind::Refused) => counts.refused = count,
                None => {}
            }
        }
        Ok(counts)
    }

    /// Unreadable records not yet reported to the server, at most `limit`.
    pub fn unreported(&self, limit: usize) -> Result<Vec<UnreadableReport>, ReplicaError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record_id, detail FROM sync_problems
             WHERE kind = 'unreadable' AND reported_ms IS NULL ORDER BY since_ms, record_id
             LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut reports = Vec::new();
        for row in rows {
            let (record, detail) = row?;
            // Only ids this replica wrote itself are stored; one that no longer parses is left.
            if let Ok(record) = RecordId::new(record) {
                reports.push(UnreadableReport {
                    record,
                    detail: bounded(&detail),
                });
            }
        }
        Ok(reports)
    }
}

impl Writer<'_> {
    /// Notes that data received for `id` could not be applied (the first detail is kept).
    pub fn note_unreadable(
        &mut self,
        id: &RecordId,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_problems (record_id, kind, detail, since_ms)
                 VALUES (?1, 'unreadable', ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![id.as_str(), bounded(detail), now_ms])?;
        Ok(())
    }

    /// Notes that the server refused this device's changes to `id`, with its latest reason.
    pub fn note_refused(
        &mut self,
        id: &RecordId,
        detail: &str,
        detail_zh: Option<&str>,
        now_ms: i64,
    ) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_problems (record_id, kind, detail, detail_zh, since_ms)
                 VALUES (?1, 'refused', ?2, ?3, ?4)
                 ON CONFLICT (record_id, kind) DO UPDATE
                 SET detail = excluded.detail, detail_zh = excluded.detail_zh",
            )?
            .execute(params![
                id.as_str(),
                bounded(detail),
                detail_zh.map(bounded),
                now_ms
            ])?;
        Ok(())
    }

    /// The record no longer has this kind of problem.
    pub fn clear_problem(&mut self, id: &RecordId, kind: ProblemKind) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached("DELETE FROM sync_problems WHERE record_id = ?1 AND kind = ?2")?
            .execute(params![id.as_str(), kind.code()])?;
        Ok(())
    }

    /// The server took the reports on these records.
    pub fn mark_reported(
        &mut self,
        reports: &[UnreadableReport],
        now_ms: i64,
    ) -> Result<(), ReplicaError> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE sync_problems SET reported_ms = ?2
             WHERE record_id = ?1 AND kind = 'unreadable' AND reported_ms IS NULL",
        )?;
        for report in reports {
            stmt.execute(params![report.record.as_str(), now_ms])?;
        }
        Ok(())
    }
}
