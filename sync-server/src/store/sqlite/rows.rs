//! The ledger's rows in SQLite: the protocol's [`LedgerTx`] and the server's [`StoreTx`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use automerge::ChangeHash;
use outpost_shared::record::{Event, RecordId};
use outpost_shared::sync::ledger::{ChangeRow, LedgerError, LedgerRecord, LedgerTx, LedgerWrites};
use outpost_shared::sync::message::OutboxStatus;
use outpost_shared::sync::{Cursor, Scope};
use rusqlite::{OptionalExtension, Row, Statement, Transaction, params};

use super::SqliteTx;
use crate::store::{
    DEVICE_COLUMNS, Device, Redeemed, StoreTx, User, ledger_record, like_prefix, record_id,
    storage, to_i64, to_u64, user_exists,
};

fn device_from_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        user_id: r.get(1)?,
        label: r.get(2)?,
        enrolled_at_ms: r.get(3)?,
        revoked_at_ms: r.get(4)?,
        last_sync_ms: r.get(5)?,
        cursor: to_u64(r.get(6)?),
        waiting_records: to_u64(r.get(7)?),
        oldest_unsent_ms: r.get(8)?,
    })
}

/// The scope's subtrees as SQL over `column`, with the parameters numbered from `first_param`;
/// `0` when it has none. A code prefix becomes a range (`column >= prefix AND column < next`),
/// which SQLite answers from the index on the column; `LIKE` cannot use it.
fn unit_filter(scope: &Scope, column: &str, first_param: usize) -> (String, Vec<String>) {
    if scope.units.is_empty() {
        return ("0".to_owned(), Vec::new());
    }
    let mut terms = Vec::new();
    let mut params = Vec::new();
    for unit in &scope.units {
        let n = first_param + params.len();
        match prefix_upper_bound(unit) {
            Some(next) => {
                terms.push(format!("({column} >= ?{n} AND {column} < ?{})", n + 1));
                params.push(unit.clone());
                params.push(next);
            }
            None => {
                terms.push(format!("{column} LIKE ?{n} ESCAPE '\\'"));
                params.push(like_prefix(unit));
            }
        }
    }
    (format!("({})", terms.join(" OR ")), params)
}

/// The smallest text greater than every text starting with `prefix`, when the last character is
/// plain ASCII (unit codes are digits).
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let last = *prefix.as_bytes().last()?;
    if !(last.is_ascii_graphic()) || last == b'~' {
        return None;
    }
    let mut next = prefix[..prefix.len() - 1].to_owned();
    next.push(char::from(last + 1));
    Some(next)
}

/// Values per `IN (…)` list of a batched read. Lists are padded to a power of two (repeating
/// the last value, which changes nothing) so that a few prepared statements serve every push.
const MAX_IN_LIST: usize = 256;

/// Runs `select … (?, ?, …)` over `keys`, [`MAX_IN_LIST`] at a time, handing each row to
/// `row`; `bind` binds one key at a parameter index.
fn select_in<K>(
    tx: &Transaction<'_>,
    select: &str,
    keys: &[K],
    bind: impl Fn(&mut Statement<'_>, usize, &K) -> rusqlite::Result<()>,
    mut row: impl FnMut(&Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    for chunk in keys.chunks(MAX_IN_LIST) {
        let Some(last) = chunk.last() else { continue };
        let slots = chunk.len().next_power_of_two().max(8);
        let sql = format!("{select} ({})", vec!["?"; slots].join(", "));
        let mut statement = tx.prepare_cached(&sql)?;
        for n in 0..slots {
            bind(&mut statement, n + 1, chunk.get(n).unwrap_or(last))?;
        }
        let mut rows = statement.raw_query();
        while let Some(r) = rows.next()? {
            row(r)?;
        }
    }
    Ok(())
}

/// Rows per multi-row `INSERT`: each statement run has its own start-up, bindings reset and
/// halt, which for one-row inserts was about a third of SQLite's time in an import.
const ROWS_PER_INSERT: usize = 50;

/// Inserts `rows` into `table` with `INSERT INTO table (columns) VALUES (…), (…), … tail`, up to
/// [`ROWS_PER_INSERT`] rows per statement; `bind` binds one row's values from the given
/// parameter index on, in column order.
fn insert_rows<T>(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: &[T],
    bind: impl Fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let one = format!("({})", vec!["?"; columns.len()].join(", "));
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} {tail}",
            columns.join(", "),
            vec![one.as_str(); chunk.len()].join(", ")
        );
        let mut statement = tx.prepare_cached(&sql)?;
        for (n, row) in chunk.iter().enumerate() {
            bind(&mut statement, n * columns.len() + 1, row)?;
        }
        statement.raw_execute()?;
    }
    Ok(())
}

