//! The failure workbook and exports, read back with calamine.

use calamine::{Reader, Xlsx, open_workbook_from_rs};

use super::import::person;
use super::*;
use crate::spreadsheet::write::sheet_name;

/// Values a spreadsheet would run as formulas if they were written as anything but text.
const FORMULA_LOOKALIKES: [&str; 5] = [
    "=HYPERLINK(\"http://example.com\",\"点我\")",
    "+8613800138000",
    "-1+2",
    "@SUM(A1:A2)",
    "=1+1",
];

#[test]
fn the_failure_workbook_holds_the_header_the_failed_rows_and_their_reasons() {
    let id = id_number("19900307", 1);
    let bytes = w1_list(&[
        person("李明", "13800138000", &id, "南沙街道"),
        person("王芳", "1380013800", "", "黄格"),
        vec![
            "".into(),
            "赵强".into(),
            "".into(),
            Cell::Number(440_115_199_003_071_234.0),
            "密接".into(),
            "南沙街道".into(),
        ],
    ]);
    let list = read_w1(&bytes);
    assert_eq!(list.failures.len(), 2);
    let workbook = failure_workbook(&list).expect("written");
    let (name, values, formulas) = first_sheet(&workbook);
    assert_eq!(name, "Sheet1");
    assert!(formulas.is_empty());
    let rows = texts(&values);
    let mut header: Vec<String> = W1_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    header.push("异常信息".to_owned());
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][..7], list.failures[0].original[..]);
    assert_eq!(rows[1][7], list.failures[0].reasons.join("；"));
    assert!(
        rows[1][7].contains("；未知的镇街「黄格」"),
        "{}",
        rows[1][7]
    );
    // The mangled ID goes back as text, so the person sees what Excel made of it.
    assert_eq!(
        values.get_value((2, 3)),
        Some(&Data::String(list.failures[1].original[3].clone()))
    );
    assert!(list.failures[1].original[3].starts_with("4401151990030712"));
}

#[test]
fn a_corrected_failure_workbook_imports_again() {
    let bytes = w1_list(&[person("王芳", "13800138000", "", "黄格")]);
    let list = read_w1(&bytes);
    let again = read_w1(&failure_workbook(&list).expect("written"));
    // Nothing was corrected: the row fails for the same reason, and 异常信息 is ignored.
    assert_eq!(again.failures[0].reasons, list.failures[0].reasons);
    assert_eq!(again.headers.last().map(String::as_str), Some("异常信息"));
}

#[test]
fn failure_cells_that_look_like_formulas_stay_text() {
    let rows: Vec<Vec<Cell>> = FORMULA_LOOKALIKES
        .iter()
        .map(|value| row(&[value, "", "", "", "密接", "南沙街道", ""]))
        .collect();
    let list = read_w1(&w1_list(&rows));
    assert_eq!(list.failures.len(), FORMULA_LOOKALIKES.len());
    let (_, values, formulas) = first_sheet(&failure_workbook(&list).expect("written"));
    assert!(formulas.is_empty(), "{formulas:?}");
    for (index, value) in FORMULA_LOOKALIKES.iter().enumerate() {
        let row = u32::try_from(index + 1).expect("row");
        assert_eq!(
            values.get_value((row, 0)),
            Some(&Data::String((*value).to_owned()))
        );
    }
}

#[test]
fn an_export_writes_every_value_as_text_never_as_a_formula() {
    let columns = [
        ExportColumn {
            header: "姓名".to_owned(),
            width: Some(12.0),
        },
        ExportColumn {
            header: "备注".to_owned(),
            width: None,
        },
    ];
    let rows: Vec<Vec<String>> = FORMULA_LOOKALIKES
        .iter()
        .map(|value| vec!["李明".to_owned(), (*value).to_owned()])
        .chain([vec!["440115199003071234".to_owned(), "007".to_owned()]])
        .collect();
    let bytes = export("核查结果 3/18 [南沙]", &columns, &rows).expect("written");
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(&bytes[..])).expect("xlsx");
    assert_eq!(workbook.sheet_names(), ["核查结果 3_18 _南沙_"]);
    let (_, values, formulas) = first_sheet(&bytes);
    assert!(formulas.is_empty(), "{formulas:?}");
    let read = texts(&values);
    assert_eq!(read[0], ["姓名", "备注"]);
    assert_eq!(read[1..], rows[..]);
    for (row, cells) in rows.iter().enumerate() {
        let row = u32::try_from(row + 1).expect("row");
        assert_eq!(
            values.get_value((row, 1)),
            Some(&Data::String(cells[1].clone()))
        );
    }
    // The header row is bold.
    let styles = workbook
        .worksheet_style("核查结果 3_18 _南沙_")
        .expect("styles");
    let font = styles.get((0, 0)).and_then(|style| style.font.clone());
    assert!(font.is_some_and(|font| font.is_bold()));
}

#[test]
fn sheet_names_are_made_valid_for_excel() {
    assert_eq!(sheet_name("a/b\\c?d*e:f[g]", "x"), "a_b_c_d_e_f_g_");
    assert_eq!(sheet_name("'引号'", "x"), "引号");
    assert_eq!(sheet_name("  ", "名单"), "名单");
    assert_eq!(sheet_name("History", "名单"), "名单");
    let long = "密".repeat(40);
    assert_eq!(sheet_name(&long, "x").chars().count(), 31);
    // Characters outside the BMP take two UTF-16 units, as Excel counts them.
    assert_eq!(sheet_name(&"𠀀".repeat(20), "x").chars().count(), 15);
}
