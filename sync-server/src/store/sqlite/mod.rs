//! The embedded ledger: one SQLite file in WAL mode, `synchronous = FULL` (an acknowledged
//! change survives a power cut). One connection serializes writers, which is what the ledger's
//! sequence order needs anyway.
//!
//! Group commit: a disk sync costs milliseconds, so with hundreds of devices syncing, one commit
//! per request would queue them all behind the disk. Sync requests are submitted through
//! [`Store::transaction_grouped`]: whichever request thread gets the connection runs every queued
//! request in one transaction, each inside its own savepoint (a refused request rolls back only
//! its own work), commits once, and only then hands each request its result.
//!
//! Checkpoints (copying committed WAL pages into the database file, with a sync of each) run on a
//! helper thread with its own connection, so a commit waits for its own WAL sync only, never for
//! a checkpoint; see [`Checkpointer`].

use std::path::Path;
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use outpost_shared::sync::ledger::LedgerError;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{Store, StoreTx, storage, to_i64};

mod rows;
mod sessions;
mod tasks;

mod embedded {
    refinery::embed_migrations!("../migrations/server-sqlite");
}

/// A queued piece of grouped work: runs inside the shared transaction and returns what to do
/// once the commit's outcome is known.
type Job = Box<dyn for<'c> FnOnce(&mut SqliteTx<'c>) -> Deliver + Send>;
type Deliver = Box<dyn FnOnce(Result<(), LedgerError>) + Send>;

pub struct SqliteStore {
    conn: Mutex<Connection>,
    queue: Mutex<Vec<Job>>,
    checkpointer: Checkpointer,
}

/// WAL pages after which the writing connection checkpoints by itself: a safety net in case the
/// checkpoint thread falls far behind (SQLite's default is 1,000 pages, which made every few
/// commits of a busy ledger wait for a checkpoint and its database file sync).
const WRITER_CHECKPOINT_PAGES: i64 = 16_000;
/// The least time between two background checkpoints: each costs two disk syncs, so a stream of
/// small commits is checkpointed in batches.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Checkpoints the WAL on a helper thread after commits. Durability does not depend on it: a
/// commit is durable once its WAL frames are synced (`synchronous = FULL`); a checkpoint only
/// moves them into the database file, and SQLite runs it safely beside the writer (PASSIVE mode
/// copies only committed frames and never blocks the writer).
struct Checkpointer {
    nudge: Option<mpsc::SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Self, LedgerError> {
        let conn = Connection::open(path).map_err(storage)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(storage)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(storage)?;
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the store drops its sender.
                let mut pending = nudged.recv().is_ok();
                while pending {
                    let started = Instant::now();
                    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(error) = result {
                        tracing::warn!(%error, "WAL checkpoint failed; the writer will checkpoint");
                    }
                    // Commits during the pause are taken by the next checkpoint.
                    pending = false;
                    let resume = started + CHECKPOINT_INTERVAL;
                    loop {
                        let left = resume.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        match nudged.recv_timeout(left) {
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                            Err(mpsc::RecvTimeoutError::Timeout) => break,
                            Ok(()) => pending = true,
                        }
                    }
                    if !pending {
                        pending = nudged.recv().is_ok();
                    }
                }
            })
            .map_err(storage)?;
        Ok(Self {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Tells the thread that there are new frames to checkpoint (never blocks).
    fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            let _ = nudge.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.nudge = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let mut conn = Connection::open(path).map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(storage)?;
        conn.pragma_update(None, "cache_size", -64_000)
            .map_err(storage)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(storage)?;
        // The ledger's statements, the multi-row inserts and the deadline engine's exceed
        // rusqlite's default of 16 cached statements, which re-prepared them in turn.
        conn.set_prepared_statement_cache_capacity(128);
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .map_err(storage)?;
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(storage)?;
        Ok(Self {
            conn: Mutex::new(conn),
            queue: Mutex::new(Vec::new()),
            checkpointer: Checkpointer::start(path)?,
        })
    }
}

fn poisoned() -> LedgerError {
    LedgerError::Storage("the ledger connection was poisoned".into())
}

impl Store for SqliteStore {
    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut conn = self.conn.lock().map_err(|_| poisoned())?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let mut wrapped = SqliteTx::new(tx);
        let result = work(&mut wrapped)?;
        wrapped.commit()?;
        drop(conn);
        self.checkpointer.nudge();
        Ok(result)
    }

    fn transaction_grouped<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let (sender, result) = mpsc::channel::<Result<T, LedgerError>>();
        let job: Job = Box::new(move |tx| {
            let outcome = tx.savepoint(work);
            Box::new(move |committed| {
                let _ = sender.send(committed.and(outcome));
            })
        });
        self.queue.lock().map_err(|_| poisoned())?.push(job);
        // Whoever holds the connection runs everything queued, ours included if it is there.
        let mut conn = self.conn.lock().map_err(|_| poisoned())?;
        if let Ok(done) = result.try_recv() {
            return done;
        }
        let jobs: Vec<Job> = std::mem::take(&mut *self.queue.lock().map_err(|_| poisoned())?);
        let (deliveries, committed) = {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(storage)?;
            let mut wrapped = SqliteTx::new(tx);
            let deliveries: Vec<Deliver> = jobs.into_iter().map(|job| job(&mut wrapped)).collect();
            (deliveries, wrapped.commit())
        };
        drop(conn);
        self.checkpointer.nudge();
        for deliver in deliveries {
            deliver(
                committed
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| LedgerError::Storage(e.to_string())),
            );
        }
        result
            .recv()
            .unwrap_or_else(|_| Err(LedgerError::Storage("grouped work was lost".into())))
    }
}

impl SqliteTx<'_> {
    /// Runs `work` inside a savepoint of the open transaction: its writes are kept if it
    /// succeeds and undone if it fails, whatever the other work in the transaction does.
    fn savepoint<T>(
        &mut self,
        work: impl FnOnce(&mut dyn StoreTx) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        self.tx
            .execute_batch("SAVEPOINT grouped_work")
            .map_err(storage)?;
        let outcome = work(self);
        if outcome.is_err() {
            self.tx
                .execute_batch("ROLLBACK TO grouped_work")
                .map_err(storage)?;
        }
        self.tx
            .execute_batch("RELEASE grouped_work")
            .map_err(storage)?;
        outcome
    }
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
    /// The last sequence number handed out, kept in memory during the transaction and written
    /// back once before commit (one row update per transaction instead of one per change).
    last_seq: Option<u64>,
}

impl<'c> SqliteTx<'c> {
    fn new(tx: Transaction<'c>) -> Self {
        Self { tx, last_seq: None }
    }

    fn commit(self) -> Result<(), LedgerError> {
        if let Some(last) = self.last_seq {
            self.tx
                .prepare_cached("UPDATE ledger_seq SET last = ?1 WHERE one = 1")
                .and_then(|mut s| s.execute([to_i64(last)]))
                .map_err(storage)?;
        }
        self.tx.commit().map_err(storage)
    }
}