impl LedgerTx for SqliteTx<'_> {
    fn write(&mut self, rows: &LedgerWrites<'_>) -> Result<(), LedgerError> {
        let events: Vec<(&RecordId, &str, Cow<'_, str>)> = rows
            .events
            .iter()
            .map(|e| Ok((e.record, e.event.id.as_str(), e.json()?)))
            .collect::<Result<_, LedgerError>>()?;
        let record_columns = [
            "id",
            "kind",
            "program",
            "events_object",
            "unit",
            "status",
            "updated_seq",
        ];
        let tx = &self.tx;
        insert_rows(
            tx,
            "records",
            &record_columns,
            "",
            &rows.new_records,
            |s, at, r| {
                s.raw_bind_parameter(at, r.id.as_str())?;
                s.raw_bind_parameter(at + 1, r.record.kind.code())?;
                s.raw_bind_parameter(at + 2, &r.record.program)?;
                s.raw_bind_parameter(at + 3, &r.record.events_object)?;
                s.raw_bind_parameter(at + 4, &r.record.unit)?;
                s.raw_bind_parameter(at + 5, r.record.status.code())?;
                s.raw_bind_parameter(at + 6, to_i64(r.seq))
            },
        )
        .map_err(storage)?;
        for row in &rows.updated_records {
            self.update_record(row.id, &row.record, row.seq, row.unit_changed)?;
        }
        let tx = &self.tx;
        let change_columns = [
            "seq",
            "hash",
            "record_id",
            "bytes",
            "device_id",
            "received_at_ms",
        ];
        insert_rows(
            tx,
            "changes",
            &change_columns,
            "",
            &rows.changes,
            |s, at, c| {
                s.raw_bind_parameter(at, to_i64(c.seq))?;
                s.raw_bind_parameter(at + 1, &c.hash.0[..])?;
                s.raw_bind_parameter(at + 2, c.record.as_str())?;
                s.raw_bind_parameter(at + 3, c.bytes)?;
                s.raw_bind_parameter(at + 4, c.device)?;
                s.raw_bind_parameter(at + 5, c.received_at_ms)
            },
        )
        .and_then(|()| {
            // As `insert_events`: an event id given twice for a record is stored once.
            let columns = ["record_id", "event_id", "event"];
            let tail = "ON CONFLICT DO NOTHING";
            insert_rows(tx, "record_events", &columns, tail, &events, |s, at, e| {
                s.raw_bind_parameter(at, e.0.as_str())?;
                s.raw_bind_parameter(at + 1, e.1)?;
                s.raw_bind_parameter(at + 2, e.2.as_ref())
            })
        })
        .and_then(|()| {
            let columns = ["record_id", "seq", "from_unit", "to_unit"];
            insert_rows(
                tx,
                "placements",
                &columns,
                "",
                &rows.placements,
                |s, at, p| {
                    s.raw_bind_parameter(at, p.record.as_str())?;
                    s.raw_bind_parameter(at + 1, to_i64(p.seq))?;
                    s.raw_bind_parameter(at + 2, &p.from)?;
                    s.raw_bind_parameter(at + 3, &p.to)
                },
            )
        })
        .map_err(storage)
    }

    fn allocate_seqs(&mut self, count: u64) -> Result<u64, LedgerError> {
        let first = self.max_seq()? + 1;
        self.last_seq = Some(first + count.max(1) - 1);
        Ok(first)
    }

    fn records(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, LedgerRecord>, LedgerError> {
        let mut found = HashMap::with_capacity(ids.len());
        select_in(
            &self.tx,
            "SELECT id, kind, program, events_object, unit, status FROM records WHERE id IN",
            ids,
            |s, at, id| s.raw_bind_parameter(at, id.as_str()),
            |r| {
                let row: (String, String, String, String, Option<String>, String) = (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                );
                found.insert(row.0, (row.1, row.2, row.3, row.4, row.5));
                Ok(())
            },
        )
        .map_err(storage)?;
        found
            .into_iter()
            .map(|(id, (kind, program, events_object, unit, status))| {
                Ok((
                    record_id(id)?,
                    ledger_record(&kind, program, events_object, unit, &status)?,
                ))
            })
            .collect()
    }

    fn change_owners(
        &mut self,
        hashes: &[ChangeHash],
    ) -> Result<HashMap<ChangeHash, RecordId>, LedgerError> {
        let mut found = Vec::new();
        select_in(
            &self.tx,
            "SELECT hash, record_id FROM changes WHERE hash IN",
            hashes,
            |s, at, hash| s.raw_bind_parameter(at, &hash.0[..]),
            |r| {
                let row: (Vec<u8>, String) = (r.get(0)?, r.get(1)?);
                found.push(row);
                Ok(())
            },
        )
        .map_err(storage)?;
        found
            .into_iter()
            .map(|(hash, owner)| {
                let hash = ChangeHash::try_from(hash.as_slice()).map_err(storage)?;
                Ok((hash, record_id(owner)?))
            })
            .collect()
    }

    fn events_of(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, Vec<Event>>, LedgerError> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        select_in(
            &self.tx,
            "SELECT record_id, event FROM record_events WHERE record_id IN",
            ids,
            |s, at, id| s.raw_bind_parameter(at, id.as_str()),
            |r| {
                found.entry(r.get(0)?).or_default().push(r.get(1)?);
                Ok(())
            },
        )
        .map_err(storage)?;
        found
            .into_iter()
            .map(|(id, texts)| {
                let events = texts
                    .iter()
                    .map(|t| serde_json::from_str(t).map_err(storage))
                    .collect::<Result<_, _>>()?;
                Ok((record_id(id)?, events))
            })
            .collect()
    }

    fn allocate_seq(&mut self) -> Result<u64, LedgerError> {
        // A work item rolled back to its savepoint leaves a gap in the sequence, which is
        // harmless: positions only need to grow.
        let next = self.max_seq()? + 1;
        self.last_seq = Some(next);
        Ok(next)
    }

    fn max_seq(&mut self) -> Result<u64, LedgerError> {
        if let Some(last) = self.last_seq {
            return Ok(last);
        }
        let seq: i64 = self
            .tx
            .prepare_cached("SELECT last FROM ledger_seq WHERE one = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(storage)?;
        Ok(to_u64(seq))
    }

    fn change_owner(&mut self, hash: &ChangeHash) -> Result<Option<RecordId>, LedgerError> {
        let owner: Option<String> = self
            .tx
            .prepare_cached("SELECT record_id FROM changes WHERE hash = ?1")
            .and_then(|mut s| s.query_row([&hash.0[..]], |r| r.get(0)).optional())
            .map_err(storage)?;
        owner.map(record_id).transpose()
    }

    fn insert_change(&mut self, row: ChangeRow<'_>) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT INTO changes (seq, hash, record_id, bytes, device_id, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    to_i64(row.seq),
                    &row.hash.0[..],
                    row.record.as_str(),
                    row.bytes,
                    row.device,
                    row.received_at_ms
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn record(&mut self, id: &RecordId) -> Result<Option<LedgerRecord>, LedgerError> {
        let row: Option<(String, String, String, Option<String>, String)> = self
            .tx
            .prepare_cached(
                "SELECT kind, program, events_object, unit, status FROM records WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([id.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(storage)?;
        row.map(|(kind, program, events_object, unit, status)| {
            ledger_record(&kind, program, events_object, unit, &status)
        })
        .transpose()
    }

    fn insert_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT INTO records (id, kind, program, events_object, unit, status, updated_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id.as_str(),
                    record.kind.code(),
                    record.program,
                    record.events_object,
                    record.unit,
                    record.status.code(),
                    to_i64(seq)
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn update_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
        unit_changed: bool,
    ) -> Result<(), LedgerError> {
        // SQLite rewrites the entries of every index on a column the UPDATE sets, whether or not
        // the value differs: leaving `unit` out spares the unit index when the record stayed.
        let statement = if unit_changed {
            self.tx
                .prepare_cached(
                    "UPDATE records SET status = ?2, updated_seq = ?3, unit = ?4 WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id.as_str(),
                        record.status.code(),
                        to_i64(seq),
                        record.unit
                    ])
                })
        } else {
            self.tx
                .prepare_cached("UPDATE records SET status = ?2, updated_seq = ?3 WHERE id = ?1")
                .and_then(|mut s| {
                    s.execute(params![id.as_str(), record.status.code(), to_i64(seq)])
                })
        };
        statement.map_err(storage)?;
        Ok(())
    }

    fn events(&mut self, id: &RecordId) -> Result<Vec<Event>, LedgerError> {
        let texts: Vec<String> = self
            .tx
            .prepare_cached("SELECT event FROM record_events WHERE record_id = ?1")
            .and_then(|mut s| {
                s.query_map([id.as_str()], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(storage)?;
        texts
            .iter()
            .map(|t| serde_json::from_str(t).map_err(storage))
            .collect()
    }

    fn insert_events(&mut self, id: &RecordId, events: &[Event]) -> Result<(), LedgerError> {
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT INTO record_events (record_id, event_id, event) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(storage)?;
        for event in events {
            let json = serde_json::to_string(event).map_err(storage)?;
            insert
                .execute(params![id.as_str(), event.id.as_str(), json])
                .map_err(storage)?;
        }
        Ok(())
    }

    fn insert_placement(
        &mut self,
        id: &RecordId,
        seq: u64,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT INTO placements (record_id, seq, from_unit, to_unit) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id.as_str(), to_i64(seq), from, to]))
            .map_err(storage)?;
        Ok(())
    }

    fn unit_at(&mut self, id: &RecordId, seq: u64) -> Result<Option<String>, LedgerError> {
        let unit: Option<Option<String>> = self
            .tx
            .prepare_cached(
                "SELECT to_unit FROM placements WHERE record_id = ?1 AND seq <= ?2
                 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![id.as_str(), to_i64(seq)], |r| r.get(0))
                    .optional()
            })
            .map_err(storage)?;
        Ok(unit.flatten())
    }

    fn candidate_changes(
        &mut self,
        scope: &Scope,
        exclude_device: &str,
        after: u64,
        upto: u64,
        limit: u32,
    ) -> Result<Vec<(u64, RecordId, Vec<u8>)>, LedgerError> {
        let (units, unit_params) = unit_filter(scope, "r.unit", 5);
        let granted: Vec<String> = scope
            .records
            .keys()
            .map(|r| r.as_str().to_owned())
            .collect();
        let in_scope = if granted.is_empty() {
            units
        } else {
            let first = 5 + unit_params.len();
            let marks: Vec<String> = (0..granted.len())
                .map(|i| format!("?{}", first + i))
                .collect();
            format!("({units} OR r.id IN ({}))", marks.join(", "))
        };
        let sql = format!(
            // CROSS JOIN keeps `records` outside: the scope's records are found through the
            // unit index and their changes through (record_id, seq), instead of walking every
            // change of the district in the range.
            "SELECT c.seq, c.record_id, c.bytes FROM records r CROSS JOIN changes c ON c.record_id = r.id
             WHERE c.seq > ?1 AND c.seq <= ?2 AND c.device_id <> ?3 AND {in_scope}
             ORDER BY c.seq LIMIT ?4"
        );
        let mut values: Vec<rusqlite::types::Value> = vec![
            to_i64(after).into(),
            to_i64(upto).into(),
            exclude_device.to_owned().into(),
            i64::from(limit).into(),
        ];
        values.extend(unit_params.into_iter().map(Into::into));
        values.extend(granted.into_iter().map(Into::into));
        let rows: Vec<(i64, String, Vec<u8>)> = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(rusqlite::params_from_iter(values), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(storage)?;
        rows.into_iter()
            .map(|(seq, id, bytes)| Ok((to_u64(seq), record_id(id)?, bytes)))
            .collect()
    }

    fn placed_between(&mut self, after: u64, upto: u64) -> Result<Vec<RecordId>, LedgerError> {
        let rows: Vec<String> = self
            .tx
            .prepare_cached(
                "SELECT DISTINCT record_id FROM placements WHERE seq > ?1 AND seq <= ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![to_i64(after), to_i64(upto)], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(storage)?;
        rows.into_iter().map(record_id).collect()
    }

    fn moved_out_of(
        &mut self,
        scope: &Scope,
        after: u64,
        upto: u64,
    ) -> Result<Vec<RecordId>, LedgerError> {
        let (units, unit_params) = unit_filter(scope, "from_unit", 3);
        let sql = format!(
            "SELECT record_id FROM placements WHERE seq > ?1 AND seq <= ?2 AND {units} ORDER BY seq"
        );
        let mut values: Vec<rusqlite::types::Value> =
            vec![to_i64(after).into(), to_i64(upto).into()];
        values.extend(unit_params.into_iter().map(Into::into));
        let rows: Vec<String> = self
            .tx
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(storage)?;
        rows.into_iter().map(record_id).collect()
    }

    fn changes_of(
        &mut self,
        id: &RecordId,
        after: u64,
        upto: u64,
        exclude_device: Option<&str>,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.tx
            .prepare_cached(
                "SELECT bytes FROM changes WHERE record_id = ?1 AND seq > ?2 AND seq <= ?3
                 AND device_id IS NOT ?4 ORDER BY seq",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![id.as_str(), to_i64(after), to_i64(upto), exclude_device],
                    |r| r.get(0),
                )?
                .collect::<Result<_, _>>()
            })
            .map_err(storage)
    }
}

