//! The import template: what it offers, how it looks, and that it re-imports cleanly.

use calamine::{SheetVisible, Xlsx};

use super::*;
use crate::i18n::{Describe, Lang};
use crate::spreadsheet::template::plan;

/// The template's first two rows (header and notes) followed by `rows`, as a person who filled
/// in the template would save it.
fn filled_in(template_bytes: &[u8], rows: &[Vec<Cell>]) -> Vec<u8> {
    let (name, values, _) = first_sheet(template_bytes);
    let mut all: Vec<Vec<Cell>> = texts(&values)
        .into_iter()
        .map(|cells| cells.into_iter().map(Cell::from).collect())
        .collect();
    all.extend_from_slice(rows);
    xlsx_with(|sheet| {
        sheet.set_name(&name).expect("name");
        write_rows(sheet, 0, &all);
    })
}

#[test]
fn the_w1_template_offers_the_import_columns_with_notes_lists_and_text_format() {
    let columns = plan(&w1(), &tree(), Some("440115")).expect("plan");
    let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(
        headers,
        [
            "关联病例",
            "*姓名",
            "手机号码",
            "身份证号码",
            "*密接类型",
            "*所属镇街",
            "住址"
        ]
    );
    let text: Vec<bool> = columns.iter().map(|c| c.text).collect();
    assert_eq!(text, [false, false, true, true, false, false, false]);
    // W1's 身份证号码 column takes passports and permits too.
    assert_eq!(
        columns[3].note,
        "身份证号码，或护照、港澳台通行证号码，请设为文本格式"
    );
    assert_eq!(columns[2].note, "11 位手机号码");
    assert_eq!(
        columns[5].note,
        "填写镇街名称，可从下拉列表选择，如：南沙街道"
    );
    assert_eq!(
        columns[4].list.as_deref(),
        Some(&["密接".to_owned(), "次密接".to_owned()][..])
    );
    let towns = columns[5].list.clone().expect("town list");
    assert_eq!(towns.len(), 9);
    assert!(towns.contains(&"黄阁镇".to_owned()));
    assert!(!towns.iter().any(|name| name.ends_with("社区")));
}

#[test]
fn the_w1_template_looks_as_described() {
    let bytes = template(&w1(), &tree(), Some("440115")).expect("template");
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(&bytes[..])).expect("xlsx");
    // Nine town names fit into the validation itself: no helper sheet.
    assert_eq!(workbook.sheet_names(), ["密接、次密接人员去向核查"]);
    let styles = workbook
        .worksheet_style("密接、次密接人员去向核查")
        .expect("styles");
    let font = |cell: (u32, u32)| {
        styles
            .get(cell)
            .and_then(|style| style.font.clone())
            .expect("font")
    };
    let red = |f: &calamine::Font| {
        f.color
            .is_some_and(|c| (c.red, c.green, c.blue) == (255, 0, 0))
    };
    assert!(
        font((0, 1)).is_bold() && red(&font((0, 1))),
        "required header in red"
    );
    assert!(!red(&font((0, 0))), "optional header not red");
    assert!(font((1, 3)).is_italic(), "notes in italics");
}

#[test]
fn the_w1_template_reimports_once_filled_in() {
    let (w1, tree) = (w1(), tree());
    let bytes = template(&w1, &tree, Some("440115")).expect("template");
    let empty = read_with(&bytes, &w1, &tree, Some("440115")).expect("reads");
    assert_eq!(empty.header_row, 1);
    assert_eq!(empty.notes_row, Some(2));
    assert_eq!(empty.summary().rows, 0);

    let id = id_number("19900307", 5);
    let filled = filled_in(
        &bytes,
        &[
            row(&[
                "",
                "李明",
                "13800138000",
                &id,
                "密接",
                "黄阁镇",
                "黄阁镇 1 号",
            ]),
            row(&["病例2", "王芳", "", "", "次密接", "南沙街道", ""]),
        ],
    );
    let list = read_with(&filled, &w1, &tree, Some("440115")).expect("reads");
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    assert_eq!(list.notes_row, Some(2));
    assert_eq!(list.blank_rows, 0);
    let numbers: Vec<u32> = list.rows.iter().map(|r| r.row_number).collect();
    assert_eq!(numbers, [3, 4]);
    assert_eq!(list.rows[0].unit, "440115101");
    assert_eq!(list.rows[0].field("id_number"), Some(id.as_str()));
}

#[test]
fn a_template_without_its_notes_row_reads_from_row_two() {
    let (w1, tree) = (w1(), tree());
    let bytes = template(&w1, &tree, None).expect("template");
    let (_, values, _) = first_sheet(&bytes);
    let header: Vec<Cell> = texts(&values)[0].iter().cloned().map(Cell::from).collect();
    let list = read_w1(&xlsx(&[
        header,
        row(&["", "李明", "", "", "密接", "黄阁镇", ""]),
    ]));
    assert_eq!(list.notes_row, None);
    assert_eq!(list.rows[0].row_number, 2);
}

#[test]
fn the_w2_template_lists_communities_and_reimports() {
    let (w2, tree) = (w2(), tree());
    let columns = plan(&w2, &tree, Some("350203004")).expect("plan");
    let community = columns
        .iter()
        .find(|c| c.header == "*所属社区")
        .expect("community column");
    assert_eq!(
        community.list.as_deref(),
        Some(
            &[
                "海岸社区".to_owned(),
                "大同社区".to_owned(),
                "鹭江社区".to_owned()
            ][..]
        )
    );
    assert!(community.note.starts_with("填写社区名称"));

    let bytes = template(&w2, &tree, Some("350203")).expect("template");
    let filled = filled_in(
        &bytes,
        &[
            row(&["李明", "13800138000", "", "", "大同社区", "密接"]),
            row(&["王芳", "13800138001", "", "", "鹭江街道", "密接"]),
        ],
    );
    let list = read_with(&filled, &w2, &tree, Some("350203")).expect("reads");
    assert_eq!(list.notes_row, Some(2));
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].unit, "350203004002");
    assert_eq!(list.failures[0].row_number, 4);
}

