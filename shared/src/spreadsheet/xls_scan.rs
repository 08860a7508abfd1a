//! A look at an .xls file's cells before calamine opens it (旧版 Excel 文件的预检).
//!
//! calamine parses every sheet of an .xls when the workbook is opened, and it trusts the file
//! twice: it reserves room for as many cells as a sheet's DIMENSIONS record declares, and it
//! lays the cells out in a dense grid from the first to the last. A 2 KB file that declares
//! 65,535 × 65,535 cells, or holds one cell in A1 and one in the far corner, asks for tens of
//! gigabytes before a single row could be checked. So the workbook stream is read here first,
//! record by record, with the same limits as a streamed sheet ([`super::limits`]): a declared
//! size, a cell's position, the number of cells and the area they span are all checked, and a
//! sheet over any of them is refused by name before calamine sees the file.
//!
//! Only what calamine would keep is counted: value records (numbers, labels, shared-string
//! labels, RK and MulRK, booleans and errors, formulas). Blank cells are formatting; calamine
//! skips them, so they may lie anywhere.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use super::limits::{CellBudget, MAX_CELLS, SheetLimit};

/// Why an .xls file is refused before it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TooLarge {
    pub sheet: String,
    pub limit: SheetLimit,
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const MUL_RK: u16 = 0x00BD;
/// Records that hold one cell with a value, its row and column in their first four bytes.
const VALUE_CELLS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];

