//! Bounded workbooks: a sheet's declared size is never trusted, every cell's position is checked
//! before it is kept, and a sheet beyond the limits is refused with `SheetTooLarge`, quickly and
//! without building a grid. The hostile workbooks are written by hand, because no spreadsheet
//! writer produces cells out of order.

use std::io::Write;
use std::time::{Duration, Instant};

use calamine::{Data, Range};

use super::import::person;
use super::*;
use crate::i18n::{Describe, Lang};
use crate::spreadsheet::limits::{CellBudget, MAX_SCANNED_CELLS, check_range};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// An inline-string cell at `reference` (e.g. "A1").
fn text_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A row element holding `cells`, for the 1-based row `number`.
fn row_xml(number: u32, cells: &[String]) -> String {
    format!(r#"<row r="{number}">{}</row>"#, cells.concat())
}

/// The cells of a W1 header row and one person, in row 1 and 2.
fn w1_rows_xml() -> (String, String) {
    let columns = ["A", "B", "C", "D", "E", "F", "G"];
    let header: Vec<String> = columns
        .iter()
        .zip(W1_HEADERS)
        .map(|(column, text)| text_cell(&format!("{column}1"), text))
        .collect();
    let person = [("B2", "李明"), ("E2", "密接"), ("F2", "南沙街道")]
        .map(|(reference, text)| text_cell(reference, text));
    (row_xml(1, &header), row_xml(2, &person))
}

/// A one-sheet .xlsx whose sheet XML is `<dimension ref=dimension>` and `sheet_data`, as is.
fn hand_made_xlsx(dimension: &str, sheet_data: &str) -> Vec<u8> {
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", &sheet),
    ] {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

fn too_large(bytes: &[u8]) -> SheetLimit {
    match read_with(bytes, &w1(), &tree(), Some("440115")) {
        Err(SheetError::SheetTooLarge { sheet, limit }) => {
            assert_eq!(sheet, "Sheet1");
            limit
        }
        other => panic!("expected SheetTooLarge, got {other:?}"),
    }
}

#[test]
fn a_tiny_workbook_claiming_every_cell_of_excel_is_refused_without_a_grid() {
    // The reproduction of issue 16: one cell in XFD1048576 written before the list, so the
    // cells are out of order and a range read would allocate 16,384 × 1,048,576 cells.
    let (header, person) = w1_rows_xml();
    let far = row_xml(1_048_576, &[text_cell("XFD1048576", "x")]);
    let bytes = hand_made_xlsx("A1:XFD1048576", &format!("{far}{header}{person}"));
    assert!(
        bytes.len() < 2_000,
        "the hostile file is {} bytes",
        bytes.len()
    );
    let started = Instant::now();
    assert_eq!(too_large(&bytes), SheetLimit::Rows);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_far_cell_after_the_list_is_refused_too() {
    // In order this time: the far cell is met after the list, by the streaming reader.
    let (header, person) = w1_rows_xml();
    let far = row_xml(1_048_576, &[text_cell("A1048576", "x")]);
    let bytes = hand_made_xlsx("A1:G2", &format!("{header}{person}{far}"));
    assert_eq!(too_large(&bytes), SheetLimit::Rows);
}

#[test]
fn a_value_below_the_row_limit_out_of_order_is_refused() {
    // 250,000 rows × 26 columns would still fit in memory, so the reader used to read it; now
    // the far cell is refused by position.
    let (header, person) = w1_rows_xml();
    let far = row_xml(250_000, &[text_cell("Z250000", "x")]);
    let bytes = hand_made_xlsx("A1:Z250000", &format!("{far}{header}{person}"));
    assert_eq!(too_large(&bytes), SheetLimit::Rows);
}

#[test]
fn a_value_right_of_the_column_limit_is_refused() {
    let (header, person) = w1_rows_xml();
    // Column 300 (KN) of the person's row.
    let person = person.replace("</row>", &format!("{}</row>", text_cell("KN2", "x")));
    let bytes = hand_made_xlsx("A1:KN2", &format!("{header}{person}"));
    assert_eq!(too_large(&bytes), SheetLimit::Columns);
}

#[test]
fn a_huge_declared_dimension_alone_is_only_a_hint() {
    // Tools write wrong dimensions; a list whose cells are where a list's cells are reads.
    let (header, person) = w1_rows_xml();
    let bytes = hand_made_xlsx("A1:XFD1048576", &format!("{header}{person}"));
    let list = read_w1(&bytes);
    assert_eq!(list.summary().imported, 1);
}

#[test]
fn empty_formatted_cells_far_below_the_list_are_harmless() {
    let (header, person) = w1_rows_xml();
    let styled = r#"<row r="1048576"><c r="A1048576" s="0"/></row>"#;
    let bytes = hand_made_xlsx("A1:G1048576", &format!("{header}{person}{styled}"));
    assert_eq!(read_w1(&bytes).summary().imported, 1);
}

#[test]
fn cells_out_of_order_within_the_limits_are_sorted_and_read() {
    let (header, person) = w1_rows_xml();
    let bytes = hand_made_xlsx("A1:G2", &format!("{person}{header}"));
    let list = read_w1(&bytes);
    assert_eq!(list.header_row, 1);
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].row_number, 2);
    assert_eq!(list.rows[0].field("name"), Some("李明"));
}

#[test]
fn the_error_names_the_limits_in_chinese_and_english() {
    let error = SheetError::SheetTooLarge {
        sheet: "Sheet1".to_owned(),
        limit: SheetLimit::Rows,
    };
    let zh = error.describe(Lang::Zh);
    assert!(zh.contains("工作表「Sheet1」过大"), "{zh}");
    assert!(
        zh.contains(&format!(
            "最多 {MAX_ROWS} 行、{MAX_COLUMNS} 列、{MAX_CELLS} 个有内容的单元格"
        )),
        "{zh}"
    );
    assert!(zh.contains("拆成几个文件"), "{zh}");
    let en = error.describe(Lang::En);
    assert!(en.contains(&format!("at most {MAX_ROWS} rows")), "{en}");
}

#[test]
fn the_budget_counts_filled_cells_and_every_cell_scanned() {
    let mut budget = CellBudget::default();
    for index in 0..MAX_CELLS {
        let row = u32::try_from(index % 100_000).expect("row");
        assert_eq!(budget.admit((row, 3), false), Ok(()));
    }
    assert_eq!(budget.admit((0, 0), false), Err(SheetLimit::Cells));

    let mut budget = CellBudget::default();
    for _ in 0..MAX_SCANNED_CELLS {
        assert_eq!(budget.admit((5_000_000, 9_000), true), Ok(()));
    }
    assert_eq!(budget.admit((0, 0), true), Err(SheetLimit::Cells));
}

#[test]
fn a_range_read_whole_is_checked_before_its_rows_are_read() {
    let mut range: Range<Data> = Range::new((0, 0), (MAX_ROWS, 0));
    range.set_value((0, 0), Data::String("姓名".to_owned()));
    assert_eq!(
        check_range(&range),
        Ok(()),
        "empty cells below do not count"
    );
    range.set_value((MAX_ROWS, 0), Data::String("x".to_owned()));
    assert_eq!(check_range(&range), Err(SheetLimit::Rows));

    let mut wide: Range<Data> = Range::new((0, 0), (0, MAX_COLUMNS));
    wide.set_value((0, MAX_COLUMNS), Data::Int(1));
    assert_eq!(check_range(&wide), Err(SheetLimit::Columns));
}

#[test]
fn a_list_of_twenty_thousand_people_still_reads() {
    let people: Vec<Vec<Cell>> = (0..20_000u32)
        .map(|index| {
            let id = id_number("19900307", index % 1000);
            let id = if index < 1000 { id } else { String::new() };
            person(&format!("人员{index}"), "", &id, "南沙街道")
        })
        .collect();
    let bytes = w1_list(&people);
    let started = Instant::now();
    let list = read_w1(&bytes);
    let elapsed = started.elapsed();
    assert_eq!(list.summary().rows, 20_000);
    assert_eq!(
        list.summary().imported,
        20_000,
        "{:?}",
        list.failures.first()
    );
    eprintln!("20,000 rows read in {elapsed:?}");
}
