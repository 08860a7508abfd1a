//! The replica store (本地副本): a device's records in one SQLite file.
//!
//! *Architecture invariant:* this is the only module of `shared` that does I/O.
//!
//! The file holds each record's Automerge document (a snapshot plus incremental chunks, so a
//! change costs one small insert rather than rewriting the document) and query tables derived
//! from the documents: lists, counts, search, review marks. The derived tables are a cache:
//! [`Replica::rebuild_derived`] recreates them from the documents alone, and a test checks that a
//! rebuild equals the incremental result. Records are loaded one at a time on demand (a loaded
//! document costs ~20 KB), never all at once.
//!
//! Beside each document the store keeps its content (`record_contents`, a
//! [`RecordContent`]: visible fields, event entries, each actor's change count), derived like the
//! rest. A change received from another device is usually applied to that content alone
//! ([`Writer::apply_changes`]): the bytes are stored as the document's next chunk and the rows
//! are folded from the new content, without loading the document, which was most of the cost.
//! Whatever the content cannot prove the outcome of (missing dependencies, duplicates, concurrent
//! histories, compaction, damaged bytes) is applied to the loaded document as before.
//!
//! Durability: WAL with `synchronous = FULL`, because a field worker's phone can lose power at
//! any moment and nothing a worker entered may be lost; writers batch work into one transaction
//! ([`Replica::write`]) so the cost of the sync is paid once per batch.
//!
//! Encryption at rest: with an [`EncryptionKey`] the file is a SQLCipher database (no plaintext
//! header, wrong key refused); without one it is plain SQLite.

mod derive;
mod kinds;
mod outbox;
mod problems;
mod search;

use std::fmt;
use std::path::Path;

use automerge::ChangeHash;
use rusqlite::{Connection, Transaction, params};
use thiserror::Error;

use crate::record::{
    Record, RecordContent, RecordError, RecordId, RecordKind, ReviewMark, TaskStatus,
};

pub use derive::RecordSummary;
pub use outbox::Outbox;
pub use problems::{ProblemCounts, ProblemKind, SyncProblem};
pub use search::{SearchError, SearchQuery};

mod embedded {
    refinery::embed_migrations!("../migrations/replica");
}

/// A document is compacted into one snapshot once it has this many incremental chunks, so that
/// loading never concatenates an unbounded list.
const COMPACT_AFTER_CHUNKS: i64 = 24;

/// A 256-bit key for SQLCipher. The app derives it from the user's PIN; this type never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey([u8; 32]);

impl EncryptionKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// SQLCipher's raw-key syntax, which skips its own (slow) key derivation.
    fn pragma_value(&self) -> String {
        format!("x'{}'", hex::encode_upper(self.0))
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey(…)")
    }
}

/// What can go wrong with the replica.
#[derive(Debug, Error)]
pub enum ReplicaError {
    #[error(
        "the replica file cannot be read with this key: the key is wrong, or the file is not an Outpost replica"
    )]
    WrongKeyOrNotAReplica,
    #[error("replica database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("upgrading the replica schema failed: {0}")]
    Migration(#[from] refinery::Error),
    #[error("record {id} is damaged: {source}")]
    Record {
        id: String,
        source: Box<RecordError>,
    },
    #[error("received data for record {found} where record {expected} was expected")]
    WrongRecord { expected: String, found: String },
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl ReplicaError {
    /// A damaged record, named by id (never by a person's data).
    pub fn record(id: impl Into<String>, source: RecordError) -> Self {
        Self::Record {
            id: id.into(),
            source: Box::new(source),
        }
    }
}

/// What applying received changes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The record was new here and is now stored.
    Created,
    /// The record changed.
    Updated,
    /// Nothing new: every change was already here (re-sent data is a no-op).
    Unchanged,
    /// Some changes wait for changes they depend on; they were not stored, so the sender must
    /// send them again after their dependencies.
    WaitingForDependencies,
}

/// A device's local store of records.
pub struct Replica {
    conn: Connection,
}

impl fmt::Debug for Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica").finish_non_exhaustive()
    }
}

impl Replica {
    /// Opens (creating if needed) the replica at `path`, encrypted with `key` if given, and brings
    /// its schema up to date.
    pub fn open(path: impl AsRef<Path>, key: Option<&EncryptionKey>) -> Result<Self, ReplicaError> {
        Self::prepare(Connection::open(path)?, key)
    }

