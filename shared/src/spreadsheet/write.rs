//! Writing tables: the failure workbook and result exports. Both are one sheet with a bold, frozen
//! header row and text cells only.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet};

use super::{FAILURE_COLUMN_HEADER, ParsedList, SheetError};

/// A column of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportColumn {
    pub header: String,
    /// Width in Excel character units; `None` fits the header and the first rows.
    pub width: Option<f64>,
}

/// Characters Excel refuses in sheet names.
const FORBIDDEN_IN_SHEET_NAMES: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];
/// Excel's limit on a sheet name, in UTF-16 units.
const SHEET_NAME_LIMIT: usize = 31;
/// Rows looked at to fit a column's width: enough to be representative, bounded for 100k rows.
const WIDTH_SAMPLE_ROWS: usize = 500;
const MIN_WIDTH: f64 = 8.0;
const MAX_WIDTH: f64 = 50.0;
/// The width of the 异常信息 column: reasons are sentences.
const REASON_WIDTH: f64 = 60.0;

/// A sheet name Excel accepts, made from any text: forbidden characters become `_`, leading and
/// trailing apostrophes go, and the name is cut to 31 UTF-16 units. Empty names become `fallback`.
pub(super) fn sheet_name(name: &str, fallback: &str) -> String {
    let mut cleaned = String::new();
    let mut units = 0;
    for character in name.trim().chars() {
        let character = if FORBIDDEN_IN_SHEET_NAMES.contains(&character) || character.is_control() {
            '_'
        } else {
            character
        };
        units += character.len_utf16();
        if units > SHEET_NAME_LIMIT {
            break;
        }
        cleaned.push(character);
    }
    let cleaned = cleaned.trim_matches('\'').trim();
    // "History" is reserved by Excel for its change-tracking sheet.
    if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The header cells' format: bold on light grey, thin borders, wrapped.
pub(super) fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE7_E6_E6))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
}

/// The text number format (`@`): cells typed later keep their digits instead of becoming
/// numbers, which is how Excel loses the last digits of ID numbers.
pub(super) fn text_format() -> Format {
    Format::new().set_num_format("@")
}

/// How wide a text looks in Excel's character units: CJK and full-width characters take two.
pub(super) fn display_width(text: &str) -> f64 {
    let units: usize = text
        .chars()
        .map(|c| if u32::from(c) >= 0x1100 { 2 } else { 1 })
        .sum();
    #[allow(clippy::cast_precision_loss)] // cell texts are far below 2^52 characters
    let width = units as f64;
    width
}

/// Writes `headers` and `rows` as string cells, header row bold and frozen, every column in
/// text format. `widths[i]` of `None` fits the column to its header and the first rows.
fn write_table(
    sheet: &mut Worksheet,
    headers: &[&str],
    widths: &[Option<f64>],
    rows: &[Vec<String>],
) -> Result<(), SheetError> {
    let header_format = header_format();
    let text = text_format();
    for (index, header) in headers.iter().enumerate() {
        let column = column_number(index)?;
        let width = widths.get(index).copied().flatten().unwrap_or_else(|| {
            let widest = rows
                .iter()
                .take(WIDTH_SAMPLE_ROWS)
                .filter_map(|row| row.get(index))
                .map(|cell| display_width(cell))
                .fold(display_width(header), f64::max);
            (widest + 2.0).clamp(MIN_WIDTH, MAX_WIDTH)
        });
        sheet.set_column_width(column, width)?;
        sheet.set_column_format(column, &text)?;
        sheet.write_string_with_format(0, column, *header, &header_format)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let row_number = u32::try_from(index + 1).map_err(|_| too_many_rows())?;
        for (column, value) in row.iter().enumerate() {
            // Empty cells stay absent; everything else is a string, never a formula.
            if !value.is_empty() {
                sheet.write_string(row_number, column_number(column)?, value)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn column_number(index: usize) -> Result<u16, SheetError> {
    u16::try_from(index).map_err(|_| SheetError::Write {
        detail: "more columns than Excel allows".to_owned(),
    })
}

fn too_many_rows() -> SheetError {
    SheetError::Write {
        detail: "more rows than Excel allows".to_owned(),
    }
}

/// The failure workbook (导入失败名单): the list's header row, every failed row's original cells,
/// and a last column 异常信息 with the reasons joined by "；". The person who filled the list fixes
/// the cells and imports this file again.
pub fn failure_workbook(list: &ParsedList) -> Result<Vec<u8>, SheetError> {
    let mut headers: Vec<&str> = list.headers.iter().map(String::as_str).collect();
    headers.push(FAILURE_COLUMN_HEADER);
    let mut widths = vec![None; list.headers.len()];
    widths.push(Some(REASON_WIDTH));
    let rows: Vec<Vec<String>> = list
        .failures
        .iter()
        .map(|failure| {
            let mut cells = failure.original.clone();
            cells.resize(list.headers.len(), String::new());
            cells.push(failure.reasons.join("；"));
            cells
        })
        .collect();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&list.sheet, "导入失败名单"))?;
    write_table(sheet, &headers, &widths, &rows)?;
    Ok(workbook.save_to_buffer()?)
}

/// A results export: one sheet named `sheet_name` (made valid for Excel), a bold frozen header
/// row, and every value as a string cell.
pub fn export(
    sheet_name: &str,
    columns: &[ExportColumn],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, SheetError> {
    let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
    let widths: Vec<Option<f64>> = columns.iter().map(|c| c.width).collect();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(self::sheet_name(sheet_name, "导出"))?;
    write_table(sheet, &headers, &widths, rows)?;
    Ok(workbook.save_to_buffer()?)
}
