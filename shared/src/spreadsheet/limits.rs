//! How big a sheet may be (工作表大小上限), checked cell by cell before anything is stored.
//!
//! A workbook says how big it is (`<dimension ref="A1:XFD1048576"/>`), and calamine's range
//! readers allocate a dense grid from its first to its last cell: a 1.5 KB .xlsx with one cell in
//! A1 and one in XFD1048576 asks for 17 billion cells. So .xlsx and .xlsb sheets are only ever
//! streamed, every cell's position is checked against these limits as it is parsed, before it
//! is kept, and a sheet whose cells come out of order is re-read into a list of at most
//! [`MAX_CELLS`] cells that is then sorted — never into a grid. The declared dimension is only a
//! progress hint, capped at [`MAX_ROWS`]: tools write wrong ones, so it is neither trusted nor
//! refused.
//!
//! .xls and .ods are parsed whole by calamine when the workbook is opened, so their grids are
//! bounded by what calamine allows (.ods: 100,000,000 cells; .xls: the format's 16-bit row and
//! column numbers); what this module checks there is the range's size before a single row of it
//! is read, so an oversized sheet is refused with the same error instead of being read.

use calamine::{DataType, Range};

/// The most rows a sheet may have, header and title rows included: twice the largest list a
/// district sends (a W1 list can reach 100,000 people).
pub const MAX_ROWS: u32 = 200_000;

/// The most columns: a program has a few dozen fields, and people add a few notes columns.
pub const MAX_COLUMNS: u32 = 256;

/// The most cells with a value in one sheet: 200,000 rows of 25 filled columns. It is what the
/// out-of-order fallback may hold (about 40 bytes a cell, so 200 MB at worst), and it keeps a
/// sheet of 200,000 rows × 256 columns, all filled, from being checked at all.
pub const MAX_CELLS: usize = 5_000_000;

/// The most cells of any kind, empty ones (formatting only) included, that a sheet's XML may
/// hold. Empty cells cost no memory, but each takes time to parse, and a ZIP of a few KB can
/// unpack into a billion of them.
pub const MAX_SCANNED_CELLS: usize = 4 * MAX_CELLS;

/// Which limit a sheet went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetLimit {
    /// A cell with a value below row [`MAX_ROWS`].
    Rows,
    /// A cell with a value right of column [`MAX_COLUMNS`].
    Columns,
    /// More than [`MAX_CELLS`] cells with a value, or [`MAX_SCANNED_CELLS`] cells in all.
    Cells,
}

/// Counts a sheet's cells as they are parsed.
#[derive(Debug, Default)]
pub(super) struct CellBudget {
    values: usize,
    scanned: usize,
}

impl CellBudget {
    /// Admits the cell at 0-based (`row`, `column`). Empty cells count only towards the scan
    /// limit and may lie anywhere: formatting far below a list is harmless.
    pub(super) fn admit(
        &mut self,
        (row, column): (u32, u32),
        empty: bool,
    ) -> Result<(), SheetLimit> {
        self.scanned += 1;
        if self.scanned > MAX_SCANNED_CELLS {
            return Err(SheetLimit::Cells);
        }
        if empty {
            return Ok(());
        }
        if row >= MAX_ROWS {
            return Err(SheetLimit::Rows);
        }
        if column >= MAX_COLUMNS {
            return Err(SheetLimit::Columns);
        }
        self.values += 1;
        if self.values > MAX_CELLS {
            return Err(SheetLimit::Cells);
        }
        Ok(())
    }
}

/// Checks a range calamine has already read whole (.xls, .ods) before any row of it is read,
/// with the same budget as a streamed sheet. Only cells with a value count, wherever the range
/// ends: an .ods file keeps styled empty rows far below a list.
pub(super) fn check_range<T: DataType + calamine::CellType>(
    range: &Range<T>,
) -> Result<(), SheetLimit> {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut budget = CellBudget::default();
    for (row, column, _) in range.used_cells().filter(|(_, _, cell)| !cell.is_empty()) {
        let row = u32::try_from(row)
            .unwrap_or(u32::MAX)
            .saturating_add(first_row);
        let column = u32::try_from(column)
            .unwrap_or(u32::MAX)
            .saturating_add(first_column);
        budget.admit((row, column), false)?;
    }
    Ok(())
}
