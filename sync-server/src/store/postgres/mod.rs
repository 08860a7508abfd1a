//! The shared ledger: PostgreSQL, for several server instances serving the same devices.
//!
//! Every transaction starts by locking the one `ledger_seq` row. That serializes ledger
//! transactions across all instances, which gives the protocol what it relies on: sequence order
//! is commit order (a reader never skips a change committed late), and two instances never
//! accept the same change twice. The sync client is blocking (the `postgres` crate); the server
//! calls stores from blocking threads.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Condvar, Mutex};

use automerge::ChangeHash;
use outpost_shared::record::{Event, RecordId};
use outpost_shared::sync::ledger::{ChangeRow, LedgerError, LedgerRecord, LedgerTx, LedgerWrites};
use outpost_shared::sync::message::OutboxStatus;
use outpost_shared::sync::{Cursor, Scope};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::{
    DEVICE_COLUMNS, Device, Redeemed, Store, StoreTx, User, ledger_record, like_prefix, record_id,
    storage, to_i64, to_u64, user_exists,
};

mod sessions;
mod tasks;

mod embedded {
    refinery::embed_migrations!("../migrations/server-postgres");
}

/// Drops `value` (which holds synchronous PostgreSQL clients) where that is safe. The
/// synchronous client closes its connection by blocking on a small runtime of its own, which
/// panics, and so aborts the process, on a thread that drives async tasks; and the last
/// `Arc<App>` may well be dropped on one at shutdown (the engine's task, a request's). There, the
/// clients are closed on a thread of their own instead.
pub(crate) fn drop_off_runtime<T: Send + 'static>(value: T) {
    if tokio::runtime::Handle::try_current().is_ok() {
        if let Err(error) = std::thread::Builder::new()
            .name("pg-close".into())
            .spawn(move || drop(value))
        {
            // Without a thread the connections are left to the server's end, not closed.
            tracing::warn!(%error, "cannot start a thread to close PostgreSQL connections");
        }
    } else {
        drop(value);
    }
}

/// A connection with its prepared statements.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

pub struct PostgresStore {
    url: String,
    idle: Mutex<Vec<Connection>>,
    /// Connections not in `idle` (in use).
    busy: Mutex<usize>,
    returned: Condvar,
    size: usize,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        drop_off_runtime(idle);
    }
}

impl PostgresStore {
    pub fn open(url: &str, size: usize) -> Result<Self, LedgerError> {
        let mut client = Client::connect(url, NoTls).map_err(storage)?;
        embedded::migrations::runner()
            .run(&mut client)
            .map_err(storage)?;
        Ok(Self {
            url: url.to_owned(),
            idle: Mutex::new(vec![Connection {
                client,
                statements: HashMap::new(),
            }]),
            busy: Mutex::new(0),
            returned: Condvar::new(),
            size: size.max(1),
        })
    }

    fn checkout(&self) -> Result<Connection, LedgerError> {
        let poisoned = || LedgerError::Storage("the connection pool was poisoned".into());
        let mut busy = self.busy.lock().map_err(|_| poisoned())?;
        loop {
            if let Some(conn) = self.idle.lock().map_err(|_| poisoned())?.pop() {
                if !conn.client.is_closed() {
                    *busy += 1;
                    return Ok(conn);
                }
                continue;
            }
            if *busy < self.size {
                *busy += 1;
                drop(busy);
                return Client::connect(&self.url, NoTls)
                    .map(|client| Connection {
                        client,
                        statements: HashMap::new(),
                    })
                    .map_err(|e| {
                        if let Ok(mut b) = self.busy.lock() {
                            *b -= 1;
                        }
                        storage(e)
                    });
            }
            busy = self.returned.wait(busy).map_err(|_| poisoned())?;
        }
    }

    fn checkin(&self, conn: Connection) {
        if let Ok(mut busy) = self.busy.lock() {
            *busy -= 1;
            if !conn.client.is_closed()
                && let Ok(mut idle) = self.idle.lock()
            {
                idle.push(conn);
            }
        }
        self.returned.notify_one();
    }
}

