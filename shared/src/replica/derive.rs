//! The derived query tables: computed from a record's document, never edited by hand.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use automerge::ChangeHash;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde::{Deserialize, Serialize};

use super::{ReplicaError, encode_heads};
use crate::record::{
    RecordContent, RecordId, RecordKind, ReviewMark, ReviewReason, TaskStatus, field_keys,
};
use crate::task::Member;

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
    /// The task (任务) the record belongs to now: `task::TaskKey::id`.
    pub task_id: Option<String>,
    /// The person's standing in that task (claim, answer… times) for deadlines.
    pub member: Option<Member>,
    /// The standing answer's outcome codes, root to leaf.
    pub outcome: Option<Vec<String>>,
}

/// How many columns [`SUMMARY_COLUMNS`] selects: queries that select more read theirs after.
pub(super) const SUMMARY_COLUMN_COUNT: usize = 15;

pub(super) const SUMMARY_COLUMNS: &str = "r.id, r.kind, r.program, r.unit, r.status, r.batch, \
     r.name, r.phone, r.id_number, r.tag, r.assigned_at_ms, r.review_count, r.task_id, r.member, r.outcome";

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
        task_id: row.get(12)?,
        // A member that cannot be read is treated as missing: it is derived data, rebuilt from
        // the document by the next write or `rebuild_derived`.
        member: row
            .get::<_, Option<String>>(13)?
            .and_then(|json| serde_json::from_str(&json).ok()),
        outcome: row
            .get::<_, Option<String>>(14)?
            .map(|codes| codes.split('/').map(str::to_owned).collect()),
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

/// The columns of `records` that [`derive`] writes, in the order of [`StoredRow::columns`].
const DERIVED_COLUMNS: [&str; 19] = [
    "kind",
    "program",
    "unit",
    "status",
    "batch",
    "name",
    "phone",
    "phone_reversed",
    "id_number",
    "tag",
    "tag_bound_at",
    "assigned_at_ms",
    "updated_at",
    "review_count",
    "stored_heads",
    "chunk_count",
    "task_id",
    "member",
    "outcome",
];
const NAME: usize = 5;
const ID_NUMBER: usize = 8;
const REVIEW_COUNT: usize = 13;
const STORED_HEADS: usize = 14;
const CHUNK_COUNT: usize = 15;

/// A record's derived row as stored: what the next derivation is compared with, so that only
/// what changed is written (an update that leaves a column alone leaves its indexes alone).
#[derive(Debug)]
pub(super) struct StoredRow {
    rowid: i64,
    columns: [Value; DERIVED_COLUMNS.len()],
}

impl StoredRow {
    /// The document heads the stored chunks add up to.
    pub(super) fn stored_heads(&self) -> &[u8] {
        match &self.columns[STORED_HEADS] {
            Value::Blob(heads) => heads,
            _ => &[],
        }
    }

    /// How many chunks the document is stored in.
    pub(super) fn chunk_count(&self) -> i64 {
        match self.columns[CHUNK_COUNT] {
            Value::Integer(count) => count,
            _ => 0,
        }
    }
}

/// The stored derived row of record `id`, if there is one.
pub(super) fn stored_row(conn: &Connection, id: &str) -> Result<Option<StoredRow>, ReplicaError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT rowid, {} FROM records WHERE id = ?1",
            DERIVED_COLUMNS.join(", ")
        )
    });
    Ok(conn
        .prepare_cached(&SQL)?
        .query_row([id], |r| {
            let mut columns = [const { Value::Null }; DERIVED_COLUMNS.len()];
            for (index, column) in columns.iter_mut().enumerate() {
                *column = r.get(index + 1)?;
            }
            Ok(StoredRow {
                rowid: r.get(0)?,
                columns,
            })
        })
        .optional()?)
}

fn text_value(text: Option<String>) -> Value {
    text.map_or(Value::Null, Value::Text)
}

/// Writes the derived rows of one record. Name grams, the ID trigram index and review marks are
/// rewritten only when they changed, which keeps applying a workflow change cheap.
pub(super) fn derive(
    conn: &Connection,
    id: &RecordId,
    content: &RecordContent,
    heads: &[ChangeHash],
    chunk_count: i64,
) -> Result<(), ReplicaError> {
    let previous = stored_row(conn, id.as_str())?;
    derive_over(conn, id, content, heads, chunk_count, previous.as_ref())
}

/// The stored content of the record whose derived row is `stored`, if there is one that reads.
pub(super) fn stored_content(
    conn: &Connection,
    stored: &StoredRow,
) -> Result<Option<RecordContent>, ReplicaError> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT content FROM record_contents WHERE record = ?1")?
        .query_row([stored.rowid], |r| r.get(0))
        .optional()?;
    Ok(bytes.and_then(|bytes| RecordContent::from_bytes(&bytes)))
}

