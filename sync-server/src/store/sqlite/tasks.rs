//! [`TaskTx`] on SQLite.

use outpost_shared::record::{RecordId, RecordKind};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::Member;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::store::tasks::{
    ChangedRecord, DEADLINE_COLUMNS, DeadlineRow, DeadlineState, ImportBatch, StepNotice,
    TASK_COLUMNS, TaskRow, TaskTx, key_from_json, key_json, member_from_json, member_json,
};
use crate::store::{like_prefix, record_id, storage, to_i64, to_u64};

fn task_row(row: &Row<'_>) -> rusqlite::Result<(String, String, i64, i64, i64, i64, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn to_task(raw: (String, String, i64, i64, i64, i64, i64)) -> Result<TaskRow, LedgerError> {
    let (id, key, members, claimed, answered, anchor_ms, updated_ms) = raw;
    Ok(TaskRow {
        id,
        key: key_from_json(&key)?,
        members,
        claimed,
        answered,
        anchor_ms,
        updated_ms,
    })
}

type RawDeadline = (
    String,
    String,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    Option<i64>,
    bool,
);

fn deadline_row(row: &Row<'_>) -> rusqlite::Result<RawDeadline> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn to_deadline(raw: RawDeadline) -> Result<DeadlineRow, LedgerError> {
    let (task_id, rule, occurrence_ms, step, due_ms, state, alert_id, fired_ms, notified) = raw;
    Ok(DeadlineRow {
        task_id,
        rule,
        occurrence_ms,
        step,
        due_ms,
        state: DeadlineState::from_code(&state)?,
        alert_id,
        fired_ms,
        notified,
    })
}

impl SqliteTx<'_> {
    fn deadlines(
        &mut self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<DeadlineRow>, LedgerError> {
        let raw: Vec<RawDeadline> = self
            .tx
            .prepare_cached(sql)
            .and_then(|mut s| s.query_map(params, deadline_row)?.collect())
            .map_err(storage)?;
        raw.into_iter().map(to_deadline).collect()
    }
}

