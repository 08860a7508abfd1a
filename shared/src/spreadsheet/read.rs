//! The import loop: open the workbook, find the sheet and its header row, check every row.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Reader, SheetType, Sheets, open_workbook_auto_from_rs};

use super::cell::{SheetCell, display_text, is_blank};
use super::field::{Checker, ColumnCheck};
use super::header::{self, Columns, HEADER_SCAN_ROWS};
use super::limits;
use super::pipeline;
use super::rows::{CellRows, OwnedRow, RangeRows, Row, RowError, RowSource};
use super::template::is_notes_row;
use super::xls_scan;
use super::xlsx_scan;
use super::{FailedRow, ImportOptions, ListRow, ParsedList, Progress, SheetError};
use crate::identity::LegacyResidentId;
use crate::record::field_keys;

/// How often, in rows, the progress callback hears from a long list.
const PROGRESS_EVERY: usize = 1_000;

/// The first bytes of a ZIP archive (.xlsx, .xlsb, .ods) and of an OLE compound file (.xls, and
/// password-protected .xlsx): a file that starts like one but does not open is damaged, not
/// something else altogether.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Why one sheet gave no list.
pub(super) enum SheetOutcome {
    /// No header row in the first rows: try the next sheet.
    NoHeader,
    /// The streaming reader met cells out of order: read the sheet again and sort its cells.
    OutOfOrder,
}

pub(super) fn read_list(
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ParsedList, SheetError> {
    let scoped = ImportOptions {
        program: options.program,
        jurisdictions: options.jurisdictions,
        within: super::scope(options.program, options.jurisdictions, options.within)?,
    };
    let options = &scoped;
    // calamine parses a whole .xls when it opens it, trusting its declared sizes: look first.
    if bytes.starts_with(OLE_MAGIC) {
        xls_scan::check(bytes).map_err(|refused| SheetError::SheetTooLarge {
            sheet: refused.sheet,
            limit: refused.limit,
        })?;
    }
    // calamine reserves memory for the shared strings an .xlsx declares: look first.
    if bytes.starts_with(ZIP_MAGIC) {
        xlsx_scan::check(bytes).map_err(|()| SheetError::Damaged)?;
    }
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| {
        if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
            SheetError::Damaged
        } else {
            SheetError::NotASpreadsheet
        }
    })?;
    let sheets: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|sheet| sheet.typ == SheetType::WorkSheet)
        .map(|sheet| sheet.name.clone())
        .collect();
    if sheets.is_empty() {
        return Err(SheetError::NoWorksheet);
    }
    // Parsing on a helper thread pays only when a second core can run it.
    let two_cores = std::thread::available_parallelism().is_ok_and(|cores| cores.get() > 1);
    for sheet in sheets {
        let unreadable = || SheetError::UnreadableSheet {
            sheet: sheet.clone(),
        };
        // .xlsx and .xlsb are streamed (see `limits`): one fresh cell reader per attempt.
        macro_rules! cells {
            ($book:expr) => {{
                let mut reader = $book
                    .worksheet_cells_reader(&sheet)
                    .map_err(|_| unreadable())?;
                let last_row = reader.dimensions().end.0;
                CellRows::new(last_row, move || {
                    reader
                        .next_cell()
                        .map(|cell| {
                            cell.map(|cell| (cell.get_position(), cell.get_value().clone()))
                        })
                        .map_err(|_| RowError::Unreadable)
                })
            }};
        }
        macro_rules! streamed {
            ($book:expr) => {{
                let parallel = if two_cores {
                    pipeline::in_parallel(cells!($book), |rows| {
                        read_sheet(&sheet, rows, options, progress)
                    })
                } else {
                    None
                };
                let outcome = match parallel {
                    Some(outcome) => outcome,
                    None => read_sheet(&sheet, cells!($book), options, progress),
                };
                match outcome? {
                    Ok(list) => return Ok(list),
                    Err(SheetOutcome::NoHeader) => continue,
                    Err(SheetOutcome::OutOfOrder) => {
                        let sorted = cells!($book)
                            .into_sorted()
                            .map_err(|error| row_error(&sheet, error))?;
                        read_sheet(&sheet, sorted, options, progress)?
                    }
                }
            }};
        }
        let outcome = match &mut workbook {
            Sheets::Xlsx(book) => streamed!(book),
            Sheets::Xlsb(book) => streamed!(book),
            // Parsed whole when the workbook was opened: checked before any row is read.
            Sheets::Xls(_) | Sheets::Ods(_) => {
                let range = workbook.worksheet_range(&sheet).map_err(|_| unreadable())?;
                limits::check_range(&range).map_err(|limit| SheetError::SheetTooLarge {
                    sheet: sheet.clone(),
                    limit,
                })?;
                read_sheet(&sheet, RangeRows::new(&range), options, progress)?
            }
        };
        match outcome {
            Ok(list) => return Ok(list),
            Err(_) => continue,
        }
    }
    Err(SheetError::NoHeaderRow {
        expected: header::expected_headers(options.program),
        rows_scanned: HEADER_SCAN_ROWS,
    })
}

