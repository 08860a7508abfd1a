//! Tests of the spreadsheet module. Every input workbook is built here with rust_xlsxwriter, so
//! each test shows the sheet it reads; outputs are read back with calamine.

mod documents;
mod import;
mod import_rules;
mod limits;
mod output;
mod rows;
mod template;

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::*;
use crate::identity::resident_id_check_character;
use crate::jurisdiction::Jurisdictions;
use crate::program::{Program, W1_PRESET, W2_PRESET, load_presets, presets};

const NANSHA: &str = include_str!("../../../../assets/jurisdictions/440115-nansha.toml");
const SIMING: &str = include_str!("../../../../assets/jurisdictions/350203-siming.toml");

/// The W1 template's headers, in order.
const W1_HEADERS: [&str; 7] = [
    "关联病例",
    "姓名",
    "手机号码",
    "身份证号码",
    "密接类型",
    "所属镇街",
    "住址",
];

pub(super) fn program(file: &str) -> Program {
    let index = presets()
        .iter()
        .position(|(name, _)| *name == file)
        .expect("preset");
    load_presets().expect("presets load").swap_remove(index)
}

pub(super) fn w1() -> Program {
    program(W1_PRESET)
}

pub(super) fn w2() -> Program {
    program(W2_PRESET)
}

/// W2 without its area (服务范围), for tests that read lists of invented districts.
pub(super) fn w2_anywhere() -> Program {
    let (_, text) = presets()
        .into_iter()
        .find(|(name, _)| *name == W2_PRESET)
        .expect("preset");
    let text: String = text
        .lines()
        .filter(|line| !line.starts_with("area = "))
        .map(|line| format!("{line}\n"))
        .collect();
    let program = Program::from_toml_str(&text, W2_PRESET).expect("W2 without its area");
    assert_eq!(program.area(), None);
    program
}

pub(super) fn tree() -> Jurisdictions {
    let mut tree = Jurisdictions::from_toml_str(NANSHA, "440115-nansha.toml").expect("nansha");
    tree.merge(Jurisdictions::from_toml_str(SIMING, "350203-siming.toml").expect("siming"))
        .expect("merge");
    tree
}

/// A cell of a test workbook.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(String),
    Number(f64),
    /// A real Excel date cell (a number with a date format).
    Date(u16, u8, u8),
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text.to_owned())
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::from(text.as_str())
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Number(value)
    }
}

/// A row of text cells ("" is an empty cell).
pub(super) fn row(cells: &[&str]) -> Vec<Cell> {
    cells.iter().map(|&cell| Cell::from(cell)).collect()
}

pub(super) fn write_rows(sheet: &mut Worksheet, first_row: u32, rows: &[Vec<Cell>]) {
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (r, cells) in rows.iter().enumerate() {
        let r = first_row + u32::try_from(r).expect("row");
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(c).expect("column");
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(r, c, text).expect("write");
                }
                Cell::Number(value) => {
                    sheet.write_number(r, c, *value).expect("write");
                }
                Cell::Date(year, month, day) => {
                    let date = ExcelDateTime::from_ymd(*year, *month, *day).expect("date");
                    sheet
                        .write_datetime_with_format(r, c, &date, &date_format)
                        .expect("write");
                }
                Cell::Empty => {}
            }
        }
    }
}

/// A one-sheet workbook with `rows` from A1 on.
pub(super) fn xlsx(rows: &[Vec<Cell>]) -> Vec<u8> {
    xlsx_with(|sheet| write_rows(sheet, 0, rows))
}

/// A one-sheet workbook written by `fill`.
pub(super) fn xlsx_with(fill: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    fill(workbook.add_worksheet());
    workbook.save_to_buffer().expect("save")
}

/// A W1 list: the template header in row 1, then `rows`.
pub(super) fn w1_list(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut all = vec![row(&W1_HEADERS)];
    all.extend_from_slice(rows);
    xlsx(&all)
}

pub(super) fn read_with(
    bytes: &[u8],
    program: &Program,
    tree: &Jurisdictions,
    within: Option<&str>,
) -> Result<ParsedList, SheetError> {
    let options = ImportOptions {
        program,
        jurisdictions: tree,
        within,
    };
    read_list(bytes, &options, &mut |_| {})
}

/// Reads a W1 list as Nansha district's health bureau.
pub(super) fn read_w1(bytes: &[u8]) -> ParsedList {
    read_with(bytes, &w1(), &tree(), Some("440115")).expect("list reads")
}

/// A valid 18-character ID for a person born on `birth` (YYYYMMDD) in Nansha with sequence
/// `sequence`, ending in X when `want_x` (the sequence is advanced until it does).
pub(super) fn id_number(birth: &str, sequence: u32) -> String {
    let body = format!("440115{birth}{sequence:03}");
    let check = resident_id_check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

/// An ID whose check character is X.
pub(super) fn id_number_ending_in_x() -> String {
    (0..1000)
        .map(|sequence| id_number("19900307", sequence))
        .find(|id| id.ends_with('X'))
        .expect("some sequence gives X")
}

/// The first sheet of a workbook, read back.
pub(super) fn first_sheet(bytes: &[u8]) -> (String, Range<Data>, Range<String>) {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    let name = workbook.sheet_names().first().expect("a sheet").clone();
    let values = workbook.worksheet_range(&name).expect("values");
    let formulas = workbook.worksheet_formula(&name).expect("formulas");
    (name, values, formulas)
}

/// The text of each cell of `range`, row by row.
pub(super) fn texts(range: &Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|data| cell::display_text(cell::SheetCell::value(data)))
                .collect()
        })
        .collect()
}
