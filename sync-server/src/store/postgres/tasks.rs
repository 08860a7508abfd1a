//! [`TaskTx`] on PostgreSQL. Every transaction already holds the `ledger_seq` row lock, so engine
//! passes of several instances are serialised; `lock_engine` also locks its own row so that the
//! guarantee does not hang on that detail.

use outpost_shared::record::{RecordId, RecordKind};
use outpost_shared::sync::ledger::LedgerError;
use outpost_shared::task::Member;
use postgres::Row;

use super::PgTx;
use crate::store::tasks::{
    ChangedRecord, DeadlineRow, DeadlineState, ImportBatch, StepNotice, TaskRow, TaskTx,
    key_from_json, key_json, member_from_json, member_json,
};
use crate::store::{like_prefix, record_id, storage, to_i64, to_u64};

fn to_task(row: &Row) -> Result<TaskRow, LedgerError> {
    Ok(TaskRow {
        id: row.get(0),
        key: key_from_json(row.get(1))?,
        members: row.get(2),
        claimed: row.get(3),
        answered: row.get(4),
        anchor_ms: row.get(5),
        updated_ms: row.get(6),
    })
}

fn to_deadline(row: &Row) -> Result<DeadlineRow, LedgerError> {
    Ok(DeadlineRow {
        task_id: row.get(0),
        rule: row.get(1),
        occurrence_ms: row.get(2),
        step: row.get(3),
        due_ms: row.get(4),
        state: DeadlineState::from_code(row.get(5))?,
        alert_id: row.get(6),
        fired_ms: row.get(7),
        notified: row.get(8),
    })
}

fn limit(value: usize) -> i64 {
    to_i64(value as u64)
}