/// The keys rows are compared by to find the same person twice in one list. Only imported rows
/// are remembered: when the first occurrence fails, the next one is the one imported.
struct Seen {
    /// Canonical 18-character ID (or other document number) → first row.
    ids: HashMap<String, u32>,
    /// Name without spaces + phone → first row.
    name_phones: HashMap<(String, String), u32>,
    /// "姓名和手机号码" as the sheet's headers say it, when the sheet has both columns.
    name_phone_headers: Option<String>,
}

/// Reads one sheet: finds its header row among the first rows, then checks every row below.
pub(super) fn read_sheet<S: RowSource>(
    sheet: &str,
    mut source: S,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Result<ParsedList, SheetOutcome>, SheetError> {
    let program = options.program;
    let mut head: Vec<OwnedRow<S::Cell>> = Vec::new();
    while head.len() < HEADER_SCAN_ROWS as usize {
        match source.next_row() {
            Ok(Some(row)) => head.push(row.to_owned()),
            Ok(None) => break,
            Err(RowError::OutOfOrder(_)) => return Ok(Err(SheetOutcome::OutOfOrder)),
            Err(error) => return Err(row_error(sheet, error)),
        }
    }
    let Some(header_index) = header::find_header_row(program, head.iter().map(OwnedRow::view))
    else {
        return Ok(Err(SheetOutcome::NoHeader));
    };
    let header = head[header_index].view();
    let header_row = header.index + 1;
    let columns = header::map_columns(program, header);
    let missing = header::missing_required(program, &columns);
    if !missing.is_empty() {
        return Err(SheetError::MissingColumns {
            sheet: sheet.to_owned(),
            header_row,
            missing,
        });
    }
    let checks: Vec<ColumnCheck> = columns
        .mapped
        .iter()
        .map(|column| ColumnCheck::new(program, column))
        .collect();
    let rows_hint = source
        .rows_hint()
        .saturating_sub(usize::try_from(header_row).unwrap_or(usize::MAX));
    let mut reader = ListReader {
        list: ParsedList {
            sheet: sheet.to_owned(),
            header_row,
            headers: columns.headers.clone(),
            rows: Vec::with_capacity(rows_hint.min(1 << 20)),
            failures: Vec::new(),
            blank_rows: 0,
            notes_row: None,
        },
        checker: Checker::new(program, options.jurisdictions, options.within),
        seen: Seen {
            // Sized for the sheet up front: rehashing 100,000 keys twice over costs more.
            ids: HashMap::with_capacity(rows_hint.min(1 << 20)),
            name_phones: HashMap::with_capacity(rows_hint.min(1 << 20)),
            name_phone_headers: header_of(&checks, field_keys::NAME)
                .zip(header_of(&checks, field_keys::PHONE))
                .map(|(name, phone)| format!("{name}和{phone}")),
        },
        checks: &checks,
        columns: &columns,
        program,
        rows_done: 0,
        rows_hint,
        progress,
    };
    for row in &head[header_index + 1..] {
        reader.read(row.view());
    }
    loop {
        match source.next_row() {
            Ok(Some(row)) => reader.read(row),
            Ok(None) => break,
            Err(RowError::OutOfOrder(_)) => return Ok(Err(SheetOutcome::OutOfOrder)),
            Err(error) => return Err(row_error(sheet, error)),
        }
    }
    let (rows_done, progress) = (reader.rows_done, reader.progress);
    progress(Progress {
        rows_done,
        rows_total: rows_done,
    });
    Ok(Ok(reader.list))
}

/// The error a row source's failure makes of the whole sheet.
fn row_error(sheet: &str, error: RowError) -> SheetError {
    match error {
        RowError::TooLarge(limit) => SheetError::SheetTooLarge {
            sheet: sheet.to_owned(),
            limit,
        },
        RowError::Unreadable | RowError::OutOfOrder(_) => SheetError::UnreadableSheet {
            sheet: sheet.to_owned(),
        },
    }
}

fn header_of<'c>(checks: &'c [ColumnCheck], key: &str) -> Option<&'c str> {
    checks
        .iter()
        .find(|check| check.key == key)
        .map(|check| check.header.as_str())
}

