//! Records of one kind (transfers, supply ledgers) within a unit: few per unit, listed without
//! touching the persons around them.

use rusqlite::{Connection, params};

use super::ReplicaError;
use super::derive::{RecordSummary, SUMMARY_COLUMNS, summary_from_row};
use crate::record::RecordKind;

pub(super) fn list_kind(
    conn: &Connection,
    kind: RecordKind,
    unit_prefix: &str,
    limit: usize,
) -> Result<Vec<RecordSummary>, ReplicaError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM records r
         WHERE r.kind = ?1 AND substr(r.unit, 1, length(?2)) = ?2
         ORDER BY r.assigned_at_ms DESC, r.id LIMIT ?3"
    ))?;
    let rows = stmt.query_map(
        params![
            kind.code(),
            unit_prefix,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        summary_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