#[test]
fn a_long_unit_list_goes_to_a_hidden_sheet() {
    let mut text = String::from(
        "[district]\ncode = \"440199\"\nname = \"测试区\"\nname_en = \"Test\"\n[[town]]\ncode = \"440199001\"\nname = \"一号街道\"\nname_en = \"One\"\n",
    );
    for n in 1..=80 {
        text.push_str(&format!(
            "[[town.community]]\ncode = \"440199001{n:03}\"\nname = \"第{n}社区\"\nname_en = \"C{n}\"\n"
        ));
    }
    let tree = Jurisdictions::from_toml_str(&text, "test").expect("tree");
    let bytes = template(&w2_anywhere(), &tree, Some("440199")).expect("template");
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(&bytes[..])).expect("xlsx");
    let sheets = workbook.sheets_metadata().to_vec();
    assert_eq!(sheets.len(), 2);
    assert_eq!(sheets[1].name, "下拉选项");
    assert_eq!(sheets[1].visible, SheetVisible::Hidden);
    let lists = workbook.worksheet_range("下拉选项").expect("lists");
    assert_eq!(lists.height(), 80);
    assert_eq!(
        lists.get_value((79, 0)),
        Some(&Data::String("第80社区".to_owned()))
    );
    // The list sheet is never mistaken for the list.
    let filled = filled_in(
        &bytes,
        &[row(&["李明", "13800138000", "", "", "第7社区", "密接"])],
    );
    let list = read_with(&filled, &w2_anywhere(), &tree, Some("440199")).expect("reads");
    assert_eq!(list.rows[0].unit, "440199001007");
}

#[test]
fn names_shared_by_two_units_carry_their_code_in_the_list() {
    let text = r#"
        [district]
        code = "440199"
        name = "测试区"
        name_en = "Test"
        [[town]]
        code = "440199001"
        name = "一号镇"
        name_en = "One"
        [[town.community]]
        code = "440199001201"
        name = "大井村"
        name_en = "Dajing"
        [[town]]
        code = "440199002"
        name = "二号镇"
        name_en = "Two"
        [[town.community]]
        code = "440199002201"
        name = "大井村"
        name_en = "Dajing"
        [[town.community]]
        code = "440199002202"
        name = "莲溪村"
        name_en = "Lianxi"
    "#;
    let tree = Jurisdictions::from_toml_str(text, "test").expect("tree");
    let columns = plan(&w2_anywhere(), &tree, None).expect("plan");
    let list = columns
        .iter()
        .find_map(|c| c.list.clone().filter(|l| l.len() == 3))
        .expect("community list");
    assert_eq!(
        list,
        ["大井村（440199001201）", "大井村（440199002201）", "莲溪村"]
    );
    let filled = filled_in(
        &template(&w2_anywhere(), &tree, None).expect("template"),
        &[row(&["李明", "13800138000", "", "", &list[1], "密接"])],
    );
    let read = read_with(&filled, &w2_anywhere(), &tree, None).expect("reads");
    assert_eq!(read.rows[0].unit, "440199002201");
}

#[test]
fn a_template_for_an_unknown_unit_is_an_error() {
    assert_eq!(
        template(&w1(), &tree(), Some("440199")),
        Err(SheetError::UnknownUnit {
            code: "440199".to_owned()
        })
    );
}

#[test]
fn a_programs_template_and_import_stay_within_its_area() {
    // The deployment's files hold Xiamen's units beside Nansha's; W1 serves Nansha.
    let tree = tree();
    let w1 = w1();
    assert_eq!(w1.area(), Some("440115"));
    let columns = plan(&w1, &tree, None).expect("plan");
    let towns = columns
        .iter()
        .find(|c| c.header == "*所属镇街")
        .and_then(|c| c.list.clone())
        .expect("the town drop-down");
    assert!(towns.contains(&"南沙街道".to_owned()), "{towns:?}");
    assert!(
        !towns
            .iter()
            .any(|t| t.contains("鹭江") || t.contains("思明")),
        "no Xiamen town in a Nansha template: {towns:?}"
    );
    let hint = &columns
        .iter()
        .find(|c| c.header == "*所属镇街")
        .expect("column")
        .note;
    assert!(hint.contains("南沙"), "{hint}");

    // A Xiamen street in a Nansha list is not placed there.
    let list = read_with(
        &w1_list(&[
            row(&["C1", "李明", "13800138000", "", "密接", "南沙街道", ""]),
            row(&["C1", "王芳", "13800138001", "", "密接", "鹭江街道", ""]),
        ]),
        &w1,
        &tree,
        None,
    )
    .expect("reads");
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].unit, "440115001");
    assert_eq!(list.failures.len(), 1);

    // An importer's unit outside the area is refused with both codes; one inside narrows it.
    let error = plan(&w1, &tree, Some("350203")).expect_err("outside the area");
    assert_eq!(
        error,
        SheetError::OutsideArea {
            code: "350203".into(),
            area: "440115".into()
        }
    );
    assert!(error.describe(Lang::Zh).contains("服务范围"));
    let narrowed = plan(&w1, &tree, Some("440115001")).expect("inside the area");
    let towns = narrowed
        .iter()
        .find(|c| c.header == "*所属镇街")
        .and_then(|c| c.list.clone())
        .expect("the town drop-down");
    assert_eq!(towns, ["南沙街道"]);
}