/// The state of one sheet's read, row after row.
struct ListReader<'a, 'p, 'f> {
    list: ParsedList,
    checker: Checker<'a>,
    seen: Seen,
    checks: &'a [ColumnCheck<'p>],
    columns: &'a Columns<'p>,
    program: &'p crate::program::Program,
    rows_done: usize,
    rows_hint: usize,
    progress: &'f mut dyn FnMut(Progress),
}

impl ListReader<'_, '_, '_> {
    fn read<T: SheetCell>(&mut self, row: Row<'_, T>) {
        let row_number = row.index + 1;
        let width = self.columns.headers.len();
        if (0..width).all(|column| is_blank(row.get(column))) {
            self.list.blank_rows += 1;
        } else if row_number == self.list.header_row + 1
            && is_notes_row(self.program, self.columns, row)
        {
            self.list.notes_row = Some(row_number);
        } else {
            self.read_row(row_number, row);
        }
        self.rows_done += 1;
        if self.rows_done.is_multiple_of(PROGRESS_EVERY) {
            (self.progress)(Progress {
                rows_done: self.rows_done,
                rows_total: self.rows_hint.max(self.rows_done),
            });
        }
    }

    /// Checks a non-blank row and files it under rows or failures.
    fn read_row<T: SheetCell>(&mut self, row_number: u32, row: Row<'_, T>) {
        let mut reasons = Vec::new();
        let mut fields = Vec::with_capacity(self.checks.len());
        let mut unit = None;
        let mut identity: Option<(String, &str)> = None;
        let mut identity_given = false;
        for check in self.checks {
            let value = row.get(check.index);
            if check.is_identity() && !is_blank(value) {
                identity_given = true;
            }
            match self.checker.check(check, value) {
                Ok(Some(value)) => {
                    if check.is_dispatch() {
                        unit = Some(value.clone());
                    }
                    if check.is_identity() && identity.is_none() {
                        identity = Some((identity_key(&value), check.header.as_str()));
                    }
                    let document_kind = check.document_kind_field(&value);
                    fields.push((check.key.to_owned(), value));
                    fields.extend(document_kind);
                }
                Ok(None) => {}
                Err(reason) => reasons.push(reason),
            }
        }
        let seen = &mut self.seen;
        let name_phone = seen
            .name_phone_headers
            .is_some()
            .then(|| name_phone_key(&fields))
            .flatten();
        if let Some((key, header)) = &identity {
            if let Some(first) = seen.ids.get(key) {
                reasons.push(format!("与第 {first} 行重复（{header}相同）"));
            }
        } else if !identity_given
            && let Some(key) = &name_phone
            && let Some(first) = seen.name_phones.get(key)
        {
            let headers = seen.name_phone_headers.as_deref().unwrap_or_default();
            reasons.push(format!("与第 {first} 行重复（{headers}相同）"));
        }
        let unit = match unit {
            Some(unit) => unit,
            None if reasons.is_empty() => {
                // Unreachable while the dispatch column is required; kept so that a row can
                // never be imported without a unit.
                reasons.push("无法确定派发单位".to_owned());
                String::new()
            }
            None => String::new(),
        };
        let original = (0..self.columns.headers.len())
            .map(|column| display_text(row.get(column)))
            .collect();
        if !reasons.is_empty() {
            self.list.failures.push(FailedRow {
                row_number,
                original,
                reasons,
            });
            return;
        }
        if let Some((key, _)) = identity {
            seen.ids.entry(key).or_insert(row_number);
        }
        if let Some(key) = name_phone {
            seen.name_phones.entry(key).or_insert(row_number);
        }
        self.list.rows.push(ListRow {
            row_number,
            original,
            fields,
            unit,
        });
    }
}

/// The number duplicates are compared by: a first-generation ID in its 18-character form, so
/// the same person listed once with each is found.
fn identity_key(value: &str) -> String {
    if value.len() == 15
        && let Ok(legacy) = LegacyResidentId::parse(value)
    {
        return legacy.to_eighteen().as_str().to_owned();
    }
    value.to_owned()
}

/// The name (without any spaces) and the phone of a row, when it has both.
fn name_phone_key(fields: &[(String, String)]) -> Option<(String, String)> {
    let value = |key: &str| {
        fields
            .iter()
            .find(|(field, _)| field == key)
            .map(|(_, value)| value)
    };
    let name: String = value(field_keys::NAME)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some((name, value(field_keys::PHONE)?.clone()))
}
