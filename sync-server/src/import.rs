//! Importing a list (批量导入): a health authority's workbook becomes one batch (批次) of person
//! records, each dispatched to the unit the program's dispatch key names — one task per
//! (batch, unit), which the unit's devices receive at their next sync and the deadline engine
//! starts timing.
//!
//! Reading and checking the workbook is `outpost_shared::spreadsheet` (pure); this module gives
//! the batch its number, creates the records (on every core: Automerge documents are the costly
//! part), pushes them through the same ledger code a device's sync uses, and keeps the batch row
//! with its counts and failure workbook. Every non-blank row is either imported or in the failure
//! workbook; only a file that cannot be read at all is an error.

use std::collections::BTreeMap;
use std::thread;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::program::{Program, SetBy};
use outpost_shared::record::{
    Author, BulkCreator, CreatedRecord, NewRecord, RecordId, RecordKind, UserId,
};
use outpost_shared::spreadsheet::{self, ImportOptions, ListRow, SheetError};
use outpost_shared::sync::ledger::{self, KnownCreation, LedgerError};
use serde::Serialize;
use thiserror::Error;
use tracing::info;

use crate::App;
use crate::store::Store;
use crate::store::tasks::ImportBatch;

/// The device name import changes carry.
pub const IMPORT_DEVICE: &str = "server-import";
/// Records stored per ledger transaction: big enough to amortise the commit (2,000 took 6.3 s
/// for 100k records, 10,000 take 4.8 s, 25,000 no less), small enough that devices' syncs wait
/// at most about half a second between transactions.
const PUSH_CHUNK: usize = 10_000;

/// One list to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest<'a> {
    pub program: &'a str,
    pub bytes: &'a [u8],
    pub file_name: Option<&'a str>,
    /// The user the batch is attributed to (创建人).
    pub creator: &'a str,
    /// The importer's unit: dispatch names are looked up within it, and every record must land
    /// inside it.
    pub within: Option<&'a str>,
}

/// What an import did (the CLI prints it as one JSON line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub batch: String,
    /// Non-blank data rows: `imported + failed`.
    pub rows: usize,
    pub imported: usize,
    pub failed: usize,
    pub blank_rows: usize,
    /// Persons per dispatch unit: one task each.
    pub units: BTreeMap<String, usize>,
    #[serde(skip)]
    pub failure_workbook: Option<Vec<u8>>,
}

/// Where a long import has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    /// 校验: rows read and checked.
    Checking { done: usize, total: usize },
    /// 派发: records created and dispatched.
    Dispatching { done: usize, total: usize },
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("unknown program `{0}`")]
    UnknownProgram(String),
    /// The file itself cannot be read (not a workbook, no recognisable header row…).
    #[error("{0}")]
    Unreadable(#[from] SheetError),
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("cannot create the records: {0}")]
    Records(String),
}

impl Describe for ImportError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::UnknownProgram(id), Lang::Zh) => format!("未知的工作流程 {id}"),
            (Self::Unreadable(error), lang) => error.describe(lang),
            (Self::Ledger(error), Lang::Zh) => format!("写入台账失败：{error}"),
            (Self::Records(error), Lang::Zh) => format!("生成记录失败：{error}"),
            (error, Lang::En) => error.to_string(),
        }
    }
}

/// A batch number (批次号) like the W1 system's: 18 digits, here the Beijing time to the second
/// followed by four random digits, so that people can read when a batch was imported.
fn batch_number(now_ms: i64) -> Result<String, ImportError> {
    let at = jiff::Timestamp::from_millisecond(now_ms)
        .map_err(|e| ImportError::Records(e.to_string()))?
        .to_zoned(outpost_shared::program::shanghai());
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).map_err(|e| ImportError::Records(e.to_string()))?;
    let suffix = u16::from_le_bytes(random) % 10_000;
    Ok(format!("{}{suffix:04}", at.strftime("%Y%m%d%H%M%S")))
}