impl StoreTx for SqliteTx<'_> {
    fn insert_user(&mut self, user: &User) -> Result<(), LedgerError> {
        let inserted = self
            .tx
            .execute(
                "INSERT INTO users (id, display_name, role, unit, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                params![
                    user.id,
                    user.display_name,
                    user.role,
                    user.unit,
                    user.created_at_ms
                ],
            )
            .map_err(storage)?;
        if inserted == 0 {
            return Err(user_exists(&user.id));
        }
        Ok(())
    }

    fn user(&mut self, id: &str) -> Result<Option<User>, LedgerError> {
        self.tx
            .query_row(
                "SELECT id, display_name, role, unit, created_at_ms FROM users WHERE id = ?1",
                [id],
                user_from_row,
            )
            .optional()
            .map_err(storage)
    }

    fn users(&mut self) -> Result<Vec<User>, LedgerError> {
        self.tx
            .prepare("SELECT id, display_name, role, unit, created_at_ms FROM users ORDER BY id")
            .and_then(|mut s| s.query_map([], user_from_row)?.collect())
            .map_err(storage)
    }

    fn insert_enrolment_code(
        &mut self,
        code_hash: &str,
        user: &str,
        expires_at_ms: i64,
    ) -> Result<(), LedgerError> {
        self.tx
            .execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, expires_at_ms) VALUES (?1, ?2, ?3)",
                params![code_hash, user, expires_at_ms],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn redeem_enrolment_code(
        &mut self,
        code_hash: &str,
        now_ms: i64,
    ) -> Result<Redeemed, LedgerError> {
        let row: Option<(String, i64, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT user_id, expires_at_ms, used_at_ms FROM enrolment_codes WHERE code_hash = ?1",
                [code_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(storage)?;
        Ok(match row {
            None => Redeemed::Unknown,
            Some((_, _, Some(_))) => Redeemed::AlreadyUsed,
            Some((_, expires, None)) if expires <= now_ms => Redeemed::Expired,
            Some((user, _, None)) => {
                self.tx
                    .execute(
                        "UPDATE enrolment_codes SET used_at_ms = ?2 WHERE code_hash = ?1",
                        params![code_hash, now_ms],
                    )
                    .map_err(storage)?;
                Redeemed::User(user)
            }
        })
    }

    fn insert_device(&mut self, device: &Device, token_hash: &str) -> Result<(), LedgerError> {
        self.tx
            .execute(
                "INSERT INTO devices (id, user_id, label, token_hash, enrolled_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    device.id,
                    device.user_id,
                    device.label,
                    token_hash,
                    device.enrolled_at_ms
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn device_by_token(&mut self, token_hash: &str) -> Result<Option<Device>, LedgerError> {
        self.tx
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"
            ))
            .and_then(|mut s| s.query_row([token_hash], device_from_row).optional())
            .map_err(storage)
    }

    fn devices(&mut self) -> Result<Vec<Device>, LedgerError> {
        self.tx
            .prepare(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id"))
            .and_then(|mut s| s.query_map([], device_from_row)?.collect())
            .map_err(storage)
    }

    fn revoke_device(&mut self, id: &str, now_ms: i64) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .execute(
                "UPDATE devices SET revoked_at_ms = coalesce(revoked_at_ms, ?2) WHERE id = ?1",
                params![id, now_ms],
            )
            .map_err(storage)?;
        Ok(changed > 0)
    }

    fn note_sync(
        &mut self,
        device: &str,
        now_ms: i64,
        cursor: Cursor,
        outbox: OutboxStatus,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "UPDATE devices SET last_sync_ms = ?2, cursor = ?3, waiting_records = ?4,
                     oldest_unsent_ms = ?5 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    device,
                    now_ms,
                    to_i64(cursor.0),
                    to_i64(outbox.waiting_records),
                    outbox.oldest_unsent_ms
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn grants(&mut self, user: &str) -> Result<BTreeMap<RecordId, Cursor>, LedgerError> {
        let rows: Vec<(String, i64)> = self
            .tx
            .prepare_cached("SELECT record_id, seq FROM grants WHERE user_id = ?1")
            .and_then(|mut s| {
                s.query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(storage)?;
        rows.into_iter()
            .map(|(id, seq)| Ok((record_id(id)?, Cursor(to_u64(seq)))))
            .collect()
    }

    fn insert_grant(&mut self, user: &str, record: &RecordId, seq: u64) -> Result<(), LedgerError> {
        self.tx
            .execute(
                "INSERT INTO grants (user_id, record_id, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![user, record.as_str(), to_i64(seq)],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn record_count(&mut self) -> Result<u64, LedgerError> {
        let n: i64 = self
            .tx
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .map_err(storage)?;
        Ok(to_u64(n))
    }
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        display_name: r.get(1)?,
        role: r.get(2)?,
        unit: r.get(3)?,
        created_at_ms: r.get(4)?,
    })
}