impl Store for PostgresStore {
    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut conn = self.checkout()?;
        let result = (|| {
            let tx = conn.client.transaction().map_err(storage)?;
            let mut wrapped = PgTx {
                tx,
                statements: &mut conn.statements,
            };
            wrapped
                .tx
                .execute("SELECT last FROM ledger_seq WHERE one = 1 FOR UPDATE", &[])
                .map_err(storage)?;
            let value = work(&mut wrapped)?;
            wrapped.tx.commit().map_err(storage)?;
            Ok(value)
        })();
        self.checkin(conn);
        result
    }
}

struct PgTx<'c> {
    tx: Transaction<'c>,
    statements: &'c mut HashMap<&'static str, Statement>,
}

fn device_from_row(r: &Row) -> Device {
    Device {
        id: r.get(0),
        user_id: r.get(1),
        label: r.get(2),
        enrolled_at_ms: r.get(3),
        revoked_at_ms: r.get(4),
        last_sync_ms: r.get(5),
        cursor: to_u64(r.get(6)),
        waiting_records: to_u64(r.get(7)),
        oldest_unsent_ms: r.get(8),
    }
}

fn user_from_row(r: &Row) -> User {
    User {
        id: r.get(0),
        display_name: r.get(1),
        role: r.get(2),
        unit: r.get(3),
        created_at_ms: r.get(4),
    }
}

/// `(column LIKE $n OR …)` for the scope's subtrees; `FALSE` when it has none.
fn unit_filter(scope: &Scope, column: &str, first_param: usize) -> (String, Vec<String>) {
    if scope.units.is_empty() {
        return ("FALSE".to_owned(), Vec::new());
    }
    let terms: Vec<String> = (0..scope.units.len())
        .map(|i| format!("{column} LIKE ${}", first_param + i))
        .collect();
    (
        format!("({})", terms.join(" OR ")),
        scope.units.iter().map(|u| like_prefix(u)).collect(),
    )
}

impl PgTx<'_> {
    /// A statement prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement, LedgerError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(storage)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, LedgerError> {
        let statement = self.statement(sql)?;
        self.tx.query(&statement, params).map_err(storage)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, LedgerError> {
        let statement = self.statement(sql)?;
        self.tx.query_opt(&statement, params).map_err(storage)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, LedgerError> {
        let statement = self.statement(sql)?;
        self.tx.execute(&statement, params).map_err(storage)
    }
}