/// [`derive`] when the caller already read the stored row (`None`: the record has none yet).
/// The content is stored too, for the next received change.
pub(super) fn derive_over(
    conn: &Connection,
    id: &RecordId,
    content: &RecordContent,
    heads: &[ChangeHash],
    chunk_count: i64,
    previous: Option<&StoredRow>,
) -> Result<(), ReplicaError> {
    let fields = content.fields();
    let state = content.state_with_fields(&fields);
    let text = |key: &str| fields.get(key).map(|f| f.value.clone());
    let name = text(field_keys::NAME);
    let phone = text(field_keys::PHONE);
    let id_number = text(field_keys::ID_NUMBER);
    let member = match content.kind() {
        RecordKind::Person => Member::of(id, content.program(), &state),
        _ => None,
    };
    let assigned_at_ms = state
        .assigned
        .as_ref()
        .map(|s| i64::try_from(s.at.wall_ms).unwrap_or(i64::MAX));
    let columns: [Value; DERIVED_COLUMNS.len()] = [
        Value::Text(content.kind().code().to_owned()),
        Value::Text(content.program().to_owned()),
        text_value(state.unit.clone()),
        Value::Text(state.status.code().to_owned()),
        text_value(state.batch.clone()),
        text_value(name.clone()),
        text_value(phone.clone()),
        text_value(phone.as_deref().map(reversed)),
        text_value(id_number.clone()),
        text_value(state.tag.as_ref().map(|t| t.tag.clone())),
        text_value(state.tag.as_ref().map(|t| t.bound.at.sortable())),
        assigned_at_ms.map_or(Value::Null, Value::Integer),
        text_value(state.last_event_at.as_ref().map(|at| at.sortable())),
        Value::Integer(i64::try_from(state.reviews.len()).unwrap_or(i64::MAX)),
        Value::Blob(encode_heads(heads)),
        Value::Integer(chunk_count),
        text_value(member.as_ref().map(|m| m.task.id())),
        text_value(member.as_ref().and_then(|m| serde_json::to_string(m).ok())),
        text_value(state.answer.as_ref().map(|a| a.outcome.join("/"))),
    ];
    let rowid = match previous {
        Some(previous) => {
            update_changed(conn, previous, &columns)?;
            previous.rowid
        }
        None => insert(conn, id.as_str(), &columns)?,
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO record_contents (record, content) VALUES (?1, ?2)",
    )?
    .execute(params![rowid, content.to_bytes()])?;
    let unchanged = |column: usize| previous.is_some_and(|p| p.columns[column] == columns[column]);
    if !unchanged(NAME) {
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
    if !unchanged(ID_NUMBER) {
        if previous.is_some() {
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
    let old_reviews = previous.map_or(Value::Integer(0), |p| p.columns[REVIEW_COUNT].clone());
    if old_reviews != Value::Integer(0) || !state.reviews.is_empty() {
        write_review_marks(conn, rowid, &state.reviews)?;
    }
    Ok(())
}

/// Inserts (or, should one exist, overwrites) the derived row of record `id`; returns its rowid.
fn insert(
    conn: &Connection,
    id: &str,
    columns: &[Value; DERIVED_COLUMNS.len()],
) -> Result<i64, ReplicaError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO records (id, {names}) VALUES (?1, {values})
             ON CONFLICT (id) DO UPDATE SET {updates}
             RETURNING rowid",
            names = DERIVED_COLUMNS.join(", "),
            values = (2..=DERIVED_COLUMNS.len() + 1)
                .map(|n| format!("?{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            updates = DERIVED_COLUMNS
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    });
    let values = std::iter::once(Value::Text(id.to_owned())).chain(columns.iter().cloned());
    Ok(conn
        .prepare_cached(&SQL)?
        .query_row(params_from_iter(values), |r| r.get(0))?)
}

/// Updates the columns that differ from the stored row, and no others.
fn update_changed(
    conn: &Connection,
    previous: &StoredRow,
    columns: &[Value; DERIVED_COLUMNS.len()],
) -> Result<(), ReplicaError> {
    let changed: Vec<usize> = (0..DERIVED_COLUMNS.len())
        .filter(|&i| previous.columns[i] != columns[i])
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = changed
        .iter()
        .enumerate()
        .map(|(n, &i)| format!("{} = ?{}", DERIVED_COLUMNS[i], n + 1))
        .collect();
    let sql = format!(
        "UPDATE records SET {} WHERE rowid = ?{}",
        sets.join(", "),
        changed.len() + 1
    );
    let values = changed
        .iter()
        .map(|&i| columns[i].clone())
        .chain(std::iter::once(Value::Integer(previous.rowid)));
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}

/// Replaces a record's review marks, unless the stored ones are already these. Like the insert,
/// a later mark with the same id replaces an earlier one.
fn write_review_marks(
    conn: &Connection,
    rowid: i64,
    marks: &[ReviewMark],
) -> Result<(), ReplicaError> {
    let mut wanted: BTreeMap<&str, String> = BTreeMap::new();
    for mark in marks {
        wanted.insert(&mark.id, serde_json::to_string(mark).unwrap_or_default());
    }
    let stored: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT mark_id, reason FROM review_marks WHERE record = ?1 ORDER BY mark_id",
        )?
        .query_map([rowid], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let same = stored.len() == wanted.len()
        && stored
            .iter()
            .zip(&wanted)
            .all(|((id, reason), (wanted_id, wanted_reason))| {
                id == wanted_id && reason == wanted_reason
            });
    if same {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM review_marks WHERE record = ?1")?
        .execute([rowid])?;
    let mut insert = conn
        .prepare_cached("INSERT INTO review_marks (record, mark_id, reason) VALUES (?1, ?2, ?3)")?;
    for (mark_id, reason) in wanted {
        insert.execute(params![rowid, mark_id, reason])?;
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
        // Persons only: transfers, supply ledgers and alerts have a status column too, but they
        // are not tasks to claim.
        "SELECT status, count(*) FROM records
         WHERE unit LIKE ?1 ESCAPE '\\' AND kind = 'person' GROUP BY status",
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
            Ok((summary_from_row(r)?, r.get(SUMMARY_COLUMN_COUNT)?))
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
            let extra: (Option<String>, Option<String>, Option<String>, String) = (
                r.get(SUMMARY_COLUMN_COUNT)?,
                r.get(SUMMARY_COLUMN_COUNT + 1)?,
                r.get(SUMMARY_COLUMN_COUNT + 2)?,
                r.get(SUMMARY_COLUMN_COUNT + 3)?,
            );
            Ok((
                format!("{summary:?} {extra:?}"),
                r.get(SUMMARY_COLUMN_COUNT + 4)?,
            ))
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
