//! The import loop: open the workbook, find the sheet and its header row, check every row.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, open_workbook_auto_from_rs};

use super::cell::{display_text, is_blank};
use super::field::{Checker, ColumnCheck};
use super::header::{self, Columns, HEADER_SCAN_ROWS};
use super::template::is_notes_row;
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

pub(super) fn read_list(
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ParsedList, SheetError> {
    if let Some(scope) = options.within
        && options.jurisdictions.get(scope).is_none()
    {
        return Err(SheetError::UnknownUnit {
            code: scope.to_owned(),
        });
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
    for sheet in sheets {
        let range = workbook
            .worksheet_range(&sheet)
            .map_err(|_| SheetError::UnreadableSheet {
                sheet: sheet.clone(),
            })?;
        if let Some(header_index) = header::find_header_row(options.program, range.rows()) {
            return read_sheet(sheet, &range, header_index, options, progress);
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

fn read_sheet(
    sheet: String,
    range: &Range<Data>,
    header_index: usize,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ParsedList, SheetError> {
    let program = options.program;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let header_row = first_row + u32::try_from(header_index).unwrap_or(u32::MAX) + 1;
    let header_cells = range.rows().nth(header_index).unwrap_or(&[]);
    let columns = header::map_columns(program, header_cells);
    let missing = header::missing_required(program, &columns);
    if !missing.is_empty() {
        return Err(SheetError::MissingColumns {
            sheet,
            header_row,
            missing,
        });
    }
    let checks: Vec<ColumnCheck> = columns
        .mapped
        .iter()
        .map(|column| ColumnCheck::new(program, column))
        .collect();
    let mut checker = Checker::new(program, options.jurisdictions, options.within);
    let mut list = ParsedList {
        sheet,
        header_row,
        headers: columns.headers.clone(),
        rows: Vec::new(),
        failures: Vec::new(),
        blank_rows: 0,
        notes_row: None,
    };
    let header_of = |key: &str| {
        checks
            .iter()
            .find(|check| check.key == key)
            .map(|check| check.header.as_str())
    };
    let mut seen = Seen {
        ids: HashMap::new(),
        name_phones: HashMap::new(),
        name_phone_headers: header_of(field_keys::NAME)
            .zip(header_of(field_keys::PHONE))
            .map(|(name, phone)| format!("{name}和{phone}")),
    };
    let rows_total = range.height().saturating_sub(header_index + 1);
    let mut rows_done = 0;
    for (offset, row) in range.rows().skip(header_index + 1).enumerate() {
        let row_number = header_row + 1 + u32::try_from(offset).unwrap_or(u32::MAX - header_row);
        let cells = row.get(..columns.headers.len()).unwrap_or(row);
        if cells.iter().all(is_blank) {
            list.blank_rows += 1;
        } else if offset == 0 && is_notes_row(program, &columns, cells) {
            list.notes_row = Some(row_number);
        } else {
            read_row(
                &mut list,
                &mut checker,
                &checks,
                &columns,
                &mut seen,
                row_number,
                cells,
            );
        }
        rows_done = offset + 1;
        if rows_done % PROGRESS_EVERY == 0 {
            progress(Progress {
                rows_done,
                rows_total,
            });
        }
    }
    progress(Progress {
        rows_done,
        rows_total,
    });
    Ok(list)
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

fn read_row(
    list: &mut ParsedList,
    checker: &mut Checker,
    checks: &[ColumnCheck],
    columns: &Columns,
    seen: &mut Seen,
    row_number: u32,
    cells: &[Data],
) {
    let mut reasons = Vec::new();
    let mut fields = Vec::with_capacity(checks.len());
    let mut unit = None;
    let mut identity: Option<(String, &str)> = None;
    let mut identity_given = false;
    for check in checks {
        let data = cells.get(check.index).unwrap_or(&Data::Empty);
        if check.is_identity() && !is_blank(data) {
            identity_given = true;
        }
        match checker.check(check, data) {
            Ok(Some(value)) => {
                if check.is_dispatch() {
                    unit = Some(value.clone());
                }
                if check.is_identity() && identity.is_none() {
                    identity = Some((identity_key(&value), check.header.as_str()));
                }
                fields.push((check.key.to_owned(), value));
            }
            Ok(None) => {}
            Err(reason) => reasons.push(reason),
        }
    }
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
            // Unreachable while the dispatch column is required; kept so that a row can never
            // be imported without a unit.
            reasons.push("无法确定派发单位".to_owned());
            String::new()
        }
        None => String::new(),
    };
    let original = (0..columns.headers.len())
        .map(|index| cells.get(index).map(display_text).unwrap_or_default())
        .collect();
    if !reasons.is_empty() {
        list.failures.push(FailedRow {
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
    list.rows.push(ListRow {
        row_number,
        original,
        fields,
        unit,
    });
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