impl TaskTx for PgTx<'_> {
    fn lock_engine(&mut self) -> Result<u64, LedgerError> {
        let rows = self.query(
            "SELECT cursor FROM engine_state WHERE one = 1 FOR UPDATE",
            &[],
        )?;
        Ok(rows.first().map_or(0, |r| to_u64(r.get(0))))
    }

    fn set_engine_cursor(&mut self, seq: u64) -> Result<(), LedgerError> {
        self.execute(
            "UPDATE engine_state SET cursor = $1 WHERE one = 1",
            &[&to_i64(seq)],
        )?;
        Ok(())
    }

    fn records_changed_since(
        &mut self,
        seq: u64,
        count: usize,
    ) -> Result<Vec<ChangedRecord>, LedgerError> {
        let rows = self.query(
            "SELECT id, kind, program, updated_seq FROM records
             WHERE updated_seq > $1 ORDER BY updated_seq LIMIT $2",
            &[&to_i64(seq), &limit(count)],
        )?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(1);
                Ok(ChangedRecord {
                    id: record_id(r.get(0))?,
                    kind: RecordKind::from_code(kind)
                        .ok_or_else(|| storage(format!("unknown record kind {kind}")))?,
                    program: r.get(2),
                    updated_seq: to_u64(r.get(3)),
                })
            })
            .collect()
    }

    fn member(&mut self, record: &RecordId) -> Result<Option<Member>, LedgerError> {
        let row = self.query_opt(
            "SELECT member FROM task_members WHERE record_id = $1",
            &[&record.as_str()],
        )?;
        row.map(|r| member_from_json(r.get(0))).transpose()
    }

    fn put_member(&mut self, member: &Member) -> Result<(), LedgerError> {
        let json = member_json(member)?;
        self.execute(
            "INSERT INTO task_members (record_id, task_id, member) VALUES ($1, $2, $3)
             ON CONFLICT (record_id) DO UPDATE SET task_id = excluded.task_id,
                                                   member = excluded.member",
            &[&member.record.as_str(), &member.task.id(), &json],
        )?;
        Ok(())
    }

    fn members_of(&mut self, task_id: &str) -> Result<Vec<Member>, LedgerError> {
        let rows = self.query(
            "SELECT member FROM task_members WHERE task_id = $1",
            &[&task_id],
        )?;
        rows.iter().map(|r| member_from_json(r.get(0))).collect()
    }

    fn task(&mut self, id: &str) -> Result<Option<TaskRow>, LedgerError> {
        let row = self.query_opt(
            "SELECT id, task_key, members, claimed, answered, anchor_ms, updated_ms
             FROM tasks WHERE id = $1",
            &[&id],
        )?;
        row.as_ref().map(to_task).transpose()
    }

    fn put_task(&mut self, row: &TaskRow) -> Result<(), LedgerError> {
        let key = key_json(&row.key)?;
        self.execute(
            "INSERT INTO tasks (id, task_key, program, batch, unit, members, claimed, answered,
                                anchor_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET members = excluded.members,
                 claimed = excluded.claimed, answered = excluded.answered,
                 anchor_ms = excluded.anchor_ms, updated_ms = excluded.updated_ms",
            &[
                &row.id,
                &key,
                &row.key.program,
                &row.key.batch,
                &row.key.unit,
                &row.members,
                &row.claimed,
                &row.answered,
                &row.anchor_ms,
                &row.updated_ms,
            ],
        )?;
        Ok(())
    }

    fn tasks_within(
        &mut self,
        unit_prefix: &str,
        count: usize,
    ) -> Result<Vec<TaskRow>, LedgerError> {
        let rows = self.query(
            "SELECT id, task_key, members, claimed, answered, anchor_ms, updated_ms
             FROM tasks WHERE unit LIKE $1 ORDER BY anchor_ms DESC, id LIMIT $2",
            &[&like_prefix(unit_prefix), &limit(count)],
        )?;
        rows.iter().map(to_task).collect()
    }

    fn deadlines_of(&mut self, task_id: &str) -> Result<Vec<DeadlineRow>, LedgerError> {
        let rows = self.query(
            "SELECT task_id, rule, occurrence_ms, step, due_ms, state, alert_id, fired_ms, notified
             FROM deadlines WHERE task_id = $1 ORDER BY due_ms, rule, step",
            &[&task_id],
        )?;
        rows.iter().map(to_deadline).collect()
    }

    fn insert_deadline(&mut self, row: &DeadlineRow) -> Result<bool, LedgerError> {
        let inserted = self.execute(
            "INSERT INTO deadlines (task_id, rule, occurrence_ms, step, due_ms, state, alert_id,
                                    fired_ms, notified)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            &[
                &row.task_id,
                &row.rule,
                &row.occurrence_ms,
                &row.step,
                &row.due_ms,
                &row.state.code(),
                &row.alert_id,
                &row.fired_ms,
                &row.notified,
            ],
        )?;
        Ok(inserted == 1)
    }

    fn update_deadline(&mut self, row: &DeadlineRow) -> Result<(), LedgerError> {
        self.execute(
            "UPDATE deadlines SET state = $5, alert_id = $6, fired_ms = $7, notified = $8
             WHERE task_id = $1 AND rule = $2 AND occurrence_ms = $3 AND step = $4",
            &[
                &row.task_id,
                &row.rule,
                &row.occurrence_ms,
                &row.step,
                &row.state.code(),
                &row.alert_id,
                &row.fired_ms,
                &row.notified,
            ],
        )?;
        Ok(())
    }

    fn due_deadlines(
        &mut self,
        now_ms: i64,
        count: usize,
    ) -> Result<Vec<DeadlineRow>, LedgerError> {
        let rows = self.query(
            "SELECT task_id, rule, occurrence_ms, step, due_ms, state, alert_id, fired_ms, notified
             FROM deadlines WHERE state = 'open' AND due_ms <= $1 ORDER BY due_ms LIMIT $2",
            &[&now_ms, &limit(count)],
        )?;
        rows.iter().map(to_deadline).collect()
    }

    fn unnotified(&mut self, count: usize) -> Result<Vec<DeadlineRow>, LedgerError> {
        let rows = self.query(
            "SELECT task_id, rule, occurrence_ms, step, due_ms, state, alert_id, fired_ms, notified
             FROM deadlines WHERE state <> 'open' AND NOT notified AND alert_id IS NOT NULL
             ORDER BY fired_ms LIMIT $1",
            &[&limit(count)],
        )?;
        rows.iter().map(to_deadline).collect()
    }

    fn insert_step_notice(&mut self, notice: &StepNotice) -> Result<bool, LedgerError> {
        let inserted = self.execute(
            "INSERT INTO step_notices (record_id, event_id, program, action, unit, at_ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            &[
                &notice.record_id,
                &notice.event_id,
                &notice.program,
                &notice.action,
                &notice.unit,
                &notice.at_ms,
            ],
        )?;
        Ok(inserted == 1)
    }

    fn unnotified_step_notices(&mut self, count: usize) -> Result<Vec<StepNotice>, LedgerError> {
        let rows = self.query(
            "SELECT record_id, event_id, program, action, unit, at_ms FROM step_notices
             WHERE NOT notified ORDER BY at_ms LIMIT $1",
            &[&limit(count)],
        )?;
        Ok(rows
            .iter()
            .map(|row| StepNotice {
                record_id: row.get(0),
                event_id: row.get(1),
                program: row.get(2),
                action: row.get(3),
                unit: row.get(4),
                at_ms: row.get(5),
            })
            .collect())
    }

    fn step_notice_handed(&mut self, record_id: &str, event_id: &str) -> Result<(), LedgerError> {
        self.execute(
            "UPDATE step_notices SET notified = TRUE WHERE record_id = $1 AND event_id = $2",
            &[&record_id, &event_id],
        )?;
        Ok(())
    }

    fn deadline_counts(&mut self) -> Result<Vec<(DeadlineState, i64)>, LedgerError> {
        let rows = self.query(
            "SELECT state, COUNT(*) FROM deadlines GROUP BY state ORDER BY state",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((DeadlineState::from_code(r.get(0))?, r.get(1))))
            .collect()
    }

    fn insert_batch(&mut self, batch: &ImportBatch) -> Result<bool, LedgerError> {
        let inserted = self.execute(
            "INSERT INTO import_batches (batch, program, creator, created_ms, file_name, rows,
                                         imported, failed, failures)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            &[
                &batch.batch,
                &batch.program,
                &batch.creator,
                &batch.created_ms,
                &batch.file_name,
                &batch.rows,
                &batch.imported,
                &batch.failed,
                &batch.failures,
            ],
        )?;
        Ok(inserted == 1)
    }

    fn batch(&mut self, batch: &str) -> Result<Option<ImportBatch>, LedgerError> {
        let row = self.query_opt(
            "SELECT batch, program, creator, created_ms, file_name, rows, imported, failed,
                    failures FROM import_batches WHERE batch = $1",
            &[&batch],
        )?;
        Ok(row.as_ref().map(import_batch))
    }

    fn batches(&mut self, count: usize) -> Result<Vec<ImportBatch>, LedgerError> {
        let rows = self.query(
            "SELECT batch, program, creator, created_ms, file_name, rows, imported, failed,
                    NULL::BYTEA FROM import_batches ORDER BY created_ms DESC, batch DESC LIMIT $1",
            &[&limit(count)],
        )?;
        Ok(rows.iter().map(import_batch).collect())
    }
}

fn import_batch(row: &Row) -> ImportBatch {
    ImportBatch {
        batch: row.get(0),
        program: row.get(1),
        creator: row.get(2),
        created_ms: row.get(3),
        file_name: row.get(4),
        rows: row.get(5),
        imported: row.get(6),
        failed: row.get(7),
        failures: row.get(8),
    }
}
