//! The derived query tables: computed from a record's document, never edited by hand.

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{ReplicaError, encode_heads};
use crate::record::{
    Record, RecordId, RecordKind, ReviewMark, ReviewReason, TaskStatus, field_keys,
};

/// One record as lists show it. Holds personal data in full: masking is the view's job, and the
/// replica file itself is encrypted on devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSummary {
    pub id: String,
    pub kind: RecordKind,
    pub program: String,
    pub unit: Option<String>,
    pub status: TaskStatus,
    pub batch: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub tag: Option<String>,
    /// When the current unit received the task (ms since the epoch): deadlines count from here.
    pub assigned_at_ms: Option<i64>,
    pub review_count: i64,
}

pub(super) const SUMMARY_COLUMNS: &str = "r.id, r.kind, r.program, r.unit, r.status, r.batch, \
     r.name, r.phone, r.id_number, r.tag, r.assigned_at_ms, r.review_count";

pub(super) fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<RecordSummary> {
    let kind: String = row.get(1)?;
    let status: String = row.get(4)?;
    let invalid = |column: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown {what}").into(),
        )
    };
    Ok(RecordSummary {
        id: row.get(0)?,
        kind: RecordKind::from_code(&kind).ok_or_else(|| invalid(1, "record kind"))?,
        program: row.get(2)?,
        unit: row.get(3)?,
        status: TaskStatus::from_code(&status).ok_or_else(|| invalid(4, "status"))?,
        batch: row.get(5)?,
        name: row.get(6)?,
        phone: row.get(7)?,
        id_number: row.get(8)?,
        tag: row.get(9)?,
        assigned_at_ms: row.get(10)?,
        review_count: row.get(11)?,
    })
}

/// The form names are indexed and searched in: whitespace removed, ASCII lower-cased.
pub(super) fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every 1- and 2-character piece of a name key.
fn name_grams(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut grams: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    grams.extend(chars.windows(2).map(|w| w.iter().collect()));
    grams.sort();
    grams.dedup();
    grams
}

fn reversed(text: &str) -> String {
    text.chars().rev().collect()
}

/// Writes the derived rows of one record. Name grams and the ID trigram index are rewritten only
/// when the name or ID number changed, which keeps applying a workflow change cheap.
pub(super) fn derive(
    conn: &Connection,
    record: &Record,
    heads: &[ChangeHash],
    chunk_count: i64,
) -> Result<(), ReplicaError> {
    let fields = record.fields();
    let state = record.state_with_fields(&fields);
    let text = |key: &str| fields.get(key).map(|f| f.value.clone());
    let name = text(field_keys::NAME);
    let phone = text(field_keys::PHONE);
    let id_number = text(field_keys::ID_NUMBER);
    let previous: Option<(i64, Option<String>, Option<String>, i64)> = conn
        .prepare_cached("SELECT rowid, name, id_number, review_count FROM records WHERE id = ?1")?
        .query_row([record.id().as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let assigned_at_ms = state
        .assigned
        .as_ref()
        .map(|s| i64::try_from(s.at.wall_ms).unwrap_or(i64::MAX));
    let rowid: i64 = conn
        .prepare_cached(
            "INSERT INTO records (id, kind, program, unit, status, batch, name, phone,
                 phone_reversed, id_number, tag, tag_bound_at, assigned_at_ms, updated_at,
                 review_count, stored_heads, chunk_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (id) DO UPDATE SET
                 kind = excluded.kind, program = excluded.program, unit = excluded.unit,
                 status = excluded.status, batch = excluded.batch, name = excluded.name,
                 phone = excluded.phone, phone_reversed = excluded.phone_reversed,
                 id_number = excluded.id_number, tag = excluded.tag,
                 tag_bound_at = excluded.tag_bound_at, assigned_at_ms = excluded.assigned_at_ms,
                 updated_at = excluded.updated_at, review_count = excluded.review_count,
                 stored_heads = excluded.stored_heads, chunk_count = excluded.chunk_count
             RETURNING rowid",
        )?
        .query_row(
            params![
                record.id().as_str(),
                record.kind().code(),
                record.program(),
                state.unit,
                state.status.code(),
                state.batch,
                name,
                phone,
                phone.as_deref().map(reversed),
                id_number,
                state.tag.as_ref().map(|t| t.tag.as_str()),
                state.tag.as_ref().map(|t| t.bound.at.sortable()),
                assigned_at_ms,
                state.last_event_at.as_ref().map(|at| at.sortable()),
                i64::try_from(state.reviews.len()).unwrap_or(i64::MAX),
                encode_heads(heads),
                chunk_count,
            ],
            |r| r.get(0),
        )?;
    let is_new = previous.is_none();
    let (old_name, old_id_number, old_reviews) = match previous {
        Some((_, n, i, reviews)) => (n, i, reviews),
        None => (None, None, 0),
    };
    if is_new || old_name != name {
        conn.prepare_cached("DELETE FROM name_grams WHERE record = ?1")?
            .execute([rowid])?;
        if let Some(name) = &name {
            let mut insert =
                conn.prepare_cached("INSERT INTO name_grams (gram, record) VALUES (?1, ?2)")?;
            for gram in name_grams(&name_key(name)) {
                insert.execute(params![gram, rowid])?;
            }
        }
    }
    if is_new || old_id_number != id_number {
        if !is_new {
            conn.prepare_cached("DELETE FROM id_number_trigrams WHERE rowid = ?1")?
                .execute([rowid])?;
        }
        if let Some(id_number) = &id_number {
            conn.prepare_cached(
                "INSERT INTO id_number_trigrams (rowid, id_number) VALUES (?1, ?2)",
            )?
            .execute(params![rowid, id_number])?;
        }
    }
    if old_reviews > 0 || !state.reviews.is_empty() {
        conn.prepare_cached("DELETE FROM review_marks WHERE record = ?1")?
            .execute([rowid])?;
        let mut insert = conn.prepare_cached(
            "INSERT OR REPLACE INTO review_marks (record, mark_id, reason) VALUES (?1, ?2, ?3)",
        )?;
        for mark in &state.reviews {
            let json = serde_json::to_string(mark).unwrap_or_default();
            insert.execute(params![rowid, mark.id, json])?;
        }
    }
    Ok(())
}

pub(super) fn summary(
    conn: &Connection,
    id: &RecordId,
) -> Result<Option<RecordSummary>, ReplicaError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM records r WHERE r.id = ?1"
        ))?
        .query_row([id.as_str()], summary_from_row)
        .optional()?)
}

