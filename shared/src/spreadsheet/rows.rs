//! A sheet's rows, one at a time, from either calamine reader.
//!
//! .xlsx and .xlsb sheets are streamed cell by cell ([`CellRows`]): a 100,000-row list is checked
//! as it is parsed, without first building a grid of every cell or copying each shared string
//! into each cell that uses it, and no cell beyond the limits of `limits` is ever kept. .xls and
//! .ods come as a calamine `Range` ([`RangeRows`]), checked by `limits::check_range` first. Both yield every
//! row from the first one with a value, rows without any cell included, with cells counted from
//! column A, so row and column numbers are the ones Excel shows.

use calamine::{Data, DataRef, DataType, Range};

use super::cell::{SheetCell, Value};
use super::limits::{CellBudget, MAX_ROWS, SheetLimit};

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
/// read again and its cells sorted ([`CellRows::into_sorted`]).
#[derive(Debug)]
pub(super) struct OutOfOrder;

/// Why a row could not be read.
#[derive(Debug)]
pub(super) enum RowError {
    /// The sheet's XML is damaged.
    Unreadable,
    OutOfOrder(OutOfOrder),
    /// The sheet has a cell beyond a limit; see `limits`.
    TooLarge(SheetLimit),
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

/// A cell and its 0-based (row, column).
pub(super) type PlacedCell<'a> = ((u32, u32), DataRef<'a>);

/// What a streaming reader gives next: a cell, the end of the sheet, or why it cannot go on.
pub(super) type NextCell<'a> = Result<Option<PlacedCell<'a>>, RowError>;

/// The rows of a streamed sheet (.xlsx, .xlsb), assembled from its cells as they are parsed.
/// `next` is the format's cell reader; every cell it gives is admitted by a [`CellBudget`]
/// before it is kept, so no row, column or cell count beyond the limits is ever stored.
pub(super) struct CellRows<'a, N> {
    next: N,
    budget: CellBudget,
    /// The first cell of the next row, already read.
    pending: Option<PlacedCell<'a>>,
    finished: bool,
    /// The index the next row will have; `None` before the first cell.
    next_index: Option<u32>,
    row: Vec<DataRef<'a>>,
    hint: usize,
}

impl<'a, N: FnMut() -> NextCell<'a>> CellRows<'a, N> {
    /// `last_row` is the sheet's declared last row (0-based), a progress hint only: it is
    /// capped at [`MAX_ROWS`] because nothing checks it.
    pub(super) fn new(last_row: u32, next: N) -> Self {
        Self {
            hint: usize::try_from(last_row.saturating_add(1).min(MAX_ROWS)).unwrap_or(0),
            next,
            budget: CellBudget::default(),
            pending: None,
            finished: false,
            next_index: None,
            row: Vec::new(),
        }
    }

    /// The next cell with a value; empty cells (formatting only) are skipped, as calamine's
    /// range reader skips them.
    fn next_cell(&mut self) -> NextCell<'a> {
        loop {
            match (self.next)()? {
                Some((position, value)) => {
                    let empty = value.is_empty();
                    self.budget
                        .admit(position, empty)
                        .map_err(RowError::TooLarge)?;
                    if !empty {
                        return Ok(Some((position, value)));
                    }
                }
                None => return Ok(None),
            }
        }
    }

    /// The same sheet with its cells put in order, for a sheet whose cells came out of order
    /// (which Excel never writes): `self` must not have been read from yet, and is drained into
    /// a list of at most [`super::limits::MAX_CELLS`] cells, which is sorted — never into a grid
    /// from the first cell to the last, which is what calamine's range reader would allocate.
    pub(super) fn into_sorted(
        mut self,
    ) -> Result<CellRows<'a, impl FnMut() -> NextCell<'a> + Send>, RowError> {
        let mut cells = Vec::new();
        while let Some(cell) = self.next_cell()? {
            cells.push(cell);
        }
        // Stable, so of two cells at one place the later one in the file is kept, as calamine's
        // range reader keeps it.
        cells.sort_by_key(|(position, _)| *position);
        cells.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        let mut cells = cells.into_iter();
        let last_row = u32::try_from(self.hint.saturating_sub(1)).unwrap_or(0);
        Ok(CellRows::new(last_row, move || Ok(cells.next())))
    }
}

impl<'a, N: FnMut() -> NextCell<'a>> RowSource for CellRows<'a, N> {
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
