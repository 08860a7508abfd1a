//! The row sources: a range read whole gives the same list as the streamed sheet, and the
//! two-thread pipeline passes rows, errors and a dying parser on faithfully.

use calamine::{Data, Reader, Xlsx};

use super::import::person;
use super::*;
use crate::spreadsheet::pipeline::in_parallel;
use crate::spreadsheet::read::read_sheet;
use crate::spreadsheet::rows::{RangeRows, Row, RowError, RowSource};

#[test]
fn a_range_read_whole_gives_the_same_list_as_the_streamed_sheet() {
    // The list starts in B3, below an empty row and right of an empty column, with a blank
    // row inside: row and column numbers must still be Excel's.
    let bytes = xlsx_with(|sheet| {
        let mut rows = vec![row(&W1_HEADERS)];
        rows.push(person("李明", "13800138000", "", "南沙街道"));
        rows.push(row(&[]));
        rows.push(person("王芳", "", "", "黄格"));
        for (offset, cells) in rows.iter().enumerate() {
            let shifted: Vec<Vec<Cell>> = vec![cells.clone()];
            write_rows_at(sheet, 2 + u32::try_from(offset).expect("row"), 1, &shifted);
        }
    });
    let streamed = read_w1(&bytes);
    assert_eq!(streamed.header_row, 3);
    assert_eq!(streamed.headers[0], "");
    assert_eq!(streamed.rows[0].row_number, 4);
    assert_eq!(streamed.failures[0].row_number, 6);

    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(&bytes[..])).expect("xlsx");
    let range = workbook.worksheet_range("Sheet1").expect("range");
    assert_eq!(range.start(), Some((2, 1)));
    let (w1, tree) = (w1(), tree());
    let options = ImportOptions {
        program: &w1,
        jurisdictions: &tree,
        within: Some("440115"),
    };
    let whole = read_sheet("Sheet1", RangeRows::new(&range), &options, &mut |_| {})
        .expect("readable")
        .unwrap_or_else(|_| panic!("a list"));
    assert_eq!(whole, streamed);
}

/// Writes `rows` with their first cell in column `first_column`.
fn write_rows_at(sheet: &mut Worksheet, first_row: u32, first_column: u16, rows: &[Vec<Cell>]) {
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (r, c) = (
                first_row + u32::try_from(r).expect("row"),
                first_column + u16::try_from(c).expect("column"),
            );
            if let Cell::Text(text) = cell {
                sheet.write_string(r, c, text).expect("write");
            }
        }
    }
}

/// Rows from memory, failing or panicking at a chosen row.
struct MemoryRows {
    rows: Vec<Vec<Data>>,
    next: usize,
    fail_at: Option<usize>,
    panic_at: Option<usize>,
}

impl MemoryRows {
    fn new(count: usize) -> Self {
        Self {
            rows: (0..count)
                .map(|n| vec![Data::String(format!("第{n}行")), Data::Int(n as i64)])
                .collect(),
            next: 0,
            fail_at: None,
            panic_at: None,
        }
    }
}

impl RowSource for MemoryRows {
    type Cell = Data;

    fn next_row(&mut self) -> Result<Option<Row<'_, Data>>, RowError> {
        let index = self.next;
        if self.fail_at == Some(index) {
            return Err(RowError::Unreadable);
        }
        assert!(self.panic_at != Some(index), "parser dies");
        self.next += 1;
        Ok(self
            .rows
            .get(index)
            .map(|cells| Row::new(u32::try_from(index).expect("row"), 0, cells)))
    }

    fn rows_hint(&self) -> usize {
        self.rows.len()
    }
}

/// Every row the consumer sees, as (index, second cell), and how reading ended.
fn drain(source: MemoryRows) -> (Vec<(u32, String)>, Result<(), RowError>) {
    in_parallel(source, |mut rows| {
        assert_eq!(rows.rows_hint(), 5_000);
        let mut seen = Vec::new();
        loop {
            match rows.next_row() {
                Ok(Some(row)) => seen.push((row.index, cell::display_text(row.get(1)))),
                Ok(None) => return (seen, Ok(())),
                Err(error) => return (seen, Err(error)),
            }
        }
    })
    .expect("a thread starts")
}

#[test]
fn the_pipeline_passes_every_row_in_order_across_batches() {
    let (seen, end) = drain(MemoryRows::new(5_000));
    assert!(end.is_ok());
    assert_eq!(seen.len(), 5_000);
    assert!(
        seen.iter()
            .enumerate()
            .all(|(n, (index, value))| *index as usize == n && *value == n.to_string())
    );
}

#[test]
fn a_parse_error_in_the_helper_reaches_the_reader_after_the_rows_before_it() {
    let mut source = MemoryRows::new(5_000);
    source.fail_at = Some(4_500);
    let (seen, end) = drain(source);
    assert_eq!(seen.len(), 4_500);
    assert!(matches!(end, Err(RowError::Unreadable)));
}

#[test]
fn a_helper_that_dies_makes_the_sheet_unreadable_not_short() {
    let mut source = MemoryRows::new(5_000);
    source.panic_at = Some(3_000);
    let (seen, end) = drain(source);
    assert!(seen.len() <= 3_000);
    assert!(matches!(end, Err(RowError::Unreadable)));
}

#[test]
fn a_reader_that_stops_early_stops_the_helper() {
    let taken = in_parallel(MemoryRows::new(5_000), |mut rows| {
        let mut taken = 0;
        while taken < 20 && rows.next_row().expect("row").is_some() {
            taken += 1;
        }
        taken
    });
    // Returning at all shows the helper stopped: the scope waits for it.
    assert_eq!(taken, Some(20));
}