fn like_prefix(prefix: &str) -> String {
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("{escaped}%")
}

pub(super) fn list(
    conn: &Connection,
    unit_prefix: &str,
    status: Option<TaskStatus>,
    limit: usize,
    offset: usize,
) -> Result<Vec<RecordSummary>, ReplicaError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM records r
         WHERE r.unit LIKE ?1 ESCAPE '\\' AND (?2 IS NULL OR r.status = ?2)
         ORDER BY r.assigned_at_ms, r.id LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt.query_map(
        params![
            like_prefix(unit_prefix),
            status.map(TaskStatus::code),
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX)
        ],
        summary_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn counts(
    conn: &Connection,
    unit_prefix: &str,
) -> Result<Vec<(TaskStatus, u64)>, ReplicaError> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM records WHERE unit LIKE ?1 ESCAPE '\\' GROUP BY status",
    )?;
    let found: Vec<(String, i64)> = stmt
        .query_map([like_prefix(unit_prefix)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(TaskStatus::ALL
        .into_iter()
        .map(|status| {
            let n = found
                .iter()
                .find(|(code, _)| code == status.code())
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
            (status, n)
        })
        .collect())
}

/// Records with marks from their own fold, plus records sharing a wristband with another record
/// (a conflict no single document can see).
pub(super) fn review_items(
    conn: &Connection,
    limit: usize,
) -> Result<Vec<(RecordSummary, Vec<ReviewMark>)>, ReplicaError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS}, r.rowid FROM records r
         WHERE r.review_count > 0
            OR (r.tag IS NOT NULL AND EXISTS
                (SELECT 1 FROM records o WHERE o.tag = r.tag AND o.rowid <> r.rowid))
         ORDER BY r.id LIMIT ?1"
    ))?;
    let rows: Vec<(RecordSummary, i64)> = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((summary_from_row(r)?, r.get(12)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut items = Vec::with_capacity(rows.len());
    for (summary, rowid) in rows {
        let mut marks: Vec<ReviewMark> = conn
            .prepare_cached("SELECT reason FROM review_marks WHERE record = ?1 ORDER BY mark_id")?
            .query_map([rowid], |r| r.get::<_, String>(0))?
            .filter_map(|json| json.ok().and_then(|j| serde_json::from_str(&j).ok()))
            .collect();
        if let Some(tag) = &summary.tag {
            let others: Vec<String> = conn
                .prepare_cached("SELECT id FROM records WHERE tag = ?1 AND id <> ?2 ORDER BY id")?
                .query_map(params![tag, summary.id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if !others.is_empty() {
                marks.push(ReviewMark {
                    id: format!("tag:{tag}"),
                    reason: ReviewReason::TagBoundToSeveralRecords {
                        tag: tag.clone(),
                        others,
                    },
                    events: Vec::new(),
                });
            }
        }
        items.push((summary, marks));
    }
    Ok(items)
}

/// The derived tables in canonical order (rowids excluded: they depend on insertion order).
pub(super) fn snapshot(conn: &Connection) -> Result<Vec<String>, ReplicaError> {
    let mut lines = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {SUMMARY_COLUMNS}, r.phone_reversed, r.tag_bound_at, r.updated_at,
                hex(r.stored_heads), r.rowid
         FROM records r ORDER BY r.id"
    ))?;
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| {
            let summary = summary_from_row(r)?;
            let extra: (Option<String>, Option<String>, Option<String>, String) =
                (r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?);
            Ok((format!("{summary:?} {extra:?}"), r.get(16)?))
        })?
        .collect::<Result<_, _>>()?;
    for (line, rowid) in rows {
        let grams: Vec<String> = conn
            .prepare_cached("SELECT gram FROM name_grams WHERE record = ?1 ORDER BY gram")?
            .query_map([rowid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let marks: Vec<String> = conn
            .prepare_cached(
                "SELECT mark_id || ' ' || reason FROM review_marks WHERE record = ?1 ORDER BY mark_id",
            )?
            .query_map([rowid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let indexed_id: Option<i64> = conn
            .prepare_cached("SELECT rowid FROM id_number_trigrams WHERE rowid = ?1")?
            .query_row([rowid], |r| r.get(0))
            .optional()?;
        lines.push(format!(
            "{line} grams={grams:?} marks={marks:?} id_indexed={}",
            indexed_id.is_some()
        ));
    }
    Ok(lines)
}
