//! Excel lists in and out (名单导入导出): the health bureau's import lists, the per-program
//! template (下载模板), the failure workbook that goes back to whoever filled the list
//! (导入失败名单), and result exports.
//!
//! Everything here is pure: bytes in, bytes out. No file, clock or network is touched, so the app,
//! the server and the tests call the same functions. [`read_list`] may parse an .xlsx sheet on
//! one helper thread while it checks rows on the calling thread (see `pipeline`); it returns
//! only after that thread has ended.
//!
//! # Reading a list
//!
//! Lists come from many hands: a merged title row (南沙区密接人员名单（3月18日）) and a notes row
//! above the header, headers retyped with stray spaces and full-width parentheses, ID numbers that
//! Excel turned into `4.40115199003071E+17`, towns written as 黄阁 or with a typo. [`read_list`]
//! finds the header row, maps columns through the program's import headers and aliases, and
//! normalises each cell by its field type. A file it cannot read at all is a [`SheetError`];
//! a row it cannot import is a [`FailedRow`] with every reason in Chinese, in column order, and
//! never an error: one bad row must not block a list of thousands.
//!
//! *Invariant:* every non-blank data row ends up in exactly one of [`ParsedList::rows`] and
//! [`ParsedList::failures`], so `imported + failed == rows` in [`ParsedList::summary`].
//!
//! # Writing
//!
//! Every value written by [`failure_workbook`] and [`export`] is a string cell, so a cell typed as
//! `=HYPERLINK(...)`, `+86…` or `@SUM(...)` is shown as text and never becomes a formula when the
//! file is opened (CSV/formula injection).

mod cell;
mod error;
mod field;
mod header;
mod limits;
mod pipeline;
mod read;
mod rows;
mod template;
mod write;
mod xls_scan;
mod xlsx_scan;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use error::SheetError;
pub use limits::{MAX_CELLS, MAX_COLUMNS, MAX_ROWS, SheetLimit};
pub use template::template;
pub use write::{ExportColumn, export, failure_workbook};

use crate::jurisdiction::Jurisdictions;
use crate::program::Program;

/// The header of the column the failure workbook adds after the original columns.
pub const FAILURE_COLUMN_HEADER: &str = "异常信息";

/// What a list is read against.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions<'a> {
    pub program: &'a Program,
    pub jurisdictions: &'a Jurisdictions,
    /// The importer's unit (e.g. district 440115): dispatch names are looked up within it.
    pub within: Option<&'a str>,
}

/// How far [`read_list`] has got, reported at least every 1,000 rows and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Data rows looked at so far, blank ones included.
    pub rows_done: usize,
    /// Data rows below the header row, blank ones included.
    pub rows_total: usize,
}

/// A list as read: where it was found, the rows to import and the rows that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedList {
    /// The name of the worksheet the list was read from.
    pub sheet: String,
    /// 1-based row number of the header row.
    pub header_row: u32,
    /// The original header cells, in order; columns no field maps to are kept too.
    pub headers: Vec<String>,
    pub rows: Vec<ListRow>,
    pub failures: Vec<FailedRow>,
    /// Rows with every cell empty or whitespace, skipped.
    pub blank_rows: usize,
    /// 1-based row number of the template's notes row (填写说明), skipped when the list was
    /// filled in on an Outpost template; see [`template`].
    pub notes_row: Option<u32>,
}

/// A row that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// 1-based row number in the sheet, as Excel shows it.
    pub row_number: u32,
    /// The row's cells as text, one per header cell.
    pub original: Vec<String>,
    /// Normalised values by field key, in the sheet's column order: ID numbers and phones in
    /// their canonical form, choices as option codes, jurisdictions as unit codes. Empty
    /// optional cells are left out. A document column's number is followed by the kind of
    /// document it is when that is not a resident ID card (`id_number_kind` = `passport`; see
    /// [`crate::identity::document_kind_key`]).
    pub fields: Vec<(String, String)>,
    /// The code of the unit the row is dispatched to (at the program's dispatch level).
    pub unit: String,
}

impl ListRow {
    /// The normalised value of `key`, if the row has one.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == key)
            .map(|(_, value)| value.as_str())
    }
}

/// A row that cannot be imported, with every reason (Chinese, one per problem, column order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRow {
    pub row_number: u32,
    pub original: Vec<String>,
    pub reasons: Vec<String>,
}

/// Counts for the import confirmation screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Non-blank data rows: always `imported + failed`.
    pub rows: usize,
    pub imported: usize,
    pub failed: usize,
    pub blank_rows: usize,
    /// Imported rows per dispatch unit code, ordered by code (one task per unit).
    pub by_unit: Vec<(String, usize)>,
}

impl ParsedList {
    pub fn summary(&self) -> ImportSummary {
        let mut by_unit: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &self.rows {
            *by_unit.entry(row.unit.as_str()).or_default() += 1;
        }
        ImportSummary {
            rows: self.rows.len() + self.failures.len(),
            imported: self.rows.len(),
            failed: self.failures.len(),
            blank_rows: self.blank_rows,
            by_unit: by_unit
                .into_iter()
                .map(|(unit, count)| (unit.to_owned(), count))
                .collect(),
        }
    }
}

/// Reads a list (.xlsx, .xls, .xlsb or .ods, from bytes) against a program: the first sheet
/// with a recognisable header row is read, every row is checked and normalised, and `progress`
/// hears about it at least every 1,000 rows and once at the end.
///
/// Errors only when the file itself cannot be used (not a spreadsheet, damaged, no header row, a
/// required column missing, `within` unknown); problems of single rows are [`FailedRow`]s.
///
/// calamine runs behind a panic boundary: a file that makes it panic is [`SheetError::Damaged`]
/// (fuzzing found a `<dimension ref>` of seven letters overflowing its column arithmetic).
pub fn read_list(
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ParsedList, SheetError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read::read_list(bytes, options, progress)
    }))
    .unwrap_or(Err(SheetError::Damaged))
}

/// The unit a list is read or a template written within: the narrower of the caller's unit
/// and the program's area (服务范围), so a Nansha program's template lists no Xiamen town and
/// its import places nobody outside Nansha. A caller's unit outside the area is refused.
pub(crate) fn scope<'a>(
    program: &'a crate::program::Program,
    jurisdictions: &crate::jurisdiction::Jurisdictions,
    within: Option<&'a str>,
) -> Result<Option<&'a str>, SheetError> {
    if let Some(code) = within
        && jurisdictions.get(code).is_none()
    {
        return Err(SheetError::UnknownUnit {
            code: code.to_owned(),
        });
    }
    let Some(area) = program.area() else {
        return Ok(within);
    };
    if jurisdictions.get(area).is_none() {
        return Err(SheetError::UnknownUnit {
            code: area.to_owned(),
        });
    }
    match within {
        None => Ok(Some(area)),
        Some(code) if jurisdictions.is_within(code, area) => Ok(Some(code)),
        Some(code) if jurisdictions.is_within(area, code) => Ok(Some(area)),
        Some(code) => Err(SheetError::OutsideArea {
            code: code.to_owned(),
            area: area.to_owned(),
        }),
    }
}