impl LedgerTx for PgTx<'_> {
    fn allocate_seq(&mut self) -> Result<u64, LedgerError> {
        let row = self.query(
            "UPDATE ledger_seq SET last = last + 1 WHERE one = 1 RETURNING last",
            &[],
        )?;
        Ok(row.first().map_or(0, |r| to_u64(r.get(0))))
    }

    fn allocate_seqs(&mut self, count: u64) -> Result<u64, LedgerError> {
        let count = to_i64(count.max(1));
        let row = self.query(
            "UPDATE ledger_seq SET last = last + $1 WHERE one = 1 RETURNING last",
            &[&count],
        )?;
        Ok(row
            .first()
            .map_or(0, |r| to_u64(r.get::<_, i64>(0) - count + 1)))
    }

    // The batched reads and writes of a push: one round trip per table instead of one per row
    // (arrays bound as parameters, `= ANY` and `UNNEST`).

    fn records(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, LedgerRecord>, LedgerError> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        let rows = self.query(
            "SELECT id, kind, program, events_object, unit, status FROM records WHERE id = ANY($1)",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    record_id(r.get(0))?,
                    ledger_record(
                        r.get::<_, &str>(1),
                        r.get(2),
                        r.get(3),
                        r.get(4),
                        r.get::<_, &str>(5),
                    )?,
                ))
            })
            .collect()
    }

    fn change_owners(
        &mut self,
        hashes: &[ChangeHash],
    ) -> Result<HashMap<ChangeHash, RecordId>, LedgerError> {
        let hashes: Vec<&[u8]> = hashes.iter().map(|h| &h.0[..]).collect();
        let rows = self.query(
            "SELECT hash, record_id FROM changes WHERE hash = ANY($1)",
            &[&hashes],
        )?;
        rows.iter()
            .map(|r| {
                let hash = ChangeHash::try_from(r.get::<_, &[u8]>(0)).map_err(storage)?;
                Ok((hash, record_id(r.get(1))?))
            })
            .collect()
    }

    fn events_of(
        &mut self,
        ids: &[&RecordId],
    ) -> Result<HashMap<RecordId, Vec<Event>>, LedgerError> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        let rows = self.query(
            "SELECT record_id, event FROM record_events WHERE record_id = ANY($1)",
            &[&ids],
        )?;
        let mut found: HashMap<RecordId, Vec<Event>> = HashMap::new();
        for r in &rows {
            let event = serde_json::from_str(r.get::<_, &str>(1)).map_err(storage)?;
            found.entry(record_id(r.get(0))?).or_default().push(event);
        }
        Ok(found)
    }

    fn write(&mut self, rows: &LedgerWrites<'_>) -> Result<(), LedgerError> {
        if !rows.new_records.is_empty() {
            let r = &rows.new_records;
            let ids: Vec<&str> = r.iter().map(|r| r.id.as_str()).collect();
            let kinds: Vec<&str> = r.iter().map(|r| r.record.kind.code()).collect();
            let programs: Vec<&str> = r.iter().map(|r| r.record.program.as_str()).collect();
            let objects: Vec<&str> = r.iter().map(|r| r.record.events_object.as_str()).collect();
            let units: Vec<Option<&str>> = r.iter().map(|r| r.record.unit.as_deref()).collect();
            let statuses: Vec<&str> = r.iter().map(|r| r.record.status.code()).collect();
            let seqs: Vec<i64> = r.iter().map(|r| to_i64(r.seq)).collect();
            self.execute(
                "INSERT INTO records (id, kind, program, events_object, unit, status, updated_seq)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                      $6::text[], $7::bigint[])",
                &[&ids, &kinds, &programs, &objects, &units, &statuses, &seqs],
            )?;
        }
        if !rows.updated_records.is_empty() {
            let u = &rows.updated_records;
            let ids: Vec<&str> = u.iter().map(|u| u.id.as_str()).collect();
            let units: Vec<Option<&str>> = u.iter().map(|u| u.record.unit.as_deref()).collect();
            let statuses: Vec<&str> = u.iter().map(|u| u.record.status.code()).collect();
            let seqs: Vec<i64> = u.iter().map(|u| to_i64(u.seq)).collect();
            self.execute(
                "UPDATE records SET unit = u.unit, status = u.status, updated_seq = u.seq
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[])
                      AS u(id, unit, status, seq)
                 WHERE records.id = u.id",
                &[&ids, &units, &statuses, &seqs],
            )?;
        }
        if !rows.changes.is_empty() {
            let c = &rows.changes;
            let seqs: Vec<i64> = c.iter().map(|c| to_i64(c.seq)).collect();
            let hashes: Vec<&[u8]> = c.iter().map(|c| &c.hash.0[..]).collect();
            let ids: Vec<&str> = c.iter().map(|c| c.record.as_str()).collect();
            let bytes: Vec<&[u8]> = c.iter().map(|c| c.bytes).collect();
            let devices: Vec<&str> = c.iter().map(|c| c.device).collect();
            let received: Vec<i64> = c.iter().map(|c| c.received_at_ms).collect();
            self.execute(
                "INSERT INTO changes (seq, hash, record_id, bytes, device_id, received_at_ms)
                 SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::text[], $4::bytea[],
                                      $5::text[], $6::bigint[])",
                &[&seqs, &hashes, &ids, &bytes, &devices, &received],
            )?;
        }
        if !rows.events.is_empty() {
            let ids: Vec<&str> = rows.events.iter().map(|e| e.record.as_str()).collect();
            let event_ids: Vec<&str> = rows.events.iter().map(|e| e.event.id.as_str()).collect();
            let json: Vec<String> = rows
                .events
                .iter()
                .map(|e| e.json().map(Cow::into_owned))
                .collect::<Result<_, _>>()?;
            // As `insert_events`: an event id given twice for a record is stored once.
            self.execute(
                "INSERT INTO record_events (record_id, event_id, event)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
                &[&ids, &event_ids, &json],
            )?;
        }
        if !rows.placements.is_empty() {
            let p = &rows.placements;
            let ids: Vec<&str> = p.iter().map(|p| p.record.as_str()).collect();
            let seqs: Vec<i64> = p.iter().map(|p| to_i64(p.seq)).collect();
            let from: Vec<Option<&str>> = p.iter().map(|p| p.from.as_deref()).collect();
            let to: Vec<Option<&str>> = p.iter().map(|p| p.to.as_deref()).collect();
            self.execute(
                "INSERT INTO placements (record_id, seq, from_unit, to_unit)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[])",
                &[&ids, &seqs, &from, &to],
            )?;
        }
        Ok(())
    }

    fn max_seq(&mut self) -> Result<u64, LedgerError> {
        let row = self.query("SELECT last FROM ledger_seq WHERE one = 1", &[])?;
        Ok(row.first().map_or(0, |r| to_u64(r.get(0))))
    }

    fn change_owner(&mut self, hash: &ChangeHash) -> Result<Option<RecordId>, LedgerError> {
        let row = self.query_opt(
            "SELECT record_id FROM changes WHERE hash = $1",
            &[&&hash.0[..]],
        )?;
        row.map(|r| record_id(r.get(0))).transpose()
    }

    fn insert_change(&mut self, row: ChangeRow<'_>) -> Result<(), LedgerError> {
        self.execute(
            "INSERT INTO changes (seq, hash, record_id, bytes, device_id, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &to_i64(row.seq),
                &&row.hash.0[..],
                &row.record.as_str(),
                &row.bytes,
                &row.device,
                &row.received_at_ms,
            ],
        )?;
        Ok(())
    }

    fn record(&mut self, id: &RecordId) -> Result<Option<LedgerRecord>, LedgerError> {
        let row = self.query_opt(
            "SELECT kind, program, events_object, unit, status FROM records WHERE id = $1",
            &[&id.as_str()],
        )?;
        row.map(|r| {
            ledger_record(
                r.get::<_, &str>(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get::<_, &str>(4),
            )
        })
        .transpose()
    }

    fn insert_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
    ) -> Result<(), LedgerError> {
        self.execute(
            "INSERT INTO records (id, kind, program, events_object, unit, status, updated_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id.as_str(),
                &record.kind.code(),
                &record.program,
                &record.events_object,
                &record.unit,
                &record.status.code(),
                &to_i64(seq),
            ],
        )?;
        Ok(())
    }

    fn update_record(
        &mut self,
        id: &RecordId,
        record: &LedgerRecord,
        seq: u64,
        _unit_changed: bool,
    ) -> Result<(), LedgerError> {
        self.execute(
            "UPDATE records SET unit = $2, status = $3, updated_seq = $4 WHERE id = $1",
            &[
                &id.as_str(),
                &record.unit,
                &record.status.code(),
                &to_i64(seq),
            ],
        )?;
        Ok(())
    }

    fn events(&mut self, id: &RecordId) -> Result<Vec<Event>, LedgerError> {
        let rows = self.query(
            "SELECT event FROM record_events WHERE record_id = $1",
            &[&id.as_str()],
        )?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(storage))
            .collect()
    }

    fn insert_events(&mut self, id: &RecordId, events: &[Event]) -> Result<(), LedgerError> {
        for event in events {
            let json = serde_json::to_string(event).map_err(storage)?;
            self.execute(
                "INSERT INTO record_events (record_id, event_id, event) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&id.as_str(), &event.id.as_str(), &json],
            )?;
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
        self.execute(
            "INSERT INTO placements (record_id, seq, from_unit, to_unit) VALUES ($1, $2, $3, $4)",
            &[&id.as_str(), &to_i64(seq), &from, &to],
        )?;
        Ok(())
    }

    fn unit_at(&mut self, id: &RecordId, seq: u64) -> Result<Option<String>, LedgerError> {
        let row = self.query_opt(
            "SELECT to_unit FROM placements WHERE record_id = $1 AND seq <= $2
             ORDER BY seq DESC LIMIT 1",
            &[&id.as_str(), &to_i64(seq)],
        )?;
        Ok(row.and_then(|r| r.get(0)))
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
        let granted_param = 5 + unit_params.len();
        let sql = format!(
            "SELECT c.seq, c.record_id, c.bytes FROM changes c JOIN records r ON r.id = c.record_id
             WHERE c.seq > $1 AND c.seq <= $2 AND c.device_id <> $3
               AND ({units} OR r.id = ANY(${granted_param}))
             ORDER BY c.seq LIMIT $4"
        );
        let (after, upto, limit) = (to_i64(after), to_i64(upto), i64::from(limit));
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &upto, &exclude_device, &limit];
        for p in &unit_params {
            params.push(p);
        }
        params.push(&granted);
        let rows = self.tx.query(sql.as_str(), &params).map_err(storage)?;
        rows.iter()
            .map(|r| Ok((to_u64(r.get(0)), record_id(r.get(1))?, r.get(2))))
            .collect()
    }

    fn placed_between(&mut self, after: u64, upto: u64) -> Result<Vec<RecordId>, LedgerError> {
        let rows = self.query(
            "SELECT DISTINCT record_id FROM placements WHERE seq > $1 AND seq <= $2",
            &[&to_i64(after), &to_i64(upto)],
        )?;
        rows.iter().map(|r| record_id(r.get(0))).collect()
    }

    fn moved_out_of(
        &mut self,
        scope: &Scope,
        after: u64,
        upto: u64,
    ) -> Result<Vec<RecordId>, LedgerError> {
        let (units, unit_params) = unit_filter(scope, "from_unit", 3);
        let sql = format!(
            "SELECT record_id FROM placements WHERE seq > $1 AND seq <= $2 AND {units} ORDER BY seq"
        );
        let (after, upto) = (to_i64(after), to_i64(upto));
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &upto];
        for p in &unit_params {
            params.push(p);
        }
        let rows = self.tx.query(sql.as_str(), &params).map_err(storage)?;
        rows.iter().map(|r| record_id(r.get(0))).collect()
    }

    fn changes_of(
        &mut self,
        id: &RecordId,
        after: u64,
        upto: u64,
        exclude_device: Option<&str>,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        let rows = self.query(
            "SELECT bytes FROM changes WHERE record_id = $1 AND seq > $2 AND seq <= $3
             AND device_id IS DISTINCT FROM $4 ORDER BY seq",
            &[&id.as_str(), &to_i64(after), &to_i64(upto), &exclude_device],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl StoreTx for PgTx<'_> {
    fn insert_user(&mut self, user: &User) -> Result<(), LedgerError> {
        let inserted = self.execute(
            "INSERT INTO users (id, display_name, role, unit, created_at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            &[
                &user.id,
                &user.display_name,
                &user.role,
                &user.unit,
                &user.created_at_ms,
            ],
        )?;
        if inserted == 0 {
            return Err(user_exists(&user.id));
        }
        Ok(())
    }

    fn user(&mut self, id: &str) -> Result<Option<User>, LedgerError> {
        Ok(self
            .query_opt(
                "SELECT id, display_name, role, unit, created_at_ms FROM users WHERE id = $1",
                &[&id],
            )?
            .as_ref()
            .map(user_from_row))
    }

    fn users(&mut self) -> Result<Vec<User>, LedgerError> {
        Ok(self
            .query(
                "SELECT id, display_name, role, unit, created_at_ms FROM users ORDER BY id",
                &[],
            )?
            .iter()
            .map(user_from_row)
            .collect())
    }

    fn insert_enrolment_code(
        &mut self,
        code_hash: &str,
        user: &str,
        expires_at_ms: i64,
    ) -> Result<(), LedgerError> {
        self.execute(
            "INSERT INTO enrolment_codes (code_hash, user_id, expires_at_ms) VALUES ($1, $2, $3)",
            &[&code_hash, &user, &expires_at_ms],
        )?;
        Ok(())
    }

    fn redeem_enrolment_code(
        &mut self,
        code_hash: &str,
        now_ms: i64,
    ) -> Result<Redeemed, LedgerError> {
        let row = self.query_opt(
            "SELECT user_id, expires_at_ms, used_at_ms FROM enrolment_codes
             WHERE code_hash = $1 FOR UPDATE",
            &[&code_hash],
        )?;
        let Some(row) = row else {
            return Ok(Redeemed::Unknown);
        };
        let (user, expires, used): (String, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        if used.is_some() {
            return Ok(Redeemed::AlreadyUsed);
        }
        if expires <= now_ms {
            return Ok(Redeemed::Expired);
        }
        self.execute(
            "UPDATE enrolment_codes SET used_at_ms = $2 WHERE code_hash = $1",
            &[&code_hash, &now_ms],
        )?;
        Ok(Redeemed::User(user))
    }

    fn insert_device(&mut self, device: &Device, token_hash: &str) -> Result<(), LedgerError> {
        self.execute(
            "INSERT INTO devices (id, user_id, label, token_hash, enrolled_at_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &device.id,
                &device.user_id,
                &device.label,
                &token_hash,
                &device.enrolled_at_ms,
            ],
        )?;
        Ok(())
    }

    fn device_by_token(&mut self, token_hash: &str) -> Result<Option<Device>, LedgerError> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1");
        let row = self
            .tx
            .query_opt(sql.as_str(), &[&token_hash])
            .map_err(storage)?;
        Ok(row.as_ref().map(device_from_row))
    }

    fn devices(&mut self) -> Result<Vec<Device>, LedgerError> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id");
        let rows = self.tx.query(sql.as_str(), &[]).map_err(storage)?;
        Ok(rows.iter().map(device_from_row).collect())
    }

    fn revoke_device(&mut self, id: &str, now_ms: i64) -> Result<bool, LedgerError> {
        Ok(self.execute(
            "UPDATE devices SET revoked_at_ms = coalesce(revoked_at_ms, $2) WHERE id = $1",
            &[&id, &now_ms],
        )? > 0)
    }

    fn note_sync(
        &mut self,
        device: &str,
        now_ms: i64,
        cursor: Cursor,
        outbox: OutboxStatus,
    ) -> Result<(), LedgerError> {
        self.execute(
            "UPDATE devices SET last_sync_ms = $2, cursor = $3, waiting_records = $4,
                 oldest_unsent_ms = $5 WHERE id = $1",
            &[
                &device,
                &now_ms,
                &to_i64(cursor.0),
                &to_i64(outbox.waiting_records),
                &outbox.oldest_unsent_ms,
            ],
        )?;
        Ok(())
    }

    fn grants(&mut self, user: &str) -> Result<BTreeMap<RecordId, Cursor>, LedgerError> {
        let rows = self.query(
            "SELECT record_id, seq FROM grants WHERE user_id = $1",
            &[&user],
        )?;
        rows.iter()
            .map(|r| Ok((record_id(r.get(0))?, Cursor(to_u64(r.get(1))))))
            .collect()
    }

    fn insert_grant(&mut self, user: &str, record: &RecordId, seq: u64) -> Result<(), LedgerError> {
        self.execute(
            "INSERT INTO grants (user_id, record_id, seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&user, &record.as_str(), &to_i64(seq)],
        )?;
        Ok(())
    }

    fn record_count(&mut self) -> Result<u64, LedgerError> {
        let rows = self.query("SELECT count(*) FROM records", &[])?;
        Ok(rows.first().map_or(0, |r| to_u64(r.get(0))))
    }
}
