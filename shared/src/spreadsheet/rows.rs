//! A sheet's rows, one at a time, from either calamine reader.
//!
//! .xlsx sheets are streamed cell by cell ([`CellRows`]): a 100,000-row list is checked as it is
//! parsed, without first building a grid of every cell or copying each shared string into each
//! cell that uses it. Other formats come as a calamine `Range` ([`RangeRows`]). Both yield every
//! row from the first one with a value, rows without any cell included, with cells counted from
//! column A, so row and column numbers are the ones Excel shows.

use std::io::{Read, Seek};

use calamine::{Data, DataRef, DataType, Range, XlsxCellReader};

use super::cell::{SheetCell, Value};

/// One row: its 0-based index in the sheet and its cells, the first of which sits in column
/// `offset` (0 is column A).
#[derive(Debug)]
pub(super) struct Row<'r, T> {
    pub index: u32,
    offset: usize,
    cells: &'r [T],
}

// By hand: a derive would ask `T: Copy`, but a row only borrows its cells.
impl<T> Clone for Row<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Row<'_, T> {}

impl<'r, T> Row<'r, T> {
    pub(super) fn new(index: u32, offset: usize, cells: &'r [T]) -> Self {
        Self {
            index,
            offset,
            cells,
        }
    }

    /// The column of the first cell, and the cells.
    pub(super) fn cells(&self) -> (usize, &'r [T]) {
        (self.offset, self.cells)
    }
}

impl<'r, T: SheetCell> Row<'r, T> {
    /// The value in 0-based column `column`; empty outside the row's cells.
    pub(super) fn get(&self, column: usize) -> Value<'r> {
        column
            .checked_sub(self.offset)
            .and_then(|position| self.cells.get(position))
            .map_or(Value::Empty, SheetCell::value)
    }

    /// The values from column A to the row's last cell.
    pub(super) fn values(&self) -> impl Iterator<Item = Value<'r>> + '_ {
        (0..self.offset + self.cells.len()).map(|column| self.get(column))
    }

    pub(super) fn to_owned(self) -> OwnedRow<T> {
        OwnedRow {
            index: self.index,
            offset: self.offset,
            cells: self.cells.to_vec(),
        }
    }
}

/// A row kept while the header row is searched for.
#[derive(Debug, Clone)]
pub(super) struct OwnedRow<T> {
    index: u32,
    offset: usize,
    cells: Vec<T>,
}

impl<T> OwnedRow<T> {
    pub(super) fn view(&self) -> Row<'_, T> {
        Row {
            index: self.index,
            offset: self.offset,
            cells: &self.cells,
        }
    }
}

/// The streaming reader met cells out of row order, which Excel never writes; the sheet is then
/// read again as a range, which sorts its cells.
#[derive(Debug)]
pub(super) struct OutOfOrder;

/// Why a row could not be read.
#[derive(Debug)]
pub(super) enum RowError {
    /// The sheet's XML is damaged.
    Unreadable,
    OutOfOrder(OutOfOrder),
}

/// A source of rows.
pub(super) trait RowSource {
    type Cell: SheetCell;

    fn next_row(&mut self) -> Result<Option<Row<'_, Self::Cell>>, RowError>;

    /// How many rows the sheet says it has, for progress; may be 0 when unknown.
    fn rows_hint(&self) -> usize;
}

/// The rows of a range read whole (.xls, .xlsb, .ods).
pub(super) struct RangeRows<'r> {
    rows: calamine::Rows<'r, Data>,
    next_index: u32,
    offset: usize,
    height: usize,
}

impl<'r> RangeRows<'r> {
    pub(super) fn new(range: &'r Range<Data>) -> Self {
        let (row, column) = range.start().unwrap_or((0, 0));
        Self {
            rows: range.rows(),
            next_index: row,
            offset: usize::try_from(column).unwrap_or(usize::MAX),
            height: range.height(),
        }
    }
}

impl RowSource for RangeRows<'_> {
    type Cell = Data;

    fn next_row(&mut self) -> Result<Option<Row<'_, Data>>, RowError> {
        let Some(cells) = self.rows.next() else {
            return Ok(None);
        };
        let index = self.next_index;
        self.next_index = index.saturating_add(1);
        Ok(Some(Row {
            index,
            offset: self.offset,
            cells,
        }))
    }

    fn rows_hint(&self) -> usize {
        self.height
    }
}

/// A cell with a value and its 0-based (row, column).
type PlacedCell<'a> = ((u32, u32), DataRef<'a>);

/// The rows of an .xlsx sheet, assembled from its cells as they are parsed.
pub(super) struct CellRows<'a, RS: Read + Seek> {
    reader: XlsxCellReader<'a, RS>,
    /// The first cell of the next row, already read.
    pending: Option<PlacedCell<'a>>,
    finished: bool,
    /// The index the next row will have; `None` before the first cell.
    next_index: Option<u32>,
    row: Vec<DataRef<'a>>,
    hint: usize,
}

impl<'a, RS: Read + Seek> CellRows<'a, RS> {
    pub(super) fn new(reader: XlsxCellReader<'a, RS>) -> Self {
        let dimensions = reader.dimensions();
        Self {
            hint: usize::try_from(dimensions.end.0.saturating_add(1)).unwrap_or(0),
            reader,
            pending: None,
            finished: false,
            next_index: None,
            row: Vec::new(),
        }
    }

    /// The next cell with a value; empty cells (formatting only) are skipped, as calamine's
    /// range reader skips them.
    fn next_cell(&mut self) -> Result<Option<PlacedCell<'a>>, RowError> {
        loop {
            match self.reader.next_cell() {
                Ok(Some(cell)) if cell.get_value().is_empty() => {}
                Ok(Some(cell)) => {
                    return Ok(Some((cell.get_position(), cell.get_value().clone())));
                }
                Ok(None) => return Ok(None),
                Err(_) => return Err(RowError::Unreadable),
            }
        }
    }
}

impl<'a, RS: Read + Seek> RowSource for CellRows<'a, RS> {
    type Cell = DataRef<'a>;

    fn next_row(&mut self) -> Result<Option<Row<'_, DataRef<'a>>>, RowError> {
        if self.pending.is_none() && !self.finished {
            self.pending = self.next_cell()?;
            self.finished = self.pending.is_none();
        }
        let Some(((target, _), _)) = self.pending else {
            return Ok(None);
        };
        let index = self.next_index.unwrap_or(target);
        self.row.clear();
        if target > index {
            // A row with no cells at all between two rows with values: a blank row.
            self.next_index = Some(index + 1);
            return Ok(Some(Row {
                index,
                offset: 0,
                cells: &self.row,
            }));
        }
        if target < index {
            return Err(RowError::OutOfOrder(OutOfOrder));
        }
        while let Some(((row, column), value)) = self.pending.take() {
            if row != target {
                if row < target {
                    return Err(RowError::OutOfOrder(OutOfOrder));
                }
                self.pending = Some(((row, column), value));
                break;
            }
            let column = usize::try_from(column).unwrap_or(usize::MAX);
            if column < self.row.len() {
                return Err(RowError::OutOfOrder(OutOfOrder));
            }
            self.row.resize(column, DataRef::Empty);
            self.row.push(value);
            self.pending = self.next_cell()?;
        }
        self.finished = self.pending.is_none();
        self.next_index = Some(target + 1);
        Ok(Some(Row {
            index: target,
            offset: 0,
            cells: &self.row,
        }))
    }

    fn rows_hint(&self) -> usize {
        self.hint
    }
}