    /// A replica that lives in memory only (tests, scratch work).
    pub fn open_in_memory() -> Result<Self, ReplicaError> {
        Self::prepare(Connection::open_in_memory()?, None)
    }

    fn prepare(mut conn: Connection, key: Option<&EncryptionKey>) -> Result<Self, ReplicaError> {
        if let Some(key) = key {
            conn.pragma_update(None, "key", key.pragma_value())?;
        }
        // The first read is where SQLCipher notices a wrong key ("file is not a database").
        let readable: Result<i64, _> =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
        match readable {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(ReplicaError::WrongKeyOrNotAReplica);
            }
            Err(other) => return Err(other.into()),
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -16_000)?;
        let report = embedded::migrations::runner().run(&mut conn)?;
        let mut replica = Self { conn };
        // Schema 3 added derived columns that rows stored earlier lack; derived rows are rebuilt
        // from the documents, which are the truth.
        let added_task_columns = report.applied_migrations().iter().any(|m| m.version() == 3);
        if added_task_columns && replica.record_count()? > 0 {
            replica.rebuild_derived()?;
        }
        Ok(replica)
    }

    /// Runs `work` in one transaction: everything it wrote is committed together, or nothing is.
    pub fn write<T>(
        &mut self,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, ReplicaError>,
    ) -> Result<T, ReplicaError> {
        let mut writer = Writer {
            tx: self.conn.transaction()?,
        };
        let result = work(&mut writer)?;
        writer.tx.commit()?;
        Ok(result)
    }

    /// Loads one record's document, or `None` if this replica does not hold it.
    pub fn load(&self, id: &RecordId) -> Result<Option<Record>, ReplicaError> {
        load_record(&self.conn, id)
    }

    /// A record's content — its fields and events without the document — or `None` if this
    /// replica does not hold it. Reads the stored content, the document only where none is
    /// stored.
    pub fn content(&self, id: &RecordId) -> Result<Option<RecordContent>, ReplicaError> {
        if let Some(row) = derive::stored_row(&self.conn, id.as_str())?
            && let Some(content) = derive::stored_content(&self.conn, &row)?
        {
            return Ok(Some(content));
        }
        match load_record(&self.conn, id)? {
            Some(mut record) => content_of(&mut record).map(Some),
            None => Ok(None),
        }
    }

    /// The list row of one record.
    pub fn summary(&self, id: &RecordId) -> Result<Option<RecordSummary>, ReplicaError> {
        derive::summary(&self.conn, id)
    }

    /// Finds records by name, phone tail, ID number fragment or wristband.
    pub fn search(
        &self,
        query: &SearchQuery,
        limit: usize,
    ) -> Result<Vec<RecordSummary>, ReplicaError> {
        search::search(&self.conn, query, limit)
    }

    /// The records of a unit and everything below it (codes are hierarchical), optionally of one
    /// status, in a stable order, one page at a time.
    pub fn list(
        &self,
        unit_prefix: &str,
        status: Option<TaskStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<RecordSummary>, ReplicaError> {
        derive::list(&self.conn, unit_prefix, status, limit, offset)
    }

    /// The records of one kind (transfers, supply ledgers) of a unit and below, newest first.
    pub fn list_kind(
        &self,
        kind: RecordKind,
        unit_prefix: &str,
        limit: usize,
    ) -> Result<Vec<RecordSummary>, ReplicaError> {
        kinds::list_kind(&self.conn, kind, unit_prefix, limit)
    }

    /// How many persons of a unit (and below) are in each task status.
    pub fn counts(&self, unit_prefix: &str) -> Result<Vec<(TaskStatus, u64)>, ReplicaError> {
        derive::counts(&self.conn, unit_prefix)
    }

    /// Records that need review, with their marks, including wristbands bound to several records.
    pub fn review_items(
        &self,
        limit: usize,
    ) -> Result<Vec<(RecordSummary, Vec<ReviewMark>)>, ReplicaError> {
        derive::review_items(&self.conn, limit)
    }

    /// The programs this replica holds records of.
    pub fn programs(&self) -> Result<Vec<String>, ReplicaError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT program FROM records ORDER BY program")?;
        let programs = stmt.query_map([], |r| r.get(0))?;
        Ok(programs.collect::<Result<_, _>>()?)
    }

    pub fn record_count(&self) -> Result<u64, ReplicaError> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Drops every derived table row and recomputes them from the stored documents alone.
    /// Returns the number of records rebuilt.
    pub fn rebuild_derived(&mut self) -> Result<u64, ReplicaError> {
        self.write(|writer| {
            writer.tx.execute_batch(
                "DELETE FROM review_marks; DELETE FROM name_grams; DELETE FROM records;
                 DELETE FROM id_number_trigrams; DELETE FROM record_contents;",
            )?;
            let ids: Vec<String> = {
                let mut stmt = writer
                    .tx
                    .prepare("SELECT DISTINCT record_id FROM record_chunks ORDER BY record_id")?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            let mut rebuilt = 0;
            for id in ids {
                let (record, chunks) = load_chunks(&writer.tx, &id)?;
                if let Some(mut record) = record {
                    let heads = record.heads();
                    let content = content_of(&mut record)?;
                    derive::derive(&writer.tx, record.id(), &content, &heads, chunks)?;
                    rebuilt += 1;
                }
            }
            Ok(rebuilt)
        })
    }

    /// A dump of the derived tables in a canonical order, for comparing two replicas or a rebuild.
    pub fn derived_snapshot(&self) -> Result<Vec<String>, ReplicaError> {
        derive::snapshot(&self.conn)
    }
}

