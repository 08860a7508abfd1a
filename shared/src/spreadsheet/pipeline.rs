//! Parsing and checking on two threads. calamine parses an .xlsx sheet on a helper thread while
//! the calling thread checks the rows already parsed: on a 100,000-row list the two take about as
//! long as each other, so the list is read in little more than the time of the slower one.
//!
//! Rows travel in batches through a bounded channel (so a fast parser cannot fill memory) and
//! come back empty for reuse. The calling thread keeps the progress callback, which need not be
//! `Send`. The helper stops as soon as the reader stops listening (no header row in a sheet, a
//! required column missing), and a helper that dies without saying it finished makes the sheet
//! unreadable rather than silently short.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::cell::SheetCell;
use super::rows::{Row, RowError, RowSource};

/// Rows per batch: large enough that channel traffic is negligible, small enough that the first
/// rows (and the header search) arrive at once.
const BATCH_ROWS: usize = 2048;
/// Batches parsed ahead of the checker.
const BATCHES_AHEAD: usize = 2;

/// Parsed rows: every row's cells one after another, and where each row lies among them.
struct Batch<T> {
    cells: Vec<T>,
    /// (row index, column of the first cell, start and end in `cells`).
    rows: Vec<(u32, usize, usize, usize)>,
}

enum Message<T> {
    Rows(Batch<T>),
    End,
    Failed(RowError),
}

fn produce<S: RowSource>(
    mut source: S,
    batches: &SyncSender<Message<S::Cell>>,
    recycled: &Receiver<Batch<S::Cell>>,
) {
    loop {
        let mut batch = recycled.try_recv().unwrap_or(Batch {
            cells: Vec::new(),
            rows: Vec::with_capacity(BATCH_ROWS),
        });
        batch.cells.clear();
        batch.rows.clear();
        while batch.rows.len() < BATCH_ROWS {
            match source.next_row() {
                Ok(Some(row)) => {
                    let (offset, cells) = row.cells();
                    let start = batch.cells.len();
                    batch.cells.extend_from_slice(cells);
                    batch
                        .rows
                        .push((row.index, offset, start, batch.cells.len()));
                }
                Ok(None) => {
                    // Sends fail only when the reader has stopped listening: nothing to do then.
                    if batches.send(Message::Rows(batch)).is_ok() {
                        let _ = batches.send(Message::End);
                    }
                    return;
                }
                Err(error) => {
                    // The rows before the failure first, as a single-threaded read gives them.
                    if batches.send(Message::Rows(batch)).is_ok() {
                        let _ = batches.send(Message::Failed(error));
                    }
                    return;
                }
            }
        }
        if batches.send(Message::Rows(batch)).is_err() {
            return;
        }
    }
}

/// The rows a helper thread parses, as a [`RowSource`] for the calling thread.
pub(super) struct ReceivedRows<T> {
    batches: Receiver<Message<T>>,
    recycle: Sender<Batch<T>>,
    current: Option<Batch<T>>,
    position: usize,
    hint: usize,
    ended: bool,
}

impl<T: SheetCell> RowSource for ReceivedRows<T> {
    type Cell = T;

    fn next_row(&mut self) -> Result<Option<Row<'_, T>>, RowError> {
        loop {
            if self
                .current
                .as_ref()
                .is_some_and(|batch| self.position < batch.rows.len())
            {
                break;
            }
            if let Some(done) = self.current.take() {
                // The helper may have finished; then the batch is simply dropped.
                let _ = self.recycle.send(done);
            }
            if self.ended {
                return Ok(None);
            }
            match self.batches.recv() {
                Ok(Message::Rows(batch)) => {
                    self.current = Some(batch);
                    self.position = 0;
                }
                Ok(Message::End) => self.ended = true,
                Ok(Message::Failed(error)) => return Err(error),
                // The helper is gone without saying it finished: it panicked.
                Err(_) => return Err(RowError::Unreadable),
            }
        }
        let Some(batch) = self.current.as_ref() else {
            return Ok(None);
        };
        let Some(&(index, offset, start, end)) = batch.rows.get(self.position) else {
            return Ok(None);
        };
        self.position += 1;
        Ok(Some(Row::new(
            index,
            offset,
            batch.cells.get(start..end).unwrap_or_default(),
        )))
    }

    fn rows_hint(&self) -> usize {
        self.hint
    }
}

/// Runs `consume` on the calling thread over the rows `source` yields on a helper thread.
/// `None` when no thread could be started; `source` is gone then, and the caller reads the sheet
/// again on one thread.
pub(super) fn in_parallel<S, R>(
    source: S,
    consume: impl FnOnce(ReceivedRows<S::Cell>) -> R,
) -> Option<R>
where
    S: RowSource + Send,
    S::Cell: Send,
{
    let hint = source.rows_hint();
    std::thread::scope(|scope| {
        let (batch_sender, batches) = sync_channel(BATCHES_AHEAD);
        let (recycle, recycled) = channel();
        let helper = std::thread::Builder::new()
            .name("outpost-sheet-parser".to_owned())
            .spawn_scoped(scope, move || produce(source, &batch_sender, &recycled))
            .ok()?;
        let result = consume(ReceivedRows {
            batches,
            recycle,
            current: None,
            position: 0,
            hint,
            ended: false,
        });
        // The receiver is gone with `consume`, so a helper still parsing stops at its next send.
        let _ = helper.join();
        Some(result)
    })
}