/// Checks every sheet of the .xls in `bytes`. A file that is not a readable compound file, or
/// has no workbook stream, passes: calamine then says what is wrong with it.
pub(super) fn check(bytes: &[u8]) -> Result<(), TooLarge> {
    let Some(stream) = workbook_stream(bytes) else {
        return Ok(());
    };
    let names = sheet_names(&stream);
    let mut sheet: Option<Sheet> = None;
    for (offset, typ, data) in Records::new(&stream) {
        match typ {
            BOF => {
                // Calamine reads each sheet's substream from its BOF; nested substreams
                // (charts) are skipped like calamine does, by counting.
                match &mut sheet {
                    Some(open) => open.depth += 1,
                    None => {
                        sheet = names.get(&offset).map(|name| Sheet::new(name.clone()));
                    }
                }
            }
            EOF => {
                if let Some(open) = &mut sheet {
                    if open.depth == 0 {
                        sheet = None;
                    } else {
                        open.depth -= 1;
                    }
                }
            }
            _ => {
                if let Some(open) = &mut sheet
                    && open.depth == 0
                {
                    open.record(typ, data).map_err(|limit| TooLarge {
                        sheet: open.name.clone(),
                        limit,
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// The workbook stream (BIFF8 `Workbook`, BIFF5 `Book`), read whole: it is no larger than the
/// file, whose size the caller bounds.
fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    // A damaged compound file must not take the import down: cfb checks its tables, and any
    // panic in it is treated as "not readable", which calamine then reports.
    std::panic::catch_unwind(|| {
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
        let mut stream = file
            .open_stream("/Workbook")
            .or_else(|_| file.open_stream("/Book"))
            .ok()?;
        let mut data = Vec::new();
        stream
            .by_ref()
            .take(bytes.len() as u64)
            .read_to_end(&mut data)
            .ok()?;
        Some(data)
    })
    .ok()
    .flatten()
}

/// BIFF records as (offset, type, data), until the stream ends or a record is cut off.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn new(stream: &'a [u8]) -> Self {
        Self { stream, at: 0 }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = (usize, u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let header = self.stream.get(start..start.checked_add(4)?)?;
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let data = self.stream.get(start + 4..start + 4 + len)?;
        self.at = start + 4 + len;
        Some((start, typ, data))
    }
}

/// Each worksheet's name by the stream offset of its BOF (BoundSheet8 records).
fn sheet_names(stream: &[u8]) -> HashMap<usize, String> {
    let mut names = HashMap::new();
    for (_, typ, data) in Records::new(stream) {
        if typ == EOF {
            break; // the globals substream ends here
        }
        if typ != BOUND_SHEET || data.len() < 8 {
            continue;
        }
        let position = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        // Sheet type (0: worksheet) in the high byte of the options.
        if data[5] != 0 {
            continue;
        }
        let count = usize::from(data[6]);
        let name = match data.get(7) {
            // BIFF8: a flag byte, then 8-bit or UTF-16LE characters.
            Some(&1) => {
                let units: Vec<u16> = data
                    .get(8..8 + 2 * count)
                    .unwrap_or_default()
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            Some(&0) => data
                .get(8..8 + count)
                .unwrap_or_default()
                .iter()
                .map(|&b| char::from(b))
                .collect(),
            _ => String::new(),
        };
        let name = if name.is_empty() {
            format!("第{}个工作表", names.len() + 1)
        } else {
            name
        };
        names.insert(position, name);
    }
    names
}

/// One worksheet's substream being read.
struct Sheet {
    name: String,
    depth: usize,
    budget: CellBudget,
    /// The area the sheet's value cells span: (first row, last row, first column, last column).
    span: Option<(u32, u32, u32, u32)>,
}

impl Sheet {
    fn new(name: String) -> Self {
        Self {
            name,
            depth: 0,
            budget: CellBudget::default(),
            span: None,
        }
    }

    fn record(&mut self, typ: u16, data: &[u8]) -> Result<(), SheetLimit> {
        let u16_at = |at: usize| {
            data.get(at..at + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        match typ {
            DIMENSIONS => {
                // BIFF8: first row, last row + 1 (32-bit), first column, last column + 1.
                let u32_at = |at: usize| {
                    data.get(at..at + 4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                };
                let (Some(first_row), Some(end_row), Some(first_col), Some(end_col)) =
                    (u32_at(0), u32_at(4), u16_at(8), u16_at(10))
                else {
                    return Ok(());
                };
                // calamine reserves rows × columns cells from these numbers.
                let rows = u64::from(end_row.saturating_sub(first_row));
                let columns = u64::from(end_col.saturating_sub(first_col));
                if rows.saturating_mul(columns) > MAX_CELLS as u64 {
                    return Err(if rows > columns {
                        SheetLimit::Rows
                    } else {
                        SheetLimit::Columns
                    });
                }
                Ok(())
            }
            MUL_RK => {
                // Row, first column, 6-byte RK values, last column.
                let (Some(row), Some(first), Some(last)) =
                    (u16_at(0), u16_at(2), u16_at(data.len().saturating_sub(2)))
                else {
                    return Ok(());
                };
                for column in first..=last.max(first) {
                    self.cell(row, column)?;
                }
                Ok(())
            }
            typ if VALUE_CELLS.contains(&typ) => match (u16_at(0), u16_at(2)) {
                (Some(row), Some(column)) => self.cell(row, column),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn cell(&mut self, row: u32, column: u32) -> Result<(), SheetLimit> {
        self.budget.admit((row, column), false)?;
        let (r0, r1, c0, c1) = self.span.unwrap_or((row, row, column, column));
        let span = (r0.min(row), r1.max(row), c0.min(column), c1.max(column));
        self.span = Some(span);
        // calamine lays the cells out densely over this area.
        let area = u64::from(span.1 - span.0 + 1) * u64::from(span.3 - span.2 + 1);
        if area > MAX_CELLS as u64 {
            return Err(SheetLimit::Cells);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An .xls compound file whose workbook stream holds one sheet `name` with `records`.
    fn xls(name: &str, records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
            out.extend(typ.to_le_bytes());
            out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
            out.extend(data);
        }
        let bof = [0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut globals = Vec::new();
        record(&mut globals, BOF, &bof);
        let units: Vec<u16> = name.encode_utf16().collect();
        let mut bound = vec![0u8; 4];
        bound.extend([0, 0, u8::try_from(units.len()).unwrap(), 1]);
        bound.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        let bound_len = 4 + bound.len();
        let globals_len = globals.len() + bound_len + 4;
        let position = u32::try_from(globals_len).unwrap().to_le_bytes();
        bound[..4].copy_from_slice(&position);
        record(&mut globals, BOUND_SHEET, &bound);
        record(&mut globals, EOF, &[]);
        let mut stream = globals;
        record(&mut stream, BOF, &bof);
        for (typ, data) in records {
            record(&mut stream, *typ, data);
        }
        record(&mut stream, EOF, &[]);
        // Version 3 (512-byte sectors), as Excel writes .xls files.
        let mut file =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
                .unwrap();
        std::io::Write::write_all(&mut file.create_stream("/Workbook").unwrap(), &stream).unwrap();
        file.into_inner().into_inner()
    }

    fn number(row: u16, column: u16) -> (u16, Vec<u8>) {
        let mut data = Vec::new();
        data.extend(row.to_le_bytes());
        data.extend(column.to_le_bytes());
        data.extend([0u8; 10]);
        (0x0203, data)
    }

    fn dimensions(rows: u32, columns: u16) -> (u16, Vec<u8>) {
        let mut data = Vec::new();
        data.extend(0u32.to_le_bytes());
        data.extend(rows.to_le_bytes());
        data.extend(0u16.to_le_bytes());
        data.extend(columns.to_le_bytes());
        data.extend([0u8; 2]);
        (DIMENSIONS, data)
    }

    #[test]
    fn a_normal_sheet_passes() {
        let cells: Vec<_> = (0..50).map(|r| number(r, 3)).collect();
        let mut records = vec![dimensions(50, 4)];
        records.extend(cells);
        assert_eq!(check(&xls("名单", &records)), Ok(()));
    }

    #[test]
    fn a_huge_declared_size_is_refused_by_sheet_name() {
        let file = xls("名单", &[dimensions(65_535, 65_535), number(0, 0)]);
        assert!(file.len() < 8_192, "{}", file.len());
        let refused = check(&file).unwrap_err();
        assert_eq!(refused.limit, SheetLimit::Columns);
        assert_eq!(refused.sheet, "名单");
    }

    #[test]
    fn two_far_apart_cells_are_refused_before_the_grid_is_made() {
        let refused = check(&xls("s", &[number(0, 0), number(60_000, 250)])).unwrap_err();
        assert_eq!(refused.limit, SheetLimit::Cells);
    }

    #[test]
    fn a_cell_beyond_the_last_column_is_refused() {
        let refused = check(&xls("s", &[number(0, 300)])).unwrap_err();
        assert_eq!(refused.limit, SheetLimit::Columns);
    }

    #[test]
    fn an_import_refuses_the_hostile_xls_before_calamine_opens_it() {
        use crate::spreadsheet::{ImportOptions, SheetError, read_list};
        let file = xls("名单", &[dimensions(65_535, 65_535), number(0, 0)]);
        let programs = crate::program::load_presets().unwrap();
        let tree = crate::jurisdiction::load_presets().unwrap();
        let options = ImportOptions {
            program: &programs[0],
            jurisdictions: &tree,
            within: None,
        };
        // On main, calamine reserved 65,535 × 65,535 cells here and the process aborted.
        match read_list(&file, &options, &mut |_| {}) {
            Err(SheetError::SheetTooLarge { sheet, .. }) => assert_eq!(sheet, "名单"),
            other => panic!("expected SheetTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn bytes_that_are_not_a_compound_file_pass_to_calamine() {
        assert_eq!(check(b"not an xls"), Ok(()));
        let mut damaged = xls("s", &[number(0, 0)]);
        damaged.truncate(700);
        assert_eq!(check(&damaged), Ok(()));
    }
}
