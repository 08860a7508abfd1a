//! Finding the header row and mapping its cells onto the program's fields.
//!
//! Lists are rarely a header in row 1: a merged title (南沙区密接人员名单（3月18日）) and a notes
//! row often sit above it. The header row is the row among the first [`HEADER_SCAN_ROWS`] that
//! names the most of the program's import columns (headers or aliases, compared by
//! `program::normalize_header`); a title never names two columns, so it cannot win.

use super::cell::{SheetCell, Value, display_text, is_blank, trim};
use super::rows::Row;
use crate::program::{Field, Program};

/// How many rows from the top are searched for the header row.
pub(super) const HEADER_SCAN_ROWS: u32 = 20;

/// One column that maps onto a field.
#[derive(Debug)]
pub(super) struct MappedColumn<'p> {
    /// 0-based position among the header cells.
    pub index: usize,
    /// The header as written in the sheet, trimmed: reasons name columns the way the person
    /// who filled the list sees them.
    pub header: String,
    pub field: &'p Field,
}

/// The header row's columns.
#[derive(Debug)]
pub(super) struct Columns<'p> {
    /// The header cells up to the last non-blank one, as written.
    pub headers: Vec<String>,
    /// Mapped columns, in sheet order.
    pub mapped: Vec<MappedColumn<'p>>,
}

/// The field an import header names, unless the field is set by the system (the batch number
/// is assigned by the import, whatever a sheet says).
fn importable_field<'p>(program: &'p Program, header: &str) -> Option<&'p Field> {
    let column = program.import_column_for_header(header)?;
    program
        .field(&column.field)
        .filter(|field| field.set_by.is_none())
}

/// How many distinct fields the cells of `row` name.
fn score<T: SheetCell>(program: &Program, row: Row<'_, T>) -> usize {
    let mut seen: Vec<&str> = Vec::new();
    for value in row.values() {
        if let Value::Text(text) = value
            && let Some(field) = importable_field(program, text)
            && !seen.contains(&field.key.as_str())
        {
            seen.push(&field.key);
        }
    }
    seen.len()
}

/// The index (among `rows`) of the header row, if one names at least two import columns, or
/// every import column of a program that has fewer than two.
pub(super) fn find_header_row<'r, T: SheetCell + 'r>(
    program: &Program,
    rows: impl Iterator<Item = Row<'r, T>>,
) -> Option<usize> {
    let importable = program
        .import_columns()
        .iter()
        .filter(|column| {
            program
                .field(&column.field)
                .is_some_and(|f| f.set_by.is_none())
        })
        .count();
    let needed = importable.clamp(1, 2);
    let mut best: Option<(usize, usize)> = None;
    for (index, row) in rows.take(HEADER_SCAN_ROWS as usize).enumerate() {
        let found = score(program, row);
        // Strictly greater: on a tie the upper row wins, as a header comes before its data.
        if found >= needed && best.is_none_or(|(_, best_score)| found > best_score) {
            best = Some((index, found));
        }
    }
    best.map(|(index, _)| index)
}

/// Maps the header row. When two columns name the same field (手机号码 and 联系电话), the first
/// is read and the second is kept as an unknown column, so no value is silently merged.
pub(super) fn map_columns<'p, T: SheetCell>(
    program: &'p Program,
    header_row: Row<'_, T>,
) -> Columns<'p> {
    let values: Vec<Value> = header_row.values().collect();
    let width = values
        .iter()
        .rposition(|value| !is_blank(*value))
        .map_or(0, |last| last + 1);
    let headers: Vec<String> = values.into_iter().take(width).map(display_text).collect();
    let mut mapped: Vec<MappedColumn<'p>> = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let Some(field) = importable_field(program, header) else {
            continue;
        };
        if mapped.iter().any(|column| column.field.key == field.key) {
            continue;
        }
        mapped.push(MappedColumn {
            index,
            header: trim(header).to_owned(),
            field,
        });
    }
    Columns { headers, mapped }
}

/// The template headers of required fields that no column maps onto. The dispatch field counts
/// as required: without it no row could be dispatched.
pub(super) fn missing_required(program: &Program, columns: &Columns) -> Vec<String> {
    let dispatch = program.dispatch().field.as_str();
    program
        .import_columns()
        .iter()
        .filter(|import| {
            program.field(&import.field).is_some_and(|field| {
                (field.required || field.key == dispatch) && field.set_by.is_none()
            })
        })
        .filter(|import| {
            !columns
                .mapped
                .iter()
                .any(|column| column.field.key == import.field)
        })
        .map(|import| import.header.clone())
        .collect()
}

/// The headers a person would be told to use: the template's.
pub(super) fn expected_headers(program: &Program) -> Vec<String> {
    program
        .import_columns()
        .iter()
        .filter(|import| {
            program
                .field(&import.field)
                .is_some_and(|field| field.set_by.is_none())
        })
        .map(|import| import.header.clone())
        .collect()
}