impl TaskTx for SqliteTx<'_> {
    fn lock_engine(&mut self) -> Result<u64, LedgerError> {
        // SQLite transactions are already serialised (one writer); updating the row makes this
        // transaction a writer from the start.
        self.tx
            .prepare_cached("UPDATE engine_state SET cursor = cursor WHERE one = 1")
            .and_then(|mut s| s.execute([]))
            .map_err(storage)?;
        let cursor: i64 = self
            .tx
            .prepare_cached("SELECT cursor FROM engine_state WHERE one = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(storage)?;
        Ok(to_u64(cursor))
    }

    fn set_engine_cursor(&mut self, seq: u64) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached("UPDATE engine_state SET cursor = ?1 WHERE one = 1")
            .and_then(|mut s| s.execute([to_i64(seq)]))
            .map_err(storage)?;
        Ok(())
    }

    fn records_changed_since(
        &mut self,
        seq: u64,
        limit: usize,
    ) -> Result<Vec<ChangedRecord>, LedgerError> {
        let raw: Vec<(String, String, String, i64)> = self
            .tx
            .prepare_cached(
                "SELECT id, kind, program, updated_seq FROM records
                 WHERE updated_seq > ?1 ORDER BY updated_seq LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![to_i64(seq), to_i64(limit as u64)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect()
            })
            .map_err(storage)?;
        raw.into_iter()
            .map(|(id, kind, program, updated_seq)| {
                Ok(ChangedRecord {
                    id: record_id(id)?,
                    kind: RecordKind::from_code(&kind)
                        .ok_or_else(|| storage(format!("unknown record kind {kind}")))?,
                    program,
                    updated_seq: to_u64(updated_seq),
                })
            })
            .collect()
    }

    fn member(&mut self, record: &RecordId) -> Result<Option<Member>, LedgerError> {
        let text: Option<String> = self
            .tx
            .prepare_cached("SELECT member FROM task_members WHERE record_id = ?1")
            .and_then(|mut s| s.query_row([record.as_str()], |r| r.get(0)).optional())
            .map_err(storage)?;
        text.as_deref().map(member_from_json).transpose()
    }

    fn put_member(&mut self, member: &Member) -> Result<(), LedgerError> {
        let json = member_json(member)?;
        self.tx
            .prepare_cached(
                "INSERT INTO task_members (record_id, task_id, member) VALUES (?1, ?2, ?3)
                 ON CONFLICT (record_id) DO UPDATE SET task_id = excluded.task_id,
                                                       member = excluded.member",
            )
            .and_then(|mut s| s.execute(params![member.record.as_str(), member.task.id(), json]))
            .map_err(storage)?;
        Ok(())
    }

    fn members_of(&mut self, task_id: &str) -> Result<Vec<Member>, LedgerError> {
        let texts: Vec<String> = self
            .tx
            .prepare_cached("SELECT member FROM task_members WHERE task_id = ?1")
            .and_then(|mut s| s.query_map([task_id], |r| r.get(0))?.collect())
            .map_err(storage)?;
        texts.iter().map(|t| member_from_json(t)).collect()
    }

    fn task(&mut self, id: &str) -> Result<Option<TaskRow>, LedgerError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1");
        let raw = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([id], task_row).optional())
            .map_err(storage)?;
        raw.map(to_task).transpose()
    }

    fn put_task(&mut self, row: &TaskRow) -> Result<(), LedgerError> {
        let key = key_json(&row.key)?;
        self.tx
            .prepare_cached(
                "INSERT INTO tasks (id, task_key, program, batch, unit, members, claimed,
                                    answered, anchor_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (id) DO UPDATE SET members = excluded.members,
                     claimed = excluded.claimed, answered = excluded.answered,
                     anchor_ms = excluded.anchor_ms, updated_ms = excluded.updated_ms",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    key,
                    row.key.program,
                    row.key.batch,
                    row.key.unit,
                    row.members,
                    row.claimed,
                    row.answered,
                    row.anchor_ms,
                    row.updated_ms
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn tasks_within(
        &mut self,
        unit_prefix: &str,
        limit: usize,
    ) -> Result<Vec<TaskRow>, LedgerError> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE unit LIKE ?1 ESCAPE '\\'
             ORDER BY anchor_ms DESC, id LIMIT ?2"
        );
        let raw: Vec<_> = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(
                    params![like_prefix(unit_prefix), to_i64(limit as u64)],
                    task_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(storage)?;
        raw.into_iter().map(to_task).collect()
    }

    fn deadlines_of(&mut self, task_id: &str) -> Result<Vec<DeadlineRow>, LedgerError> {
        let sql = format!(
            "SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE task_id = ?1
             ORDER BY due_ms, rule, step"
        );
        self.deadlines(&sql, [task_id])
    }

    fn insert_deadline(&mut self, row: &DeadlineRow) -> Result<bool, LedgerError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO deadlines (task_id, rule, occurrence_ms, step, due_ms, state,
                                        alert_id, fired_ms, notified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.task_id,
                    row.rule,
                    row.occurrence_ms,
                    row.step,
                    row.due_ms,
                    row.state.code(),
                    row.alert_id,
                    row.fired_ms,
                    row.notified
                ])
            })
            .map_err(storage)?;
        Ok(inserted == 1)
    }

    fn update_deadline(&mut self, row: &DeadlineRow) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "UPDATE deadlines SET state = ?5, alert_id = ?6, fired_ms = ?7, notified = ?8
                 WHERE task_id = ?1 AND rule = ?2 AND occurrence_ms = ?3 AND step = ?4",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.task_id,
                    row.rule,
                    row.occurrence_ms,
                    row.step,
                    row.state.code(),
                    row.alert_id,
                    row.fired_ms,
                    row.notified
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn due_deadlines(
        &mut self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DeadlineRow>, LedgerError> {
        let sql = format!(
            "SELECT {DEADLINE_COLUMNS} FROM deadlines
             WHERE state = 'open' AND due_ms <= ?1 ORDER BY due_ms LIMIT ?2"
        );
        self.deadlines(&sql, params![now_ms, to_i64(limit as u64)])
    }

    fn unnotified(&mut self, limit: usize) -> Result<Vec<DeadlineRow>, LedgerError> {
        let sql = format!(
            "SELECT {DEADLINE_COLUMNS} FROM deadlines
             WHERE state <> 'open' AND notified = 0 AND alert_id IS NOT NULL
             ORDER BY fired_ms LIMIT ?1"
        );
        self.deadlines(&sql, [to_i64(limit as u64)])
    }

    fn insert_step_notice(&mut self, notice: &StepNotice) -> Result<bool, LedgerError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO step_notices (record_id, event_id, program, action, unit, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    notice.record_id,
                    notice.event_id,
                    notice.program,
                    notice.action,
                    notice.unit,
                    notice.at_ms
                ])
            })
            .map_err(storage)?;
        Ok(inserted == 1)
    }

    fn unnotified_step_notices(&mut self, limit: usize) -> Result<Vec<StepNotice>, LedgerError> {
        self.tx
            .prepare_cached(
                "SELECT record_id, event_id, program, action, unit, at_ms FROM step_notices
                 WHERE notified = 0 ORDER BY at_ms LIMIT ?1",
            )
            .and_then(|mut s| {
                s.query_map([to_i64(limit as u64)], |r| {
                    Ok(StepNotice {
                        record_id: r.get(0)?,
                        event_id: r.get(1)?,
                        program: r.get(2)?,
                        action: r.get(3)?,
                        unit: r.get(4)?,
                        at_ms: r.get(5)?,
                    })
                })?
                .collect()
            })
            .map_err(storage)
    }

    fn step_notice_handed(&mut self, record_id: &str, event_id: &str) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "UPDATE step_notices SET notified = 1 WHERE record_id = ?1 AND event_id = ?2",
            )
            .and_then(|mut s| s.execute(params![record_id, event_id]))
            .map_err(storage)?;
        Ok(())
    }

    fn deadline_counts(&mut self) -> Result<Vec<(DeadlineState, i64)>, LedgerError> {
        let raw: Vec<(String, i64)> = self
            .tx
            .prepare_cached("SELECT state, COUNT(*) FROM deadlines GROUP BY state ORDER BY state")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(storage)?;
        raw.into_iter()
            .map(|(state, count)| Ok((DeadlineState::from_code(&state)?, count)))
            .collect()
    }

    fn insert_batch(&mut self, batch: &ImportBatch) -> Result<bool, LedgerError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO import_batches (batch, program, creator, created_ms, file_name, rows,
                                             imported, failed, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    batch.batch,
                    batch.program,
                    batch.creator,
                    batch.created_ms,
                    batch.file_name,
                    batch.rows,
                    batch.imported,
                    batch.failed,
                    batch.failures
                ])
            })
            .map_err(storage)?;
        Ok(inserted == 1)
    }

    fn batch(&mut self, batch: &str) -> Result<Option<ImportBatch>, LedgerError> {
        self.tx
            .prepare_cached(
                "SELECT batch, program, creator, created_ms, file_name, rows, imported, failed,
                        failures FROM import_batches WHERE batch = ?1",
            )
            .and_then(|mut s| s.query_row([batch], import_batch).optional())
            .map_err(storage)
    }

    fn batches(&mut self, limit: usize) -> Result<Vec<ImportBatch>, LedgerError> {
        self.tx
            .prepare_cached(
                "SELECT batch, program, creator, created_ms, file_name, rows, imported, failed,
                        NULL FROM import_batches ORDER BY created_ms DESC, batch DESC LIMIT ?1",
            )
            .and_then(|mut s| {
                s.query_map([to_i64(limit as u64)], import_batch)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(storage)
    }
}

fn import_batch(row: &Row<'_>) -> rusqlite::Result<ImportBatch> {
    Ok(ImportBatch {
        batch: row.get(0)?,
        program: row.get(1)?,
        creator: row.get(2)?,
        created_ms: row.get(3)?,
        file_name: row.get(4)?,
        rows: row.get(5)?,
        imported: row.get(6)?,
        failed: row.get(7)?,
        failures: row.get(8)?,
    })
}