/// Imports `request` into the ledger at `now_ms`, reporting progress as it goes.
pub fn import_list(
    app: &App,
    request: ImportRequest<'_>,
    now_ms: i64,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportOutcome, ImportError> {
    let program = app
        .programs
        .iter()
        .find(|p| p.id() == request.program)
        .ok_or_else(|| ImportError::UnknownProgram(request.program.to_owned()))?;
    let options = ImportOptions {
        program,
        jurisdictions: &app.jurisdictions(),
        within: request.within,
    };
    let list = spreadsheet::read_list(request.bytes, &options, &mut |p| {
        progress(ImportProgress::Checking {
            done: p.rows_done,
            total: p.rows_total,
        });
    })?;
    let summary = list.summary();
    let failure_workbook = if list.failures.is_empty() {
        None
    } else {
        Some(spreadsheet::failure_workbook(&list)?)
    };
    // A fresh number; the primary key catches the rare clash and a new one is drawn.
    let mut batch = batch_number(now_ms)?;
    for _ in 0..20 {
        let row = ImportBatch {
            batch: batch.clone(),
            program: program.id().to_owned(),
            creator: request.creator.to_owned(),
            created_ms: now_ms,
            file_name: request.file_name.map(str::to_owned),
            rows: count(summary.rows),
            imported: count(summary.imported),
            failed: count(summary.failed),
            failures: failure_workbook.clone(),
        };
        if app.store.transaction(|tx| tx.insert_batch(&row))? {
            break;
        }
        batch = batch_number(now_ms)?;
    }
    dispatch(app, program, &batch, &list.rows, request, now_ms, progress)?;
    info!(
        batch = %batch,
        program = %program.id(),
        rows = summary.rows,
        imported = summary.imported,
        failed = summary.failed,
        "list imported"
    );
    Ok(ImportOutcome {
        batch,
        rows: summary.rows,
        imported: summary.imported,
        failed: summary.failed,
        blank_rows: summary.blank_rows,
        units: summary.by_unit.into_iter().collect(),
        failure_workbook,
    })
}

/// The record of one imported row.
fn new_person(
    program: &Program,
    batch: &str,
    index: usize,
    row: &ListRow,
) -> Result<NewRecord, ImportError> {
    let mut fields = row.fields.clone();
    for field in program.fields() {
        if field.set_by == Some(SetBy::ImportBatch) {
            fields.push((field.key.clone(), batch.to_owned()));
        }
    }
    Ok(NewRecord {
        id: RecordId::new(format!("{batch}-{index:06}"))
            .map_err(|e| ImportError::Records(e.to_string()))?,
        kind: RecordKind::Person,
        program: program.id().to_owned(),
        unit: row.unit.clone(),
        batch: Some(batch.to_owned()),
        fields,
    })
}

/// Creates the rows' records and stores them in chunks, as a pipeline: one thread makes the
/// next chunk's records while this one stores the last, so on two cores creating costs almost
/// nothing next to storing.
fn dispatch(
    app: &App,
    program: &Program,
    batch: &str,
    rows: &[ListRow],
    request: ImportRequest<'_>,
    now_ms: i64,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<(), ImportError> {
    let author = Author {
        user: UserId::new(request.creator).map_err(|e| ImportError::Records(e.to_string()))?,
        device: DeviceId::new(IMPORT_DEVICE).map_err(|e| ImportError::Records(e.to_string()))?,
    };
    let wall = u64::try_from(now_ms).unwrap_or(0);
    let total = rows.len();
    thread::scope(|scope| {
        // Two chunks in flight at most: memory stays bounded on any list size.
        let (sender, receiver) =
            std::sync::mpsc::sync_channel::<Result<Vec<CreatedRecord>, ImportError>>(1);
        let author = &author;
        scope.spawn(move || {
            let mut clock = HlcClock::new(author.device.clone());
            let mut creator = BulkCreator::new(author);
            for (chunk_index, chunk) in rows.chunks(PUSH_CHUNK).enumerate() {
                let first = chunk_index * PUSH_CHUNK;
                let created: Result<Vec<CreatedRecord>, ImportError> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let new = new_person(program, batch, first + i + 1, row)?;
                        creator
                            .create(&new, &mut clock, wall)
                            .map_err(|e| ImportError::Records(e.to_string()))
                    })
                    .collect();
                let failed = created.is_err();
                // The receiver stops at the first error; then nothing more is wanted.
                if sender.send(created).is_err() || failed {
                    return;
                }
            }
        });
        let mut done = 0;
        for created in receiver {
            let records = created?;
            let known: Vec<KnownCreation<'_>> = records
                .iter()
                .map(|created| KnownCreation {
                    created,
                    kind: RecordKind::Person,
                    program: program.id(),
                })
                .collect();
            app.store
                .transaction(|tx| ledger::insert_created(tx, IMPORT_DEVICE, now_ms, &known))?;
            done += records.len();
            progress(ImportProgress::Dispatching { done, total });
        }
        Ok(())
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