/// Writes inside one transaction of a [`Replica`].
pub struct Writer<'c> {
    tx: Transaction<'c>,
}

impl Writer<'_> {
    /// Stores whatever `record` holds beyond what the replica already has, and updates the
    /// derived tables. If the replica holds changes the given copy lacks, they are merged into
    /// `record` first, so a stale copy can never roll a record back.
    pub fn save(&mut self, record: &mut Record) -> Result<ApplyOutcome, ReplicaError> {
        self.persist(record, None)
    }

    /// Stores `record`. `received` is the chunk that brought it up to date, when the caller has
    /// it: storing those bytes as they came saves re-encoding the changes.
    fn persist(
        &mut self,
        record: &mut Record,
        received: Option<&[u8]>,
    ) -> Result<ApplyOutcome, ReplicaError> {
        self.store(record, received, false)
    }

    /// [`Writer::persist`]. `loaded_here`: `record` was loaded from this store in this
    /// transaction, so it already holds everything stored and there is nothing to merge.
    fn store(
        &mut self,
        record: &mut Record,
        received: Option<&[u8]>,
        loaded_here: bool,
    ) -> Result<ApplyOutcome, ReplicaError> {
        let id = record.id().clone();
        let Some(stored) = derive::stored_row(&self.tx, id.as_str())? else {
            let bytes = record.save();
            self.insert_chunk(&id, 0, &bytes)?;
            let heads = record.heads();
            let content = content_of(record)?;
            derive::derive_over(&self.tx, &id, &content, &heads, 1, None)?;
            return Ok(ApplyOutcome::Created);
        };
        let stored_heads = decode_heads(stored.stored_heads());
        let mut received = received;
        // Asking the document whether it holds a change rebuilds that change, so a copy loaded
        // here is not asked.
        if !loaded_here && !record.contains(&stored_heads) {
            received = None;
            if let Some(mut current) = self.load(&id)? {
                record
                    .merge(&mut current)
                    .map_err(|source| ReplicaError::record(id.to_string(), source))?;
            }
        }
        let heads = record.heads();
        if heads == stored_heads {
            return Ok(ApplyOutcome::Unchanged);
        }
        let chunk_count = stored.chunk_count();
        let chunk_count = if chunk_count >= COMPACT_AFTER_CHUNKS {
            self.tx
                .prepare_cached("DELETE FROM record_chunks WHERE record_id = ?1")?
                .execute([id.as_str()])?;
            self.insert_chunk(&id, 0, &record.save())?;
            1
        } else {
            match received {
                Some(bytes) => self.insert_chunk(&id, chunk_count, bytes)?,
                None => self.insert_chunk(&id, chunk_count, &record.save_after(&stored_heads))?,
            }
            chunk_count + 1
        };
        let content = content_of(record)?;
        derive::derive_over(&self.tx, &id, &content, &heads, chunk_count, Some(&stored))?;
        Ok(ApplyOutcome::Updated)
    }

    /// Applies changes received for record `id` (from sync). For a record new to this replica
    /// the bytes must include its whole document. Re-sent changes are a no-op.
    pub fn apply_changes(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
    ) -> Result<ApplyOutcome, ReplicaError> {
        if let Some(outcome) = self.apply_to_content(id, bytes)? {
            return Ok(outcome);
        }
        self.apply_to_document(id, bytes)
    }

    /// Applies received changes to the record's stored content alone, without loading its
    /// document, when the content can tell the outcome (`RecordContent::apply_received`): the
    /// bytes are stored as the next chunk and the rows derived from the new content. `None`,
    /// with nothing written, when the document is needed.
    fn apply_to_content(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
    ) -> Result<Option<ApplyOutcome>, ReplicaError> {
        let Some(stored) = derive::stored_row(&self.tx, id.as_str())? else {
            return Ok(None);
        };
        // Compaction needs the document.
        let chunk_count = stored.chunk_count();
        if chunk_count >= COMPACT_AFTER_CHUNKS {
            return Ok(None);
        }
        let Some(content) = derive::stored_content(&self.tx, &stored)? else {
            return Ok(None);
        };
        let stored_heads = decode_heads(stored.stored_heads());
        let Some((content, heads)) = content.apply_received(bytes, &stored_heads) else {
            return Ok(None);
        };
        self.insert_chunk(id, chunk_count, bytes)?;
        derive::derive_over(
            &self.tx,
            id,
            &content,
            &heads,
            chunk_count + 1,
            Some(&stored),
        )?;
        Ok(Some(ApplyOutcome::Updated))
    }

    /// [`Writer::apply_changes`] by loading the record's document and applying the bytes to it.
    fn apply_to_document(
        &mut self,
        id: &RecordId,
        bytes: &[u8],
    ) -> Result<ApplyOutcome, ReplicaError> {
        let damaged = |source| ReplicaError::record(id.to_string(), source);
        // What Automerge takes but the server's admission refuses (numbering, rewritten root
        // entries) is refused here too, before anything is stored: `Record::apply` checks what
        // it applied, a record new to this replica is checked once loaded.
        let (mut record, is_new) = match self.load(id)? {
            Some(mut record) => {
                record.apply(bytes).map_err(damaged)?;
                (record, false)
            }
            None => {
                let mut record = Record::load(bytes).map_err(damaged)?;
                record.check_received().map_err(damaged)?;
                (record, true)
            }
        };
        if record.id() != id {
            return Err(ReplicaError::WrongRecord {
                expected: id.to_string(),
                found: record.id().to_string(),
            });
        }
        let waiting = !record.missing_dependencies().is_empty();
        let outcome = if is_new {
            self.store(&mut record, None, false)?
        } else {
            self.store(&mut record, Some(bytes), true)?
        };
        Ok(match (waiting, is_new, outcome) {
            (true, _, _) => ApplyOutcome::WaitingForDependencies,
            (false, true, _) => ApplyOutcome::Created,
            (false, false, outcome) => outcome,
        })
    }

    /// Loads a record inside this transaction (sees this transaction's own writes).
    pub fn load(&self, id: &RecordId) -> Result<Option<Record>, ReplicaError> {
        load_record(&self.tx, id)
    }

    fn insert_chunk(&self, id: &RecordId, seq: i64, bytes: &[u8]) -> Result<(), ReplicaError> {
        self.tx
            .prepare_cached(
                "INSERT INTO record_chunks (record_id, seq, bytes) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id.as_str(), seq, bytes])?;
        Ok(())
    }
}

fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|chunk| ChangeHash::try_from(chunk).ok())
        .collect()
}

pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn load_chunks(conn: &Connection, id: &str) -> Result<(Option<Record>, i64), ReplicaError> {
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM record_chunks WHERE record_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id])?;
    let mut document = Vec::new();
    let mut chunks = 0;
    while let Some(row) = rows.next()? {
        let bytes: Vec<u8> = row.get(0)?;
        document.extend_from_slice(&bytes);
        chunks += 1;
    }
    if chunks == 0 {
        return Ok((None, 0));
    }
    let record = Record::load_own(&document)
        .map_err(|source| ReplicaError::record(id.to_owned(), source))?;
    Ok((Some(record), chunks))
}

fn content_of(record: &mut Record) -> Result<RecordContent, ReplicaError> {
    RecordContent::of(record)
        .map_err(|source| ReplicaError::record(record.id().to_string(), source))
}

fn load_record(conn: &Connection, id: &RecordId) -> Result<Option<Record>, ReplicaError> {
    Ok(load_chunks(conn, id.as_str())?.0)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hostile_tests;
